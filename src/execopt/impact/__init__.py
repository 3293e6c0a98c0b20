"""Impact models (and, from the data issue, book walks and estimators)."""

from execopt.impact.models import (
    TWO_READINGS,
    ImpactModel,
    PiecewiseLinearImpact,
    PowerLawImpact,
    QuadraticImpact,
)

__all__ = [
    "TWO_READINGS",
    "ImpactModel",
    "PiecewiseLinearImpact",
    "PowerLawImpact",
    "QuadraticImpact",
]
