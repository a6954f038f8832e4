"""Kinds: ndim, integer dtype, and which axes have length 1 - and the cache keyed on them."""
import gast
import numpy as np
import pytest

import s2sad
from s2sad.astutil import NameGenerator, all_names
from s2sad.kinds import (FLOAT_SCALAR, INT_SCALAR, MAX_LEAVES, UNKNOWN, Structure,
                         broadcast_ones, infer_kinds, kind, kind_of_key, kind_of_value,
                         matmul_kind, reduced_axes, unbroadcast_axes)
from s2sad.normalise import normalise
from tests import programs as P
from tests.test_passes import source_of

F, T, U = False, True, None   # an axis of length other than 1, of length 1, unknown


def full(ndim: int, integer: bool = False):
    """An array of `ndim` axes, none of length 1."""
    return kind(ndim, integer, (F,) * ndim)


def kinds_of(text: str, params: dict) -> dict:
    src = source_of(text)
    tree = normalise(src, NameGenerator(all_names(src.tree)))
    return infer_kinds(tree.body, params, src)


def expr(text: str):
    return gast.parse(text).body[0].value


# --- kind_of_key ---------------------------------------------------------------------

@pytest.mark.parametrize("shape,ones", [
    ((5, 3), (F, F)), ((5, 1), (F, T)), ((1, 3), (T, F)), ((1, 1), (T, T)),
    ((7,), (F,)), ((1,), (T,)), ((2, 1, 4), (F, T, F)), ((0, 3), (F, F)), ((), ()),
])
def test_kind_of_key_reduces_lengths_to_whether_they_are_one(shape, ones):
    assert kind_of_key(kind_of_value(np.zeros(shape))) == kind(len(shape), False, ones)


def test_kind_of_key_of_integer_and_boolean_arrays():
    assert kind_of_key(kind_of_value(np.arange(4))) == kind(1, True, (F,))
    # a boolean array is a mask, not an index array
    assert kind_of_key(kind_of_value(np.zeros((2, 1), dtype=bool))) == kind(2, "bool", (F, T))
    assert kind_of_key(kind_of_value(np.zeros(3, dtype=np.float32))) == kind(1, False, (F,))


def test_kind_of_key_of_scalars_and_others():
    assert kind_of_key(kind_of_value(2.5)) == FLOAT_SCALAR
    assert kind_of_key(kind_of_value(np.float64(2.5))) == FLOAT_SCALAR
    assert kind_of_key(kind_of_value(3)) == INT_SCALAR
    assert kind_of_key(kind_of_value(True)) == INT_SCALAR
    assert kind_of_key(kind_of_value(FLOAT_SCALAR)) == UNKNOWN   # some other object
    assert kind_of_key(FLOAT_SCALAR) is FLOAT_SCALAR


def test_containers_are_keyed_by_their_structure():
    key = kind_of_value({"W": np.ones((2, 3)), "b": [np.ones(3), 1.0]})
    assert isinstance(key, Structure) and key.keys == ("W", "b")
    assert [path for path, _ in key.leaves()] == [("W",), ("b", 0), ("b", 1)]
    assert kind_of_value({"W": np.ones((4, 3)), "b": [np.ones(3), 2.0]}) != key   # shapes
    assert kind_of_value(list(range(MAX_LEAVES + 1))) == UNKNOWN   # too long: left alone
    assert kind_of_value({(1, 2): 1.0}) == UNKNOWN                 # keys s2sad cannot write


def test_shapes_differing_only_in_lengths_other_than_one_share_a_kind():
    key = kind_of_key
    assert key(kind_of_value(np.zeros((5, 3)))) == key(kind_of_value(np.zeros((7, 2))))
    assert key(kind_of_value(np.zeros((5, 3)))) != key(kind_of_value(np.zeros((1, 3))))
    assert key(kind_of_value(np.zeros((5, 3)))) != key(kind_of_value(np.zeros((5, 3, 2))))


