"""Batches of tangents.  `jacobian` and `hessian` push every basis vector at once: a
batched tangent of x has the shape (k,) + x.shape, one row per basis vector.  Rules
written for one tangent apply to a batch once its axes line up (`batch_align`) and
axis arguments count from the end; the helpers here are the rest (see
`forward_batched` and `rules.batched`).
"""
from __future__ import annotations

import numpy as np

from . import (Cotangents, _as_matrices, _axes, _einsum_labels, _spread, extreme_tangent,
               sorted_tangent)

__all__ = [
    "batch_zero",
    "negative_axes",
    "batch_align",
    "batch_spread",
    "batch_item",
    "batch_written",
    "batch_fit",
    "batch_reshape",
    "batch_atleast",
    "batch_joined",
    "batch_sum",
    "batch_rows",
    "batch_extreme_tangent",
    "batch_sorted_tangent",
    "batch_transpose",
    "batch_squeeze",
    "batch_broadcast_to",
    "batch_array",
    "batch_matmul",
    "batch_dot",
    "batch_inner",
    "batch_outer",
    "batch_vdot",
    "batch_einsum",
    "batch_each",
    "batch_unbroadcast",
    "batch_as_gradient",
    "batch_restore_axes",
    "batch_add_at",
    "batch_matmul_dx",
    "batch_matmul_dy",
]


def batch_zero(value, batch: int):
    """A batch of zero tangents for `value`.

    >>> batch_zero(np.ones(2), 3).shape
    (3, 2)
    """
    if isinstance(value, (list, tuple)):   # a list the function grows, say
        return type(value)(batch_zero(v, batch) for v in value)
    if isinstance(value, dict):
        return {k: batch_zero(v, batch) for k, v in value.items()}
    return np.zeros((batch,) + np.shape(value), np.result_type(value, 0.0))


def negative_axes(axis, ndim: int):
    """`axis` of an array of `ndim` axes counted from the end (None: every axis): the
    same axes of a batch of such arrays.

    >>> negative_axes(0, 2), negative_axes(None, 2)
    (-2, (-2, -1))
    """
    if axis is None:
        return tuple(range(-ndim, 0))
    if isinstance(axis, (tuple, list)):
        return tuple(int(a) % ndim - ndim for a in axis)
    return int(axis) % ndim - ndim


def batch_align(t, *operands):
    """The batch `t` with axes of length 1 put after the batch axis, so that it lines
    up with the broadcast of `operands` (`t` of b in `x + b`, b of lower ndim).

    >>> batch_align(np.ones((3, 2)), np.zeros((4, 2))).shape
    (3, 1, 2)
    """
    missing = max(np.ndim(o) for o in operands) - (np.ndim(t) - 1)
    if missing <= 0:
        return t
    t = np.asarray(t)
    return t.reshape(t.shape[:1] + (1,) * missing + t.shape[1:])


def batch_spread(t, ans):
    """The batch `t` broadcast to a batch of `ans`'s shape (an array of its own).

    >>> batch_spread(np.ones(3), np.zeros(2)).shape
    (3, 2)
    """
    t = batch_align(t, ans)
    return _spread(t, np.shape(t)[:1] + np.shape(ans))


def batch_item(t, index, value):
    """The batch of `value = x[index]` from the batch `t` of x: for a list, the
    item's own batch; for an array, `t[:, index]`, a copy where `value` is a number
    (a copy too)."""
    if isinstance(t, (list, tuple)):
        return t[index]
    found = t[(slice(None),) + (index if isinstance(index, tuple) else (index,))]
    return found.copy() if np.ndim(value) == 0 else found


def batch_written(t, index, tangent):
    """`t` with the batch of `x[index] = value` written into it (`tangent`, the
    value's batch): a list's item, or `t[:, index]`."""
    if isinstance(t, list):
        t[index] = tangent
        return t
    selection = (slice(None),) + (index if isinstance(index, tuple) else (index,))
    t[selection] = batch_fit(tangent, t[selection])
    return t


def batch_fit(t, selection):
    """The batch `t` lined up with `selection` (a batch), to be written into it."""
    return batch_align(t, selection[0]) if np.ndim(t) else t


def batch_reshape(t, shape, order="C", a=None):
    """A batch reshaped item by item as `a` is (in C or Fortran order; "A" and "K"
    follow a's layout).

    >>> batch_reshape(np.ones((3, 4)), (2, 2)).shape
    (3, 2, 2)
    """
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    k = np.shape(t)[0]
    if order in ("A", "K"):
        fortran = isinstance(a, np.ndarray) and a.flags.f_contiguous \
            and not a.flags.c_contiguous
        order = "F" if fortran else "C"
    if order == "F":   # the batch axis last: the slowest in Fortran order
        return np.moveaxis(np.reshape(np.moveaxis(t, 0, -1), shape + (k,), order="F"), -1, 0)
    return np.reshape(t, (k,) + shape)


