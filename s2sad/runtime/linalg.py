"""Linear algebra: the adjoints and tangents of np.linalg's factorisations and
solvers, for the rules in `rules.numpy_linalg`.  Matrices may come in stacks
(`(..., m, n)`); `_T` transposes the last two axes.

Where a derivative is undefined, the helpers say what they do:
- `inv`, `solve`, `det`, `slogdet` at a singular matrix: NumPy raises LinAlgError
  (the rules go through the inverse; det's derivative there, the adjugate, exists).
- `eigh` with repeated eigenvalues, `svd` with repeated (or, for U and V, zero)
  singular values: the terms 1 / (w_j - w_i) are infinite; the result has inf or nan.
  Functions of the eigenvalues (or singular values) alone stay finite; their second
  derivatives (hvp, hessian) do not: they divide differences of the cotangent by the
  gaps, 0 / 0 there.
- `pinv` and `lstsq` where the rank changes: the derivative of the fixed-rank formula.
- `cholesky` and `eigh` read the lower triangle of their argument only, as NumPy
  does: the upper triangle gets zero cotangent, and each entry below the diagonal
  that of both entries it stands for.  (JAX symmetrises instead; the two agree on any
  function of a symmetric matrix built from other arguments, e.g. `B @ B.T`.)
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "inv_adjoint", "solve_like", "solve_adjoints",
    "solve_tangent_a", "solve_da", "solve_db", "det_adjoint", "det_tangent",
    "slogdet_adjoint", "slogdet_tangent", "cholesky_adjoint", "cholesky_tangent",
    "eigh_adjoint", "eigh_tangent", "eigvalsh_adjoint", "eigvalsh_tangent",
    "svd_adjoint", "svd_tangent", "qr_adjoint", "qr_tangent", "pinv_adjoint",
    "pinv_tangent", "lstsq_da", "lstsq_db", "lstsq_tangent", "matrix_power_adjoint",
    "matrix_power_tangent", "multi_dot_adjoints", "multi_dot_at", "diag_adjoint",
    "kron_adjoints",
    "tensordot_subscripts",
    # the tangents of the adjoints (second derivatives: forward mode over a gradient)
    "inv_adjoint_tangent", "solve_adjoints_tangent", "solve_db_tangent",
    "det_adjoint_tangent", "slogdet_adjoint_tangent", "cholesky_adjoint_tangent",
    "eigh_adjoint_tangent", "eigvalsh_adjoint_tangent", "svd_adjoint_tangent",
    "qr_adjoint_tangent", "pinv_adjoint_tangent", "lstsq_da_tangent", "lstsq_db_tangent",
    "matrix_power_adjoint_tangent", "multi_dot_adjoints_tangent",
]


def _T(a):
    return np.swapaxes(a, -1, -2)


# --- inverse and linear systems -----------------------------------------------------

def inv_adjoint(g, ans):
    """Cotangent of a for ans = inv(a): -ans^T g ans^T."""
    return -_T(ans) @ g @ _T(ans)


def inv_adjoint_tangent(g, ans, t):
    """Tangent of inv_adjoint(g, ans) along ans's tangent t, g held:
    -(t^T g ans^T + ans^T g t^T)."""
    return -(_T(t) @ g @ _T(ans) + _T(ans) @ g @ _T(t))


def _vector_rhs(a, b) -> bool:
    """Whether solve(a, b) reads b as a vector (NumPy 2: where b is 1-D)."""
    return np.ndim(b) == 1


def solve_like(a, rhs, b):
    """solve(a, rhs) with `rhs` read as `b` is: a vector or a stack of matrices."""
    if _vector_rhs(a, b):
        return np.linalg.solve(a, rhs[..., None])[..., 0]
    return np.linalg.solve(a, rhs)


def solve_adjoints(g, a, b, ans):
    """The cotangents of a and b for x = solve(a, b), from one solve with a^T."""
    from . import unbroadcast
    gb = solve_like(_T(a), g, b)
    outer = gb[..., :, None] * ans[..., None, :] if _vector_rhs(a, b) else gb @ _T(ans)
    return unbroadcast(-outer, a), unbroadcast(gb, b)


def _rhs_product(m, rhs, b):
    """m @ rhs, with `rhs` read as `b` is by solve: a vector or a stack of matrices."""
    return (m @ rhs[..., None])[..., 0] if _vector_rhs(None, b) else m @ rhs


def _rhs_outer(u, v, b):
    """u v^T for two right-hand sides (or solutions) read as `b` is."""
    return u[..., :, None] * v[..., None, :] if _vector_rhs(None, b) else u @ _T(v)


def solve_adjoints_tangent(g, a, b, x, ta, tx):
    """Tangent of solve_adjoints(g, a, b, x) along a's tangent `ta` and x's `tx` (either
    None), g held.  With gb = solve(a^T, g): a^T gb = g gives tgb = -solve(a^T, ta^T gb),
    and a's cotangent -gb x^T moves by -(tgb x^T + gb tx^T)."""
    from . import Cotangents, unbroadcast
    gb = solve_like(_T(a), g, b)
    tgb = np.zeros(np.shape(gb)) if ta is None else \
        -solve_like(_T(a), _rhs_product(_T(ta), gb, b), b)
    tda = -_rhs_outer(tgb, x, b) if ta is not None else np.zeros(np.shape(a))
    if tx is not None:
        tda = tda - _rhs_outer(gb, tx, b)
    return Cotangents((unbroadcast(tda, a), unbroadcast(tgb, b)))


