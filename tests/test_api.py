"""The public API: decorator forms, wrt, value_and_grad, vjp, source, check_grads."""
import inspect
import threading

import numpy as np
import pytest

import s2sad
from tests import programs as P

rng = np.random.default_rng(2)

def test_decorator_forms_agree():
    @s2sad.grad
    def bare(a, b):
        return a * a * b + 3.0 * b

    @s2sad.grad(wrt=("a", "b"))
    def with_options(a, b):
        return a * a * b + 3.0 * b

    plain = s2sad.grad(P.two_args, wrt=1)
    assert bare(2.0, 5.0) == pytest.approx(20.0)
    assert with_options(2.0, 5.0) == pytest.approx((20.0, 7.0))
    assert plain(2.0, 5.0) == pytest.approx(7.0)


def test_wrt_by_name_position_tuple_and_negative():
    assert s2sad.grad(P.two_args, wrt="b")(2.0, 5.0) == pytest.approx(7.0)
    assert s2sad.grad(P.two_args, wrt=-1)(2.0, 5.0) == pytest.approx(7.0)
    single = s2sad.grad(P.two_args, wrt=("b",))(2.0, 5.0)
    assert isinstance(single, tuple) and single[0] == pytest.approx(7.0)


def test_signature_defaults_and_keywords_are_kept():
    d = s2sad.grad(P.keyword_defaults)
    assert inspect.signature(d) == inspect.signature(P.keyword_defaults)
    assert d.__name__ == "keyword_defaults"
    assert d(2.0) == pytest.approx(2.0 * 3 * 4.0)
    assert d(2.0, power=2) == pytest.approx(2.0 * 2 * 2.0)
    assert d(x=2.0, scale=1.0) == pytest.approx(12.0)


def test_value_and_grad():
    value, gradient = s2sad.value_and_grad(P.geometric)(0.5, 3)
    assert value == pytest.approx(1.875)
    assert gradient == pytest.approx(1 + 2 * 0.5 + 3 * 0.25)


def test_vjp_of_vector_output_and_repeated_pullbacks():
    x = np.array([1.0, -2.0, 0.5])
    out, pullback = s2sad.vjp(P.shifted, x)
    np.testing.assert_allclose(out, (x - 1) * (x + 2))
    for cotangent in (np.ones(3), np.array([0.0, 2.0, -1.0])):
        (dx,) = pullback(cotangent)
        np.testing.assert_allclose(dx, cotangent * (2 * x + 1))
    with pytest.raises(ValueError, match="shape"):
        pullback(np.ones(2))


def test_vjp_uses_defaults_for_parameters_left_out():
    out, pullback = s2sad.vjp(P.keyword_defaults, np.array([1.0, 2.0]))
    np.testing.assert_allclose(out, 2.0 * np.array([1.0, 8.0]))
    (dx,) = pullback(np.ones(2))
    np.testing.assert_allclose(dx, 2.0 * 3 * np.array([1.0, 4.0]))


def smoothed(x, k, mode, scale=None):
    y = np.convolve(x, k, mode)
    return y if scale is None else scale * y


def test_strings_and_none_carry_no_derivative():
    x, k = np.array([1.0, 2.0, 4.0, 3.0]), np.array([1.0, 2.0, 0.5])
    out, pullback = s2sad.vjp(smoothed, x, k, "same")
    g = np.array([1.0, -2.0, 0.5, 3.0])
    dx, dk, dmode = pullback(g)   # one per primal given: `scale` takes its default
    assert dmode is None
    eps = 1e-6
    for arg, found in ((0, dx), (1, dk)):
        for i in range(len(found)):
            up, down = [x.copy(), k.copy()], [x.copy(), k.copy()]
            up[arg][i] += eps
            down[arg][i] -= eps
            expected = g @ (smoothed(*up, "same") - smoothed(*down, "same")) / (2 * eps)
            assert found[i] == pytest.approx(expected, rel=1e-6)
    for mode in ("forward", "reverse"):
        jacobian = s2sad.jacobian(smoothed, wrt=1, mode=mode)(x, k, "same")
        np.testing.assert_allclose(jacobian.T @ g, dk, rtol=1e-12)
    with pytest.raises(s2sad.TransformError, match="'mode': it is not a number"):
        s2sad.grad(lambda x, mode: np.sum(np.convolve(x, x, mode)), wrt=1)(x, "same")


def test_vjp_with_tape_can_be_pulled_twice():
    out, pullback = s2sad.vjp(P.geometric, 0.5, 4)
    first = pullback(1.0)
    second = pullback(2.0)
    assert first[1] is None                      # integer argument
    assert second[0] == pytest.approx(2 * first[0])
    assert out == pytest.approx(1 + 0.5 + 0.25 + 0.125 + 0.0625)


def test_vjp_of_in_place_writes_can_be_pulled_twice():
    x = np.array([1.0, 2.0, 3.0])
    out, pullback = s2sad.vjp(P.overwrite_argument, x, 0.5)
    first, second = pullback(1.0), pullback(1.0)
    np.testing.assert_allclose(first[0], second[0])
    assert first[1] == pytest.approx(second[1])
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_source_is_inspectable_and_runnable_python():
    d = s2sad.grad(P.geometric)
    d(0.5, 3)
    text = s2sad.source(d)
    assert text == d.source
    assert "def d_geometric(q, n):" in text and "tape.append(s)" in text
    compile(text, "<generated>", "exec")
    with pytest.raises(TypeError):
        s2sad.source(P.geometric)


def test_source_before_the_first_call_is_the_generic_version():
    assert "def d_power_sum(x):" in s2sad.grad(P.power_sum).source


