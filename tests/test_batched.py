"""`jacobian` pushes every basis vector in one call of batched forward mode (a
tangent shaped `(k,) + x.shape`).  On every program the rule and construct tests
differentiate, it agrees with one `jvp` per basis vector; where a rule has no batch
form it falls back to those calls."""
import copy
import inspect

import numpy as np
import pytest

import s2sad
from s2sad.api import forward_function
from s2sad.forward_batched import NotBatchable
from tests.test_constructs import CASES as CONSTRUCT_CASES
from tests.test_rules_through_grad import CASES as RULE_CASES


def float_positions(program, args, wrt) -> list:
    names = list(inspect.signature(program).parameters)
    wrt = (wrt,) if isinstance(wrt, (int, str)) else tuple(wrt)
    positions = [names.index(w) if isinstance(w, str) else w for w in wrt]
    return [i for i in positions if i < len(args)
            and not isinstance(args[i], (dict, list, tuple, int, np.integer))]


def basis_tangents(args, i):
    """The tangents pushing each basis vector of argument i (None for the others)."""
    x = np.asarray(args[i])
    for e in np.eye(x.size):
        tangents = [None] * len(args)
        tangents[i] = e.reshape(x.shape) if x.ndim else float(e[0])
        yield tuple(tangents)


def one_call_per_basis_vector(program, args, i):
    columns = [np.asarray(s2sad.jvp(program, copy.deepcopy(args), tangents)[1])
               for tangents in basis_tangents(args, i)]
    out = program(*copy.deepcopy(args))
    return np.stack(columns, -1).reshape(np.shape(out) + np.shape(args[i]))


def pushed_at_once(program, args, i):
    """The batched Jacobian, or None where the transform refuses it."""
    x = np.asarray(args[i])
    tangents = [None] * len(args)
    tangents[i] = np.eye(x.size).reshape((x.size,) + x.shape)
    try:
        function, values = forward_function(program, args, tuple(tangents),
                                            with_value=False, batched=True)
    except NotBatchable:
        return None
    found = function(*copy.deepcopy(values), *tangents, *(None,) * (len(values) - len(args)))
    return np.moveaxis(np.asarray(found), 0, -1)


CASES = [getattr(case, "values", case) for case in RULE_CASES + CONSTRUCT_CASES]


@pytest.mark.parametrize("program, args, wrt", CASES,
                         ids=lambda v: getattr(v, "__name__", None))
def test_a_batch_of_tangents_agrees_with_one_jvp_per_basis_vector(program, args, wrt):
    for i in float_positions(program, args, wrt):
        found = pushed_at_once(program, args, i)
        if found is None:   # no batch form: jacobian makes one call per basis vector
            continue
        expected = one_call_per_basis_vector(program, args, i)
        np.testing.assert_allclose(found.reshape(expected.shape), expected,
                                   rtol=1e-10, atol=1e-10)


def hessian_at_once(program, args, i):
    """The Hessian by batched forward mode over the gradient, or None if refused."""
    bound = inspect.signature(program).bind(*args)
    bound.apply_defaults()
    values = tuple(bound.arguments.values())
    gradient = s2sad.grad(program, wrt=(i,)).generated_function(values)
    return pushed_at_once(gradient, values, i)


def one_hvp_per_basis_vector(program, args, i):
    columns = [np.asarray(s2sad.hvp(program, copy.deepcopy(args), tangents)[i])
               for tangents in basis_tangents(args, i)]
    return np.stack(columns, -1).reshape(np.shape(args[i]) * 2)


def twice_differentiable(program, args, i) -> bool:
    """A scalar output, and no matrix norm but Frobenius (the others have no rule)."""
    out = program(*copy.deepcopy(args))
    return not isinstance(out, (tuple, list, dict)) and np.ndim(out) == 0 \
        and program.__name__ not in ("norm_nuc", "norm_spectral")


@pytest.mark.parametrize("program, args, wrt", CASES,
                         ids=lambda v: getattr(v, "__name__", None))
