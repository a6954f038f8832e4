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
    given = len(primals)
    key = (tuple(map(kind_of_value, primals)), tuple(t is None for t in tangents))
    specialised = f.__dict__.get(_HVP) or f.__dict__.setdefault(_HVP, {})
    found = specialised.get(key)   # the hot path: one dict lookup
    if found is None:
        found = specialised[key] = _hvp_function(f, tuple(primals), tuple(tangents))
    function, floats, defaults = found
    product = function(*primals, *defaults, *tangents, *(None,) * len(defaults))
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


def _basis(x: np.ndarray):
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        yield e.reshape(x.shape)


def _zero_tangents(args: tuple) -> tuple:
    return tuple(None if is_integer_value(a) else zero_tangent(a) for a in args)
