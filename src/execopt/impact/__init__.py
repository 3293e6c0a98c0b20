"""Impact models (and, from the data issue, book walks and estimators)."""

from execopt.impact.bookwalk import BookWalk, book_curve, book_impact, walk_book, walk_cost
from execopt.impact.estimation import PowerLawFit, QuadraticFit, fit_book, size_grid
from execopt.impact.fitjson import (
    fit_to_dict,
    impact_from_fit_json,
    read_fit_json,
    write_fit_json,
)
from execopt.impact.models import (
    TWO_READINGS,
    ImpactModel,
    PiecewiseLinearImpact,
    PowerLawImpact,
    QuadraticImpact,
)
from execopt.impact.profiles import ImpactProfile, fit_profile, fit_profile_costs

__all__ = [
    "TWO_READINGS",
    "BookWalk",
    "ImpactModel",
    "ImpactProfile",
    "PiecewiseLinearImpact",
    "PowerLawFit",
    "PowerLawImpact",
    "QuadraticFit",
    "QuadraticImpact",
    "book_curve",
    "book_impact",
    "fit_book",
    "fit_profile",
    "fit_profile_costs",
    "fit_to_dict",
    "impact_from_fit_json",
    "read_fit_json",
    "size_grid",
    "walk_book",
    "walk_cost",
    "write_fit_json",
]
