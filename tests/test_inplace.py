"""np.add.at(a, idx, v), written `a[...] = scattered_add(a, idx, v)`: repeated
indices add up, the caller's array is left alone, and a view of `a` read after the
call is refused as it is for any write into `a`."""
import numpy as np
import pytest

import s2sad
from tests.test_forward import central_difference

IDX = np.array([0, 2, 2, 3, 0])
X = np.array([0.3, -0.5, 1.2, 0.7, 0.1])
W = np.array([1.0, 2.0, 0.5, 1.5, 1.0])


def histogram(x, idx, w):
    counts = np.zeros(4)
    np.add.at(counts, idx, w * x)
    return np.sum(np.sin(counts) * np.arange(1.0, 5.0))


def into_the_argument(a, x):
    np.add.at(a, [0, 0, 2], x ** 2)
    return np.sum(a ** 2)


def rows_of_a_matrix(m, x):
    np.add.at(m, (np.array([0, 1, 0]), np.array([2, 2, 2])), x)
    return np.sum(np.tanh(m) * m)


def test_scatter_adds_match_finite_differences_in_both_modes():
    s2sad.check_grads(histogram, (X, IDX, W), wrt=(0, 2))
    s2sad.check_grads(rows_of_a_matrix, (np.arange(6.0).reshape(2, 3) / 5, X[:3]), wrt=(0, 1))
    _, tangent = s2sad.jvp(histogram, (X, IDX, W), (W, None, X))
    assert tangent == pytest.approx(central_difference(histogram, (X, IDX, W), (W, None, X)),
                                    rel=1e-6)
    hessian = s2sad.hessian(histogram)(X, IDX, W)
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-12)
    np.testing.assert_allclose(hessian @ W, s2sad.hvp(histogram, (X, IDX, W), (W, None, None))[0])


def test_the_callers_array_is_left_alone():
    a = np.array([1.0, 2.0, 3.0])
    s2sad.check_grads(into_the_argument, (a, np.array([0.5, 1.5, -1.0])), wrt=(0, 1))
    s2sad.grad(into_the_argument)(a, np.array([0.5, 1.5, -1.0]))
    np.testing.assert_array_equal(a, [1.0, 2.0, 3.0])


def view_read_after(a, x):
    tail = a[1:]
    np.add.at(a, [1, 2], x)
    return np.sum(tail * x)


def test_a_view_read_after_the_call_is_refused():
    with pytest.raises(s2sad.TransformError, match="also changes"):
        s2sad.grad(view_read_after)(np.ones(3), np.ones(2))


def put_values_in(a, v):
    b = a * 1.0
    np.put(b, [0, 3, 3, 5], v)   # index 3 twice: the last write counts
    return np.sum(np.sin(b) * np.arange(1.0, 7.0).reshape(2, 3))


def put_one_value(a, c):
    b = a * 2.0
    np.put(b, [1, 4], c)
    return np.sum(b ** 2)


def test_np_put_in_both_modes_and_second_order():
    a = np.random.default_rng(0).normal(size=(2, 3))
    v = np.array([0.3, -0.5, 0.8, 1.1])
    s2sad.check_grads(put_values_in, (a, v))
    s2sad.check_grads(put_one_value, (a, 0.7))
    gradient = s2sad.grad(put_values_in, wrt=1)(a, v)
    assert gradient[1] == 0.0   # overwritten by the next write to index 3
    tangents = (np.ones((2, 3)), np.ones(4))
    assert s2sad.jvp(put_values_in, (a, v), tangents)[1] == pytest.approx(
        central_difference(put_values_in, (a, v), tangents), rel=1e-6)
    hessian = s2sad.hessian(put_values_in)(a, v).reshape(6, 6)
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-12)
