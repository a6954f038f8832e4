"""The generated code reads like hand-written code: temporaries put back, reductions as
methods, broadcasts left to their readers, broadcasting sums inlined, needless copies
dropped; cotangents zero on some paths only are arrays where products read them.
Every rewrite is checked against finite differences as well."""
import re
import textwrap

import gast
import numpy as np
import pytest

import s2sad
from s2sad.kinds import FLOAT_SCALAR, kind
from s2sad.optimise import AdjointOptimiser, inline_temporaries, prefer_methods
from tests import programs as P
from tests.test_passes import optimised, show, source_of

rng = np.random.default_rng(7)


def generated(f, args, wrt=0) -> str:
    d = s2sad.grad(f, wrt=wrt)
    d(*args)
    return d.source


def lines(source: str) -> list:
    return [line.strip() for line in source.splitlines()]


def code(source: str) -> str:
    """The generated source without its comments (which quote the user's lines)."""
    return "\n".join(line for line in source.splitlines()
                     if not line.strip().startswith("#"))


def adjoint_part(source: str) -> str:
    """The generated code from the seed of the output cotangent (or, where the seed
    1.0 is written into the statements reading it, the first adjoint comment) on."""
    return source[re.search(r"^\s+(d\w+ = (scalar_seed\(|1\.0$)|# )", source,
                            re.MULTILINE).start():]


def parsed(text: str) -> list:
    return gast.parse(textwrap.dedent(text)).body


# --- single-use temporaries go back into their expression -----------------------------

MLP_ARGS = (rng.normal(size=(6, 3)), rng.normal(size=(3, 4)), rng.normal(size=4),
            rng.normal(size=(4, 2)))


def test_hidden_layer_reads_as_written():
    source = generated(P.mlp_hidden, MLP_ARGS, wrt=(0, 1, 2, 3))
    assert "h = np.tanh(X @ W1 + b1)" in lines(source)
    assert not re.search(r"_t\d+ = X @ W1", source)
    s2sad.check_grads(P.mlp_hidden, MLP_ARGS, wrt=(0, 1, 2, 3))


def test_mlp_loss_reads_as_written():
    args = (rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 2)),
            rng.normal(size=2), rng.normal(size=(6, 3)), np.array([0, 1, 1, 0, 1, 0]))
    source = generated(P.mlp_loss, args, wrt=(0, 1, 2, 3))
    assert "h = np.tanh(X @ W1 + b1)" in lines(source)
    assert "logits = h @ W2 + b2" in lines(source)
    s2sad.check_grads(P.mlp_loss, args, wrt=(0, 1, 2, 3))


def test_a_temporary_the_adjoint_reads_stays_named():
    args = (rng.normal(size=4), rng.normal(size=4))
    source = generated(P.exp_times, args, wrt=(0, 1))
    found = re.search(r"^\s*(_t\d+) = np\.exp\(x\)$", source, re.MULTILINE)
    assert found, source
    assert re.search(rf"\b{found.group(1)}\b", adjoint_part(source))
    assert code(source).count("np.exp(x)") == 1   # computed once, not put back and redone
    s2sad.check_grads(P.exp_times, args, wrt=(0, 1))


def test_temporaries_in_a_loop_body_are_put_back_too():
    args = (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(3, 3)), rng.normal(size=(4, 3)),
            rng.normal(size=3))
    source = generated(P.gated_rnn, args, wrt=(0, 1, 2, 3))
    assert re.search(r"= np\.tanh\(h @ W \+ x\[t\]\)$", source, re.MULTILINE), source
    s2sad.check_grads(P.gated_rnn, args, wrt=(0, 1, 2, 3))


def test_inline_temporaries_chain():
    assert show(inline_temporaries(parsed("""
        _t1 = X @ W1
        _t2 = _t1 + b1
        h = np.tanh(_t2)
    """), {"_t1", "_t2"}, "tape")) == "h = np.tanh(X @ W1 + b1)"