def test_check_grads_passes_and_fails_with_details():
    s2sad.check_grads(P.two_args, (2.0, 5.0), wrt=(0, 1))
    s2sad.defvjp(P.cube_with_wrong_rule, "x", dx="g * 2.0 * x")   # the truth is 3 x**2
    with pytest.raises(AssertionError, match=r"'x'.*largest error"):
        s2sad.check_grads(P.calls_cube, (np.array([0.5, 1.5]),))


def test_callers_arrays_are_not_modified():
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    gradient = s2sad.grad(P.overwrite_argument, wrt=(0, 1))(x, 0.5)
    np.testing.assert_array_equal(x, before)
    s2sad.check_grads(P.overwrite_argument, (x, 0.5), wrt=(0, 1))
    assert gradient[0].shape == x.shape


def test_callers_arrays_are_not_modified_through_views():
    w, x, X = np.ones(3), np.array([1.0, 2.0, 3.0]), np.arange(6.0).reshape(2, 3)
    before = x.copy(), X.copy()
    gradient = s2sad.grad(P.write_through_alias)(w, x, X)
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(X, before[1])
    np.testing.assert_array_equal(gradient, [0.0, 2.0 * 4.0, 3.0 * 5.0])


def test_writes_into_views_of_values_that_need_derivatives_are_refused():
    with pytest.raises(s2sad.TransformError, match="view"):
        s2sad.grad(P.write_into_view)(np.ones(4))


def test_threads_get_the_same_results():
    rng = np.random.default_rng(1)
    d = s2sad.grad(P.rnn, wrt=(0, 2))
    inputs = [(rng.normal(size=(3, 3)), rng.normal(size=(6, 3)), rng.normal(size=3))
              for _ in range(8)]
    expected = [d(*args) for args in inputs]
    results = [None] * 8

    def work(i):
        for _ in range(20):
            results[i] = d(*inputs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def test_float32_arguments_get_float32_gradients():
    rng = np.random.default_rng(5)
    args = [a.astype(np.float32) for a in (rng.normal(size=(3, 5)), rng.normal(size=5),
                                           rng.normal(size=(5, 2)), rng.normal(size=2),
                                           rng.normal(size=(6, 3)))]
    gradients = s2sad.grad(P.mlp_loss, wrt=(0, 1, 2, 3))(*args, np.array([0, 1, 1, 0, 1, 0]))
    assert all(g.dtype == np.float32 for g in gradients)
    reference = s2sad.grad(P.mlp_loss, wrt=(0, 1, 2, 3))(
        *[a.astype(float) for a in args], np.array([0, 1, 1, 0, 1, 0]))
    for got, want in zip(gradients, reference):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def float32_layer(W, b, X):
    return np.sum(np.tanh(X @ W + b))


def test_a_python_float_gets_a_float_even_beside_float32_arrays():
    W, X = np.ones((2, 2), np.float32) * 0.1, np.ones((3, 2), np.float32)
    dW, db = s2sad.grad(float32_layer, wrt=(0, 1))(W, 0.5, X)
    assert dW.dtype == np.float32 and isinstance(db, float)
    assert db == pytest.approx(float(np.sum(1 - np.tanh(X @ W + 0.5) ** 2)), rel=1e-6)


def loss_with_aux(w, X, y):
    pred = X @ w
    err = pred - y
    if np.sum(err) > 100.0:
        return 0.0 * np.sum(w), {"big": True}
    return np.mean(err ** 2), {"pred": pred, "worst": np.max(np.abs(err))}


def not_a_pair(w):
    return np.sum(w)


def test_has_aux_passes_the_aux_through_undifferentiated():
    w, X, y = rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5)
    (value, aux), gradient = s2sad.value_and_grad(loss_with_aux, has_aux=True)(w, X, y)
    expected_value, expected_aux = loss_with_aux(w, X, y)
    assert value == pytest.approx(expected_value)
    np.testing.assert_allclose(aux["pred"], expected_aux["pred"])
    assert aux["worst"] == pytest.approx(expected_aux["worst"])
    alone, aux_again = s2sad.grad(loss_with_aux, has_aux=True)(w, X, y)
    np.testing.assert_allclose(alone, gradient)
    np.testing.assert_allclose(gradient, 2 * X.T @ (X @ w - y) / 5)
    grads, _ = s2sad.grad(loss_with_aux, wrt=(0,), has_aux=True)(w, X, y)
    assert isinstance(grads, tuple) and len(grads) == 1
    np.testing.assert_allclose(grads[0], gradient)


def test_has_aux_needs_a_pair():
    with pytest.raises(s2sad.TransformError, match="return a pair"):
        s2sad.grad(not_a_pair, has_aux=True)(np.ones(2))


def two_outputs(x, y):
    if np.sum(x) > 0:
        return np.sin(x) * y, np.sum(x ** 2)
    return x * y, 0.0 * np.sum(x)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_vjp_of_a_function_returning_several_values(sign):
    x, y = sign * np.abs(rng.normal(size=3)), rng.normal(size=3)
    out, pullback = s2sad.vjp(two_outputs, x, y)
    expected = two_outputs(x, y)
    np.testing.assert_allclose(out[0], expected[0])
    assert out[1] == pytest.approx(expected[1])
    ca, cb = rng.normal(size=3), 0.7
    dx, dy = pullback((ca, cb))
    if sign > 0:
        np.testing.assert_allclose(dx, ca * np.cos(x) * y + cb * 2 * x)
        np.testing.assert_allclose(dy, ca * np.sin(x))
    else:
        np.testing.assert_allclose(dx, ca * y)
        np.testing.assert_allclose(dy, ca * x)
    with pytest.raises(ValueError, match="tuple of 2"):
        pullback(ca)
