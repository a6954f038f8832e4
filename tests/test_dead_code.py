"""`grad` returns the gradient alone: what only the function's value needed is left out,
shape reads move to values computed anyway, and nothing with an effect is dropped."""
import re

import gast
import numpy as np
import pytest

import s2sad
from s2sad.deadcode import drop_dead, live_before_each

rng = np.random.default_rng(11)


def softmax_cross_entropy(W, X, y):
    logits = X @ W
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(X.shape[0]), y])


def data(batch=6, features=3, classes=4, dtype=np.float64):
    return (rng.normal(size=(features, classes)).astype(dtype),
            rng.normal(size=(batch, features)).astype(dtype),
            rng.integers(0, classes, batch))


def code_of(derivative, args) -> str:
    derivative(*args)
    return "\n".join(line for line in derivative.source.splitlines()
                     if not line.strip().startswith("#"))


def test_grad_leaves_out_the_log_and_the_mean_only_the_value_needs():
    args = data()
    code = code_of(s2sad.grad(softmax_cross_entropy), args)
    assert "np.log(" not in code and ".mean(" not in code, code
    assert "scalar_seed" not in code   # the kinds say the output is a scalar
    assert "np.zeros_like(log_probs)" not in code   # its shape is read from a live array
    s2sad.check_grads(softmax_cross_entropy, args)


def test_value_and_grad_still_computes_the_value_and_both_agree():
    args = data()
    with_value = s2sad.value_and_grad(softmax_cross_entropy)
    code = code_of(with_value, args)
    assert "np.log(" in code
    value, gradient = with_value(*args)
    assert value == pytest.approx(softmax_cross_entropy(*args), rel=1e-12)
    np.testing.assert_allclose(gradient, s2sad.grad(softmax_cross_entropy)(*args), rtol=1e-12)


@pytest.mark.parametrize("batch, classes", [(1, 4), (6, 1), (1, 1)])
def test_lengths_of_one_keep_the_shape_reads_they_cannot_prove(batch, classes):
    args = data(batch=batch, classes=classes)
    s2sad.check_grads(softmax_cross_entropy, args)


def test_float32_keeps_its_dtype_reads_and_its_gradient_dtype():
    args = data(dtype=np.float32)
    derivative = s2sad.grad(softmax_cross_entropy)
    code = code_of(derivative, args)
    assert "np.zeros_like(log_probs)" in code   # not every float is float64: kept
    gradient = derivative(*args)
    assert gradient.dtype == np.float32
    expected = s2sad.grad(softmax_cross_entropy)(*(a.astype(np.float64) if a.dtype.kind == "f"
                                                    else a for a in args))
    np.testing.assert_allclose(gradient, expected, rtol=1e-4, atol=1e-6)


def sum_of_squares(x):
    return np.sum(x * x)


def test_a_final_sum_is_not_computed():
    code = code_of(s2sad.grad(sum_of_squares), (rng.normal(size=5),))
    assert ".sum()" not in code and "np.sum" not in code, code
    s2sad.check_grads(sum_of_squares, (rng.normal(size=5),))


def returns_an_array(x):
    return x * 2.0


def test_an_output_not_known_to_be_scalar_is_still_checked():
    with pytest.raises(TypeError, match="vjp"):
        s2sad.grad(returns_an_array)(np.ones(3))


CALLS = []


def count_call():
    CALLS.append(1)
    return len(CALLS)


def calls_a_function_with_an_effect(x):
    unused = count_call()
    return np.sum(x * x)


def draws_twice(x):
    unused = np.random.normal(size=3)
    r = np.random.normal(size=3)
    return np.sum(x * r)


def prints(x):
    y = np.sum(x * x)
    print("value", y)
    return y


def test_calls_with_effects_stay_even_when_their_results_are_unused(capsys):
    CALLS.clear()
    s2sad.grad(calls_a_function_with_an_effect)(np.ones(2))
    assert CALLS == [1]
    np.random.seed(3)
    gradient = s2sad.grad(draws_twice)(np.ones(3))
    np.random.seed(3)
    np.random.normal(size=3)
    np.testing.assert_array_equal(gradient, np.random.normal(size=3))
    s2sad.grad(prints)(np.ones(2))
    assert capsys.readouterr().out == "value 2.0\n"


# --- the pass on its own -------------------------------------------------------------

def parsed(text: str) -> list:
    return gast.parse(text).body


def shown(stmts: list) -> list:
    return [gast.unparse(s).strip() for s in stmts]


def test_drop_dead_keeps_what_live_names_need_and_drops_the_rest():
    body = parsed("a = x + 1\nb = a * 2\nc = x * 3\nd, e = c, c")
    assert shown(drop_dead(body, {"b"}, lambda e: True)) == ["a = x + 1", "b = a * 2"]


def test_drop_dead_keeps_impure_values_writes_and_blocks():
    body = parsed("a = f(x)\nb = x * 1\nb[0] = 2\nc = x\nc += 1\nfor i in r:\n    d = x\n"
                  "t.append(x)")
    pure = lambda e: not isinstance(e, gast.Call)   # noqa: E731
    kept = shown(drop_dead(body, set(), pure))
    assert kept == ["a = f(x)", "b = x * 1", "b[0] = 2", "c = x", "c += 1",
                    "for i in r:\n    d = x", "t.append(x)"]


def test_liveness_can_ignore_given_reads():
    body = parsed("z = np.zeros_like(v)\nw = z + u")
    ignored = frozenset(id(n) for n in gast.walk(body[0])
                        if isinstance(n, gast.Name) and n.id == "v")
    live = live_before_each(body, {"w"}, ignored)
    assert "v" not in live[0] and {"np", "u"} <= live[0]
    assert "v" in live_before_each(body, {"w"})[0]


def test_the_printed_gradient_reads_shapes_from_live_arrays():
    args = data()
    derivative = s2sad.grad(softmax_cross_entropy)
    derivative(*args)
    assert re.search(r"np\.zeros_like\((W|X|logits|_t\d+)\)", derivative.source), \
        derivative.source


def reuses_a_name(A, B, i):
    t = A @ B
    z = t.T * 2.0
    t = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))   # only the value needs it
    log_probs = t * 1.0
    return -np.mean(log_probs[np.arange(5), i])


def test_a_shape_is_read_from_a_value_that_exists_anyway():
    """log_probs has the shape of z and of the second t; that t is left out, so the
    shape comes from z (reading t would bring its np.log back)."""
    args = (rng.normal(size=(3, 2)), rng.normal(size=(2, 5)), np.array([0, 2, 2, 1, 0]))
    derivative = s2sad.grad(reuses_a_name, wrt=(0, 1))
    code = code_of(derivative, args)
    assert "np.log(" not in code and "np.zeros_like(z)" in code, code
    s2sad.check_grads(reuses_a_name, args, wrt=(0, 1))