def test_inline_temporaries_moves_past_pushes_only():
    assert show(inline_temporaries(parsed("""
        _t1 = a * b
        tape.append(x)
        y = _t1 + 1.0
    """), {"_t1"}, "tape")) == "tape.append(x)\ny = a * b + 1.0"
    # `x = 2.0` changes what np.exp(x) would read: the temporary stays before it
    assert show(inline_temporaries(parsed("""
        _t1 = np.exp(x)
        x = 2.0
        y = _t1 + x
    """), {"_t1"}, "tape")) == "_t1 = np.exp(x)\nx = 2.0\ny = _t1 + x"
    # the user's own xs.append changes xs: np.array(xs) stays before it
    assert show(inline_temporaries(parsed("""
        _t1 = np.array(xs)
        xs.append(x)
        y = _t1 + 1.0
    """), {"_t1"}, "tape")) == "_t1 = np.array(xs)\nxs.append(x)\ny = _t1 + 1.0"


def test_inline_temporaries_into_tests_and_blocks_but_not_a_while_test():
    assert show(inline_temporaries(parsed("""
        _t1 = np.sum(x)
        if _t1 > 0:
            _t2 = x * 2.0
            y = np.sin(_t2)
    """), {"_t1", "_t2"}, "tape")) == "if np.sum(x) > 0:\n    y = np.sin(x * 2.0)"
    # a while test runs again on each trip: the temporary must not move into it
    assert show(inline_temporaries(parsed("""
        _t1 = np.sum(x)
        while _t1 > 0:
            x = x - 1.0
    """), {"_t1"}, "tape")).startswith("_t1 = np.sum(x)\nwhile _t1 > 0:")


def test_inline_temporaries_leaves_other_names_alone():
    assert show(inline_temporaries(parsed("""
        _t1 = np.exp(x)
        y = _t1 + 1.0
    """), set(), "tape")) == "_t1 = np.exp(x)\ny = _t1 + 1.0"


# --- reductions on arrays as methods ----------------------------------------------------

def test_np_sum_on_an_array_becomes_a_method():
    x = rng.normal(size=(4, 3))
    source = generated(P.row_sums, (x,))
    assert "s = x.sum(axis=1)" in lines(source)
    assert "np.sum(" not in code(source)
    s2sad.check_grads(P.row_sums, (x,))


@pytest.mark.parametrize("xs,method", [([1.0, 2.0, 0.5], False), (2.5, False),
                                       (np.array([1.0, 2.0, 0.5]), True)])
def test_np_sum_of_a_list_or_float_stays_a_function(xs, method):
    w = rng.normal(size=3)
    source = generated(P.scaled_total, (w, xs))
    assert ("xs.sum()" in source) == method
    assert ("np.sum(xs)" in code(source)) == (not method)
    s2sad.check_grads(P.scaled_total, (w, xs))


def test_np_sum_of_a_literal_list_stays_a_function():
    source = generated(P.sum_of_list, (0.7,))
    assert "np.sum([" in code(source)


def test_np_sum_of_a_literal_list_gradient():
    """d/dx (x + 2x + 3) * x = 6x + 3."""
    assert np.isclose(s2sad.grad(P.sum_of_list)(0.7), 6 * 0.7 + 3)
    s2sad.check_grads(P.sum_of_list, (0.7,))


def test_prefer_methods_on_snippets():
    src = source_of("""
        def f(x, a, v):
            return x
    """)
    stmts = parsed("""
        p = np.sum(x, axis=1)
        q = np.max(x, 1)
        r = np.amax(v)
        s = np.mean(a)
        t = np.sum(u)
        o = np.std(v, ddof=1)
        w = np.tanh(x)
        z = np.sum(x * 2.0)
    """)
    kinds = {"x": kind(2), "v": kind(1), "a": FLOAT_SCALAR}
    prefer_methods(stmts, lambda node: kinds.get(getattr(node, "id", None)), src.resolve)
    assert show(stmts) == "\n".join([
        "p = x.sum(axis=1)", "q = x.max(1)", "r = v.max()", "s = np.mean(a)", "t = np.sum(u)",
        "o = v.std(ddof=1)", "w = np.tanh(x)", "z = np.sum(x * 2.0)"])


