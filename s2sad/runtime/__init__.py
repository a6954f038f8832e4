"""Helpers the generated code calls where inlined math is not enough.

Scalar code never calls these per operation; they appear where shapes can differ
(broadcasting), where indices may repeat, and in the rules of reductions and
shape functions.
"""
from __future__ import annotations

import weakref

import numpy as np


def unbroadcast(g, x):
    """Sum `g` down to the shape of `x` (undoing NumPy broadcasting).

    >>> unbroadcast(np.ones((3, 2)), np.zeros(2))
    array([3., 3.])
    """
    try:
        shape = x.shape
        if g.shape == shape:   # the common case, kept cheap
            return g
    except AttributeError:
        shape = np.shape(x)
        if np.shape(g) == shape:
            return g
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    if not shape and not isinstance(x, np.ndarray):
        return g[()]
    return g


def digamma(x):
    """The derivative of log(gamma(x)) (SciPy's; rules that need it need SciPy)."""
    from scipy.special import digamma as scipy_digamma
    return scipy_digamma(x)


def polygamma(n, x):
    """The n-th derivative of digamma (SciPy's)."""
    from scipy.special import polygamma as scipy_polygamma
    return np.asarray(scipy_polygamma(n, x), np.result_type(x, 0.0))[()]   # float32 too


def whole_cotangents(fn, args: tuple, g) -> tuple:
    """The cotangents of a call differentiated as a whole (see `split_forward`), for
    calls with keyword arguments, which are not split: forward and backward at once."""
    split = split_rule(fn)
    return split.backward(split.forward(args)[1], args, g)


# How calls of a recursive function are split (see `custom`): function -> an object
# with `forward(args) -> (out, residuals)` and `backward(residuals, args, g)`.  The
# custom-rule functions are such objects themselves.
SPLIT_RULES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
# ... and library functions split that way (no weak references to those)
LIBRARY_SPLITS: dict = {}


def split_rule(function):
    """How calls of `function` are split: its entry above, or the function itself."""
    try:
        return LIBRARY_SPLITS.get(function) or SPLIT_RULES.get(function, function)
    except TypeError:   # unhashable, or no weak reference to it
        return function


def split_forward(function, *args) -> tuple:
    """`(output, residuals)` of a call s2sad differentiates as a whole."""
    return split_rule(function).forward(args)


def split_output(function, pair, *args):
    """The output kept in `pair` (the arguments are there for the rule to read)."""
    return pair[0]


def split_backward(function, pair, args: tuple, g) -> tuple:
    """One cotangent per argument of a split call."""
    return Cotangents(split_rule(function).backward(pair[1], args, g))


class Cotangents(tuple):
    """The cotangents of a split call's arguments.  Two add item by item, as forward
    mode (over a gradient) adds the terms of a tangent; None is zero."""

    def __add__(self, other):
        return Cotangents(b if a is None else a if b is None else a + b
                          for a, b in zip(self, other, strict=True))

    __radd__ = __add__


def split_backward_tangent(function, pair, args: tuple, g, tangents: tuple) -> tuple:
    """The tangent of `split_backward(function, pair, args, g)` along the arguments'
    `tangents` (a third derivative, for `grad(f)` called in f's caller)."""
    return Cotangents(split_rule(function).backward_tangent(
        pair[1], args, g, tangents))


def split_tangent(function, args: tuple, tangents: tuple):
    """The output's tangent of a call differentiated as a whole (forward mode)."""
    return split_rule(function).tangent(args, tangents)


def custom_cotangents(fn, args: tuple, g) -> tuple:
    """The cotangents of a `custom_vjp` function's arguments, from its own rule."""
    return fn.cotangents(args, g)


def add_at(accumulator, index, g):
    """`accumulator[index] += g` where `index` may repeat entries (fancy indexing);
    returns the accumulator (forward mode over a gradient reads it as a value)."""
    np.add.at(accumulator, index, g)
    return accumulator


def written_cotangent(d, index, value):
    """The cotangent of `value` in `a[index] = value` (with `d` the cotangent of `a`),
    for fancy indices: where an index repeats, only the last write counts, as in NumPy.

    >>> written_cotangent(np.array([1.0, 2.0]), np.array([0, 0, 1]), np.zeros(3))
    array([0., 1., 2.])
    """
    g = d[index]
    positions = np.arange(d.size).reshape(d.shape)[index].ravel()
    last = positions.size - 1 - np.unique(positions[::-1], return_index=True)[1]
    if last.size != positions.size:   # some entries were overwritten by a later one
        kept = np.zeros(positions.size, dtype=bool)
        kept[last] = True
        g = np.where(kept.reshape(np.shape(g)), g, 0.0)
    return unbroadcast(g, value)


