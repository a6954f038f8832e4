"""Your own reverse rules (custom_vjp) and stop_gradient, through the one registry."""
import numpy as np
import pytest

import s2sad

rng = np.random.default_rng(3)


@s2sad.custom_vjp
def softplus(x):
    return np.log1p(np.exp(x))


softplus.defvjp(lambda x: (np.log1p(np.exp(x)), x), lambda x, g: (g / (1.0 + np.exp(-x)),))


@s2sad.custom_vjp
def product(a, b):
    return a * b


product.defvjp(lambda a, b: (a * b, (a, b)), lambda res, g: (g * res[1], g * res[0]))


@s2sad.custom_vjp
def clipped_identity(x):
    return x


clipped_identity.defvjp(lambda x: (x, None), lambda res, g: (np.clip(g, -1.0, 1.0),))


def in_a_loop(x, y):
    s = 0.0
    for i in range(3):
        s = s + np.sum(softplus(x * i)) + np.sum(product(x, y) ** 2)
    return s


def test_custom_rules_inside_a_loop_agree_with_finite_differences():
    s2sad.check_grads(in_a_loop, (rng.normal(size=2), rng.normal(size=2)), wrt=(0, 1))


def clipped_loss(x):
    return np.sum(clipped_identity(x) * 5.0)


def test_the_custom_rule_is_the_one_used():
    # the true derivative is 5 everywhere; the rule clips the cotangent to 1
    np.testing.assert_array_equal(s2sad.grad(clipped_loss)(np.ones(3)), np.ones(3))
    source = s2sad.grad(clipped_loss).source
    assert "custom_cotangents(clipped_identity" in source


@s2sad.custom_vjp
def wrong_arity(a, b):
    return a * b


wrong_arity.defvjp(lambda a, b: (a * b, None), lambda res, g: (g,))


def uses_wrong_arity(a, b):
    return wrong_arity(a, b)


@s2sad.custom_vjp
def no_rule(x):
    return x


def uses_no_rule(x):
    return no_rule(x) * 2.0


def test_a_rule_returning_the_wrong_number_of_cotangents_says_so():
    with pytest.raises(TypeError, match="2 cotangents"):
        s2sad.grad(uses_wrong_arity)(1.0, 2.0)


def test_a_custom_vjp_without_a_rule_says_so():
    assert no_rule(2.0) == 2.0   # callable as before
    with pytest.raises(s2sad.TransformError, match="no derivative rule"):
        s2sad.grad(uses_no_rule)(1.0)


def stopped(x):
    return np.sum(x ** 2) + s2sad.stop_gradient(np.sum(x ** 3)) * np.sum(x)


def test_stop_gradient_is_identity_with_no_derivative():
    x = rng.normal(size=3)
    assert stopped(x) == pytest.approx(np.sum(x ** 2) + np.sum(x ** 3) * np.sum(x))
    np.testing.assert_allclose(s2sad.grad(stopped)(x), 2 * x + np.sum(x ** 3))


@s2sad.custom_vjp
def scaled(x, s=2.0):
    return x * s


scaled.defvjp(lambda x, s=2.0: (x * s, s), lambda s, g: (g * s, 0.0))


def uses_the_default(x):
    return scaled(x)


def broadcasts_a_scalar(x, y):
    return np.sum(product(x, y))


def test_a_left_out_default_and_a_broadcast_argument():
    assert s2sad.grad(uses_the_default)(1.5) == pytest.approx(2.0)
    # bwd gives y's cotangent the shape of x * y; the gradient has y's own shape
    assert s2sad.grad(broadcasts_a_scalar, wrt=1)(np.ones(3), 0.7) == pytest.approx(3.0)


@s2sad.custom_vjp
def shifted(x, s=2.0, t=1.0):
    return x * s + t


shifted.defvjp(lambda x, s=2.0, t=1.0: (x * s + t, (x, s)), lambda r, g: (g * r[1], g * r[0], g))


def keyword_arguments(x, y):
    return shifted(x, s=5.0) + shifted(x, t=y)


def test_keyword_arguments_of_a_custom_vjp_function():
    dx, dy = s2sad.grad(keyword_arguments, wrt=(0, 1))(1.5, 3.0)
    assert (dx, dy) == pytest.approx((7.0, 1.0))