# --- broadcasts left to the reader ------------------------------------------------------

def test_softmax_gradient_makes_no_full_array_of_the_row_sums():
    x, w = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    source = generated(P.log_softmax_rows, (x, w))
    assert "full_like" not in source
    # the exp's cotangent is the row sums' cotangent times exp(z), broadcast as it goes
    assert re.search(r"= \w+ \+ d_t\d+ \* _t\d+$", source, re.MULTILINE), source
    s2sad.check_grads(P.log_softmax_rows, (x, w), wrt=(0, 1))


def narrowed(text: str, read_once: set, accumulators=()) -> str:
    optimiser = AdjointOptimiser(set(), set(accumulators))
    return show(optimiser.narrow_broadcasts(parsed(text), set(read_once)))


def test_narrow_broadcasts_into_a_product_with_the_same_array():
    assert narrowed("""
        d = np.full_like(x, g)
        dx = d * x
    """, {"d"}) == "dx = g * x"
    assert narrowed("""
        d = np.full(x.shape, g, x.dtype)
        dx = x * d
    """, {"d"}) == "dx = x * g"
    assert narrowed("""
        d = np.full_like(x, g)
        dx = d * 2 * (x * c)
    """, {"d"}) == "dx = g * 2 * (x * c)"


def lsq(w, X, y):
    r = X @ w - y
    return 0.5 * np.mean(r ** 2)


def test_a_mean_of_squares_makes_no_full_array():
    args = (rng.normal(size=3), rng.normal(size=(6, 3)), rng.normal(size=6))
    source = generated(lsq, args)
    assert "np.full" not in source, source
    s2sad.check_grads(lsq, args)


def test_narrow_broadcasts_into_accumulators():
    assert narrowed("""
        d = np.full_like(x, g)
        dacc[i] += d
    """, {"d"}, accumulators={"dacc"}) == "dacc[i] += g"
    assert narrowed("""
        d = np.full_like(x, g)
        add_at(dacc, idx, d)
    """, {"d"}, accumulators={"dacc"}) == "add_at(dacc, idx, g)"


def test_narrow_broadcasts_inside_a_loop():
    assert narrowed("""
        for t in range(n):
            d = np.full_like(x, g[t])
            dx = dx + d * x
    """, {"d"}) == "for t in range(n):\n    dx = dx + g[t] * x"


@pytest.mark.parametrize("text,read_once", [
    ("d = np.full_like(x, g)\ndx = d * y", {"d"}),              # y's shape may differ
    ("d = np.full_like(x, g)\ndx = d + x", {"d"}),              # not a product
    ("d = np.full_like(x, g)\ndx = d * d * x", {"d"}),          # d twice in the product
    ("d = np.full_like(x, g)\ndx = d * x\ndy = d * x", set()),  # read twice
    ("d = np.full_like(x, g)\ndz = 2.0\ndx = d * x", {"d"}),    # not read right after
    ("d = np.full_like(x, g)\ndother[i] += d", {"d"}),          # not an accumulator
])
def test_narrow_broadcasts_keeps_the_array_otherwise(text, read_once):
    assert narrowed(text, read_once, accumulators={"dacc"}) == text


# --- copies of accumulators ---------------------------------------------------------------

def test_copy_kept_when_the_accumulator_is_written_afterwards():
    assert optimised("""
        dv = 0.0
        dv = dv + dh[t]
        dh[t] = 0.0
    """, {"dv", "dh"}, accumulators={"dh"}, live=("dv", "dh")) == \
        "dv = dh[t].copy()\ndh[t] = 0.0"


