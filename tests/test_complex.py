"""Complex inputs to holomorphic functions, JAX's convention: the pullback is linear
in the cotangent, `vjp(g) = g J`, and the tangent `jvp(t) = J t`, with J the complex
derivative.  Both checked against central differences along complex directions."""
import numpy as np
import pytest

import s2sad

rng = np.random.default_rng(3)


def complex_normal(*shape):
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


def elementwise(z):
    return np.sin(z) * z + np.exp(z) / (1 + z ** 2) + np.sqrt(z + 3) * np.tanh(z) - np.log(z + 4)


def polynomial_loop(z, c):
    s = 0.0 * z
    for k in range(4):
        s = s * z + c[k]
    return s


def matrices(a, b):
    return np.linalg.solve(a, b) + np.linalg.inv(a) @ b * np.linalg.det(a) + a.T @ (a @ b)


def shapes_and_sums(z):
    y = np.reshape(z, (2, 3))
    return np.sum(np.cumsum(y ** 2, axis=1), axis=0) + np.einsum("ij,ij->j", y, y)


CASES = [
    (elementwise, (complex_normal(4) * 0.5,)),
    (polynomial_loop, (complex_normal(3), complex_normal(4))),
    (matrices, (complex_normal(3, 3) + 3 * np.eye(3), complex_normal(3))),
    (shapes_and_sums, (complex_normal(6),)),
]


def directional(f, args, directions, eps=1e-6):
    moved = [a + eps * d for a, d in zip(args, directions)]
    back = [a - eps * d for a, d in zip(args, directions)]
    return (f(*moved) - f(*back)) / (2 * eps)


@pytest.mark.parametrize("f, args", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_holomorphic_functions_of_complex_inputs(f, args):
    directions = tuple(complex_normal(*np.shape(a)) for a in args)
    expected = directional(f, args, directions)
    _, tangent = s2sad.jvp(f, args, directions)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6, atol=1e-8)
    out, pullback = s2sad.vjp(f, *args)
    g = complex_normal(*np.shape(out))
    cotangents = pullback(g)
    paired = sum(np.sum(c * d) for c, d in zip(cotangents, directions))
    np.testing.assert_allclose(paired, np.sum(g * expected), rtol=1e-6)
    assert all(c.dtype.kind == "c" for c in cotangents)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_the_jacobian_of_a_holomorphic_function_is_its_complex_derivative(mode):
    z = complex_normal(3) * 0.5
    found = s2sad.jacobian(elementwise, mode=mode)(z)
    expected = np.stack([directional(elementwise, (z,), (e,)) for e in np.eye(3)], -1)
    np.testing.assert_allclose(found, expected, rtol=1e-6, atol=1e-8)
