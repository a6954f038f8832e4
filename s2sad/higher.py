"""Built on the two modes: Jacobians, Hessian-vector products and Hessians.

A Hessian-vector product is forward mode run over the generated gradient (forward
over reverse): the gradient's own source is transformed again, so the Hessian is
never formed.
"""
from __future__ import annotations

import inspect
from typing import Callable

import numpy as np

from .api import _Signature, as_function, forward_function, grad, jvp, vjp
from .emit import readable_function
from .errors import TransformError
from .forward_batched import NotBatchable
from .kinds import carries_no_derivative, kind_of_value, without_derivative
from .source import identifier
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
    f = as_function(f)
    return _hvp_found(f, primals, tangents)[-1](primals, tangents)


def _hvp_found(f: Callable, primals: tuple, tangents: tuple) -> tuple:
    """(the generated tangent function, the positions it differentiates, the defaults
    left out, a function of (primals, tangents) calling it): made once per kinds."""
    key = (tuple(map(kind_of_value, primals)), tuple([t is None for t in tangents]))
    specialised = f.__dict__.get(_HVP) or f.__dict__.setdefault(_HVP, {})
    found = specialised.get(key)   # the hot path: one dict lookup
    if found is None:
        found = specialised[key] = _hvp_function(f, tuple(primals), tuple(tangents))
    return found


def _calling(function, floats: tuple, defaults: tuple, given: int) -> Callable:
    """`(primals, tangents) -> one product per primal`, by `function`."""
    if len(floats) == 1 and not defaults:   # the common case, kept cheap
        before, after = (None,) * floats[0], (None,) * (given - floats[0] - 1)
        return lambda primals, tangents: before + (function(*primals, *tangents),) + after
    padding = (None,) * len(defaults)
    return lambda primals, tangents: _by_position(
        function(*primals, *defaults, *tangents, *padding), floats, given)


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
                   if t is not None and not carries_no_derivative(p))
    if len(tangents) != len(primals) or any(
            t is not None and i not in floats for i, t in enumerate(tangents)):
        raise TypeError("hvp takes one tangent per argument: None for integers and "
                        "for arguments held constant")
    gradient = grad(f, wrt=floats).generated_function(primals)
    function, _ = forward_function(gradient, primals, tangents, with_value=False)
    return function, floats, defaults, _calling(function, floats, defaults, len(given))


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
        full = grad.made_at_transform_time(df.f, wrt=floats)   # made once, kept on f
        gradient = _by_position(full.generated_function(values)(*values), floats,
                                len(values))
        cotangents = _plus_scaled(cotangents, value_cotangent, gradient)
    return cotangents[:len(args)]


def gradient_cotangents_tangent(df, args: tuple, g, tangents: tuple) -> tuple:
    """The tangent of `gradient_cotangents(df, args, g)` along the arguments'
    `tangents`, `g` held (a third derivative): forward mode over the `hvp`'s own
    generated code."""
    values = df.signature.bind(tuple(args), {})
    value_cotangent, directions = _directions(df, values, g)
    tangents = tuple(None if carries_no_derivative(v) else t for v, t in
                     zip(values, tuple(tangents) + (None,) * len(values)))
    function, floats, _, _ = _hvp_found(df.f, values, directions)
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
    directions = [None if carries_no_derivative(v) else zero_tangent(v) for v in values]
    for name, cotangent in zip(df.wrt, g):
        directions[df.signature.names.index(name)] = cotangent
    return value_cotangent, tuple(directions)


def _plus_scaled(found: tuple, scale, added: tuple) -> tuple:
    return tuple(a if b is None else a + scale * b for a, b in zip(found, added))


def jacobian(f: Callable, wrt: int | str = 0, mode: str = "auto") -> Callable:
    """The Jacobian of `f` with respect to argument `wrt` (a position or a name),
    shaped `out.shape + arg.shape`.  `mode="forward"` pushes the argument's basis
    vectors through forward mode (all at once where the rules allow), `"reverse"`
    pulls the output's through `vjp`, `"auto"` takes the one with fewer passes (the
    argument's size against the output's).  The result takes `f`'s arguments.

    >>> import s2sad
    >>> callable(s2sad.jacobian(abs))
    True
    """
    f = as_function(f)
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"mode must be 'auto', 'forward' or 'reverse', not {mode!r}")

    chosen_for: dict = {}   # "auto": the mode taken, per argument shapes

    def jacobian_of(*args, **kwargs):
        args, position = _bound(f, args, kwargs, wrt, "jacobian")
        chosen = mode
        if chosen == "auto":
            key = tuple(map(kind_of_value, args))
            chosen = chosen_for.get(key)
            if chosen is None:
                out, _ = jvp(f, args, _zero_tangents(args))
                _check_one_output(f, out)
                chosen = "forward" if np.size(args[position]) <= np.size(out) else "reverse"
                chosen_for[key] = chosen
        if chosen == "forward":
            return _pushed(f, args, position)
        return _pulled(f, args, position)

    jacobian_of.__name__ = f"jacobian_of_{getattr(f, '__name__', 'f')}"
    return jacobian_of


