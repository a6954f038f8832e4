"""NumPy reductions.  `g` has the reduced shape: `expand_reduced` spreads it over
the input's shape, `restore_axes` only puts the reduced axes back (size 1) where a
full-size factor follows and broadcasting does the rest.

Signatures follow NumPy's positional order (so `np.sum(x, 0, None, None, True)`
binds), leaving out `initial=` and `where=`: calls passing them are refused by
the transformer rather than differentiated wrongly.
"""
import numpy as np

from .registry import defjvp, deflinear, defvjp

defvjp(np.sum, "a, axis=None, dtype=None, out=None, keepdims=False", output="reduce",
       da="expand_reduced(g, a, axis, keepdims)")
defvjp(np.mean, "a, axis=None, dtype=None, out=None, keepdims=False", output="reduce",
       da="expand_reduced(g / reduced_count(a, axis), a, axis, keepdims)")
# The product of the other entries, by prefix/suffix products: exact where x has zeros.
defvjp(np.prod, "a, axis=None, dtype=None, out=None, keepdims=False", output="reduce",
       da="restore_axes(g, a, axis, keepdims) * prod_partials(a, axis)")

# max/min: entries tied for the extreme share the cotangent evenly (1/k each for a
# k-way tie).  That is a valid subgradient, keeps sum(dx) == g, and for a 2-way tie
# equals what central finite differences measure.
for _extreme in (np.max, np.amax, np.min, np.amin):
    defvjp(_extreme, "a, axis=None, out=None, keepdims=False", output="reduce",
           da="restore_axes(g, a, axis, keepdims) * extreme_weights(a, ans, axis, keepdims)")

# var = sum((a - mean)^2) / (N - ddof); the mean's own variation cancels out.
defvjp(np.var, "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False", output="reduce",
       da="2 * restore_axes(g, a, axis, keepdims) * (a - np.mean(a, axis, keepdims=True))"
          " / (reduced_count(a, axis) - ddof)")
# std = sqrt(var): d std = d var / (2 std).  Where std == 0 (a constant slice) we
# take the subgradient 0, which is also what central differences measure there.
defvjp(np.std, "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False", output="reduce",
       da="restore_axes(safe_divide(g, ans), a, axis, keepdims)"
          " * (a - np.mean(a, axis, keepdims=True)) / (reduced_count(a, axis) - ddof)")

defvjp(np.cumsum, "a, axis=None, dtype=None, out=None", output="unknown",
       da="reverse_cumsum(g, a, axis)")
defvjp(np.linalg.norm, "x, ord=None, axis=None, keepdims=False", output="unknown",
       dx="norm_adjoint(g, x, ans, ord, axis, keepdims)")
defvjp(np.trace, "a, offset=0, axis1=0, axis2=1, dtype=None, out=None", output="unknown",
       da="trace_adjoint(g, a, offset, axis1, axis2)")

# NaNs are skipped: no derivative flows to them
defvjp(np.nansum, "a, axis=None, dtype=None, out=None, keepdims=False", output="reduce",
       da="expand_reduced(g, a, axis, keepdims) * ~np.isnan(a)")
defvjp(np.nanmean, "a, axis=None, dtype=None, out=None, keepdims=False", output="reduce",
       da="expand_reduced(g / np.sum(~np.isnan(a), axis=axis, keepdims=keepdims), a, axis, "
          "keepdims) * ~np.isnan(a)")
defvjp(np.average, "a, axis=None, weights=None, returned=False, *, keepdims=False",
       output="reduce",
       da="average_weights(a, axis, weights, returned) * expand_reduced(g, a, axis, keepdims)")
defvjp(np.ptp, "a, axis=None, out=None, keepdims=False", output="reduce",
       da="restore_axes(g, a, axis, keepdims) * range_weights(a, axis)")

# --- forward -------------------------------------------------------------------------
for _linear in (np.sum, np.mean, np.cumsum, np.trace):
    deflinear(_linear, "a")
_REDUCED = "axis=axis, keepdims=keepdims"
defjvp(np.prod, ta=f"np.sum(t * prod_partials(a, axis), {_REDUCED})")
for _extreme in (np.max, np.amax, np.min, np.amin):
    defjvp(_extreme, ta=f"np.sum(t * extreme_weights(a, ans, axis, keepdims), {_REDUCED})")
defjvp(np.var, ta=f"np.sum(2 * t * (a - np.mean(a, axis, keepdims=True)), {_REDUCED})"
                  " / (reduced_count(a, axis) - ddof)")
defjvp(np.std, ta=f"safe_divide(np.sum(t * (a - np.mean(a, axis, keepdims=True)), {_REDUCED})"
                  " / (reduced_count(a, axis) - ddof), ans)")
# The norm's gradient (its reverse rule with g = 1), paired with t over the reduced axes.
defjvp(np.linalg.norm, tx="norm_tangent(t, x, ans, ord, axis, keepdims)")
defjvp(np.nansum, ta=f"np.nansum(t * ~np.isnan(a), {_REDUCED})")
defjvp(np.nanmean, ta=f"np.nansum(t * ~np.isnan(a), {_REDUCED}) "
                      f"/ np.sum(~np.isnan(a), {_REDUCED}, dtype=np.result_type(t))")
defjvp(np.average, ta=f"np.sum(t * average_weights(a, axis, weights, returned), {_REDUCED})")
defjvp(np.ptp, ta=f"np.sum(t * range_weights(a, axis), {_REDUCED})")
