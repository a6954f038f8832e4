"""The runtime helpers generated derivatives call, with forward rules, so that forward
mode can run over a generated gradient: a Hessian-vector product is the tangent of
the gradient (`s2sad.hvp`).  A parameter whose template is "0" is read for its shape
only.  A helper not listed here makes a gradient that forward mode refuses."""
from .. import runtime as R
from .registry import defjvp, deflinear, defnondiff

_SHAPE_ONLY = "0"

defnondiff(R.scalar_seed, R.list_cotangent, R.reduced_count, R.extreme_weights, R.clip_mask,
           R.inverse_permutation, R.tie_weight, output="unknown")

# linear in the cotangent; the other arguments give shapes, axes or (fixed) choices
for _helper, _signature in (
        (R.unbroadcast, "value, x"), (R.as_gradient, "value, x"),
        (R.expand_reduced, "value, x, axis=None, keepdims=False"),
        (R.restore_axes, "value, x, axis=None, keepdims=False"),
        (R.split_like, "value, items, axis, ndmin=0"), (R.array_adjoint, "value, obj"),
        (R.stacked_cotangent, "value, items"), (R.unbroadcast_each, "value, items"),
        (R.sorted_adjoint, "value, items, reverse=False"),
        (R.reverse_cumsum, "value, x, axis=None"),
        (R.trace_adjoint, "value, x, offset=0, axis1=0, axis2=1"),
        (R.diagonal_adjoint, "value, x, offset=0, axis1=0, axis2=1"),
        (R.written_cotangent, "value, index, written"),
        (R.select_extreme, "value, args, extreme")):   # not `ans`: a template name
    deflinear(_helper, "value", signature=_signature)
    others = [p.strip().split("=")[0] for p in _signature.split(",")[1:]]
    defjvp(_helper, **{f"t{p}": _SHAPE_ONLY for p in others})

# products: linear in the cotangent and in the other factor; the first factor of a
# `dx` (the second of a `dy`) gives its shape only
for _dx, _dy in ((R.matmul_dx, R.matmul_dy), (R.dot_da, R.dot_db), (R.inner_da, R.inner_db)):
    deflinear(_dx, "value", "y", signature="value, x, y")
    defjvp(_dx, tx=_SHAPE_ONLY)
    deflinear(_dy, "value", "x", signature="value, x, y")
    defjvp(_dy, ty=_SHAPE_ONLY)

deflinear(R.private_copy, "value", signature="value")
# ... and those generated forward code calls (a third derivative goes through them)
deflinear(R.spread, "value", signature="value, like")
defjvp(R.spread, tlike=_SHAPE_ONLY)
defnondiff(R.zero_tangent, R.cotangent_zeros, output="unknown")
# a call differentiated as a whole (`grad(f)` called in f's caller): its backward
# part is linear in the cotangent; the arguments' part is the object's own
deflinear(R.split_backward, "g", signature="function, pair, args: seq, g")
defjvp(R.split_backward, targs="split_backward_tangent(function, pair, args, g, t)",
       tpair=_SHAPE_ONLY)   # the residuals' tangent comes from the arguments'
defjvp(R.safe_divide, "a, b", ta="safe_divide(t, b)", tb="-safe_divide(t * a, b * b)")

# the derivatives' own derivatives
defjvp(R.digamma, "x", tx="t * polygamma(1, x)")
defjvp(R.polygamma, "n, x", tx="t * polygamma(n + 1, x)")
defjvp(R.sinc_derivative, "x", tx="t * sinc_second_derivative(x)")
defjvp(R.prod_partials, "x, axis=None", tx="prod_partials_tangent(x, t, axis)")
deflinear(R.norm_adjoint, "g", signature="g, x, norm, ord=None, axis=None, keepdims=False")
defjvp(R.norm_adjoint, tx="norm_adjoint_tangent(g, x, norm, t, ord, axis, keepdims)",
       tnorm="norm_adjoint_tangent_of_norm(g, x, norm, t, ord, axis, keepdims)")
deflinear(R.einsum_adjoints, "g", signature="g, subscripts, operands: seq")
defjvp(R.einsum_adjoints, toperands="einsum_adjoints_tangent(g, subscripts, operands, t)")
# accumulator[index] += g, read as `accumulator = add_at(accumulator, index, g)`
defjvp(R.add_at, "accumulator, index, g", taccumulator="t",
       tg="add_at(np.zeros(np.shape(accumulator)), index, t)")

# the array helpers: linear in the cotangent g; the arrays beside it give shapes, an
# order (sort) or pieces of a piecewise-linear map (interp, ptp), constant nearby
from ..runtime import arrays as A  # noqa: E402

_ARRAY_HELPERS = {
    A.sort_adjoint: "g, a, axis=-1", A.take_adjoint: "g, a, indices, axis=None, mode='raise'",
    A.take_along_axis_adjoint: "g, arr, indices, axis", A.repeat_adjoint: "g, a, repeats, "
    "axis=None", A.tile_adjoint: "g, a, reps", A.pad_adjoint: "g, array, pad_width, "
    "mode='constant'", A.pad_value_cotangent: "g, array, pad_width, mode='constant', "
    "constant_values=0", A.split_adjoint: "g, ary, axis=0", A.append_adjoint: "g, arr, "
    "values, axis=None", A.diff_adjoint: "g, a, n=1, axis=-1", A.polyval_dp: "g, p, x",
    A.interp_weights: "g, x, xp, fp, left=None, right=None, period=None",
    A.scattered_cotangent: "g, index, v", A.put_cotangent: "g, indices, v, mode='raise'",
}
for _helper, _signature in _ARRAY_HELPERS.items():
    deflinear(_helper, "g", signature=_signature)
    _shapes = [p.strip().split("=")[0] for p in _signature.split(",")[1:]]
    defjvp(_helper, **{f"t{p}": _SHAPE_ONLY for p in _shapes
                       if (_helper, p) not in ((A.polyval_dp, "x"), (A.interp_weights, "x"))})
