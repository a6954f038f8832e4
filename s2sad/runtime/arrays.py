"""Adjoints of functions that move, pick, repeat or combine entries (sorting,
indexing, repeating, padding, splitting, differences, interpolation, products of
sequences), for the rules in `rules.numpy_arrays`.  Each is linear in `g`; where
an entry is used several times (take, repeat) its cotangents add up.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "scattered_add", "scattered_cotangent", "put_values", "put_cotangent", "sort_adjoint", "sorted_along", "take_adjoint", "take_along_axis_adjoint",
    "repeat_adjoint", "tile_adjoint", "pad_adjoint", "pad_value_cotangent",
    "pad_value_tangent", "padded_tangent", "split_adjoint",
    "append_adjoint", "diff_adjoint", "cumprod_adjoint", "cumprod_adjoint_tangent",
    "cumprod_tangent", "interp_weights",
    "interp_slope", "average_weights", "range_weights",
    "cross_adjoint", "convolve_adjoints", "polyval_dp", "trapezoid_weights",
]


def scattered_add(a, index, v):
    """A copy of `a` after np.add.at(a, index, v): repeated entries add up.

    >>> scattered_add(np.zeros(3), [0, 0, 2], 1.0)
    array([2., 0., 1.])
    """
    found = np.array(a, dtype=np.result_type(a, v))
    np.add.at(found, index, v)
    return found


def scattered_cotangent(g, index, v):
    """Cotangent of v for scattered_add(a, index, v): g gathered where v was added,
    summed down to v's shape (v broadcasts against a[index])."""
    from . import unbroadcast
    return unbroadcast(g[index], v)


def put_values(a, indices, v, mode="raise"):
    """A copy of `a` after np.put(a, indices, v, mode): entries of the flattened array
    replaced (where an index repeats, the last write counts)."""
    found = np.array(a, dtype=np.result_type(a, v))
    np.put(found, indices, v, mode=mode)
    return found


def put_cotangent(g, indices, v, mode="raise"):
    """Cotangents (of a, of v) for put_values: g where nothing was written, and the
    flattened g at the last write of each index (v as many as the indices, or one)."""
    from . import written_cotangent
    flat = np.ravel(g)
    n = flat.size
    indices = np.ravel(indices)
    indices = np.clip(indices, 0, n - 1) if mode == "clip" else indices % n
    if np.size(v) not in (1, indices.size):
        raise NotImplementedError("s2sad differentiates np.put with one value or one per "
                                  "index, not values repeated cyclically")
    kept = np.array(flat)
    kept[indices] = 0.0
    return kept.reshape(np.shape(g)), np.reshape(
        written_cotangent(flat, indices, np.broadcast_to(v, indices.shape)), np.shape(v)) \
        if np.size(v) == indices.size else np.sum(written_cotangent(
            flat, indices, np.zeros(indices.shape)))


def _flat_if_none(a, axis):
    """(a, axis) with a flattened where axis is None, as NumPy does for these."""
    return (np.ravel(a), 0) if axis is None else (np.asarray(a), axis)


def sort_adjoint(g, a, axis=-1):
    """Cotangent of a for np.sort(a, axis): g put back where each entry came from."""
    flat, axis_ = _flat_if_none(a, axis)
    order = np.argsort(flat, axis=axis_, kind="stable")
    found = np.zeros(np.shape(flat))
    np.put_along_axis(found, order, np.reshape(g, np.shape(flat)), axis=axis_)
    return np.reshape(found, np.shape(a))


def sorted_along(t, a, axis=-1):
    """The tangent of np.sort(a, axis): t in a's sorted order."""
    flat, axis_ = _flat_if_none(a, axis)
    order = np.argsort(flat, axis=axis_, kind="stable")
    return np.take_along_axis(np.reshape(t, np.shape(flat)), order, axis=axis_)


def take_adjoint(g, a, indices, axis=None, mode="raise"):
    """Cotangent of a for np.take(a, indices, axis, mode): g added where it was taken."""
    flat, axis_ = _flat_if_none(a, axis)
    axis_ %= np.ndim(flat)
    found = np.zeros(np.shape(flat))
    moved = np.moveaxis(found, axis_, 0)   # a view: the adds land in `found`
    indices = np.asarray(indices)
    n = np.shape(flat)[axis_]
    indices = np.clip(indices, 0, n - 1) if mode == "clip" else \
        indices % n if mode == "wrap" else indices
    g = np.moveaxis(np.asarray(g), tuple(range(axis_, axis_ + indices.ndim)),
                    tuple(range(indices.ndim)))
    np.add.at(moved, indices, g)
    return np.reshape(found, np.shape(a))