def solve_db_tangent(g, a, b, t):
    """Tangent of solve_db(g, a, b) = solve(a^T, g) along a's tangent t:
    -solve(a^T, t^T solve(a^T, g))."""
    from . import unbroadcast
    gb = solve_like(_T(a), g, b)
    return unbroadcast(-solve_like(_T(a), _rhs_product(_T(t), gb, b), b), b)


def solve_tangent_a(t, a, b, ans):
    """The tangent of x = solve(a, b) along a's tangent t: -solve(a, t x)."""
    product = (t @ ans[..., None])[..., 0] if _vector_rhs(a, b) else t @ ans
    return -solve_like(a, product, b)


def solve_db(g, a, b):
    """Cotangent of b for x = solve(a, b): solve(a^T, g)."""
    from . import unbroadcast
    return unbroadcast(solve_like(_T(a), g, b), b)


def solve_da(g, a, b, ans):
    """Cotangent of a for x = solve(a, b): -solve(a^T, g) x^T."""
    return solve_adjoints(g, a, b, ans)[0]


class FactoredSolve:
    """How reverse mode splits x = np.linalg.solve(a, b) of one matrix, when SciPy is
    installed: the forward sweep factorises a once (LU) and keeps the factors, and the
    backward sweep solves with a^T from them.  (NumPy keeps no factorisation to reuse;
    stacks of matrices go through NumPy and `solve_adjoints`.)  Shaped like a
    `custom.WholeCall` (forward, backward, tangent), in `runtime.LIBRARY_SPLITS`."""

    reverse_only = True   # forward mode uses solve's own rule

    def forward(self, args: tuple) -> tuple:
        a, b = args
        if np.ndim(a) != 2 or np.ndim(b) > 2:   # stacks: NumPy, and `solve_adjoints`
            x = np.linalg.solve(a, b)
            return x, (None, x)
        from scipy.linalg import lu_factor, lu_solve
        factors = lu_factor(a, check_finite=False)
        if not np.all(np.diagonal(factors[0])):
            raise np.linalg.LinAlgError("Singular matrix")
        x = lu_solve(factors, b, check_finite=False)
        return x, (factors, x)

    @staticmethod
    def backward(residuals, args: tuple, g) -> tuple:
        factors, x = residuals
        a, b = args
        if factors is None:
            return solve_adjoints(g, a, b, x)
        from scipy.linalg import lu_solve
        gb = lu_solve(factors, g, trans=1, check_finite=False)   # a^T gb = g
        da = -gb[:, None] * x[None, :] if np.ndim(b) == 1 else -gb @ _T(x)
        return da, gb

    @staticmethod
    def backward_tangent(residuals, args: tuple, g, tangents: tuple) -> tuple:
        """The tangent of `backward(residuals, args, g)` along the arguments' tangents
        (ta, tb), g held (its own tangent: `backward` on it): with gb = a^-T g and
        x = a^-1 b, tgb = -a^-T ta^T gb, tx = a^-1 (tb - ta x), and a's cotangent
        -gb x^T moves by -(tgb x^T + gb tx^T).  The factors serve all three solves."""
        factors, x = residuals
        a, b = args
        ta, tb = tuple(tangents) + (None,) * (2 - len(tangents))
        if factors is None:   # stacks: through NumPy
            tx = np.zeros(np.shape(x))
            if ta is not None:
                tx = tx + solve_tangent_a(ta, a, b, x)
            if tb is not None:
                tx = tx + solve_like(a, tb, b)
            return solve_adjoints_tangent(g, a, b, x, ta, tx)
        from scipy.linalg import lu_solve
        gb = lu_solve(factors, g, trans=1, check_finite=False)
        moved = np.zeros(np.shape(x)) if tb is None else tb
        tgb = np.zeros(np.shape(gb))
        if ta is not None:
            moved = moved - _rhs_product(ta, x, b)
            tgb = -lu_solve(factors, _rhs_product(_T(ta), gb, b), trans=1, check_finite=False)
        tx = lu_solve(factors, moved, check_finite=False)
        return -(_rhs_outer(tgb, x, b) + _rhs_outer(gb, tx, b)), tgb

    @staticmethod
    def tangent(args: tuple, tangents: tuple):
        a, b = args
        ta, tb = tuple(tangents) + (None,) * (2 - len(tangents))
        x = np.linalg.solve(a, b)
        found = 0.0
        if ta is not None:
            found = solve_tangent_a(ta, a, b, x)
        if tb is not None:
            found = found + solve_like(a, tb, b)
        return found