def _pushed(f: Callable, args: tuple, wrt: int) -> np.ndarray:
    """The Jacobian by forward mode: in one call, or one per basis vector."""
    found = _pushed_at_once(f, args, wrt)
    if found is not None:
        return found
    x, columns, out = np.asarray(args[wrt]), [], None
    for basis in _basis(x):
        tangents = list(_zero_tangents(args))
        tangents[wrt] = basis if isinstance(args[wrt], np.ndarray) else float(basis)
        out, tangent = jvp(f, args, tuple(tangents))
        _check_one_output(f, out)
        columns.append(np.asarray(tangent))
    return np.stack(columns, axis=-1).reshape(np.shape(out) + x.shape)


def _pulled(f: Callable, args: tuple, wrt: int) -> np.ndarray:
    """The Jacobian by reverse mode: in one call, or one pullback per entry of the
    output."""
    out, pullback = vjp(f, *args)
    _check_one_output(f, out)
    if np.size(out) > _FEW_ROWS:
        found = _pulled_at_once(f, args, wrt, np.asarray(out))
        if found is not None:
            return found
    rows = [np.asarray(pullback(basis if np.ndim(out) else float(basis))[wrt])
            for basis in _basis(np.asarray(out))]
    return np.stack(rows).reshape(np.shape(out) + np.shape(args[wrt]))


def hessian(f: Callable, wrt: int | str = 0) -> Callable:
    """The Hessian of scalar-valued `f` with respect to argument `wrt` (a position or
    a name), shaped `arg.shape + arg.shape`: forward mode over the generated gradient,
    all basis vectors at once where the rules allow, else one Hessian-vector product
    per basis vector.

    >>> import s2sad
    >>> callable(s2sad.hessian(abs))
    True
    """
    f = as_function(f)
    def hessian_of(*args, **kwargs):
        args, position = _bound(f, args, kwargs, wrt, "hessian")
        found = _hessian_at_once(f, args, position)
        if found is not None:
            return found
        x, columns = np.asarray(args[position]), []
        for basis in _basis(x):
            tangents = [None] * len(args)
            tangents[position] = basis if isinstance(args[position], np.ndarray) \
                else float(basis)
            columns.append(np.asarray(hvp(f, args, tuple(tangents))[position]))
        return np.stack(columns, axis=-1).reshape(x.shape + x.shape)

    hessian_of.__name__ = f"hessian_of_{getattr(f, '__name__', 'f')}"
    return hessian_of


def _bound(f: Callable, args: tuple, kwargs: dict, wrt, what: str) -> tuple:
    """(every argument by position, defaults filled in; the position of `wrt`)."""
    signature = _signature(f)
    names = signature.names
    if signature.fixed:
        values = signature.bind(tuple(args), kwargs)
    elif kwargs:
        raise TypeError(f"{what} passes keyword arguments only to functions without "
                        "*args or **kwargs")
    else:
        values = tuple(args)
    if isinstance(wrt, str):
        if wrt not in names:
            raise ValueError(f"wrt={wrt!r} names no parameter of {f.__name__}; its "
                             f"parameters are {tuple(names)}")
        wrt = names.index(wrt)
    if not -len(values) <= wrt < len(values):
        raise ValueError(f"wrt={wrt} is out of range: {f.__name__} was given "
                         f"{len(values)} arguments")
    wrt %= len(values)
    x = values[wrt]
    if isinstance(x, (dict, list, tuple)) or carries_no_derivative(x):
        raise TypeError(f"{what} differentiates with respect to a float array or number; "
                        f"argument {wrt} of {f.__name__} is {type(x).__name__} "
                        f"{f'({without_derivative(x)})' if carries_no_derivative(x) else ''}"
                        .rstrip())
    return values, wrt


def _signature(f: Callable):
    """f's `api._Signature`, made once and kept on f."""
    if inspect.ismethod(f):   # its __dict__ is its function's: no cache there
        return _Signature(f)
    found = f.__dict__.get(_SIGNATURE)
    if found is None:
        found = f.__dict__[_SIGNATURE] = _Signature(f)
    return found


