"""The public API: grad, value_and_grad, vjp, source, check_grads."""
from __future__ import annotations

import functools
import inspect
import threading
import types
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from .custom import WholeCall
from . import rules
from .emit import readable_function
from .kinds import (MAX_LEAVES, UNKNOWN, Structure, abstract_structure,
                    carries_no_derivative, dtype_of_key, kind_of_key, kind_of_value,
                    without_derivative)
from .source import identifier, read_function
from .syntax import check_supported
from .transform import Generated, forward_transform, parameter_names, reverse_transform

_lock = threading.RLock()
_CACHE = "__s2sad_cache__"   # kept on the function object: it lives and dies with it
_MANY_SHAPES = 1024


def _function_source(f):
    with _lock:
        cache = f.__dict__.get(_CACHE)
        if cache is None:
            src = read_function(_readable(f))
            check_supported(src)
            cache = f.__dict__[_CACHE] = {"source": src}
        return cache["source"]


def _readable(f):
    """`f`; for a derivative s2sad made (`jvp(grad(f), ...)`), a function calling it
    with source s2sad can read: the call is differentiated as a whole (see
    `_Derivative.forward`)."""
    if not isinstance(f, _Derivative):
        return f
    if not f.signature.fixed:
        raise TypeError(f"s2sad differentiates {f!r} only if {f.f.__name__} takes no "
                        "*args or **kwargs")
    return _calling(f, list(f.signature.signature.parameters.values()))


def as_function(f):
    """`f`; for a bound method of the user's (`model.loss`), a function of its other
    parameters calling it (inlined: `Model.loss(model, w)`), made once per object.

    >>> import s2sad
    >>> s2sad.api.as_function(len) is len
    True
    """
    if not inspect.ismethod(f) or not isinstance(f.__func__, types.FunctionType):
        return f
    made = f.__func__.__dict__.setdefault("_s2sad_bound_methods", {})
    found = made.get(id(f.__self__))
    if found is None or found[0]() is not f.__self__:
        try:
            owner = weakref.ref(f.__self__)
        except TypeError:   # no weak references: kept while the function lives
            owner = functools.partial(lambda kept: kept, f.__self__)
        params = list(inspect.signature(f).parameters.values())
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            raise TypeError(f"s2sad differentiates the method {f.__qualname__} only if it "
                            "takes no *args or **kwargs")
        found = made[id(f.__self__)] = (owner, _calling(f, params))
    return found[1]


def _calling(f, params: list):
    """A function with `params` that returns `f(...)` of them, with source s2sad can
    read."""
    defaults = {f"_default_{p.name}": p.default for p in params if p.default is not p.empty}
    written = [p.name if p.default is p.empty else f"{p.name}=_default_{p.name}"
               for p in params]
    keyword_only = [i for i, p in enumerate(params) if p.kind == p.KEYWORD_ONLY]
    if keyword_only:
        written.insert(keyword_only[0], "*")
    signature = ", ".join(written)
    names = ", ".join(p.name if p.kind != p.KEYWORD_ONLY else f"{p.name}={p.name}"
                      for p in params)
    text = f"def {identifier(f)}({signature}):\n    return _s2sad_called({names})\n"
    return readable_function(text, identifier(f), {"_s2sad_called": f, "np": np, **defaults},
                             f"call of {f!r}")


def _cached_transform(f, key: tuple, make: Callable[[], Generated]) -> Generated:
    """One transform per (function, wrt, mode, argument kinds), even under threads."""
    cache = f.__dict__[_CACHE]   # made by _function_source
    generated = cache.get(key)
    if generated is None:
        with _lock:
            generated = cache.get(key)
            if generated is None:
                generated = cache[key] = make()
    return generated


class _Signature:
    """Fast argument binding that keeps the user's defaults and keyword arguments."""

    def __init__(self, f):
        self.signature = inspect.signature(f)
        self.names = list(self.signature.parameters)
        kinds = [p.kind for p in self.signature.parameters.values()]
        self.simple = all(k in (inspect.Parameter.POSITIONAL_ONLY,
                                inspect.Parameter.POSITIONAL_OR_KEYWORD) for k in kinds)
        self.fixed = not {inspect.Parameter.VAR_POSITIONAL,
                          inspect.Parameter.VAR_KEYWORD} & set(kinds)
        self.defaults = [p.default for p in self.signature.parameters.values()]

    def bind(self, args, kwargs) -> tuple:
        """Every parameter's value, by position (keyword-only ones too, in order);
        `args` that already give them all are taken as they are."""
        if not kwargs and self.fixed and len(args) <= len(self.names):
            if len(args) == len(self.names):
                return args
            missing = self.defaults[len(args):]   # the defaults of those left out
            if self.simple and not any(d is inspect.Parameter.empty for d in missing):
                return tuple(args) + tuple(missing)
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return tuple(bound.arguments[n] for n in self.names)


