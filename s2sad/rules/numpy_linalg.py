"""Products of arrays and np.linalg.  The helpers (matmul_dx, dot_da, ...) live in
s2sad.runtime, those of the factorisations in s2sad.runtime.linalg (which says what
each does where its derivative is undefined); the transformer inlines
matmul_dx/matmul_dy as `g @ y.T`, ... when ndims are known.
"""
import numpy as np

from ..runtime import LIBRARY_SPLITS
from ..runtime.linalg import FactoredSolve
from .registry import defjvp, deflinear, defvjp

defvjp(np.matmul, "x1, x2", output="matmul",
       dx1="matmul_dx(g, x1, x2)", dx2="matmul_dy(g, x1, x2)")
defvjp(np.dot, "a, b, out=None", output="unknown",
       da="dot_da(g, a, b)", db="dot_db(g, a, b)")
defvjp(np.inner, "a, b", output="unknown",
       da="inner_da(g, a, b)", db="inner_db(g, a, b)")
# np.outer flattens both inputs: ans[i, j] = a.flat[i] * b.flat[j].
defvjp(np.outer, "a, b, out=None", output="unknown",
       da="np.reshape(g @ np.ravel(b), np.shape(a))",
       db="np.reshape(np.ravel(a) @ g, np.shape(b))")
# np.vdot flattens both inputs (real arrays: the conjugate is not taken).
defvjp(np.vdot, "a, b", output="scalar",
       da="g * np.reshape(b, np.shape(a))", db="g * np.reshape(a, np.shape(b))")
defvjp(np.einsum, "subscripts, *operands, out=None, optimize=False, dtype=None, "
                  "order='K', casting='safe'", output="unknown",
       doperands="einsum_adjoints(g, subscripts, operands)")

# --- forward: products are linear in each factor ---------------------------------------
for _product in (np.matmul,):
    deflinear(_product, "x1", "x2")
for _product in (np.dot, np.inner, np.outer, np.vdot):
    deflinear(_product, "a", "b")
deflinear(np.einsum, "operands", jointly=False)   # one operand's tangent at a time


# --- np.linalg: solvers and factorisations ----------------------------------------------
L = np.linalg
defvjp(L.inv, "a", output="same", da="inv_adjoint(g, ans)")
defjvp(L.inv, ta="-ans @ t @ ans")
defvjp(L.solve, "a, b", output="unknown", da="solve_da(g, a, b, ans)", db="solve_db(g, a, b)",
       joint=("a, b", "solve_adjoints(g, a, b, ans)"))   # one solve with a^T for both
deflinear(L.solve, "b")
try:   # with SciPy, reverse mode keeps solve's LU factors for the backward sweep
    import scipy.linalg  # noqa: F401
    LIBRARY_SPLITS[L.solve] = FactoredSolve()
except ImportError:   # pragma: no cover - SciPy absent: the rule above alone
    pass
defjvp(L.solve, ta="solve_tangent_a(t, a, b, ans)")
defvjp(L.det, "a", output="unknown", da="det_adjoint(g, a, ans)")
defjvp(L.det, ta="det_tangent(t, a, ans)")
defvjp(L.slogdet, "a", output="unknown", da="slogdet_adjoint(g, a)")
defjvp(L.slogdet, ta="slogdet_tangent(t, a, ans)")
# options without a rule: `unsupported(...)`, refused when the transformer sees the
# option written as a literal, else at run time
_UPPER = "unsupported('np.linalg.cholesky', 'upper=True')"
defvjp(L.cholesky, "a, *, upper=False", output="same",
       da=f"cholesky_adjoint(g, ans) if not upper else {_UPPER}")
defjvp(L.cholesky, ta=f"cholesky_tangent(t, ans) if not upper else {_UPPER}")
defvjp(L.eigh, "a, UPLO='L'", output="unknown",
       da="eigh_adjoint(g, ans) if UPLO == 'L' else unsupported('np.linalg.eigh', \"UPLO='U'\")")