def unsupported(function: str, option: str):
    """A rule's answer to an option it has no derivative for: the transformer calls it
    when the option is written as a literal (a TransformError at the user's line),
    generated code where it is known only at run time.

    >>> unsupported("np.pad", "mode='reflect'")
    Traceback (most recent call last):
    NotImplementedError: s2sad differentiates np.pad without mode='reflect'
    """
    raise NotImplementedError(f"s2sad differentiates {function} without {option}")


def private_copy(value):
    """A copy of an argument the function writes into, so the caller's stays as it was.

    >>> a = np.zeros(2); private_copy(a) is a
    False
    """
    if isinstance(value, (np.ndarray, list)):
        return value.copy()
    return value


_SCALAR_TYPES = {float, int, np.float64, np.float32}


def scalar_seed(value):
    """The seed 1.0 for the output of `grad`, which must be a scalar."""
    if type(value) in _SCALAR_TYPES:   # the common case, kept cheap
        return 1.0
    if value is None:
        raise TypeError("s2sad.grad needs a function that returns a scalar, but it returned "
                        "None (is a return statement missing?)")
    if np.ndim(value) != 0:
        raise TypeError(
            f"s2sad.grad needs a function with a scalar output, but it returned a value of "
            f"shape {np.shape(value)}; use s2sad.vjp (or reduce the output, e.g. with a sum)")
    return 1.0


def as_gradient(g, x):
    """The final gradient for argument `x`: its shape and type, zeros where nothing flowed.

    >>> as_gradient(0.0, np.ones(2)), as_gradient(np.array(2.5), 1.0)
    (array([0., 0.]), np.float64(2.5))
    """
    if isinstance(x, np.ndarray):
        dtype = x.dtype if x.dtype.kind in "fc" else np.dtype(float)
        if isinstance(g, np.ndarray) and g.shape == x.shape and g.flags.writeable:
            return g if g.dtype == dtype else g.astype(dtype)
        return np.broadcast_to(g, x.shape).astype(dtype, copy=True)
    if isinstance(g, np.ndarray) and g.ndim == 0:   # a float argument gets a scalar
        g = g[()]
    if type(x) is float and isinstance(g, np.floating) and not isinstance(g, float):
        return np.float64(g)   # a float, even where float32 arrays made it
    return g

def _like(value, x):
    """`value` (shaped like `x`) as a NumPy scalar when `x` is a Python/NumPy scalar.

    Rules promise a contribution shaped exactly like the parameter; for a Python
    float that means a scalar, not a 0-d array.

    >>> _like(np.array(2.0), 1.0)
    np.float64(2.0)
    """
    if not isinstance(x, np.ndarray) and np.ndim(x) == 0:
        return np.asarray(value)[()]
    return value


# --- ties, masks and special functions (elementwise rules) ---------------------

def tie_weight(a, b):
    """1.0 where a > b, 0.5 where a == b, 0.0 where a < b (share of `g` for max(a, b)).

    Ties split the cotangent evenly, which is also what central differences see.

    >>> tie_weight(np.array([2.0, 1.0, 0.0]), 1.0)
    array([1. , 0.5, 0. ])
    """
    weight = np.greater(a, b).astype(np.result_type(a, b, 1.0))   # float32 stays float32
    weight += 0.5 * np.equal(a, b)
    return weight


def clip_mask(a, a_min, a_max):
    """1.0 where a_min <= a <= a_max (a None bound is no bound), else 0.0.

    >>> clip_mask(np.array([-2.0, 0.0, 2.0]), -1.0, None)
    array([0., 1., 1.])
    """
    above = True if a_min is None else np.greater_equal(a, a_min)
    below = True if a_max is None else np.less_equal(a, a_max)
    return np.asarray(np.logical_and(above, below)).astype(np.result_type(a, 0.0))[()]


def sinc_derivative(x):
    """d/dx np.sinc(x) = (cos(pi x) - sinc(x)) / x, and 0 at x = 0.

    >>> sinc_derivative(np.array([0.0, 1.0]))
    array([ 0., -1.])
    """
    x = np.asarray(x, dtype=np.result_type(x, 0.0))
    near = np.abs(x) < _SINC_SERIES   # cancellation: the Taylor series there
    safe = np.where(near, 1.0, x)
    slope = (np.cos(np.pi * safe) - np.sinc(safe)) / safe
    series = -np.pi ** 2 * x / 3 + np.pi ** 4 * x ** 3 / 30
    return np.where(near, series, slope)[()]


_SINC_SERIES = 1e-3   # |x| below which sinc's derivatives use their Taylor series


def select_extreme(g, args, ans):
    """Cotangents of builtin max(*args)/min(*args): `g` shared evenly by the args equal to ans.

    >>> select_extreme(1.0, (3.0, 1.0, 3.0), 3.0)
    [0.5, 0.0, 0.5]
    >>> select_extreme(1.0, (np.array([3.0, 1.0]),), 3.0)   # max(x): over x's items
    [array([1., 0.])]
    """
    if len(args) == 1:
        hits = np.equal(args[0], ans)
        return [g * hits / np.sum(hits)]
    hits = [arg == ans for arg in args]
    share = g / sum(hits)
    return [share if hit else 0.0 for hit in hits]


