"""Compare s2sad's derivatives with central finite differences."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .api import _function_source, _resolve_wrt, grad
from .transform import parameter_names


def _fresh(args: Sequence) -> list:
    """Copies of the array arguments (inside dicts, lists and tuples too), so a
    function that writes into them cannot change the caller's data or the next
    evaluation."""
    return [_copied(a) for a in args]


def _copied(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value) is dict:
        return {k: _copied(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_copied(v) for v in value)
    return value


def _leaves(value, path=()):
    """(path, leaf) for the numbers and arrays in nested dicts, lists and tuples."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, path + (key,))
    elif isinstance(value, (list, tuple)):
        for key, item in enumerate(value):
            yield from _leaves(item, path + (key,))
    else:
        yield path, value


def _replaced(value, path: tuple, new):
    """A copy of the nest `value` with the leaf at `path` replaced by `new`."""
    if not path:
        return new
    key, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: _replaced(v, rest, new) if k == key else v for k, v in value.items()}
    items = [_replaced(v, rest, new) if k == key else v for k, v in enumerate(value)]
    return type(value)(items)


def numerical_gradient(f: Callable, args: Sequence, index: int, eps: float = 1e-6):
    """Central finite differences of scalar `f(*args)` in argument `index`, in float64;
    for a dict, list or tuple argument, a nest of the same structure."""
    x = args[index]
    if isinstance(x, (dict, list, tuple)):
        found = x
        for path, _ in _leaves(x):
            def of_leaf(*leaf_args, path=path):
                whole = list(leaf_args)
                whole[index] = _copied(_replaced(x, path, leaf_args[index]))
                return f(*whole)
            leaf_args = list(args)
            leaf_args[index] = dict(_leaves(x))[path]
            found = _replaced(found, path, numerical_gradient(of_leaf, leaf_args, index, eps))
        return found
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
    for param, whole in zip(names, gradients):
        expected_whole = numerical_gradient(f, args, params.index(param), eps)
        paths = [path for path, _ in _leaves(whole)]
        if paths != [path for path, _ in _leaves(expected_whole)] \
                or type(whole) is not type(expected_whole) and paths != [()]:
            raise AssertionError(f"gradient for {param!r} is {whole!r}, not a "
                                 f"{type(expected_whole).__name__} like the argument")
        for (path, computed), (_, expected) in zip(_leaves(whole), _leaves(expected_whole)):
            name = param + "".join(f"[{key!r}]" for key in path)
            _compare(name, computed, expected, rtol, atol)


def _compare(name: str, computed, expected, rtol: float, atol: float) -> None:
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