def det_adjoint(g, a, ans):
    """Cotangent of a for ans = det(a): g ans inv(a)^T."""
    return (np.asarray(g) * ans)[..., None, None] * _T(np.linalg.inv(a))


def det_adjoint_tangent(g, a, ans, t):
    """Tangent of det_adjoint(g, a, ans) along a's tangent t, g and ans held (it is
    linear in each of those): inv(a) moves by -inv(a) t inv(a)."""
    inverse = np.linalg.inv(a)
    return -(np.asarray(g) * ans)[..., None, None] * _T(inverse @ t @ inverse)


def det_tangent(t, a, ans):
    """Tangent of det(a): ans trace(solve(a, t))."""
    return ans * np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)


def slogdet_adjoint(g, a):
    """Cotangent of a for (sign, logabsdet) = slogdet(a): the sign's is zero."""
    return np.asarray(g[1])[..., None, None] * _T(np.linalg.inv(a))


def slogdet_adjoint_tangent(g, a, t):
    """Tangent of slogdet_adjoint(g, a) along a's tangent t, g held:
    -g[1] (inv(a) t inv(a))^T."""
    inverse = np.linalg.inv(a)
    return -np.asarray(g[1])[..., None, None] * _T(inverse @ t @ inverse)


def slogdet_tangent(t, a, ans):
    """Tangents of (sign, logabsdet) = slogdet(a)."""
    logdet = np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)
    return np.zeros(np.shape(ans[0]), np.result_type(logdet)), logdet


# --- factorisations of symmetric matrices (the lower triangle is read) ---------------

def _symmetric_from_lower(t):
    """The symmetric matrix a perturbation of the lower triangle stands for."""
    return np.tril(t) + _T(np.tril(t, -1))


def _onto_lower(x):
    """The cotangent of the lower triangle from `x`, one for a symmetric matrix:
    each entry below the diagonal stands for two."""
    return np.tril(x + _T(x), -1) + np.tril(np.triu(x))


def _halved_lower(x):
    """The lower triangle of x with its diagonal halved (Cholesky's Phi)."""
    return np.tril(x) - 0.5 * np.tril(np.triu(x))


def _lower_inverse(L):
    eye = np.broadcast_to(np.eye(L.shape[-1], dtype=L.dtype), L.shape)
    return np.linalg.solve(L, eye)


def cholesky_adjoint(g, ans):
    """Cotangent of a for L = cholesky(a) (Murray 2016): L^-T Phi(L^T g) L^-1,
    symmetrised, onto the lower triangle."""
    inverse = _lower_inverse(ans)
    x = _T(inverse) @ _halved_lower(_T(ans) @ g) @ inverse
    return _onto_lower(0.5 * (x + _T(x)))


def cholesky_adjoint_tangent(g, ans, t):
    """Tangent of cholesky_adjoint(g, ans) along L's tangent t (L = ans), g held:
    L^-1 moves by -L^-1 t L^-1, Phi(L^T g) by Phi(t^T g); the rest is linear."""
    inverse = _lower_inverse(ans)
    moved = -inverse @ t @ inverse
    phi = _halved_lower(_T(ans) @ g)
    x = (_T(moved) @ phi @ inverse + _T(inverse) @ _halved_lower(_T(t) @ g) @ inverse
         + _T(inverse) @ phi @ moved)
    return _onto_lower(0.5 * (x + _T(x)))


def cholesky_tangent(t, ans):
    """Tangent of L = cholesky(a): L Phi(L^-1 t L^-T), t read from its lower triangle."""
    inverse = _lower_inverse(ans)
    return ans @ _halved_lower(inverse @ _symmetric_from_lower(t) @ _T(inverse))


def _gaps(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    gaps = w[..., None, :] - w[..., :, None]
    eye = np.eye(w.shape[-1], dtype=bool)
    with np.errstate(divide="ignore"):
        return np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, gaps))


