"""Second derivatives through np.linalg: `hvp` and `hessian` are forward mode over the
generated gradient, so each helper a linear-algebra reverse rule calls (inv_adjoint,
solve's split call, det_adjoint, cholesky_adjoint, eigh_adjoint, ...) needs a forward
rule of its own, and a batch form for `hessian` to push every basis vector at once.

Each user-style function below is checked against central differences of s2sad.grad;
its Hessian is symmetric, agrees with one hvp per basis vector, and is batched; a few
are checked against Hessians known in closed form."""
import numpy as np
import pytest

import s2sad
from s2sad import runtime
from s2sad.api import forward_function
from tests.test_forward import central_difference

RNG = np.random.default_rng(20240607)


def well_conditioned(n, *stack):
    return RNG.normal(size=stack + (n, n)) + 2 * n * np.eye(n)


def positive_definite(n, *stack):
    b = RNG.normal(size=stack + (n, n))
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


A = well_conditioned(3)
STACK = well_conditioned(3, 2)              # two 3 x 3 matrices
P = positive_definite(3)
P_STACK = positive_definite(3, 2)
TALL = RNG.normal(size=(5, 3))
WIDE = RNG.normal(size=(3, 5))
M = RNG.normal(size=(3, 3))
C = RNG.normal(size=3)
C2 = RNG.normal(size=(3, 2))
C5 = RNG.normal(size=5)
C52 = RNG.normal(size=(5, 2))
L = np.linalg


# --- solve: vector and matrix right-hand sides, stacks, the matrix as the argument ------

def solve_vector_rhs(x):
    return np.sum(L.solve(A + 0.5 * np.outer(x, x), x) ** 2) + C @ L.solve(A, x ** 3)


def solve_matrix_rhs(x):
    return np.sum(L.solve(A + np.diag(x), np.outer(x, x[:2])) ** 2)


def solve_constant_rhs(x):
    return np.sum(L.solve(A + np.diag(x ** 2), C2) ** 3)


def solve_stacked(x):
    return np.sum(L.solve(STACK + np.diag(x), x) ** 2)


def solve_stacked_matrix_rhs(x):
    return np.sum(L.solve(STACK + np.diag(x), C2 * x[:, None]) ** 3)


def solve_of_a_matrix(X):
    return C @ L.solve(X, C2 @ np.ones(2)) + np.sum(L.solve(X, X) ** 2)


# --- inv, det, slogdet ------------------------------------------------------------------

def inv_of_a_vector(x):
    return np.sum(L.inv(A + np.diag(x)) ** 2)


def inv_stacked(x):
    return np.sum(L.inv(STACK * (1 + 0.1 * x[0]) + np.diag(x)) ** 3)


def inv_of_a_matrix(X):
    return np.trace(L.inv(X) @ M) + np.sum(L.inv(X) ** 2)


def det_of_a_vector(x):
    return L.det(A + np.diag(x)) ** 2 + L.det(A + np.outer(x, x))


def det_stacked(x):
    return np.sum(L.det(STACK + np.diag(x)) ** 2)


def det_of_a_matrix(X):
    return L.det(X)


def slogdet_of_a_vector(x):
    sign, logdet = L.slogdet(A + np.outer(x, x))
    return logdet * sign + np.linalg.slogdet(P + np.diag(x))[1] ** 2


def slogdet_stacked(x):
    return np.sum(L.slogdet(STACK + np.diag(x))[1] ** 2)


def slogdet_of_a_matrix(X):
    return L.slogdet(X)[1]


# --- factorisations of symmetric matrices ------------------------------------------------

def cholesky_of_a_vector(x):
    return np.sum(L.cholesky(P + np.outer(x, x)) ** 3)


def cholesky_stacked(x):
    return np.sum(L.cholesky(P_STACK + np.diag(x ** 2)) ** 3)


def cholesky_of_a_matrix(X):   # reads X's lower triangle only
    return np.sum(np.log(np.diagonal(L.cholesky(X)))) + np.sum(L.cholesky(X) ** 3)


def eigvalsh_of_a_vector(x):
    return np.sum(L.eigvalsh(P + np.outer(x, x)) ** 3)


def eigvalsh_stacked(x):
    return np.sum(np.exp(L.eigvalsh(P_STACK + np.diag(x))))


def eigvalsh_of_a_matrix(X):   # reads X's lower triangle only
    return np.sum(L.eigvalsh(X) ** 3)


