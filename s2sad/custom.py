"""Control of differentiation from user code: your own reverse rule for a function
(`custom_vjp`, JAX's convention), and `stop_gradient`.

Both go through the registry the built-in rules use, so the transformer treats
them like any NumPy function.
"""
from __future__ import annotations

import functools
import inspect
from typing import Callable

from .rules import defnondiff, defvjp, lookup
from .runtime import unbroadcast


def stop_gradient(x):
    """`x` itself; s2sad gives it no derivative.

    >>> import numpy as np, s2sad
    >>> s2sad.stop_gradient(np.array([1.0, 2.0]))
    array([1., 2.])
    """
    return x


defnondiff(stop_gradient, output="same")


class custom_vjp:
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

    The backward sweep calls `fwd` again for the residuals (the forward sweep calls
    the function itself), so `fwd` should cost about what the function costs.
    """

    def __init__(self, fun: Callable):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None

    def __call__(self, *args):
        return self.fun(*args)

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """Set the rule: `fwd(*args) -> (out, residuals)`, `bwd(residuals, g) -> tuple`."""
        self.fwd, self.bwd = fwd, bwd
        defvjp(self, "*args", output="unknown", dargs="custom_cotangents(fn, args, g)")

    def cotangents(self, args: tuple, g) -> tuple:
        """The cotangents of the arguments given (defaults left out get theirs too,
        as `bwd` returns one per parameter), each shaped like its argument."""
        if self.fwd is None:
            raise TypeError(f"{self.__name__} is a custom_vjp function without a rule; "
                            "call its defvjp(fwd, bwd) first")
        bound = inspect.signature(self.fun).bind(*args)
        bound.apply_defaults()
        every = tuple(bound.args)
        _, residuals = self.fwd(*every)
        found = self.bwd(residuals, g)
        if not isinstance(found, (tuple, list)) or len(found) != len(every):
            raise TypeError(f"the bwd rule of {self.__name__} must return a tuple of "
                            f"{len(every)} cotangents (one per parameter), got {found!r}")
        return tuple(c if c is None else unbroadcast(c, a) for c, a in zip(found, args))


def differentiate_recursion(fn: Callable) -> None:
    """Give the recursive function `fn` the rule that differentiates a call of it
    through `s2sad.vjp` of `fn` itself: the backward sweep runs `fn`'s forward sweep
    again for its residuals (so a recursion of depth d costs about d * d / 2 calls)."""
    if lookup(fn) is None:
        defvjp(fn, "*args", output="unknown", dargs="recursive_cotangents(fn, args, g)")
