"""Functions that move entries around (their adjoints move `g` back) and the
array constructors and queries that carry no derivative.
"""
import numpy as np

from .registry import defjvp, deflinear, defnondiff, defvjp

# --- same entries, new shape: reshape g back ------------------------------------
_BACK = "np.reshape(g, np.shape({}))"

defvjp(np.reshape, "a, shape=None, order='C', *, newshape=None, copy=None", output="unknown",
       da="np.reshape(g, np.shape(a), order=order)")
defvjp(np.ravel, "a, order='C'", output="unknown",
       da="np.reshape(g, np.shape(a), order=order)")
defvjp(np.expand_dims, "a, axis", output="unknown", da=_BACK.format("a"))
defvjp(np.squeeze, "a, axis=None", output="unknown", da=_BACK.format("a"))
# Single-array forms only: with several arrays these return a list.
for _atleast in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
    defvjp(_atleast, "ary", output="unknown", dary=_BACK.format("ary"))

# --- permutations: apply the inverse permutation to g ---------------------------
defvjp(np.transpose, "a, axes=None", output="permuted",
       da="np.transpose(g) if axes is None else "
          "np.transpose(g, inverse_permutation(axes, np.ndim(g)))")
defvjp(np.swapaxes, "a, axis1, axis2", output="permuted", da="np.swapaxes(g, axis1, axis2)")
defvjp(np.moveaxis, "a, source, destination", output="permuted",
       da="np.moveaxis(g, destination, source)")
defvjp(np.flip, "m, axis=None", output="same", dm="np.flip(g, axis)")
defvjp(np.roll, "a, shift, axis=None", output="same", da="np.roll(g, np.negative(shift), axis)")

defvjp(np.diagonal, "a, offset=0, axis1=0, axis2=1", output="unknown",
       da="diagonal_adjoint(g, a, offset, axis1, axis2)")

# --- joining: cut g into one piece per input -------------------------------------
defvjp(np.concatenate, "arrays: seq, axis=0, out=None, *, dtype=None, casting='same_kind'",
       output="joined", darrays="split_like(g, arrays, axis)")
defvjp(np.stack, "arrays: seq, axis=0, out=None, *, dtype=None, casting='same_kind'",
       output="stacked", darrays="tuple(np.moveaxis(g, axis, 0))",
       stacked={"arrays": "np.moveaxis(g, axis, 0)"})
# hstack joins 1-D inputs along axis 0 and others along axis 1 (scalars count as 1-D).
defvjp(np.hstack, "tup: seq, *, dtype=None, casting='same_kind'", output="unknown",
       dtup="split_like(g, tup, 0 if np.ndim(g) == 1 else 1, ndmin=1)")
# vstack stacks 1-D inputs as rows (1, n).
defvjp(np.vstack, "tup: seq, *, dtype=None, casting='same_kind'", output="unknown",
       dtup="split_like(g, tup, 0, ndmin=2)")

defvjp(np.broadcast_to, "array, shape, subok=False", output="unknown",
       darray="unbroadcast(g, array)")
defvjp(np.copy, "a, order='K', subok=False", output="same", da="g")

# np.array / np.asarray take either one array (or scalar) or a list literal of
# values, np.array([x, y]).  The `: seq` annotation makes the transformer bind a
# list literal as a tuple of its items (and a plain name as itself), and
# `array_adjoint` answers in kind: one cotangent per item for a tuple, a single
# cotangent shaped like `object` otherwise.
defvjp(np.array, "object: seq, dtype=None, *, copy=True, order='K', subok=False, ndmin=0, "
                 "ndmax=0, like=None", output="array",
       dobject="array_adjoint(g, object)", stacked={"object": "stacked_cotangent(g, object)"})
defvjp(np.asarray, "a: seq, dtype=None, order=None, *, device=None, copy=None, like=None",
       output="array", da="array_adjoint(g, a)", stacked={"a": "stacked_cotangent(g, a)"})

# np.float64(x): x as a float64 scalar (or array).
defvjp(np.float64, "x=0.0", output="same", dx="unbroadcast(g, x)")

# np.full(shape, x) spreads x everywhere: its cotangent is the sum of g.
defvjp(np.full, "shape, fill_value, dtype=None, order='C', *, device=None, like=None",
       output="shape", dfill_value="unbroadcast(g, fill_value)")

# --- no derivative ----------------------------------------------------------------
defnondiff(np.ndim, np.size, integer=True, output="scalar")
defnondiff(np.shape, np.nonzero, np.argwhere, np.flatnonzero, np.searchsorted, np.digitize,
           integer=True, output="unknown")
defnondiff(np.argmax, np.argmin, np.count_nonzero, integer=True, output="reduce")
defnondiff(np.any, np.all, integer="bool", output="reduce")
defnondiff(np.argsort, integer=True, output="same")
defnondiff(np.isclose, integer="bool")
defnondiff(np.allclose, np.array_equal, np.array_equiv, integer=True, output="scalar")
defnondiff(np.zeros_like, np.ones_like, np.empty_like, output="same")
# np.full_like(a, x) takes only a's shape; x spreads everywhere.
defvjp(np.full_like, "a, fill_value, dtype=None, order='K', subok=True, shape=None, *, "
                     "device=None", output="same", dfill_value="unbroadcast(g, fill_value)")
defnondiff(np.zeros, np.ones, np.empty, output="shape")   # ndim from the shape argument
defnondiff(np.arange, integer="args", output="vector")
defnondiff(np.linspace, output="vector")
defnondiff(np.eye, np.identity, output="unknown")

# --- forward: moving entries around is linear ----------------------------------------
for _fn, _param in ((np.reshape, "a"), (np.ravel, "a"), (np.expand_dims, "a"),
                    (np.squeeze, "a"), (np.atleast_1d, "ary"), (np.atleast_2d, "ary"),
                    (np.atleast_3d, "ary"), (np.transpose, "a"), (np.swapaxes, "a"),
                    (np.moveaxis, "a"), (np.flip, "m"), (np.roll, "a"), (np.diagonal, "a"),
                    (np.concatenate, "arrays"), (np.stack, "arrays"), (np.hstack, "tup"),
                    (np.vstack, "tup"), (np.broadcast_to, "array"), (np.copy, "a"),
                    (np.array, "object"), (np.asarray, "a"), (np.float64, "x"),
                    (np.full, "fill_value"), (np.full_like, "fill_value")):
    deflinear(_fn, _param)
defjvp(np.full_like, ta="0")   # `a` gives the shape only
