"""Reference-claims audit: every figure the reference framework document states, re-derived here, with a verdict.

The reference document claims slippage reductions vs equal allocation of 25.3 % (CRWV), 22.1 % (FROG) and
18.7 % (SOUN) from constant quadratic impact ``c(x) = a x + b x^2``; a Sharpe ratio +15-30 %;
drawdowns -20-40 %; fill rates +5-15 %; under 100 ms per decision; under 1 GB of memory.

Key derivations (each is a row of :func:`run_audit`'s table):

* constant ``a, b``: the same convex cost every minute, so equal allocation ``S/N`` is the exact
  optimum (Jensen) and the reduction is exactly 0 %; the exact solver's number is shown;
* caps ``u_t = min(0.1 volume_t, 1000)``: caps only remove schedules, so the capped optimum
  costs at least the uncapped one, which *is* the equal split: the reduction vs an uncapped
  equal split is <= 0 (negative as soon as some cap is below ``S/N``);
* what it would take: the amplitude ``A`` of a U-shape in ``b_t`` (mean kept at the reference document's ``b``,
  open and close ``1 + A`` times midday) that yields each claimed reduction, and the ceiling no
  profile of ``b_t`` can pass (the ``a S`` part of the cost cannot be scheduled away);
* transient impact: with the constant ``a, b`` plus a propagator ``1/2 x^T K x``, equal
  allocation is no longer optimal; the largest saving any exponential kernel can give (its
  strength without bound, half-lives from 1 to 1,000 minutes scanned) against each claim;
* what the data say: the per-minute profile fitted on the real FROG day (when the data folder is
  present), with a bootstrap interval from the Monte Carlo study;
* Sharpe and drawdown: measured from many orders (episodes: :mod:`execopt.studies.episodes`,
  parent orders of ``episode_horizon`` minutes at start times spread over the FROG day, both
  sides): each policy's saving against TWAP on the same orders, its Sharpe ratio (mean / sd per
  order) and the maximum drawdown of the cumulative saving, with block-bootstrap intervals. A
  strategy's Sharpe or drawdown needs its P&L, which the reference document does not give; the
  verdict says what the measured savings can and cannot support;
* fill rates of TWAP and the adaptive policy over the same episodes (shares beyond the visible
  depth dropped, none forced at the close); decision latency and peak memory measured here.

Verdicts: ``holds``, ``cannot hold: <reason>``, ``holds only if: <condition>``, ``not measurable
here: <why>``.
"""

from __future__ import annotations

import resource
import sys
import tracemalloc
from dataclasses import asdict, dataclass, replace
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from execopt import presets
from execopt.data import DEFAULT_MAX_DROP
from execopt.errors import DataError
from execopt.impact.bookwalk import book_side
from execopt.impact.models import QuadraticImpact
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import solve
from execopt.studies.cases import as_cap, u_shape, volume_caps
from execopt.studies.fitted import Source, book_distribution, load_book
from execopt.studies.montecarlo import MonteCarloConfig, run_montecarlo
from execopt.studies.parallel import ParallelConfig

__all__ = [
    "CLAIMED_REDUCTION",
    "AuditConfig",
    "AuditResult",
    "reduction",
    "required_amplitude",
    "run_audit",
]

#: The reference document's claimed slippage reductions vs equal allocation, percent.
CLAIMED_REDUCTION = {"CRWV": 25.3, "FROG": 22.1, "SOUN": 18.7}
#: Amplitude standing in for "infinitely U-shaped" when computing the ceiling.
A_CEILING = 1e9