def eigh_of_a_vector(x):   # V ** 2: the eigenvectors' signs do not matter
    w, v = L.eigh(P + np.diag(x))
    return np.sum(w ** 3) + np.sum(v ** 2 * M) + np.sum(v[:, 0] ** 4 * x)


def eigh_eigenvalues_only(x):
    w, _ = L.eigh(P + np.outer(x, x))
    return np.sum(w ** 3)


def eigh_stacked(x):
    w, v = L.eigh(P_STACK + np.diag(x))
    return np.sum(w ** 2) + np.sum(v ** 2 * M)


# --- svd, qr, pinv, lstsq -----------------------------------------------------------------

def singular_values_square(x):
    return np.sum(L.svd(A + np.diag(x), compute_uv=False) ** 3)


def singular_values_tall(x):
    return np.sum(L.svd(TALL + np.outer(C5, x), compute_uv=False) ** 3)


def svd_square(x):   # U ** 2 and Vh ** 2: the singular vectors' signs do not matter
    u, s, vh = L.svd(A + np.diag(x))
    return np.sum(s ** 3) + np.sum(u ** 2 * M) + np.sum(vh ** 2 * M.T)


def svd_singular_values_only(x):   # U and Vh unused: their cotangents are zero
    _, s, _ = L.svd(TALL + np.outer(C5, x), full_matrices=False)
    return np.sum(s ** 3)


def svd_tall(x):
    u, s, vh = L.svd(TALL + np.outer(C5, x), full_matrices=False)
    return np.sum(s ** 2) + np.sum(u[:, :2] ** 2 * C52) + np.sum(vh ** 2 * M)


def svd_wide(x):
    u, s, vh = L.svd(WIDE + np.outer(x, C5), full_matrices=False)
    return np.sum(u ** 2 * M) + np.sum(vh[:2] ** 2 * C52.T) + np.sum(s ** 3)


def qr_square(x):
    q, r = L.qr(A + np.diag(x))
    return np.sum(q ** 3) + np.sum(r ** 3)


def qr_tall(x):
    q, r = L.qr(TALL + np.outer(C5, x))
    return np.sum(q ** 3 * C52[:, :1]) + np.sum(r ** 2 * M)


def pinv_tall(x):
    return np.sum(L.pinv(TALL + np.outer(C5, x)) ** 2)


def pinv_wide(x):
    return np.sum(L.pinv(WIDE + np.outer(x, C5)) ** 3)


def lstsq_vector_rhs(x):
    return np.sum(L.lstsq(TALL + np.outer(C5, x), C5 + TALL @ x ** 2)[0] ** 2)


def lstsq_matrix_rhs(x):
    return np.sum(L.lstsq(TALL + np.outer(C5, x), C52)[0] ** 3)


# --- matrix_power, multi_dot, kron, diag --------------------------------------------------

def matrix_powers(x):
    a = A / 6 + np.diag(x)
    return np.sum(L.matrix_power(a, 3)) + np.sum(L.matrix_power(a, 1) ** 2)


def matrix_power_negative(x):
    return np.sum(L.matrix_power(A + np.diag(x), -2))


def multi_dot_matrices(x):
    return np.sum(L.multi_dot([A + np.diag(x), P, np.diag(x)]) ** 2)


def multi_dot_vector_ends(x):
    return L.multi_dot([x, A, P + np.diag(x), x ** 2])


def kron_vectors(x):
    return np.sum(np.kron(x, x ** 2) ** 2)


def kron_matrices(x):
    return np.sum(np.kron(np.outer(x, x[:2]), A + np.diag(x)) ** 2)


def diag_both_ways(x):
    return np.sum(np.diag(np.outer(x, x ** 2), k=1) ** 2) + np.sum(np.diag(x * x, k=-1) * 2.0)


X0 = np.array([0.3, -0.2, 0.5])
MATRIX0 = A + 0.1 * M
SYMMETRIC0 = P + 0.1 * (M + M.T)