def eigh_adjoint(g, ans):
    """Cotangent of a for (w, V) = eigh(a): V (diag(gw) + F * (V^T gV)) V^T."""
    w, v = ans
    gw, gv = g
    inner = np.asarray(gw)[..., None, :] * np.eye(w.shape[-1])
    if np.any(gv):   # (not for the eigenvalues alone: their gaps may be 0)
        inner = inner + _gaps(w) * (_T(v) @ gv)
    return _onto_lower(v @ inner @ _T(v))


def eigh_adjoint_tangent(g, ans, t):
    """Tangent of eigh_adjoint(g, ans) along the tangents t = (tw, tV) of ans = (w, V),
    g held: with inner = diag(gw) + F * (V^T gV), V inner V^T moves by
    tV inner V^T + V tinner V^T + V inner tV^T, where F[i, j] = 1 / (w[j] - w[i])
    moves by -F^2 (tw[j] - tw[i])."""
    w, v = ans
    tw, tv = t
    gw, gv = g
    inner = np.asarray(gw)[..., None, :] * np.eye(w.shape[-1])
    tinner = np.zeros(np.shape(inner))
    if np.any(gv):   # as in eigh_adjoint: without gV no gaps are read
        f, rotated = _gaps(w), _T(v) @ gv
        inner = inner + f * rotated
        tf = -f * f * (tw[..., None, :] - tw[..., :, None])
        tinner = tf * rotated + f * (_T(tv) @ gv)
    return _onto_lower(tv @ inner @ _T(v) + v @ tinner @ _T(v) + v @ inner @ _T(tv))


def eigh_tangent(t, ans):
    """Tangents of (w, V) = eigh(a): diag(V^T t V), V (F * (V^T t V))."""
    w, v = ans
    rotated = _T(v) @ _symmetric_from_lower(t) @ v
    return np.diagonal(rotated, axis1=-2, axis2=-1), v @ (_gaps(w) * rotated)


def eigvalsh_adjoint(g, a):
    """Cotangent of a for w = eigvalsh(a): V diag(g) V^T."""
    _, v = np.linalg.eigh(a)
    return _onto_lower((v * np.asarray(g)[..., None, :]) @ _T(v))


def eigvalsh_adjoint_tangent(g, a, t):
    """Tangent of eigvalsh_adjoint(g, a) = V diag(g) V^T along a's tangent t, g held:
    V moves by V K, K = F * (V^T t V) antisymmetric (eigh_tangent), so V diag(g) V^T
    moves by V (K diag(g) - diag(g) K) V^T, whose entries are
    K[i, j] (g[j] - g[i]): divided differences of g, undefined (nan) where two
    eigenvalues are equal."""
    w, v = np.linalg.eigh(a)
    g = np.asarray(g)
    k = _gaps(w) * (_T(v) @ _symmetric_from_lower(t) @ v)
    return _onto_lower(v @ (k * (g[..., None, :] - g[..., :, None])) @ _T(v))


def eigvalsh_tangent(t, a):
    _, v = np.linalg.eigh(a)
    return np.diagonal(_T(v) @ _symmetric_from_lower(t) @ v, axis1=-2, axis2=-1)


# --- singular values, QR, pseudo-inverse ---------------------------------------------

def _thin_only(a, full_matrices):
    m, n = np.shape(a)[-2:]
    if full_matrices and m != n:
        raise NotImplementedError("s2sad differentiates the SVD of a matrix that is not "
                                  "square with full_matrices=False only (the extra "
                                  "columns of U or V are not determined by a)")


def svd_adjoint(g, a, ans, compute_uv=True, full_matrices=True):
    """Cotangent of a for the thin SVD (Townsend 2016), or for the singular values
    alone (`compute_uv=False`: U diag(g) V^T)."""
    if not compute_uv:
        u, _, vh = np.linalg.svd(a, full_matrices=False)
        return (u * np.asarray(g)[..., None, :]) @ vh
    _thin_only(a, full_matrices)
    u, s, vh = ans
    gu, gs, gvh = g
    if not (np.any(gu) or np.any(gvh)):   # the singular values alone: no gaps
        return (u * np.asarray(gs)[..., None, :]) @ vh
    v, gv = _T(vh), _T(gvh)
    f = _gaps(s * s)
    j = f * (_T(u) @ gu - _T(gu) @ u)
    k = f * (_T(v) @ gv - _T(gv) @ v)
    core = j * s[..., None, :] + s[..., :, None] * k + np.asarray(gs)[..., None, :] * np.eye(
        s.shape[-1])
    found = u @ core @ vh
    m, n = np.shape(a)[-2:]
    if m > s.shape[-1]:   # the part of gU outside U's columns
        found = found + (gu - u @ (_T(u) @ gu)) / s[..., None, :] @ vh
    if n > s.shape[-1]:
        found = found + u @ (_T(gv - v @ (_T(v) @ gv)) / s[..., :, None])
    return found


