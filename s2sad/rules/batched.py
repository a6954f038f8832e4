"""How forward rules take a batch of tangents: `t` shaped `(k,) + x.shape`, one row
per basis vector, so that `jacobian` pushes them all in one call (see `defbatch`).

Elementwise rules need nothing here: `t * np.cos(x)` broadcasts over the batch once
`t` lines up with the output (`batch_align`).  Reductions and other axis-taking
functions work as they are once their axes count from the end.  The rest take a
template of their own, or none: a forward template that is one call reading `t` as
an argument, and a function linear in an argument (positional), run on each basis
vector's tangent in turn (`batch_each`, see `forward_batched`).  Anything else makes
`jacobian` fall back to one call per basis vector.
"""
import operator

import numpy as np

from ..runtime import scattered_add as R_scattered_add
from .registry import defbatch

try:
    from scipy import special
except ImportError:   # pragma: no cover - SciPy absent
    special = None

# --- reductions and axis-taking functions: as they are, axes counted from the end ----
for _fn in (np.sum, np.mean, np.prod, np.max, np.amax, np.min, np.amin, np.var, np.std):
    defbatch(_fn, "a", axes={"axis": "a"})
defbatch(np.cumsum, "a", axes={"axis": "a:flat"})
defbatch(np.trace, "a", axes={"axis1": "a", "axis2": "a"})
defbatch(np.diagonal, "a", axes={"axis1": "a", "axis2": "a"})
defbatch(np.swapaxes, "a", axes={"axis1": "a", "axis2": "a"})
defbatch(np.moveaxis, "a", axes={"source": "a", "destination": "a"})
defbatch(np.flip, "m", axes={"axis": "m"})
defbatch(np.roll, "a", axes={"axis": "a:flat"})
defbatch(np.expand_dims, "a", axes={"axis": "ans"})
defbatch(np.stack, "arrays", axes={"axis": "ans"})
defbatch(np.concatenate, "arrays", axes={"axis": "ans:flat"})
defbatch(np.linalg.norm, "x", axes={"axis": "x"})
if special is not None:
    defbatch(special.logsumexp, "a", axes={"axis": "a"})
    defbatch(special.softmax, "x", axes={"axis": "x"})
    defbatch(special.log_softmax, "x", axes={"axis": "x"})

# --- entry by entry, or copies: as they are -------------------------------------------
for _fn, _param in ((np.copy, "a"), (np.float64, "x"), (np.real, "val"),
                    (np.conjugate, "x"), (np.conj, "x")):
    defbatch(_fn, _param)
defbatch(sum, titerable="batch_align(batch_sum(t, iterable), ans)",
         tstart="batch_align(t, ans)")
defbatch(list, titerable="batch_rows(t, iterable)")
defbatch(tuple, titerable="tuple(batch_rows(t, iterable))")
defbatch(sorted, titerable="batch_sorted_tangent(t, iterable, reverse)")
defbatch(float, tx="batch_reshape(t, ())")
for _fn in (max, min):
    defbatch(_fn, targs="batch_extreme_tangent(t, args, ans)")

# --- shapes: item by item -------------------------------------------------------------
defbatch(np.reshape, ta="batch_reshape(t, newshape if shape is None else shape, order, a)")
defbatch(np.ravel, ta="batch_reshape(t, -1, order, a)")
for _ndim, _fn in enumerate((np.atleast_1d, np.atleast_2d, np.atleast_3d), start=1):
    defbatch(_fn, tary=f"batch_atleast(t, ary, {_ndim})")
defbatch(np.hstack, ttup="batch_joined(t, tup, False)")
defbatch(np.vstack, ttup="batch_joined(t, tup, True)")
defbatch(np.transpose, ta="batch_transpose(t, axes)")
defbatch(np.squeeze, ta="batch_squeeze(t, a, axis)")
defbatch(np.broadcast_to, tarray="batch_broadcast_to(t, shape)")
defbatch(np.full, tfill_value="batch_broadcast_to(t, shape)")
defbatch(np.full_like, tfill_value="batch_broadcast_to(t, np.shape(a) if shape is None "
                                   "else shape)")