CASES = [
    (solve_vector_rhs, X0), (solve_matrix_rhs, X0), (solve_constant_rhs, X0),
    (solve_stacked, X0), (solve_stacked_matrix_rhs, X0), (solve_of_a_matrix, MATRIX0),
    (inv_of_a_vector, X0), (inv_stacked, X0), (inv_of_a_matrix, MATRIX0),
    (det_of_a_vector, X0), (det_stacked, X0), (det_of_a_matrix, MATRIX0),
    (slogdet_of_a_vector, X0), (slogdet_stacked, X0), (slogdet_of_a_matrix, MATRIX0),
    (cholesky_of_a_vector, X0), (cholesky_stacked, X0), (cholesky_of_a_matrix, SYMMETRIC0),
    (eigvalsh_of_a_vector, X0), (eigvalsh_stacked, X0), (eigvalsh_of_a_matrix, SYMMETRIC0),
    (eigh_of_a_vector, X0), (eigh_eigenvalues_only, X0), (eigh_stacked, X0),
    (singular_values_square, X0), (singular_values_tall, X0), (svd_square, X0),
    (svd_singular_values_only, X0), (svd_tall, X0), (svd_wide, X0),
    (qr_square, X0), (qr_tall, X0), (pinv_tall, X0), (pinv_wide, X0),
    (lstsq_vector_rhs, X0), (lstsq_matrix_rhs, X0),
    (matrix_powers, X0), (matrix_power_negative, X0),
    (multi_dot_matrices, X0), (multi_dot_vector_ends, X0),
    (kron_vectors, X0), (kron_matrices, X0), (diag_both_ways, X0),
]
IDS = [f.__name__ for f, _ in CASES]


def direction(x):
    return np.random.default_rng(7).normal(size=np.shape(x))


def hvp_by_differences(f, x, v):
    return central_difference(s2sad.grad(f), (x,), (v,), eps=1e-6)


def one_hvp_per_basis_vector(f, x):
    columns = [s2sad.hvp(f, (x,), (e.reshape(np.shape(x)),))[0].ravel()
               for e in np.eye(np.size(x))]
    return np.stack(columns, axis=-1)


def hessian_at_once(f, x):
    """The Hessian by one call of batched forward mode over the generated gradient
    (what `hessian` tries first); NotBatchable where a rule has no batch form."""
    gradient = s2sad.grad(f, wrt=(0,)).generated_function((x,))
    basis = np.eye(np.size(x)).reshape((np.size(x),) + np.shape(x))
    function, values = forward_function(gradient, (x,), (basis,), with_value=False,
                                        batched=True)
    return np.asarray(function(*values, basis)).reshape(np.size(x), np.size(x))


@pytest.mark.parametrize("f, x", CASES, ids=IDS)
def test_hvp_matches_central_differences_of_the_gradient(f, x):
    v = direction(x)
    found = s2sad.hvp(f, (x,), (v,))[0]
    expected = hvp_by_differences(f, x, v)
    assert np.shape(found) == np.shape(x)
    np.testing.assert_allclose(found, expected, rtol=1e-5,
                               atol=1e-7 * (1 + np.max(np.abs(expected))))


