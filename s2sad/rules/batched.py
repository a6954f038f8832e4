"""How forward rules take a batch of tangents: `t` shaped `(k,) + x.shape`, one row
per basis vector, so that `jacobian` pushes them all in one call (see `defbatch`).

Elementwise rules need nothing here: `t * np.cos(x)` broadcasts over the batch once
`t` lines up with the output (`batch_align`).  Reductions and other axis-taking
functions work as they are once their axes count from the end.  The rest take a
template of their own.  A function not listed makes `jacobian` fall back to one
call per basis vector.
"""
import operator

import numpy as np

from ..runtime import put_values as R_put_values, scattered_add as R_scattered_add
from .registry import defbatch, lookup

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
defbatch(L.slogdet, ta="batch_each(slogdet_tangent, 0, t, t, a, ans)")
defbatch(L.cholesky, ta="batch_each(cholesky_tangent, 0, t, t, ans) if not upper else "
                        "unsupported('np.linalg.cholesky', 'upper=True')")
defbatch(L.eigh, ta="batch_each(eigh_tangent, 0, t, t, ans) if UPLO == 'L' else "
                    "unsupported('np.linalg.eigh', \"UPLO='U'\")")
defbatch(L.eigvalsh, ta="batch_each(eigvalsh_tangent, 0, t, t, a) if UPLO == 'L' else "
                        "unsupported('np.linalg.eigvalsh', \"UPLO='U'\")")
defbatch(L.svd, ta="batch_each(svd_tangent, 0, t, t, a, ans, compute_uv, full_matrices) "
                   "if not hermitian else unsupported('np.linalg.svd', 'hermitian=True')")
defbatch(L.qr, ta="batch_each(qr_tangent, 0, t, t, a, ans, mode)")
defbatch(L.pinv, ta="batch_each(pinv_tangent, 0, t, t, a, ans, rcond, rtol) if not hermitian "
                    "else unsupported('np.linalg.pinv', 'hermitian=True')")
defbatch(L.lstsq, ta="batch_each(lstsq_tangent, 0, t, t, a, b, ans, False, rcond)",
         tb="batch_each(lstsq_tangent, 0, t, t, a, b, ans, True, rcond)")
defbatch(L.matrix_power, ta="batch_each(matrix_power_tangent, 0, t, t, a, n)")
defbatch(L.multi_dot, tarrays="batch_each(multi_dot_at, 0, t, t, position, arrays)")
defbatch(np.diag, tv="batch_each(np.diag, 0, t, t, k)")
defbatch(np.tril, tm="batch_each(np.tril, 0, t, t, k)")
defbatch(np.triu, tm="batch_each(np.triu, 0, t, t, k)")
defbatch(np.kron, ta="batch_each(np.kron, 0, t, t, b)", tb="batch_each(np.kron, 1, t, a, t)")
defbatch(np.tensordot, ta="batch_each(np.tensordot, 0, t, t, b, axes)",
         tb="batch_each(np.tensordot, 1, t, a, t, axes)")

# --- sorting, picking, repeating, ...: item by item --------------------------------------
defbatch(np.sort, ta="batch_each(sorted_along, 0, t, t, a, axis)")
defbatch(np.take, ta="batch_each(np.take, 0, t, t, indices, axis, None, mode)")
defbatch(np.take_along_axis, tarr="batch_each(np.take_along_axis, 0, t, t, indices, axis)")
defbatch(np.repeat, ta="batch_each(np.repeat, 0, t, t, repeats, axis)")
defbatch(np.tile, tA="batch_each(np.tile, 0, t, t, reps)")
defbatch(np.pad, tarray="batch_each(padded_tangent, 0, t, t, pad_width, mode)",
         tconstant_values="batch_each(pad_value_tangent, 0, t, t, array, pad_width, "
                          "constant_values)")
for _split in (np.split, np.array_split):
    defbatch(_split, tary=f"batch_each(np.{_split.__name__}, 0, t, t, indices_or_sections, "
                          "axis)")
defbatch(np.append, tarr="batch_each(np.append, 0, t, t, np.zeros(np.shape(values)), axis)",
         tvalues="batch_each(np.append, 1, t, np.zeros(np.shape(arr)), t, axis)")