def _resolve_wrt(f, wrt) -> tuple[tuple[str, ...], bool]:
    """Parameter names for `wrt` (position, name, or tuple of them); and whether a tuple."""
    src = _function_source(f)
    params = parameter_names(src.tree)
    many = isinstance(wrt, (tuple, list))
    chosen = []
    for item in (wrt if many else (wrt,)):
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise TypeError(f"wrt must be a parameter position or name, got {item!r}")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise ValueError(f"wrt={item} is out of range: {f.__name__} has "
                                 f"{len(params)} parameters {tuple(params)}")
            item = params[item]
        elif item not in params:
            raise ValueError(f"wrt={item!r} names no parameter of {f.__name__}; its "
                             f"parameters are {tuple(params)}")
        chosen.append(item)
    return tuple(chosen), many


class _Derivative(WholeCall):
    """A derivative function: callable like f, with `.source` to read the code.  A
    function s2sad differentiates may call it (see the split-call methods below)."""

    def __init__(self, f, wrt, with_value: bool, has_aux: bool = False):
        self.f = f
        self.wrt, self.many = _resolve_wrt(f, wrt)
        self.with_value = with_value
        self.has_aux = has_aux
        cache = f.__dict__[_CACHE]   # made by _resolve_wrt
        if "signature" not in cache:
            cache["signature"] = _Signature(f)
        self.signature = cache["signature"]
        self._specialised: dict = {}   # argument shapes and kinds -> generated function
        self._last: Generated | None = None
        self.single_in_tuple = self.many and len(self.wrt) == 1
        self.arity = len(self.signature.names) if self.signature.simple else -1
        functools.update_wrapper(self, f, updated=())   # not f's caches in __dict__
        self.__signature__ = self.signature.signature

    def _generated(self, keys: tuple, values: tuple) -> Generated:
        by_name = dict(zip(self.signature.names,
                           (kind_of_key(abstract_structure(k)) for k in keys)))
        for w in self.wrt:
            value = values[self.signature.names.index(w)]
            if isinstance(value, (dict, list, tuple)) and not isinstance(by_name[w], Structure):
                src = _function_source(self.f)
                raise src.error(
                    f"cannot differentiate {self.f.__name__} with respect to {w!r}: s2sad "
                    f"splits plain dicts, lists and tuples of at most {MAX_LEAVES} items with "
                    f"str or int keys, and this {type(value).__name__} is not one",
                    src.tree, "pass a plain dict, list or tuple (dict(...), list(...)), or "
                    "stack many numbers into one array")
            if by_name[w].integer:
                src, value = _function_source(self.f), values[self.signature.names.index(w)]
                raise src.error(
                    f"cannot differentiate {self.f.__name__} with respect to {w!r}: it is "
                    f"{without_derivative(value)} ({type(value).__name__})",
                    src.tree, f"pass a float for {w!r} (e.g. {w}=float(...)) or choose "
                    "another wrt")
        doubles = _float64_arrays(self.signature.names, keys)
        # argument kinds, not shapes: shapes alike share one transform
        key = ("grad", self.wrt, tuple(by_name.values()), doubles, self.with_value,
               self.has_aux)
        return _cached_transform(self.f, key, lambda: reverse_transform(
            _function_source(self.f), self.wrt, by_name, split=False,
            float64_arrays=doubles, with_value=self.with_value, has_aux=self.has_aux))

    def generated_function(self, args: tuple) -> Callable:
        """The generated derivative these arguments call (made on the first call)."""
        keys = tuple(map(kind_of_value, args))
        derivative = self._specialised.get(keys)   # the hot path: one dict lookup
        if derivative is None:
            if len(self._specialised) >= _MANY_SHAPES:   # shapes that vary call after call
                self._specialised.clear()
            self._last = self._generated(keys, args)
            derivative = self._specialised[keys] = next(iter(self._last.functions.values()))
        return derivative

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != self.arity:
            args = self.signature.bind(args, kwargs)
        return self.as_returned(self.generated_function(args)(*args))

    def as_returned(self, out):
        """The generated function's output as this derivative returns it: `wrt=(0,)`
        gives a tuple of one gradient."""
        if not self.single_in_tuple:
            return out
        if self.with_value:   # ((value, aux), grads) with has_aux
            value, grads = out
            return value, (grads,)
        if self.has_aux:      # (grads, aux)
            grads, aux = out
            return (grads,), aux
        return (out,)

    @property
    def source(self) -> str:
        """The generated Python source of the specialisation made most recently."""
        if self._last is None:
            generic = {n: UNKNOWN for n in self.signature.names}
            self._last = reverse_transform(_function_source(self.f), self.wrt, generic,
                                           split=False, with_value=self.with_value,
                                           has_aux=self.has_aux)
        return self._last.source

    def __repr__(self):
        kind = "value_and_grad" if self.with_value else "grad"
        return f"<s2sad.{kind} of {self.f.__qualname__} wrt {self.wrt}>"

    # A call of this derivative in a function s2sad differentiates is split: its
    # derivative is the Hessian of f, by forward mode over the generated gradient.

    @property
    def takes_shared_rule(self) -> bool:   # see rules.share_rule
        return not self.has_aux

    def forward(self, args: tuple) -> tuple:
        return self(*args), None   # the backward sweep needs the arguments only

    def backward(self, residuals, args: tuple, g) -> tuple:
        from .higher import gradient_cotangents   # built on this module
        return gradient_cotangents(self, args, g)

    def backward_tangent(self, residuals, args: tuple, g, tangents: tuple) -> tuple:
        from .higher import gradient_cotangents_tangent   # built on this module
        return gradient_cotangents_tangent(self, args, g, tangents)

    def tangent(self, args: tuple, tangents: tuple):
        values = self.signature.bind(tuple(args), {})
        tangents = tuple(tangents) + (None,) * (len(values) - len(tangents))
        function, _ = forward_function(self.generated_function(values), values, tangents,
                                       with_value=False)
        return self.as_returned(function(*values, *tangents))