def svd_adjoint_tangent(g, a, ans, ta, tans, compute_uv=True, full_matrices=True):
    """Tangent of svd_adjoint(g, a, ans, ...) along a's tangent `ta` and ans's `tans`
    (either None), g held.  Singular values alone: U diag(g) V^T with U, V moving as
    svd_tangent says (a's tangent; ans is not read).  Otherwise each factor of the
    thin formula, ans = (U, S, Vh) moving by tans (a gives shapes only):
    F = 1 / (s_j^2 - s_i^2) moves by -F^2 (2 s_j ts_j - 2 s_i ts_i)."""
    if not compute_uv:
        if ta is None:
            return np.zeros(np.shape(a))
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        tu, _, tvh = svd_tangent(ta, a, (u, s, vh), True, False)
        gs = np.asarray(g)[..., None, :]
        return (tu * gs) @ vh + (u * gs) @ tvh
    _thin_only(a, full_matrices)
    if tans is None:
        return np.zeros(np.shape(a))
    u, s, vh = ans
    tu, ts, tvh = tans
    gu, gs, gvh = g
    diagonal = np.asarray(gs)[..., None, :]
    if not (np.any(gu) or np.any(gvh)):   # as svd_adjoint: U diag(gs) Vh
        return (tu * diagonal) @ vh + (u * diagonal) @ tvh
    v, gv, tv = _T(vh), _T(gvh), _T(tvh)
    f = _gaps(s * s)
    squares = 2 * s * ts
    tf = -f * f * (squares[..., None, :] - squares[..., :, None])
    ju, tju = _T(u) @ gu - _T(gu) @ u, _T(tu) @ gu - _T(gu) @ tu
    jv, tjv = _T(v) @ gv - _T(gv) @ v, _T(tv) @ gv - _T(gv) @ tv
    j, tj = f * ju, tf * ju + f * tju
    k, tk = f * jv, tf * jv + f * tjv
    core = j * s[..., None, :] + s[..., :, None] * k + diagonal * np.eye(s.shape[-1])
    tcore = (tj * s[..., None, :] + j * ts[..., None, :] + ts[..., :, None] * k
             + s[..., :, None] * tk)
    found = tu @ core @ vh + u @ tcore @ vh + u @ core @ tvh
    m, n = np.shape(a)[-2:]
    if m > s.shape[-1]:   # (P / s) Vh, P = gU - U U^T gU
        p = gu - u @ (_T(u) @ gu)
        tp = -(tu @ (_T(u) @ gu) + u @ (_T(tu) @ gu))
        scaled = p / s[..., None, :]
        found = found + (tp / s[..., None, :] - scaled * ts[..., None, :] / s[..., None, :]) \
            @ vh + scaled @ tvh
    if n > s.shape[-1]:   # U (Q^T / s), Q = gV - V V^T gV
        q = gv - v @ (_T(v) @ gv)
        tq = -(tv @ (_T(v) @ gv) + v @ (_T(tv) @ gv))
        scaled = _T(q) / s[..., :, None]
        found = found + tu @ scaled + u @ (_T(tq) / s[..., :, None]
                                           - scaled * ts[..., :, None] / s[..., :, None])
    return found


def svd_tangent(t, a, ans, compute_uv=True, full_matrices=True):
    """Tangents of the thin SVD (U, S, Vh), or of the singular values alone."""
    if not compute_uv:
        u, _, vh = np.linalg.svd(a, full_matrices=False)
        return np.diagonal(_T(u) @ t @ _T(vh), axis1=-2, axis2=-1)
    _thin_only(a, full_matrices)
    u, s, vh = ans
    v = _T(vh)
    p = _T(u) @ t @ v
    ts = np.diagonal(p, axis1=-2, axis2=-1)
    f = _gaps(s * s)
    ps, sp = p * s[..., None, :], s[..., :, None] * p
    tu = u @ (f * (ps + _T(ps)))
    tv = v @ (f * (sp + _T(sp)))
    m, n = np.shape(a)[-2:]
    if m > s.shape[-1]:
        tu = tu + (t @ v - u @ p) / s[..., None, :]
    if n > s.shape[-1]:
        tv = tv + (_T(t) @ u - v @ _T(p)) / s[..., None, :]
    return tu, ts, _T(tv)


def _reduced_and_tall(a, mode):
    m, n = np.shape(a)[-2:]
    if m < n or mode != "reduced":
        raise NotImplementedError(f"s2sad differentiates np.linalg.qr with mode='reduced' "
                                  f"of matrices with at least as many rows as columns, not "
                                  f"mode={mode!r} of {m} x {n}")