defbatch(np.diff, ta="batch_each(np.diff, 0, t, t, n, axis)")
defbatch(np.cumprod, ta="batch_each(cumprod_tangent, 0, t, t, a, axis)")
defbatch(np.interp, "x", tfp="batch_each(np.interp, 2, t, x, xp, t, None if left is None "
                              "else 0.0, None if right is None else 0.0, period)")
defbatch(np.cross, ta="batch_each(np.cross, 0, t, t, b)", tb="batch_each(np.cross, 1, t, a, t)")
defbatch(np.convolve, ta="batch_each(np.convolve, 0, t, t, v, mode)",
         tv="batch_each(np.convolve, 1, t, a, t, mode)")
defbatch(np.polyval, "x", tp="batch_each(np.polyval, 0, t, t, x)")
defbatch(np.trapezoid, ty="batch_each(np.trapezoid, 0, t, t, x, dx, axis)")
defbatch(R_put_values, ta="batch_each(put_values, 0, t, t, indices, np.zeros(np.shape(v)), "
                           "mode)",
         tv="batch_each(put_values, 2, t, np.zeros(np.shape(a)), indices, t, mode)")
defbatch(R_scattered_add, "a",
         tv="batch_each(scattered_add, 2, t, np.zeros(np.shape(a)), index, t)")
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
# ... and those without a form of their own: once per basis vector, inside the call
for _fn in (R.dot_da, R.dot_db, R.inner_da, R.inner_db, R.reverse_cumsum, R.trace_adjoint,
            R.diagonal_adjoint, R.written_cotangent, R.select_extreme, R.split_like,
            R.array_adjoint, R.stacked_cotangent, R.unbroadcast_each, R.sorted_adjoint):
    _arguments = ", ".join(p.name for p in lookup(_fn).params)
    defbatch(_fn, tvalue=f"batch_each({_fn.__name__}, 0, t, {_arguments})")
defbatch(R.prod_partials, tx="batch_each(prod_partials_tangent, 1, t, x, t, axis)")
defbatch(R.norm_adjoint, tg="batch_each(norm_adjoint, 0, t, g, x, norm, ord, axis, keepdims)",
         tx="batch_each(norm_adjoint_tangent, 3, t, g, x, norm, t, ord, axis, keepdims)",
         tnorm="batch_each(norm_adjoint_tangent_of_norm, 3, t, g, x, norm, t, ord, axis, "
               "keepdims)")
defbatch(R.einsum_adjoints, tg="batch_each(einsum_adjoints, 0, t, g, subscripts, operands)",
         toperands="batch_each(einsum_adjoints_tangent, 3, t, g, subscripts, operands, t)")

# ... and of the array helpers (second derivatives through sort, take, pad, ...)
from ..runtime import arrays as A  # noqa: E402

for _fn in (A.sort_adjoint, A.take_adjoint, A.take_along_axis_adjoint, A.repeat_adjoint,
            A.tile_adjoint, A.pad_adjoint, A.pad_value_cotangent, A.split_adjoint,
            A.append_adjoint, A.diff_adjoint, A.polyval_dp, A.interp_weights,
            A.scattered_cotangent, A.put_cotangent):
    _arguments = ", ".join(p.name for p in lookup(_fn).params)
    defbatch(_fn, tg=f"batch_each({_fn.__name__}, 0, t, {_arguments})")
defbatch(A.cumprod_adjoint, tg="batch_each(cumprod_adjoint, 0, t, t, a, axis)",
         ta="batch_each(cumprod_adjoint_tangent, 2, t, g, a, t, axis)")
defbatch(A.interp_slope, tfp="batch_each(interp_slope, 2, t, x, xp, t, period)")
defbatch(A.cross_adjoint, tg="batch_each(cross_adjoint, 0, t, t, a, b, of_b)",
         ta="batch_each(cross_adjoint, 1, t, g, t, b, True) if of_b else "
            "batch_zero(a, len(t))",
         tb="batch_each(cross_adjoint, 2, t, g, a, t, False) if not of_b else "
            "batch_zero(b, len(t))")
defbatch(A.convolve_adjoints, tg="batch_each(convolve_adjoints, 0, t, t, a, v, mode)",
         ta="Cotangents((batch_zero(a, len(t)), batch_each(convolve_adjoints, 1, t, g, t, v, "
            "mode)[1]))",
         tv="Cotangents((batch_each(convolve_adjoints, 2, t, g, a, t, mode)[0], "
            "batch_zero(v, len(t))))")

