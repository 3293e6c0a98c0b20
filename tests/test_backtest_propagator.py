"""``execopt backtest --propagator``: a fitted propagator drives the simulated own impact and the
planning policies' plans, in a single backtest and in episodes; bad combinations are refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import execopt as eo
from execopt.cli import main as cli_main
from execopt.data import synthetic_book
from execopt.execution import SimConfig, make_policy, simulate
from execopt.execution.tca import decompose
from execopt.studies.episodes import EpisodeConfig

#: A strong, slowly decaying kernel: planning with it or without it makes a visible difference.
KERNEL = {"kernel": "exponential", "strength": 2e-4, "half_life": 30.0}


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli_main.COMMANDS, "backtest", "execopt.cli.backtest")


def _fit_file(tmp_path: Path, permanent: float = 1e-6) -> Path:
    path = tmp_path / "fit.json"
    path.write_text(json.dumps({"propagator": {"kernel": KERNEL, "permanent": permanent}}))
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_single_backtest_simulates_and_plans_with_the_fit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fit = _fit_file(tmp_path)
    base = ("backtest", "FROG", "--shares", "20000", "--policy", "twap,static,adaptive", "--json")
    code, out, err = _run(capsys, *base, "--propagator", str(fit))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["propagator"]["kernel"] == KERNEL
    assert doc["propagator"]["permanent"] == 1e-6
    assert doc["propagator"]["planned_by"] == ["static", "adaptive"]
    assert doc["simulator"]["permanent_impact"] == 0.0  # the CLI number; the fit's is above
    pol = doc["policies"]
    for name in ("static", "adaptive"):
        assert pol[name]["info"]["own_impact"] == "transient/permanent terms in the plan"
    assert "own_impact" not in pol["twap"]["info"]
    code, out, err = _run(capsys, *base)
    assert code == 0, err
    plain = json.loads(out)["policies"]
    # the replayed book responds to the fills: TWAP pays its own impact on top of the walk
    with_own = pol["twap"]["shortfall_decomposition"]["dollars"]["impact"]
    without = plain["twap"]["shortfall_decomposition"]["dollars"]["impact"]
    assert with_own > without + 100.0
    # the human table says where the own impact came from, within 80 columns
    code, out, err = _run(capsys, *base[:-1], "--propagator", str(fit))
    assert code == 0, err
    assert "own impact from" in out and "static and adaptive plan with them" in " ".join(
        out.split()
    )


def test_planning_with_the_kernel_pays_less_than_planning_without() -> None:
    """Same simulated market (the kernel), plans with and without it: the static optimum that
    ignores its own transient impact concentrates its trades and pays for it."""
    k = eo.ExponentialKernel(2e-4, 30.0)
    book = synthetic_book("FROG", seed=0)
    previous = synthetic_book("FROG", seed=1, date="2025-04-02")
    cfg = SimConfig(transient=k)

    def cost(name: str, **kw: object) -> float:
        r = simulate(book, make_policy(name, **kw), 20_000, cfg, previous=previous)
        d = decompose(r).dollars()
        return float(d["spread"] + d["impact"])

    twap = cost("twap")
    blind, planned = cost("static"), cost("static", transient=k)
    assert planned < twap < blind
    assert cost("adaptive", transient=k) < cost("adaptive")


def test_episodes_carry_the_fit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fit = _fit_file(tmp_path)
    code, out, err = _run(
        capsys, "backtest", "FROG", "--episodes", "3", "--horizon", "30", "--shares", "2000",
        "--workers", "1", "--n-boot", "50", "--policy", "twap,static", "--propagator", str(fit),
        "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["config"]["transient"] == KERNEL and doc["config"]["plan_own_impact"] is True
    assert doc["config"]["permanent_impact"] == 1e-6
    assert doc["propagator"]["file"] == str(fit)
    opts = EpisodeConfig(
        policies=("twap", "static", "adaptive"),
        transient=eo.ExponentialKernel(2e-4, 30.0),
        plan_own_impact=True,
    ).policy_options()
    assert set(opts) == {"static", "adaptive"} and opts["static"]["policy"] == "static"
    assert EpisodeConfig(transient=eo.ExponentialKernel(2e-4, 30.0)).policy_options() == {}


def test_bad_combinations_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fit = _fit_file(tmp_path)
    code, _, err = _run(
        capsys, "backtest", "FROG", "--shares", "100", "--propagator", str(fit),
        "--transient-impact", "1e-5",
    )  # fmt: skip
    assert code == 2 and "drop --transient-impact" in " ".join(err.split())
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({"model": "quadratic"}))
    code, _, err = _run(capsys, "backtest", "FROG", "--shares", "100", "--propagator", str(bare))
    assert code == 2 and "no 'propagator' section" in " ".join(err.split())
    code, _, err = _run(
        capsys, "backtest", "FROG", "--shares", "100", "--propagator", str(tmp_path / "nope.json")
    )
    assert code == 2 and "nope.json" in err