def unbroadcast_each(g, items):
    """Cotangents of builtin sum(items): `g` summed down to each item's shape.

    >>> unbroadcast_each(np.ones((2, 3)), (np.zeros(3), 1.0))
    [array([2., 2., 2.]), np.float64(6.0)]
    >>> unbroadcast_each(np.ones(3), np.zeros((2, 3)))    # the rows of an array
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """
    parts = [unbroadcast(g, item) for item in items]
    return np.array(parts) if isinstance(items, np.ndarray) else parts


# --- reductions -----------------------------------------------------------------

def safe_divide(a, b):
    """a / b, but 0 where b == 0: the zero subgradient of norms and std at 0.

    >>> safe_divide(np.array([1.0, 2.0]), np.array([2.0, 0.0]))
    array([0.5, 0. ])
    """
    shape = np.broadcast_shapes(np.shape(a), np.shape(b))
    zeros = np.zeros(shape, np.result_type(a, b, 1.0))   # float32 stays float32
    quotient = np.divide(a, b, out=zeros, where=np.not_equal(b, 0))
    return _like(quotient, a)


def sinc_second_derivative(x):
    """d^2/dx^2 np.sinc(x) = -(pi sin(pi x) + 2 sinc'(x)) / x, and -pi^2 / 3 at x = 0.

    >>> round(float(sinc_second_derivative(0.0)), 6) == round(-np.pi ** 2 / 3, 6)
    True
    """
    x = np.asarray(x, dtype=np.result_type(x, 0.0))
    near = np.abs(x) < _SINC_SERIES
    safe = np.where(near, 1.0, x)
    curve = -(np.pi * np.sin(np.pi * safe) + 2 * sinc_derivative(safe)) / safe
    series = -np.pi ** 2 / 3 + np.pi ** 4 * x ** 2 / 10
    return np.where(near, series, curve)[()]