# ... and of np.linalg's adjoints (runtime.linalg): once per basis vector, inside the call
defbatch(R.inv_adjoint, "g", "x")   # -x^T g x^T: a batch of g (or x) broadcasts
for _fn in (R.solve_adjoints, R.solve_da, R.solve_db, R.det_adjoint, R.slogdet_adjoint,
            R.cholesky_adjoint, R.eigh_adjoint, R.eigvalsh_adjoint, R.svd_adjoint,
            R.qr_adjoint, R.pinv_adjoint, R.lstsq_db, R.lstsq_da,
            R.matrix_power_adjoint, R.multi_dot_adjoints, R.diag_adjoint,
            R.kron_adjoints):   # linear in g
    _arguments = ", ".join(p.name for p in lookup(_fn).params)
    defbatch(_fn, tg=f"batch_each({_fn.__name__}, 0, t, {_arguments})")
defbatch(R.solve_adjoints, ta="batch_each(solve_adjoints_tangent, 4, t, g, a, b, x, t, None)",
         tx="batch_each(solve_adjoints_tangent, 5, t, g, a, b, x, None, t)")
defbatch(R.solve_da, ta="batch_each(solve_adjoints_tangent, 4, t, g, a, b, x, t, None)[0]",
         tx="batch_each(solve_adjoints_tangent, 5, t, g, a, b, x, None, t)[0]")
defbatch(R.solve_db, ta="batch_each(solve_db_tangent, 3, t, g, a, b, t)")
defbatch(R.det_adjoint, tx="batch_each(det_adjoint, 2, t, g, a, t)",
         ta="batch_each(det_adjoint_tangent, 3, t, g, a, x, t)")
defbatch(R.slogdet_adjoint, ta="batch_each(slogdet_adjoint_tangent, 2, t, g, a, t)")
defbatch(R.cholesky_adjoint, tx="batch_each(cholesky_adjoint_tangent, 2, t, g, x, t)")
defbatch(R.eigh_adjoint, tx="batch_each(eigh_adjoint_tangent, 2, t, g, x, t)")
defbatch(R.eigvalsh_adjoint, ta="batch_each(eigvalsh_adjoint_tangent, 2, t, g, a, t)")
defbatch(R.svd_adjoint, ta="batch_each(svd_adjoint_tangent, 3, t, g, a, x, t, None, "
                            "compute_uv, full_matrices)",
         tx="batch_each(svd_adjoint_tangent, 4, t, g, a, x, None, t, compute_uv, "
            "full_matrices)")
defbatch(R.qr_adjoint, tx="batch_each(qr_adjoint_tangent, 3, t, g, a, x, t, mode)")
defbatch(R.pinv_adjoint, ta="batch_each(pinv_adjoint_tangent, 3, t, g, a, x, t, None)",
         tx="batch_each(pinv_adjoint_tangent, 4, t, g, a, x, None, t)")
defbatch(R.lstsq_db, ta="batch_each(lstsq_db_tangent, 2, t, g, a, t, rcond)")
defbatch(R.lstsq_da, tb="batch_each(lstsq_da, 2, t, g, a, t, rcond)",
         ta="batch_each(lstsq_da_tangent, 3, t, g, a, b, t, rcond)")
defbatch(R.matrix_power_adjoint,
         ta="batch_each(matrix_power_adjoint_tangent, 3, t, g, a, n, t)")
defbatch(R.multi_dot_adjoints,
         tarrays="batch_each(multi_dot_adjoints_tangent, 2, t, g, arrays, t)")
defbatch(R.kron_adjoints,
         ta="Cotangents((batch_zero(a, len(t)), batch_each(kron_adjoints, 1, t, g, t, b)[1]))",
         tb="Cotangents((batch_each(kron_adjoints, 2, t, g, a, t)[0], batch_zero(b, len(t))))")
# a split call's backward part (np.linalg.solve's with SciPy: runtime.linalg.FactoredSolve)
defbatch(R.split_backward, tg="batch_each(split_backward, 3, t, function, pair, args, g)",
         targs="batch_each(split_backward_tangent, 4, t, function, pair, args, g, t)")
