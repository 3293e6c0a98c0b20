"""The seed-claims audit: re-derived numbers and verdicts, and ``execopt study audit --json``."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import execopt as eo
from execopt.data import find_data_root
from execopt.studies import AuditConfig, run_audit
from execopt.studies.audit import CLAIMED_REDUCTION, _u_problem, reduction, required_amplitude

#: The reduction of an optimum that equals equal allocation, in percent: rounding of two sums of
#: 390 terms relative to the cost.
ZERO_PCT_ATOL = 1e-9


@pytest.fixture(scope="module")
def audit() -> pd.DataFrame:
    return run_audit(AuditConfig().fast()).table.set_index("claim_id")


@pytest.mark.parametrize("stock", list(CLAIMED_REDUCTION))
def test_constant_parameter_claims_cannot_hold(audit: pd.DataFrame, stock: str) -> None:
    row = audit.loc[f"reduction_constant_{stock}"]
    assert row["verdict"].startswith("cannot hold")
    assert abs(row["value"]) < ZERO_PCT_ATOL
    assert row["value_rederived"].startswith("0.000000 %")
    assert row["value_claimed"] == f"{CLAIMED_REDUCTION[stock]} %"
    capped = audit.loc[f"reduction_capped_{stock}"]
    assert capped["verdict"].startswith("cannot hold")
    assert capped["value"] <= ZERO_PCT_ATOL


@pytest.mark.parametrize("stock", list(CLAIMED_REDUCTION))
def test_required_amplitude_reproduces_the_claim(audit: pd.DataFrame, stock: str) -> None:
    row = audit.loc[f"reduction_required_{stock}"]
    assert row["verdict"].startswith("holds only if")
    A = row["value"]
    assert A > 0
    assert_allclose(
        reduction(_u_problem(stock, A, 10_000.0, 390)), CLAIMED_REDUCTION[stock], rtol=1e-8
    )


def test_required_amplitude_above_the_ceiling_is_nan() -> None:
    A, ceiling = required_amplitude("FROG", 99.0)
    assert np.isnan(A) and 0 < ceiling < 99.0


def test_strategy_claims_are_conditional_or_not_measurable(audit: pd.DataFrame) -> None:
    # measured from episodes: a saving whose interval excludes 0 makes it conditional, else
    # the claim cannot hold on this evidence
    sharpe = audit.loc["sharpe"]
    assert sharpe["verdict"].split(":")[0] in ("holds only if", "cannot hold on this evidence")
    assert (
        "Sharpe of the saving" in sharpe["value_rederived"] and "episodes" in sharpe["assumptions"]
    )
    assert audit.loc["drawdown", "verdict"].startswith("not measurable here")
    assert audit.loc["drawdown", "value"] >= 0
    assert audit.loc["fill_rate", "verdict"].split(":")[0] in ("cannot hold", "holds only if")
    assert audit.loc["latency", "verdict"] in ("holds", "cannot hold: measured above 100 ms")
    assert audit.loc["memory", "value"] > 0


def test_fitted_frog_row_uses_the_real_day_when_present(audit: pd.DataFrame) -> None:
    row = audit.loc["reduction_fitted_FROG"]
    if find_data_root() is None:
        assert row["verdict"].startswith("not measurable here")
        assert row["value_rederived"] == "pending data fit"
    else:
        assert row["verdict"].startswith("holds only if")
        assert 0 < row["value"] < 100


@given(
    a=st.floats(0.0, 0.1),
    b=st.floats(1e-6, 1e-2),
    S=st.floats(1.0, 1e6),
    N=st.integers(2, 390),
)
def test_jensen_constant_costs_give_zero_reduction(a: float, b: float, S: float, N: int) -> None:
    p = eo.ExecutionProblem(S, eo.QuadraticImpact(a=a, b=b), N)
    assert abs(reduction(p)) < ZERO_PCT_ATOL


def test_cli_study_audit_json_fast_parses(capsys: pytest.CaptureFixture[str]) -> None:
    from execopt.cli import study

    parser = argparse.ArgumentParser(prog="execopt")
    study.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["study", "audit", "--json", "--fast"])
    assert study.run(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["study"] == "audit"
    ids = {c["claim_id"] for c in doc["claims"]}
    assert {"reduction_constant_FROG", "sharpe", "latency", "memory"} <= ids
    assert "total" in doc["timings"]