def qr_adjoint(g, a, ans, mode="reduced"):
    """Cotangent of a for (Q, R) = qr(a), reduced, m >= n:
    (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q."""
    _reduced_and_tall(a, mode)
    q, r = ans
    gq, gr = g
    m = r @ _T(gr) - _T(gq) @ q
    copied = np.tril(m) + _T(np.tril(m, -1))
    return _T(np.linalg.solve(r, _T(gq + q @ copied)))


def qr_adjoint_tangent(g, a, ans, t, mode="reduced"):
    """Tangent of qr_adjoint(g, a, ans) along ans's tangent t = (tQ, tR), g held (a
    gives the shape only): with Y = gQ + Q copyltu(M), M = R gR^T - gQ^T Q, the
    adjoint Y R^-T moves by (tY - (Y R^-T) tR^T) R^-T."""
    _reduced_and_tall(a, mode)
    q, r = ans
    tq, tr = t
    gq, gr = g
    m, tm = r @ _T(gr) - _T(gq) @ q, tr @ _T(gr) - _T(gq) @ tq
    copied = np.tril(m) + _T(np.tril(m, -1))
    tcopied = np.tril(tm) + _T(np.tril(tm, -1))
    found = _T(np.linalg.solve(r, _T(gq + q @ copied)))
    moved = tq @ copied + q @ tcopied - found @ _T(tr)
    return _T(np.linalg.solve(r, _T(moved)))


def qr_tangent(t, a, ans, mode="reduced"):
    """Tangents of (Q, R) = qr(a), reduced, m >= n."""
    _reduced_and_tall(a, mode)
    q, r = ans
    x = _T(np.linalg.solve(_T(r), _T(t)))        # t R^-1
    qx = _T(q) @ x
    lower = np.tril(qx, -1)
    skew = lower - _T(lower)
    return q @ skew + x - q @ qx, (qx - skew) @ r


def pinv_adjoint(g, a, ans, rcond=None, rtol=None):
    """Cotangent of a for ans = pinv(a), the rank held (Golub and Pereyra)."""
    _not_truncated(a, rcond if rcond is not None else rtol, "pinv")
    p = ans
    left = np.eye(np.shape(a)[-2], dtype=p.dtype) - a @ p
    right = np.eye(np.shape(a)[-1], dtype=p.dtype) - p @ a
    return -_T(p) @ g @ _T(p) + left @ _T(g) @ p @ _T(p) + _T(p) @ p @ _T(g) @ right


def pinv_adjoint_tangent(g, a, ans, ta, tans):
    """Tangent of pinv_adjoint(g, a, ans) along a's tangent `ta` and ans's `tans`
    (either None), g held: each product of the formula, term by term, with
    left = I - a p moving by -(ta p + a tp), right = I - p a by -(tp a + p ta)."""
    p = ans
    ta = np.zeros(np.shape(a)) if ta is None else ta
    tp = np.zeros(np.shape(p)) if tans is None else tans
    left = np.eye(np.shape(a)[-2], dtype=p.dtype) - a @ p
    right = np.eye(np.shape(a)[-1], dtype=p.dtype) - p @ a
    tleft, tright = -(ta @ p + a @ tp), -(tp @ a + p @ ta)
    gt = _T(g)
    return (-(_T(tp) @ g @ _T(p) + _T(p) @ g @ _T(tp))
            + tleft @ gt @ p @ _T(p) + left @ gt @ (tp @ _T(p) + p @ _T(tp))
            + (_T(tp) @ p + _T(p) @ tp) @ gt @ right + _T(p) @ p @ gt @ tright)


def pinv_tangent(t, a, ans, rcond=None, rtol=None):
    _not_truncated(a, rcond if rcond is not None else rtol, "pinv")
    p = ans
    left = np.eye(np.shape(a)[-2], dtype=p.dtype) - a @ p
    right = np.eye(np.shape(a)[-1], dtype=p.dtype) - p @ a
    return -p @ t @ p + p @ _T(p) @ _T(t) @ left + right @ _T(t) @ _T(p) @ p


def _not_truncated(a, rcond, name: str):
    """The fixed-rank formulas hold where no nonzero singular value is cut off."""
    s = np.linalg.svd(a, compute_uv=False)
    top = np.max(s, axis=-1, keepdims=True)
    if rcond is None:   # lstsq's default, and about pinv's
        rcond = np.finfo(float).eps * max(np.shape(a)[-2:])
    cut = (s <= rcond * top) & (s > 100 * np.finfo(float).eps * max(np.shape(a)[-2:]) * top)
    if np.any(cut):
        raise NotImplementedError(f"s2sad differentiates np.linalg.{name} where its "
                                  "cut-off (rcond) drops no nonzero singular value")