@dataclass(frozen=True)
class AuditConfig:
    """Settings of the audit.

    Parameters
    ----------
    shares, periods : float, int
        The order the reductions are computed for (the reference document does not state one; 10,000 shares
        over 390 minutes is its running example).
    participation, max_child : float
        The caps ``min(participation * volume_t, max_child)``.
    seed : int
        Seed of the synthetic day (volumes), of the bootstrap and of the Monte Carlo.
    latency_repeats : int
        Timed repetitions of one decision.
    n_boot, draws : int
        Profile bootstrap replicates and Monte Carlo draws for the fitted-FROG interval.
    conic : bool
        Also time a warm Clarabel re-solve (imports cvxpy).
    max_drop : float
        Largest share of the real FROG day's rows validation may drop before the day is
        refused (then the fitted rows say so and the fill rows use the synthetic day).
    episodes, episode_horizon, episode_shares : int, int, float
        Start times, minutes and order size of the episodes behind the Sharpe, drawdown and
        fill-rate rows (both sides at each start).
    """

    shares: float = 10_000.0
    periods: int = 390
    participation: float = 0.1
    max_child: float = 1000.0
    seed: int = 0
    latency_repeats: int = 200
    n_boot: int = 200
    draws: int = 4000
    conic: bool = True
    max_drop: float = DEFAULT_MAX_DROP
    episodes: int = 60
    episode_horizon: int = 60
    episode_shares: float = 10_000.0

    def fast(self) -> AuditConfig:
        """CI-sized: fewer repetitions, replicates, draws and episodes; no cvxpy."""
        return replace(self, latency_repeats=30, n_boot=40, draws=400, conic=False, episodes=6)


@dataclass(frozen=True, eq=False)
class AuditResult:
    """The audit table (one row per claim and derivation) and the study's timings."""

    table: pd.DataFrame
    config: AuditConfig
    timings: dict[str, float]
    #: Validation counts of the real FROG day (``ValidationReport.summary()``); None when the
    #: audit ran on the synthetic day.
    data_validation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": "audit",
            "config": asdict(self.config),
            "claims": self.table.to_dict(orient="records"),
            "data_validation": self.data_validation,
            "timings": self.timings,
        }


def reduction(problem: ExecutionProblem, baseline: np.ndarray | None = None) -> float:
    """``100 (1 - optimum / cost(baseline))``, percent; baseline default the equal split."""
    x0 = problem.equal_allocation() if baseline is None else baseline
    eq = float(np.sum(problem.impact.cost(x0)))
    return 100.0 * (1.0 - solve(problem, "exact").objective / eq)


def _u_problem(stock: str, A: float, S: float, N: int) -> ExecutionProblem:
    m = presets.quadratic(stock)
    b = float(m.b) * u_shape(N, A)
    return ExecutionProblem(S, QuadraticImpact(a=float(m.a), b=b), N)


def required_amplitude(
    stock: str, target_pct: float, S: float = 10_000.0, N: int = 390
) -> tuple[float, float]:
    """U-shape amplitude ``A`` of ``b_t`` giving ``target_pct`` reduction, and the ceiling.

    Returns
    -------
    A, ceiling : float, float
        ``A`` is NaN when the target is at or above the ceiling (the reduction as ``A -> inf``).
    """
    ceiling = reduction(_u_problem(stock, A_CEILING, S, N))
    if target_pct >= ceiling:
        return float("nan"), ceiling

    def f(A: float) -> float:
        return reduction(_u_problem(stock, A, S, N)) - target_pct

    hi = 1.0
    while f(hi) < 0:
        hi *= 4.0
    return float(brentq(f, 0.0, hi, xtol=1e-10, rtol=1e-12)), ceiling


def _row(
    claim_id: str,
    claim: str,
    claimed: str,
    rederived: str,
    assumptions: str,
    verdict: str,
    value: float = float("nan"),
) -> dict[str, Any]:
    return {
        "claim_id": claim_id,
        "claim": claim,
        "value_claimed": claimed,
        "value_rederived": rederived,
        "value": value,
        "assumptions": assumptions,
        "verdict": verdict,
    }


