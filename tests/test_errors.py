"""Bad input is refused where it is built, with a typed error whose message says what to change.

Every case asserts the error type (a subclass of ExecoptError) and a key phrase of the message:
what was wrong and how to fix it. Nothing is clipped or dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import execopt as eo
from execopt import errors, presets
from execopt.errors import (
    ConvexityError,
    DataError,
    ExecoptError,
    InfeasibleError,
    InputError,
    NotSupportedError,
    SolverError,
)

Q = eo.QuadraticImpact
P = eo.PowerLawImpact
PW = eo.PiecewiseLinearImpact
EP = eo.ExecutionProblem

#: (id, constructor, expected error, key phrase of the message)
CASES: list[tuple[str, Callable[[], Any], type[ExecoptError], str]] = [
    # --- NaN / inf in model parameters
    ("a-nan", lambda: Q([0.01, np.nan], 1e-3), InputError, "fill or drop those periods"),
    ("a-inf", lambda: Q(np.inf, 1e-3), InputError, "every value must be finite"),
    ("b-nan", lambda: Q(0.01, [1e-3, 1e-3, np.nan]), InputError, "NaN or inf at index [2]"),
    ("b-inf", lambda: Q(0.01, -np.inf), InputError, "every value must be finite"),
    ("gamma-nan", lambda: P(np.nan, 0.67), InputError, "NaN or inf"),
    ("gamma-inf", lambda: P([0.01, np.inf], 0.67), InputError, "NaN or inf at index [1]"),
    ("delta-nan", lambda: P(0.01, np.nan), InputError, "NaN or inf"),
    ("delta-inf", lambda: P(0.01, [0.5, np.inf]), InputError, "NaN or inf"),
    ("slopes-nan", lambda: PW([0.01, np.nan], [1, 1]), InputError, "pad unused segments"),
    ("widths-nan", lambda: PW([0.01, 0.02], [1, np.nan]), InputError, "use 0 to pad"),
    # --- signs and ranges
    ("a-negative", lambda: Q(-0.01, 1e-3), InputError, "must be >= 0"),
    (
        "b-negative",
        lambda: Q(0.01, [1e-3, -1e-4]),
        InputError,
        "b (dollars per share^2) must be >= 0",
    ),
    ("gamma-zero", lambda: P(0.0, 0.67), InputError, "gamma must be > 0"),
    ("gamma-negative", lambda: P([0.01, -0.01], 0.67), InputError, "gamma must be > 0"),
    ("delta-negative", lambda: P(0.01, -0.1), InputError, "delta must be >= 0"),
    ("delta-zero-total", lambda: P(0.01, 0.0, basis="total"), InputError, "delta must be > 0"),
    (
        "basis-unknown",
        lambda: P(0.01, 0.5, basis="perShare"),
        InputError,
        "basis must be 'per_share' or 'total'",
    ),  # type: ignore[arg-type]
    ("widths-negative", lambda: PW([0.01, 0.02], [1, -1]), InputError, "widths must be >= 0"),
    (
        "widths-inf-not-last",
        lambda: PW([0.01, 0.02], [np.inf, 1]),
        InputError,
        "only the last segment",
    ),
    # --- convexity of a book
    (
        "slopes-decreasing",
        lambda: PW([0.02, 0.01], [10, 10]),
        ConvexityError,
        "sort the levels by price",
    ),
    (
        "slopes-decreasing-2d",
        lambda: PW([[0.01, 0.02], [0.03, 0.01]], [[1, 1], [1, 1]]),
        ConvexityError,
        "non-decreasing",
    ),
    # --- shapes
    ("a-b-lengths", lambda: Q(np.zeros(3), np.ones(4)), InputError, "different lengths [3, 4]"),
    ("a-3d", lambda: Q(np.zeros((2, 2, 2)), 1e-3), InputError, "1-D array of length N"),
    ("a-empty", lambda: Q([], 1e-3), InputError, "give a scalar or one value per period"),
    ("piecewise-shapes", lambda: PW([0.01, 0.02], [1, 2, 3]), InputError, "same shape"),
    (
        "params-length-vs-periods",
        lambda: EP(10, Q(np.zeros(5), 1e-3), periods=6),
        InputError,
        "give one value per period",
    ),
    (
        "gamma-length-vs-periods",
        lambda: EP(10, P(np.ones(3) * 0.01, 0.5), periods=4),
        InputError,
        "N = 4 periods",
    ),
    (
        "delta-length-vs-periods",
        lambda: EP(10, P(0.01, [0.5, 0.6]), periods=3),
        InputError,
        "length 2",
    ),
    (
        "book-length-vs-periods",
        lambda: EP(10, PW(np.zeros((3, 2)), np.ones((3, 2))), periods=4),
        InputError,
        "length 3",
    ),
    (
        "2d-params-in-a-problem",
        lambda: EP(10, Q(np.zeros((3, 4)), 1e-3), periods=4),
        InputError,
        "use solve_batch for many orders",
    ),
    (
        "cap-length",
        lambda: EP(10, Q(0.01, 1e-3), periods=4, cap=[1, 2, 3]),
        InputError,
        "array of length N = 4",
    ),
    (
        "cap-2d",
        lambda: EP(10, Q(0.01, 1e-3), periods=2, cap=[[5, 5]]),
        InputError,
        "array of length N = 2",
    ),
    # --- the problem's own numbers
    (
        "shares-negative",
        lambda: EP(-5, Q(0.01, 1e-3), periods=4),
        InputError,
        "give the size as a positive number",
    ),
    ("shares-nan", lambda: EP(np.nan, Q(0.01, 1e-3), periods=4), InputError, "finite number >= 0"),
    ("shares-inf", lambda: EP(np.inf, Q(0.01, 1e-3), periods=4), InputError, "finite number >= 0"),
    (
        "cap-nan",
        lambda: EP(10, Q(0.01, 1e-3), periods=2, cap=[np.nan, 20]),
        InputError,
        "use inf for no cap",
    ),
    (
        "cap-negative-inf",
        lambda: EP(10, Q(0.01, 1e-3), periods=2, cap=-np.inf),
        InputError,
        "cap must be >= 0",
    ),
    (
        "cap-negative",
        lambda: EP(10, Q(0.01, 1e-3), periods=2, cap=[5, -1]),
        InputError,
        "cap must be >= 0",
    ),
    ("periods-zero", lambda: EP(10, Q(0.01, 1e-3), periods=0), InputError, "integer >= 1"),
    ("periods-float", lambda: EP(10, Q(0.01, 1e-3), periods=3.5), InputError, "integer >= 1"),  # type: ignore[arg-type]
    (
        "impact-not-a-model",
        lambda: EP(10, "quadratic", periods=3),
        InputError,
        "must be an ImpactModel",
    ),  # type: ignore[arg-type]
    (
        "risk-negative",
        lambda: EP(10, Q(0.01, 1e-3), periods=3, risk_aversion=-1),
        InputError,
        "finite and >= 0",
    ),
    (
        "volatility-nan",
        lambda: EP(10, Q(0.01, 1e-3), periods=3, volatility=np.nan),
        InputError,
        "finite and >= 0",
    ),
    (
        "volatility-length",
        lambda: EP(10, Q(0.01, 1e-3), periods=3, volatility=[0.1, 0.2]),
        InputError,
        "length N = 3",
    ),
    (
        "var-limit-zero",
        lambda: EP(10, Q(0.01, 1e-3), periods=3, var_limit=0.0),
        InputError,
        "positive number of dollars",
    ),
    # --- infeasibility
    (
        "shares-over-caps",
        lambda: EP(101, Q(0.01, 1e-3), periods=4, cap=25),
        InfeasibleError,
        "raise the caps, add periods, or trade fewer shares",
    ),
    (
        "shares-over-depth",
        lambda: EP(31, PW([0.01], [10]), periods=3),
        InfeasibleError,
        "visible depth counts as a cap",
    ),
    # --- presets
    (
        "preset-unknown",
        lambda: presets.quadratic("AAPL"),
        InputError,
        "choose one of CRWV, FROG, SOUN",
    ),
    ("preset-power-unknown", lambda: presets.power("CRWV"), InputError, "SOUN (buy) only"),
    # --- solve_batch
    (
        "batch-negative-shares",
        lambda: eo.solve_batch([-1.0], Q(0.01, 1e-3), periods=3),
        InputError,
        "finite order sizes >= 0",
    ),
    (
        "batch-periods-mismatch",
        lambda: eo.solve_batch([1.0], Q(np.ones(3), 1e-3), periods=4),
        InputError,
        "N = 3 periods",
    ),
    (
        "batch-cap-nan",
        lambda: eo.solve_batch([1.0], Q(0.01, 1e-3), cap=np.nan, periods=3),
        InputError,
        "not NaN",
    ),
]


@pytest.mark.parametrize(
    ("build", "error", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises_a_typed_error_saying_what_to_change(
    build: Callable[[], Any], error: type[ExecoptError], phrase: str
) -> None:
    with pytest.raises(error) as info:
        build()
    assert isinstance(info.value, ExecoptError)
    assert phrase in str(info.value), str(info.value)


def test_infinite_caps_mean_no_cap() -> None:
    """+inf is a valid cap (documented: 'use inf for no cap'), not bad input."""
    p = EP(10, Q(0.01, 1e-3), periods=2, cap=[np.inf, 4.0])
    assert eo.solve(p).schedule[1] <= 4.0


def test_shares_exactly_the_sum_of_caps_is_feasible() -> None:
    p = EP(100.0, Q(0.01, 1e-3), periods=4, cap=25.0)
    np.testing.assert_allclose(eo.solve(p).schedule, 25.0)


def test_the_concave_reading_is_a_convexity_error_for_convex_solvers() -> None:
    p = EP(10, P(0.01, 0.67, basis="total"), periods=3)
    with pytest.raises(ConvexityError, match="concave") as info:
        eo.solve(p, "clarabel")
    assert "basis='per_share'" in str(info.value)


@pytest.mark.parametrize(
    "error",
    [InputError, ConvexityError, InfeasibleError, DataError, SolverError, NotSupportedError],
)
def test_every_error_is_an_execopt_error(error: type[Exception]) -> None:
    assert issubclass(error, ExecoptError)


def test_error_hierarchy_matches_python_conventions() -> None:
    """Callers can catch the standard base classes too."""
    assert issubclass(InputError, ValueError)
    assert issubclass(ConvexityError, InputError) and issubclass(InfeasibleError, InputError)
    assert issubclass(DataError, ValueError)
    assert issubclass(SolverError, RuntimeError)
    assert issubclass(NotSupportedError, NotImplementedError)
    assert issubclass(errors.ConvergenceWarning, errors.ExecoptWarning)
    assert issubclass(errors.ExecoptWarning, UserWarning)
    assert set(errors.__all__) >= {"ExecoptError", "InputError", "ConvexityError"}