def test_kind_always_has_one_fact_per_axis():
    assert kind(2) == kind(2, False, (U, U))
    assert kind(2, ones=(T,)) == kind(2)          # a wrong length means: unknown
    assert kind(None).ones is None and kind(-1) == UNKNOWN
    assert kind(2, ones=(F, T)).join(kind(2, ones=(T, T))) == kind(2, ones=(U, T))
    assert kind(2, ones=(F, T)).join(kind(1, ones=(F,))) == UNKNOWN
    assert kind(1, True).join(kind(1, False)) == kind(1, False)


# --- broadcast_ones ------------------------------------------------------------------

@pytest.mark.parametrize("shapes,expected", [
    ([(F, F), (F,)], (F, F)),           # (n, d) + (d,)
    ([(F, T), (T, F)], (F, F)),         # (n, 1) * (1, d)
    ([(F, T), (F, T)], (F, T)),         # (n, 1) + (n, 1)
    ([(T, F), (F,)], (T, F)),           # (1, d) + (d,): the missing axis counts as 1
    ([(T, T), ()], (T, T)),             # with a scalar
    ([(F,), ()], (F,)),
    ([(U,), (F,)], (F,)),               # an axis not 1 on either side decides
    ([(U,), (T,)], (U,)),
    ([(U, T), (T, T)], (U, T)),
    ([(T, F, T), (F, T)], (T, F, T)),
    ([], ()),
])
def test_broadcast_ones(shapes, expected):
    assert broadcast_ones(shapes) == expected


# --- matmul_kind ---------------------------------------------------------------------

@pytest.mark.parametrize("a,b,expected", [
    (full(2), full(2), full(2)),                                        # (n, k) @ (k, m)
    (kind(2, ones=(T, F)), full(2), kind(2, ones=(T, F))),              # (1, k) @ (k, m)
    (full(2), kind(2, ones=(F, T)), kind(2, ones=(F, T))),              # (n, k) @ (k, 1)
    (kind(2, ones=(F, T)), kind(2, ones=(T, F)), full(2)),              # (n, 1) @ (1, m)
    (full(2), full(1), full(1)),                                        # (n, k) @ (k,)
    (kind(2, ones=(T, F)), full(1), kind(1, ones=(T,))),                # (1, k) @ (k,)
    (full(1), full(2), full(1)),                                        # (k,) @ (k, m)
    (full(1), kind(2, ones=(F, T)), kind(1, ones=(T,))),                # (k,) @ (k, 1)
    (full(1), full(1), kind(0)),                                        # a dot product
    (full(3), full(2), full(3)),                                        # batched
    (kind(3, ones=(T, F, F)), full(3), full(3)),                        # batch 1 stretched
    (kind(3, ones=(T, F, F)), kind(3, ones=(T, F, F)), kind(3, ones=(T, F, F))),
    (full(2), kind(2), kind(2, ones=(F, U))),
])
def test_matmul_kind(a, b, expected):
    assert matmul_kind(a, b) == expected


def test_matmul_kind_of_scalars_unknowns_and_integers():
    assert matmul_kind(FLOAT_SCALAR, full(2)) == UNKNOWN
    assert matmul_kind(UNKNOWN, full(2)) == UNKNOWN
    assert matmul_kind(None, full(2)) is None
    assert matmul_kind(full(2, True), full(2, True)).integer
    assert not matmul_kind(full(2, True), full(2)).integer


def test_matmul_kinds_match_numpy():
    rng = np.random.default_rng(1)
    for a_shape, b_shape in [((4, 3), (3, 2)), ((1, 3), (3, 2)), ((4, 3), (3, 1)),
                             ((4, 1), (1, 5)), ((3,), (3, 2)), ((3,), (3, 1)),
                             ((4, 3), (3,)), ((1, 3), (3,)), ((2, 4, 3), (3, 5)),
                             ((1, 4, 3), (6, 3, 2))]:
        a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
        expected = kind_of_key(kind_of_value(np.asarray(a @ b)))
        assert matmul_kind(kind_of_key(kind_of_value(a)), kind_of_key(kind_of_value(b))) \
            == expected, (a_shape, b_shape)


