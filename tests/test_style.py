"""One plot style: fixed colours per method, titles with S, N and the cap, no offset tick labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import execopt as eo
from execopt.reporting import figures, style
from execopt.reporting.plots import plot_schedules


def test_colour_is_fixed_per_method_and_policy() -> None:
    assert style.colour("clarabel") == style.COLOURS["clarabel"]
    assert style.colour("Oracle (book walk)") == style.COLOURS["oracle"]
    assert style.colour("quadratic fit") == style.COLOURS["quadratic"]
    assert style.colour("something new") == style.colour("something new")
    methods = ("exact", "clarabel", "osqp", "scs", "slsqp", "de")
    assert len({style.colour(m) for m in methods}) == len(methods)


def test_problem_title_names_S_N_and_cap() -> None:
    t = style.problem_title("FROG", S=10_000, N=390, cap=1000.0)
    assert t == "FROG: S = 10,000 shares, N = 390 periods, cap 1,000 shares/period"
    assert style.problem_title("x", S=1, N=2, cap=None).endswith("no cap")
    assert "caps 5-9" in style.problem_title("x", cap=np.array([5.0, 9.0]))


def test_solver_figure_has_no_offset_and_a_full_title(tmp_path: Path) -> None:
    # a nearly flat schedule used to get offset tick labels like 1e-13+6.415384615e-2
    impact = eo.QuadraticImpact(a=0.024, b=0.0012)
    p = eo.ExecutionProblem(shares=25.02, impact=impact, periods=390, cap=1000.0)
    sols = {m: eo.solve(p, method=m) for m in ("exact", "osqp")}
    fig = figures.solver_schedules(p, sols, "CRWV quadratic")
    fig.canvas.draw()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            assert axis.get_major_formatter().get_offset() == ""
    title = fig.axes[0].get_title()
    assert "S = 25 shares" in title and "N = 390 periods" in title and "cap 1,000" in title
    lines = {ln.get_label(): ln.get_color() for ln in fig.axes[0].get_lines()}
    assert lines["osqp"] == style.COLOURS["osqp"]
    # a cap far above the schedule is named in the title, not drawn
    assert "cap u_t" not in lines
    png = plot_schedules(tmp_path / "sub" / "x.png", p, sols, "CRWV")
    assert png.stat().st_size > 10_000
    assert [f.name for f in png.parent.iterdir()] == ["x.png"]


@pytest.mark.parametrize("cap", [30.0, None])
def test_binding_cap_is_drawn(cap: float | None) -> None:
    t = np.arange(390)
    impact = eo.QuadraticImpact(a=0.02 * (1 + (2 * t / 389 - 1) ** 2), b=0.001)
    p = eo.ExecutionProblem(shares=10_000, impact=impact, periods=390, cap=cap)
    fig = figures.solver_schedules(p, {"exact": eo.solve(p)}, "U-shaped")
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert ("cap u_t" in labels) == (cap is not None)
    assert "saves $" in fig.axes[0].get_title()