def batch_atleast(t, x, ndim: int):
    """The batch of np.atleast_<ndim>d(x) (which only adds axes of length 1)."""
    made = {1: np.atleast_1d, 2: np.atleast_2d, 3: np.atleast_3d}[ndim](np.empty(np.shape(x)))
    return np.reshape(t, np.shape(t)[:1] + made.shape)


def batch_joined(ts, items, vertical: bool):
    """The batch of np.vstack(items) (`vertical`) or np.hstack(items)."""
    ndim = 2 if vertical else 1
    ts = [batch_atleast(t, x, ndim) for t, x in zip(ts, items)]
    axis = 0 if vertical or ts[0].ndim == 2 else 1
    return np.concatenate(ts, axis=axis + 1)


def batch_sum(t, iterable):
    """The batch of builtin sum(iterable): of the items' batches (lined up), or of
    the rows of an array's batch."""
    if isinstance(t, np.ndarray) and not isinstance(iterable, (list, tuple)):
        return np.sum(t, axis=1)
    items = list(t)
    if not items:
        return 0.0
    ndim = max(np.ndim(i) for i in items)
    return sum(batch_align(i, np.empty((1,) * (ndim - 1))) for i in items)


def batch_rows(t, iterable):
    """The batches of the items of list(iterable) (an array's rows: t[:, i])."""
    if isinstance(t, np.ndarray) and not isinstance(iterable, (list, tuple)):
        return [t[:, i] for i in range(np.shape(t)[1])]
    return list(t)


def batch_extreme_tangent(t, args, ans):
    """The batch of `extreme_tangent` (builtin max/min)."""
    if len(args) > 1:
        return extreme_tangent(t, args, ans)
    items = t[0] if isinstance(t[0], np.ndarray) else np.stack(t[0], axis=1)
    hits = np.equal(np.asarray(args[0]), ans)
    return np.sum(items * hits, axis=1) / np.sum(hits)


def batch_sorted_tangent(t, items, reverse=False):
    """The batch of `sorted_tangent`: an array's batch gives its rows t[:, i]."""
    return sorted_tangent(batch_rows(t, items), items, reverse)


def batch_transpose(t, axes=None):
    """A batch transposed item by item (`axes` as np.transpose takes them).

    >>> batch_transpose(np.ones((3, 2, 4))).shape
    (3, 4, 2)
    """
    ndim = np.ndim(t) - 1
    axes = range(ndim - 1, -1, -1) if axes is None else (a % ndim for a in axes)
    return np.transpose(t, (0,) + tuple(a + 1 for a in axes))


def batch_squeeze(t, a, axis=None):
    """A batch squeezed as np.squeeze(a, axis) squeezes `a` (never the batch axis)."""
    if axis is None:
        axis = tuple(i for i, n in enumerate(np.shape(a)) if n == 1)
    return np.squeeze(t, tuple(i - np.ndim(a) for i in _axes(axis, np.ndim(a))))


def batch_broadcast_to(t, shape):
    """A batch broadcast item by item to `shape`."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _spread(batch_align(t, np.empty(shape)), np.shape(t)[:1] + shape)


def batch_array(t):
    """np.array of items' batches (nested lists and tuples too): the batch axis first.

    >>> batch_array((np.ones(3), np.zeros(3))).shape
    (3, 2)
    """
    if isinstance(t, (list, tuple)):
        return np.stack([batch_array(item) for item in t], axis=1)
    return np.asarray(t)


def batch_matmul(x, y, t, side: int):
    """x @ y with the batch `t` in place of x (side 0) or y (side 1): 1-D operands
    promoted as np.matmul promotes them, the batch axis put before the others.

    >>> batch_matmul(np.eye(2), np.zeros(2), np.ones((3, 2)), 1).shape
    (3, 2)
    """
    row, column = np.ndim(x) == 1, np.ndim(y) == 1
    a = t if side == 0 else np.asarray(x)
    b = np.asarray(y) if side == 0 else t
    a = a[..., None, :] if row else a
    b = b[..., :, None] if column else b
    matrices = max(2, np.ndim(x), np.ndim(y))   # the axes of the items' product
    if side == 0:
        a = batch_align(a, np.empty((1,) * matrices))
    else:
        b = batch_align(b, np.empty((1,) * matrices))
    out = np.matmul(a, b)
    out = out[..., 0, :] if row else out
    return out[..., 0] if column else out


def _batch_scaled(a, b, t, side: int):
    """a * b with the batch `t` in place of a (side 0) or b (side 1)."""
    return batch_align(t, a, b) * (b if side == 0 else a)


def batch_dot(a, b, t, side: int):
    """np.dot(a, b) with the batch `t` in place of a (side 0) or b (side 1)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:   # a product of numbers and arrays
        return _batch_scaled(a, b, t, side)
    if side == 0:
        return np.dot(t, b)
    moved = np.tensordot(a, t, axes=([-1], [1 if np.ndim(b) == 1 else -2]))
    return np.moveaxis(moved, np.ndim(a) - 1, 0)


