"""Compare s2sad's derivatives with central finite differences."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .api import _resolve_wrt, grad


def numerical_gradient(f: Callable, args: Sequence, index: int, eps: float = 1e-6):
    """Central finite differences of scalar `f(*args)` in argument `index`."""
    args = list(args)
    x = args[index]
    if np.ndim(x) == 0:
        plus, minus = list(args), list(args)
        plus[index], minus[index] = x + eps, x - eps
        return (f(*plus) - f(*minus)) / (2 * eps)
    x = np.asarray(x, dtype=float)
    result = np.zeros_like(x)
    for position in np.ndindex(x.shape):
        bumped = x.copy()
        bumped[position] += eps
        args[index] = bumped
        high = f(*args)
        bumped[position] -= 2 * eps
        low = f(*args)
        result[position] = (high - low) / (2 * eps)
    return result


def check_grads(f: Callable, args: Sequence, wrt=0, *, eps: float = 1e-6,
                rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """Raise AssertionError if s2sad's gradient disagrees with finite differences.

    >>> import numpy as np, s2sad
    >>> def f(x):
    ...     return np.sum(np.sin(x) * x)
    >>> s2sad.check_grads(f, (np.array([0.1, 0.7, 2.0]),))
    """
    names, many = _resolve_wrt(f, wrt)
    gradients = grad(f, wrt=tuple(names))(*args)
    params = list(__import__("inspect").signature(f).parameters)
    for name, computed in zip(names, gradients):
        index = params.index(name)
        expected = numerical_gradient(f, args, index, eps)
        if np.shape(computed) != np.shape(expected):
            raise AssertionError(f"gradient for {name!r} has shape {np.shape(computed)}, "
                                 f"expected {np.shape(expected)}")
        error = np.abs(np.asarray(computed, dtype=float) - expected)
        bound = atol + rtol * np.abs(expected)
        if np.any(error > bound):
            worst = np.unravel_index(np.argmax(error - bound), np.shape(error)) \
                if np.ndim(error) else ()
            raise AssertionError(
                f"gradient for {name!r} disagrees with finite differences: largest error "
                f"{np.max(error):.3g} at index {worst} (s2sad {np.asarray(computed)[worst]!r}, "
                f"finite differences {np.asarray(expected)[worst]!r})")
