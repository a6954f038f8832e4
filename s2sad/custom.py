"""Control of differentiation from user code: your own rule for a function
(`custom_vjp` and `custom_jvp`, JAX's conventions), and `stop_gradient`.

All go through the registry the built-in rules use, so the transformer treats
them like any NumPy function.  Reverse mode uses a `custom_jvp` rule transposed:
the rule's tangent output is linear in the tangents, and s2sad's own gradient of
<cotangent, tangent output> with respect to the tangents is that transpose.
"""
from __future__ import annotations

import functools
import inspect
import weakref
from typing import Callable

import numpy as np

from .emit import readable_function
from .rules import defnondiff, defvjp, lookup
from .runtime import (SPLIT_RULES, split_forward, split_output, split_rule, unbroadcast,
                      zero_tangent)


def stop_gradient(x):
    """`x` itself; s2sad gives it no derivative.

    >>> import numpy as np, s2sad
    >>> s2sad.stop_gradient(np.array([1.0, 2.0]))
    array([1., 2.])
    """
    return x


defnondiff(stop_gradient, output="same")


class WholeCall:
    """A callable s2sad differentiates as a whole, not by reading its source: its
    calls are split (see below) and go through the methods below; `backward_tangent`
    is optional (a second derivative through the backward part).  The base of the
    custom-rule functions and of s2sad's own derivative objects (`grad(f)` called
    inside a function s2sad differentiates)."""

    def forward(self, args: tuple) -> tuple:
        """`(out, residuals)`: the forward sweep's part of a call."""
        raise NotImplementedError

    def backward(self, residuals, args: tuple, g) -> tuple:
        """One cotangent per argument given, from the cotangent `g` of the output."""
        raise NotImplementedError

    def tangent(self, args: tuple, tangents: tuple):
        """Forward mode: the output's tangent."""
        raise NotImplementedError

    @property
    def has_rule(self) -> bool:
        """Whether calls can be differentiated (its rule registered by now)."""
        return lookup(self) is not None


class CustomRule(WholeCall):
    """A user function that s2sad differentiates by a rule given with it; the base of
    `custom_vjp` and `custom_jvp`."""

    def __init__(self, fun: Callable):
        functools.update_wrapper(self, fun)
        self.fun = fun

    def __call__(self, *args, **kwargs):
        return self.fun(*args, **kwargs)

    def register(self) -> None:
        defvjp(self, "*args", output="unknown", dargs="custom_cotangents(fn, args, g)")

    def every_argument(self, args: tuple) -> tuple:
        """The positional arguments with the defaults left out of the call added."""
        bound = inspect.signature(self.fun).bind(*args)
        bound.apply_defaults()
        return tuple(bound.args)


class custom_vjp(CustomRule):
    """A function with a reverse rule of your own, used wherever s2sad meets a call
    to it: `f.defvjp(fwd, bwd)` where `fwd(*args)` returns `(out, residuals)` and
    `bwd(residuals, cotangent)` returns one cotangent per positional argument.

    >>> import numpy as np, s2sad
    >>> @s2sad.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (np.clip(g, -1.0, 1.0),))
    >>> clip_gradient(3.0)
    3.0

    The forward sweep calls `fwd` in place of the function and keeps the residuals
    for `bwd` (a call with keyword arguments: the function, and `fwd` again in the
    backward sweep).
    """

    def __init__(self, fun: Callable):
        super().__init__(fun)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """Set the rule: `fwd(*args) -> (out, residuals)`, `bwd(residuals, g) -> tuple`."""
        self.fwd, self.bwd = fwd, bwd
        self.register()

    def cotangents(self, args: tuple, g) -> tuple:
        """The cotangents of the arguments given (defaults left out get theirs too,
        as `bwd` returns one per parameter), each shaped like its argument."""
        _, residuals = self.forward(args)
        return self.backward(residuals, args, g)

    def forward(self, args: tuple) -> tuple:
        """`(out, residuals)`: the forward sweep calls `fwd` in place of the function."""
        if self.fwd is None:
            raise TypeError(f"{self.__name__} is a custom_vjp function without a rule; "
                            "call its defvjp(fwd, bwd) first")
        return self.fwd(*self.every_argument(args))

    def tangent(self, args: tuple, tangents: tuple):
        raise TypeError(f"{self.__name__} is a custom_vjp function: it has a reverse rule "
                        "only, so forward mode (jvp) cannot go through it; give it a "
                        "forward rule with custom_jvp instead")

    def backward(self, residuals, args: tuple, g) -> tuple:
        every = self.every_argument(args)
        found = self.bwd(residuals, g)
        if not isinstance(found, (tuple, list)) or len(found) != len(every):
            raise TypeError(f"the bwd rule of {self.__name__} must return a tuple of "
                            f"{len(every)} cotangents (one per parameter), got {found!r}")
        return tuple(c if c is None else unbroadcast(c, a) for c, a in zip(found, args))