def test_copy_kept_when_a_later_branch_writes_the_accumulator():
    text = optimised("""
        dv = 0.0
        dv = dv + dh[t]
        dq = dq + dv * 2.0
        if c:
            add_at(dh, i, g)
    """, {"dv", "dh", "dq"}, accumulators={"dh"}, live=("dq", "dh"))
    assert text.startswith("dv = dh[t].copy()")


def test_copy_dropped_when_nothing_writes_the_accumulator_afterwards():
    assert optimised("""
        dv = 0.0
        dv = dv + dh[t]
        dq = dq + dv * 2.0
    """, {"dv", "dh", "dq"}, accumulators={"dh"}, live=("dq", "dh")) == \
        "dv = dh[t]\ndq = dq + dv * 2.0"


def test_copy_kept_in_a_loop_whose_body_writes_the_accumulator_earlier():
    """The write comes first in the body, but the next trip runs it after the copy."""
    text = optimised("""
        dq = 0.0
        for t in range(n):
            dh[t] = dh[t] + g
            dv = 0.0
            dv = dv + dh[t]
            dq = dq + dv * 2.0
    """, {"dv", "dh", "dq"}, accumulators={"dh"}, live=("dq", "dh"))
    assert "    dv = dh[t].copy()" in text.splitlines()


def test_copy_kept_in_a_loop_when_the_accumulator_is_written_after_the_loop():
    text = optimised("""
        dq = 0.0
        for t in range(n):
            dv = 0.0
            dv = dv + dh[t]
            dq = dq + dv * 2.0
        dh[0] = 0.0
    """, {"dv", "dh", "dq"}, accumulators={"dh"}, live=("dq", "dh"))
    assert "    dv = dh[t].copy()" in text.splitlines()


def test_copy_dropped_in_a_loop_that_never_writes_the_accumulator():
    text = optimised("""
        dq = 0.0
        for t in range(n):
            dv = 0.0
            dv = dv + dh[t]
            dq = dq + dv * 2.0
    """, {"dv", "dh", "dq"}, accumulators={"dh"}, live=("dq", "dh"))
    assert "    dv = dh[t]" in text.splitlines()
    assert ".copy()" not in text


def test_copy_through_unbroadcast_kept():
    assert optimised("""
        dv = 0.0
        dv = dv + unbroadcast(dh, v)
        dh[0] += 1.0
    """, {"dv", "dh"}, accumulators={"dh"}, live=("dv", "dh")).startswith(
        "dv = unbroadcast(dh, v).copy()")


def test_rnn_gradients_with_accumulated_rows():
    args = (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3)), rng.normal(size=3))
    s2sad.check_grads(P.rnn, args, wrt=(0, 1, 2))


# --- broadcasting sums inlined -----------------------------------------------------------

def test_broadcasting_sums_inlined_for_each_operand_shape():
    n, d = 6, 3
    args = (rng.normal(size=(n, d)), rng.normal(size=d), rng.normal(size=(n, 1)),
            rng.normal(size=(1, d)))
    source = generated(P.broadcast_operands, args, wrt=(0, 1, 2, 3))
    assert "unbroadcast" not in source
    assert re.search(r"^\s*db = [\w.]+\.sum\(axis=0\)$", source, re.MULTILINE), source
    assert re.search(r"^\s*dc = .+\.sum\(axis=1, keepdims=True\)$", source, re.MULTILINE)
    assert re.search(r"^\s*dr = -\w+\.sum\(axis=0, keepdims=True\)$", source, re.MULTILINE)
    assert re.search(r"^\s*dX = \w+$", source, re.MULTILINE)      # the full shape: no sum
    s2sad.check_grads(P.broadcast_operands, args, wrt=(0, 1, 2, 3))


