"""Emission (astor and the ast.unparse fallback) and the transform cache."""
import importlib.util
import threading
import traceback

import numpy as np
import pytest

import s2sad
from s2sad import api, emit
from tests import programs as P


@pytest.fixture
def count_transforms(monkeypatch):
    calls = []
    original = api.reverse_transform

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(api, "reverse_transform", counting)
    return calls


def fresh_module():
    """tests/programs.py loaded again: new function objects with the same source."""
    global _loads
    _loads += 1
    spec = importlib.util.spec_from_file_location(f"programs_copy_{_loads}", P.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fresh_function():
    return fresh_module().triple_square


_loads = 0


@pytest.mark.parametrize("force_unparse", [False, True], ids=["astor", "ast.unparse"])
def test_both_printers_give_the_same_derivative(monkeypatch, force_unparse):
    monkeypatch.setattr(emit, "FORCE_AST_UNPARSE", force_unparse)
    d = s2sad.grad(P.break_continue)
    assert d(1.3, 20) == pytest.approx(s2sad.grad(P.break_continue)(1.3, 20))
    s2sad.check_grads(P.nested_loops, (1.1, 3, 4))
    compile(d.source, "<generated>", "exec")


def test_fallback_when_astor_fails(monkeypatch):
    import astor

    def broken(*args, **kwargs):
        raise AttributeError("module 'ast' has no attribute 'Num'")

    monkeypatch.setattr(astor, "to_source", broken)
    text = emit.to_source(P_tree())
    assert "def f(x):" in text


def P_tree():
    import gast
    return gast.parse("def f(x):\n    return x + 1\n").body


def test_transform_once_per_function_wrt_and_kind(count_transforms):
    module = fresh_module()
    d = s2sad.grad(module.power_sum)
    for _ in range(3):
        d(np.ones(3))
    assert len(count_transforms) == 1
    d(np.ones((2, 2)))                      # another ndim: another specialisation
    assert len(count_transforms) == 2
    s2sad.grad(module.power_sum)(np.ones(4))    # a new grad object shares the cache
    assert len(count_transforms) == 2
    s2sad.grad(module.two_args, wrt=1)(1.0, 2.0)
    s2sad.grad(module.two_args, wrt=0)(1.0, 2.0)
    assert len(count_transforms) == 4


def test_redefining_a_function_gives_a_new_transform(count_transforms):
    first, second = fresh_function(), fresh_function()
    assert s2sad.grad(first)(2.0) == pytest.approx(12.0)
    assert s2sad.grad(second)(2.0) == pytest.approx(12.0)
    assert len(count_transforms) == 2


def test_many_threads_transform_once(count_transforms):
    d = s2sad.grad(fresh_function())
    barrier = threading.Barrier(8)
    results = []

    def call():
        barrier.wait()
        results.append(d(1.5))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [pytest.approx(9.0)] * 8
    assert len(count_transforms) == 1


def test_closure_variables_are_seen_live():
    scale = 2.0

    def scaled(x):
        return scale * x * x

    d = s2sad.grad(scaled)
    assert d(3.0) == pytest.approx(12.0)
    scale = 5.0  # noqa: F841  (read through the closure cell)
    assert d(3.0) == pytest.approx(30.0)


def test_errors_inside_generated_code_show_the_generated_line():
    d = s2sad.grad(P.shifted)
    with pytest.raises(TypeError) as info:
        d(object())   # no kind to refuse it by: it fails in the generated code
    text = "".join(traceback.format_exception(info.value))
    assert "s2sad generated shifted" in text