# --- unbroadcast_axes ----------------------------------------------------------------

@pytest.mark.parametrize("out,x,expected", [
    (full(2), full(1), (1, ())),                              # bias (d,) added to (n, d)
    (full(2), kind(2, ones=(F, T)), (0, (1,))),               # (n, 1)
    (full(2), kind(2, ones=(T, F)), (0, (0,))),               # (1, d)
    (full(2), kind(2, ones=(T, T)), (0, (0, 1))),             # (1, 1)
    (full(2), full(2), (0, ())),                              # nothing stretched
    (full(3), kind(2, ones=(T, F)), (1, (0,))),
    (kind(2, ones=(T, F)), kind(2, ones=(T, F)), (0, ())),    # 1 and 1: not stretched
    (full(2), FLOAT_SCALAR, (2, ())),
    (kind(2, ones=(U, F)), kind(2, ones=(T, F)), None),       # was the 1 stretched?
    (full(1), kind(1), None),                                 # is x's axis 1?
    (full(1), full(2), None),                                 # x has more axes
    (UNKNOWN, full(1), None),
    (full(1), UNKNOWN, None),
])
def test_unbroadcast_axes(out, x, expected):
    assert unbroadcast_axes(out, x) == expected


def test_unbroadcast_axes_sum_to_the_operand_shape():
    rng = np.random.default_rng(2)
    for out_shape, x_shape in [((4, 3), (3,)), ((4, 3), (4, 1)), ((4, 3), (1, 3)),
                               ((2, 4, 3), (1, 3)), ((2, 4, 3), (4, 1)), ((4, 3), ())]:
        g = rng.normal(size=out_shape)
        leading, stretched = unbroadcast_axes(kind_of_key(kind_of_value(g)),
                                              kind_of_key(kind_of_value(np.zeros(x_shape))))
        summed = g.sum(axis=tuple(range(leading)))
        summed = summed.sum(axis=stretched, keepdims=True) if stretched else summed
        assert summed.shape == x_shape
        expected = g
        while expected.ndim > len(x_shape):
            expected = expected.sum(axis=0)
        for axis, n in enumerate(x_shape):
            if n == 1:
                expected = expected.sum(axis=axis, keepdims=True)
        assert np.allclose(summed, expected)


# --- reduced_axes --------------------------------------------------------------------

def test_reduced_axes_of_literal_axes():
    assert reduced_axes(expr("1"), 2) == (1,)
    assert reduced_axes(expr("(2, 0)"), 3) == (0, 2)
    assert reduced_axes(gast.Constant(value=-1, kind=None), 2) == (1,)


def test_reduced_axes_refuses_what_it_cannot_tell():
    assert reduced_axes(expr("2"), 2) is None        # out of range
    assert reduced_axes(expr("True"), 2) is None     # a bool is no axis
    assert reduced_axes(expr("k"), 2) is None        # not a literal
    assert reduced_axes(expr("1"), None) is None     # ndim unknown
    assert reduced_axes(expr("(0, k)"), 2) is None


def test_reduced_axes_of_negative_axes_as_written():
    """`axis=-1` in source is USub(1), not Constant(-1): it must still count as literal."""
    assert reduced_axes(expr("-1"), 2) == (1,)
    assert reduced_axes(expr("(0, -1)"), 3) == (0, 2)


# --- infer_kinds on snippets -----------------------------------------------------------

