"""Tables for people: the tidy tables the studies return, formatted for a reader.

A study's table keeps machine names and full precision (it is saved as CSV for anyone who wants
to recompute); what a report *shows* goes through :func:`human`: no index column, headers in
words with their unit (``cost ($)``, ``saving vs TWAP (%)``), thousands separators, dollars as
dollars, ratios as percent or basis points, and scientific notation only for quantities that are
naturally tiny (relative gaps, residuals).

Column formats are looked up by name in :data:`COLUMNS` (the names the studies use); a column
not listed gets a readable header (underscores become spaces) and a plain number format. A call
can override both with ``columns={name: (header, kind)}``; the kinds are the keys of
:data:`KINDS`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["COLUMNS", "KINDS", "HumanTable", "fmt", "human"]


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _sig(v: float, digits: int = 4) -> str:
    """Plain number with up to ``digits`` significant digits and thousands separators."""
    a = abs(v)
    if a < 1e-9:  # rounding noise around an exact zero (a true tiny value uses the "sci" kind)
        return "0"
    if a >= 10 ** (digits - 1):
        return f"{v:,.0f}"
    if a < 1e-4:
        return f"{v:.2e}"
    decimals = max(0, digits - 1 - math.floor(math.log10(a)))
    return f"{v:,.{decimals}f}"


def _usd(v: float) -> str:
    a = abs(v)
    if a >= 100:
        s = f"{a:,.0f}"
    elif a >= 0.1 or a == 0:
        s = f"{a:,.2f}"
    else:
        s = _sig(a, 3)
    return ("-$" if v < 0 else "$") + s


def _note(v: Any, width: int = 90) -> str:
    """The first sentence of a message, at most ``width`` characters (the CSV keeps it all)."""
    text = " ".join(str(v).split())
    text = text.split(": ", 1)[1] if text.split(": ", 1)[0].endswith("Error") else text
    first = text.split(". ")[0].rstrip(".")
    return first if len(first) <= width else first[: width - 1].rstrip() + "…"


#: Formatters by kind; each takes a finite float (text and bool kinds take the raw value).
KINDS: dict[str, Callable[[Any], str]] = {
    "usd": _usd,
    "usd_per_share": lambda v: _usd(v),
    "shares": lambda v: f"{v:,.0f}",
    "int": lambda v: f"{v:,.0f}",
    "pct": lambda v: f"{v:,.1f} %",
    "pct_signed": lambda v: f"{v:+,.1f} %",
    "fraction_pct": lambda v: f"{100 * v:,.1f} %",
    "bp": lambda v: f"{v:,.1f} bp",
    "sci": lambda v: "0" if v == 0 else f"{v:.1e}",
    "ms": lambda v: f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}",
    "seconds_as_ms": lambda v: f"{1e3 * v:,.2f}" if abs(1e3 * v) < 100 else f"{1e3 * v:,.0f}",
    "num": _sig,
    "num2": lambda v: f"{v:,.2f}",
    "text": str,
    "note": lambda v: _note(v),
    "bool": lambda v: "yes" if bool(v) else "no",
}

#: Headers and formats of the column names the studies use.
COLUMNS: dict[str, tuple[str, str]] = {
    # problem and schedules
    "S": ("order size S (shares)", "shares"),
    "N": ("periods N", "int"),
    "shares": ("shares", "shares"),
    "cap": ("cap (shares/period)", "shares"),
    "schedule": ("schedule", "text"),
    "policy": ("policy", "text"),
    "method": ("method", "text"),
    "case": ("case", "text"),
    "scenario": ("scenario", "text"),
    "status": ("status", "text"),
    "side": ("side", "text"),
    "model": ("model", "text"),
    "parameter": ("parameter", "text"),
    "reason": ("note", "note"),
    "description": ("description", "text"),
    # costs
    "cost": ("cost ($)", "usd"),
    "saving_pct": ("saving vs TWAP (%)", "pct"),
    "ceiling_pct": ("largest saving vs TWAP (%)", "pct"),
    "model_twap": ("TWAP, plan ($)", "usd"),
    "model_optimum": ("optimum, plan ($)", "usd"),
    "model_saving_pct": ("saving, plan (%)", "pct"),
    "sim_impact_twap": ("TWAP, replayed impact ($)", "usd"),
    "sim_impact_optimum": ("optimum, replayed impact ($)", "usd"),
    "sim_saving_pct": ("saving, replayed (%)", "pct"),
    "sim_shortfall_twap": ("TWAP shortfall vs arrival ($)", "usd"),
    "sim_shortfall_optimum": ("optimum shortfall vs arrival ($)", "usd"),
    "twap": ("TWAP cost ($)", "usd"),
    "half_life": ("half-life (min)", "num"),
    "strength": ("kernel strength G0 ($/share²)", "num"),
    "cost_walked": ("cost walked against the book ($)", "usd"),
    "cost_model": ("cost predicted by the fit ($)", "usd"),
    "cost_bps": ("cost (bp of notional)", "bp"),
    "cost_equal": ("TWAP cost ($)", "usd"),
    "cost_plan": ("nominal plan's cost ($)", "usd"),
    "cost_replanned": ("re-planned optimum's cost ($)", "usd"),
    "cost_optimal": ("optimal cost ($)", "usd"),
    "cost_nominal_plan": ("nominal plan's cost ($)", "usd"),
    "objective": ("objective ($)", "usd"),
    "shortfall": ("implementation shortfall ($)", "usd"),
    "shortfall_bps": ("implementation shortfall (bp)", "bp"),
    "regret": ("regret ($)", "usd"),
    "regret_pct": ("regret (% over the re-planned optimum)", "pct"),
    "var95_plan": ("VaR 95 % of the plan ($)", "usd"),
    "lam": ("lam, marginal cost of the last share ($/share)", "num"),
    "fd": ("finite difference d opt / dS ($/share)", "num"),
    # savings: > 0 means cheaper than the reference
    "saving_vs_equal_pct": ("saving vs TWAP (%)", "pct"),
    "vs_twap_pct": ("saving vs TWAP (%)", "pct_signed"),
    "vs_vwap_pct": ("saving vs VWAP (%)", "pct_signed"),
    "saving_vs_twap_pct": ("saving vs TWAP (%)", "pct_signed"),
    "reduction_pct": ("saving vs TWAP (%)", "pct"),
    "oracle_capture": ("oracle's saving captured", "fraction_pct"),
    "buffer_saving": ("saved by regime buffers ($)", "usd"),
    # fits
    "estimate": ("estimate", "num"),
    "ci_low": ("95 % CI low", "num"),
    "ci_high": ("95 % CI high", "num"),
    "reference": ("reference document's value", "num"),
    "seed": ("reference document's value", "num"),
    "reference_in_ci": ("reference value in the CI", "bool"),
    "seed_in_ci": ("reference value in the CI", "bool"),
    "ratio_to_reference": ("estimate / reference value", "num2"),
    "ratio_to_seed": ("estimate / reference value", "num2"),
    "r2": ("R² (per-share slippage, in sample)", "num2"),
    "r2_dollar": ("R² (dollar cost, in sample)", "num2"),
    "oos_r2": ("R² out of sample (last 40 % of the day)", "num2"),
    "censored_share": ("censored sizes", "fraction_pct"),
    "n_obs": ("observations", "int"),
    "censored_minutes": ("minutes beyond visible depth", "int"),
    # solver quality
    "rel_gap": ("relative gap to the optimum", "sci"),
    "stationarity": ("KKT stationarity", "sci"),
    "complementarity": ("KKT complementarity", "sci"),
    "raw_violation": ("violation before repair (shares)", "sci"),
    "feasible": ("feasible", "bool"),
    "certified": ("certified", "bool"),
    "iterations": ("iterations", "int"),
    "rel_err": ("relative error", "sci"),
    "t_build": ("build (ms)", "seconds_as_ms"),
    "t_compile": ("compile (ms)", "seconds_as_ms"),
    "t_solve": ("solve (ms)", "seconds_as_ms"),
    "t_certify": ("certify (ms)", "seconds_as_ms"),
    "t_total": ("total (ms)", "seconds_as_ms"),
    # execution
    "fill_rate": ("filled", "fraction_pct"),
    "filled": ("shares filled", "shares"),
    "beyond_depth": ("shares beyond visible depth", "shares"),
    "latency_p50_ms": ("decision latency p50 (ms)", "ms"),
    "latency_p99_ms": ("decision latency p99 (ms)", "ms"),
    "halted_periods": ("halted periods", "int"),
    "skipped_periods": ("skipped periods", "int"),
    "unfilled_shares": ("unfilled (shares)", "shares"),
    "over_cap_shares": ("over the cap (shares)", "shares"),
    "headroom_min": ("smallest cap headroom (shares)", "shares"),
    "max_child": ("largest child order (shares)", "shares"),
    "share_high_regime": ("minutes in the high-vol regime", "fraction_pct"),
    "periods_skipped": ("periods skipped", "int"),
    "factor": ("factor on the base value", "num"),
    "passed": ("passed", "int"),
    "failed": ("failed", "int"),
    "applicable": ("applicable", "int"),
    "n_a": ("n/a", "int"),
    # episodes (TCA): basis points of S x the arrival mid; savings > 0 mean cheaper than TWAP
    "episodes": ("episodes", "int"),
    "is_mean_bps": ("shortfall, mean (bp)", "bp"),
    "is_sd_bps": ("shortfall, sd (bp)", "bp"),
    "spread_mean_bps": ("spread (bp)", "bp"),
    "impact_mean_bps": ("impact (bp)", "bp"),
    "impact_sd_bps": ("impact, sd (bp)", "bp"),
    "timing_mean_bps": ("timing (bp)", "bp"),
    "timing_sd_bps": ("timing, sd (bp)", "bp"),
    "fees_mean_bps": ("fees (bp)", "bp"),
    "opportunity_mean_bps": ("opportunity (bp)", "bp"),
    "cost_mean_bps": ("cost vs each minute's mid (bp)", "bp"),
    "saving_bps": ("saving vs TWAP (bp)", "bp"),
    "saving_lo_bps": ("95 % CI low (bp)", "bp"),
    "saving_hi_bps": ("95 % CI high (bp)", "bp"),
    "saving_days_lo_bps": ("CI low, days (bp)", "bp"),
    "saving_days_hi_bps": ("CI high, days (bp)", "bp"),
    "sharpe": ("Sharpe of the saving", "num2"),
    "sharpe_lo": ("Sharpe CI low", "num2"),
    "sharpe_hi": ("Sharpe CI high", "num2"),
    "max_dd_usd": ("max drawdown of the saving ($)", "usd"),
    "max_dd_lo_usd": ("drawdown CI low ($)", "usd"),
    "max_dd_hi_usd": ("drawdown CI high ($)", "usd"),
    "p_saving": ("p (block bootstrap)", "num2"),
    "mean_diff_bps": ("mean difference (bp)", "bp"),
    "ci_lo": ("95 % CI low", "num2"),
    "ci_hi": ("95 % CI high", "num2"),
    "p_block_bootstrap": ("p (block bootstrap)", "num2"),
    "p_naive_t": ("p (naive t, independent episodes)", "num2"),
    "p_days_t": ("p (t on day means)", "num2"),
}


def fmt(value: Any, kind: str) -> str:
    """Format one value of a ``kind`` (see :data:`KINDS`); missing values are an en dash."""
    if kind in ("text", "note"):
        if kind == "note" and not _missing(value):
            return KINDS["note"](value)
        return "–" if _missing(value) else str(value)
    if kind == "bool":
        return "–" if _missing(value) else KINDS["bool"](value)
    if _missing(value):
        return "–"
    v = _num(value)
    if v is None:
        return str(value)
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    return _unsigned_zero(KINDS[kind](v))


def _unsigned_zero(text: str) -> str:
    """``"-0.0 %"`` (a rounding residue) reads as ``"0.0 %"``.

    >>> fmt(-1e-9, "pct"), fmt(-1e-9, "pct_signed"), fmt(-0.2, "pct")
    ('0.0 %', '0.0 %', '-0.2 %')
    """
    if text[:1] in "-+" and not any(c in "123456789" for c in text):
        return text[1:]
    return text


def _default(name: str, series: pd.Series) -> tuple[str, str]:
    header = str(name).replace("_", " ")
    if pd.api.types.is_bool_dtype(series):
        return header, "bool"
    if pd.api.types.is_integer_dtype(series):
        return header, "int"
    if pd.api.types.is_numeric_dtype(series):
        return header, "num"
    return header, "text"


class HumanTable:
    """A formatted table: every cell a string, headers in words, no index.

    Shown as HTML in a notebook (numbers right-aligned) and written as Markdown by
    :func:`~execopt.reporting.artifacts.save_table`.
    """

    def __init__(self, frame: pd.DataFrame, numeric: Sequence[bool], caption: str = "") -> None:
        self.frame = frame
        self.numeric = list(numeric)
        self.caption = caption

    def __len__(self) -> int:
        return len(self.frame)

    def to_markdown(self) -> str:
        """GitHub Markdown, numbers right-aligned."""
        cols = list(self.frame.columns)
        lines = [
            "| " + " | ".join(c.replace("|", "\\|") for c in cols) + " |",
            "|" + "|".join("---:" if n else ":---" for n in self.numeric) + "|",
        ]
        for row in self.frame.itertuples(index=False):
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(
            f"<th style='text-align:{'right' if n else 'left'}'>{html.escape(c)}</th>"
            for c, n in zip(self.frame.columns, self.numeric, strict=True)
        )
        body = "".join(
            "<tr>"
            + "".join(
                f"<td style='text-align:{'right;white-space:nowrap' if n else 'left'}'>"
                f"{html.escape(str(c))}</td>"
                for c, n in zip(row, self.numeric, strict=True)
            )
            + "</tr>"
            for row in self.frame.itertuples(index=False)
        )
        cap = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return (
            f"<table class='execopt-table'>{cap}<thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )

    def _repr_markdown_(self) -> str:  # pragma: no cover - notebooks prefer HTML
        return self.to_markdown()

    def __repr__(self) -> str:
        return self.to_markdown()


def human(
    df: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    formats: Mapping[str, tuple[str, str]] | None = None,
    caption: str = "",
) -> HumanTable:
    """Format ``df`` for a reader (see the module docstring).

    Parameters
    ----------
    df : DataFrame
        A tidy table; its index is dropped (put what matters in a column first).
    columns : sequence of str, optional
        The columns to show, in order (default: all).
    formats : mapping of column name to (header, kind), optional
        Overrides :data:`COLUMNS` for this table.
    caption : str
        A caption shown above the table in HTML.
    """
    cols = list(columns) if columns is not None else list(df.columns)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in the table: {missing}")
    out: dict[str, list[str]] = {}
    numeric = []
    for c in cols:
        header, kind = (formats or {}).get(c) or COLUMNS.get(c) or _default(c, df[c])
        out[header] = [fmt(v, kind) for v in df[c].tolist()]
        numeric.append(kind not in ("text", "note", "bool"))
    return HumanTable(pd.DataFrame(out), numeric, caption)
