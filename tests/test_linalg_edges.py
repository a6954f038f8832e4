"""Edge cases of the linear-algebra and array rules, found by a review: each once gave
a wrong derivative, NaN, or an unclear crash."""
import numpy as np
import pytest

import s2sad
from tests.test_forward import central_difference

rng = np.random.default_rng(11)
W = np.array([1.0, 2.0])


def with_an_array_default(x, w=W):
    return np.sum(x * w)


def test_an_array_default_argument():
    np.testing.assert_allclose(s2sad.grad(with_an_array_default)(np.ones(2)), W)
    assert s2sad.jvp(with_an_array_default, (np.ones(2),), (np.ones(2),))[1] == 3.0


def take_on_the_last_axis(x):
    return np.sum(np.take(x, [[0, 2], [1, 1]], axis=-1) * np.arange(8.0).reshape(2, 2, 2))


def eigenvalues_only(a):
    w, _ = np.linalg.eigh(a)
    return np.sum(w ** 2)


def singular_values_only(a):
    _, s, _ = np.linalg.svd(a)
    return np.sum(s ** 2)


def test_take_with_a_negative_axis_and_functions_of_repeated_eigenvalues():
    s2sad.check_grads(take_on_the_last_axis, (rng.normal(size=(2, 3)),))
    a = np.diag([1.0, 1.0, 2.0])
    np.testing.assert_allclose(s2sad.grad(eigenvalues_only)(a), np.diag([2.0, 2.0, 4.0]))
    np.testing.assert_allclose(s2sad.grad(singular_values_only)(a), 2 * a)


def solved_stacks(a, b):
    return np.sum(np.sin(np.linalg.solve(a, b)))


def test_solve_with_stacks_of_one_matrix():
    a = rng.normal(size=(1, 3, 3)) + 3 * np.eye(3)
    s2sad.check_grads(solved_stacks, (a, rng.normal(size=(2, 3, 2))))
    s2sad.check_grads(solved_stacks, (np.stack([a[0], a[0] + 0.1]), rng.normal(size=(1, 3, 2))))


def least_squares_residual(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=None)
    return np.sum(residuals) + np.sum(s) * np.sum(x)


def test_lstsq_residuals_and_singular_values_in_forward_mode():
    a, b = rng.normal(size=(5, 3)), rng.normal(size=5)
    tangents = (rng.normal(size=(5, 3)), rng.normal(size=5))
    _, found = s2sad.jvp(least_squares_residual, (a, b), tangents)
    assert found == pytest.approx(central_difference(least_squares_residual, (a, b), tangents),
                                  rel=1e-6)
    with pytest.raises(NotImplementedError, match="residuals"):
        s2sad.grad(least_squares_residual)(a, b)


def truncated_pinv(a):
    return np.sum(np.linalg.pinv(a, rcond=0.3) ** 2)


def upper_cholesky(a):
    return np.sum(np.linalg.cholesky(a @ a.T + 3 * np.eye(3), upper=True))


def hermitian_svd(a):
    return np.sum(np.linalg.svd(a + a.T, compute_uv=False, hermitian=True))


def cholesky_of_either_triangle(a, upper):
    return np.sum(np.linalg.cholesky(a @ a.T + 3 * np.eye(3), upper=upper))


def conditioned():
    u, v = np.linalg.qr(rng.normal(size=(3, 3)))[0], np.linalg.qr(rng.normal(size=(3, 3)))[0]
    return u @ np.diag([3.0, 1.0, 0.5]) @ v.T


@pytest.mark.parametrize("f, message", [
    (upper_cholesky, "upper=True"), (hermitian_svd, "hermitian=True")],
    ids=lambda v: getattr(v, "__name__", ""))
def test_options_written_as_literals_are_refused_at_the_users_line(f, message):
    a = conditioned()
    for derivative in (lambda: s2sad.grad(f)(a), lambda: s2sad.jvp(f, (a,), (np.ones((3, 3)),))):
        with pytest.raises(s2sad.TransformError, match=message) as refused:
            derivative()
        assert refused.value.lineno == f.__code__.co_firstlineno + 1


@pytest.mark.parametrize("f, args, message", [
    (truncated_pinv, (), "drops no nonzero singular value"),
    (cholesky_of_either_triangle, (True,), "upper=True")],
    ids=lambda v: getattr(v, "__name__", ""))
def test_options_known_at_run_time_are_refused_in_both_modes(f, args, message):
    a = conditioned()
    with pytest.raises(NotImplementedError, match=message):
        s2sad.grad(f)(a, *args)
    with pytest.raises(NotImplementedError, match=message):
        s2sad.jvp(f, (a, *args), (np.ones((3, 3)),) + (None,) * len(args))


def test_an_option_known_at_run_time_is_differentiated_where_it_has_a_rule():
    a, f = conditioned(), cholesky_of_either_triangle
    found = s2sad.grad(f)(a, False)
    eps = 1e-6
    expected = [(f(a + eps * e.reshape(3, 3), False) - f(a - eps * e.reshape(3, 3), False))
                / (2 * eps) for e in np.eye(9)]
    np.testing.assert_allclose(found.ravel(), expected, rtol=1e-6)


class Scaled:
    def power(self, x, y):
        return np.sum(x * y ** 2)


def test_a_bound_method_and_its_function_keep_their_own_signatures():
    obj, x, y = Scaled(), np.array([1.0, 2.0]), np.array([0.5, -1.5])
    np.testing.assert_allclose(s2sad.jacobian(obj.power)(x, y), y ** 2)
    np.testing.assert_allclose(s2sad.jacobian(Scaled.power, wrt=2)(obj, x, y), 2 * x * y)
    np.testing.assert_allclose(s2sad.jacobian(obj.power, wrt=1)(x, y), 2 * x * y)
    np.testing.assert_allclose(s2sad.jacobian(Scaled.power, wrt=1)(obj, x, x), [1.0, 4.0])


def solve_loss(a, b, y):
    x = np.linalg.solve(a, b)
    return 0.5 * np.sum((x - y) ** 2)


def test_reverse_mode_reuses_the_factorisation_of_the_forward_solve(monkeypatch):
    import scipy.linalg
    factorised = []
    real = scipy.linalg.lu_factor
    monkeypatch.setattr(scipy.linalg, "lu_factor", lambda *a, **k: factorised.append(1) or
                        real(*a, **k))
    monkeypatch.setattr(np.linalg, "inv", None)   # no inverse is formed either
    a, b, y = rng.normal(size=(4, 4)) + 4 * np.eye(4), rng.normal(size=4), rng.normal(size=4)
    da, db = s2sad.grad(solve_loss, wrt=(0, 1))(a, b, y)
    assert len(factorised) == 1
    x = np.linalg.solve(a, b)
    expected_db = np.linalg.solve(a.T, x - y)
    np.testing.assert_allclose(db, expected_db, rtol=1e-12)
    np.testing.assert_allclose(da, -np.outer(expected_db, x), rtol=1e-12)
    assert "split_forward(np.linalg.solve" in s2sad.grad(solve_loss, wrt=(0, 1)).source
