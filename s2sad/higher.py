"""Built on the two modes: Jacobians, Hessian-vector products and Hessians.

A Hessian-vector product is forward mode run over the generated gradient (forward
over reverse): the gradient's own source is transformed again, so the Hessian is
never formed.
"""
from __future__ import annotations

import inspect
from typing import Callable

import numpy as np

from .api import forward_function, grad, jvp, vjp
from .forward_batched import NotBatchable
from .kinds import is_integer_value, kind_of_value
from .runtime import zero_tangent


def hvp(f: Callable, primals: tuple, tangents: tuple) -> tuple:
    """The Hessian of scalar-valued `f` at `primals` times `tangents`, one entry per
    primal, by forward mode over the generated gradient.  The Hessian is with respect
    to the arguments given a tangent: None leaves one out (data, integers).

    >>> import numpy as np, s2sad
    >>> def f(x):                                     # doctest: +SKIP
    ...     return np.sum(x ** 3)
    >>> s2sad.hvp(f, (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))  # doctest: +SKIP
    (array([6., 0.]),)
    """
    function, floats, defaults = _hvp_found(f, primals, tangents)
    product = function(*primals, *defaults, *tangents, *(None,) * len(defaults))
    return _by_position(product, floats, len(primals))


def _hvp_found(f: Callable, primals: tuple, tangents: tuple) -> tuple:
    key = (tuple(map(kind_of_value, primals)), tuple(t is None for t in tangents))
    specialised = f.__dict__.get(_HVP) or f.__dict__.setdefault(_HVP, {})
    found = specialised.get(key)   # the hot path: one dict lookup
    if found is None:
        found = specialised[key] = _hvp_function(f, tuple(primals), tuple(tangents))
    return found


def _by_position(product, floats: tuple, given: int) -> tuple:
    """One entry per argument (None for those not differentiated) from a generated
    function's output for the positions `floats`."""
    if len(floats) == 1:
        return tuple(product if i == floats[0] else None for i in range(given))
    by_position = dict(zip(floats, product))
    return tuple(by_position.get(i) for i in range(given))


_HVP = "_s2sad_hvp"


def _hvp_function(f: Callable, given: tuple, tangents: tuple) -> tuple:
    """(the tangent function of f's generated gradient, the positions differentiated,
    the defaults of the arguments left out, which take no tangent)."""
    bound = inspect.signature(f).bind(*given)
    bound.apply_defaults()
    primals = tuple(bound.arguments.values())
    defaults = primals[len(given):]
    tangents = tangents + (None,) * len(defaults)
    floats = tuple(i for i, (p, t) in enumerate(zip(primals, tangents))
                   if t is not None and not is_integer_value(p))
    if len(tangents) != len(primals) or any(
            t is not None and i not in floats for i, t in enumerate(tangents)):
        raise TypeError("hvp takes one tangent per argument: None for integers and "
                        "for arguments held constant")
    gradient = grad(f, wrt=floats).generated_function(primals)
    function, _ = forward_function(gradient, primals, tangents, with_value=False)
    return function, floats, defaults


# --- `grad(f)` called in a function s2sad differentiates ----------------------------

def gradient_cotangents(df, args: tuple, g) -> tuple:
    """The cotangents of the arguments of a call `df(*args)` of `df = grad(f, wrt)` (or
    `value_and_grad`), given the cotangent `g` of its output.  The Hessian of f is
    symmetric, so they are the Hessian times g placed at wrt (zeros elsewhere): one
    `hvp`, forward mode over f's gradient.  A value's cotangent adds `g_value * grad f`."""
    values = df.signature.bind(tuple(args), {})
    value_cotangent, directions = _directions(df, values, g)
    cotangents = hvp(df.f, values, directions)
    if df.with_value:
        floats = tuple(i for i, d in enumerate(directions) if d is not None)
        gradient = _by_position(grad(df.f, wrt=floats)(*values), floats, len(values))
        cotangents = _plus_scaled(cotangents, value_cotangent, gradient)
    return cotangents[:len(args)]


def gradient_cotangents_tangent(df, args: tuple, g, tangents: tuple) -> tuple:
    """The tangent of `gradient_cotangents(df, args, g)` along the arguments'
    `tangents`, `g` held (a third derivative): forward mode over the `hvp`'s own
    generated code."""
    values = df.signature.bind(tuple(args), {})
    value_cotangent, directions = _directions(df, values, g)
    tangents = tuple(None if is_integer_value(v) else t for v, t in
                     zip(values, tuple(tangents) + (None,) * len(values)))
    function, floats, _ = _hvp_found(df.f, values, directions)
    third, _ = forward_function(function, values + directions,
                                tangents + (None,) * len(directions), with_value=False)
    found = _by_position(third(*values, *directions, *tangents, *(None,) * len(directions)),
                         floats, len(values))
    if df.with_value:
        found = _plus_scaled(found, value_cotangent, hvp(df.f, values, tangents))
    return found[:len(args)]