def _axes(axis, ndim) -> tuple:
    """`axis` (None, int or tuple, possibly negative) as a sorted tuple of axes.

    >>> _axes(-1, 3), _axes(None, 2)
    ((2,), (0, 1))
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(int(a) % ndim for a in axis))
    return (int(axis) % ndim,)


def restore_axes(g, x, axis=None, keepdims=False):
    """The cotangent `g` of a reduction of `x` over `axis`, with the reduced axes
    put back as size 1 (as keepdims=True would have left them): it broadcasts
    against x.

    >>> restore_axes(np.array([1.0, 2.0]), np.zeros((2, 2)), axis=1)
    array([[1.],
           [2.]])
    """
    if keepdims or axis is None:   # a full reduction's scalar broadcasts as it is
        return g
    shape = np.shape(x)
    reduced = _axes(axis, len(shape))
    return np.reshape(g, tuple(1 if i in reduced else n for i, n in enumerate(shape)))


def expand_reduced(g, x, axis=None, keepdims=False):
    """The cotangent `g` of a reduction of `x` over `axis`, spread over x's shape.

    >>> expand_reduced(np.array([1.0, 2.0]), np.zeros((2, 2)), axis=0)
    array([[1., 2.],
           [1., 2.]])
    """
    if not isinstance(x, np.ndarray):
        return _like(g, x)
    spread = np.empty(x.shape, np.result_type(x.dtype, np.asarray(g).dtype))
    spread[...] = restore_axes(g, x, axis, keepdims)   # a writable array of its own
    return spread


def _spread(value, shape):
    """`value` broadcast to `shape` as an array of its own (np.broadcast_to alone
    gives a read-only view, which must not reach the user as a gradient).

    >>> _spread(1.0, (2,))
    array([1., 1.])
    """
    value = np.asarray(value)
    if value.shape == shape:
        return value
    return np.broadcast_to(value, shape).copy()


def reduced_count(x, axis=None):
    """How many entries of `x` each result of a reduction over `axis` combines.

    >>> reduced_count(np.zeros((2, 3, 4)), (0, -1))
    8
    """
    shape = np.shape(x)
    count = 1
    for a in _axes(axis, len(shape)):
        count *= shape[a]
    return count


def prod_partials(x, axis=None):
    """d prod(x, axis) / dx: each entry's product of the *other* entries of its slice.

    Computed from exclusive cumulative products from both ends, never by dividing
    by x, so zeros in x are handled exactly.

    >>> prod_partials(np.array([2.0, 0.0, 3.0]))
    array([0., 6., 0.])
    """
    x = np.asarray(x)
    reduced = _axes(axis, x.ndim)
    kept = tuple(a for a in range(x.ndim) if a not in reduced)
    moved = np.transpose(x, kept + reduced)      # reduced axes last ...
    lead = moved.shape[:len(kept)]
    flat = moved.reshape(lead + (reduced_count(x, axis),))  # ... and merged into one
    ones = np.ones(lead + (1,), dtype=np.result_type(x, 0.0))
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    partials = (before * after)[..., :flat.shape[-1]]   # empty slices stay empty
    return np.transpose(partials.reshape(moved.shape), np.argsort(kept + reduced))[()]


def prod_partials_tangent(x, t, axis=None):
    """The tangent of `prod_partials(x, axis)` along `t`: for each entry, the sum over
    the *other* entries k of t_k times the product of the entries left after taking
    out both (no division, so zeros are exact; quadratic in the slice's length).

    >>> prod_partials_tangent(np.array([2.0, 3.0, 5.0]), np.array([1.0, 0.0, 0.0]))
    array([0., 5., 3.])
    """
    x, t = np.asarray(x), np.broadcast_to(t, np.shape(x))
    reduced = _axes(axis, x.ndim)
    kept = tuple(a for a in range(x.ndim) if a not in reduced)
    n = reduced_count(x, axis)
    moved = np.transpose(x, kept + reduced)
    flat = moved.reshape(moved.shape[:len(kept)] + (n,))
    flat_t = np.transpose(t, kept + reduced).reshape(flat.shape)
    others = np.repeat(flat[..., None, :], n, axis=-2)   # row i: x with x_i made 1
    others[..., np.arange(n), np.arange(n)] = 1.0
    pairs = prod_partials(others, axis=-1) * (1.0 - np.eye(n))   # [i, k]: without i, k
    tangent = np.einsum("...ik,...k->...i", pairs, flat_t)
    return np.transpose(tangent.reshape(moved.shape), np.argsort(kept + reduced))[()]


def extreme_weights(x, ans, axis=None, keepdims=False):
    """Share of the cotangent each entry of `x` gets when ans = max/min(x, axis).

    Ties split it evenly among the entries equal to the extreme (a subgradient;
    for two tied entries it is what central differences measure).

    >>> extreme_weights(np.array([1.0, 3.0, 3.0]), 3.0)
    array([0. , 0.5, 0.5])
    """
    hits = np.equal(x, restore_axes(ans, x, axis, keepdims))
    dtype = np.result_type(x, 1.0)   # float32 stays float32
    if hits.ndim == 0:
        return hits.astype(dtype)
    return (hits / hits.sum(axis=_axes(axis, hits.ndim), keepdims=True)).astype(dtype)


def reverse_cumsum(g, x, axis=None):
    """Cotangent of x for np.cumsum(x, axis): sums of g from each position to the end.

    With axis None, cumsum works on the flattened x and so does this.

    >>> reverse_cumsum(np.array([1.0, 2.0, 3.0]), np.zeros(3))
    array([6., 5., 3.])
    """
    if axis is None:
        flat = np.ravel(g)[::-1].cumsum()[::-1]
        return _like(flat.reshape(np.shape(x)), x)
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def trace_adjoint(g, x, offset=0, axis1=0, axis2=1):
    """Cotangent of x for np.trace(x, offset, axis1, axis2): g on the traced diagonal.

    >>> trace_adjoint(2.0, np.zeros((2, 3)), offset=1)
    array([[0., 2., 0.],
           [0., 0., 2.]])
    """
    shape = np.shape(x)
    diagonal = np.eye(shape[axis1], shape[axis2], k=offset)
    return np.moveaxis(np.asarray(g)[..., None, None] * diagonal, (-2, -1), (axis1, axis2))


def norm_adjoint(g, x, ans, ord=None, axis=None, keepdims=False):
    """Cotangent of x for ans = np.linalg.norm(x, ord, axis, keepdims).

    Vector norms: any ord (2, 1, inf, -inf, 0, other p).  Matrix norms: None/'fro',
    2, -2 and 'nuc' (through the SVD); ord 1, -1, inf, -inf on matrices raise
    NotImplementedError.  At a zero vector/matrix the 2-norm gets the subgradient 0.

    >>> norm_adjoint(1.0, np.array([3.0, 4.0]), 5.0)
    array([0.6, 0.8])
    """
    x = np.asarray(x)
    axes = _axes(axis, x.ndim)
    g, ans = restore_axes(g, x, axes, keepdims), restore_axes(ans, x, axes, keepdims)
    if len(axes) == 2 and ord not in (None, "fro"):
        return g * _matrix_norm_partials(x, ord, axes)
    if ord in (None, "fro", 2):     # 2-norm of a vector, or of all entries (Frobenius)
        return g * safe_divide(x, ans)
    return g * _vector_norm_partials(x, ans, ord, axes)


def norm_adjoint_tangent(g, x, ans, t, ord=None, axis=None, keepdims=False):
    """The tangent of `norm_adjoint(g, x, ans, ...)` along x's tangent `t`, the norm
    `ans` held (its own tangent adds `norm_adjoint_tangent_of_norm`).  Vector norms
    and Frobenius; the piecewise-linear ones (1, inf, 0) have none."""
    x, p = np.asarray(x), _vector_ord(ord, x, axis)
    if p in (1, np.inf, -np.inf, 0):
        return np.zeros(np.shape(x))
    g, ans = restore_axes(g, x, axis, keepdims), restore_axes(ans, x, axis, keepdims)
    return g * (p - 1) * safe_divide(np.abs(x), ans) ** (p - 2) * safe_divide(t, ans)


def norm_adjoint_tangent_of_norm(g, x, ans, t, ord=None, axis=None, keepdims=False):
    """The tangent of `norm_adjoint(g, x, ans, ...)` along the norm's tangent `t`."""
    x, p = np.asarray(x), _vector_ord(ord, x, axis)
    if p in (1, np.inf, -np.inf, 0):
        return np.zeros(np.shape(x))
    restored = restore_axes(safe_divide(t, ans), x, axis, keepdims)
    return -(p - 1) * norm_adjoint(g, x, ans, ord, axis, keepdims) * restored


def _vector_ord(ord, x, axis):
    """The p of a vector (or Frobenius) norm; matrix norms raise."""
    if len(_axes(axis, np.ndim(x))) == 2 and ord not in (None, "fro"):
        raise NotImplementedError(f"s2sad has no second derivative of np.linalg.norm "
                                  f"with ord={ord!r} on matrices (None and 'fro' have one)")
    return 2 if ord in (None, "fro") else ord


def _vector_norm_partials(x, ans, ord, axes):
    """d ||x||_ord / dx along `axes` (ans has the reduced axes kept, size 1)."""
    if ord in (np.inf, -np.inf):
        return np.sign(x) * extreme_weights(np.abs(x), ans, axes, keepdims=True)
    if ord == 0:        # counts non-zeros: piecewise constant
        return np.zeros(np.shape(x))
    if ord == 1:
        return np.sign(x)
    return np.sign(x) * safe_divide(np.abs(x), ans) ** (ord - 1)


def _matrix_norm_partials(x, ord, axes):
    """d ||x||_ord / dx for the spectral (2, -2) and nuclear norms over `axes`."""
    if ord not in (2, -2, "nuc"):
        raise NotImplementedError(
            f"s2sad has no derivative of np.linalg.norm with ord={ord!r} on matrices; "
            f"supported: None, 'fro', 2, -2, 'nuc'")
    u, _, vh = np.linalg.svd(np.moveaxis(x, axes, (-2, -1)), full_matrices=False)
    if ord == 2:        # largest singular value: u1 v1^T
        u, vh = u[..., :, :1], vh[..., :1, :]
    elif ord == -2:     # smallest singular value
        u, vh = u[..., :, -1:], vh[..., -1:, :]
    return np.moveaxis(u @ vh, (-2, -1), axes)


# --- products -------------------------------------------------------------------

def _as_matrices(g, x, y):
    """g, x, y of `x @ y` with 1-D operands promoted to matrices as np.matmul does.

    A 1-D x is a row (1, n), a 1-D y a column (n, 1); g gets the axes matmul dropped.
    """
    g = np.asarray(g)
    if np.ndim(y) == 1:
        y, g = np.asarray(y)[:, None], g[..., None]
    if np.ndim(x) == 1:
        x, g = np.asarray(x)[None, :], g[..., None, :]
    return g, x, y


def matmul_dx(g, x, y):
    """Cotangent of x for x @ y (any ndims >= 1, batch dimensions broadcast).

    >>> matmul_dx(np.ones((2, 2)), np.zeros((2, 3)), np.arange(6.0).reshape(3, 2))
    array([[1., 5., 9.],
           [1., 5., 9.]])
    """
    g2, x2, y2 = _as_matrices(g, x, y)
    return unbroadcast(g2 @ np.swapaxes(y2, -1, -2), x2).reshape(np.shape(x))


def matmul_dy(g, x, y):
    """Cotangent of y for x @ y (any ndims >= 1, batch dimensions broadcast).

    >>> matmul_dy(np.ones(2), np.arange(6.0).reshape(2, 3), np.zeros(3))
    array([3., 5., 7.])
    """
    g2, x2, y2 = _as_matrices(g, x, y)
    return unbroadcast(np.swapaxes(x2, -1, -2) @ g2, y2).reshape(np.shape(y))


def dot_da(g, a, b):
    """Cotangent of a for np.dot(a, b): scalar product, matmul, or N-D tensordot.

    >>> dot_da(np.ones(2), np.zeros((2, 3)), np.arange(3.0))
    array([[0., 1., 2.],
           [0., 1., 2.]])
    """
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    if np.ndim(b) <= 2:   # np.dot agrees with np.matmul here
        return matmul_dx(g, a, b)
    b_free = [i for i in range(b.ndim) if i != b.ndim - 2]   # all but the summed axis
    return np.tensordot(g, b, axes=(list(range(np.ndim(a) - 1, np.ndim(g))), b_free))


def dot_db(g, a, b):
    """Cotangent of b for np.dot(a, b).

    >>> dot_db(np.ones(2), np.arange(6.0).reshape(2, 3), np.zeros(3))
    array([3., 5., 7.])
    """
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    if np.ndim(b) <= 2:
        return matmul_dy(g, a, b)
    lead = list(range(np.ndim(a) - 1))      # a's free axes lead g's axes
    return np.moveaxis(np.tensordot(a, g, axes=(lead, lead)), 0, b.ndim - 2)


def inner_da(g, a, b):
    """Cotangent of a for np.inner(a, b) (sum over the last axes of both).

    >>> inner_da(np.ones(2), np.zeros((2, 3)), np.arange(3.0))
    array([[0., 1., 2.],
           [0., 1., 2.]])
    """
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    free = np.ndim(b) - 1                   # b's free axes trail g's axes
    return np.tensordot(g, b, axes=(list(range(np.ndim(g) - free, np.ndim(g))),
                                    list(range(free))))


def inner_db(g, a, b):
    """Cotangent of b for np.inner(a, b).

    >>> inner_db(np.ones(2), np.arange(6.0).reshape(2, 3), np.zeros(3))
    array([3., 5., 7.])
    """
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    free = list(range(np.ndim(a) - 1))      # a's free axes lead g's axes
    return np.tensordot(g, a, axes=(free, free))


def einsum_adjoints(g, subscripts, operands):
    """Cotangents of all operands of np.einsum(subscripts, *operands), as a tuple.

    Each is an einsum of g with the other operands.  Indices summed inside one
    operand only, size-1 or '...' dimensions broadcast by einsum, and indices repeated
    within one operand (a diagonal, 'ii->i') are handled.

    >>> einsum_adjoints(np.ones(2), "ij,j->i", (np.zeros((2, 3)), np.arange(3.0)))[0]
    array([[0., 1., 2.],
           [0., 1., 2.]])
    """
    inputs, output = _einsum_labels(subscripts, [np.ndim(op) for op in operands])
    return Cotangents(_einsum_operand_adjoint(g, output, inputs, operands, i)
                      for i in range(len(operands)))


def einsum_adjoints_tangent(g, subscripts, operands, tangents):
    """The tangent of `einsum_adjoints(g, subscripts, operands)` along the operands'
    `tangents`, g held: each adjoint is linear in each of the *other* operands."""
    inputs, output = _einsum_labels(subscripts, [np.ndim(op) for op in operands])
    moving = [j for j, t in enumerate(tangents) if np.any(t)]   # constants add nothing
    found = []
    for i in range(len(operands)):
        terms = [_einsum_operand_adjoint(g, output, inputs, operands[:j] + (tangents[j],)
                                         + operands[j + 1:], i) for j in moving if j != i]
        found.append(sum(terms) if terms else np.zeros(np.shape(operands[i])))
    return Cotangents(found)


def _einsum_labels(subscripts, ndims):
    """Explicit per-operand and output index strings, '...' spelled out as letters.

    >>> _einsum_labels("...ij,jk", [3, 2])
    (['Aij', 'jk'], 'Aik')
    """
    if not isinstance(subscripts, str):
        raise NotImplementedError("s2sad differentiates np.einsum only with a subscripts string")
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    inputs = inputs.split(",")
    named = set(spec) - set(".,->")
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in named]
    counts = [ndim - len(term.replace("...", "")) if "..." in term else 0
              for term, ndim in zip(inputs, ndims)]
    ellipsis = "".join(spare[:max(counts, default=0)])
    if not arrow:   # implicit form: '...' then the indices used once, sorted
        letters = "".join(inputs).replace("...", "")
        output = ("..." if any(counts) else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1))
    inputs = [term.replace("...", ellipsis[len(ellipsis) - n:] if n else "")
              for term, n in zip(inputs, counts)]
    return inputs, output.replace("...", ellipsis)


