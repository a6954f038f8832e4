"""Hessian-vector products through the helpers a generated gradient calls (each has a
forward rule of its own): index-array reads, np.prod, norms, einsum, gammaln, sinc.
Each against central differences of the gradient; each Hessian symmetric."""
import numpy as np
import pytest
from scipy import special

import s2sad
from tests.test_forward import central_difference

RNG = np.random.default_rng(0)
X = RNG.uniform(0.5, 1.5, size=4)
V = RNG.normal(size=4)
A = RNG.normal(size=(3, 4))


def index_array_reads(x, idx):
    return np.sum(x[idx] ** 3)


def products(x):
    return np.prod(x) + np.sum(np.prod(x.reshape(2, 2), axis=0) ** 2)


def products_with_a_zero(x):
    return np.prod(x * np.array([1.0, 0.0, 1.0, 1.0]))


def norms(x):
    return (np.linalg.norm(x) ** 3 + np.linalg.norm(x, 3)
            + np.linalg.norm(x.reshape(2, 2), axis=1) @ x[:2])


def piecewise_linear_norms(x):
    return np.linalg.norm(x, 1) * np.linalg.norm(x, np.inf) + np.sum(x ** 3)


def einsums(x):
    return np.einsum("ij,j,j->", A, x, x) + np.sum(np.einsum("ij,j->i", A, x ** 2) ** 2)


def gammaln(x):
    return np.sum(special.gammaln(x) * x)


def sinc(x):
    return np.sum(np.sinc(x) * x)


CASES = [
    (index_array_reads, (X, np.array([0, 0, 3, 1]))),
    (products, (X,)), (products_with_a_zero, (X,)), (norms, (X,)),
    (piecewise_linear_norms, (X,)), (einsums, (X,)), (gammaln, (X,)), (sinc, (X,)),
]


@pytest.mark.parametrize("f, args", CASES, ids=lambda v: getattr(v, "__name__", None))
def test_hvp_through_each_helper_matches_finite_differences(f, args):
    tangents = (V,) + (None,) * (len(args) - 1)
    found = s2sad.hvp(f, args, tangents)[0]
    expected = central_difference(s2sad.grad(f), args, tangents)
    np.testing.assert_allclose(found, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("f, args", CASES, ids=lambda v: getattr(v, "__name__", None))
def test_hessian_through_each_helper_is_symmetric(f, args):
    h = s2sad.hessian(f)(*args)
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-10)


def test_sinc_derivatives_near_zero_keep_their_precision():
    from s2sad.runtime import sinc_derivative, sinc_second_derivative
    for x in (1e-8, 1e-5, 2e-3):
        assert sinc_second_derivative(x) == pytest.approx(
            -np.pi ** 2 / 3 + np.pi ** 4 * x ** 2 / 10 - np.pi ** 6 * x ** 4 / 168, rel=1e-9)
        assert sinc_derivative(x) == pytest.approx(
            -np.pi ** 2 * x / 3 + np.pi ** 4 * x ** 3 / 30, rel=1e-7)


def test_sinc_second_derivative_at_zero_is_its_limit():
    def sincs(x):
        return np.sum(np.sinc(x))
    h = s2sad.hessian(sincs)(np.array([0.0, 0.3]))
    assert h[0, 0] == pytest.approx(-np.pi ** 2 / 3, rel=1e-12)
    d = s2sad.grad(sincs)
    expected = central_difference(d, (np.array([0.0, 0.3]),), (np.array([0.0, 1.0]),))
    assert h[1, 1] == pytest.approx(expected[1], rel=1e-6)


def test_a_matrix_spectral_norm_has_no_second_derivative_yet():
    def spectral(x):
        return np.linalg.norm(x.reshape(2, 2), 2)
    with pytest.raises(NotImplementedError, match="ord=2 on matrices"):
        s2sad.hvp(spectral, (X,), (V,))