def _lstsq_solution_only(g):
    """The residuals and singular values have no rule yet (the rank, an integer, has
    no derivative)."""
    if np.any(g[1]) or np.any(g[3]):
        raise NotImplementedError("s2sad differentiates the solution of np.linalg.lstsq "
                                  "(and its rank: zero), not its residuals or singular "
                                  "values")


def lstsq_db(g, a, b, rcond=None):
    """Cotangent of b for x = lstsq(a, b)[0] = pinv(a) b: pinv(a)^T gx."""
    _lstsq_solution_only(g)
    _not_truncated(a, rcond, "lstsq")
    return _T(np.linalg.pinv(a)) @ g[0]


def lstsq_da(g, a, b, rcond=None):
    """Cotangent of a for x = lstsq(a, b)[0]: pinv's, with the cotangent gx b^T."""
    _lstsq_solution_only(g)
    _not_truncated(a, rcond, "lstsq")
    gx, b = np.asarray(g[0]), np.asarray(b)
    outer = gx[:, None] * b[None, :] if b.ndim == 1 else gx @ _T(b)
    return pinv_adjoint(outer, a, np.linalg.pinv(a))


def lstsq_db_tangent(g, a, t, rcond=None):
    """Tangent of lstsq_db(g, a, b) = pinv(a)^T gx along a's tangent t, g held."""
    _not_truncated(a, rcond, "lstsq")
    return _T(pinv_tangent(t, a, np.linalg.pinv(a))) @ g[0]


def lstsq_da_tangent(g, a, b, t, rcond=None):
    """Tangent of lstsq_da(g, a, b) along a's tangent t, g and b held (it is linear in
    each): pinv_adjoint's, with pinv(a) moving by pinv_tangent."""
    _not_truncated(a, rcond, "lstsq")
    gx, b = np.asarray(g[0]), np.asarray(b)
    outer = gx[:, None] * b[None, :] if b.ndim == 1 else gx @ _T(b)
    p = np.linalg.pinv(a)
    return pinv_adjoint_tangent(outer, a, p, t, pinv_tangent(t, a, p))


def lstsq_tangent(t, a, b, ans, of_b: bool, rcond=None):
    """Tangents of (x, residuals, rank, s) = lstsq(a, b) along a's tangent or, with
    `of_b`, b's: x's through pinv(a); the residuals |b - a x|^2 move by
    2 r . (tb - ta x - a tx) (r = b - a x); the singular values as svd's; the rank
    is an integer."""
    from . import Cotangents   # the terms of a and b add item by item
    _not_truncated(a, rcond, "lstsq")
    x, residuals, _, _ = ans
    p = np.linalg.pinv(a)
    tx = p @ t if of_b else pinv_tangent(t, a, p) @ b
    moved = (t if of_b else -(t @ x)) - a @ tx
    r = b - a @ x
    tres = 2 * np.sum(r * moved, axis=0) * np.ones(np.shape(residuals)) \
        if np.size(residuals) else np.zeros(np.shape(residuals))
    ts = np.zeros(np.shape(ans[3])) if of_b else svd_tangent(t, a, None, compute_uv=False)
    return Cotangents((tx, tres, np.zeros(np.shape(ans[2])), ts))


def matrix_power_adjoint(g, a, n):
    """Cotangent of a for matrix_power(a, n): the sum over k of (a^T)^k g (a^T)^(n-1-k);
    for n < 0, through inv(a)."""
    if n < 0:
        b = np.linalg.inv(a)
        return inv_adjoint(matrix_power_adjoint(g, b, -n), b)
    powers = [np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ a)
    return sum(_T(powers[k]) @ g @ _T(powers[n - 1 - k]) for k in range(n)) if n else \
        np.zeros(np.shape(a), a.dtype)


def matrix_power_adjoint_tangent(g, a, n, t):
    """Tangent of matrix_power_adjoint(g, a, n) along a's tangent t, g held: in each
    term (a^T)^k g (a^T)^(n-1-k), a^k moves by matrix_power_tangent(t, a, k); for
    n < 0, through inv(a) (which moves by -inv(a) t inv(a))."""
    if n < 0:
        b = np.linalg.inv(a)
        tb = -b @ t @ b
        inner = matrix_power_adjoint(g, b, -n)
        return inv_adjoint(matrix_power_adjoint_tangent(g, b, -n, tb), b) \
            + inv_adjoint_tangent(inner, b, tb)
    if n == 0:
        return np.zeros(np.shape(a), a.dtype)
    powers = [np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)]
    moved = [np.zeros(np.shape(a), a.dtype)]   # the tangents of the powers
    for _ in range(n - 1):
        moved.append(moved[-1] @ a + powers[-1] @ t)
        powers.append(powers[-1] @ a)
    return sum(_T(moved[k]) @ g @ _T(powers[n - 1 - k]) + _T(powers[k]) @ g
               @ _T(moved[n - 1 - k]) for k in range(n))


