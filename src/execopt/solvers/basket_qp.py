"""A basket as one sparse QP handed to Clarabel directly (no cvxpy compilation).

For the common basket (every leg separable with a cost that is exactly ``l_t x + q_t x^2``:
quadratic impact, fees, their sums; factor or full covariance; a diagonal cross-impact or none;
a dollar-neutrality band; no VaR limit) cvxpy's compilation is most of the time of a solve
(M = 100, N = 390, 5 factors: 1.3 s of 3.4 s) and it doubles the variables (an auxiliary
copy of every affine expression it squares). Here the matrices are assembled in
``O(M N + K N)`` non-zeros with the same scaling as the cvxpy back-end
(:func:`execopt.solvers.basket._build`), so both describe the same problem:

* variables ``y_i = x_i / s_i`` (``M N``), remaining shares ``R_i`` in units of ``s_i``
  (``M (N - 1)``), factor exposures ``f`` (``K (N - 1)``) and idiosyncratic exposures
  ``v_i = (sqrt(D_i) |w_i| / ref) R_i`` (legs with ``D_i > 0``), in that order;
* objective ``sum_i (l_i s_i / C) . y_i + (q_i s_i^2 / C) . y_i^2 + k (|f|^2 + |v|^2) +
  sum_i (h_i s_i)^2 / C |y_i|^2``, ``w_i = side_i s_i``, ``k = risk_aversion ref^2 / C``;
* equalities ``R_{i,0} + y_{i,0} = S_i / s_i``, ``R_{i,t} - R_{i,t-1} + y_{i,t} = 0``,
  ``y_{i,N-1} - R_{i,N-2} = 0`` (so each row sums to ``S_i / s_i``),
  ``f_t - (F w / ref)^T R_t = 0`` and the definition of ``v``;
* inequalities ``0 <= y_i <= u_i / s_i`` (finite caps) and ``|a^T R_t| <= band`` for the band.

:func:`supports` says whether a basket qualifies; the solver falls back to cvxpy otherwise.
"""

from __future__ import annotations

import math
from time import perf_counter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt.problem.basket import Basket

__all__ = ["SETTINGS", "build_basket_qp", "risk_scaling", "solve_basket_qp", "supports"]

FloatArray = NDArray[np.float64]

#: Clarabel's settings, as the cvxpy back-end passes them (``SOLVER_SETTINGS["clarabel"]``).
SETTINGS: dict[str, Any] = {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9,
                            "max_iter": 200}  # fmt: skip


def supports(basket: Basket) -> bool:
    """The basket is a diagonal-quadratic QP this module assembles exactly.

    Every leg is separable (no risk, transient or VaR terms of its own) with a cost that is
    exactly ``l_t x + q_t x^2``; the cross-impact (if any) is diagonal; there is no VaR limit.
    """
    if basket.var_limit is not None:
        return False
    H = basket.hbar
    if H is not None and np.count_nonzero(H - np.diag(np.diag(H))):
        return False
    N = basket.N
    return all(p.separable and p.impact.diagonal_quadratic(N) is not None for p in basket.problems)


def risk_scaling(F: FloatArray, D: FloatArray, w: FloatArray) -> tuple[float, FloatArray]:
    """``ref``, the risk's unit (the root mean per-leg variance of ``s_i`` shares), and the
    idiosyncratic weights ``sqrt(D_i) |w_i| / ref``; shared with the cvxpy formulation.
    """
    cd = np.sum(F**2, axis=1) + D
    ref = math.sqrt(max(float(np.mean(cd * w * w)), 1e-300))
    return ref, np.sqrt(D) * np.abs(w) / ref