@pytest.mark.parametrize("f, x", CASES, ids=IDS)
def test_hessian_is_symmetric_and_is_the_hvp_of_each_basis_vector(f, x):
    h = s2sad.hessian(f)(x)
    assert h.shape == np.shape(x) * 2
    h = h.reshape(np.size(x), np.size(x))
    scale = 1 + np.max(np.abs(h))
    np.testing.assert_allclose(h, h.T, rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(h, one_hvp_per_basis_vector(f, x), rtol=1e-9,
                               atol=1e-9 * scale)


@pytest.mark.parametrize("f, x", CASES, ids=IDS)
def test_hessian_pushes_every_basis_vector_in_one_call(f, x):
    np.testing.assert_allclose(hessian_at_once(f, x), one_hvp_per_basis_vector(f, x),
                               rtol=1e-10, atol=1e-10)


# --- against Hessians known in closed form -------------------------------------------------

def test_the_hessian_of_log_det_is_minus_tr_of_inverse_products():
    # d^2 log det X [V, W] = -tr(X^-1 V X^-1 W); as a matrix: -(X^-1 V X^-1)^T
    X, V, W = MATRIX0, direction(MATRIX0), M
    inverse = np.linalg.inv(X)
    found = s2sad.hvp(slogdet_of_a_matrix, (X,), (V,))[0]
    np.testing.assert_allclose(found, -(inverse @ V @ inverse).T, rtol=1e-10, atol=1e-12)
    assert np.sum(found * W) == pytest.approx(-np.trace(inverse @ V @ inverse @ W), rel=1e-10)
    h = s2sad.hessian(slogdet_of_a_matrix)(X)
    np.testing.assert_allclose(np.einsum("ijkl,kl->ij", h, V), found, rtol=1e-10, atol=1e-12)


def test_the_hessian_of_b_dot_solve_of_an_affine_matrix():
    # f(x) = b . A(x)^-1 c, A(x) = A + x0 E0 + x1 E1 + x2 E2:
    # d^2 f / dx_i dx_j = b . A^-1 (E_i A^-1 E_j + E_j A^-1 E_i) A^-1 c
    def solved(x):
        return C @ np.linalg.solve(A + x[0] * M + x[1] * P + x[2] * TALL[:3], C2[:, 0])
    x = X0
    inverse = np.linalg.inv(A + x[0] * M + x[1] * P + x[2] * TALL[:3])
    e = [M, P, TALL[:3]]
    expected = np.array([[C @ inverse @ (e[i] @ inverse @ e[j] + e[j] @ inverse @ e[i])
                          @ inverse @ C2[:, 0] for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(s2sad.hessian(solved)(x), expected, rtol=1e-10, atol=1e-12)
    v = direction(x)
    np.testing.assert_allclose(s2sad.hvp(solved, (x,), (v,))[0], expected @ v, rtol=1e-10,
                               atol=1e-12)


def test_the_hessian_of_the_inverse_against_its_closed_form():
    # f(X) = tr(X^-1 B): d^2 f [V, W] = tr(X^-1 V X^-1 W X^-1 B) + tr(X^-1 W X^-1 V X^-1 B)
    def trace_of_inverse(X):
        return np.trace(np.linalg.inv(X) @ M)
    X, V, W = MATRIX0, direction(MATRIX0), P
    i = np.linalg.inv(X)
    found = s2sad.hvp(trace_of_inverse, (X,), (V,))[0]
    expected = np.trace(i @ V @ i @ W @ i @ M) + np.trace(i @ W @ i @ V @ i @ M)
    assert np.sum(found * W) == pytest.approx(expected, rel=1e-10)


def test_sums_of_squared_eigenvalues_and_singular_values_have_hessian_two():
    # sum(eigvalsh(S)^2) = ||S||_F^2 for symmetric S, sum(svd(B)^2) = ||B||_F^2:
    # with S = P + diag(x) or B = A + diag(x), the Hessian in x is 2 I
    def eigenvalue_squares(x):
        return np.sum(np.linalg.eigvalsh(P + np.diag(x)) ** 2)

    def singular_value_squares(x):
        return np.sum(np.linalg.svd(A + np.diag(x), compute_uv=False) ** 2)

    for f in (eigenvalue_squares, singular_value_squares):
        np.testing.assert_allclose(s2sad.hessian(f)(X0), 2 * np.eye(3), atol=1e-10)


def test_the_hessian_of_det_of_a_two_by_two_matrix():
    # det [[a, b], [c, d]] = ad - bc: its Hessian pairs a with d and b with c
    found = s2sad.hessian(det_of_a_matrix)(np.array([[1.5, 0.3], [-0.2, 2.0]]))
    expected = np.zeros((2, 2, 2, 2))
    expected[0, 0, 1, 1] = expected[1, 1, 0, 0] = 1.0
    expected[0, 1, 1, 0] = expected[1, 0, 0, 1] = -1.0
    np.testing.assert_allclose(found, expected, atol=1e-12)


# --- the tangents of helpers no user function above reaches ---------------------------------

def test_solve_db_tangent_against_differences():
    # solve_db(g, a, b) serves where a needs no cotangent, so forward mode over a
    # gradient seldom moves a: checked on its own, along a's tangent
    from s2sad.runtime.linalg import solve_db, solve_db_tangent
    cases = [(C, A, C), (C2, A, C2), (np.ones((2, 3)), STACK, C)]   # g, a, b
    for g, a, b in cases:
        ta = direction(a)
        expected = (solve_db(g, a + 1e-6 * ta, b) - solve_db(g, a - 1e-6 * ta, b)) / 2e-6
        found = solve_db_tangent(g, a, b, ta)
        assert found.shape == np.shape(b)
        np.testing.assert_allclose(found, expected, rtol=1e-6, atol=1e-9)


# --- solve without SciPy's factorisation: the rule's own helpers ---------------------------

def unsplit_vector_rhs(x):
    return np.sum(L.solve(A + np.outer(x, x), x) ** 2)


def unsplit_matrix_rhs(x):
    return np.sum(L.solve(A + np.diag(x), np.outer(x, x)) ** 2)


def unsplit_matrix_only(x):
    return np.sum(L.solve(A + np.diag(x), C) ** 3)


def unsplit_rhs_only(x):
    return np.sum(L.solve(A, x * x) ** 3)


def unsplit_stacked(x):
    return np.sum(L.solve(STACK + np.diag(x), x) ** 2)


@pytest.mark.parametrize("f", [unsplit_vector_rhs, unsplit_matrix_rhs, unsplit_matrix_only,
                               unsplit_rhs_only, unsplit_stacked],
                         ids=lambda f: f.__name__)
def test_solve_without_its_split_call_has_second_derivatives(f, monkeypatch):
    # without SciPy, reverse mode calls solve_adjoints / solve_da / solve_db
    monkeypatch.delitem(runtime.LIBRARY_SPLITS, np.linalg.solve)
    source = s2sad.grad(f).source
    assert "split_backward" not in source and "solve_" in source, source
    v = direction(X0)
    expected = hvp_by_differences(f, X0, v)
    np.testing.assert_allclose(s2sad.hvp(f, (X0,), (v,))[0], expected, rtol=1e-5,
                               atol=1e-7 * (1 + np.max(np.abs(expected))))
    np.testing.assert_allclose(hessian_at_once(f, X0), one_hvp_per_basis_vector(f, X0),
                               rtol=1e-10, atol=1e-10)


def test_the_split_solve_reuses_its_factors_for_the_second_derivative():
    # the split call's backward part has a tangent of its own (no refusal)
    source = s2sad.grad(solve_vector_rhs).source
    assert "split_backward(" in source
    assert hasattr(runtime.split_rule(np.linalg.solve), "backward_tangent")


def cumulative_products(x):
    return np.sum(np.cumprod(x) ** 2) + np.sum(np.cumprod(x.reshape(-1, 1) * x, axis=1))


def test_second_derivatives_through_cumprod():
    x = np.array([0.9, -1.1, 1.2, 0.7, 1.3, -0.8])
    v = np.array([0.3, -0.2, 0.5, 1.0, 0.1, -0.4])
    gradient, eps = s2sad.grad(cumulative_products), 1e-6
    expected = (gradient(x + eps * v) - gradient(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(s2sad.hvp(cumulative_products, (x,), (v,))[0], expected,
                               rtol=1e-6)
    hessian = s2sad.hessian(cumulative_products)(x)
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-10)
    np.testing.assert_allclose(hessian @ v, expected, rtol=1e-6)


def issue_example(x):
    a = np.eye(3) * 3 + 0.1 * np.arange(9.0).reshape(3, 3)
    return np.linalg.slogdet(a + np.diag(x))[1] + np.sum(np.linalg.solve(a + np.outer(x, x), x))


def test_the_example_that_was_refused():
    x, v = np.ones(3), np.ones(3)
    expected = hvp_by_differences(issue_example, x, v)
    np.testing.assert_allclose(s2sad.hvp(issue_example, (x,), (v,))[0], expected, rtol=1e-6)
    np.testing.assert_allclose(s2sad.hessian(issue_example)(x) @ v, expected, rtol=1e-6)


def implicit_euler(k, x0):
    """Solves in a loop: the split call's residuals go on the tape (found by a trial)."""
    a = np.array([[-2.0, 1.0], [1.0, -3.0]]) * k[0] + np.array([[0.0, k[1]], [-k[1], 0.0]])
    x = x0
    for _ in range(4):
        x = np.linalg.solve(np.eye(2) - 0.1 * a, x)
    return np.sum(x ** 2) + x[0] * x[1]


@pytest.mark.parametrize("wrt", [0, 1])
def test_second_derivatives_through_solves_in_a_loop(wrt):
    args = [np.array([0.7, 0.4]), np.array([1.0, -0.5])]
    v = np.array([0.3, -1.1])
    gradient, eps = s2sad.grad(implicit_euler, wrt=wrt), 1e-6
    up, down = list(args), list(args)
    up[wrt], down[wrt] = args[wrt] + eps * v, args[wrt] - eps * v
    expected = (gradient(*up) - gradient(*down)) / (2 * eps)
    tangents = [None, None]
    tangents[wrt] = v
    np.testing.assert_allclose(s2sad.hvp(implicit_euler, tuple(args), tuple(tangents))[wrt],
                               expected, rtol=1e-6, atol=1e-9)
    hessian = s2sad.hessian(implicit_euler, wrt=wrt)(*args)
    np.testing.assert_allclose(hessian @ v, expected, rtol=1e-6, atol=1e-9)