def matrix_power_tangent(t, a, n):
    if n < 0:
        b = np.linalg.inv(a)
        return matrix_power_tangent(-b @ t @ b, b, -n)
    powers = [np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ a)
    return sum(powers[k] @ t @ powers[n - 1 - k] for k in range(n)) if n else \
        np.zeros(np.shape(a), a.dtype)


def multi_dot_adjoints(g, arrays):
    """Cotangents of each of multi_dot(arrays): a 1-D first array is a row, a 1-D last
    one a column."""
    mats = [np.asarray(x) for x in arrays]
    row, column = mats[0].ndim == 1, mats[-1].ndim == 1
    mats[0] = mats[0][None, :] if row else mats[0]
    mats[-1] = mats[-1][:, None] if column else mats[-1]
    g = np.asarray(g)
    g = g[None, ...] if row else g
    g = g[..., None] if column else g
    found = []
    for i in range(len(mats)):
        before = np.linalg.multi_dot(mats[:i]) if i > 1 else (mats[0] if i == 1 else None)
        after = np.linalg.multi_dot(mats[i + 1:]) if len(mats) - i > 2 else (
            mats[-1] if i == len(mats) - 2 else None)
        part = g if after is None else g @ after.T
        part = part if before is None else before.T @ part
        found.append(part.reshape(np.shape(arrays[i])))
    return tuple(found)


def multi_dot_adjoints_tangent(g, arrays, tangents):
    """Tangent of multi_dot_adjoints(g, arrays) along the arrays' `tangents`, g held:
    the cotangent of array i is linear in each of the others, so array j's tangent
    adds the cotangents with arrays[j] replaced by it, but array j's own."""
    from . import Cotangents
    found = [np.zeros(np.shape(x)) for x in arrays]
    for j, t in enumerate(tangents):
        if t is None or not np.any(t):   # constants add nothing
            continue
        parts = multi_dot_adjoints(g, list(arrays[:j]) + [t] + list(arrays[j + 1:]))
        found = [f if i == j else f + part for i, (f, part) in enumerate(zip(found, parts))]
    return Cotangents(found)


def multi_dot_at(t, position: int, arrays):
    """multi_dot(arrays) with `t` in place of one of them (a term of its tangent)."""
    return np.linalg.multi_dot(list(arrays[:position]) + [t] + list(arrays[position + 1:]))


# --- shapes ----------------------------------------------------------------------------

def diag_adjoint(g, v, k=0):
    """Cotangent of v for np.diag(v, k): the k-th diagonal of g (v 1-D), or g put on
    the k-th diagonal of a matrix shaped like v (v 2-D)."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k).copy()   # a view of g is read-only
    found = np.zeros(np.shape(v))
    rows = np.arange(len(g)) + max(-k, 0)
    found[rows, rows + k] = g
    return found


def kron_adjoints(g, a, b):
    """Cotangents of a and b for np.kron(a, b), for 1-D or 2-D a and b of one ndim."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != b.ndim or a.ndim not in (1, 2):
        raise NotImplementedError("s2sad differentiates np.kron of two vectors or two "
                                  "matrices")
    if a.ndim == 1:
        blocks = np.reshape(g, (a.size, b.size))
        return blocks @ b, a @ blocks
    (m, n), (p, q) = a.shape, b.shape
    blocks = np.reshape(g, (m, p, n, q))
    return np.einsum("ipjq,pq->ij", blocks, b), np.einsum("ipjq,ij->pq", blocks, a)


def tensordot_subscripts(axes, a, b) -> str:
    """The np.einsum subscripts of np.tensordot(a, b, axes).

    >>> tensordot_subscripts(1, np.zeros((2, 3)), np.zeros((3, 4)))
    'ab,bd->ad'
    """
    na, nb = np.ndim(a), np.ndim(b)
    if isinstance(axes, (int, np.integer)):
        summed_a, summed_b = list(range(na - axes, na)), list(range(axes))
    else:
        summed_a, summed_b = ([axes[0]] if np.ndim(axes[0]) == 0 else list(axes[0]),
                              [axes[1]] if np.ndim(axes[1]) == 0 else list(axes[1]))
    summed_a, summed_b = [i % na for i in summed_a], [i % nb for i in summed_b]
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    of_a = [next(letters) for _ in range(na)]
    of_b = [next(letters) for _ in range(nb)]
    for i, j in zip(summed_a, summed_b):
        of_b[j] = of_a[i]
    out = [c for i, c in enumerate(of_a) if i not in summed_a] + \
        [c for j, c in enumerate(of_b) if j not in summed_b]
    return f"{''.join(of_a)},{''.join(of_b)}->{''.join(out)}"
