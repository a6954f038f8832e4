"""Calls into the user's own functions are inlined: differentiated through, readable
in the printed derivative, with arguments, defaults and names handled as Python does."""
import numpy as np
import pytest

import s2sad
from tests import helper_module as H
from tests import programs as P

rng = np.random.default_rng(5)


def softplus(z):
    return np.log1p(np.exp(z))


def activation(t, square=False):
    if square:
        return t * t
    return np.maximum(t, 0.0)


def clipped(v, low=-1.0, high=1.0):
    if v < low:   # several returns
        return low
    if v > high:
        return high
    return v


def two_layers(W1, b1, W2, X):
    h = H.layer(X, W1, b1)
    out = softplus(h @ W2) + H.scaled(h.sum())
    return np.sum(activation(out, square=True)) + np.sum(activation(out))


def test_helpers_from_this_and_another_module():
    args = (rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)),
            rng.normal(size=(5, 3)))
    s2sad.check_grads(two_layers, args, wrt=(0, 1, 2))
    derivative = s2sad.grad(two_layers, wrt=(0, 1, 2))
    derivative(*args)
    source = derivative.source
    assert "h = np.tanh(X @ W1 + b1)" in source   # the helper's numpy is the caller's np
    assert "# return np.log1p(np.exp(z))" in source   # the helper's lines, as comments
    assert "if True" not in source and "if False" not in source   # square=True decided
    assert "3.0 * v" in source   # the default value of k


def calls_in_a_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + clipped(x * i, high=2.5) + softplus(s * 0.1)
    return s


@pytest.mark.parametrize("x", [-0.3, 0.2, 0.7])
def test_a_helper_with_several_returns_called_in_a_loop(x):
    s2sad.check_grads(calls_in_a_loop, (x, 5))


def nested(x):
    return np.sum(softplus(softplus(x) * H.scaled(x, k=2.0)))


def test_helpers_nested_in_one_expression():
    s2sad.check_grads(nested, (np.array([0.3, -1.2]),))


def in_conditions(x):
    if softplus(x) > 1.0:
        y = x * 3.0
    else:
        y = x * x
    for i in range(int(H.scaled(2.0, 1.0))):
        y = y + softplus(y)
    return y


@pytest.mark.parametrize("x", [-2.0, 1.5])
def test_helpers_in_an_if_test_and_a_loop_bound(x):
    s2sad.check_grads(in_conditions, (x,))


PENALTY = H.make_penalty(np.array([1.0, 2.0, 3.0]))


def with_closure_penalty(x):
    return np.sum(np.sin(x)) + PENALTY(x)


def test_a_closure_over_an_array():
    x = rng.normal(size=3)
    s2sad.check_grads(with_closure_penalty, (x,))
    np.testing.assert_allclose(s2sad.grad(with_closure_penalty)(x),
                               np.cos(x) + 2.0 * np.array([1.0, 2.0, 3.0]) * x)


def keyword_arguments(a, b):
    return H.layer(b=b, W=a, x=np.ones((2, 2))).sum()


def test_keyword_arguments_in_any_order():
    args = (rng.normal(size=(2, 3)), rng.normal(size=3))
    s2sad.check_grads(keyword_arguments, args, wrt=(0, 1))


def writes_its_argument(v):
    v = v * 2.0
    v = v + 1.0
    return v


def same_names(v):
    w = writes_its_argument(v)
    return writes_its_argument(w) * v


def test_a_helper_that_reassigns_its_parameter_keeps_the_callers_variable():
    s2sad.check_grads(same_names, (0.7,))
    assert s2sad.grad(same_names)(0.7) == pytest.approx(8 * 0.7 + 3)   # (4v + 3) v


def inline_cost(q, n):
    s = 1.0
    for _ in range(n):
        s = step(q, s)
    return s


def step(q, s):
    return 1.0 + q * s


def test_an_inlined_loop_body_is_the_hand_written_one():
    derivative = s2sad.grad(inline_cost)
    assert derivative(0.5, 10) == pytest.approx(s2sad.grad(P.geometric)(0.5, 10))
    code = [line.strip() for line in derivative.source.splitlines()
            if not line.strip().startswith("#")]
    assert "s = 1.0 + q * s" in code and not any("step" in line for line in code)


