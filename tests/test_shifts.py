"""Shifts the output does not depend on (the stable softmax's max) get no derivative;
every other shift still passes the max's derivative on."""
import numpy as np
import pytest

import s2sad
from s2sad.analysis import varied_names
from s2sad.anf import to_anf
from s2sad.astutil import NameGenerator, all_names
from s2sad.kinds import FLOAT_SCALAR, INT_SCALAR, infer_kinds, kind
from s2sad.normalise import normalise
from s2sad.shifts import invariant_shifts
from tests import programs as P
from tests.test_passes import show, source_of

rng = np.random.default_rng(11)
X = rng.normal(size=(4, 3))        # random normal: no ties in any max
W = rng.normal(size=(4, 3))
x = rng.normal(size=5)
w = rng.normal(size=5)

NO_MAX_DERIVATIVE = "the result does not depend on this shift"


def generated(f, args, wrt=0) -> str:
    d = s2sad.grad(f, wrt=wrt)
    d(*args)
    return d.source


# --- the stable softmax patterns: no derivative of the max -----------------------------

INVARIANT = [
    (P.log_softmax_rows, (X, W)),                           # axis=1, keepdims=True
    (P.softmax_rows, (X, W)),
    (P.softmax_vector, (x, w)),                             # e / np.sum(e), 1-D
    (P.log_softmax_method_positive_axis, (X, W)),           # x.max(axis=1, keepdims=True)
    (P.log_softmax_method, (X, W)),                         # x.max(axis=-1, keepdims=True)
    (P.log_softmax_method, (x, w)),
    (P.cross_entropy_reading_shape, (X, np.array([0, 2, 1, 1]))),
    (P.mlp_loss, (rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 2)),
                  rng.normal(size=2), rng.normal(size=(6, 3)), np.array([0, 1, 1, 0, 1, 0]))),
]


@pytest.mark.parametrize("f,args", INVARIANT, ids=lambda c: getattr(c, "__name__", ""))
def test_stable_softmax_gets_no_max_derivative(f, args):
    source = generated(f, args)
    assert "extreme_weights" not in source
    assert NO_MAX_DERIVATIVE in source
    s2sad.check_grads(f, args)


def test_log_softmax_with_respect_to_both_arguments():
    assert "extreme_weights" not in generated(P.log_softmax_rows, (X, W), wrt=(0, 1))
    s2sad.check_grads(P.log_softmax_rows, (X, W), wrt=(0, 1))


def test_log_softmax_rows_gradient_is_the_analytic_one():
    dx = s2sad.grad(P.log_softmax_rows)(X, W)
    z = X - X.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert np.allclose(dx, W - p * W.sum(axis=1, keepdims=True))


def test_a_row_of_length_one_is_still_a_shift():
    """With one column, z is zero whatever x is: the gradient is zero."""
    x1, w1 = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    assert "extreme_weights" not in generated(P.log_softmax_rows, (x1, w1))
    assert np.allclose(s2sad.grad(P.log_softmax_rows)(x1, w1), 0.0)
    s2sad.check_grads(P.log_softmax_rows, (x1, w1))


# --- shifts the output does depend on: the max's derivative still flows ----------------

DEPENDENT = [
    (P.shifted_square, (X,)),                         # z * z changes under z + c
    (P.shifted_square, (x,)),
    (P.logsumexp_value, (x,)),                        # m is returned as well
    (P.logsumexp_value, (X,)),
    (P.softmax_max_over_wrong_axis, (X, W)),          # max over axis 0, softmax over 1
    (P.branch_on_shifted, (X, W, -100.0)),            # z = z * z taken
    (P.branch_on_shifted, (X, W, 100.0)),             # not taken
]


@pytest.mark.parametrize("f,args", DEPENDENT, ids=lambda c: getattr(c, "__name__", ""))
def test_dependent_shifts_keep_the_max_derivative(f, args):
    source = generated(f, args)
    assert "extreme_weights" in source
    assert NO_MAX_DERIVATIVE not in source
    s2sad.check_grads(f, args)


def test_logsumexp_gradient_is_the_softmax():
    dx = s2sad.grad(P.logsumexp_value)(x)
    assert np.allclose(dx, np.exp(x) / np.exp(x).sum())


def test_shifted_square_gradient_is_analytic():
    dx = s2sad.grad(P.shifted_square)(x)
    z = x - x.max()
    expected = 2 * z
    expected[np.argmax(x)] -= 2 * z.sum()
    assert np.allclose(dx, expected)


# --- invariant_shifts on its own ------------------------------------------------------