def _constant_rows(config: AuditConfig) -> list[dict[str, Any]]:
    S, N = config.shares, config.periods
    rows = []
    for stock, claimed in CLAIMED_REDUCTION.items():
        m = presets.quadratic(stock)
        p = ExecutionProblem(S, m, N)
        sol = solve(p, "exact")
        eq = p.objective(p.equal_allocation())
        red = 100.0 * (1.0 - sol.objective / eq)
        rows.append(
            _row(
                f"reduction_constant_{stock}",
                f"{stock}: slippage reduction vs equal allocation (the reference document's constant a, b)",
                f"{claimed} %",
                # + 0.0 turns the -0.0 that rounding a -1e-14 % leaves into 0.0
                f"{round(red, 6) + 0.0:.6f} % (optimum ${sol.objective:,.6f} vs equal ${eq:,.6f})",
                f"a = {float(m.a)}, b = {float(m.b)} every minute; S = {S:,.0f}, N = {N}; no caps",
                "cannot hold: with the same convex cost every minute equal allocation is the "
                "exact optimum (Jensen), so no schedule saves anything; the exact solver's "
                f"optimum equals the equal split to {abs(sol.objective - eq):.1e} dollars",
                red,
            )
        )
        caps = volume_caps(stock, config.seed, participation=config.participation,
                           max_child=config.max_child)  # fmt: skip
        pc = ExecutionProblem(S, m, N, cap=caps)
        capped = solve(pc, "exact").objective
        red_c = 100.0 * (1.0 - capped / eq)
        below = int(np.sum(caps < S / N))
        rows.append(
            _row(
                f"reduction_capped_{stock}",
                f"{stock}: reduction vs an uncapped equal split with caps min(0.1 vol, 1000)",
                f"{claimed} %",
                f"{red_c:.4f} % ({below} of {N} minutes capped below S/N = {S / N:.1f})",
                f"reference constants; caps u_t = min({config.participation} volume_t, "
                f"{config.max_child:,.0f}) with volume_t from a synthetic {stock} day (seed "
                f"{config.seed})",
                "cannot hold: caps only remove schedules, so the capped optimum costs at least "
                "the uncapped optimum, which is the equal split itself; the reduction is "
                + ("0 (no cap binds)" if below == 0 else "negative (some caps sit below S/N)"),
                red_c,
            )
        )
        A, ceiling = required_amplitude(stock, claimed, S, N)
        if np.isfinite(A):
            verdict = (
                f"holds only if: b_t is U-shaped with the open and close {1 + A:.3g} times "
                f"midday (mean b kept at {float(m.b)}), i.e. parameters that vary through the "
                "day, which the reference document does not state"
            )
            text = f"A = {A:.4g} (open/close {1 + A:.3g}x midday); ceiling {ceiling:.2f} %"
        else:
            verdict = (
                f"cannot hold: no profile of b_t reaches {claimed} %; the ceiling is "
                f"{ceiling:.2f} % (the a S part cannot be scheduled away)"
            )
            text = f"ceiling {ceiling:.2f} %"
        rows.append(
            _row(
                f"reduction_required_{stock}",
                f"{stock}: time variation needed for the claimed reduction",
                f"{claimed} %",
                text,
                f"b_t = b (1 + A q_t) / mean(1 + A q), q_t = (2t/(N-1) - 1)^2; a = {float(m.a)} "
                f"constant; S = {S:,.0f}, N = {N}, no caps",
                verdict,
                A,
            )
        )
    return rows