def _directions(df, values: tuple, g) -> tuple:
    """(the cotangent of the value, for `value_and_grad`; the tangents `hvp` takes:
    g's parts at the positions df differentiates, zeros at the other float arguments,
    None at integers)."""
    value_cotangent = None
    if df.with_value:
        value_cotangent, g = g
    if not df.many:
        g = (g,)
    directions = [None if is_integer_value(v) else zero_tangent(v) for v in values]
    for name, cotangent in zip(df.wrt, g):
        directions[df.signature.names.index(name)] = cotangent
    return value_cotangent, tuple(directions)


def _plus_scaled(found: tuple, scale, added: tuple) -> tuple:
    return tuple(a if b is None else a + scale * b for a, b in zip(found, added))


def jacobian(f: Callable, wrt: int = 0, mode: str = "auto") -> Callable:
    """The Jacobian of `f` with respect to argument `wrt`, shaped `out.shape +
    arg.shape`.  `mode="forward"` pushes the argument's basis vectors through `jvp`,
    `"reverse"` pulls the output's through `vjp`, `"auto"` takes the one with fewer
    passes (the argument's size against the output's).

    >>> import s2sad
    >>> callable(s2sad.jacobian(abs))
    True
    """
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"mode must be 'auto', 'forward' or 'reverse', not {mode!r}")

    def jacobian_of(*args):
        x = np.asarray(args[wrt])
        chosen = mode
        if chosen == "auto":
            out, _ = jvp(f, args, _zero_tangents(args))
            chosen = "forward" if x.size <= np.size(out) else "reverse"
        if chosen == "forward":
            found = _pushed_at_once(f, args, wrt)
            if found is not None:
                return found
            columns, out = [], None
            for basis in _basis(x):
                tangents = list(_zero_tangents(args))
                tangents[wrt] = basis if isinstance(args[wrt], np.ndarray) else float(basis)
                out, tangent = jvp(f, args, tuple(tangents))
                columns.append(np.asarray(tangent))
            return np.stack(columns, axis=-1).reshape(np.shape(out) + x.shape)
        out, pullback = vjp(f, *args)
        rows = [np.asarray(pullback(basis if np.ndim(out) else float(basis))[wrt])
                for basis in _basis(np.asarray(out))]
        return np.stack(rows).reshape(np.shape(out) + x.shape)

    jacobian_of.__name__ = f"jacobian_of_{getattr(f, '__name__', 'f')}"
    return jacobian_of


def hessian(f: Callable, wrt: int = 0) -> Callable:
    """The Hessian of scalar-valued `f` with respect to argument `wrt`, shaped
    `arg.shape + arg.shape`: one Hessian-vector product per basis vector.

    >>> import s2sad
    >>> callable(s2sad.hessian(abs))
    True
    """
    def hessian_of(*args):
        x = np.asarray(args[wrt])
        columns = []
        for basis in _basis(x):
            tangents = [None] * len(args)
            tangents[wrt] = basis if isinstance(args[wrt], np.ndarray) else float(basis)
            columns.append(np.asarray(hvp(f, args, tuple(tangents))[wrt]))
        return np.stack(columns, axis=-1).reshape(x.shape + x.shape)

    hessian_of.__name__ = f"hessian_of_{getattr(f, '__name__', 'f')}"
    return hessian_of


def _pushed_at_once(f: Callable, args: tuple, wrt: int):
    """The Jacobian by one call of batched forward mode (every basis vector at once),
    or None where a rule has no batch form (remembered per argument kinds)."""
    x = args[wrt]
    if isinstance(x, (dict, list, tuple)) or is_integer_value(x):
        return None
    x = np.asarray(x)
    key = tuple(map(kind_of_value, args)) + (wrt,)
    refused = f.__dict__.setdefault(_UNBATCHABLE, set())
    if key in refused:
        return None
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    tangents = [None] * len(args)
    tangents[wrt] = np.eye(x.size, dtype=dtype).reshape((x.size,) + x.shape)
    try:
        function, values = forward_function(f, args, tuple(tangents), with_value=True,
                                            batched=True)
    except NotBatchable:
        refused.add(key)
        return None
    out, tangent = function(*values, *tangents, *(None,) * (len(values) - len(args)))
    return np.moveaxis(np.asarray(tangent), 0, -1).reshape(np.shape(out) + x.shape)


_UNBATCHABLE = "_s2sad_unbatchable"


def _basis(x: np.ndarray):
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        yield e.reshape(x.shape)


def _zero_tangents(args: tuple) -> tuple:
    return tuple(None if is_integer_value(a) else zero_tangent(a) for a in args)