def test_broadcasting_kinds():
    k = kinds_of("""
        def f(X, b, c, r, s):
            y = X + b
            z = c * r
            w = c + c
            v = r + b
            t = X * 2.0
            u = s + c
            return y
    """, {"X": full(2), "b": full(1), "c": kind(2, ones=(F, T)),
          "r": kind(2, ones=(T, F)), "s": FLOAT_SCALAR})
    assert k["y"] == full(2)                       # (n, d) + (d,)
    assert k["z"] == full(2)                       # (n, 1) * (1, d)
    assert k["w"] == kind(2, ones=(F, T))
    assert k["v"] == kind(2, ones=(T, F))          # (1, d) + (d,)
    assert k["t"] == full(2)
    assert k["u"] == kind(2, ones=(F, T))


def test_matmul_and_transpose_kinds():
    k = kinds_of("""
        def f(A, B, v, c):
            w = A @ B
            u = A @ v
            p = v @ A
            q = v @ v
            o = A @ c
            t = A.T
            tc = c.T
            return w
    """, {"A": full(2), "B": full(2), "v": full(1), "c": kind(2, ones=(F, T))})
    assert k["w"] == full(2) and k["u"] == full(1) and k["p"] == full(1)
    assert k["q"] == kind(0)
    assert k["o"] == kind(2, ones=(F, T))
    assert k["t"] == full(2)
    assert k["tc"] == kind(2, ones=(T, F))


def test_indexing_kinds():
    k = kinds_of("""
        def f(X, x, i, idx):
            col = x[:, None]
            row = x[None]
            first = X[0]
            element = x[0]
            part = X[1:3]
            column = X[:, 1]
            each = X[:, None, :]
            chosen = X[idx]
            at_i = X[i]
            last = X[-1]
            return col
    """, {"X": full(2), "x": full(1), "i": INT_SCALAR, "idx": kind(1, True)})
    assert k["col"] == kind(2, ones=(F, T))
    assert k["row"] == kind(2, ones=(T, F))
    assert k["first"] == full(1)
    assert k["element"] == FLOAT_SCALAR
    assert k["part"] == kind(2, ones=(U, F))        # X[1:3] may have length 1
    assert k["column"] == full(1)
    assert k["each"] == kind(3, ones=(F, T, F))
    assert k["chosen"] == kind(2, ones=(U, F))      # as many rows as idx has entries
    assert k["at_i"] == full(1)
    assert k["last"] == full(1)


def test_boolean_mask_kinds():
    """X[X > 0] is one-dimensional whatever X's ndim (a boolean mask, not integers)."""
    k = kinds_of("""
        def f(X, x):
            picked = X[X > 0.0]
            kept = x[x > 0.0]
            return picked
    """, {"X": full(2), "x": full(1)})
    assert k["picked"].ndim in (1, None)
    assert k["kept"].ndim in (1, None)


def test_reduction_kinds():
    k = kinds_of("""
        def f(X, c):
            total = np.sum(X)
            rows = np.sum(X, axis=1)
            rows_kept = np.sum(X, axis=1, keepdims=True)
            cols_kept = np.max(X, axis=0, keepdims=True)
            both_kept = np.mean(X, keepdims=True)
            both = np.sum(X, axis=(0, 1))
            method = X.max(axis=1, keepdims=True)
            method_rows = X.mean(axis=0)
            of_column = np.sum(c, axis=0)
            positional = np.sum(X, 0)
            return total
    """, {"X": full(2), "c": kind(2, ones=(F, T))})
    assert k["total"] == FLOAT_SCALAR
    assert k["rows"] == full(1)
    assert k["rows_kept"] == kind(2, ones=(F, T))
    assert k["cols_kept"] == kind(2, ones=(T, F))
    assert k["both_kept"] == kind(2, ones=(T, T))
    assert k["both"] == kind(0)
    assert k["method"] == kind(2, ones=(F, T))
    assert k["method_rows"] == full(1)
    assert k["of_column"] == kind(1, ones=(T,))
    assert k["positional"] == full(1)