def _transient_rows(config: AuditConfig) -> list[dict[str, Any]]:
    """Can transient impact, with the reference document's constant a and b, give its claimed
    reductions? The largest saving any exponential kernel gives (strength without bound, every
    half-life scanned) against each claim.
    """
    from execopt.studies.transient_impact import ceiling_over_half_lives, required_strength

    S, N = config.shares, config.periods
    rows = []
    for stock, claimed in CLAIMED_REDUCTION.items():
        table = ceiling_over_half_lives(stock, S, N)
        i = int(np.argmax(table["ceiling_pct"].to_numpy()))
        h = float(table["half_life"].iloc[i])
        ceiling = float(table["ceiling_pct"].iloc[i])
        if claimed < ceiling:
            g0, _ = required_strength(stock, claimed, h, S, N)
            verdict = (
                f"holds only if: an exponential propagator with half-life {h:g} min and "
                f"strength G0 = {g0:.3g} $/share^2 acts on the order"
            )
            text = f"reachable: G0 = {g0:.3g} at half-life {h:g} min (ceiling {ceiling:.2f} %)"
        else:
            verdict = (
                f"cannot hold: with constant a, b no exponential kernel (any strength, half-life "
                f"{table['half_life'].min():g}-{table['half_life'].max():g} min) saves more "
                f"than {ceiling:.2f} % over TWAP (best at a half-life of {h:g} min)"
            )
            text = f"ceiling {ceiling:.2f} % at half-life {h:g} min"
        rows.append(
            _row(
                f"reduction_transient_{stock}",
                f"{stock}: reduction vs TWAP from transient impact with the reference constants",
                f"{claimed} %",
                text,
                f"a = {float(presets.quadratic(stock).a)}, b = {float(presets.quadratic(stock).b)} "
                f"every minute plus 1/2 x^T K x, K_ts = G0 2^(-|t-s|/h); S = {S:,.0f}, N = {N}",
                verdict,
                ceiling,
            )
        )
    return rows


def _fitted_rows(config: AuditConfig) -> tuple[list[dict[str, Any]], Any]:
    """Reduction under the profile fitted on the real FROG day, with a bootstrap interval."""
    claimed = CLAIMED_REDUCTION["FROG"]
    try:
        dist = book_distribution(
            "FROG", "real", seed=config.seed, n_boot=config.n_boot, max_drop=config.max_drop
        )
    except DataError as exc:
        return [
            _row(
                "reduction_fitted_FROG",
                "FROG: reduction under the profile fitted on the real day",
                f"{claimed} %",
                "pending data fit",
                "per-minute quadratic profile of FROG 2025-04-03",
                f"not measurable here: {exc}",
            )
        ], None
    cfg = MonteCarloConfig(
        shares=config.shares, periods=config.periods, cap=config.max_child, draws=config.draws,
        seed=config.seed, chunk_size=200,
    )  # fmt: skip
    mc = run_montecarlo(dist, cfg, ParallelConfig(workers=1))
    s = {str(r["metric"]): r for r in mc.summary.to_dict(orient="records")}
    point = ExecutionProblem(
        config.shares, dist.nominal(), config.periods, cap=as_cap(config.max_child)
    )
    red = reduction(point)
    nm = dist.nominal()
    a, b = np.asarray(nm.a), np.asarray(nm.b)
    only_a = reduction(replace(point, impact=QuadraticImpact(a, float(b.mean()))))
    only_b = reduction(replace(point, impact=QuadraticImpact(float(a.mean()), b)))
    lo, hi = (float(s["reduction_optimal"][k]) for k in ("q_low", "q_high"))
    nlo, nhi = (float(s["reduction_nominal_plan"][k]) for k in ("q_low", "q_high"))
    rows = [
        _row(
            "reduction_fitted_FROG",
            "FROG: reduction under the profile fitted on the real day (FROG 2025-04-03)",
            f"{claimed} %",
            f"{red:.2f} % at the point profile; bootstrap 95 % interval [{lo:.2f}, {hi:.2f}] % "
            f"(plan on the point profile, pay under a replicate: [{nlo:.2f}, {nhi:.2f}] %); "
            f"a_t varying alone {only_a:.2f} %, b_t alone {only_b:.2f} %",
            f"30-minute rolling per-minute fit of a_t, b_t (buy side) on the one real day; "
            f"{dist.describe()['replicates']} snapshot-bootstrap replicates, {config.draws} "
            f"draws; S = {config.shares:,.0f}, cap {config.max_child:,.0f}; in sample",
            "holds only if: the parameters vary through the day as fitted (here mostly a_t, the "
            "spread-like cost); the fitted FROG day gives a reduction of this order, but "
            "in sample on one day, and not the reference document's 22.1 %, which its constants cannot give",
            red,
        )
    ]
    return rows, dist