def take_along_axis_adjoint(g, arr, indices, axis):
    """Cotangent of arr for np.take_along_axis(arr, indices, axis)."""
    flat, axis_ = _flat_if_none(arr, axis)
    shape = np.shape(g)   # indices and arr broadcast to it (but along the axis)
    grid = list(np.ix_(*[np.arange(n) for n in shape]))
    grid[axis_] = np.broadcast_to(indices, shape)
    found = np.zeros(np.shape(flat))
    np.add.at(found, tuple(grid), g)
    return np.reshape(found, np.shape(arr))


def repeat_adjoint(g, a, repeats, axis=None):
    """Cotangent of a for np.repeat(a, repeats, axis): each entry's copies summed."""
    flat, axis_ = _flat_if_none(a, axis)
    n = np.shape(flat)[axis_]
    source = np.repeat(np.arange(n), repeats)
    found = np.zeros(np.shape(flat))
    np.add.at(np.moveaxis(found, axis_, 0), source, np.moveaxis(np.asarray(g), axis_, 0))
    return np.reshape(found, np.shape(a))


def tile_adjoint(g, a, reps):
    """Cotangent of a for np.tile(a, reps): the tiles summed."""
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    ndim = max(np.ndim(a), len(reps))
    shape = (1,) * (ndim - np.ndim(a)) + np.shape(a)
    reps = (1,) * (ndim - len(reps)) + reps
    blocks = np.reshape(g, [n for pair in zip(reps, shape) for n in pair])
    return np.reshape(np.sum(blocks, axis=tuple(range(0, 2 * ndim, 2))), np.shape(a))


_COPYING_MODES = ("edge", "reflect", "symmetric", "wrap")   # padding copies entries


def _linear_mode(mode):
    """np.pad is linear in the array where its padding is 0 or copies entries."""
    if mode != "constant" and mode not in _COPYING_MODES:
        from . import unsupported
        unsupported("np.pad", f"mode={mode!r} (s2sad takes 'constant', 'edge', 'reflect', "
                              "'symmetric' and 'wrap')")


def pad_adjoint(g, array, pad_width, mode="constant"):
    """Cotangent of array for np.pad(array, pad_width, mode): g without the padding,
    plus, where the padding copies entries, g at each copy added to its source."""
    _linear_mode(mode)
    if mode == "constant":
        widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (np.ndim(array), 2))
        return np.asarray(g)[tuple(slice(before, before + n)
                                   for (before, _), n in zip(widths, np.shape(array)))]
    sources = np.pad(np.arange(np.size(array)).reshape(np.shape(array)), pad_width, mode)
    found = np.zeros(np.size(array), np.result_type(g))
    np.add.at(found, sources.ravel(), np.ravel(g))
    return found.reshape(np.shape(array))


def pad_value_cotangent(g, array, pad_width, mode="constant", constant_values=0):
    """Cotangent of a scalar constant_values for np.pad: g summed over the padding."""
    _one_value(constant_values)
    return np.sum(g) - np.sum(pad_adjoint(g, array, pad_width, mode))


def pad_value_tangent(t, array, pad_width, constant_values=0):
    _one_value(constant_values)
    return t * np.pad(np.zeros(np.shape(array)), pad_width, constant_values=1.0)


def _one_value(constant_values):
    if np.ndim(constant_values):
        raise NotImplementedError("s2sad differentiates np.pad's constant_values when it "
                                  "is one number, not one per side")


def padded_tangent(t, pad_width, mode="constant"):
    """The tangent of np.pad(array, pad_width, mode): t padded the same way (with 0 for
    mode='constant', whatever constant_values is)."""
    _linear_mode(mode)
    return np.pad(t, pad_width, mode)


def split_adjoint(g, ary, axis=0):
    """Cotangent of ary for np.split / np.array_split: the parts' cotangents joined."""
    return np.concatenate([np.asarray(part) for part in g], axis=axis).reshape(np.shape(ary))