defbatch(np.array, tobject="batch_array(t)")
defbatch(np.asarray, ta="batch_array(t)")

# --- products: the batch axis kept first ----------------------------------------------
defbatch(operator.matmul, tx="batch_matmul(x, y, t, 0)", ty="batch_matmul(x, y, t, 1)")
defbatch(np.matmul, tx1="batch_matmul(x1, x2, t, 0)", tx2="batch_matmul(x1, x2, t, 1)")
for _fn, _helper in ((np.dot, "batch_dot"), (np.inner, "batch_inner"),
                     (np.outer, "batch_outer"), (np.vdot, "batch_vdot")):
    defbatch(_fn, ta=f"{_helper}(a, b, t, 0)", tb=f"{_helper}(a, b, t, 1)")
defbatch(np.einsum, toperands="batch_einsum(subscripts, position, t, operands)")

# --- np.linalg: the batch broadcasts as a stack of matrices, or goes item by item -------
L = np.linalg
for _fn in (L.inv, L.det):
    defbatch(_fn, "a")
defbatch(L.solve, ta="solve_tangent_a(batch_align(t, ans), a, b, ans)",
         tb="solve_like(a, batch_align(t, ans), b)")
defbatch(L.cholesky, ta="batch_each(cholesky_tangent, 0, t, t, ans) if not upper else "
                        "unsupported('np.linalg.cholesky', 'upper=True')")
defbatch(L.eigh, ta="batch_each(eigh_tangent, 0, t, t, ans) if UPLO == 'L' else "
                    "unsupported('np.linalg.eigh', \"UPLO='U'\")")
defbatch(L.eigvalsh, ta="batch_each(eigvalsh_tangent, 0, t, t, a) if UPLO == 'L' else "
                        "unsupported('np.linalg.eigvalsh', \"UPLO='U'\")")
defbatch(L.svd, ta="batch_each(svd_tangent, 0, t, t, a, ans, compute_uv, full_matrices) "
                   "if not hermitian else unsupported('np.linalg.svd', 'hermitian=True')")
defbatch(L.pinv, ta="batch_each(pinv_tangent, 0, t, t, a, ans, rcond, rtol) if not hermitian "
                    "else unsupported('np.linalg.pinv', 'hermitian=True')")
defbatch(L.multi_dot, tarrays="batch_each(multi_dot_at, 0, t, t, position, arrays)")
defbatch(np.diag, tv="batch_each(np.diag, 0, t, t, k)")
defbatch(np.tril, tm="batch_each(np.tril, 0, t, t, k)")
defbatch(np.triu, tm="batch_each(np.triu, 0, t, t, k)")
defbatch(np.kron, ta="batch_each(np.kron, 0, t, t, b)", tb="batch_each(np.kron, 1, t, a, t)")
defbatch(np.tensordot, ta="batch_each(np.tensordot, 0, t, t, b, axes)",
         tb="batch_each(np.tensordot, 1, t, a, t, axes)")

# --- sorting, picking, repeating, ...: item by item --------------------------------------
defbatch(np.take, ta="batch_each(np.take, 0, t, t, indices, axis, None, mode)")
defbatch(np.take_along_axis, tarr="batch_each(np.take_along_axis, 0, t, t, indices, axis)")
defbatch(np.repeat, ta="batch_each(np.repeat, 0, t, t, repeats, axis)")
defbatch(np.tile, tA="batch_each(np.tile, 0, t, t, reps)")
for _split in (np.split, np.array_split):
    defbatch(_split, tary=f"batch_each(np.{_split.__name__}, 0, t, t, indices_or_sections, "
                          "axis)")
defbatch(np.append, tarr="batch_each(np.append, 0, t, t, np.zeros(np.shape(values)), axis)",
         tvalues="batch_each(np.append, 1, t, np.zeros(np.shape(arr)), t, axis)")