def _episode_studies(config: AuditConfig, book: Any, source: Source) -> tuple[Any, Any, str]:
    """The episodes behind the strategy rows: the standard replay (for the savings) and one
    that drops shares beyond the visible depth and forces nothing at the close (fill rates).
    """
    from execopt.studies.episodes import EpisodeConfig, run_episodes

    base = EpisodeConfig(
        episodes=config.episodes,
        horizon=config.episode_horizon,
        sizes=(config.episode_shares,),
        sides=("buy", "sell"),
        policies=("twap", "static", "adaptive", "oracle"),
        n_boot=200 if config.episodes <= 10 else 1000,
        seed=config.seed,
    )
    par = ParallelConfig(workers=1)
    study = run_episodes(book, base, par)
    fills = run_episodes(
        book,
        replace(
            base,
            policies=("twap", "adaptive"),
            overflow="drop",
            at_close="report_unfilled",
            lot=1.0,
            n_boot=0,
        ),
        par,
    )
    what = (
        f"{study.n_episodes} orders of {config.episode_shares:,.0f} shares over "
        f"{config.episode_horizon} minutes ({config.episodes} start times over the {source} FROG "
        "day x buy and sell)"
    )
    return study, fills, what


def _strategy_rows(study: Any, what: str) -> list[dict[str, Any]]:
    r = CLAIMED_REDUCTION["FROG"] / 100.0

    def cost_share(g: float) -> float:
        # Sharpe_net = (R - C) / sigma; saving r C raises it by r C / (R - C) = g  =>  C / R
        return g / (r + g)

    sv = study.savings
    parts = []
    for label in ("adaptive", "static"):
        v = sv.loc[label]
        if float(v["mean_bps"]) == 0.0 and not float(v["sd_bps"]) > 0:
            parts.append(f"{label}: the same orders as TWAP on every episode (no saving)")
            continue
        parts.append(
            f"{label}: saving {v['mean_bps']:+.2f} bp per order [95 % CI {v['mean_bps_lo']:+.2f}, "
            f"{v['mean_bps_hi']:+.2f}], Sharpe of the saving {v['sharpe']:.2f} "
            f"[{v['sharpe_lo']:.2f}, {v['sharpe_hi']:.2f}]"
        )
    best = max(("adaptive", "static"), key=lambda k: float(sv.loc[k, "mean_bps"]))
    b = sv.loc[best]
    positive = float(b["mean_bps_lo"]) > 0
    oracle = sv.loc["oracle"]
    sharpe_verdict = (
        f"holds only if: the measured saving ({best}, CI above 0) is large against the "
        f"strategy's return: execution costs must eat at least {100 * cost_share(0.15):.0f} % "
        f"(for +15 %) to {100 * cost_share(0.30):.0f} % (for +30 %) of the gross return at "
        f"r = {100 * r:.1f} %; the reference document gives no returns to check this"
        if positive
        else "cannot hold on this evidence: no real policy's saving against TWAP is "
        f"distinguishable from 0 over {what} ({best}: {b['mean_bps']:+.2f} bp, CI "
        f"[{b['mean_bps_lo']:+.2f}, {b['mean_bps_hi']:+.2f}]), so no Sharpe improvement follows "
        f"from it; even the impact-only oracle saves {oracle['mean_bps']:+.2f} bp "
        f"[{oracle['mean_bps_lo']:+.2f}, {oracle['mean_bps_hi']:+.2f}], while a shortfall's "
        "standard deviation is dominated by timing"
    )
    dd = sv.loc[best]
    return [
        _row(
            "sharpe",
            "Sharpe ratio improvement",
            "+15-30 %",
            "; ".join(parts),
            f"episodes: {what}; saving = TWAP's implementation shortfall minus the policy's on "
            "the same order; intervals from a block bootstrap over start times; a strategy "
            "with gross return R, execution cost C and unchanged volatility gains r C / (R - C)",
            sharpe_verdict,
            float(b["sharpe"]),
        ),
        _row(
            "drawdown",
            "maximum drawdown reduction",
            "-20-40 %",
            f"{best}: the cumulative saving against TWAP falls at most ${dd['max_drawdown_usd']:,.0f} "
            f"from a running peak [95 % CI {dd['max_drawdown_usd_lo']:,.0f}, "
            f"{dd['max_drawdown_usd_hi']:,.0f}] over the episodes in time order",
            "a drawdown is a property of a strategy's P&L path; here the P&L is the execution "
            f"saving itself, over {what}",
            "not measurable here as claimed: the reference document gives no strategy P&L; the "
            "episodes show the execution saving has its own drawdown (it adds timing risk rather "
            "than removing drawdown), and a lower mean cost shifts a P&L's drift without "
            "changing its volatility, so a drawdown reduction follows only from the Sharpe "
            "condition above",
            float(dd["max_drawdown_usd"]),
        ),
    ]


