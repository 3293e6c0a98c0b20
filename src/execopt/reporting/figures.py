"""Report figures: one function per figure, each taking tidy tables and returning a Figure.

Every function builds a :class:`matplotlib.figure.Figure` directly: no pyplot, no global backend
switch (saving renders with the Agg canvas, and nothing depends on a display) from the tables the studies return or the ones
:mod:`execopt.reporting.tables` builds; notebooks display the figure and save it with
:func:`execopt.reporting.artifacts.save_figure`. No function computes anything a reader would
need to check: the numbers are in the tables, the figures only draw them.

Glossary: ``S`` shares, ``N`` periods, ``x`` shares per period, ``a`` dollars per share, ``b``
dollars per share squared, ``lam`` the marginal cost of the last share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from execopt.reporting.style import TWAP_LABEL, colour, new_figure, problem_title

if TYPE_CHECKING:  # pragma: no cover
    from execopt.problem.execution_problem import ExecutionProblem
    from execopt.solvers.solution import Solution

__all__ = [
    "audit_reductions",
    "backtest_fills",
    "basket_episodes",
    "basket_frontier",
    "basket_schedules",
    "cost_curves",
    "cumulative_cost",
    "envelope_check",
    "fit_overview",
    "garch_volatility",
    "impact_profile",
    "leaderboard_chart",
    "mandate_costs",
    "marginal_check",
    "markout_curves",
    "mc_distribution",
    "mc_schedule",
    "oracle_capture",
    "risk_frontier",
    "saving_intervals",
    "schedule_costs",
    "sensitivity_sweeps",
    "shortfall_distributions",
    "shortfall_parts",
    "solver_gaps",
    "solver_scaling",
    "solver_schedules",
    "solver_time_split",
    "stress_costs",
    "validation_summary",
]

_TIME_PARTS = ("t_build", "t_compile", "t_solve", "t_certify")


def _fig(
    nrows: int = 1, ncols: int = 1, w: float = 8.0, h: float = 4.0, **subplots: Any
) -> tuple[Figure, np.ndarray]:
    return new_figure(nrows, ncols, w, h, **subplots)


# ----------------------------------------------------------------------- 01 impact fitting
def impact_profile(profile: pd.DataFrame) -> Figure:
    """Per-minute parameters through the day, whole-day value dashed.

    ``profile`` columns: ``hour`` (local time, hours), ``parameter`` (e.g. ``a``, ``b``),
    ``value``, ``whole_day``; optional ``side``.
    """
    params = list(dict.fromkeys(profile["parameter"]))
    fig, axes = _fig(len(params), 1, 9.0, 2.6 * len(params))
    sides = list(dict.fromkeys(profile["side"])) if "side" in profile else [None]
    for ax, p in zip(axes, params, strict=True):
        for side in sides:
            d = profile[(profile["parameter"] == p) & ((profile["side"] == side) if side else True)]
            line = ax.plot(d["hour"], d["value"], lw=1.3, label=f"{p}_t {side or ''}".strip())
            ax.axhline(
                float(d["whole_day"].iloc[0]),
                color=line[0].get_color(),
                ls="--",
                lw=0.9,
                label=f"whole day {side or ''}".strip(),
            )
        ax.set_ylabel(p)
        ax.legend(fontsize="small", loc="best")
    axes[0].set_title("per-minute impact parameters (rolling fit)")
    axes[-1].set_xlabel("local time (hours)")
    return fig


def _cost_curves_on(ax: Any, curves: pd.DataFrame) -> None:
    for name, d in curves.groupby("series", sort=False):
        if "low" in d and d["low"].notna().any():
            ax.fill_between(
                d["x"], d["low"], d["high"], color="grey", alpha=0.25, label=f"{name}, 10-90 %"
            )
            ax.plot(d["x"], d["per_share"], color="black", lw=1.8, label=f"{name}, median")
        else:
            ax.plot(d["x"], d["per_share"], color=colour(str(name)), lw=1.4, label=str(name))
    ax.set_xscale("log")
    ax.set_xlabel("order size x (shares)")
    ax.set_ylabel("slippage c(x)/x ($/share)")
    ax.legend(fontsize="small")


def cost_curves(curves: pd.DataFrame) -> Figure:
    """Per-share slippage ``c(x)/x``: walked books (median, 10-90 % band) vs fitted models.

    ``curves`` columns: ``x``, ``series``, ``per_share``, and optional ``low``/``high``
    (the band, drawn for the series that have it).
    """
    fig, axes = _fig(1, 1, 8.0, 4.5)
    _cost_curves_on(axes[0], curves)
    axes[0].set_title("fitted vs walked cost per share")
    return fig


def schedule_costs(costs: pd.DataFrame) -> Figure:
    """Walked cost (bp of notional) of each schedule, grouped by order size.

    ``costs`` columns: ``S``, ``schedule``, ``cost_bps``.
    """
    fig, axes = _fig(1, 1, 8.0, 4.0)
    ax = axes[0]
    piv = costs.pivot(index="S", columns="schedule", values="cost_bps")
    width = 0.8 / max(len(piv.columns), 1)
    pos = np.arange(len(piv.index))
    for i, col in enumerate(piv.columns):
        ax.bar(pos + i * width, piv[col], width, color=colour(str(col)), label=str(col))
    ax.set_xticks(pos + 0.4 - width / 2, [f"{int(s):,}" for s in piv.index])
    ax.set_xlabel("order size S (shares)")
    ax.set_ylabel("cost walked against the book (bp)")
    ax.set_title("schedules judged by the real book walk")
    ax.legend(fontsize="small")
    return fig


# ----------------------------------------------------------------------- 02 solvers
def solver_gaps(table: pd.DataFrame) -> Figure:
    """Relative gap to the certified optimum and KKT stationarity, per method and case.

    ``table``: the solver-comparison table (``case``, ``N``, ``method``, ``rel_gap``,
    ``stationarity``); the largest ``N`` of each case is drawn, n/a rows are omitted.
    """
    d = table[table["N"] == table.groupby("case")["N"].transform("max")]
    d = d[d["rel_gap"].notna()]
    fig, axes = _fig(1, 2, 11.0, 4.0)
    floor = 1e-17
    for ax, col, title in (
        (axes[0], "rel_gap", "relative gap to the optimum"),
        (axes[1], "stationarity", "KKT stationarity residual"),
    ):
        piv = d.pivot_table(index="method", columns="case", values=col, aggfunc="first")
        piv = piv.abs().clip(lower=floor)
        width = 0.8 / max(len(piv.columns), 1)
        pos = np.arange(len(piv.index))
        for i, case in enumerate(piv.columns):
            ax.bar(pos + i * width, piv[case], width, label=str(case))
        ax.set_yscale("log")
        ax.set_xticks(pos + 0.4 - width / 2, list(piv.index), rotation=30)
        ax.set_title(f"{title} (largest N; floor {floor:g})")
    axes[0].legend(fontsize="small")
    return fig


def solver_scaling(table: pd.DataFrame) -> Figure:
    """Total time vs ``N`` per method, one panel per case (log-log)."""
    cases = list(dict.fromkeys(table["case"]))
    fig, axes = _fig(1, len(cases), 3.6 * len(cases), 3.6)
    for ax, case in zip(axes, cases, strict=True):
        d = table[(table["case"] == case) & table["t_total"].notna()]
        for method, g in d.groupby("method", sort=False):
            ax.plot(g["N"], g["t_total"], marker="o", color=colour(str(method)), label=str(method))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(case)
        ax.set_xlabel("N (periods)")
    axes[0].set_ylabel("total time (s)")
    axes[0].legend(fontsize="small")
    return fig


def solver_time_split(table: pd.DataFrame) -> Figure:
    """Build / compile / solve / certify time per method (largest ``N``), stacked, per case."""
    d = table[table["N"] == table.groupby("case")["N"].transform("max")]
    d = d[d["t_total"].notna()]
    cases = list(dict.fromkeys(d["case"]))
    fig, axes = _fig(1, len(cases), 3.6 * len(cases), 3.8)
    for ax, case in zip(axes, cases, strict=True):
        g = d[d["case"] == case].set_index("method")
        bottom = np.zeros(len(g))
        for part in _TIME_PARTS:
            vals = g[part].fillna(0.0).to_numpy() * 1e3
            ax.bar(g.index, vals, bottom=bottom, label=part[2:])
            bottom += vals
        ax.set_yscale("symlog", linthresh=0.1)
        ax.set_title(f"{case}, N = {int(g['N'].iloc[0])}")
        ax.tick_params(axis="x", rotation=30)
    axes[0].set_ylabel("milliseconds")
    axes[0].legend(fontsize="small")
    return fig


# ----------------------------------------------------------------------- 03 sensitivity
def sensitivity_sweeps(sweeps: pd.DataFrame) -> Figure:
    """Reduction vs equal allocation and ``lam`` as each parameter is scaled by ``factor``
    (points with a zero or infinite factor, e.g. no cap or no risk aversion, are in the table
    only).
    """
    fig, axes = _fig(1, 2, 11.0, 4.0)
    for name, g in sweeps.groupby("parameter", sort=False):
        g = g[np.isfinite(g["factor"]) & (g["factor"] > 0)].sort_values("factor")
        axes[0].plot(g["factor"], g["reduction_pct"], marker="o", label=str(name))
        axes[1].plot(g["factor"], g["lam"], marker="o", label=str(name))
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("factor on the base value")
    axes[0].set_ylabel("saving vs TWAP (%)")
    axes[1].set_ylabel("lam = marginal cost of the last share ($/share)")
    axes[1].set_yscale("log")
    axes[0].legend(fontsize="small")
    return fig


def marginal_check(marginal: pd.DataFrame) -> Figure:
    """``lam`` against the finite-difference ``d opt / dS``, with the 45-degree line."""
    fig, axes = _fig(1, 1, 5.5, 5.0)
    ax = axes[0]
    for model, g in marginal.groupby("model", sort=False):
        ax.scatter(g["lam"], g["fd"], label=str(model))
    lo = float(np.nanmin(marginal[["lam", "fd"]].to_numpy()))
    hi = float(np.nanmax(marginal[["lam", "fd"]].to_numpy()))
    ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--")
    ax.set_xlabel("lam from the solver ($/share)")
    ax.set_ylabel("finite difference d opt / dS ($/share)")
    ax.set_title("the multiplier is the marginal cost")
    ax.legend(fontsize="small")
    return fig


def envelope_check(envelope: pd.DataFrame) -> Figure:
    """Relative error of envelope-theorem derivatives vs finite differences, per parameter."""
    fig, axes = _fig(1, 1, 8.0, 4.0)
    ax = axes[0]
    d = envelope.copy()
    d["label"] = d["model"].astype(str) + " " + d["parameter"].astype(str)
    for label, g in d.groupby("label", sort=False):
        ax.scatter(g["t"].astype(str), g["rel_err"].abs().clip(lower=1e-17), label=str(label))
    ax.set_yscale("log")
    ax.set_xlabel("period t")
    ax.set_ylabel("|relative error| (floor 1e-17)")
    ax.set_title("envelope derivatives d opt / d theta_t vs finite differences")
    ax.legend(fontsize="x-small", ncol=2)
    return fig


# ----------------------------------------------------------------------- 04 Monte Carlo
def mc_distribution(draws: pd.DataFrame) -> Figure:
    """Histograms: cost of each plan across draws, and the reductions vs equal allocation."""
    fig, axes = _fig(1, 2, 11.0, 4.0)
    names = {
        "cost_equal": ("TWAP", colour("twap")),
        "cost_nominal_plan": ("plan for the point estimate", colour("static")),
        "cost_optimal": ("optimum, draw known", colour("exact")),
        "reduction_optimal": ("optimum, draw known", colour("exact")),
        "reduction_nominal_plan": ("plan for the point estimate", colour("static")),
        "reduction_cross_plan": ("plan for another draw", colour("vwap")),
    }
    for col in ("cost_equal", "cost_nominal_plan", "cost_optimal"):
        if col in draws:
            label, c = names[col]
            axes[0].hist(draws[col], bins=40, alpha=0.5, color=c, label=label)
    axes[0].set_xlabel("cost ($)")
    axes[0].set_ylabel("draws")
    axes[0].set_title("cost of each plan across draws")
    axes[0].legend(fontsize="small")
    for col in ("reduction_optimal", "reduction_nominal_plan", "reduction_cross_plan"):
        if col in draws:
            label, c = names[col]
            axes[1].hist(draws[col], bins=40, alpha=0.5, color=c, label=label)
    axes[1].set_title("saving vs TWAP across draws")
    axes[1].set_xlabel("saving vs TWAP (%)")
    axes[1].legend(fontsize="small")
    return fig


def mc_schedule(schedule: pd.DataFrame) -> Figure:
    """Mean optimal schedule across draws (band: +-1 sd) and the nominal plan."""
    fig, axes = _fig(1, 1, 9.0, 3.8)
    ax = axes[0]
    t = np.arange(len(schedule))
    ax.fill_between(
        t,
        schedule["x_mean"] - schedule["x_sd"],
        schedule["x_mean"] + schedule["x_sd"],
        alpha=0.3,
        label="optimal, mean +- 1 sd over draws",
    )
    ax.plot(t, schedule["x_mean"], lw=1.2)
    ax.plot(t, schedule["x_nominal"], color="black", lw=1.0, ls="--", label="nominal plan")
    ax.set_xlabel("period t (minutes)")
    ax.set_ylabel("shares x_t")
    ax.legend(fontsize="small")
    return fig


# ----------------------------------------------------------------------- 05 stress
def stress_costs(table: pd.DataFrame) -> Figure:
    """Per scenario: cost of the nominal plan, of the re-planned optimum and of equal allocation."""
    fig, axes = _fig(1, 1, 10.0, 4.2)
    ax = axes[0]
    names = {
        "cost_replanned": ("re-planned optimum", colour("exact")),
        "cost_plan": ("nominal plan", colour("static")),
        "cost_equal": ("TWAP", colour("twap")),
    }
    cols = [c for c in names if c in table]
    pos = np.arange(len(table))
    width = 0.8 / max(len(cols), 1)
    for i, c in enumerate(cols):
        ax.bar(pos + i * width, table[c], width, color=names[c][1], label=names[c][0])
    ax.set_xticks(pos + 0.4 - width / 2, table["scenario"], rotation=30, ha="right")
    ax.set_ylabel("cost ($)")
    ax.set_title("nominal plan vs re-planned optimum under each stress")
    ax.legend(fontsize="small")
    return fig


def garch_volatility(vol: pd.DataFrame) -> Figure:
    """Conditional volatility through the day with the regime thresholds.

    ``vol`` columns: ``hour``, ``abs_return``, ``cond_vol``, ``high``, ``low`` (thresholds).
    """
    fig, axes = _fig(1, 1, 9.0, 3.8)
    ax = axes[0]
    ax.plot(vol["hour"], vol["abs_return"], color="lightgrey", lw=0.8, label="|return|")
    ax.plot(vol["hour"], vol["cond_vol"], lw=1.5, label="GARCH(1,1) conditional vol")
    ax.plot(vol["hour"], vol["high"], color="tab:red", ls="--", lw=0.9, label="high threshold")
    ax.plot(vol["hour"], vol["low"], color="tab:green", ls="--", lw=0.9, label="low threshold")
    ax.set_xlabel("local time (hours)")
    ax.set_ylabel("one-minute log return")
    ax.legend(fontsize="small")
    return fig


# ----------------------------------------------------------------------- 06 audit
def audit_reductions(reductions: pd.DataFrame) -> Figure:
    """Claimed vs re-derived reduction vs equal allocation, per stock and basis.

    ``reductions`` columns: ``label``, ``claimed``, ``rederived`` (percent).
    """
    fig, axes = _fig(1, 1, 9.0, 4.0)
    ax = axes[0]
    pos = np.arange(len(reductions))
    ax.bar(pos - 0.2, reductions["claimed"], 0.4, label="claimed by the reference document")
    ax.bar(pos + 0.2, reductions["rederived"], 0.4, label="re-derived here")
    ax.set_xticks(pos, reductions["label"], rotation=20, ha="right")
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_ylabel("saving vs TWAP (%)")
    ax.legend(fontsize="small")
    return fig


# ----------------------------------------------------------------------- 07 backtests
def cumulative_cost(fills: Mapping[str, pd.DataFrame], title: str = "") -> Figure:
    """Cumulative cost against each period's mid through the day, one line per policy.

    ``fills``: policy name -> the simulator's ``fills`` table (``period``, ``cost_vs_mid``).
    """
    fig, axes = _fig(1, 1, 9.0, 4.2)
    ax = axes[0]
    for name, f in fills.items():
        ls = "--" if name == "oracle" else "-"
        ax.plot(
            f["period"],
            f["cost_vs_mid"].fillna(0.0).cumsum(),
            ls,
            color=colour(name),
            lw=1.3,
            label=name,
        )
    ax.set_xlabel("period (minutes since the open)")
    ax.set_ylabel("cumulative cost vs mid ($)")
    ax.set_title(title or "cumulative cost by policy")
    ax.legend(fontsize="small", ncol=2)
    return fig


def oracle_capture(table: pd.DataFrame) -> Figure:
    """Share of the oracle's saving over TWAP each policy captures, per order size.

    ``table`` columns: ``S``, ``policy``, ``oracle_capture`` (fraction).
    """
    fig, axes = _fig(1, 1, 9.0, 4.0)
    ax = axes[0]
    piv = table.pivot(index="policy", columns="S", values="oracle_capture") * 100.0
    width = 0.8 / max(len(piv.columns), 1)
    pos = np.arange(len(piv.index))
    for i, s in enumerate(piv.columns):
        ax.bar(pos + i * width, piv[s], width, label=f"S = {int(s):,}")
    ax.set_xticks(pos + 0.4 - width / 2, list(piv.index))
    ax.axhline(0.0, color="black", lw=0.6)
    ax.axhline(100.0, color="grey", lw=0.6, ls="--")
    ax.set_ylabel("oracle saving captured (%)")
    ax.set_title("share of the perfect-foresight saving over TWAP")
    ax.legend(fontsize="small")
    return fig


def shortfall_distributions(rows: pd.DataFrame, order: Sequence[str] | None = None) -> Figure:
    """Distribution of each policy's implementation shortfall over the episodes (bp): a box
    per policy with the episodes as dots; beside it, the timing part alone.

    ``rows``: the episodes' table (``policy``, ``shortfall_bps``, ``timing_bps``).
    """
    names = list(order) if order is not None else list(dict.fromkeys(rows["policy"]))
    fig, axes = _fig(1, 2, 11.0, 4.2, sharey=True)
    rng = np.random.default_rng(0)  # the dots' horizontal jitter only
    for ax, col, title in (
        (axes[0], "shortfall_bps", "implementation shortfall"),
        (axes[1], "timing_bps", "of which timing (mid drift since arrival)"),
    ):
        data = [rows.loc[rows["policy"] == n, col].to_numpy(dtype=float) for n in names]
        ax.boxplot(data, showfliers=False, widths=0.5)
        for i, (n, d) in enumerate(zip(names, data, strict=True)):
            ax.plot(
                i + 1 + rng.uniform(-0.15, 0.15, d.size), d, ".", ms=2, alpha=0.35,
                color=colour(n), rasterized=True,  # thousands of dots: an image inside the SVG
            )  # fmt: skip
        ax.set_xticks(range(1, len(names) + 1), [_short(n) for n in names], rotation=20)
        ax.axhline(0.0, color="black", lw=0.6)
        ax.set_title(title)
    axes[0].set_ylabel("bp of S x arrival mid (> 0: a cost)")
    return fig


def _short(name: str) -> str:
    return "oracle (bound)" if name == "oracle" else name


def shortfall_parts(parts: pd.DataFrame) -> Figure:
    """Mean shortfall of each policy split into its parts (stacked bars, bp), the total marked.

    ``parts``: ``policy``, ``part`` (spread, impact, timing, fees, opportunity), ``bps``.
    """
    names = list(dict.fromkeys(parts["policy"]))
    order = ["spread", "impact", "timing", "fees", "opportunity"]
    colours = {"spread": "#1f77b4", "impact": "#ff7f0e", "timing": "#2ca02c",
               "fees": "#9467bd", "opportunity": "#8c564b"}  # fmt: skip
    piv = parts.pivot(index="policy", columns="part", values="bps").reindex(names)
    fig, axes = _fig(1, 1, 9.0, 4.2)
    ax = axes[0]
    pos = np.arange(len(names))
    up = np.zeros(len(names))
    down = np.zeros(len(names))
    for part in order:
        v = piv[part].to_numpy(dtype=float) if part in piv else np.zeros(len(names))
        base = np.where(v >= 0, up, down)
        ax.bar(pos, v, 0.6, bottom=base, color=colours[part], label=part)
        up = np.where(v >= 0, up + v, up)
        down = np.where(v < 0, down + v, down)
    total = piv[order].sum(axis=1).to_numpy(dtype=float)
    ax.plot(pos, total, "k_", ms=22, mew=2, label="total (mean shortfall)")
    ax.set_xticks(pos, [_short(n) for n in names], rotation=20)
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_ylabel("mean over the episodes (bp of S x arrival mid)")
    ax.set_title("where the shortfall goes: spread, impact, timing, fees, opportunity")
    ax.legend(fontsize="small", ncol=3)
    return fig


def risk_frontier(frontier: pd.DataFrame) -> Figure:
    """Mean against standard deviation of the shortfall over the episodes, one point per
    policy; Almgren–Chriss over its urgencies as a line; the oracle (an impact-only bound) as
    a hollow marker; efficient points ringed.

    ``frontier``: ``policy``, ``kind`` (policy, ac, bound), ``mean_bps``, ``sd_bps``,
    ``efficient``.
    """
    fig, axes = _fig(1, 1, 8.0, 5.0)
    ax = axes[0]
    ac = frontier[frontier["kind"] == "ac"].sort_values("sd_bps")
    if len(ac):
        ax.plot(ac["sd_bps"], ac["mean_bps"], "-o", color=colour("ac"), ms=4,
                label="Almgren-Chriss over urgency")  # fmt: skip
        for _, r in ac.iterrows():
            ax.annotate(str(r["policy"]).replace("ac(", "").rstrip(")"),
                        (r["sd_bps"], r["mean_bps"]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")  # fmt: skip
    for _, r in frontier[frontier["kind"] != "ac"].iterrows():
        bound = r["kind"] == "bound"
        ax.plot(
            r["sd_bps"], r["mean_bps"], "o", ms=8, color=colour(str(r["policy"])),
            mfc="none" if bound else colour(str(r["policy"])),
            label=f"{r['policy']} (impact-only bound)" if bound else str(r["policy"]),
        )  # fmt: skip
    eff = frontier[frontier["efficient"]]
    ax.plot(eff["sd_bps"], eff["mean_bps"], "o", ms=13, mfc="none", mec="black", mew=0.8,
            label="efficient")  # fmt: skip
    ax.set_xlabel("standard deviation of the shortfall (bp)")
    ax.set_ylabel("mean shortfall (bp)")
    ax.set_title("risk and cost over the episodes (lower left is better)")
    ax.legend(fontsize="small")
    return fig


def markout_curves(markouts: pd.DataFrame) -> Figure:
    """Mean mark-out of each policy's fills against the horizon (bp of the fill price; > 0:
    the price moved past the fills in the order's favour).

    ``markouts``: ``policy``, ``horizon`` (minutes), ``bps``.
    """
    fig, axes = _fig(1, 1, 8.0, 4.0)
    ax = axes[0]
    for name, g in markouts.groupby("policy", sort=False):
        ax.plot(g["horizon"], g["bps"], "-o", color=colour(str(name)), label=_short(str(name)),
                ms=4)  # fmt: skip
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_xscale("log")
    ax.set_xticks(sorted(markouts["horizon"].unique()),
                  [f"+{h} min" for h in sorted(markouts["horizon"].unique())])  # fmt: skip
    ax.set_xlabel("minutes after the fill")
    ax.set_ylabel("mark-out (bp of the fill price)")
    ax.set_title("mark-outs of the fills")
    ax.legend(fontsize="small")
    return fig


def saving_intervals(table: pd.DataFrame) -> Figure:
    """Each policy's mean saving against TWAP with its 95 % interval (block bootstrap over
    start times; days too when given), and the Sharpe ratio of the saving with its interval.

    ``table``: :func:`~execopt.reporting.tables.tca_table` rows (``policy``, ``saving_bps``,
    ``saving_lo_bps``, ``saving_hi_bps``, ``saving_days_lo_bps``, ``saving_days_hi_bps``,
    ``sharpe``, ``sharpe_lo``, ``sharpe_hi``).
    """
    t = table[np.isfinite(table["saving_bps"].to_numpy(dtype=float))]
    fig, axes = _fig(1, 2, 11.0, 4.0)
    pos = np.arange(len(t))
    for ax, (m, lo, hi, label) in zip(
        axes,
        (("saving_bps", "saving_lo_bps", "saving_hi_bps", "saving vs TWAP (bp)"),
         ("sharpe", "sharpe_lo", "sharpe_hi", "Sharpe ratio of the saving (per episode)")),
        strict=True,
    ):  # fmt: skip
        v = t[m].to_numpy(dtype=float)
        err = np.vstack([v - t[lo].to_numpy(dtype=float), t[hi].to_numpy(dtype=float) - v])
        ax.errorbar(pos, v, yerr=np.nan_to_num(err), fmt="o", color="black", capsize=4,
                    label="block bootstrap, 95 %")  # fmt: skip
        if m == "saving_bps" and np.isfinite(t["saving_days_lo_bps"].to_numpy(dtype=float)).any():
            dl = t["saving_days_lo_bps"].to_numpy(dtype=float)
            dh = t["saving_days_hi_bps"].to_numpy(dtype=float)
            ax.errorbar(pos + 0.15, v, yerr=np.nan_to_num(np.vstack([v - dl, dh - v])), fmt="s",
                        color="grey", capsize=4, label="days resampled, 95 %")  # fmt: skip
        ax.axhline(0.0, color="black", lw=0.6)
        ax.set_xticks(pos, [str(p).replace(" (impact-only bound)", " (bound)")
                            for p in t["policy"]], rotation=20)  # fmt: skip
        ax.set_title(label)
        ax.legend(fontsize="small")
    return fig


def validation_summary(runs: pd.DataFrame) -> Figure:
    """Self-validation on the reference suite: relative gap to the certified optimum per run.

    ``runs`` columns: ``method``, ``status`` (``pass``/``fail``/``n/a``), ``rel_gap``. Each
    dot is one instance; the dashed line is the pass tolerance 1e-6; n/a runs are not drawn.
    """
    fig, axes = _fig(1, 1, 8.0, 4.0)
    ax = axes[0]
    methods = list(dict.fromkeys(runs["method"]))
    for i, m in enumerate(methods):
        d = runs[(runs["method"] == m) & (runs["status"] != "n/a")]
        gap = np.maximum(np.abs(d["rel_gap"].to_numpy(dtype=float)), 1e-17)
        ok = (d["status"] == "pass").to_numpy()
        jitter = np.linspace(-0.2, 0.2, max(len(gap), 1))[: len(gap)]
        ax.scatter(
            i + jitter[ok], gap[ok], s=12, color="tab:green", label="pass" if i == 0 else None
        )
        ax.scatter(
            i + jitter[~ok],
            gap[~ok],
            s=16,
            color="tab:red",
            marker="x",
            label="fail" if i == 0 else None,
        )
    ax.axhline(1e-6, color="grey", ls="--", lw=0.9, label="tolerance 1e-6")
    ax.set_yscale("log")
    ax.set_xticks(range(len(methods)), methods)
    ax.set_ylabel("|relative gap| to the certified optimum")
    ax.set_title("self-validation on the reference suite (gaps below 1e-17 drawn at 1e-17)")
    ax.legend(fontsize="small")
    return fig


# ----------------------------------------------------------------------- the CLI's --plot files
def solver_schedules(
    problem: ExecutionProblem, solutions: Mapping[str, Solution], label: str = ""
) -> Figure:
    """Every method's schedule against TWAP (top), and the exact schedule's marginal cost
    against ``lam`` (bottom): the figure of ``execopt solve --plot``.

    The title names S, N and the cap and, when the exact method ran, the saving of the optimum
    over equal allocation. A cap far above every schedule is named in the title instead of drawn,
    so it does not squash the schedules into a flat line.
    """
    p = problem
    N = p.periods
    t = np.arange(N)
    fig, (ax, ax2) = _fig(2, 1, 10.0, 6.5, sharex=True, height_ratios=[2, 1])
    twap = p.equal_allocation()
    twap_ok = bool(np.all(twap <= p.upper))
    if twap_ok:
        ax.step(t, twap, where="mid", color=colour("twap"), ls="--", lw=1.4, label=TWAP_LABEL)
    top = float(max((np.max(s.schedule) for s in solutions.values()), default=1.0))
    for m, sol in solutions.items():
        width, alpha, z = (2.4, 1.0, 3) if m == "exact" else (1.0, 0.9, 4)
        if m == "de":  # noisy: keep it behind the others
            width, alpha, z = 0.8, 0.4, 1
        ax.step(
            t, sol.schedule, where="mid", color=colour(m), lw=width, alpha=alpha, label=m, zorder=z
        )
    if p.capped:
        u = np.broadcast_to(p.upper, (N,))
        if float(np.min(u)) <= 1.5 * top:
            ax.step(t, u, where="mid", color="grey", ls=":", lw=1.0, label="cap u_t")
        ax.set_ylim(0.0, 1.15 * max(top, float(np.max(twap)) if twap_ok else top))
    ax.set_ylabel("shares per period x_t")
    ex = solutions.get("exact")
    what = f"{label}: optimal schedule vs TWAP" if label else "optimal schedule vs TWAP"
    title = problem_title(what, S=p.shares, N=N, cap=p.cap)
    if ex is not None and twap_ok:
        base = float(p.objective(twap))
        saving = base - float(ex.objective)
        pct = 100.0 * saving / base if base > 0 else float("nan")
        title += (
            f"\nexact optimum ${ex.objective:,.2f} vs TWAP ${base:,.2f}: "
            f"saves ${saving:,.2f} ({pct:.1f} % of TWAP's cost)"
        )
    ax.set_title(title, fontsize="medium")
    ax.legend(loc="best", fontsize="small", ncols=2)
    if ex is not None and np.isfinite(ex.lam):
        g = np.broadcast_to(p.impact.marginal(ex.schedule), (N,))
        ax2.plot(t, g, color=colour("exact"), lw=1.6, label="c′_t(x_t), exact schedule")
        if twap_ok:
            g_eq = np.broadcast_to(p.impact.marginal(twap), (N,))
            ax2.plot(t, g_eq, color=colour("twap"), ls="--", lw=1.0, label="c′_t(S/N), TWAP")
        ax2.axhline(ex.lam, color="tab:red", ls=":", label=f"lam = ${ex.lam:.5g}/share")
        ax2.legend(loc="best", fontsize="small")
    ax2.set_ylabel("marginal cost ($/share)")
    ax2.set_xlabel("period t")
    return fig


def fit_overview(profile: pd.DataFrame, curves: pd.DataFrame, label: str = "") -> Figure:
    """The figure of ``execopt fit --plot``: each per-minute parameter through the day (whole-day
    value dashed), then fitted vs walked slippage per share.

    ``profile``: :func:`~execopt.reporting.tables.profile_table` keyed by model (column
    ``model``); ``curves``: :func:`~execopt.studies.day.cost_curves`.
    """
    panels = list(dict.fromkeys(zip(profile["model"], profile["parameter"], strict=True)))
    fig, axes = _fig(len(panels) + 1, 1, 11.0, 3.0 * (len(panels) + 1))
    units = {"a": "$/share", "b": "$/share²", "gamma": "$/share^(1+δ)"}
    for ax, (m, name) in zip(axes[:-1], panels, strict=True):
        d = profile[(profile["model"] == m) & (profile["parameter"] == name)]
        ax.plot(d["hour"], d["value"], color=colour(m), lw=1.4, label=f"{name}_t by minute")
        ax.axhline(float(d["whole_day"].iloc[0]), color="grey", ls="--", lw=1, label="whole day")
        ax.set_ylabel(f"{name} ({units.get(name, '')})")
        ax.set_title(f"{label + ': ' if label else ''}{m} model, {name}_t through the day")
        ax.legend(loc="best", fontsize="small")
        ax.set_xlabel("local time (hours)")
    ax = axes[-1]
    _cost_curves_on(ax, curves)
    ax.set_title(f"{label + ': ' if label else ''}fitted vs walked cost per share")
    return fig


def backtest_fills(fills: Mapping[str, pd.DataFrame], title: str = "") -> Figure:
    """Cumulative shares filled and cumulative cost vs each period's mid, one line per policy:
    the figure of ``execopt backtest --plot``.

    ``fills``: policy name -> the simulator's ``fills`` table (``period``, ``filled``,
    ``cost_vs_mid``).
    """
    fig, (ax1, ax2) = _fig(2, 1, 10.0, 6.5, sharex=True)
    for name, f in fills.items():
        style = "--" if name == "oracle" else "-"
        c = colour(name)
        ax1.plot(f["period"], np.cumsum(f["filled"]), style, color=c, label=name)
        ax2.plot(f["period"], np.cumsum(f["cost_vs_mid"].fillna(0.0)), style, color=c, label=name)
    ax1.set_ylabel("shares filled (cumulative)")
    ax2.set_ylabel("cost vs period mid, $ (cumulative)")
    ax2.set_xlabel("minute of the session")
    ax1.legend(loc="upper left", fontsize="small", ncols=2)
    ax1.set_title(title or "policies replayed against the day's books")
    return fig


# ----------------------------------------------------------------------- 09 transient impact
def transient_schedules(schedules: pd.DataFrame, title: str = "") -> Figure:
    """Optimal schedules under transient impact against TWAP.

    ``schedules`` columns: ``t`` (period), ``series`` (one line each, e.g. ``TWAP`` or a kernel
    label), ``shares``.
    """
    fig, axes = _fig(1, 1, 9.0, 4.0)
    ax = axes[0]
    for name, d in schedules.groupby("series", sort=False):
        ax.plot(d["t"], d["shares"], lw=1.4, label=str(name), color=colour(str(name)))
    ax.set_xlabel("period t (minutes)")
    ax.set_ylabel("shares per period")
    ax.set_title(title or "optimal schedules under transient impact")
    ax.legend(fontsize="small")
    return fig


def transient_sensitivity(grid: pd.DataFrame) -> Figure:
    """Saving over TWAP against the kernel strength, one line per half-life.

    ``grid`` columns: ``half_life``, ``strength``, ``saving_pct``.
    """
    fig, axes = _fig(1, 1, 8.0, 4.2)
    ax = axes[0]
    for h, d in grid.groupby("half_life", sort=True):
        ax.plot(
            d["strength"], d["saving_pct"], marker="o", ms=3, lw=1.3, label=f"half-life {h:g} min"
        )
    ax.set_xscale("log")
    ax.set_xlabel("kernel strength G0 ($/share per share)")
    ax.set_ylabel("saving vs TWAP (%)")
    ax.set_title("what transient impact saves over TWAP (constant a, b)")
    ax.legend(fontsize="small")
    return fig


def transient_ceiling(table: pd.DataFrame, claims: Mapping[str, float] | None = None) -> Figure:
    """The largest saving any exponential kernel gives at each half-life, with the reference
    document's claimed reductions as horizontal lines.

    ``table`` columns: ``half_life``, ``ceiling_pct``.
    """
    fig, axes = _fig(1, 1, 8.0, 4.0)
    ax = axes[0]
    ax.plot(table["half_life"], table["ceiling_pct"], marker="o", lw=1.5, color="black",
            label="ceiling (strength without bound)")  # fmt: skip
    for name, v in (claims or {}).items():
        ax.axhline(v, ls="--", lw=1.0, color=colour(name), label=f"claimed {name} {v:g} %")
    ax.set_xscale("log")
    ax.set_xlabel("half-life (minutes)")
    ax.set_ylabel("saving vs TWAP (%)")
    ax.set_title("the most transient impact can save with constant parameters")
    ax.legend(fontsize="small")
    return fig


# ----------------------------------------------------------------------- 11 multi-asset
_DASHES = ("-", "--", ":", "-.")


def basket_schedules(table: pd.DataFrame, title: str = "") -> Figure:
    """Each leg's remaining fraction through the day (one line style per plan, one colour per
    leg), and the basket's signed dollar inventory per plan.

    ``table``: :func:`execopt.reporting.tables.basket_schedule_table`.
    """
    fig, (ax, ax2) = _fig(2, 1, 9.0, 6.5, sharex=True, height_ratios=[3, 2])
    plans = list(dict.fromkeys(table["plan"]))
    legs = [s for s in dict.fromkeys(table["symbol"]) if s != "basket"]
    for j, plan in enumerate(plans):
        d = table[table["plan"] == plan]
        for k, sym in enumerate(legs):
            r = d[d["symbol"] == sym]
            side = str(r["side"].iloc[0])
            ax.plot(
                r["period"], r["remaining_fraction"], ls=_DASHES[j % len(_DASHES)], lw=1.4,
                color=f"C{k}", label=f"{sym} ({side}), {plan}",
            )  # fmt: skip
        b = d[d["symbol"] == "basket"]
        ax2.plot(b["period"], b["exposure_dollars"], color=colour(plan), lw=1.6, label=plan)
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_ylabel("remaining fraction R_i,t / S_i")
    ax.set_title(title or "basket schedules: each leg's remaining shares", fontsize="medium")
    ax.legend(loc="best", fontsize="x-small", ncols=2)
    ax2.axhline(0.0, color="grey", lw=0.8)
    ax2.set_ylabel("signed inventory Σ side P R ($)")
    ax2.set_xlabel("period t (minute)")
    ax2.legend(loc="best", fontsize="small")
    return fig


def mandate_costs(table: pd.DataFrame) -> Figure:
    """The price of the mandates: extra cost over the unconstrained closed form (%, bars) and
    the lowest inventory any leg reaches (shares; below zero a long was sold short).

    ``table``: :func:`execopt.studies.basket_study.mandate_price`.
    """
    fig, (ax, ax2) = _fig(1, 2, 10.0, 3.8)
    names = list(table["schedule"])
    y = np.arange(len(names))
    ax.barh(
        y, table["extra_cost_pct"], color=[colour("unconstrained")] + ["#1f77b4"] * (len(names) - 1)
    )
    ax.set_yticks(y, names, fontsize="small")
    ax.invert_yaxis()
    ax.set_xlabel("extra cost over the unconstrained closed form (%)")
    ax2.barh(
        y, table["min_inventory"], color=[colour("unconstrained")] + ["#1f77b4"] * (len(names) - 1)
    )
    ax2.set_yticks(y, [""] * len(names))
    ax2.invert_yaxis()
    ax2.axvline(0.0, color="grey", lw=0.8)
    ax2.set_xlabel("lowest remaining inventory of any leg (shares)")
    fig.suptitle("the price of the direction mandate (and of a neutrality band)", fontsize="medium")
    return fig


def basket_frontier(table: pd.DataFrame) -> Figure:
    """Impact cost against the standard deviation of the basket's inventory risk, joint and
    independent plans, one point per risk aversion.

    ``table``: :func:`execopt.studies.basket_study.frontier`.
    """
    fig, (ax,) = _fig(1, 1, 7.5, 4.5)
    for plan in dict.fromkeys(table["plan"]):
        d = table[table["plan"] == plan].sort_values("risk_aversion")
        ax.plot(d["std_dollars"], d["impact"], marker="o", color=colour(plan), label=plan)
    ax.set_xlabel("risk: sqrt(Σ_t r_tᵀ C r_t) ($)")
    ax.set_ylabel("impact cost of the legs ($)")
    ax.set_title(
        "risk–cost frontier of the basket (one point per risk aversion k)", fontsize="medium"
    )
    ax.legend(loc="best", fontsize="small")
    return fig


def basket_episodes(stats: pd.DataFrame) -> Figure:
    """Mean and standard deviation of the basket's implementation shortfall across replayed
    episodes, per policy.

    ``stats``: :func:`execopt.studies.basket_study.episode_stats`.
    """
    fig, (ax,) = _fig(1, 1, 7.5, 4.0)
    for _, r in stats.iterrows():
        ax.scatter(
            r["std_shortfall"],
            r["mean_shortfall"],
            s=60,
            color=colour(r["policy"]),
            label=r["policy"],
        )
    ax.set_xlabel("standard deviation of the basket shortfall across episodes ($)")
    ax.set_ylabel("mean basket shortfall ($)")
    ax.set_title(
        "replayed episodes: mean vs dispersion of the basket's shortfall", fontsize="medium"
    )
    ax.legend(loc="best", fontsize="small")
    return fig


def leaderboard_chart(table: pd.DataFrame) -> Figure:
    """External QP solvers on the reference suite: success rate under ``execopt validate`` per
    solver, at default and at tight settings (``family == "all"`` rows of the leaderboard).
    """
    fig, axes = _fig(1, 1, 8.0, 4.0)
    ax = axes[0]
    t = table[table["family"] == "all"]
    solvers = list(dict.fromkeys(t["solver"]))
    settings = list(dict.fromkeys(t["setting"]))
    width = 0.8 / max(len(settings), 1)
    for j, setting in enumerate(settings):
        d = t[t["setting"] == setting].set_index("solver")
        rate = [100.0 * float(d.loc[s, "success_rate"]) if s in d.index else 0.0 for s in solvers]
        ax.bar(
            np.arange(len(solvers)) + (j - (len(settings) - 1) / 2) * width,
            rate,
            width,
            label=setting,
        )
    ax.set_xticks(range(len(solvers)), solvers, rotation=30)
    ax.set_ylabel("QP instances passing execopt validate (%)")
    ax.set_ylim(0, 105)
    ax.set_title("external QP solvers through the schedule-file interface")
    ax.legend(fontsize="small", title="settings", loc="lower left", framealpha=0.9)
    return fig
