"""Each pass alone, on small before/after snippets."""
import math
import textwrap

import gast
import numpy as np

from s2sad.analysis import varied_names
from s2sad.kinds import FLOAT_SCALAR, INT_SCALAR, infer_kinds, kind
from s2sad.anf import to_anf
from s2sad.astutil import NameGenerator, all_names
from s2sad.emit import to_source
from s2sad.normalise import normalise
from s2sad.optimise import AdjointOptimiser, simplify
from s2sad.source import FunctionSource


def source_of(text: str) -> FunctionSource:
    text = textwrap.dedent(text)
    namespace = {"np": np, "math": math}
    exec(text, namespace)
    tree = gast.parse(text).body[0]
    func = namespace[tree.name]
    return FunctionSource(func, tree, "<snippet>", 1, text.splitlines())


def show(stmts) -> str:
    return to_source(stmts).strip()


def normalised(text: str) -> str:
    src = source_of(text)
    return show(normalise(src, NameGenerator(all_names(src.tree))).body)


def test_augmented_assignment_and_swap():
    assert normalised("""
        def f(a, b):
            a += b
            a, b = b, a
            return a
    """) == "a = a + b\n_t1 = b\n_t2 = a\na = _t1\nb = _t2\nreturn a"


def test_enumerate_becomes_indexing():
    assert normalised("""
        def f(xs):
            s = 0.0
            for i, x in enumerate(xs):
                s = s + i * x
            return s
    """) == "s = 0.0\nfor i in range(len(xs)):\n    x = xs[i]\n    s = s + i * x\nreturn s"


def test_continue_moves_the_rest_into_else():
    assert normalised("""
        def f(x, n):
            for i in range(n):
                if i == 2:
                    continue
                x = x * 2
            return x
    """) == ("for i in range(n):\n    if i == 2:\n        pass\n    else:\n"
             "        x = x * 2\nreturn x")


def test_return_in_a_loop_becomes_flag_and_break():
    text = normalised("""
        def f(x, n):
            for i in range(n):
                if x > 3:
                    return x
                x = x * 2
            return -x
    """)
    assert "_returned1 = True\n        break" in text
    assert "if _returned1:\n    pass\nelse:\n    _result1 = -x" in text
    assert text.endswith("return _result1")


def anf(text: str, wrt: set) -> str:
    src = source_of(text)
    names = NameGenerator(all_names(src.tree))
    tree = normalise(src, names)
    return show(to_anf(tree, varied_names(tree.body, wrt, src), src, names).body)


def test_anf_splits_only_active_expressions():
    assert anf("""
        def f(W, h, x, t):
            y = np.tanh(W @ h + x[t + 1] * 2.0)
            return y
    """, {"W"}) == "_t1 = W @ h\n_t2 = _t1 + x[t + 1] * 2.0\ny = np.tanh(_t2)\nreturn y"


def test_anf_keeps_own_output_apart():
    assert anf("""
        def f(x):
            x = np.exp(x)
            return x
    """, {"x"}) == "_t1 = np.exp(x)\nx = _t1\nreturn x"


def test_anf_counts_while_trips():
    text = anf("""
        def f(x):
            while x < 10.0:
                x = x * 2.0
            return x
    """, {"x"})
    assert text.startswith("_trips1 = 0\nwhile x < 10.0:\n    _trips1 = _trips1 + 1")


def test_kinds():
    src = source_of("""
        def f(A, v, n):
            w = A @ v
            s = np.sum(w)
            k = len(v)
            r = v[n]
            return s
    """)
    kinds = infer_kinds(src.tree.body, {"A": kind(2), "v": kind(1), "n": INT_SCALAR}, src)
    assert kinds["w"] == kind(1) and kinds["s"] == FLOAT_SCALAR
    assert kinds["k"] == INT_SCALAR and kinds["r"] == FLOAT_SCALAR


def test_simplify_drops_unbroadcast_for_scalars_and_folds_constants():
    expr = gast.parse("unbroadcast(g * 2 * x ** (2 - 1), x)").body[0].value
    kinds = {"x": FLOAT_SCALAR, "g": FLOAT_SCALAR}

    def kind_of(node):
        return kinds.get(getattr(node, "id", None))

    assert show([gast.Expr(value=simplify(expr, kind_of, FLOAT_SCALAR))]) == "g * 2 * x"
    vector = gast.parse("unbroadcast(g, x)").body[0].value
    assert show([gast.Expr(value=simplify(vector, kind_of, kind(1)))]) == "g.sum()"


def optimised(text: str, adjoints: set, accumulators=frozenset(), live=("dq",)) -> str:
    stmts = gast.parse(textwrap.dedent(text)).body
    return show(AdjointOptimiser(adjoints, set(accumulators)).run(stmts, set(live)))


def test_first_contribution_assigns_and_dead_zeros_go():
    assert optimised("""
        d_t1 = 0.0
        dq = 0.0
        for _ in range(n):
            d_t1 = d_t1 + ds
            s = tape.pop()
            ds = 0.0
            dq = dq + d_t1 * s
            ds = ds + d_t1 * q
            d_t1 = 0.0
    """, {"d_t1", "ds", "dq"}) == ("dq = 0.0\nfor _ in range(n):\n    s = tape.pop()\n"
                                   "    dq = dq + ds * s\n    ds = ds * q")


def test_accumulators_are_never_aliased():
    text = optimised("""
        dv = 0.0
        dv = dv + dh[t]
        dh[t] = 0.0
    """, {"dv", "dh"}, accumulators={"dh"}, live=("dv", "dh"))
    assert "dv = dv + dh[t]" in text or "dv = dh[t].copy()" in text


def test_zero_cotangent_contributions_disappear():
    assert optimised("""
        dy = 0.0
        dq = 0.0
        dq = dq + dy * 3.0
    """, {"dy", "dq"}) == "dq = 0.0"


def test_continue_guards_a_long_rest_with_a_flag_instead_of_copying_it():
    src = source_of("""
        def f(x, n):
            for i in range(n):
                if i > 2:
                    if i > 5:
                        continue
                    x = x + 1.0
                x = x * 2.0
                x = x * 3.0
                x = x * 4.0
                x = x * 5.0
            return x
    """)
    text = show(normalise(src, NameGenerator(all_names(src.tree))).body)
    assert text.count("x = x * 5.0") == 1
    assert "_skip1 = True" in text and "if _skip1:" in text