def build_basket_qp(basket: Basket, s: FloatArray, C: float) -> dict[str, Any]:
    """The scaled QP ``min 1/2 z^T P z + c^T z`` s.t. ``A z + slack = b``, ``slack`` in the
    cones (Clarabel's standard form), ``z = (y, R, f, v)``; see the module docstring.

    Returns
    -------
    dict
        ``P`` (upper triangle, CSC), ``c``, ``A`` (CSC), ``b``, ``n_eq``, ``n_ineq``,
        ``n_y`` (the first ``n_y`` entries of ``z`` are ``y``, leg by leg).
    """
    import scipy.sparse as sp

    M, N = basket.M, basket.N
    needs_R = (basket.has_risk or basket.neutrality_band is not None) and N > 1
    nR = M * (N - 1) if needs_R else 0
    F: FloatArray = np.zeros((M, 0))
    D: FloatArray = np.zeros(M)
    if needs_R and basket.has_risk:
        F, D = basket.risk_factors  # type: ignore[misc]
    K = F.shape[1] if needs_R and basket.has_risk else 0
    nf = K * (N - 1)
    ny = M * N
    w = basket.sgn * s
    ref = 1.0
    idio: FloatArray = np.zeros(M)
    if needs_R and basket.has_risk:
        ref, idio = risk_scaling(F, D, w)
    keep = np.flatnonzero(idio > 0)
    nv = keep.size * (N - 1) if needs_R else 0
    n = ny + nR + nf + nv

    # objective: the legs' own costs, the diagonal cross-impact, the risk
    pdiag = np.zeros(n)
    c = np.zeros(n)
    for i, p in enumerate(basket.problems):
        lin, quad = p.impact.diagonal_quadratic(N)  # type: ignore[misc]
        sl = slice(i * N, (i + 1) * N)
        c[sl] = np.broadcast_to(np.asarray(lin, dtype=float), (N,)) * s[i] / C
        pdiag[sl] = 2.0 * np.broadcast_to(np.asarray(quad, dtype=float), (N,)) * s[i] ** 2 / C
    H = basket.hbar
    if H is not None:
        h2 = np.maximum(np.diag(H), 0.0) * s * s / C
        pdiag[:ny] += 2.0 * np.repeat(h2, N)
    if needs_R and basket.has_risk:
        # the factor exposures and the idiosyncratic exposures v = idio_i R_i carry the risk's
        # curvature (on R itself Clarabel's factorisation was 4x slower: 7.1 s against 1.7 s
        # at M = 100, N = 390, K = 5)
        pdiag[ny + nR :] = 2.0 * basket.risk_aversion * ref * ref / C
    P = sp.diags(pdiag, format="csc")

    # equalities: the remaining-shares recursion (or the row sums) and the factor exposures
    rows: list[Any] = []
    rhs: list[FloatArray] = []
    if needs_R:
        e = sp.identity(N - 1, format="csr")
        shift = sp.eye(N - 1, N - 1, k=-1, format="csr")
        # per leg: [I_N-block on y] + [(I - shift) on R, with the last row -1 at R_{N-2}]
        By = sp.identity(N, format="csr")
        BR = sp.vstack([e - shift, -sp.eye(1, N - 1, k=N - 2, format="csr")], format="csr")
        rows.append(
            sp.hstack(
                [
                    sp.kron(sp.identity(M), By),
                    sp.kron(sp.identity(M), BR),
                    sp.csr_matrix((M * N, nf + nv)),
                ],
                format="csr",
            )
        )
        b0 = np.zeros((M, N))
        b0[:, 0] = basket.S / s
        rhs.append(b0.ravel())
        if K:
            G = (F * w[:, None]).T / ref  # (K, M): f_t = G R_t
            rows.append(
                sp.hstack(
                    [
                        sp.csr_matrix((nf, ny)),
                        -sp.kron(sp.csr_matrix(G), e),
                        sp.identity(nf, format="csr"),
                        sp.csr_matrix((nf, nv)),
                    ],
                    format="csr",
                )
            )
            rhs.append(np.zeros(nf))
        if nv:
            pick = sp.identity(M, format="csr")[keep]  # (legs with idio > 0) x M
            rows.append(
                sp.hstack(
                    [
                        sp.csr_matrix((nv, ny)),
                        -sp.kron(sp.diags(idio[keep]) @ pick, e),
                        sp.csr_matrix((nv, nf)),
                        sp.identity(nv, format="csr"),
                    ],
                    format="csr",
                )
            )
            rhs.append(np.zeros(nv))
    else:
        rows.append(sp.kron(sp.identity(M), sp.csr_matrix(np.ones((1, N)))).tocsr())
        rhs.append(basket.S / s)
    n_eq = sum(r.shape[0] for r in rows)

    # inequalities (A z <= b): y >= 0, finite caps, the band
    rows.append(sp.hstack([-sp.identity(ny), sp.csr_matrix((ny, n - ny))], format="csr"))
    rhs.append(np.zeros(ny))
    u = (basket.upper / s[:, None]).ravel()
    fin = np.flatnonzero(np.isfinite(u))
    if fin.size:
        rows.append(sp.identity(n, format="csr")[fin])
        rhs.append(u[fin])
    if basket.neutrality_band is not None and needs_R:
        gross = max(float(np.sum(basket.prices * basket.S)), 1e-300)  # type: ignore[operator]
        a = basket.sgn * basket.prices * s / gross  # type: ignore[operator]
        band = basket.neutrality_band / gross
        Ab = sp.hstack(
            [
                sp.csr_matrix((N - 1, ny)),
                sp.kron(sp.csr_matrix(a[None, :]), sp.identity(N - 1)),
                sp.csr_matrix((N - 1, nf + nv)),
            ],
            format="csr",
        )
        rows += [Ab, -Ab]
        rhs += [np.full(N - 1, band), np.full(N - 1, band)]
    A = sp.vstack(rows, format="csc")
    return {
        "P": sp.triu(P, format="csc"),
        "c": c,
        "A": A,
        "b": np.concatenate(rhs),
        "n_eq": n_eq,
        "n_ineq": A.shape[0] - n_eq,
        "n_y": ny,
    }


def solve_basket_qp(basket: Basket, s: FloatArray, C: float) -> tuple[FloatArray, str, float,
                                                                       float, int]:  # fmt: skip
    """Assemble and solve; returns ``(Y, status, build seconds, solve seconds, iterations)``
    with ``Y`` of shape (M, N) in units of ``s_i`` (``status`` is Clarabel's, e.g.
    ``"Solved"``, ``"AlmostSolved"``, ``"PrimalInfeasible"``).
    """
    import clarabel

    t0 = perf_counter()
    qp = build_basket_qp(basket, s, C)
    cones = [clarabel.ZeroConeT(qp["n_eq"]), clarabel.NonnegativeConeT(qp["n_ineq"])]
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    for key, value in SETTINGS.items():
        setattr(settings, key, value)
    t1 = perf_counter()
    sol = clarabel.DefaultSolver(qp["P"], qp["c"], qp["A"], qp["b"], cones, settings).solve()
    t2 = perf_counter()
    Y = np.asarray(sol.x, dtype=float)[: qp["n_y"]].reshape(basket.M, basket.N)
    return Y, str(sol.status), t1 - t0, t2 - t1, int(sol.iterations)
