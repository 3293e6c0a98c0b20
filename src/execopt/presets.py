"""Reference presets: the impact constants quoted by the reference framework document.

The reference framework document is a short external brief that proposed this execution
framework (quadratic and power-law impact per stock, caps, a solver) and claimed figures for it
(25.3 / 22.1 / 18.7 % savings vs equal allocation, ...); ``execopt study audit`` re-derives them.
These are the numbers it states; they are *not* fitted here (``execopt fit`` fits real books). Units: ``a`` dollars per share, ``b`` dollars per share squared, so that
``c(x) = a x + b x^2`` is the total cost in dollars of trading ``x`` shares in one minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from execopt.errors import InputError
from execopt.impact.models import PowerLawImpact, QuadraticImpact

__all__ = ["POWER", "QUADRATIC", "STOCKS", "Preset", "power", "quadratic"]

SOURCE = (
    "the reference framework document (a short external brief that proposed this execution "
    "framework and its claimed figures): 'stock-specific impact functions from empirical analysis'"
)


@dataclass(frozen=True)
class Preset:
    """A named parameter set and where it comes from."""

    stock: str
    model: QuadraticImpact | PowerLawImpact
    source: str


QUADRATIC = MappingProxyType(
    {
        "CRWV": Preset("CRWV", QuadraticImpact(a=0.024, b=0.0012), SOURCE),
        "FROG": Preset("FROG", QuadraticImpact(a=0.018, b=0.0009), SOURCE),
        "SOUN": Preset("SOUN", QuadraticImpact(a=0.008, b=0.0003), SOURCE),
    }
)
POWER = MappingProxyType(
    {
        "SOUN": Preset(
            "SOUN",
            PowerLawImpact(gamma=0.015, delta=0.67, basis="per_share"),
            SOURCE + "; SOUN buy side, g(x) = 0.015 x^0.67 read as per-share slippage",
        ),
    }
)
STOCKS = tuple(QUADRATIC)


def quadratic(stock: str) -> QuadraticImpact:
    """The reference document's quadratic model for ``stock`` (CRWV, FROG or SOUN)."""
    if not isinstance(stock, str):
        raise InputError(f"stock must be a ticker string (CRWV, FROG or SOUN), got {stock!r}.")
    try:
        return QUADRATIC[stock.upper()].model  # type: ignore[return-value]
    except KeyError:
        raise InputError(
            f"no quadratic preset for {stock!r}; choose one of {', '.join(QUADRATIC)}."
        ) from None


def power(stock: str) -> PowerLawImpact:
    """The reference document's power law for ``stock`` (only SOUN buy is stated; others raise)."""
    if not isinstance(stock, str):
        raise InputError(f"stock must be a ticker string (SOUN), got {stock!r}.")
    try:
        return POWER[stock.upper()].model  # type: ignore[return-value]
    except KeyError:
        raise InputError(
            f"the reference document states a power law for SOUN (buy) only, not {stock!r}; fit one with "
            "`execopt fit` or use PowerLawImpact(gamma, delta)."
        ) from None
