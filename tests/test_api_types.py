"""Wrong types and shapes at the public API raise typed execopt errors naming the argument
(issue #11, item 14): never a bare TypeError/ValueError, never silently accepted.

Table-driven over the entry points of ``execopt.__all__`` and the main data readers: None,
strings, nested (ragged) lists, booleans where a number or a count belongs, arrays of the wrong
length or dimension, complex numbers, mappings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import execopt as eo
import execopt.data as data
from execopt.errors import DataError, ExecoptError, InputError

Q = eo.QuadraticImpact(0.024, 0.0012)
P10 = eo.ExecutionProblem(1000, Q, periods=10)
RAGGED = [[1.0, 2.0], [3.0]]

#: (id, call, argument named in the message)
CASES: list[tuple[str, Callable[[], Any], str]] = [
    # the model seam and the transient kernels
    ("fee-str", lambda: eo.PerShareFee("abc"), "fee"),
    ("fee-None", lambda: eo.PerShareFee(None), "fee"),
    ("sum-str", lambda: eo.SumImpact("abc"), "SumImpact"),
    ("sum-empty", lambda: eo.SumImpact(()), "SumImpact"),
    ("model_from_dict-str", lambda: eo.model_from_dict("quadratic"), "model"),
    ("model_from_dict-unknown", lambda: eo.model_from_dict({"model": "cubic"}), "model"),
    ("model_from_dict-bad-value", lambda: eo.model_from_dict({"model": "quadratic", "a": "x", "b": 1}), "quadratic.a"),
    ("register_model-no-kind", lambda: eo.register_model(type("M", (eo.ImpactModel,), {})), "kind"),
    ("exponential-str", lambda: eo.ExponentialKernel("x", 3.0), "strength"),
    ("exponential-bool", lambda: eo.ExponentialKernel(True, 3.0), "strength"),
    ("exponential-half-life-0", lambda: eo.ExponentialKernel(1e-5, 0.0), "half_life"),
    ("powerlaw-beta-None", lambda: eo.PowerLawKernel(1e-5, None), "beta"),
    ("tabulated-str", lambda: eo.TabulatedKernel("abc"), "values"),
    ("tabulated-2d", lambda: eo.TabulatedKernel([[1.0], [2.0]]), "values"),
    ("kernel_from_dict-unknown", lambda: eo.kernel_from_dict({"kernel": "box"}), "kernel"),
    ("kernel_from_dict-list", lambda: eo.kernel_from_dict([1, 2]), "kernel"),
    ("basket-problems-str", lambda: eo.Basket(problems="abc", sides=["buy"]), "problems"),
    ("basket-sides-bool", lambda: eo.Basket(problems=[P10], sides=[True]), "side"),
    ("basket-cov-str", lambda: eo.Basket(problems=[P10], sides=["buy"], covariance="x"), "covariance"),
    ("factorcov-str", lambda: eo.FactorCovariance("F", [1.0]), "F"),
    ("propagator-kernel", lambda: eo.PropagatorFit(kernel="box").fit(data.synthetic_book("FROG", periods=60)), "kernel"),
    ("propagator-book", lambda: eo.PropagatorFit().fit("abc"), "book"),
    # ExecutionProblem
    ("problem-shares-None", lambda: eo.ExecutionProblem(None, Q, periods=10), "shares"),
    ("problem-shares-str", lambda: eo.ExecutionProblem("abc", Q, periods=10), "shares"),
    ("problem-shares-list", lambda: eo.ExecutionProblem([1, 2], Q, periods=10), "shares"),
    ("problem-shares-bool", lambda: eo.ExecutionProblem(True, Q, periods=10), "shares"),
    ("problem-shares-complex", lambda: eo.ExecutionProblem(1j, Q, periods=10), "shares"),
    ("problem-periods-bool", lambda: eo.ExecutionProblem(10, Q, periods=True), "periods"),
    ("problem-periods-str", lambda: eo.ExecutionProblem(10, Q, periods="5"), "periods"),
    ("problem-periods-None", lambda: eo.ExecutionProblem(10, Q, periods=None), "periods"),
    ("problem-periods-huge", lambda: eo.ExecutionProblem(10, Q, periods=10**12), "periods"),
    ("problem-impact-None", lambda: eo.ExecutionProblem(10, None, periods=5), "impact"),
    ("problem-impact-str", lambda: eo.ExecutionProblem(10, "quadratic", periods=5), "impact"),
    ("problem-cap-str", lambda: eo.ExecutionProblem(10, Q, periods=5, cap="abc"), "cap"),
    ("problem-cap-bool", lambda: eo.ExecutionProblem(10, Q, periods=5, cap=True), "cap"),
    ("problem-cap-ragged", lambda: eo.ExecutionProblem(10, Q, periods=2, cap=RAGGED), "cap"),
    ("problem-cap-dict", lambda: eo.ExecutionProblem(10, Q, periods=2, cap={}), "cap"),
    ("problem-cap-length", lambda: eo.ExecutionProblem(10, Q, periods=4, cap=[1, 2]), "cap"),
    ("problem-cap-None-inside", lambda: eo.ExecutionProblem(1, Q, periods=2, cap=[1, None]), "cap"),
    ("problem-risk-str", lambda: eo.ExecutionProblem(10, Q, 5, risk_aversion="x"), "risk_aversion"),
    ("problem-risk-None", lambda: eo.ExecutionProblem(10, Q, 5, risk_aversion=None), "risk_aversion"),
    ("problem-vol-str", lambda: eo.ExecutionProblem(10, Q, 5, volatility="x"), "volatility"),
    ("problem-vol-length", lambda: eo.ExecutionProblem(10, Q, 5, volatility=[1, 2]), "volatility"),
    ("problem-var-limit-str", lambda: eo.ExecutionProblem(10, Q, 5, var_limit="x"), "var_limit"),
    ("problem-var-z-nan", lambda: eo.ExecutionProblem(10, Q, 5, var_limit=1.0, var_z=np.nan), "var_z"),
    # impact models
    ("quadratic-a-None", lambda: eo.QuadraticImpact(None, 0.1), "a"),
    ("quadratic-a-str", lambda: eo.QuadraticImpact("abc", 0.1), "a"),
    ("quadratic-a-bool", lambda: eo.QuadraticImpact(True, 0.1), "a"),
    ("quadratic-a-ragged", lambda: eo.QuadraticImpact(RAGGED, 0.1), "a"),
    ("quadratic-b-complex", lambda: eo.QuadraticImpact(0.1, 1j), "b"),
    ("quadratic-b-dict", lambda: eo.QuadraticImpact(0.1, {"b": 1}), "b"),
    ("quadratic-lengths", lambda: eo.QuadraticImpact([0.1, 0.2], [0.1, 0.2, 0.3]), "lengths"),
    ("power-gamma-None", lambda: eo.PowerLawImpact(None, 0.5), "gamma"),
    ("power-delta-str", lambda: eo.PowerLawImpact(0.1, "x"), "delta"),
    ("power-basis-None", lambda: eo.PowerLawImpact(0.1, 0.5, basis=None), "basis"),
    ("piecewise-slopes-None", lambda: eo.PiecewiseLinearImpact(None, [1]), "slopes"),
    ("piecewise-widths-str", lambda: eo.PiecewiseLinearImpact([0.1], "x"), "widths"),
    ("piecewise-ragged", lambda: eo.PiecewiseLinearImpact(RAGGED, RAGGED), "slopes"),
    # solve
    ("solve-problem-None", lambda: eo.solve(None), "ExecutionProblem"),
    ("solve-method-None", lambda: eo.solve(P10, None), "method"),
    ("solve-method-list", lambda: eo.solve(P10, ["exact"]), "method"),
    ("solve-option-unknown", lambda: eo.solve(P10, "exact", seed=1), "option"),
    ("solve-de-time-nan", lambda: eo.solve(P10, "de", time_limit=np.nan), "time_limit"),
    ("solve-de-time-str", lambda: eo.solve(P10, "de", time_limit="10"), "time_limit"),
    ("solve-de-seed-negative", lambda: eo.solve(P10, "de", seed=-1), "seed"),
    ("solve-de-seed-float", lambda: eo.solve(P10, "de", seed=1.5), "seed"),
    ("solve-de-maxiter-bool", lambda: eo.solve(P10, "de", maxiter=True), "maxiter"),
    ("solve-de-popsize-zero", lambda: eo.solve(P10, "de", popsize=0), "popsize"),
    ("solve-slsqp-maxiter-str", lambda: eo.solve(P10, "slsqp", maxiter="x"), "maxiter"),
    ("solve-conic-warm-str", lambda: eo.solve(P10, "osqp", warm_start="yes"), "warm_start"),
    # certify
    ("certify-str", lambda: eo.certify(P10, "abc"), "schedule"),
    ("certify-None", lambda: eo.certify(P10, None), "schedule"),
    ("certify-ragged", lambda: eo.certify(P10, RAGGED), "schedule"),
    ("certify-bools", lambda: eo.certify(P10, [True] * 10), "schedule"),
    ("certify-complex", lambda: eo.certify(P10, np.ones(10) * 1j), "schedule"),
    ("certify-short", lambda: eo.certify(P10, [1.0, 2.0]), "schedule"),
    ("certify-2d", lambda: eo.certify(P10, np.ones((2, 10))), "schedule"),
    ("certify-problem-None", lambda: eo.certify(None, np.ones(10)), "problem"),
    ("certify-optimum-str", lambda: eo.certify(P10, np.full(10, 100.0), optimum="x"), "optimum"),
    # solve_batch
    ("batch-cap-misshaped", lambda: eo.solve_batch([1, 2], Q, cap=[1, 2, 3], periods=10), "cap"),
    ("batch-cap-3d", lambda: eo.solve_batch([1, 2], Q, cap=np.ones((2, 2, 10)), periods=10), "cap"),
    ("batch-cap-str", lambda: eo.solve_batch([1, 2], Q, cap="x", periods=10), "cap"),
    ("batch-shares-None", lambda: eo.solve_batch(None, Q, periods=10), "shares"),
    ("batch-shares-str", lambda: eo.solve_batch("abc", Q, periods=10), "shares"),
    ("batch-shares-ragged", lambda: eo.solve_batch(RAGGED, Q, periods=10), "shares"),
    ("batch-impact-None", lambda: eo.solve_batch([1], None, periods=10), "impact"),
    ("batch-periods-bool", lambda: eo.solve_batch([1], Q, periods=True), "periods"),
    ("batch-periods-float", lambda: eo.solve_batch([1], Q, periods=2.5), "periods"),
    ("batch-periods-negative", lambda: eo.solve_batch([1], Q, periods=-3), "periods"),
    # presets
    ("preset-None", lambda: eo.presets.quadratic(None), "stock"),
    ("preset-int", lambda: eo.presets.power(5), "stock"),
    # data readers
    ("read_mbp10-None", lambda: data.read_mbp10(None), "path"),
    ("read_mbp10-int", lambda: data.read_mbp10(5), "path"),
    ("read_mbp10-list-None", lambda: data.read_mbp10([None]), "path[0]"),
    ("read_lobster-None", lambda: data.read_lobster(None), "orderbook"),
    ("read_lobster-messages-int", lambda: data.read_lobster("book.csv", 3), "messages"),
    ("read_dbn-None", lambda: data.read_dbn(None), "path"),
    ("read_book-None", lambda: data.read_book(None), "path"),
    ("read_book-dict", lambda: data.read_book({"a": 1}), "path"),
    ("detect_format-None", lambda: data.detect_format(None), "path"),
    ("synthetic-seed-str", lambda: data.synthetic_book("FROG", seed="x"), "seed"),
    ("synthetic-seed-negative", lambda: data.synthetic_book("FROG", seed=-1), "seed"),
    ("synthetic-periods-bool", lambda: data.synthetic_book("FROG", periods=True), "periods"),
    ("intraday_shape-bool", lambda: data.intraday_shape(True, 1.0), "n"),
    ("read_mbp10-symbol-int", lambda: data.read_mbp10("x.csv", symbol=5), "symbol"),
    ("read_lobster-levels-str", lambda: data.read_lobster("book.csv", levels="x"), "levels"),
    ("read_lobster-date-int", lambda: data.read_lobster("book.csv", date=5), "date"),
    ("read_lobster-tz-unknown", lambda: data.read_lobster("book.csv", tz="Mars/Base"), "tz"),
    ("read_book-unknown-option", lambda: data.read_book("x.csv", nonsense=1), "nonsense"),
    ("synthetic-date-None", lambda: data.synthetic_book("FROG", date=None), "date"),
    ("synthetic-date-bad", lambda: data.synthetic_book("FROG", date="2025-13-01"), "date"),
    ("synthetic-events-str", lambda: data.synthetic_book("FROG", events_per_minute="x"), "events_per_minute"),
    ("synthetic-tz-unknown", lambda: data.synthetic_book("FROG", tz="Mars/Base"), "tz"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "name"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_wrong_type_or_shape_is_a_typed_error_naming_the_argument(
    call: Callable[[], Any], name: str
) -> None:
    with pytest.raises(ExecoptError) as info:
        call()
    assert isinstance(info.value, (InputError, DataError)), type(info.value)
    assert name in str(info.value), str(info.value)


def test_every_public_entry_point_is_covered() -> None:
    """A new callable in execopt.__all__ needs rows in CASES (result types excepted)."""
    results = {"Certificate", "Solution", "Timings", "ImpactModel", "Kernel"}  # + abstract bases
    results |= {"BasketCertificate", "BasketSolution"}
    callables = {
        n
        for n in eo.__all__
        if callable(getattr(eo, n)) and n not in results and not n.startswith("_")
    }
    covered = {c[0].split("-")[0] for c in CASES}
    names = {
        "ExecutionProblem": "problem",
        "QuadraticImpact": "quadratic",
        "PowerLawImpact": "power",
        "PiecewiseLinearImpact": "piecewise",
        "solve": "solve",
        "solve_batch": "batch",
        "certify": "certify",
        "PerShareFee": "fee",
        "SumImpact": "sum",
        "model_from_dict": "model_from_dict",
        "register_model": "register_model",
        "ExponentialKernel": "exponential",
        "PowerLawKernel": "powerlaw",
        "TabulatedKernel": "tabulated",
        "kernel_from_dict": "kernel_from_dict",
        "PropagatorFit": "propagator",
        "Basket": "basket",
        "FactorCovariance": "factorcov",
    }
    assert callables == set(names), callables
    assert set(names.values()) <= covered


def test_valid_inputs_of_every_kind_are_still_accepted(tmp_path: Path) -> None:
    """The guards are about types: NumPy scalars, lists, Series and Paths still work."""
    import pandas as pd

    p = eo.ExecutionProblem(
        np.int64(1000), eo.QuadraticImpact(pd.Series([0.02] * 4), [1e-3] * 4), np.int32(4),
        cap=np.float32(400), volatility=[0.1] * 4,
    )  # fmt: skip
    s = eo.solve(p, "exact")
    assert eo.certify(p, list(s.schedule)).passed()
    assert eo.solve_batch(np.array([10.0, 20.0]), eo.QuadraticImpact(0.01, 0.001), cap=[5.0] * 4, periods=4).shape == (2, 4)  # fmt: skip
    with pytest.warns(eo.errors.ConvergenceWarning):  # 5 generations: honest non-convergence
        de = eo.solve(p, "de", time_limit=1, seed=np.random.default_rng(0), maxiter=5)
    assert de.schedule.shape == (4,)
    with pytest.raises(InputError, match="no such file"):
        data.read_mbp10(tmp_path / "missing.csv")  # a Path is a path
