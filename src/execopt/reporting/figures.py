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

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "audit_reductions",
    "cost_curves",
    "cumulative_cost",
    "envelope_check",
    "garch_volatility",
    "impact_profile",
    "leaderboard_chart",
    "marginal_check",
    "mc_distribution",
    "mc_schedule",
    "oracle_capture",
    "schedule_costs",
    "sensitivity_sweeps",
    "solver_gaps",
    "solver_scaling",
    "solver_time_split",
    "stress_costs",
    "validation_summary",
]

_TIME_PARTS = ("t_build", "t_compile", "t_solve", "t_certify")


def _fig(
    nrows: int = 1, ncols: int = 1, w: float = 8.0, h: float = 4.0
) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(w, h), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    return fig, axes


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


def cost_curves(curves: pd.DataFrame) -> Figure:
    """Per-share slippage ``c(x)/x``: walked books (median, 10-90 % band) vs fitted models.

    ``curves`` columns: ``x``, ``series``, ``per_share``, and optional ``low``/``high``
    (the band, drawn for the series that have it).
    """
    fig, axes = _fig(1, 1, 8.0, 4.5)
    ax = axes[0]
    for name, d in curves.groupby("series", sort=False):
        if "low" in d and d["low"].notna().any():
            ax.fill_between(d["x"], d["low"], d["high"], alpha=0.25, label=f"{name}, 10-90 %")
            ax.plot(d["x"], d["per_share"], color="black", lw=1.8, label=f"{name}, median")
        else:
            ax.plot(d["x"], d["per_share"], lw=1.4, label=str(name))
    ax.set_xscale("log")
    ax.set_xlabel("order size x (shares)")
    ax.set_ylabel("slippage c(x)/x ($/share)")
    ax.set_title("fitted vs walked cost per share")
    ax.legend(fontsize="small")
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
        ax.bar(pos + i * width, piv[col], width, label=str(col))
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
            ax.plot(g["N"], g["t_total"], marker="o", label=str(method))
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
    only)."""
    fig, axes = _fig(1, 2, 11.0, 4.0)
    for name, g in sweeps.groupby("parameter", sort=False):
        g = g[np.isfinite(g["factor"]) & (g["factor"] > 0)].sort_values("factor")
        axes[0].plot(g["factor"], g["reduction_pct"], marker="o", label=str(name))
        axes[1].plot(g["factor"], g["lam"], marker="o", label=str(name))
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("factor on the base value")
    axes[0].set_ylabel("reduction vs equal allocation (%)")
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
    for col in ("cost_equal", "cost_nominal_plan", "cost_optimal"):
        if col in draws:
            axes[0].hist(draws[col], bins=40, alpha=0.5, label=col)
    axes[0].set_xlabel("cost ($)")
    axes[0].set_ylabel("draws")
    axes[0].legend(fontsize="small")
    for col in ("reduction_optimal", "reduction_nominal_plan", "reduction_cross_plan"):
        if col in draws:
            axes[1].hist(draws[col], bins=40, alpha=0.5, label=col)
    axes[1].set_xlabel("reduction vs equal allocation (%)")
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
    cols = [c for c in ("cost_replanned", "cost_plan", "cost_equal") if c in table]
    pos = np.arange(len(table))
    width = 0.8 / max(len(cols), 1)
    for i, c in enumerate(cols):
        ax.bar(pos + i * width, table[c], width, label=c)
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
    ax.bar(pos - 0.2, reductions["claimed"], 0.4, label="claimed by the seed")
    ax.bar(pos + 0.2, reductions["rederived"], 0.4, label="re-derived here")
    ax.set_xticks(pos, reductions["label"], rotation=20, ha="right")
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_ylabel("reduction vs equal allocation (%)")
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
        ax.plot(f["period"], f["cost_vs_mid"].fillna(0.0).cumsum(), lw=1.3, label=name)
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


def leaderboard_chart(table: pd.DataFrame) -> Figure:
    """External QP solvers on the reference suite: success rate under ``execopt validate`` per
    solver, at default and at tight settings (``family == "all"`` rows of the leaderboard)."""
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