# a call not split: forward and backward at once (see custom.differentiate_as_whole)
rules.share_rule(_Derivative, "*args", dargs="whole_cotangents(fn, args, g)")


def _float64_arrays(names: list, keys: tuple) -> frozenset:
    """Parameters given float64 arrays: their gradients need no conversion."""
    return frozenset(n for n, key in zip(names, keys) if dtype_of_key(key) == np.float64)


def _decorator(with_value: bool):
    def make(f=None, wrt=0, has_aux=False):
        if f is None:
            return lambda g: make(g, wrt, has_aux)
        f = as_function(f)
        if isinstance(f, (_Derivative, _HigherDerivative)) and not with_value \
                and not has_aux and isinstance(wrt, int):
            return _HigherDerivative(f, wrt)   # grad(grad(f))
        return _Derivative(f, wrt, with_value, has_aux)
    return make


class _HigherDerivative:
    """`grad(grad(f))` (and deeper) of a function of a scalar argument: the derivative
    of the generated derivative's own code, by forward mode (a derivative of a
    scalar function of one scalar is its tangent along 1)."""

    def __init__(self, inner, wrt: int):
        functools.update_wrapper(self, inner, updated=())
        self.inner, self.wrt = inner, wrt

    def code(self, args: tuple) -> tuple:
        """(a generated function, the arguments) whose call gives this derivative."""
        if isinstance(self.inner, _Derivative):
            function, given = self.inner.generated_function(args), args
        else:
            function, given = self.inner.code(args)
        if self.wrt >= len(args) or not isinstance(args[self.wrt], (float, np.floating)):
            raise TypeError("grad of grad differentiates a function of a scalar argument "
                            "(its gradient is a scalar then); for arrays use s2sad.hvp or "
                            "s2sad.hessian")
        tangents = tuple(1.0 if i == self.wrt else None for i in range(len(given)))
        tangent_function, _ = forward_function(function, given, tangents, with_value=False)
        return tangent_function, given + tangents

    def __call__(self, *args):
        function, given = self.code(tuple(args))
        return function(*given)

    def __repr__(self):
        return f"<s2sad.grad of {self.inner!r} wrt {self.wrt}>"


