"""Lambdas are differentiated like the functions they stand for: `s2sad.grad(lambda
x: ...)`, a lambda held in a name, a lambda over a closure, a lambda written across
lines, and lambdas called by the function."""
import sys

import numpy as np
import pytest

import s2sad

A = np.array([[2.0, 1.0], [0.5, 3.0]])
X = np.array([0.3, -0.7])


def central_difference(f, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    return np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps)
                     for e in np.eye(x.size)]).reshape(x.shape)


loss = lambda w: np.sum(np.tanh(A @ w) ** 2)   # noqa: E731  (the case under test)


def scaled(scale):
    return lambda w: scale * loss(w) + np.sum(w ** 3)


def test_a_lambda_held_in_a_name():
    np.testing.assert_allclose(s2sad.grad(loss)(X), central_difference(loss, X), rtol=1e-7)


def test_a_lambda_written_in_the_call():
    found = s2sad.grad(lambda w: np.sum(np.sin(w) * w))(X)
    np.testing.assert_allclose(found, np.sin(X) + X * np.cos(X), rtol=1e-12)


def test_a_lambda_over_a_closure_calling_a_lambda():
    f = scaled(2.5)
    np.testing.assert_allclose(s2sad.grad(f)(X), central_difference(f, X), rtol=1e-7)
    source = s2sad.grad(f).source
    assert "def d_lambda_(w):" in source and "dw" in source


def test_a_lambda_written_across_lines():
    f = (lambda w,
         c=0.5:
         c * np.sum(
             np.exp(w)))
    np.testing.assert_allclose(s2sad.grad(f)(X), 0.5 * np.exp(X), rtol=1e-12)


def test_every_mode_takes_a_lambda():
    out, tangent = s2sad.jvp(lambda w: np.sin(w) * w, (X,), (np.ones(2),))
    np.testing.assert_allclose(tangent, np.sin(X) + X * np.cos(X), rtol=1e-12)
    np.testing.assert_allclose(s2sad.hessian(lambda w: np.sum(w ** 3))(X), np.diag(6 * X))
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(s2sad.jacobian(lambda w: np.tanh(A @ w), mode=mode)(X),
                                   (1 - np.tanh(A @ X) ** 2)[:, None] * A, rtol=1e-12)
    hessian_times_x = s2sad.grad(lambda w: s2sad.grad(loss)(w) @ X)(X)
    np.testing.assert_allclose(hessian_times_x, s2sad.hvp(loss, (X,), (X,))[0], rtol=1e-10)


def test_two_lambdas_on_one_line():
    square, cube = lambda x: x ** 2, lambda x: x ** 3   # noqa: E731
    if sys.version_info >= (3, 11):   # told apart by the columns of their code
        assert s2sad.grad(square)(2.0) == 4.0
        assert s2sad.grad(cube)(2.0) == 12.0
    else:
        with pytest.raises(s2sad.TransformError, match="which lambda on line"):
            s2sad.grad(cube)(2.0)
