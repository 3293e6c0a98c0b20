"""The cost models in one namespace (each lives in its own module; the seam is
:mod:`execopt.impact.base`).

=================================  ==========================================  ===============
model                              cost c_t(x), dollars                        convex when
=================================  ==========================================  ===============
:class:`QuadraticImpact`           a_t x + b_t x^2                             a_t, b_t >= 0
:class:`PowerLawImpact`            gamma_t x^(1+delta_t)  (``per_share``)      delta_t >= 0
                                   gamma_t x^delta_t      (``total``)          delta_t >= 1
:class:`PiecewiseLinearImpact`     sum_k slope_tk clip(x - start_tk, 0, w_tk)  slopes non-decreasing
:class:`PerShareFee`               fee_t x                                     always
:class:`SumImpact` (``m1 + m2``)   the sum of its parts                        parts convex
=================================  ==========================================  ===============
"""

from __future__ import annotations

from execopt.impact.base import ImpactModel, model_from_dict, register_model
from execopt.impact.composite import SumImpact
from execopt.impact.fees import PerShareFee
from execopt.impact.piecewise import PiecewiseLinearImpact
from execopt.impact.power import TWO_READINGS, PowerLawImpact
from execopt.impact.quadratic import QuadraticImpact

__all__ = [
    "TWO_READINGS",
    "ImpactModel",
    "PerShareFee",
    "PiecewiseLinearImpact",
    "PowerLawImpact",
    "QuadraticImpact",
    "SumImpact",
    "model_from_dict",
    "register_model",
]