def test_broadcasting_sums_with_a_single_row():
    """n = 1: X, c and r have one row; c is (1, 1), r is stretched nowhere."""
    args = (rng.normal(size=(1, 3)), rng.normal(size=3), rng.normal(size=(1, 1)),
            rng.normal(size=(1, 3)))
    source = generated(P.broadcast_operands, args, wrt=(0, 1, 2, 3))
    assert "unbroadcast" not in source
    assert re.search(r"^\s*dc = .+\.sum\(axis=1, keepdims=True\)$", source, re.MULTILINE)
    assert re.search(r"^\s*dr = -\w+$", source, re.MULTILINE), source
    s2sad.check_grads(P.broadcast_operands, args, wrt=(0, 1, 2, 3))


@pytest.mark.parametrize("k", [1, 3])
def test_broadcasting_sum_left_to_the_helper_where_kinds_cannot_tell(k):
    X, r = rng.normal(size=(4, 3)), rng.normal(size=(1, 3))
    assert "unbroadcast(" in generated(P.sliced_plus_row, (X, r, k), wrt=(0, 1))
    s2sad.check_grads(P.sliced_plus_row, (X, r, k), wrt=(0, 1))


def test_bias_gradient_is_the_column_sum():
    X, b = rng.normal(size=(5, 3)), rng.normal(size=3)
    db = s2sad.grad(P.bias_tanh_loss, wrt=1)(X, b)
    t = np.tanh(X + b)
    assert np.allclose(db, (2 * t * (1 - t * t)).sum(axis=0))


# --- reductions without keepdims: the reduced axes put back as g[:, None] ---------------

@pytest.mark.parametrize("f,x_shape,w_shape,index", [
    (P.row_means, (5, 4), (5,), "[:, None]"),
    (P.row_maxes, (5, 4), (5,), "[:, None]"),
    (P.row_means, (2, 3, 4), (2, 4), "[:, None, :]"),
    (P.row_maxes, (2, 3, 4), (2, 4), "[:, None, :]"),
    (P.middle_and_outer_means, (2, 3, 4), (3,), "[None, :, None]"),
], ids=lambda c: getattr(c, "__name__", None) if callable(c) else None)
def test_reduced_axes_restored(f, x_shape, w_shape, index):
    x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
    source = generated(f, (x, w))
    assert index in source
    assert "restore_axes" not in source and "expand_reduced" not in source
    s2sad.check_grads(f, (x, w), wrt=(0, 1))


def test_row_means_gradient_is_analytic():
    x, w = rng.normal(size=(5, 4)), rng.normal(size=5)
    assert np.allclose(s2sad.grad(P.row_means)(x, w), np.repeat(w[:, None] / 4, 4, axis=1))


def test_mean_divides_by_the_reduced_length():
    x, w = rng.normal(size=(2, 3, 4)), rng.normal(size=3)
    source = generated(P.middle_and_outer_means, (x, w))
    assert "x.shape[0] * x.shape[2]" in source
    assert "reduced_count" not in source


# --- cotangents zero on some paths only ------------------------------------------------------

def test_while_loop_whose_last_product_is_never_read():
    W, x = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(2, 3))
    for n in (0, 1, 3):
        s2sad.check_grads(P.while_iterates, (W, x, n), wrt=(0, 1))
    assert "np.zeros_like(" in generated(P.while_iterates, (W, x, 2), wrt=(0, 1))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_while_loop_overwriting_a_product(n):
    args = (rng.normal(size=(3, 2)), rng.normal(size=(2, 2)), rng.normal(size=(4, 3)),
            rng.normal(size=(4, 3)), n)
    s2sad.check_grads(P.while_overwritten, args, wrt=(0, 1, 2, 3))


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_product_in_if_elif(mode):
    args = (rng.normal(size=(3, 2)), rng.normal(size=(2, 2)), rng.normal(size=(4, 3)), mode)
    s2sad.check_grads(P.product_in_if_elif, args, wrt=(0, 1, 2))
    assert "np.zeros_like(z)" in generated(P.product_in_if_elif, args, wrt=(0, 1, 2))
