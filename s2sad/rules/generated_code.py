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
        (R.select_extreme, "value, args, ans")):
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
deflinear(R.spread, "value", signature="value, ans")
defjvp(R.spread, tans=_SHAPE_ONLY)
defnondiff(R.zero_tangent, R.cotangent_zeros, output="unknown")
# a call differentiated as a whole (`grad(f)` called in f's caller): its backward
# part is linear in the cotangent; the arguments' part is the object's own
deflinear(R.split_backward, "g", signature="function, pair, args: seq, g")
defjvp(R.split_backward, targs="split_backward_tangent(function, pair, args, g, t)")
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