def grad(f: Callable | None = None, wrt: int | str | Sequence = 0,
         has_aux: bool = False) -> Callable:
    """The gradient of a scalar-valued function, by source transformation.

    `wrt` is a parameter position, a parameter name, or a tuple of them (then the
    result is a tuple of gradients).  Works as `@grad`, `@grad(wrt=...)` and
    `grad(f, wrt=...)`.  With `has_aux`, `f` returns `(value, aux)` and the derivative
    `(gradient, aux)`: aux is passed through, not differentiated.

    >>> import s2sad
    >>> def geometric(q, n):
    ...     s = 1.0
    ...     for _ in range(n):
    ...         s = 1.0 + q * s
    ...     return s
    >>> dgeometric = s2sad.grad(geometric)       # doctest: +SKIP
    >>> round(dgeometric(0.5, 3), 6)             # doctest: +SKIP
    1.75
    """
    return _decorator(False)(f, wrt, has_aux)


def value_and_grad(f: Callable | None = None, wrt: int | str | Sequence = 0,
                   has_aux: bool = False) -> Callable:
    """Like `grad`, but the derivative returns `(value, gradient)`; with `has_aux`,
    `((value, aux), gradient)`.

    >>> import numpy as np, s2sad
    >>> def loss(w):                                  # doctest: +SKIP
    ...     return np.sum(w * w)
    >>> s2sad.value_and_grad(loss)(np.array([1.0, 2.0]))  # doctest: +SKIP
    (5.0, array([2., 4.]))
    """
    return _decorator(True)(f, wrt, has_aux)


def _made_once(with_value: bool):
    """`grad` (or `value_and_grad`) made once per function and arguments: how s2sad
    reads `s2sad.grad(f)(x)` in a function it differentiates."""
    def make(f, wrt=0, has_aux=False):
        wrt = tuple(wrt) if isinstance(wrt, list) else wrt
        made = f.__dict__.setdefault("_s2sad_derivatives", {})
        key = (with_value, wrt, has_aux)
        if key not in made:
            made[key] = _decorator(with_value)(f, wrt, has_aux)
        return made[key]
    make.__name__ = "value_and_grad" if with_value else "grad"
    return make


grad.made_at_transform_time = _made_once(False)
value_and_grad.made_at_transform_time = _made_once(True)


def _check_cotangent(cotangent, out, name: str) -> None:
    """The cotangent has the output's structure (a tuple for `return a, b`, a dict
    with the same keys for a dict) and shapes."""
    if isinstance(out, dict):
        if not isinstance(cotangent, dict) or set(cotangent) != set(out):
            raise ValueError(f"{name} returns a dict with the keys {list(out)}: the "
                             "cotangent must be a dict with the same keys")
        for key in out:
            _check_cotangent(cotangent[key], out[key], name)
    elif isinstance(out, (tuple, list)):
        if not isinstance(cotangent, (tuple, list)) or len(cotangent) != len(out):
            raise ValueError(f"{name} returns {len(out)} values: the cotangent must be a "
                             f"{type(out).__name__} of {len(out)}, one for each")
        for c, o in zip(cotangent, out):
            _check_cotangent(c, o, name)
    elif np.shape(cotangent) != np.shape(out):
        raise ValueError(f"the cotangent has shape {np.shape(cotangent)}, but the output "
                         f"of {name} has shape {np.shape(out)}")


def vjp(f: Callable, *primals) -> tuple[Any, Callable]:
    """Run `f(*primals)`; return its output and the pullback.

    `pullback(cotangent)` returns one cotangent per primal (None for integer
    arguments) and may be called any number of times.  For a function returning
    several values (`return a, b`), the cotangent is a tuple with one for each.

    >>> import numpy as np, s2sad
    >>> def square(x):                                # doctest: +SKIP
    ...     return x * x
    >>> out, pullback = s2sad.vjp(square, np.array([1.0, 3.0]))  # doctest: +SKIP
    >>> pullback(np.ones(2))                          # doctest: +SKIP
    (array([2., 6.]),)
    """
    f = as_function(f)
    src = _function_source(f)
    cache = f.__dict__[_CACHE]
    if "signature" not in cache:
        cache["signature"] = _Signature(f)
    names = parameter_names(src.tree)
    values = cache["signature"].bind(primals, {})   # parameters left out take defaults
    kinds = tuple(kind_of_value(v) for v in values)
    by_name = dict(zip(names, (kind_of_key(abstract_structure(k)) for k in kinds)))
    generated = _cached_transform(f, ("vjp", tuple(by_name.values())), lambda: reverse_transform(
        src, tuple(names), by_name, split=True))
    forward, backward = generated.functions.values()
    out, residuals = forward(*values)

    def pullback(cotangent):
        _check_cotangent(cotangent, out, f.__name__)
        return backward(residuals, cotangent)[:len(primals)]

    pullback.source = generated.source
    return out, pullback