_SIGNATURE = "_s2sad_signature"


def _check_one_output(f: Callable, out) -> None:
    if isinstance(out, (tuple, list, dict)):
        raise TypeError(f"jacobian takes a function returning one array or number; "
                        f"{getattr(f, '__name__', 'f')} returns a {type(out).__name__}: "
                        "take the Jacobian of a function returning each output")


def _pushed_at_once(f: Callable, args: tuple, wrt: int, refusals=(NotBatchable,)):
    """The Jacobian by batched forward mode: the basis vectors pushed together (up to
    `_BATCH` a call, which bounds the memory), or None where a rule has no batch form
    or the transform raises one of `refusals` (remembered per argument kinds)."""
    x = np.asarray(args[wrt])
    key = tuple(map(kind_of_value, args)) + (wrt,)
    refused = f.__dict__.setdefault(_UNBATCHABLE, set())
    if key in refused:
        return None
    basis = np.eye(x.size, dtype=x.dtype if np.issubdtype(x.dtype, np.inexact)
                   else np.float64).reshape((x.size,) + x.shape)
    tangents = [None] * len(args)
    tangents[wrt] = basis[:_BATCH]
    try:
        function, values = forward_function(f, args, tuple(tangents), with_value=True,
                                            batched=True)
    except refusals:
        refused.add(key)
        return None
    unused = (None,) * (len(values) - len(args))
    columns = []
    for start in range(0, x.size, _BATCH):
        tangents[wrt] = basis[start:start + _BATCH]
        out, tangent = function(*values, *tangents, *unused)
        _check_one_output(f, out)
        columns.append(np.asarray(tangent))
    found = columns[0] if len(columns) == 1 else np.concatenate(columns)
    return np.moveaxis(found, 0, -1).reshape(np.shape(out) + x.shape)


_BATCH = 256   # basis vectors a call
# up to this many rows, pullbacks one by one cost less than the batched code's fixed
# cost (measured, 500 -> 5: 0.25 against 0.35 ms; 500 -> 20: 0.30 against 0.20 ms)
_FEW_ROWS = 8


def _pulled_at_once(f: Callable, args: tuple, wrt: int, out: np.ndarray):
    """The Jacobian by reverse mode with the basis vectors of the output `out` pulled
    back together: the gradient of `<f(args), cotangent>` is linear in the cotangent,
    so batched forward mode over it, along the cotangent's basis vectors, gives the
    rows.  None where that is refused (a rule without a batch form or a second
    derivative)."""
    cotangent = np.zeros(out.shape, out.dtype if np.issubdtype(out.dtype, np.inexact)
                         else np.float64)
    values = (*args, cotangent)
    try:
        gradient = grad(_contracted(f, len(args)), wrt=(wrt,)).generated_function(values)
    except TransformError:
        return None   # the pullbacks one by one say what is wrong, if anything is
    rows = _pushed_at_once(gradient, values, len(args), (NotBatchable, TransformError))
    if rows is None:
        return None
    x_shape = np.shape(args[wrt])
    rows = rows.reshape(int(np.prod(x_shape)), out.size).T
    return rows.reshape(out.shape + x_shape)


def _contracted(f: Callable, arity: int) -> Callable:
    """`f_contracted(a0, ..., cotangent) = np.sum(f(a0, ...) * cotangent)`, made once
    per arity and kept on f."""
    made = f.__dict__.setdefault(_CONTRACTED, {})
    if arity not in made:
        params = ", ".join(f"a{i}" for i in range(arity))
        name = f"{identifier(f)}_contracted"
        text = (f"def {name}({params}{', ' if arity else ''}cotangent):\n"
                f"    return np.sum(_f({params}) * cotangent)\n")
        made[arity] = readable_function(text, name, {"np": np, "_f": f},
                                        f"contraction of {identifier(f)}")
    return made[arity]


_CONTRACTED = "_s2sad_contracted"


def _hessian_at_once(f: Callable, args: tuple, wrt: int):
    """The Hessian by one call of batched forward mode over f's generated gradient,
    or None where a rule has no batch form."""
    gradient = grad(f, wrt=(wrt,)).generated_function(args)
    columns = _pushed_at_once(gradient, args, wrt)
    return None if columns is None else columns.reshape(np.shape(args[wrt]) * 2)


_UNBATCHABLE = "_s2sad_unbatchable"


def _basis(x: np.ndarray):
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        yield e.reshape(x.shape)


def _zero_tangents(args: tuple) -> tuple:
    return tuple(None if carries_no_derivative(a) else zero_tangent(a) for a in args)