def test_a_batched_hessian_agrees_with_one_hvp_per_basis_vector(program, args, wrt):
    for i in float_positions(program, args, wrt):
        if not twice_differentiable(program, args, i):
            continue
        found = hessian_at_once(program, args, i)
        if found is None:
            continue
        expected = one_hvp_per_basis_vector(program, args, i)
        np.testing.assert_allclose(found.reshape(expected.shape), expected,
                                   rtol=1e-9, atol=1e-9)


def test_most_programs_take_a_batch():
    taken = refused = hessians = 0
    for program, args, wrt in CASES:
        for i in float_positions(program, args, wrt):
            if pushed_at_once(program, args, i) is None:
                refused += 1
            else:
                taken += 1
            if twice_differentiable(program, args, i) and hessian_at_once(program, args, i) is not None:
                hessians += 1
    assert taken > 0.95 * (taken + refused), (taken, refused)
    assert hessians > 900, hessians


A = np.random.default_rng(0).normal(size=(3, 4))


def mixed(x):
    h = np.tanh(A @ x)
    y = np.zeros(5)
    y[:3] = h * x[0]
    y[3:] = x[1:3] ** 2
    return np.stack([y, np.sum(h) * y]).T.reshape(-1)


def test_the_batched_source_reads_like_forward_mode():
    x = np.array([0.3, -0.2, 0.5, 1.0])
    s2sad.jacobian(mixed, mode="forward")(x)
    text = mixed.__dict__["__s2sad_cache__"]["batched_jvp_source"]
    assert "_batch = len(tx)" in text and "tx[:, 0]" in text
    assert "batch_zero(y, _batch)" in text


def flattened_cumsum(x):   # np.cumsum without an axis flattens: no batch form
    return np.cumsum(x * x)


@pytest.mark.parametrize("f", [mixed, flattened_cumsum])
def test_jacobian_matches_finite_differences_batched_or_not(f):
    x = np.array([0.3, -0.2, 0.5, 1.0])
    found = s2sad.jacobian(f, mode="forward")(x)
    eps = 1e-6
    expected = np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(4)], -1)
    np.testing.assert_allclose(found, expected, rtol=1e-6, atol=1e-8)


def leaky_relu(x):
    return np.maximum(x, 0.1 * x)


def scaled_by_spread(x):
    return np.std(x) * x


def softmax(x):
    return np.exp(x - np.max(x)) / np.sum(np.exp(x - np.max(x)))


def heat(u):
    out = np.zeros_like(u)
    out[1:-1] = u[2:] - 2 * u[1:-1] + u[:-2]
    return out


@pytest.mark.parametrize("f", [leaky_relu, scaled_by_spread, softmax, heat])
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_a_float32_argument_gives_a_float32_jacobian(f, mode):
    x = np.array([0.3, -0.2, 0.5, 1.0], dtype=np.float32)
    found = s2sad.jacobian(f, mode=mode)(x)
    assert found.dtype == np.float32
    expected = s2sad.jacobian(f, mode=mode)(x.astype(np.float64))
    np.testing.assert_allclose(found, expected, rtol=1e-5, atol=1e-6)


def rates(t, y, k):
    return np.array([-k[0] * y[0], k[0] * y[0] - k[1] * y[1]])


def test_jacobian_and_hessian_take_wrt_by_name_and_keyword_arguments():
    y, k = np.array([1.0, 2.0]), np.array([0.4, 0.7])
    by_name = s2sad.jacobian(rates, wrt="k")(0.0, y, k=k)
    np.testing.assert_allclose(by_name, [[-1.0, 0.0], [1.0, -2.0]])
    assert s2sad.hessian(lambda_free_loss, wrt="k")(y, k=k).shape == (2, 2)


def lambda_free_loss(x, k):
    return np.sum(k * x ** 2) * np.sum(k)


def pair(x):
    return x ** 2, np.sum(x)


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_of_a_function_returning_several_values_says_so(mode):
    with pytest.raises(TypeError, match="returns a tuple"):
        s2sad.jacobian(pair, mode=mode)(np.ones(3))


