"""The runtime helpers generated derivatives call, with forward rules, so that forward
mode can run over a generated gradient: a Hessian-vector product is the tangent of
the gradient (`s2sad.hvp`).  A parameter whose template is "0" is read for its shape
only.  Helpers not listed here (prod_partials, norm_adjoint, add_at, ...) make a
gradient that forward mode refuses."""
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
defnondiff(R.zero_tangent, output="unknown")
defjvp(R.safe_divide, "a, b", ta="safe_divide(t, b)", tb="-safe_divide(t * a, b * b)")
