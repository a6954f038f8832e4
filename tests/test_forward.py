"""Forward mode (`s2sad.jvp`) agrees with reverse mode: <grad f, u> = J u, on every
program the rule and construct tests differentiate; and against finite differences
where the output is an array."""
import copy
import math

import numpy as np
import pytest

import s2sad
from tests.test_constructs import CASES as CONSTRUCT_CASES
from tests.test_custom import log1pexp
from tests.test_rules_through_grad import CASES as RULE_CASES

rng = np.random.default_rng(5)


def random_like(value):
    """A random tangent shaped like `value` (the same structure for containers)."""
    if isinstance(value, dict):
        return {k: random_like(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(random_like(v) for v in value)
    if isinstance(value, np.ndarray):
        return rng.normal(size=value.shape)
    return float(rng.normal())


def zero_like(value):
    if isinstance(value, dict):
        return {k: zero_like(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(zero_like(v) for v in value)
    return np.zeros_like(value, dtype=float) if isinstance(value, np.ndarray) else 0.0


def pairing(a, b) -> float:
    if isinstance(a, dict):
        return sum(pairing(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return sum(pairing(x, y) for x, y in zip(a, b))
    return float(np.sum(np.asarray(a) * np.asarray(b)))


def agree(program, args, wrt):
    wrt = (wrt,) if isinstance(wrt, int) else tuple(wrt)
    tangents = tuple(random_like(a) if i in wrt else
                     None if isinstance(a, (int, np.integer)) or (
                         isinstance(a, np.ndarray) and a.dtype.kind in "iub")
                     else zero_like(a) for i, a in enumerate(args))
    value, tangent = s2sad.jvp(program, args, tangents)
    np.testing.assert_allclose(value, program(*copy.deepcopy(args)), rtol=1e-12)   # the
    gradients = s2sad.grad(program, wrt=wrt)(*args)    # function itself may change them
    expected = sum(pairing(g, tangents[i]) for g, i in zip(gradients, wrt))
    np.testing.assert_allclose(tangent, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("program, args, wrt", RULE_CASES)
def test_forward_agrees_with_reverse_on_every_rule_program(program, args, wrt):
    agree(program, args, wrt)


@pytest.mark.parametrize("program, args, wrt", CONSTRUCT_CASES,
                         ids=lambda v: getattr(v, "__name__", None))
def test_forward_agrees_with_reverse_on_every_construct(program, args, wrt):
    agree(program, args, wrt)


# --- vector outputs, against finite differences -----------------------------------------

def central_difference(f, primals, tangents, eps=1e-6):
    """(f(p + eps t) - f(p - eps t)) / 2 eps, for float arguments and containers."""
    def moved(sign):
        return [_add(p, t, sign * eps) for p, t in zip(primals, tangents)]
    return _scaled_difference(f(*moved(1)), f(*moved(-1)), 2 * eps)


def _add(p, t, scale):
    if t is None:
        return p
    if isinstance(p, dict):
        return {k: _add(p[k], t[k], scale) for k in p}
    if isinstance(p, (list, tuple)):
        return type(p)(_add(a, b, scale) for a, b in zip(p, t))
    return p + scale * t


def _scaled_difference(a, b, h):
    if isinstance(a, dict):
        return {k: _scaled_difference(a[k], b[k], h) for k in a}
    if isinstance(a, (list, tuple)):
        return type(a)(_scaled_difference(x, y, h) for x, y in zip(a, b))
    return (np.asarray(a) - np.asarray(b)) / h


def assert_close_nested(a, b):
    if isinstance(b, dict):
        assert isinstance(a, dict) and set(a) == set(b)
        for k in b:
            assert_close_nested(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert isinstance(a, type(b)) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_close_nested(x, y)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def rnn_states(W, xs, h):
    states = []
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        states.append(h)
    return np.stack(states)


def report(params, x):
    h = np.tanh(params["W"] @ x + params["b"])
    return {"h": h, "stats": (np.sum(h), [h * 2.0, x])}


def newton_sqrt(a):
    x = a
    while np.max(np.abs(x * x - a)) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def writes_and_views(x):
    y = np.zeros((3, x.shape[0]))
    for i in range(3):
        y[i] = np.sin(x * (i + 1))
    y[1:, 0] = y[1:, 0] * x[0]
    return y @ x


def power(x, n):
    return 1.0 if n == 0 else x * power(x, n - 1)


def powers(x):
    return power(x, 5) + x


def uses_softplus(x):
    return log1pexp(x * 2.0) * x   # a custom_jvp function


@pytest.mark.parametrize("f,primals", [
    (rnn_states, (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3)), rng.normal(size=3))),
    (report, ({"W": rng.normal(size=(2, 3)), "b": rng.normal(size=2)}, rng.normal(size=3))),
    (newton_sqrt, (np.array([2.0, 3.0, 0.5]),)),
    (writes_and_views, (rng.normal(size=4),)),
    (powers, (np.array([0.9, 1.1]),)),
    (uses_softplus, (rng.normal(size=3),)),
], ids=lambda v: getattr(v, "__name__", None))
def test_jvp_of_array_and_structured_outputs_matches_finite_differences(f, primals):
    tangents = tuple(random_like(p) for p in primals)
    value, tangent = s2sad.jvp(f, primals, tangents)
    assert_close_nested(value, f(*primals))
    assert_close_nested(tangent, central_difference(f, primals, tangents))


def test_the_forward_source_carries_a_tangent_beside_each_value():
    W, xs, h = rng.normal(size=(3, 3)), rng.normal(size=(4, 3)), rng.normal(size=3)
    s2sad.jvp(rnn_states, (W, xs, h), (np.ones((3, 3)), np.zeros((4, 3)), np.zeros(3)))
    source = s2sad.jvp_source(rnn_states)
    assert "def rnn_states_jvp(W, xs, h, tW, txs, th):" in source
    assert "states.append(h)" in source and "tstates.append(th)" in source
    assert "tape" not in source


def test_integer_arguments_take_no_tangent():
    value, tangent = s2sad.jvp(power, (1.5, 3), (1.0, None))
    assert value == pytest.approx(1.5 ** 3) and tangent == pytest.approx(3 * 1.5 ** 2)


@s2sad.custom_vjp
def reverse_only(x):
    return x * 2.0


reverse_only.defvjp(lambda x: (x * 2.0, None), lambda _, g: (g * 2.0,))


def uses_reverse_only(x):
    return reverse_only(x) + x


def test_a_custom_vjp_function_says_it_has_no_forward_rule():
    with pytest.raises(TypeError, match="custom_jvp instead"):
        s2sad.jvp(uses_reverse_only, (1.0,), (1.0,))


def cube_root(x):
    return np.cbrt(x) * 2.0


def test_a_users_forward_rule_is_used():
    # np.cbrt has reverse and (elementwise) forward rules built in; a user's jvp wins
    rule = s2sad.rules.lookup(np.cbrt)
    saved = dict(rule.jvp)
    try:
        s2sad.defjvp(np.cbrt, tx="t * 0.0")   # deliberately wrong, to see it used
        assert s2sad.jvp(cube_root, (8.0,), (1.0,))[1] == 0.0
    finally:
        rule.jvp.clear()
        rule.jvp.update(saved)


# --- built on the two modes: hvp, hessian, jacobian ------------------------------------

def logistic(x, A):
    return np.sum(np.log(1 + np.exp(A @ x))) + 0.5 * x @ x


def logistic_hessian(x, A):
    p = 1 / (1 + np.exp(-(A @ x)))
    return A.T @ (A * (p * (1 - p))[:, None]) + np.eye(x.size)


def looped_loss(W, X, y):
    h = X
    for _ in range(2):
        h = np.tanh(h @ W)
    return np.mean((h[:, 0] - y) ** 2) + 0.1 * np.sum(W ** 2)


def test_hvp_is_the_hessian_times_the_vector():
    A, x, v = rng.normal(size=(20, 5)), rng.normal(size=5), rng.normal(size=5)
    product, none = s2sad.hvp(logistic, (x, A), (v, None))
    assert none is None
    np.testing.assert_allclose(product, logistic_hessian(x, A) @ v, rtol=1e-10)


def test_hvp_through_loops_against_finite_differences_of_the_gradient():
    W, X, y = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(6, 3)), rng.normal(size=6)
    V = rng.normal(size=(3, 3))
    (product, _, _) = s2sad.hvp(looped_loss, (W, X, y), (V, None, None))
    gradient, eps = s2sad.grad(looped_loss), 1e-6
    expected = (gradient(W + eps * V, X, y) - gradient(W - eps * V, X, y)) / (2 * eps)
    np.testing.assert_allclose(product, expected, rtol=1e-5, atol=1e-8)


def test_hessian_is_symmetric_and_agrees_with_hvp():
    A, x = rng.normal(size=(20, 5)), rng.normal(size=5)
    H = s2sad.hessian(logistic)(x, A)
    np.testing.assert_allclose(H, logistic_hessian(x, A), rtol=1e-10)
    np.testing.assert_allclose(H, H.T, rtol=1e-12)
    v = rng.normal(size=5)
    np.testing.assert_allclose(H @ v, s2sad.hvp(logistic, (x, A), (v, None))[0], rtol=1e-10)


def wide(x):
    return np.tanh(np.outer(np.arange(1.0, 8.0), x)).ravel()


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_in_each_mode_against_finite_differences(mode):
    x = rng.normal(size=3)
    J = s2sad.jacobian(wide, mode=mode)(x)
    assert J.shape == (21, 3)
    for i in range(3):
        e = np.zeros(3)
        e[i] = 1e-6
        np.testing.assert_allclose(J[:, i], (wide(x + e) - wide(x - e)) / 2e-6, rtol=1e-5,
                                   atol=1e-8)


# --- found by a trial as a new user ----------------------------------------------------

def rebinds_a_constant(a, b):
    b = a * b
    return b


def rnn_loss(W, h):
    for _ in range(3):
        h = np.tanh(W @ h)
    return np.sum(h ** 2)


def with_a_default(x, scale=2.0):
    return np.sum(scale * x ** 2)


def scalar_loop_with_branch(a):
    for _ in range(3):
        if a > 2.0:
            a = a * math.sin(a)
        else:
            a = a * a
    return a


def mean_over_rows(X):
    return np.sum(np.mean(X, axis=1, keepdims=True) ** 2) + np.sum(X.sum(axis=0) ** 3)


def writes_into_its_argument(x):
    x[0] = 2.0 * x[1]
    return np.sum(x ** 2)


def hvp_by_differences(f, primals, tangents, eps=1e-6):
    gradient = s2sad.grad(f)
    return (gradient(*[p + eps * t if t is not None else p for p, t in zip(primals, tangents)])
            - gradient(*[p - eps * t if t is not None else p
                         for p, t in zip(primals, tangents)])) / (2 * eps)


def test_a_parameter_without_a_tangent_rebound_to_one_that_has_one():
    assert s2sad.jvp(rebinds_a_constant, (0.5, 0.3), (1.0, None)) == pytest.approx((0.15, 0.3))
    W, h = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)
    H = s2sad.hessian(rnn_loss, wrt=0)(W, h)
    np.testing.assert_allclose(H, H.transpose(2, 3, 0, 1), atol=1e-12)


@pytest.mark.parametrize("f,primals", [
    (with_a_default, (np.array([1.0, 2.0]),)),
    (scalar_loop_with_branch, (1.3,)), (scalar_loop_with_branch, (2.5,)),
    (mean_over_rows, (rng.normal(size=(2, 3)),)),
    (writes_into_its_argument, (np.array([1.0, 2.0, 3.0]),)),
], ids=lambda v: getattr(v, "__name__", None))
def test_hvp_on_defaults_scalar_loops_axis_reductions_and_writes(f, primals):
    tangents = tuple(random_like(p) for p in primals)
    product = s2sad.hvp(f, copy.deepcopy(primals), tangents)
    assert len(product) == len(primals)
    np.testing.assert_allclose(product[0], hvp_by_differences(f, primals, tangents),
                               rtol=1e-5, atol=1e-6)


def test_tangents_are_checked_against_their_primals():
    with pytest.raises(TypeError, match="tangent must be None"):
        s2sad.jvp(power, (1.5, 3), (1.0, 1))
    with pytest.raises(ValueError, match="a tangent has shape"):
        s2sad.jvp(with_a_default, (np.ones(3),), (np.ones((3, 1)),))


def scales_a_slice_in_place(x):
    y = x * 2.0
    y[1:3] *= x[:2]
    return y


def test_vjp_through_an_in_place_slice_update_called_twice():
    # the residual y[1:3] is a view of y, which the backward sweep restores in place
    x = np.array([0.3, -0.4, 0.9])
    out, pullback = s2sad.vjp(scales_a_slice_in_place, x)
    for _ in range(2):
        np.testing.assert_allclose(pullback(np.array([0.0, 1.0, 0.0]))[0],
                                   [2 * x[1], 2 * x[0], 0.0])
    np.testing.assert_allclose(out, scales_a_slice_in_place(x))
    np.testing.assert_allclose(s2sad.jacobian(scales_a_slice_in_place, mode="reverse")(x),
                               s2sad.jacobian(scales_a_slice_in_place, mode="forward")(x))


def softplus_loss(x):
    return np.sum(log1pexp(x) ** 2)


def test_hvp_names_the_construct_it_cannot_go_through_yet():
    with pytest.raises(s2sad.TransformError, match="custom_vjp/custom_jvp functions"):
        s2sad.hvp(softplus_loss, (np.array([1.0, 2.0]),), (np.ones(2),))


# --- grad of grad: the generated derivative's own code, transformed again --------------

def scalar_program(x, a):
    s = 0.0
    for k in range(1, 4):
        s = s + math.sin(k * x) * a ** k
    return s * x + np.exp(x) * a


def derivative_by_differences(g, x, a, eps=1e-5):
    return (g(x + eps, a) - g(x - eps, a)) / (2 * eps)


def test_second_and_third_derivatives_against_differences_of_lower_ones():
    x, a = 0.7, 1.3
    first = s2sad.grad(scalar_program)
    second = s2sad.grad(first)
    third = s2sad.grad(second)
    assert first(x, a) == pytest.approx(derivative_by_differences(scalar_program, x, a),
                                        rel=1e-7)
    assert second(x, a) == pytest.approx(derivative_by_differences(first, x, a), rel=1e-7)
    assert third(x, a) == pytest.approx(derivative_by_differences(second, x, a), rel=1e-7)
    mixed = s2sad.grad(s2sad.grad(scalar_program, wrt=1), wrt=0)
    assert mixed(x, a) == pytest.approx(
        derivative_by_differences(s2sad.grad(scalar_program, wrt=1), x, a), rel=1e-7)


def test_grad_of_grad_of_a_function_of_an_array_points_to_hessian():
    with pytest.raises(TypeError, match="hessian"):
        s2sad.grad(s2sad.grad(logistic))(np.ones(5), np.ones((4, 5)))