def _distinct_indices(term: str, shape, used: set):
    """`term` with each repeat of an index renamed ('ii' -> 'iA'), and the identity
    matrices ('iA', n) that tie each renamed index to the one it repeats: the cotangent
    of a diagonal lies on the diagonal."""
    spare = (c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used)
    letters, eyes = [], []
    for c, n in zip(term, shape):
        if c in letters:
            fresh = next(spare)
            eyes.append((c + fresh, n))
            c = fresh
        letters.append(c)
    return "".join(letters), eyes


def _einsum_operand_adjoint(g, output, inputs, operands, i):
    """Cotangent of operands[i]: einsum g with the others, then fix up broadcasting."""
    operand = operands[i]
    mine, eyes = _distinct_indices(inputs[i], np.shape(operand), set(output).union(*inputs))
    others = [term for j, term in enumerate(inputs) if j != i] + [term for term, _ in eyes]
    seen = set(output).union(*others)
    kept = "".join(c for c in mine if c in seen)    # the rest were summed in operand i alone
    spec = ",".join([output] + others) + "->" + kept
    rest = [op for j, op in enumerate(operands) if j != i] + [np.eye(n) for _, n in eyes]
    part = np.einsum(spec, g, *rest, optimize=len(rest) > 1)
    part = np.expand_dims(part, [k for k, c in enumerate(mine) if c not in seen])
    shape = np.shape(operand)
    stretched = tuple(k for k, n in enumerate(shape) if n == 1 and part.shape[k] != 1)
    if stretched:   # einsum broadcast a size-1 dimension of operand i
        part = part.sum(axis=stretched, keepdims=True)
    return _like(_spread(part, shape), operand)