defbatch(np.diff, ta="batch_each(np.diff, 0, t, t, n, axis)")
defbatch(np.interp, "x", tfp="batch_each(np.interp, 2, t, x, xp, t, None if left is None "
                              "else 0.0, None if right is None else 0.0, period)")
defbatch(np.cross, ta="batch_each(np.cross, 0, t, t, b)", tb="batch_each(np.cross, 1, t, a, t)")
defbatch(np.convolve, ta="batch_each(np.convolve, 0, t, t, v, mode)",
         tv="batch_each(np.convolve, 1, t, a, t, mode)")
defbatch(np.polyval, "x", tp="batch_each(np.polyval, 0, t, t, x)")
defbatch(np.trapezoid, ty="batch_each(np.trapezoid, 0, t, t, x, dx, axis)")
defbatch(R_scattered_add, "a")
for _fn in (np.nansum, np.nanmean, np.average, np.ptp):
    defbatch(_fn, "a", axes={"axis": "a"})

# --- the helpers a generated gradient calls: `hessian` is batched forward mode over it
from .. import runtime as R  # noqa: E402

defbatch(R.unbroadcast, tvalue="batch_unbroadcast(t, x)")
defbatch(R.as_gradient, tvalue="batch_as_gradient(t, x)")
defbatch(R.restore_axes, tvalue="batch_restore_axes(t, x, axis, keepdims)")
defbatch(R.expand_reduced, tvalue="batch_spread(batch_restore_axes(t, x, axis, keepdims), x)")
defbatch(R.spread, tvalue="batch_spread(t, like)")
defbatch(R.private_copy, "value")
defbatch(R.safe_divide, "a", "b")
defbatch(R.matmul_dx, tvalue="batch_matmul_dx(value, x, y, t, 0)",
         ty="batch_matmul_dx(value, x, y, t, 1)")
defbatch(R.matmul_dy, tvalue="batch_matmul_dy(value, x, y, t, 0)",
         tx="batch_matmul_dy(value, x, y, t, 1)")
defbatch(R.add_at, "accumulator", tg="batch_add_at(t, accumulator, index)")
for _fn in (R.digamma, R.sinc_derivative):
    defbatch(_fn, "x")
defbatch(R.polygamma, "x")
defbatch(R.split_like, tvalue="batch_each(split_like, 0, t, t, items, axis, ndmin)")   # ndmin=
# (the rest run once per basis vector, inside the call: `forward_batched`)
from ..runtime import arrays as A  # noqa: E402

defbatch(A.cross_adjoint,
         ta="batch_each(cross_adjoint, 1, t, g, t, b, True) if of_b else "
            "batch_zero(a, len(t))",
         tb="batch_each(cross_adjoint, 2, t, g, a, t, False) if not of_b else "
            "batch_zero(b, len(t))")
defbatch(A.convolve_adjoints,
         ta="Cotangents((batch_zero(a, len(t)), batch_each(convolve_adjoints, 1, t, g, t, v, "
            "mode)[1]))",
         tv="Cotangents((batch_each(convolve_adjoints, 2, t, g, a, t, mode)[0], "
            "batch_zero(v, len(t))))")
defbatch(R.inv_adjoint, "g", "x")   # -x^T g x^T: a batch of g (or x) broadcasts
defbatch(R.solve_da, ta="batch_each(solve_adjoints_tangent, 4, t, g, a, b, x, t, None)[0]",
         tx="batch_each(solve_adjoints_tangent, 5, t, g, a, b, x, None, t)[0]")
defbatch(R.kron_adjoints,
         ta="Cotangents((batch_zero(a, len(t)), batch_each(kron_adjoints, 1, t, g, t, b)[1]))",
         tb="Cotangents((batch_each(kron_adjoints, 2, t, g, a, t)[0], batch_zero(b, len(t))))")