def shifts_of(text: str, params: dict) -> list:
    """The statements `z = x - m` invariant_shifts picks, as source."""
    src = source_of(text)
    names = NameGenerator(all_names(src.tree))
    tree = normalise(src, names)
    inputs = {p for p, k in params.items() if not k.integer}
    tree = to_anf(tree, varied_names(tree.body, inputs, src), src, names)
    kinds = infer_kinds(tree.body, params, src)
    found = invariant_shifts(tree.body, tree.body[-1].value, kinds, src)
    return [show([s]) for s in tree.body if id(s) in found]


ROWS = {"x": kind(2, ones=(False, False)), "w": kind(2, ones=(False, False))}
VECTOR = {"x": kind(1, ones=(False,)), "w": kind(1, ones=(False,))}


def test_invariant_shifts_finds_the_log_softmax_shift():
    assert shifts_of("""
        def f(x, w):
            z = x - np.max(x, axis=1, keepdims=True)
            logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
            return np.sum(logp * w)
    """, ROWS) == ["z = x - _t1"]


def test_invariant_shifts_follows_means_and_divisions():
    assert len(shifts_of("""
        def f(x, w):
            z = x - np.max(x)
            e = np.exp(z)
            p = e / np.mean(e)
            q = z - np.mean(z)
            return np.sum(p * w) + np.sum(q * w)
    """, VECTOR)) == 1


@pytest.mark.parametrize("body", [
    "z = x - np.max(x)\n    return np.sum(z * w)",                     # linear in z
    "z = x - np.max(x)\n    return np.sum(np.exp(z) * w)",             # scaled, not divided
    "m = np.max(x)\n    return m + np.log(np.sum(np.exp(x - m)))",      # m itself returned
    "z = x - np.max(x)\n    y = z * 1.0\n    y[0] = 0.0\n    return np.sum(y * w)",
    "z = x - np.max(x)\n    return np.sum(np.tanh(z) * w)",            # an unknown call
])
def test_invariant_shifts_leaves_dependent_shifts(body):
    assert shifts_of("def f(x, w):\n    " + body + "\n", VECTOR) == []


def test_invariant_shifts_needs_the_right_axis():
    assert shifts_of("""
        def f(x, w):
            z = x - np.max(x, axis=0, keepdims=True)
            e = np.exp(z)
            return np.sum(e / np.sum(e, axis=1, keepdims=True) * w)
    """, ROWS) == []
    assert shifts_of("""
        def f(x, w):
            z = x - np.max(x, axis=0, keepdims=True)
            e = np.exp(z)
            return np.sum(e / np.sum(e, axis=0, keepdims=True) * w)
    """, ROWS) == ["z = x - _t1"]


def test_invariant_shifts_needs_keepdims_for_a_partial_reduction():
    assert shifts_of("""
        def f(x, w):
            z = x - np.max(x, axis=1, keepdims=True)
            e = np.exp(z)
            return np.sum(e / np.sum(e, axis=1)[:, None] * w)
    """, ROWS) == []


def test_invariant_shifts_stops_at_a_branch_on_a_shifted_value():
    assert shifts_of("""
        def f(x, w, t):
            z = x - np.max(x)
            if np.sum(z) > t:
                z = z * 2.0
            logp = z - np.log(np.sum(np.exp(z)))
            return np.sum(logp * w)
    """, dict(VECTOR, t=FLOAT_SCALAR)) == []


def test_invariant_shifts_ignores_a_branch_that_does_not_read_the_shift():
    assert len(shifts_of("""
        def f(x, w, n):
            z = x - np.max(x)
            if n > 2:
                w = w * 2.0
            logp = z - np.log(np.sum(np.exp(z)))
            return np.sum(logp * w)
    """, dict(VECTOR, n=INT_SCALAR))) == 1


def test_invariant_shifts_with_unknown_shapes_does_nothing():
    assert shifts_of("""
        def f(x, w):
            z = x - np.max(x, axis=1, keepdims=True)
            logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
            return np.sum(logp * w)
    """, {"x": kind(None), "w": kind(None)}) == []


def test_softmax_inside_a_loop_gets_no_max_derivative():
    Q, K = rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    source = generated(P.softmax_in_a_loop, (Q, K), wrt=(0, 1))
    assert "extreme_weights" not in source and NO_MAX_DERIVATIVE in source
    s2sad.check_grads(P.softmax_in_a_loop, (Q, K), wrt=(0, 1))


@pytest.mark.parametrize("f,args", [
    (P.shift_carried_to_the_next_trip, (x, 3)),
    (P.shift_read_after_the_branch, (x, 1)),
], ids=lambda c: getattr(c, "__name__", ""))
def test_a_shift_that_leaves_its_block_keeps_the_max_derivative(f, args):
    source = generated(f, args)
    assert NO_MAX_DERIVATIVE not in source
    s2sad.check_grads(f, args)
