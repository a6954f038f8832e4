"""Compare s2sad's derivatives with central finite differences."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .api import _function_source, _resolve_wrt, grad
from .transform import parameter_names


def _fresh(args: Sequence) -> list:
    """Copies of the array arguments, so a function that writes into them cannot
    change the caller's data or the next evaluation."""
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def numerical_gradient(f: Callable, args: Sequence, index: int, eps: float = 1e-6):
    """Central finite differences of scalar `f(*args)` in argument `index`, in float64."""
    x = args[index]
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        plus, minus = _fresh(args), _fresh(args)
        plus[index], minus[index] = float(x) + eps, float(x) - eps
        return (f(*plus) - f(*minus)) / (2 * eps)
    x = np.asarray(x, dtype=float)
    result = np.zeros_like(x)
    for position in np.ndindex(x.shape):
        values = []
        for step in (eps, -eps):
            bumped = x.copy()
            bumped[position] += step
            shifted = _fresh(args)
            shifted[index] = bumped
            values.append(f(*shifted))
        result[position] = (values[0] - values[1]) / (2 * eps)
    return result


def check_grads(f: Callable, args: Sequence, wrt=0, *, eps: float = 1e-6,
                rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """Raise AssertionError if s2sad's gradient disagrees with finite differences.

    >>> import numpy as np, s2sad
    >>> def f(x):
    ...     return np.sum(np.sin(x) * x)
    >>> s2sad.check_grads(f, (np.array([0.1, 0.7, 2.0]),))
    """
    names, _ = _resolve_wrt(f, wrt)
    gradients = grad(f, wrt=tuple(names))(*args)
    params = parameter_names(_function_source(f).tree)
    for name, computed in zip(names, gradients):
        expected = numerical_gradient(f, args, params.index(name), eps)
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