# --- shapes -----------------------------------------------------------------------

def inverse_permutation(axes, ndim):
    """The axes that undo np.transpose(x, axes) for an x of `ndim` dimensions.

    >>> inverse_permutation((2, 0, -2), 3)
    (1, 2, 0)
    """
    return tuple(int(a) for a in np.argsort([int(a) % ndim for a in axes]))


def diagonal_adjoint(g, x, offset=0, axis1=0, axis2=1):
    """Cotangent of x for np.diagonal(x, offset, axis1, axis2): g back on that diagonal.

    >>> diagonal_adjoint(np.array([1.0, 2.0]), np.zeros((2, 3)), offset=1)
    array([[0., 1., 0.],
           [0., 0., 2.]])
    """
    g = np.asarray(g)
    shape = np.shape(x)
    rest = np.delete(shape, (axis1 % len(shape), axis2 % len(shape)))
    full = np.zeros(tuple(rest) + (shape[axis1], shape[axis2]), dtype=np.result_type(g, float))
    steps = np.arange(g.shape[-1])
    full[..., steps + max(-offset, 0), steps + max(offset, 0)] = g
    return np.moveaxis(full, (-2, -1), (axis1, axis2))


def split_like(g, items, axis, ndmin=0):
    """Cut `g` back into cotangents shaped like `items`, joined along `axis`.

    Undoes np.concatenate (axis None: joined flat), and with `ndmin` the
    np.hstack (1) / np.vstack (2) promotion of low-dimensional items.

    >>> split_like(np.arange(5.0), (np.zeros(2), 1.0, np.zeros(2)), axis=0, ndmin=1)
    (array([0., 1.]), np.float64(2.0), array([3., 4.]))
    """
    shapes = [np.shape(item) for item in items]
    if axis is None:
        g, axis, sizes = np.ravel(g), 0, [int(np.prod(s)) for s in shapes]
    else:
        sizes = [((1,) * (ndmin - len(s)) + s)[axis] for s in shapes]
    pieces = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return tuple(_like(np.reshape(p, s), item) for p, s, item in zip(pieces, shapes, items))