def test_reduction_kinds_with_negative_axes():
    k = kinds_of("""
        def f(X):
            last_kept = np.max(X, axis=-1, keepdims=True)
            method_kept = X.max(axis=-1, keepdims=True)
            last = np.sum(X, axis=-1)
            return last
    """, {"X": full(2)})
    assert k["last_kept"] == kind(2, ones=(F, T))
    assert k["method_kept"] == kind(2, ones=(F, T))
    assert k["last"] == full(1)


def test_constructor_kinds():
    k = kinds_of("""
        def f(n):
            a = np.zeros((3, 1))
            b = np.ones((1, n))
            c = np.zeros(1)
            d = np.zeros(n)
            e = np.zeros((2, 3), dtype=float)
            return a
    """, {"n": INT_SCALAR})
    assert k["a"] == kind(2, ones=(F, T))
    assert k["b"] == kind(2, ones=(T, U))
    assert k["c"] == kind(1, ones=(T,))
    assert k["d"] == kind(1, ones=(U,))
    assert k["e"] == full(2)


def test_kinds_join_where_paths_meet():
    k = kinds_of("""
        def f(x, flag, n):
            if flag:
                y = np.zeros((3, 1))
            else:
                y = np.zeros((3, 4))
            h = x
            for i in range(n):
                h = h[None]
            return y
    """, {"x": full(1), "flag": INT_SCALAR, "n": INT_SCALAR})
    assert k["y"] == kind(2, ones=(F, U))
    assert k["h"].ndim is None      # 1, 2, 3 ... axes: unknown
    assert k["i"] == INT_SCALAR


def test_kinds_of_integers_and_comparisons():
    k = kinds_of("""
        def f(x, idx):
            a = idx * 2
            b = idx / 2
            c = x > 0.0
            d = len(x)
            e = x.shape
            return a
    """, {"x": full(1), "idx": full(1, True)})
    assert k["a"] == full(1, True)
    assert k["b"] == full(1, False)
    assert k["c"] == full(1, "bool")   # a mask, not an index array
    assert k["d"] == INT_SCALAR


# --- the derivative cache --------------------------------------------------------------

def _grad_transforms(f) -> int:
    cache = f.__dict__.get("__s2sad_cache__", {})
    return sum(1 for key in cache if isinstance(key, tuple) and key[0] == "grad")


def test_one_transform_per_kind_not_per_shape():
    f = P.bias_tanh_loss
    f.__dict__.pop("__s2sad_cache__", None)
    rng = np.random.default_rng(3)
    b = rng.normal(size=3)
    d = s2sad.grad(f)
    shapes = [(5, 3), (7, 3)]
    for shape in shapes:
        X = rng.normal(size=shape)
        dX = d(X, b)
        assert np.allclose(dX, 2 * np.tanh(X + b) * (1 - np.tanh(X + b) ** 2))
        s2sad.check_grads(f, (X, b), wrt=0)   # the same wrt: the same cache entries
    assert _grad_transforms(f) == 1
    first_source = d.source

    X = rng.normal(size=(1, 3))     # a length that is 1: a new specialisation
    dX = d(X, b)
    assert np.allclose(dX, 2 * np.tanh(X + b) * (1 - np.tanh(X + b) ** 2))
    s2sad.check_grads(f, (X, b), wrt=0)
    assert _grad_transforms(f) == 2
    assert d.source and first_source

    d(rng.normal(size=(4, 3)), b)   # back to lengths other than 1: no new transform
    assert _grad_transforms(f) == 2


def test_boolean_mask_then_reduction_over_axis_0():
    X = np.random.default_rng(4).normal(size=(4, 3))
    s2sad.check_grads(P.masked_mean, (X,))


def test_numpy_and_math_constants_are_floats():
    found = kinds_of("def f(x):\n    y = np.pi * x\n    z = math.e + y\n    return z",
                     {"x": FLOAT_SCALAR})
    assert found["y"] == FLOAT_SCALAR and found["z"] == FLOAT_SCALAR
