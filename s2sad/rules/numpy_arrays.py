"""Sorting, picking, repeating, padding, splitting, differences, interpolation and
the products of sequences.  The helpers live in s2sad.runtime.arrays; where an entry
is used several times, its cotangents add up.
"""
import numpy as np

from ..runtime import put_values, scattered_add
from .registry import defjvp, deflinear, defvjp

defvjp(np.sort, "a, axis=-1, kind=None, order=None", output="unknown",
       da="sort_adjoint(g, a, axis)")
defjvp(np.sort, ta="sorted_along(t, a, axis)")
defvjp(np.take, "a, indices, axis=None, out=None, mode='raise'", output="unknown",
       da="take_adjoint(g, a, indices, axis, mode)")
defvjp(np.take_along_axis, "arr, indices, axis=-1", output="unknown",
       darr="take_along_axis_adjoint(g, arr, indices, axis)")
defvjp(np.repeat, "a, repeats, axis=None", output="unknown",
       da="repeat_adjoint(g, a, repeats, axis)")
defvjp(np.tile, "A, reps", output="unknown", dA="tile_adjoint(g, A, reps)")
# linear in the array for mode 'constant' (the padding is constant_values, whose
# cotangent is g's sum there) and the modes whose padding copies entries
defvjp(np.pad, "array, pad_width, mode='constant', constant_values=0", output="unknown",
       darray="pad_adjoint(g, array, pad_width, mode)",
       dconstant_values="pad_value_cotangent(g, array, pad_width, mode, constant_values)")
defjvp(np.pad, tarray="padded_tangent(t, pad_width, mode)",
       tconstant_values="pad_value_tangent(t, array, pad_width, constant_values)")
for _split in (np.split, np.array_split):
    defvjp(_split, "ary, indices_or_sections, axis=0", output="unknown",
           dary="split_adjoint(g, ary, axis)")
defvjp(np.append, "arr, values, axis=None", output="unknown",
       darr="append_adjoint(g, arr, values, axis)[0]",
       dvalues="append_adjoint(g, arr, values, axis)[1]",
       joint=("arr, values", "append_adjoint(g, arr, values, axis)"))
defjvp(np.append, tarr="np.append(t, np.zeros(np.shape(values), np.result_type(t)), axis)",
       tvalues="np.append(np.zeros(np.shape(arr), np.result_type(t)), t, axis)")
defvjp(np.diff, "a, n=1, axis=-1", output="unknown", da="diff_adjoint(g, a, n, axis)")
defvjp(np.cumprod, "a, axis=None, dtype=None, out=None", output="unknown",
       da="cumprod_adjoint(g, a, axis)")
defjvp(np.cumprod, ta="cumprod_tangent(t, a, axis)")
# with respect to the values fp (and the points x); xp, where the values sit, has none
defvjp(np.interp, "x, xp, fp, left=None, right=None, period=None", output="unknown",
       dx="unbroadcast(g * interp_slope(x, xp, fp, period), x)",
       dfp="interp_weights(g, x, xp, fp, left, right, period)")
defjvp(np.interp, tx="t * interp_slope(x, xp, fp, period)",
       tfp="np.interp(x, xp, t, left=None if left is None else 0.0, "
           "right=None if right is None else 0.0, period=period)")
defvjp(np.cross, "a, b", output="unknown",
       da="cross_adjoint(g, a, b, False)", db="cross_adjoint(g, a, b, True)")
defvjp(np.convolve, "a, v, mode='full'", output="unknown",
       da="convolve_adjoints(g, a, v, mode)[0]", dv="convolve_adjoints(g, a, v, mode)[1]",
       joint=("a, v", "convolve_adjoints(g, a, v, mode)"))
defvjp(np.polyval, "p, x", output="unknown", dp="polyval_dp(g, p, x)",
       dx="unbroadcast(g * np.polyval(np.polyder(p), x), x)")
defjvp(np.polyval, tx="t * np.polyval(np.polyder(p), x)")
defvjp(np.trapezoid, "y, x=None, dx=1.0, axis=-1", output="unknown",
       dy="np.expand_dims(g, axis) * trapezoid_weights(y, x, dx, axis)")
for _fn, _params in ((np.take, ("a",)), (np.take_along_axis, ("arr",)), (np.repeat, ("a",)),
                     (np.tile, ("A",)), (np.split, ("ary",)), (np.array_split, ("ary",)),
                     (np.diff, ("a",)), (np.cross, ("a", "b")), (np.convolve, ("a", "v")),
                     (np.polyval, ("p",)), (np.trapezoid, ("y",))):
    deflinear(_fn, *_params)

# np.add.at(a, idx, v) is written `a[...] = scattered_add(a, idx, v)` (see `inplace`)
defvjp(scattered_add, "a, index, v", output="same", da="g",
       dv="scattered_cotangent(g, index, v)")
defjvp(scattered_add, ta="t", tv="scattered_add(np.zeros(np.shape(a)), index, t)")
# np.put(a, idx, v) is written `a[...] = put_values(a, idx, v)` (see `inplace`)
defvjp(put_values, "a, indices, v, mode='raise'", output="same",
       da="put_cotangent(g, indices, v, mode)[0]", dv="put_cotangent(g, indices, v, mode)[1]",
       joint=("a, v", "put_cotangent(g, indices, v, mode)"))
defjvp(put_values, ta="put_values(t, indices, np.zeros(np.shape(v)), mode)",
       tv="put_values(np.zeros(np.shape(a)), indices, t, mode)")