def appended(items, item):
    """`items.append(item)`, as a value: the normal form of an append (see `lists`).

    >>> appended([1.0], 2.0)
    [1.0, 2.0]
    """
    items.append(item)
    return items


def list_cotangent(items):
    """Zeros for the cotangents of a list's items, stacked into one array (the float
    0.0 for an empty list).

    >>> list_cotangent([np.ones(2), np.zeros(2)])
    array([[0., 0.],
           [0., 0.]])
    """
    if items is None or len(items) == 0:   # not made yet, or empty: item shapes
        return 0.0                           # unknown, a zero anything can be added to
    try:
        return np.zeros_like(items, dtype=np.result_type(np.asarray(items[0]).dtype, 0.0))
    except ValueError:
        shapes = sorted({np.shape(item) for item in items})
        raise ValueError(
            "s2sad keeps the derivative of a list as one array, so the items of a list "
            f"that needs derivatives must all have the same shape; this one holds shapes "
            f"{shapes}. Stack equal-shaped values, or keep the others in lists of their "
            "own") from None


def sorted_adjoint(g, items, reverse=False):
    """Cotangents of builtin sorted(items) (numbers): `g` put back in the items' order.

    >>> sorted_adjoint(np.array([10.0, 20.0, 30.0]), [2.0, 3.0, 1.0])
    array([20., 30., 10.])
    """
    values = np.asarray(items, dtype=float)
    order = np.argsort(-values if reverse else values, kind="stable")   # as Python ties
    back = np.empty(len(values), np.result_type(np.asarray(g).dtype, float))
    back[order] = g
    return tuple(back) if isinstance(items, tuple) else back


def stacked_cotangent(g, items):
    """The cotangent of a list kept as one stacked array (see `lists`), from the
    cotangent of np.array(items): g without the leading 1s `ndmin` added.

    >>> stacked_cotangent(np.ones((1, 2, 3)), [np.zeros(3), np.zeros(3)]).shape
    (2, 3)
    """
    g = np.asarray(g)
    return g.reshape(g.shape[g.ndim - _nested_ndim(items):]) if items else g


# --- forward mode ------------------------------------------------------------------

def spread(t, ans):
    """The tangent `t` of one operand broadcast to the output's shape (an array of its
    own: writes into a tangent must not reach another).

    >>> spread(1.0, np.zeros(2))
    array([1., 1.])
    """
    if np.shape(t) == np.shape(ans):
        return t
    return _spread(t, np.shape(ans))