def append_adjoint(g, arr, values, axis=None):
    """Cotangents (of arr, of values) for np.append(arr, values, axis)."""
    if axis is None:
        g = np.ravel(g)
        return (np.reshape(g[:np.size(arr)], np.shape(arr)),
                np.reshape(g[np.size(arr):], np.shape(values)))
    first, rest = np.split(np.asarray(g), [np.shape(arr)[axis]], axis=axis)
    return first, np.reshape(rest, np.shape(values))


def diff_adjoint(g, a, n=1, axis=-1):
    """Cotangent of a for np.diff(a, n, axis): the transposed difference, n times."""
    g = np.asarray(g)
    for _ in range(n):
        edge = np.zeros_like(np.take(g, [0], axis=axis))
        g = np.concatenate([edge, g], axis=axis) - np.concatenate([g, edge], axis=axis)
    return g.reshape(np.shape(a))


def cumprod_adjoint(g, a, axis=None):
    """Cotangent of a for np.cumprod(a, axis): for entry k, the products before it
    times r_k = g_k + a_(k+1) r_(k+1) (no division: zeros are exact)."""
    flat, axis_ = _flat_if_none(a, axis)
    x = np.moveaxis(flat, axis_, 0)
    g = np.moveaxis(np.reshape(g, np.shape(flat)), axis_, 0)
    before = np.concatenate([np.ones_like(x[:1]), np.cumprod(x[:-1], axis=0)])
    r = np.zeros(np.shape(x))
    carried = np.zeros(np.shape(x)[1:])
    for k in range(len(x) - 1, -1, -1):
        carried = g[k] + (x[k + 1] * carried if k + 1 < len(x) else 0.0)
        r[k] = carried
    return np.reshape(np.moveaxis(before * r, 0, axis_), np.shape(a))


def cumprod_adjoint_tangent(g, a, t, axis=None):
    """Tangent of cumprod_adjoint(g, a, axis) along a's tangent t, g held: the products
    before entry k move by the (shifted) tangent of the cumulative product, and
    r_k = g_k + a_(k+1) r_(k+1) by tr_k = t_(k+1) r_(k+1) + a_(k+1) tr_(k+1)."""
    flat, axis_ = _flat_if_none(a, axis)
    x = np.moveaxis(flat, axis_, 0)
    t = np.moveaxis(np.reshape(t, np.shape(flat)), axis_, 0)
    g = np.moveaxis(np.reshape(g, np.shape(flat)), axis_, 0)
    before = np.concatenate([np.ones_like(x[:1]), np.cumprod(x[:-1], axis=0)])
    tbefore = np.concatenate([np.zeros_like(x[:1]), cumprod_tangent(t[:-1], x[:-1], 0)])
    r, tr = np.zeros(np.shape(x)), np.zeros(np.shape(x))
    for k in range(len(x) - 1, -1, -1):
        r[k], tr[k] = g[k], 0.0
        if k + 1 < len(x):
            r[k] += x[k + 1] * r[k + 1]
            tr[k] = t[k + 1] * r[k + 1] + x[k + 1] * tr[k + 1]
    return np.reshape(np.moveaxis(tbefore * r + before * tr, 0, axis_), np.shape(a))


def cumprod_tangent(t, a, axis=None):
    """The tangent of np.cumprod(a, axis): tc_k = tc_(k-1) a_k + c_(k-1) t_k."""
    flat, axis_ = _flat_if_none(a, axis)
    x = np.moveaxis(flat, axis_, 0)
    t = np.moveaxis(np.reshape(t, np.shape(flat)), axis_, 0)
    dtype = np.result_type(x, t)
    found = np.zeros(np.shape(x), dtype)
    product, tangent = np.ones(np.shape(x)[1:], dtype), np.zeros(np.shape(x)[1:], dtype)
    for k in range(len(x)):
        tangent = tangent * x[k] + product * t[k]
        product = product * x[k]
        found[k] = tangent
    return np.moveaxis(found, 0, axis_)


def average_weights(a, axis=None, weights=None, returned=False):
    """d np.average(a, axis, weights) / da, shaped to broadcast against a."""
    if returned:
        raise NotImplementedError("s2sad differentiates np.average without returned=True")
    from . import reduced_count
    if weights is None:
        return 1.0 / reduced_count(a, axis)
    w = np.asarray(weights, float)
    if axis is not None and w.ndim == 1 and np.ndim(a) > 1:   # weights along the axis
        shape = [1] * np.ndim(a)
        shape[axis] = w.size
        w = w.reshape(shape)
    return w / np.sum(w, axis=axis, keepdims=True) if axis is not None else w / np.sum(w)


