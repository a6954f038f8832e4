"""A derivative s2sad made, called inside a function it differentiates: gradient
penalties, `grad(lambda x: grad(f)(x) @ v)`, `jvp(grad(f))`, `jacobian(grad(f))`.
Every derivative is checked against central differences of the lower one."""
import numpy as np
import pytest

import s2sad
from tests.test_forward import central_difference


def f(x, c):
    return np.sum(np.sin(x) * x ** 2) * c + c ** 3


df = s2sad.grad(f)
X = np.array([0.3, 0.7, 1.1])
V = np.array([1.0, -2.0, 0.5])
C = 1.3


def numeric_gradient(fun, args, i, eps=1e-6):
    """Central differences of the scalar fun with respect to argument i."""
    base = np.asarray(args[i], float)
    out = np.zeros(base.shape)
    for j in np.ndindex(base.shape):
        step = np.zeros(base.shape)
        step[j] = eps
        moved = [list(args), list(args)]
        moved[0][i] = base + step if base.shape else float(base + step)
        moved[1][i] = base - step if base.shape else float(base - step)
        out[j] = (fun(*moved[0]) - fun(*moved[1])) / (2 * eps)
    return out


def directional(x, v, c):
    return df(x, c) @ v


def directional_made_inside(x, v, c):
    return s2sad.grad(f)(x, c) @ v


def gradient_penalty(x, c):
    return f(x, c) + np.sum(df(x, c) ** 2)


def value_and_gradient_inside(x, c):
    value, g = s2sad.value_and_grad(f)(x, c)
    return value * np.sum(g)


def both_gradients_inside(x, c):
    gx, gc = s2sad.grad(f, wrt=(0, 1))(x, c)
    return np.sum(gx * gx) + gc ** 2


def called_in_a_loop(x, c):
    total = 0.0
    for k in range(3):
        total = total + np.sum(df(x * (k + 1), c) * x)
    return total


def with_keyword(x, c):
    return np.sum(df(x, c=c) ** 2)


@pytest.mark.parametrize("g, args", [
    (directional, (X, V, C)),
    (directional_made_inside, (X, V, C)),
    (gradient_penalty, (X, C)),
    (value_and_gradient_inside, (X, C)),
    (both_gradients_inside, (X, C)),
    (called_in_a_loop, (X, C)),
    (with_keyword, (X, C)),
], ids=lambda v: getattr(v, "__name__", None))
def test_grad_through_a_call_of_grad_matches_finite_differences(g, args):
    floats = tuple(i for i, a in enumerate(args) if a is not V)
    found = s2sad.grad(g, wrt=floats)(*args)
    for i, gradient in zip(floats, found):
        expected = numeric_gradient(g, args, i)
        assert np.shape(gradient) == expected.shape
        np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-7)


def scalar_value_and_gradient_inside(c):
    value, g = s2sad.value_and_grad(f, wrt=1)(X, c)
    return value * g


def force(x, c):   # a helper calling grad
    return -s2sad.grad(f)(x, c)


def through_a_helper(x, c):
    return np.sum(force(x, c) ** 2)


@pytest.mark.parametrize("g, args", [(scalar_value_and_gradient_inside, (C,)),
                                     (through_a_helper, (X, C))],
                         ids=lambda v: getattr(v, "__name__", None))
def test_more_places_a_gradient_is_called_from(g, args):
    found = s2sad.grad(g, wrt=tuple(range(len(args))))(*args)
    for i, gradient in enumerate(found):
        expected = numeric_gradient(g, args, i)
        assert np.shape(gradient) == expected.shape
        np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-7)
    tangents = tuple(V if np.ndim(a) else 0.3 for a in args)
    assert s2sad.jvp(g, args, tangents)[1] == pytest.approx(
        central_difference(g, args, tangents), rel=1e-6)


def test_the_call_is_split_and_its_derivative_is_the_hessian():
    dg = s2sad.grad(directional_made_inside)
    dg(X, V, C)
    assert "split_backward(_grad_f" in dg.source
    hessian = s2sad.hessian(f)(X, C)
    np.testing.assert_allclose(dg(X, V, C), hessian @ V, rtol=1e-12)


def loop_n_times(x, n):
    s = x
    for _ in range(n):
        s = np.sin(s) * x
    return np.sum(s)


def test_an_integer_argument_of_the_gradient_takes_no_cotangent():
    def g(x, n):
        return np.sum(s2sad.grad(loop_n_times)(x, n) ** 2)
    found = s2sad.grad(g)(X, 3)
    np.testing.assert_allclose(found, numeric_gradient(g, (X, 3), 0), rtol=1e-6)


def test_jvp_of_a_gradient_is_the_hvp():
    out, tangent = s2sad.jvp(df, (X, C), (V, 0.5))
    np.testing.assert_allclose(out, df(X, C))
    np.testing.assert_allclose(tangent, central_difference(df, (X, C), (V, 0.5)),
                               rtol=1e-6, atol=1e-8)
    hvp, = s2sad.hvp(f, (X, C), (V, None))[:1]
    np.testing.assert_allclose(s2sad.jvp(df, (X, C), (V, None))[1], hvp, rtol=1e-12)