defjvp(L.eigh,
       ta="eigh_tangent(t, ans) if UPLO == 'L' else unsupported('np.linalg.eigh', \"UPLO='U'\")")
defvjp(L.eigvalsh, "a, UPLO='L'", output="unknown",
       da="eigvalsh_adjoint(g, a) if UPLO == 'L' else "
          "unsupported('np.linalg.eigvalsh', \"UPLO='U'\")")
defjvp(L.eigvalsh, ta="eigvalsh_tangent(t, a) if UPLO == 'L' else "
                      "unsupported('np.linalg.eigvalsh', \"UPLO='U'\")")
defvjp(L.svd, "a, full_matrices=True, compute_uv=True, hermitian=False", output="unknown",
       da="svd_adjoint(g, a, ans, compute_uv, full_matrices) if not hermitian else "
          "unsupported('np.linalg.svd', 'hermitian=True')")
defjvp(L.svd, ta="svd_tangent(t, a, ans, compute_uv, full_matrices) if not hermitian "
                 "else unsupported('np.linalg.svd', 'hermitian=True')")
defvjp(L.qr, "a, mode='reduced'", output="unknown", da="qr_adjoint(g, a, ans, mode)")
defjvp(L.qr, ta="qr_tangent(t, a, ans, mode)")
defvjp(L.pinv, "a, rcond=None, hermitian=False, *, rtol=None", output="unknown",
       da="pinv_adjoint(g, a, ans, rcond, rtol) if not hermitian else "
          "unsupported('np.linalg.pinv', 'hermitian=True')")
defjvp(L.pinv, ta="pinv_tangent(t, a, ans, rcond, rtol) if not hermitian else "
                  "unsupported('np.linalg.pinv', 'hermitian=True')")
defvjp(L.lstsq, "a, b, rcond=None", output="unknown",
       da="lstsq_da(g, a, b, rcond)", db="lstsq_db(g, a, b, rcond)")
defjvp(L.lstsq, ta="lstsq_tangent(t, a, b, ans, False, rcond)",
       tb="lstsq_tangent(t, a, b, ans, True, rcond)")
defvjp(L.matrix_power, "a, n", output="same", da="matrix_power_adjoint(g, a, n)")
defjvp(L.matrix_power, ta="matrix_power_tangent(t, a, n)")
defvjp(L.multi_dot, "arrays: seq, *, out=None", output="unknown",
       darrays="multi_dot_adjoints(g, arrays)")
deflinear(L.multi_dot, "arrays", jointly=False)   # one factor's tangent at a time

# --- matrices from and to their parts ---------------------------------------------------
defvjp(np.diag, "v, k=0", output="unknown", dv="diag_adjoint(g, v, k)")
# of a vector: the (N, N) matrix with it in every row, so its cotangent sums the rows
defvjp(np.tril, "m, k=0", output="unknown",
       dm="np.tril(g, k) if np.ndim(m) > 1 else np.sum(np.tril(g, k), axis=0)")
defvjp(np.triu, "m, k=0", output="unknown",
       dm="np.triu(g, k) if np.ndim(m) > 1 else np.sum(np.triu(g, k), axis=0)")
defvjp(np.kron, "a, b", output="unknown",
       da="kron_adjoints(g, a, b)[0]", db="kron_adjoints(g, a, b)[1]",
       joint=("a, b", "kron_adjoints(g, a, b)"))
defvjp(np.tensordot, "a, b, axes=2", output="unknown",
       da="einsum_adjoints(g, tensordot_subscripts(axes, a, b), (a, b))[0]",
       db="einsum_adjoints(g, tensordot_subscripts(axes, a, b), (a, b))[1]",
       joint=("a, b", "einsum_adjoints(g, tensordot_subscripts(axes, a, b), (a, b))"))
for _fn, _params in ((np.diag, ("v",)), (np.tril, ("m",)), (np.triu, ("m",)),
                     (np.kron, ("a", "b")), (np.tensordot, ("a", "b"))):
    deflinear(_fn, *_params)
