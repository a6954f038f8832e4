"""Your own rules (custom_vjp, custom_jvp) and stop_gradient, through the one registry."""
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
    assert "split_backward(clipped_identity" in source


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
    with pytest.raises(s2sad.TransformError, match="no rule yet") as info:
        s2sad.grad(uses_no_rule)(1.0)
    assert "no_rule.defvjp(fwd, bwd)" in str(info.value)


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


# --- custom_jvp: the forward rule, transposed for reverse mode ------------------------

@s2sad.custom_jvp
def log1pexp(x):
    return np.log1p(np.exp(x))


@log1pexp.defjvp
def log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return log1pexp(x), t / (1.0 + np.exp(-x))


@s2sad.custom_jvp
def scaled_norm(x, s=2.0):
    return s * np.sqrt(np.sum(x * x))


@scaled_norm.defjvp
def scaled_norm_jvp(primals, tangents):
    x, s = primals
    tx, ts = tangents
    n = np.sqrt(np.sum(x * x))
    return s * n, s * np.sum(x * tx) / n + ts * n


def jvp_rules_in_a_loop(x, s):
    total = 0.0
    for i in range(3):
        total = total + np.sum(log1pexp(x * i)) + scaled_norm(x, s=s) + scaled_norm(x) * i
    return total


def test_custom_jvp_rules_in_a_loop_agree_with_finite_differences():
    x = np.array([0.3, -1.2, 2.0])
    s2sad.check_grads(jvp_rules_in_a_loop, (x, 1.5), wrt=0)
    s2sad.check_grads(jvp_rules_in_a_loop, (x, 1.5), wrt=1)
    out, pullback = s2sad.vjp(jvp_rules_in_a_loop, x, 1.5)
    assert out == pytest.approx(jvp_rules_in_a_loop(x, 1.5))
    assert pullback(1.0)[1] == pytest.approx(s2sad.grad(jvp_rules_in_a_loop, wrt=1)(x, 1.5))


def summed_log1pexp(x):
    return np.sum(log1pexp(x))


def test_the_custom_jvp_rule_is_the_one_used():
    # np.log1p(np.exp(x)) differentiated directly gives inf / inf = nan at 1000
    with np.errstate(over="ignore"):
        gradient = s2sad.grad(summed_log1pexp)(np.array([1000.0, -1000.0, 0.0]))
    np.testing.assert_allclose(gradient, [1.0, 0.0, 0.5])


@s2sad.custom_jvp
def jvp_without_rule(x):
    return x * 2.0


def uses_jvp_without_rule(x):
    return jvp_without_rule(x) * x


def test_a_custom_jvp_without_a_rule_says_so():
    with pytest.raises(s2sad.TransformError, match="no rule yet") as info:
        s2sad.grad(uses_jvp_without_rule)(1.5)
    assert "jvp_without_rule.defjvp(rule)" in str(info.value)


# --- residuals made once, kept on the tape ------------------------------------------

calls = {"fwd": 0}


@s2sad.custom_vjp
def dropout(x):
    return x * (np.random.default_rng().random(np.shape(x)) < 0.5)


def dropout_fwd(x):
    calls["fwd"] += 1
    mask = np.random.default_rng().random(np.shape(x)) < 0.5
    return x * mask, mask


dropout.defvjp(dropout_fwd, lambda mask, g: (g * mask,))


def dropped_in_a_loop(x):
    total = 0.0
    for _ in range(4):
        total = total + np.sum(dropout(x) * x)
    return total


def test_fwd_runs_once_per_call_and_its_residuals_are_the_ones_used():
    x = np.linspace(0.5, 2.0, 50)
    calls["fwd"] = 0
    value, gradient = s2sad.value_and_grad(dropped_in_a_loop)(x)
    assert calls["fwd"] == 4
    # each term is sum(mask * x * x): its gradient 2 * mask * x, so <gradient, x> / 2
    # is the value exactly when the backward sweep used the forward sweep's masks
    assert value == pytest.approx(np.sum(gradient * x) / 2)


def scale_by(a, scale=2.0):
    return scale * a


s2sad.defvjp(scale_by, "a, scale", da="g * scale")


def leaves_out_a_default_the_rule_reads(x):
    return np.sum(scale_by(x)) + np.sum(scale_by(x, 3.0))


def test_a_default_the_rule_signature_leaves_out_comes_from_the_function():
    s2sad.check_grads(leaves_out_a_default_the_rule_reads, (rng.normal(size=3),))


@s2sad.custom_jvp
def pair_product(xs):
    return xs[0] * xs[1]


@pair_product.defjvp
def pair_product_jvp(primals, tangents):
    (xs,), (ts,) = primals, tangents
    return xs[0] * xs[1], ts[0] * xs[1] + xs[0] * ts[1]


def uses_pair_product(x):
    return np.sum(pair_product((x, x * 2.0)))


def test_a_custom_jvp_function_taking_a_tuple():
    s2sad.check_grads(uses_pair_product, (rng.normal(size=3),))


@s2sad.custom_jvp
def sine_with_untransformable_rule(x):
    return np.sin(x)


@sine_with_untransformable_rule.defjvp
def sine_rule(primals, tangents):
    (x,), (t,) = primals, tangents
    return np.sin(x), np.fft.fft(t).real * 0.0 + np.cos(x) * t


def uses_untransformable_rule(x):
    return np.sum(sine_with_untransformable_rule(x))


def test_a_custom_jvp_rule_s2sad_cannot_transpose_fails_when_the_caller_is_transformed():
    with pytest.raises(s2sad.TransformError, match="numpy.fft.fft") as info:
        s2sad.grad(uses_untransformable_rule).source   # no call: at transform time
    assert "sine_rule" in str(info.value)