def zero_tangent(value):
    """The tangent of a value that does not depend on the inputs: 0.0 for a number,
    zeros for an array, the same structure of zeros for a dict, list or tuple.

    >>> zero_tangent(np.ones(2)), zero_tangent(3.0)
    (array([0., 0.]), 0.0)
    """
    if isinstance(value, np.ndarray):
        return np.zeros(value.shape, np.result_type(value.dtype, 0.0))
    if isinstance(value, dict):
        return {k: zero_tangent(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(zero_tangent(v) for v in value)
    return 0.0


def cotangent_zeros(value):
    """`np.zeros_like(value)`, or for a tuple or list of items of several shapes (a
    value whose kind was not known when the code was written: a split call's output)
    a list of zeros per item, which writes to its items can fill.

    >>> cotangent_zeros((np.ones(2), 3.0))
    [array([0., 0.]), array(0.)]
    """
    if isinstance(value, (tuple, list)):
        try:
            return np.zeros_like(value)
        except ValueError:   # items of several shapes
            return CotangentList(cotangent_zeros(v) for v in value)
    return np.zeros(np.shape(value), np.result_type(value, 0.0))   # an integer's: float


class CotangentList(list):
    """The cotangent of a tuple or list of items of several shapes: writes fill its
    items, and adding to it (`d[1] += g`, g itself a sequence) adds item by item."""

    def __add__(self, other):
        return CotangentList(a + b for a, b in zip(self, other, strict=True))

    __radd__ = __add__

    def __iadd__(self, other):
        return self + other


def extreme_tangent(t, args, ans):
    """Tangent of builtin max(*args)/min(*args): the tangents of the args equal to
    `ans`, shared evenly (as the reverse rule shares the cotangent).

    >>> extreme_tangent((1.0, 2.0, 3.0), (3.0, 1.0, 3.0), 3.0)
    2.0
    """
    if len(args) == 1:
        hits = np.equal(args[0], ans)
        return np.sum(np.asarray(t[0]) * hits) / np.sum(hits)
    hits = [arg == ans for arg in args]
    return sum(ti for ti, hit in zip(t, hits) if hit) / sum(hits)


def sorted_tangent(t, items, reverse=False):
    """Tangent of builtin sorted(items): the items' tangents in the sorted order.

    >>> sorted_tangent([10.0, 20.0, 30.0], [2.0, 3.0, 1.0])
    [30.0, 10.0, 20.0]
    """
    values = np.asarray(items, dtype=float)
    order = np.argsort(-values if reverse else values, kind="stable")
    return [t[i] for i in order]


def norm_tangent(t, x, ans, ord=None, axis=None, keepdims=False):
    """Tangent of np.linalg.norm: its gradient, paired with `t` over the reduced axes.

    >>> float(norm_tangent(np.array([1.0, 0.0]), np.array([3.0, 4.0]), 5.0))
    0.6
    """
    gradient = norm_adjoint(np.ones_like(ans), x, ans, ord, axis, keepdims)
    return np.sum(gradient * t, axis=axis, keepdims=keepdims)


def array_adjoint(g, obj):
    """Cotangent of `obj` for np.array(obj) / np.asarray(obj).

    For an array or scalar it is g reshaped (dropping axes `ndmin` added); for a
    list or tuple (a literal such as np.array([x, y])) a tuple with one cotangent
    per item, recursively.

    >>> array_adjoint(np.array([[1.0, 2.0]]), [3.0, 4.0])     # np.array([3.0, 4.0], ndmin=2)
    (np.float64(1.0), np.float64(2.0))
    """
    if not isinstance(obj, (list, tuple)):
        return _like(np.reshape(g, np.shape(obj)), obj)
    if not obj:
        return ()
    g = np.asarray(g)
    g = g.reshape(g.shape[g.ndim - _nested_ndim(obj):])    # undo ndmin's leading 1s
    return tuple(array_adjoint(g[i], item) for i, item in enumerate(obj))


def _nested_ndim(obj) -> int:
    """ndim of np.array(obj) for a nested list of equal-shaped items, without building it.

    >>> _nested_ndim([[1.0, 2.0], [3.0, 4.0]])
    2
    """
    if isinstance(obj, (list, tuple)):
        return 1 + (_nested_ndim(obj[0]) if obj else 0)
    return np.ndim(obj)



def is_helper(fn) -> bool:
    """Whether `fn` is one of the helpers here (in this package's modules)."""
    return (getattr(fn, "__module__", None) or "").startswith(__name__)


from .batch import *  # noqa: E402,F401,F403  (batches of tangents: jacobian, hessian)
from .linalg import *  # noqa: E402,F401,F403  (np.linalg's adjoints and tangents)
from .arrays import *  # noqa: E402,F401,F403  (sorting, picking, repeating, ...)