def local_helpers(x, W):
    scale = 2.0

    def layer(v, b=0.1):
        return np.tanh(v @ W * scale + b)

    square = lambda t: t * t   # noqa: E731
    h = layer(x)
    scale = 3.0   # a closure reads the variable when it is called
    h2 = layer(h, b=0.2)
    return np.sum(square(h2)) + np.sum(square(h))


def test_functions_defined_in_the_function_and_lambdas():
    args = (rng.normal(size=(2, 3)), rng.normal(size=(3, 3)))
    s2sad.check_grads(local_helpers, args, wrt=(0, 1))
    assert s2sad.grad(local_helpers)(*args) == pytest.approx(
        s2sad.grad(local_helpers)(*args))


def passes_a_local_function(x):
    def double(v):
        return 2.0 * v
    return np.sum(np.array(list(map(double, x))))


def lambda_in_a_call(x):
    return np.sum(sorted(x, key=lambda v: -v))


@pytest.mark.parametrize("function, message", [
    (passes_a_local_function, "cannot use it any other way"),
    (lambda_in_a_call, "lambda expressions other than"),
])
def test_local_functions_used_other_than_by_calls_are_refused(function, message):
    with pytest.raises(s2sad.TransformError, match=message):
        s2sad.grad(function)(np.array([1.0, 2.0]))


def scale_in_place(a):
    a *= 3.0


def calls_an_in_place_helper(x):
    y = x * 1.0
    scale_in_place(y)
    return np.sum(y)


def test_a_helper_updating_its_argument_in_place_is_refused_at_its_line():
    with pytest.raises(s2sad.TransformError, match="may share memory") as info:
        s2sad.grad(calls_an_in_place_helper)(np.array([1.0, 2.0]))
    assert "scale_in_place" in str(info.value) and "a *= 3.0" in str(info.value)


def nested_defs(x):
    def inner(v):
        def innermost(u):
            return u * u
        return innermost(v) + v
    return inner(x)


def test_a_def_inside_a_def_inside_the_function():
    s2sad.check_grads(nested_defs, (1.3,))


def twice(x):
    return 2.0 * x


def target_named_like_the_parameter(y):
    x = y * 1.0
    x = twice(y)
    return x - y


def tanh_layer(x, W):
    h = np.tanh(x @ W)
    return h


def target_named_like_a_local(W, x):
    h = tanh_layer(x, W)
    return np.sum(h)


def lambda_default(x):
    a = x
    g = lambda t, a=a: t * a   # noqa: E731  (the default is x, taken here)
    a = 2.0
    return g(x)


def test_a_caller_name_equal_to_a_helper_name_is_the_callers():
    assert s2sad.value_and_grad(target_named_like_the_parameter)(1.5) == \
        pytest.approx((1.5, 1.0))
    s2sad.check_grads(target_named_like_a_local, (rng.normal(size=(2, 2)),
                                                  rng.normal(size=(3, 2))))


def test_defaults_are_taken_where_the_function_is_defined():
    assert s2sad.grad(lambda_default)(1.5) == pytest.approx(3.0)   # d(x * x)


def lambda_in_a_branch(x, c):
    if c > 0:
        g = lambda t: t * t   # noqa: E731
    else:
        g = lambda t: 3.0 * t   # noqa: E731
    return g(x)


def test_a_lambda_in_a_branch_is_refused():
    with pytest.raises(s2sad.TransformError, match="top level"):
        s2sad.grad(lambda_in_a_branch)(2.0, 1.0)


def power(x, n):
    return 1.0 if n == 0 else x * power(x, n - 1)


def calls_power(x):
    return power(x, 3) + power(2.0 * x, 2)


def shrinking_sum(x, n):
    if n == 0:
        return np.sum(x)
    return np.sum(np.sin(x)) + shrinking_sum(x * 0.9, n - 1)


def test_recursion_depth_50():
    assert s2sad.grad(power)(1.1, 50) == pytest.approx(50 * 1.1 ** 49)
    assert s2sad.grad(calls_power)(1.5) == pytest.approx(3 * 1.5 ** 2 + 8 * 1.5)
    s2sad.check_grads(shrinking_sum, (rng.normal(size=3), 6))


def power_by_keyword(x, n=3, scale=None):
    if n == 0:
        return 1.0
    return x * power_by_keyword(x, n=n - 1, scale=scale)


