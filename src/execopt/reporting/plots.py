"""The PNG files the command line writes with ``--plot``: tables built, figure drawn, file written.

Each function turns a command's results into the tidy tables of :mod:`execopt.reporting.tables`,
draws them with one function of :mod:`execopt.reporting.figures` (so the CLI's plots and the
reports share one style, :mod:`execopt.reporting.style`), and writes the PNG atomically (a
temporary name in the target folder, then ``os.replace``), so a killed run leaves no half file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from execopt._atomic import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    from execopt.data import BookSeries
    from execopt.execution.simulator import SimResult
    from execopt.impact.profiles import ImpactProfile
    from execopt.problem.basket import Basket
    from execopt.problem.execution_problem import ExecutionProblem
    from execopt.solvers.basket import BasketSolution
    from execopt.solvers.solution import Solution

__all__ = ["plot_backtest", "plot_basket", "plot_fit", "plot_schedules", "write_png"]


def write_png(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` as PNG, atomically (:func:`execopt._atomic.atomic_path`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi)
    return path


def plot_schedules(
    path: str | Path,
    problem: ExecutionProblem,
    solutions: Mapping[str, Solution],
    label: str = "",
) -> Path:
    """``execopt solve --plot``: every method's schedule against TWAP, and the marginal cost."""
    from execopt.reporting.figures import solver_schedules

    return write_png(solver_schedules(problem, solutions, label), path)


def plot_fit(path: str | Path, book: BookSeries, profiles: Mapping[str, ImpactProfile]) -> Path:
    """``execopt fit --plot``: per-minute parameters, and fitted vs walked cost per share."""
    from execopt.impact.bookwalk import check_side
    from execopt.reporting.figures import fit_overview
    from execopt.reporting.tables import profile_table
    from execopt.studies.day import cost_curves

    first = next(iter(profiles.values()))
    side = check_side(first.side)
    prof = profile_table(profiles, key="model")
    curves = cost_curves(book, {m: p.whole_day for m, p in profiles.items()}, side)
    return write_png(fit_overview(prof, curves, f"{book.symbol} {side}"), path, dpi=100)


def plot_backtest(path: str | Path, results: Mapping[str, SimResult]) -> Path:
    """``execopt backtest --plot``: cumulative shares filled and cost through the day."""
    from execopt.reporting.figures import backtest_fills

    first: Any = next(iter(results.values()))
    title = f"{first.symbol}: {first.side} {first.shares:,.0f} shares, policies replayed"
    fills = {name: res.fills for name, res in results.items()}
    return write_png(backtest_fills(fills, title), path, dpi=120)


def plot_basket(path: str | Path, basket: Basket, solution: BasketSolution) -> Path:
    """``execopt basket --plot``: each leg's remaining fraction and the basket's signed dollar
    inventory, the solution against TWAP.
    """
    from execopt.reporting.figures import basket_schedules
    from execopt.reporting.tables import basket_schedule_table

    plans = {solution.method: solution.schedule, "twap": basket.twap()}
    return write_png(basket_schedules(basket_schedule_table(basket, plans)), path)
