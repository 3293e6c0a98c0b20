"""Groups ``quadratic`` (the seed presets, time-invariant) and ``quadratic-intraday``
(U-shaped liquidity, caps from volume).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from execopt.studies.suite.catalogue._shapes import (
    STOCKS,
    Spec,
    _caps_from_volume,
    _intraday_quadratic,
    _quad,
    _rng,
    _spec,
)

__all__ = ["quadratic", "quadratic_intraday"]


def quadratic() -> list[Spec]:
    """The specs of the ``quadratic`` group (instance dictionaries, not yet certified)."""
    out = []
    for stock, st in STOCKS.items():
        for N in (1, 10, 390):
            out.append(
                _spec(
                    f"q-{stock}-n{N}",
                    "quadratic",
                    f"{stock.upper()} seed quadratic (a = {st['a']}, b = {st['b']}), time-invariant: "
                    "the optimum is equal allocation S/N (Jensen).",
                    ["quadratic", "time-invariant", stock],
                    price=st["price"],
                    shares=st["S"],
                    periods=N,
                    impact=_quad(st["a"], st["b"]),
                )
            )
        out.append(
            _spec(
                f"q-{stock}-n390-cap",
                "quadratic",
                f"{stock.upper()} seed quadratic with a non-binding scalar cap (1.5 S/N).",
                ["quadratic", "time-invariant", stock],
                price=st["price"],
                shares=st["S"],
                periods=390,
                impact=_quad(st["a"], st["b"]),
                cap=float(np.ceil(1.5 * st["S"] / 390)),
            )
        )
    return out


def quadratic_intraday() -> list[Spec]:
    """The specs of the ``quadratic-intraday`` group (instance dictionaries, not yet certified)."""
    out = []
    k = 0
    for stock, st in STOCKS.items():
        for N in (30, 390):
            for capkind in ("none", "scalar", "per-period"):
                rng = _rng(1, k)
                k += 1
                a, b, volume = _intraday_quadratic(stock, N, rng)
                S = st["S"]
                cap: Any = None
                if capkind == "scalar":
                    cap = float(np.ceil(1.6 * S / N))
                elif capkind == "per-period":
                    cap = _caps_from_volume(volume)
                    S = float(np.round(0.5 * cap.sum()))
                suffix = {"none": "", "scalar": "-cap", "per-period": "-caps"}[capkind]
                out.append(
                    _spec(
                        f"qi-{stock}-n{N}{suffix}",
                        "quadratic-intraday",
                        f"{stock.upper()}-like quadratic with intraday U-shaped liquidity "
                        f"(a_t spread-like, b_t inverse volume), N = {N}"
                        + (
                            ""
                            if cap is None
                            else ", caps u_t = min(0.1 volume_t, 1000)"
                            if capkind == "per-period"
                            else ", binding scalar cap"
                        ),
                        ["quadratic", "intraday", stock],
                        price=st["price"],
                        shares=S,
                        periods=N,
                        impact=_quad(a, b),
                        cap=cap,
                    )
                )
    return out
