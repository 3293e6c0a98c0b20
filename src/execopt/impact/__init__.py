"""Impact: the cost models (the model seam), book walks, estimators, profiles and fit files."""

from execopt.impact.base import (
    Canon,
    ImpactModel,
    LinearSupply,
    Segments,
    Units,
    model_from_dict,
    register_model,
    registered_models,
)
from execopt.impact.bookwalk import BookWalk, book_curve, book_impact, walk_book, walk_cost
from execopt.impact.composite import SumImpact
from execopt.impact.estimation import PowerLawFit, QuadraticFit, fit_book, size_grid
from execopt.impact.fees import PerShareFee
from execopt.impact.fitjson import (
    fit_to_dict,
    impact_from_fit_json,
    read_fit_json,
    read_propagator,
    write_fit_json,
)
from execopt.impact.piecewise import PiecewiseLinearImpact
from execopt.impact.power import TWO_READINGS, PowerLawImpact
from execopt.impact.profiles import ImpactProfile, fit_profile, fit_profile_costs
from execopt.impact.propagator import Markouts, MinuteFlow, PropagatorFit, minute_flow
from execopt.impact.quadratic import QuadraticImpact

__all__ = [
    "TWO_READINGS",
    "BookWalk",
    "Canon",
    "ImpactModel",
    "ImpactProfile",
    "LinearSupply",
    "Markouts",
    "MinuteFlow",
    "PerShareFee",
    "PiecewiseLinearImpact",
    "PowerLawFit",
    "PowerLawImpact",
    "PropagatorFit",
    "QuadraticFit",
    "QuadraticImpact",
    "Segments",
    "SumImpact",
    "Units",
    "book_curve",
    "book_impact",
    "fit_book",
    "fit_profile",
    "fit_profile_costs",
    "fit_to_dict",
    "impact_from_fit_json",
    "minute_flow",
    "model_from_dict",
    "read_fit_json",
    "read_propagator",
    "register_model",
    "registered_models",
    "size_grid",
    "walk_book",
    "walk_cost",
    "write_fit_json",
]