def test_a_recursive_call_with_keyword_arguments():
    assert s2sad.grad(power_by_keyword)(1.5, 4) == pytest.approx(4 * 1.5 ** 3)
    assert s2sad.jvp(power_by_keyword, (1.5, 4), (1.0, None))[1] == pytest.approx(4 * 1.5 ** 3)


def triples_first(a):
    a[0] *= 3.0
    return np.sum(a)


def reads_around_a_writing_helper(x):
    y = x * 1.0
    return y[0] + triples_first(y)


def writing_helper_in_its_own_statement(x):
    y = x * 1.0
    s = triples_first(y)
    return s + y[0]


def test_a_helper_writing_into_its_argument_inside_an_expression_is_refused():
    with pytest.raises(s2sad.TransformError, match="writes into its arguments"):
        s2sad.grad(reads_around_a_writing_helper)(np.array([1.0, 2.0]))
    s2sad.check_grads(writing_helper_in_its_own_statement, (np.array([1.0, 2.0]),))


# --- *args and **kwargs passed through to helpers -------------------------------------

def dense(x, W, b, activation=np.tanh):
    return activation(x @ W + b)


def call_layer(layer, *args, **kwargs):
    return layer(*args, **kwargs)


def dense_wrapper(*args, **kwargs):
    return dense(*args, **kwargs)


def sum_of_squares(*terms, scale=1.0):
    total = 0.0
    for t in terms:
        total = total + np.sum(t ** 2)
    return total * scale


def through_varargs(x, W, b):
    h = dense_wrapper(x, W, b=b)
    h2 = call_layer(dense, h, W, b, activation=np.sin)
    return sum_of_squares(h, h2, scale=0.5) + sum_of_squares(x * 2.0) + sum_of_squares()


def test_args_and_kwargs_are_passed_through_to_helpers():
    rng = np.random.default_rng(3)
    args = (rng.normal(size=(4, 3)), rng.normal(size=(3, 3)), rng.normal(size=3))
    for wrt in range(3):
        s2sad.check_grads(through_varargs, args, wrt=wrt)
    value, _ = s2sad.value_and_grad(through_varargs)(*args)
    assert value == pytest.approx(through_varargs(*args))


def test_stars_into_other_functions_are_refused_at_their_line():
    def stacked(x):
        parts = [x, x]
        return np.sum(np.stack(*parts))
    with pytest.raises(s2sad.TransformError, match=r"\*args and \*\*kwargs only") as info:
        s2sad.grad(stacked)(np.ones(3))
    assert "np.stack(*parts)" in str(info.value)

    def differentiated(*xs):
        return np.sum(xs[0])
    with pytest.raises(s2sad.TransformError, match=r"\*args or \*\*kwargs"):
        s2sad.grad(differentiated)(np.ones(3))


levels = []


def counted_power(x, n):
    levels.append(n)
    return 1.0 if n == 0 else x * counted_power(x, n - 1)


def test_recursion_runs_each_level_once():
    levels.clear()
    assert s2sad.grad(counted_power)(1.1, 30) == pytest.approx(30 * 1.1 ** 29)
    assert sorted(levels) == list(range(31))   # once each, not again backwards
    assert levels.count(0) == 1


def apply_n_times(f, n, *args):
    out = 0.0
    for _ in range(n):
        out = out + f(*args)
    return out


def weighted_sin(x, y, scale=1.0):
    return np.sum(np.sin(x) * y) * scale


evaluations = []


def counted(x):
    evaluations.append(1)
    return x * 2.0


def extra_argument_evaluated_once(x, y):
    return apply_n_times(weighted_sin, 3, counted(np.exp(x)), y)


def test_each_extra_argument_is_evaluated_once():
    x, y = np.array([0.3, -0.2]), np.array([1.5, 0.5])
    s2sad.check_grads(extra_argument_evaluated_once, (x, y), wrt=(0, 1))
    source = s2sad.grad(extra_argument_evaluated_once).source
    assert source.count("= np.exp(x)") == 1 and source.count("evaluations.append") == 1


def keyword_by_variable(x, y):
    key = "y"
    return weighted_sin(x, **{key: y})


def test_keywords_passed_with_a_computed_key_are_refused():
    with pytest.raises(s2sad.TransformError, match="keys written as strings"):
        s2sad.grad(keyword_by_variable)(np.ones(2), np.ones(2))