def _fill_row(
    config: AuditConfig, fills: Any, what: str, book: Any, source: Source
) -> dict[str, Any]:
    """Fill rates of TWAP and the adaptive policy over the episodes (shares beyond the visible
    depth dropped, nothing forced at the close).
    """
    s = fills.summary
    f_twap = 100.0 * float(s.loc["twap", "fill_rate_mean"])
    f_opt = 100.0 * float(s.loc["adaptive", "fill_rate_mean"])
    lo_twap = 100.0 * float(s.loc["twap", "fill_rate_min"])
    lo_opt = 100.0 * float(s.loc["adaptive", "fill_rate_min"])
    change = round(f_opt - f_twap, 2) + 0.0  # no "-0.00"
    _, sz, _ = book_side(book.minute_snapshots(), "buy")
    depth = sz.sum(axis=1)
    child = config.episode_shares / config.episode_horizon
    if f_twap >= 100.0 - 1e-9 and lo_twap >= 100.0 - 1e-9:
        verdict = (
            f"cannot hold: TWAP's child orders ({child:,.0f} shares a minute) fit in the visible "
            f"depth (minimum {depth.min():,.0f} shares) in every one of the episodes, so it "
            "already fills 100 %; marketable child orders only fall short where they outgrow "
            "the depth, and limit-order fills (queue position) are not modelled here"
        )
    else:
        verdict = (
            "holds only if: the improvement is measured where child orders outgrow the depth "
            f"(here TWAP fills {f_twap:.2f} % on average, at worst {lo_twap:.2f} %)"
        )
    return _row(
        "fill_rate",
        "fill rate improvement",
        "+5-15 %",
        f"episodes: TWAP {f_twap:.2f} % (worst {lo_twap:.2f} %), adaptive {f_opt:.2f} % (worst "
        f"{lo_opt:.2f} %): {change:+.2f} points",
        f"marketable child orders filled against the {source} FROG day's book; {what}; shares "
        "beyond the visible depth dropped, none forced at the close",
        verdict,
        f_opt - f_twap,
    )