class custom_jvp(CustomRule):
    """A function with a forward rule of your own (JAX's convention): the rule
    `rule(primals, tangents)` returns `(out, tangent_out)`, `tangent_out` linear in
    `tangents`.  Reverse mode (`grad`, `vjp`) uses the rule transposed, so the rule
    must be code s2sad can differentiate; the function's output must be one array or
    number.

    >>> import numpy as np, s2sad
    >>> @s2sad.custom_jvp
    ... def log1pexp(x):
    ...     return np.log1p(np.exp(x))
    >>> @log1pexp.defjvp
    ... def log1pexp_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return log1pexp(x), t / (1.0 + np.exp(-x))
    >>> round(float(log1pexp(0.0)), 4)
    0.6931
    """

    def __init__(self, fun: Callable):
        super().__init__(fun)
        self.rule: Callable | None = None
        self._paired: Callable | None = None

    def defjvp(self, rule: Callable) -> Callable:
        """Set the rule; returns it, so it can decorate the rule's definition."""
        self.rule = rule
        self._paired = None
        self.register()
        return rule

    def cotangents(self, args: tuple, g) -> tuple:
        """The cotangents of the arguments given: the gradient, with respect to the
        tangents, of <g, tangent_out>."""
        every = self.every_argument(args)
        found = self.transposed()(every, tuple(map(zero_tangent, every)), g)
        return tuple(unbroadcast(c, a) if not isinstance(a, (tuple, list, dict)) else c
                     for c, a in zip(found, args))

    def transposed(self):
        """The gradient, with respect to the tangents, of <g, tangent_out>.  Made when
        a call is first transformed: a rule s2sad cannot differentiate fails there."""
        if self.rule is None:
            raise TypeError(f"{self.__name__} is a custom_jvp function without a rule; "
                            "call its defjvp(rule) first")
        if self._paired is None:
            from .api import grad   # the API builds on this module
            paired = grad(_paired_with(self.rule, self.__name__), wrt=1)
            paired.source   # transformed now, for argument kinds not known yet
            self._paired = paired
        return self._paired

    def forward(self, args: tuple) -> tuple:
        return self.fun(*args), None   # the transposed rule needs the arguments only

    def tangent(self, args: tuple, tangents: tuple):
        """Forward mode: the rule itself, on the arguments given (defaults left out
        get zero tangents)."""
        every = self.every_argument(args)
        tangents = tuple(tangents) + tuple(map(zero_tangent, every[len(tangents):]))
        return self.rule(every, tangents)[1]

    def backward(self, residuals, args: tuple, g) -> tuple:
        return self.cotangents(args, g)


_PAIRED = """
def {name}_transposed(primals, tangents, cotangent):
    _, tangent_out = rule(primals, tangents)
    return np.sum(tangent_out * cotangent)
"""


def _paired_with(rule: Callable, name: str) -> Callable:
    """`(primals, tangents, cotangent) -> <cotangent, tangent_out>`, as a function
    with source s2sad can read."""
    return readable_function(_PAIRED.format(name=name), f"{name}_transposed",
                             {"rule": rule, "np": np}, f"custom_jvp {name}")


def differentiate_recursion(fn: Callable) -> None:
    """Give the recursive function `fn` the rule that differentiates a call of it
    through `s2sad.vjp` of `fn` itself: made a split call (below), its forward part
    runs once, and the backward sweep calls the pullback it kept."""
    differentiate_as_whole(fn, _Recursion(fn))


def differentiate_as_whole(fn: Callable, split: WholeCall | None = None) -> None:
    """Calls of `fn` are split, and differentiated by `split` (by `fn` itself, a
    `WholeCall`, when None).  Registered when a call is first transformed."""
    if lookup(fn) is None:   # a call not split: forward and backward at once
        defvjp(fn, "*args", output="unknown", dargs="whole_cotangents(fn, args, g)")
    if split is not None:
        SPLIT_RULES.setdefault(fn, split)


class _Recursion(WholeCall):
    """How a call of a recursive function is split: its pullback is the residual."""

    def __init__(self, fn: Callable):
        self.fn = weakref.ref(fn)   # SPLIT_RULES must not keep the function alive

    def forward(self, args: tuple) -> tuple:
        from .api import vjp   # the API builds on this module
        return vjp(self.fn(), *args)

    @staticmethod
    def backward(pullback, args: tuple, g) -> tuple:
        return pullback(g)

    def tangent(self, args: tuple, tangents: tuple):
        from .api import jvp
        return jvp(self.fn(), args, tangents)[1]


# --- split calls --------------------------------------------------------------------
# A call differentiated as a whole (`custom_vjp`, `custom_jvp`, recursion) becomes two
# statements in the forward sweep:
#     _pair = split_forward(f, x)           # (output, what the backward sweep needs)
#     y = split_output(f, _pair, x)         # the output; its rule reads `_pair`
# so the residuals are made once, and kept on the tape like any value the backward
# sweep reads.  (Calls with keyword arguments keep the rules above: one call, and
# the residuals made again in the backward sweep.)

def split_in_reverse_only(fn) -> bool:
    """Whether `fn` has a rule of its own that forward mode uses, its calls being split
    in reverse mode only (to keep what the backward sweep can reuse)."""
    return getattr(split_rule(fn), "reverse_only", False)


def is_split_call(fn) -> bool:
    """Whether calls of `fn` are split (see above); a `custom_jvp` rule is made ready
    (transposed) here, when its caller is transformed."""
    if isinstance(fn, custom_jvp) and fn.has_rule:
        fn.transposed()
    if isinstance(fn, WholeCall):
        return fn.has_rule
    return split_rule(fn) is not fn


defnondiff(split_forward, output="unknown")
defvjp(split_output, "function, pair, *args", output="unknown",
       dargs="split_backward(function, pair, args, g)")