defnondiff(A.average_weights, A.range_weights, A.trapezoid_weights, R.tensordot_subscripts,
           output="unknown")
deflinear(A.cumprod_adjoint, "g", signature="g, a, axis=None")
defjvp(A.cumprod_adjoint, ta="cumprod_adjoint_tangent(g, a, t, axis)")
deflinear(A.interp_slope, "fp", signature="x, xp, fp, period=None")
defjvp(A.interp_slope, tx=_SHAPE_ONLY)
defjvp(A.cross_adjoint, "g, a, b, of_b", tg="cross_adjoint(t, a, b, of_b)",
       ta="cross_adjoint(g, t, b, True) if of_b else np.zeros(np.shape(a))",
       tb="cross_adjoint(g, a, t, False) if not of_b else np.zeros(np.shape(b))")
defjvp(A.convolve_adjoints, "g, a, v, mode='full'", tg="convolve_adjoints(t, a, v, mode)",
       ta="Cotangents((np.zeros(np.size(a)), convolve_adjoints(g, t, v, mode)[1]))",
       tv="Cotangents((convolve_adjoints(g, a, t, mode)[0], np.zeros(np.size(v))))")

# np.linalg's adjoints (runtime.linalg), for second derivatives through np.linalg: each
# is linear in the cotangent g; the tangent along another argument is a helper of its
# own ("x" is the primitive's output, `ans` in the reverse rule), "0" a shape only
deflinear(R.inv_adjoint, "g", signature="g, x")
defjvp(R.inv_adjoint, tx="inv_adjoint_tangent(g, x, t)")
deflinear(R.solve_adjoints, "g", signature="g, a, b, x")
defjvp(R.solve_adjoints, ta="solve_adjoints_tangent(g, a, b, x, t, None)", tb=_SHAPE_ONLY,
       tx="solve_adjoints_tangent(g, a, b, x, None, t)")
deflinear(R.solve_da, "g", signature="g, a, b, x")
defjvp(R.solve_da, ta="solve_adjoints_tangent(g, a, b, x, t, None)[0]", tb=_SHAPE_ONLY,
       tx="solve_adjoints_tangent(g, a, b, x, None, t)[0]")
deflinear(R.solve_db, "g", signature="g, a, b")
defjvp(R.solve_db, ta="solve_db_tangent(g, a, b, t)", tb=_SHAPE_ONLY)
deflinear(R.det_adjoint, "g", "x", signature="g, a, x")   # g det(a) inv(a)^T
defjvp(R.det_adjoint, ta="det_adjoint_tangent(g, a, x, t)")
deflinear(R.slogdet_adjoint, "g", signature="g, a")
defjvp(R.slogdet_adjoint, ta="slogdet_adjoint_tangent(g, a, t)")
deflinear(R.cholesky_adjoint, "g", signature="g, x")
defjvp(R.cholesky_adjoint, tx="cholesky_adjoint_tangent(g, x, t)")
deflinear(R.eigh_adjoint, "g", signature="g, x")
defjvp(R.eigh_adjoint, tx="eigh_adjoint_tangent(g, x, t)")
deflinear(R.eigvalsh_adjoint, "g", signature="g, a")
defjvp(R.eigvalsh_adjoint, ta="eigvalsh_adjoint_tangent(g, a, t)")
deflinear(R.svd_adjoint, "g", signature="g, a, x, compute_uv=True, full_matrices=True")
defjvp(R.svd_adjoint,
       ta="svd_adjoint_tangent(g, a, x, t, None, compute_uv, full_matrices)",
       tx="svd_adjoint_tangent(g, a, x, None, t, compute_uv, full_matrices)")
deflinear(R.qr_adjoint, "g", signature="g, a, x, mode='reduced'")
defjvp(R.qr_adjoint, ta=_SHAPE_ONLY, tx="qr_adjoint_tangent(g, a, x, t, mode)")
deflinear(R.pinv_adjoint, "g", signature="g, a, x, rcond=None, rtol=None")
defjvp(R.pinv_adjoint, ta="pinv_adjoint_tangent(g, a, x, t, None)",
       tx="pinv_adjoint_tangent(g, a, x, None, t)")
deflinear(R.lstsq_db, "g", signature="g, a, b, rcond=None")
defjvp(R.lstsq_db, ta="lstsq_db_tangent(g, a, t, rcond)", tb=_SHAPE_ONLY)
deflinear(R.lstsq_da, "g", "b", signature="g, a, b, rcond=None")   # pinv's, of g b^T
defjvp(R.lstsq_da, ta="lstsq_da_tangent(g, a, b, t, rcond)")
deflinear(R.matrix_power_adjoint, "g", signature="g, a, n")
defjvp(R.matrix_power_adjoint, ta="matrix_power_adjoint_tangent(g, a, n, t)")
deflinear(R.multi_dot_adjoints, "g", signature="g, arrays: seq")
defjvp(R.multi_dot_adjoints, tarrays="multi_dot_adjoints_tangent(g, arrays, t)")
deflinear(R.diag_adjoint, "g", signature="g, v, k=0")
defjvp(R.diag_adjoint, tv=_SHAPE_ONLY)
deflinear(R.kron_adjoints, "g", signature="g, a, b")   # (g b, a g), blockwise
defjvp(R.kron_adjoints, ta="Cotangents((np.zeros(np.shape(a)), kron_adjoints(g, t, b)[1]))",
       tb="Cotangents((kron_adjoints(g, a, t)[0], np.zeros(np.shape(b))))")