def test_jacobian_with_respect_to_an_integer_says_so():
    with pytest.raises(TypeError, match="an integer"):
        s2sad.jacobian(rates, wrt=0)(1, np.ones(2), np.ones(2))


# --- found by a review: each once gave a wrong Jacobian or crashed ----------------------

def sum_of_a_list(x):
    return np.sum([x, x ** 2], axis=0) + np.max([x, -x], axis=0)


def tuple_index(x):
    idx = (0, 1)
    y = x * 2.0
    y[idx] = x[1, 0] ** 2
    return y[idx] * x


def number_read_then_written(y):
    a = y[1]
    y = y * 1.0
    y[1] = 5.0
    return a * y


def grown_from_a_literal(x):
    items = [1.0, 2.0]
    items.append(x[0] * 2.0)
    return np.array(items)


def reshaped_in_memory_order(x):
    return np.reshape(x.T, -1, order="A") * np.ravel(x, order="K")


def many_inputs(x):
    return np.tanh(x) * x[::-1]


@pytest.mark.parametrize("f, x", [
    (sum_of_a_list, np.array([0.3, -0.2, 0.5])),
    (tuple_index, np.array([[0.3, -0.2], [0.5, 1.0]])),
    (number_read_then_written, np.array([0.3, -0.2, 0.5])),
    (grown_from_a_literal, np.array([0.3, -0.2])),
    (reshaped_in_memory_order, np.array([[0.3, -0.2, 0.1], [0.5, 1.0, -0.7]])),
    (many_inputs, np.linspace(-1.0, 1.0, 300)),   # more than one call's batch
], ids=lambda v: getattr(v, "__name__", ""))
def test_review_cases_match_finite_differences(f, x):
    found = s2sad.jacobian(f, mode="forward")(x)
    eps = 1e-6
    columns = [(f(x + eps * e.reshape(x.shape)) - f(x - eps * e.reshape(x.shape))) / (2 * eps)
               for e in np.eye(x.size)]
    expected = np.stack(columns, -1).reshape(np.shape(f(x)) + x.shape)
    np.testing.assert_allclose(found, expected, rtol=1e-6, atol=1e-8)
    assert pushed_at_once(f, (x,), 0) is not None   # batched, not one call per vector


def scaled_copy_written(x):
    y = np.reshape(x * 1.0, -1)
    y[0] = 0.0
    return y * x


def test_jvp_never_writes_into_the_tangent_given():
    x, t = np.array([1.0, 2.0, 3.0]), np.ones(3)
    _, tangent = s2sad.jvp(scaled_copy_written, (x,), (t,))
    np.testing.assert_array_equal(t, np.ones(3))
    np.testing.assert_allclose(tangent, [0.0, 4.0, 6.0])


# --- found by a second trial ----------------------------------------------------------------

def grows_by_a_list_literal(x):
    return np.concatenate([x * 2.0, [x[0] ** 2]]) + np.hstack([x, [x[1] * x[2]]])


def builtin_max_squared(x):
    return max(x) ** 2


def scaled_keyword_only(x, *, scale=1.5):
    return np.sum(scale * x ** 2)


def test_list_literals_inside_concatenate_are_batched():
    x = np.array([1.0, 2.0, 3.0])
    assert pushed_at_once(grows_by_a_list_literal, (x,), 0) is not None
    np.testing.assert_allclose(s2sad.jacobian(grows_by_a_list_literal, mode="forward")(x),
                               s2sad.jacobian(grows_by_a_list_literal, mode="reverse")(x))


def test_hessians_of_builtin_max_and_of_keyword_only_parameters():
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(s2sad.hessian(builtin_max_squared)(x), np.diag([0.0, 0.0, 2.0]))
    np.testing.assert_allclose(s2sad.hessian(scaled_keyword_only)(x), 3.0 * np.eye(3))
    np.testing.assert_allclose(s2sad.jacobian(s2sad.grad(scaled_keyword_only))(x),
                               3.0 * np.eye(3))