def range_weights(a, axis=None):
    """d np.ptp(a, axis) / da: the max's share minus the min's (ties split evenly)."""
    from . import extreme_weights
    top = np.max(a, axis=axis, keepdims=True)
    bottom = np.min(a, axis=axis, keepdims=True)
    return extreme_weights(a, top, axis, True) - extreme_weights(a, bottom, axis, True)


def _no_period(period):
    if period is not None:
        raise NotImplementedError("s2sad differentiates np.interp without period=")


def _interval(x, xp):
    """For each x: the index i of its interval [xp[i], xp[i + 1]], and whether x is
    inside xp's range (outside, np.interp holds the end value)."""
    xp = np.asarray(xp)
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    inside = (np.asarray(x) >= xp[0]) & (np.asarray(x) <= xp[-1])
    return i, inside


def interp_weights(g, x, xp, fp, left=None, right=None, period=None):
    """Cotangent of fp for np.interp(x, xp, fp): each g shared by the two values it
    lies between (all of it to an end value outside xp's range, none where `left`
    or `right` stands there instead)."""
    _no_period(period)
    x, xp = np.asarray(x, float), np.asarray(xp, float)
    i, inside = _interval(x, xp)
    share = np.where(inside, (x - xp[i]) / (xp[i + 1] - xp[i]), (x > xp[-1]) * 1.0)
    found = np.zeros(np.shape(fp))
    g = np.broadcast_to(g, np.shape(x))
    g = np.where((x < xp[0]) & (left is not None) | (x > xp[-1]) & (right is not None), 0.0, g)
    np.add.at(found, i, g * (1 - share))
    np.add.at(found, i + 1, g * share)
    return found


def interp_slope(x, xp, fp, period=None):
    """d np.interp(x, xp, fp) / dx: the slope of x's interval, 0 outside the range."""
    _no_period(period)
    xp, fp = np.asarray(xp, float), np.asarray(fp, float)
    i, inside = _interval(x, xp)
    return np.where(inside, (fp[i + 1] - fp[i]) / (xp[i + 1] - xp[i]), 0.0)


def cross_adjoint(g, a, b, of_b: bool):
    """Cotangent of a (or b) for np.cross(a, b) of 3-vectors on the last axis."""
    from . import unbroadcast
    return unbroadcast(np.cross(g, a) if of_b else np.cross(b, g), b if of_b else a)


def convolve_adjoints(g, a, v, mode="full"):
    """Cotangents (of a, of v) for np.convolve(a, v, mode): correlations of g, placed
    in the full output first for 'same' and 'valid'."""
    n, m = np.size(a), np.size(v)
    full = np.zeros(n + m - 1)
    start = {"full": 0, "same": (min(n, m) - 1) // 2, "valid": min(n, m) - 1}[mode]
    full[start:start + np.size(g)] = g
    from . import Cotangents   # the terms of a tangent add item by item
    return Cotangents((np.correlate(full, v, "valid"), np.correlate(full, a, "valid")))


def polyval_dp(g, p, x):
    """Cotangent of p for np.polyval(p, x): g times each power of x, summed."""
    powers = np.asarray(x)[..., None] ** np.arange(len(p) - 1, -1, -1)
    return np.sum(np.asarray(g)[..., None] * powers, axis=tuple(range(np.ndim(x))))


def trapezoid_weights(y, x=None, dx=1.0, axis=-1):
    """d np.trapezoid(y, x, dx, axis) / dy: half steps at the ends, on y's axis."""
    n = np.shape(y)[axis]
    steps = np.diff(np.asarray(x, float), axis=-1) if x is not None else np.full(n - 1, dx)
    if np.ndim(steps) > 1:
        raise NotImplementedError("s2sad differentiates np.trapezoid with a 1-D x only")
    weights = np.zeros(n)
    weights[:-1] += steps / 2
    weights[1:] += steps / 2
    shape = [1] * np.ndim(y)
    shape[axis] = n
    return np.reshape(weights, shape)
