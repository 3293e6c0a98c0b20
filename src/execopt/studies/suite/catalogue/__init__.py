"""The suite's catalogue: every instance's problem definition, as small functions per group.

The catalogue is data: each *group* builder returns the instance dictionaries of one stress
category (no solver runs here; certification is :mod:`execopt.studies.suite.harness`), and each
instance belongs to one objective *family* (:mod:`.families`), specified in ``FORMAT.md``.

Groups (``group`` field; counts in the manifest): ``quadratic`` (seed presets, time-invariant),
``quadratic-intraday`` (U-shaped liquidity, caps from volume), ``power`` (per-share power law),
``piecewise`` (walks of synthetic 10-level books shaped like FROG: $0.01 tick, $0.05–0.07 spread,
50–500 shares per level growing with depth), ``mean-variance`` (Almgren–Chriss risk term),
``large`` (N up to 100,000), ``badly-scaled`` (S = 1e8 with b = 1e-9, tiny orders, mixed
magnitudes), ``degenerate`` (S = 0, S = sum of caps, ties, zero-cost periods, linear costs),
``infeasible`` (no schedule exists; no optimum), ``transient`` (propagator kernels and permanent
impact: the ``transient`` family, :mod:`.transient`) and ``basket`` (several legs coupled by
covariance, cross-impact, a neutrality band or a VaR limit: the ``basket`` family,
:mod:`.basket`).

Examples
--------
>>> from execopt.studies.suite.catalogue import instance_specs
>>> spec = instance_specs(["q-frog-n10"])[0]
>>> spec["family"], spec["group"], spec["cone"], spec["periods"]
('quadratic', 'quadratic', 'qp', 10)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from execopt.errors import InputError, SolverError
from execopt.studies.suite.catalogue import (
    badly_scaled,
    basket,
    degenerate,
    infeasible,
    large,
    mean_variance,
    piecewise,
    power,
    quadratic,
    transient,
)
from execopt.studies.suite.catalogue._shapes import (
    STOCKS,
    SUITE_SEED,
    Spec,
    spread_profile,
    synthetic_book_curve,
    volume_profile,
)
from execopt.studies.suite.families import (
    CONES,
    FAMILIES,
    Cone,
    Family,
    cone_of,
    family_of,
)

__all__ = [
    "CONES",
    "FAMILIES",
    "GROUPS",
    "STOCKS",
    "SUITE_SEED",
    "Cone",
    "Family",
    "Spec",
    "cone_of",
    "family_of",
    "instance_specs",
    "spread_profile",
    "synthetic_book_curve",
    "volume_profile",
]

#: Group name -> spec builder, in suite order (the ``spawn_key`` of each group's random streams
#: is fixed inside its builder, so the order does not change any instance).
GROUPS: dict[str, Callable[[], list[Spec]]] = {
    "quadratic": quadratic.quadratic,
    "quadratic-intraday": quadratic.quadratic_intraday,
    "power": power.power,
    "piecewise": piecewise.piecewise,
    "mean-variance": mean_variance.mean_variance,
    "large": large.large,
    "badly-scaled": badly_scaled.badly_scaled,
    "degenerate": degenerate.degenerate,
    "infeasible": infeasible.infeasible,
    "transient": transient.transient,
    "basket": basket.basket,
}


def instance_specs(ids: Iterable[str] | None = None) -> list[Spec]:
    """Every instance's problem definition (no optimum yet), in suite order; cheap.

    Parameters
    ----------
    ids : iterable of str, optional
        Only these instances (the dictionaries are identical to those of a full listing).

    Raises
    ------
    InputError
        If an id is not in the catalogue.
    SolverError
        If two instances share an id (a catalogue bug).
    """
    specs = [s for build in GROUPS.values() for s in build()]
    seen = Counter(s["id"] for s in specs)
    dup = sorted(k for k, v in seen.items() if v > 1)
    if dup:  # pragma: no cover - a catalogue bug
        raise SolverError(f"duplicate instance ids in the catalogue: {dup}.")
    if ids is not None:
        wanted = set(ids)
        unknown = sorted(wanted - set(seen))
        if unknown:
            raise InputError(f"no instance(s) {', '.join(unknown)} in the catalogue.")
        specs = [s for s in specs if s["id"] in wanted]
    return specs