def _latency_rows(config: AuditConfig, dist: Any) -> tuple[list[dict[str, Any]], float]:
    S, N = config.shares, config.periods
    m = dist.nominal() if dist is not None else QuadraticImpact(0.018, 0.0009 * u_shape(N, 2.0))
    p = ExecutionProblem(S, m, N, cap=as_cap(config.max_child))
    solve(p, "exact")
    times = []
    for _ in range(config.latency_repeats):
        t0 = perf_counter()
        solve(p, "exact")
        times.append(perf_counter() - t0)
    # an adaptive day: re-solve the remaining periods at every decision
    t0 = perf_counter()
    a, b = np.broadcast_to(m.a, (N,)), np.broadcast_to(m.b, (N,))
    for t in range(N - 1):
        rest = ExecutionProblem(S * (N - t) / N, QuadraticImpact(a[t:], b[t:]), N - t,
                                cap=as_cap(config.max_child))  # fmt: skip
        solve(rest, "exact")
    per_decision = (perf_counter() - t0) / (N - 1)
    ms = 1e3 * np.asarray(times)
    text = (
        f"exact N = {N}: median {np.median(ms):.3f} ms, p99 {np.quantile(ms, 0.99):.3f} ms; "
        f"adaptive re-solve {1e3 * per_decision:.3f} ms per decision"
    )
    worst = float(max(np.quantile(ms, 0.99), 1e3 * per_decision))
    if config.conic:
        solve(p, "clarabel")
        ct = []
        for _ in range(max(config.latency_repeats // 10, 3)):
            t0 = perf_counter()
            solve(p, "clarabel")
            ct.append(perf_counter() - t0)
        text += f"; Clarabel warm (DPP) re-solve median {1e3 * np.median(ct):.1f} ms"
    tracemalloc.start()
    solve(p, "exact")
    _, peak_one = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = [
        _row(
            "latency",
            "decision latency",
            "< 100 ms",
            text,
            f"this machine, one process; {config.latency_repeats} timed solves (with "
            "certificate); quadratic profile",
            "holds" if worst < 100.0 else "cannot hold: measured above 100 ms",
            worst,
        )
    ]
    return rows, peak_one / 2**20


def _memory_row(peak_one_mb: float) -> dict[str, Any]:
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mb = ru / 2**20 if sys.platform == "darwin" else ru / 2**10
    return _row(
        "memory",
        "memory",
        "< 1 GB",
        f"peak RSS {rss_mb:,.0f} MB for this whole process; one decision allocates "
        f"{peak_one_mb:.2f} MB (tracemalloc peak)",
        "peak resident set of the process that ran the audit (Python, NumPy, pandas, the books "
        "and every study it ran)",
        "holds" if rss_mb < 1024 else "cannot hold: measured above 1 GB",
        rss_mb,
    )


def run_audit(config: AuditConfig | None = None) -> AuditResult:
    """Re-derive every figure the reference document states (see the module docstring).

    Returns
    -------
    AuditResult
        ``table`` columns: ``claim_id``, ``claim``, ``value_claimed``, ``value_rederived``,
        ``value`` (the headline number, NaN when none), ``assumptions``, ``verdict``.
    """
    config = config or AuditConfig()
    t0 = perf_counter()
    rows = _constant_rows(config)
    rows += _transient_rows(config)
    t1 = perf_counter()
    fitted, dist = _fitted_rows(config)
    t2 = perf_counter()
    rows += fitted
    source: Source = "real" if dist is not None else "synthetic"
    book = load_book("FROG", source, config.seed, max_drop=config.max_drop)
    study, fills, what = _episode_studies(config, book, source)
    rows += _strategy_rows(study, what)
    rows.append(_fill_row(config, fills, what, book, source))
    validation = book.validation.summary() if source == "real" else None
    t3 = perf_counter()
    lat, peak_one = _latency_rows(config, dist)
    rows += lat
    rows.append(_memory_row(peak_one))
    t4 = perf_counter()
    timings = {
        "constant": t1 - t0,
        "fitted": t2 - t1,
        "episodes": t3 - t2,
        "latency_memory": t4 - t3,
        "total": t4 - t0,
    }
    return AuditResult(pd.DataFrame(rows), config, timings, validation)
