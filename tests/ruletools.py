"""Check reverse-rule templates against finite differences, without the transformer.

A template is evaluated with `eval` in `s2sad.rules.TEMPLATE_NAMESPACE` plus the
call's bound parameters, `g` and `ans`, exactly the names the transformer gives it.
Its result is compared, entry by entry, with the central-difference gradient of
<g, f(...)> with respect to that parameter.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from s2sad.rules import TEMPLATE_NAMESPACE, lookup

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-7


def samplers(seed: int):
    """`U(lo, hi, *shape)`: uniform floats (a Python float without a shape), and
    `away_from_zero(*shape)`: |x| in [0.3, 2] with random signs, for kinks at 0."""
    rng = np.random.default_rng(seed)

    def U(lo, hi, *shape):
        if not shape:
            return float(rng.uniform(lo, hi))
        return rng.uniform(lo, hi, size=shape)

    def away_from_zero(*shape):
        sign = rng.choice([-1.0, 1.0], size=shape) if shape else float(rng.choice([-1.0, 1.0]))
        return sign * U(0.3, 2.0, *shape)

    return rng, U, away_from_zero


@dataclass
class Case:
    """One call `fn(*args, **kwargs)` whose rule is checked.

    `outputs`, for a function returning a tuple, are the positions of the outputs
    that get a random cotangent; the others get zero (np.linalg.lstsq's rule
    differentiates its solution only).  None: all of them.
    """
    fn: object
    args: tuple
    kwargs: dict = field(default_factory=dict)
    outputs: tuple | None = None

    @property
    def rule(self):
        rule = lookup(self.fn)
        assert rule is not None and not rule.nondiff, f"no reverse rule for {self.fn}"
        return rule

    def __repr__(self):
        parts = [_describe(a) for a in self.args]
        parts += [f"{k}={_describe(v)}" for k, v in self.kwargs.items()]
        return f"{self.rule.name}({', '.join(parts)})"


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return "x".join(map(str, value.shape)) or "0d"
    if isinstance(value, (list, tuple)):
        inner = ",".join(_describe(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, float):
        return "f"
    return repr(value)


# --- binding: the parameter values a template sees ---------------------------------

def bind(rule, args, kwargs) -> tuple[dict, set]:
    """(values of all parameters with defaults filled in, names actually passed).

    Sequence and `*args` parameters become tuples, as the transformer binds them.
    """
    values, given, rest = {}, set(), list(args)
    for param in rule.params:
        if param.keyword_only:
            continue
        if param.variadic:
            values[param.name], rest = tuple(rest), []
            given.add(param.name)
            break
        if rest:
            values[param.name] = rest.pop(0)
            given.add(param.name)
    assert not rest, f"too many arguments for the rule of {rule.name}"
    for key, value in kwargs.items():
        values[key] = value
        given.add(key)
    for param in rule.params:
        if param.name not in values and param.has_default:
            values[param.name] = param.default
        if param.sequence and isinstance(values.get(param.name), list):
            values[param.name] = tuple(values[param.name])
    return values, given


def call_with(rule, args, kwargs, name, value):
    """rule.fn called as in the case, but with parameter `name` set to `value`."""
    args, kwargs = list(args), dict(kwargs)
    if name in kwargs:
        kwargs[name] = value
        return rule.fn(*args, **kwargs)
    positional = [p for p in rule.params if not p.keyword_only]
    index = [p.name for p in positional].index(name)
    if positional[index].variadic:
        args[index:] = value
    else:
        args[index] = value
    return rule.fn(*args, **kwargs)


def evaluate(rule, name, values, g, ans):
    """The cotangent template of parameter `name`, evaluated."""
    namespace = dict(TEMPLATE_NAMESPACE)
    namespace.update(values, g=g, ans=ans)
    return eval(rule.vjp[name], namespace)


# --- flattening: one float vector per (possibly nested) parameter value ------------

def is_float_value(value) -> bool:
    """Whether `value` is something to differentiate: floats, or lists of them."""
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and all(is_float_value(v) for v in value)
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, (float, np.floating)) or (
        isinstance(value, np.ndarray) and value.dtype.kind == "f")


def flatten(value, like) -> np.ndarray:
    """`value` (structured like `like`) as one vector; checks shapes on the way."""
    if isinstance(like, (list, tuple)):
        assert isinstance(value, (list, tuple)) and len(value) == len(like), \
            f"expected {len(like)} cotangents, got {value!r}"
        return np.concatenate([flatten(v, l) for v, l in zip(value, like)])
    assert np.shape(value) == np.shape(like), \
        f"cotangent has shape {np.shape(value)}, its parameter {np.shape(like)}"
    assert not isinstance(value, np.ndarray) or value.flags.writeable, \
        "cotangent is a read-only array (a np.broadcast_to view?): it may reach the user"
    return np.ravel(np.asarray(value, dtype=float))


def unflatten(vector, like):
    """Inverse of `flatten`: a value structured like `like` from a vector."""
    if isinstance(like, (list, tuple)):
        items, start = [], 0
        for item in like:
            size = _size(item)
            items.append(unflatten(vector[start:start + size], item))
            start += size
        return type(like)(items)
    if isinstance(like, np.ndarray):
        return vector.reshape(like.shape).copy()
    return float(vector[0])


def _size(value) -> int:
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    return int(np.size(value))


# --- the check ------------------------------------------------------------------------

def random_cotangent(ans, rng, outputs=None):
    """Shaped like `ans`; for several outputs (np.linalg.eigh's (w, V), the list of
    parts np.split returns), a tuple with one for each (integer outputs, such as
    lstsq's rank, get zero, and so do those not in `outputs` where it is given)."""
    if isinstance(ans, (tuple, list)):
        return tuple(0 if np.asarray(part).dtype.kind in "iu" else
                     random_cotangent(part, rng) if outputs is None or i in outputs else
                     _zero_like(part) for i, part in enumerate(ans))
    if np.ndim(ans) == 0:
        return float(rng.normal())
    return rng.normal(size=np.shape(ans))


def _zero_like(value):
    return 0.0 if np.ndim(value) == 0 else np.zeros(np.shape(value))


def numeric_gradient(f, x, g) -> np.ndarray:
    """Central differences of <g, f(x)> in each coordinate of the vector x."""
    grad = np.empty_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = EPS
        grad[i] = (_paired(g, f(x + step)) - _paired(g, f(x - step))) / (2 * EPS)
    return grad


def _paired(g, out) -> float:
    """<g, out>, for one output or a tuple of them."""
    if isinstance(out, (tuple, list)):
        return sum(_paired(gi, oi) for gi, oi in zip(g, out))
    return float(np.sum(np.asarray(g) * np.asarray(out, float)))


def checked_params(case) -> list[str]:
    """The parameters of `case` whose templates `check` compares (given, float)."""
    rule = case.rule
    values, given = bind(rule, case.args, case.kwargs)
    return [p.name for p in rule.params
            if p.name in rule.vjp and p.name in given and is_float_value(values[p.name])]


def check(case, rule=None, seed=0) -> list[str]:
    """Assert each float parameter's template matches finite differences.

    Also asserts the template is linear in g.  Returns the parameters checked.
    `rule` overrides the registered rule (to test this checker itself).
    """
    rule = rule or case.rule
    rng = np.random.default_rng(seed)
    values, _ = bind(rule, case.args, case.kwargs)
    ans = case.fn(*case.args, **case.kwargs)
    g, h = random_cotangent(ans, rng, case.outputs), random_cotangent(ans, rng, case.outputs)
    names = checked_params(case)
    assert names, f"{case!r} checks no parameter"
    for name in names:
        like = values[name]
        analytic = flatten(evaluate(rule, name, values, g, ans), like)
        numeric = numeric_gradient(
            lambda v: call_with(rule, case.args, case.kwargs, name, unflatten(v, like)),
            flatten(like, like), g)
        np.testing.assert_allclose(analytic, numeric, rtol=RTOL, atol=ATOL,
                                   err_msg=f"d{name} of {case!r}: {rule.vjp[name]}")
        combined = flatten(evaluate(rule, name, values, _mix(g, h), ans), like)
        other = flatten(evaluate(rule, name, values, h, ans), like)
        np.testing.assert_allclose(combined, 2 * analytic + 3 * other, rtol=1e-10, atol=1e-12,
                                   err_msg=f"d{name} of {case!r} is not linear in g")
    return names


def _mix(g, h):
    if isinstance(g, tuple):
        return tuple(_mix(a, b) for a, b in zip(g, h))
    return 2 * np.asarray(g) + 3 * np.asarray(h) if np.ndim(g) else 2 * g + 3 * h