def test_jvp_through_a_function_calling_a_gradient():
    out, tangent = s2sad.jvp(gradient_penalty, (X, C), (V, -0.3))
    assert out == pytest.approx(gradient_penalty(X, C))
    assert tangent == pytest.approx(central_difference(gradient_penalty, (X, C), (V, -0.3)),
                                    rel=1e-6)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_a_gradient_is_the_hessian(mode):
    found = s2sad.jacobian(df, mode=mode)(X, C)
    expected = np.stack([central_difference(df, (X, C), (e, None)) for e in np.eye(3)], -1)
    np.testing.assert_allclose(found, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(found, found.T, rtol=1e-12)


def test_vjp_of_a_gradient():
    out, pullback = s2sad.vjp(df, X, C)
    cx, cc = pullback(V)
    np.testing.assert_allclose(cx, numeric_gradient(directional, (X, V, C), 0), rtol=1e-6)
    assert cc == pytest.approx(numeric_gradient(directional, (X, V, C), 2), rel=1e-6)


def test_a_has_aux_gradient_inside_is_refused_with_the_line():
    def with_aux(x):
        return np.sum(x ** 2), x

    def g(x):
        gradient, _ = s2sad.grad(with_aux, has_aux=True)(x)
        return np.sum(gradient)
    with pytest.raises(s2sad.TransformError, match="with has_aux") as caught:
        s2sad.grad(g)(X)
    assert "s2sad.grad(with_aux, has_aux=True)(x)" in str(caught.value)


@pytest.mark.parametrize("g, args, tangents", [
    (gradient_penalty, (X, C), (V, 0.4)),
    (directional, (X, V, C), (V, None, 0.4)),
    (value_and_gradient_inside, (X, C), (V, 0.4)),
    (both_gradients_inside, (X, C), (V, 0.4)),
], ids=lambda v: getattr(v, "__name__", None))
def test_third_derivatives_through_hvp_of_a_function_calling_grad(g, args, tangents):
    wrt = tuple(i for i, t in enumerate(tangents) if t is not None)
    dg = s2sad.grad(g, wrt=wrt)
    expected = central_difference(dg, args, tangents)
    found = [h for h in s2sad.hvp(g, args, tangents) if h is not None]
    for h, e in zip(found, expected, strict=True):
        np.testing.assert_allclose(h, e, rtol=1e-6, atol=1e-7)


def test_third_derivative_of_a_quartic_is_analytic():
    def quartic(x):
        return np.sum(x ** 4)

    def directional_second(x, v):   # v' H(x) v = 12 sum(x^2 v^2)
        return s2sad.grad(quartic)(x) @ v

    def curvature(x, v):
        return s2sad.grad(directional_second)(x, v) @ v
    # d/dx of 12 sum(x^2 v^2) is 24 x v^2
    found = s2sad.grad(curvature)(X, V)
    np.testing.assert_allclose(found, 24 * X * V ** 2, rtol=1e-12)


def test_hessian_of_a_gradient_penalty_is_symmetric():
    h = s2sad.hessian(gradient_penalty)(X, C)
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-12)
    dg = s2sad.grad(gradient_penalty)
    expected = np.stack([central_difference(dg, (X, C), (e, None)) for e in np.eye(3)], -1)
    np.testing.assert_allclose(h, expected, rtol=1e-6, atol=1e-7)


def both_with_value_inside(x, c):
    value, (gx, gc) = s2sad.value_and_grad(f, wrt=(0, 1))(x, c)
    return value * gc + np.sum(gx)


def with_modes(x, mode="sin", c=2.0):
    return np.sum(np.sin(x) * x ** 2) * c


def keyword_past_a_string_default(x, c):
    return np.sum(s2sad.grad(with_modes)(x, c=c) ** 2)


@pytest.mark.parametrize("g", [both_with_value_inside, keyword_past_a_string_default])
def test_review_cases_match_finite_differences(g):
    found = s2sad.grad(g, wrt=(0, 1))(X, C)
    for i, gradient in enumerate(found):
        expected = numeric_gradient(g, (X, C), i)
        assert np.shape(gradient) == expected.shape
        np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-7)


def dict_loss(p, x):
    return np.sum(np.tanh(p["w"] * x) ** 2) + p["b"] ** 2


PARAMS = {"w": 0.7, "b": 0.3}


def reads_a_returned_dict(x):
    g = s2sad.grad(dict_loss)(PARAMS, x)
    return g["w"] ** 2 + g["b"]


def test_a_dict_returned_by_a_gradient_inside_is_refused_with_the_line():
    with pytest.raises(s2sad.TransformError, match="a dict") as caught:
        s2sad.grad(reads_a_returned_dict)(X)
    assert 'g["w"]' in str(caught.value)


def test_derivative_objects_called_inside_are_not_kept_alive():
    import gc
    import weakref

    def make():
        d = s2sad.grad(f)

        def uses(x):
            return np.sum(d(x, C))
        s2sad.grad(uses)(X)
        return weakref.ref(d)
    found = make()
    gc.collect()
    assert found() is None