def batch_inner(a, b, t, side: int):
    """np.inner(a, b) with the batch `t` in place of a (side 0) or b (side 1)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return _batch_scaled(a, b, t, side)
    if side == 0:
        return np.inner(t, b)
    return np.moveaxis(np.inner(a, t), np.ndim(a) - 1, 0)


def batch_outer(a, b, t, side: int):
    """np.outer(a, b) with the batch `t` in place of a (side 0) or b (side 1)."""
    flat = np.reshape(t, (np.shape(t)[0], -1))
    if side == 0:
        return flat[:, :, None] * np.ravel(b)
    return np.ravel(a)[:, None] * flat[:, None, :]


def batch_vdot(a, b, t, side: int):
    """np.vdot(a, b) (real) with the batch `t` in place of a (side 0) or b (side 1)."""
    return np.reshape(t, (np.shape(t)[0], -1)) @ np.ravel(b if side == 0 else a)


def batch_einsum(subscripts, position: int, t, operands):
    """np.einsum(subscripts, *operands) with the batch `t` in place of one operand:
    the batch gets an index of its own, first in the output."""
    inputs, output = _einsum_labels(subscripts, [np.ndim(op) for op in operands])
    letter = next(c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba"
                  if c not in "".join(inputs) + output)
    inputs[position] = letter + inputs[position]
    arrays = operands[:position] + (t,) + operands[position + 1:]
    return np.einsum(",".join(inputs) + "->" + letter + output, *arrays)


def batch_each(fn, position: int, t, *args):
    """fn(*args) with each item of the batch `t` in turn at `position`, stacked: the
    batch form of a helper linear in that argument that has none of its own."""
    args = list(args)
    found = []
    for item in (zip(*t) if isinstance(t, (tuple, list)) else t):   # items' batches
        args[position] = item
        found.append(fn(*args))
    if isinstance(found[0], (tuple, list)):   # several cotangents (or parts): a batch of each
        return Cotangents(np.stack(parts) for parts in zip(*found))
    return np.stack(found)


def batch_unbroadcast(t, x):
    """The batch of `unbroadcast(g, x)`: each item summed down to x's shape."""
    t, shape = np.asarray(t), np.shape(x)
    extra = t.ndim - 1 - len(shape)
    if extra > 0:
        t = t.sum(axis=tuple(range(1, 1 + extra)))
    stretched = tuple(i + 1 for i, n in enumerate(shape) if n == 1 and t.shape[i + 1] != 1)
    if stretched:
        t = t.sum(axis=stretched, keepdims=True)
    return batch_spread(t, np.empty(shape))


def batch_as_gradient(t, x):
    """The batch of `as_gradient(g, x)`: x's shape and float dtype."""
    dtype = x.dtype if isinstance(x, np.ndarray) and x.dtype.kind in "fc" else np.dtype(float)
    return batch_spread(t, np.empty(np.shape(x))).astype(dtype, copy=False)


def batch_restore_axes(t, x, axis=None, keepdims=False):
    """The batch of `restore_axes(g, x, axis, keepdims)`."""
    if keepdims or axis is None or not isinstance(x, np.ndarray):
        return batch_align(t, x)
    reduced = _axes(axis, x.ndim)
    kept = tuple(1 if i in reduced else n for i, n in enumerate(x.shape))
    return np.reshape(t, np.shape(t)[:1] + kept)


def batch_add_at(t, accumulator, index):
    """The batch of `add_at(zeros like accumulator, index, g)`."""
    found = np.zeros(np.shape(t)[:1] + np.shape(accumulator))
    np.add.at(found, (slice(None),) + (index if isinstance(index, tuple) else (index,)), t)
    return found


def batch_matmul_dx(g, x, y, t, side: int):
    """The batch of `matmul_dx(g, x, y)` with `t` in place of g (side 0) or y (1)."""
    g2, x2, y2 = _as_matrices(g, x, y)
    if side == 0:   # promote each item as g is promoted
        t = t[..., None] if np.ndim(y) == 1 else t
        t = t[..., None, :] if np.ndim(x) == 1 else t
        found = batch_matmul(g2, np.swapaxes(y2, -1, -2), t, 0)
    else:
        t = t[..., :, None] if np.ndim(y) == 1 else t
        found = batch_matmul(g2, np.swapaxes(y2, -1, -2), np.swapaxes(t, -1, -2), 1)
    return batch_reshape(batch_unbroadcast(found, x2), np.shape(x))


def batch_matmul_dy(g, x, y, t, side: int):
    """The batch of `matmul_dy(g, x, y)` with `t` in place of g (side 0) or x (1)."""
    g2, x2, y2 = _as_matrices(g, x, y)
    if side == 0:
        t = t[..., None] if np.ndim(y) == 1 else t
        t = t[..., None, :] if np.ndim(x) == 1 else t
        found = batch_matmul(np.swapaxes(x2, -1, -2), g2, t, 1)
    else:
        t = t[..., None, :] if np.ndim(x) == 1 else t
        found = batch_matmul(np.swapaxes(x2, -1, -2), g2, np.swapaxes(t, -1, -2), 0)
    return batch_reshape(batch_unbroadcast(found, y2), np.shape(y))