def jvp(f: Callable, primals: tuple, tangents: tuple) -> tuple[Any, Any]:
    """Forward mode: `(f(*primals), J @ tangents)`, the output and its tangent, by
    generated code that carries a tangent beside every value (`jvp_source(f)` prints
    it).  `tangents` has one entry per primal, shaped like it (dicts, lists and tuples
    too); integer arguments take None, and so may arguments held constant.  A function
    returning several values returns their tangents in the same structure.

    >>> import numpy as np, s2sad
    >>> def cube(x):                                  # doctest: +SKIP
    ...     return x ** 3
    >>> s2sad.jvp(cube, (2.0,), (1.0,))               # doctest: +SKIP
    (8.0, 12.0)
    """
    if len(primals) != len(tangents):
        raise ValueError(f"jvp takes one tangent per primal: {len(primals)} primals, "
                         f"{len(tangents)} tangents")
    return forward(f, primals, tangents, with_value=True)


def forward(f: Callable, primals: tuple, tangents: tuple, with_value: bool):
    """`jvp`, or (without `with_value`) the tangent alone, computing only what it needs."""
    function, values = forward_function(f, primals, tangents, with_value)
    padded = tuple(tangents) + (None,) * (len(values) - len(tangents))
    return function(*values, *padded)


def forward_function(f: Callable, primals: tuple, tangents: tuple, with_value: bool,
                     batched: bool = False):
    """(the generated forward-mode function for these argument kinds, the primals
    with defaults filled in).  `batched`: tangents carry a leading axis of basis
    vectors (see `forward_batched`)."""
    f = as_function(f)
    src = _function_source(f)
    cache = f.__dict__[_CACHE]
    if "signature" not in cache:
        cache["signature"] = _Signature(f)
    values = cache["signature"].bind(tuple(primals), {})
    tangents = tuple(tangents) + (None,) * (len(values) - len(tangents))   # defaults
    if not batched:
        _check_tangents(f, values, tangents)
    keys = tuple(map(kind_of_value, values))
    given = tuple(t is not None for t in tangents)
    specialised = cache.setdefault(("jvp" if with_value else "tangent", batched), {})
    function = specialised.get((keys, given))   # the hot path: one dict lookup
    if function is None:
        names = parameter_names(src.tree)
        by_name = dict(zip(names, (kind_of_key(abstract_structure(k)) for k in keys)))
        constants = frozenset(n for n, t in zip(names, tangents) if t is None)   # no tangent
        generated = _cached_transform(
            f, ("jvp", tuple(by_name.values()), constants, with_value, batched),
            lambda: forward_transform(src, by_name, constants, with_value, batched))
        cache["batched_jvp_source" if batched else "jvp_source"] = generated.source
        (function,) = generated.functions.values()
        specialised[(keys, given)] = function
    return function, values


def _check_tangents(f: Callable, values: tuple, tangents: tuple) -> None:
    """Each tangent is shaped like its primal; integers take None."""
    for value, tangent in zip(values, tangents):
        if tangent is None or isinstance(value, (dict, list, tuple)):
            continue
        if carries_no_derivative(value):
            raise TypeError(f"{f.__name__} takes an argument that is "
                            f"{without_derivative(value)} ({value!r}): its tangent must "
                            "be None")
        if np.shape(tangent) != np.shape(value):
            raise ValueError(f"a tangent has shape {np.shape(tangent)}, but its primal "
                             f"{np.shape(value)}")


def jvp_source(f: Callable) -> str:
    """The source of the forward-mode derivative `jvp` last made for `f`.

    >>> import s2sad
    >>> callable(s2sad.jvp_source)
    True
    """
    f = as_function(f)
    text = f.__dict__.get(_CACHE, {}).get("jvp_source")
    if text is None:
        raise ValueError(f"call s2sad.jvp({f.__name__}, ...) first")
    return text


def source(df: Callable) -> str:
    """The generated source of a derivative made by s2sad (same as `df.source`).

    >>> import s2sad
    >>> def f(x):                                     # doctest: +SKIP
    ...     return x * x
    >>> print(s2sad.source(s2sad.grad(f)))            # doctest: +SKIP
    """
    text = getattr(df, "source", None)
    if not isinstance(text, str):
        raise TypeError(f"{df!r} is not a derivative made by s2sad")
    return text
