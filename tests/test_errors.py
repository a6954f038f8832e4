"""Every refusal is a TransformError naming the user's file and line."""
import inspect

import numpy as np
import pytest

import s2sad
from tests import bad_programs as B


def marked_line(function, mark: str) -> int:
    lines, first = inspect.getsourcelines(function)
    for offset, text in enumerate(lines):
        if f"MARK: {mark}" in text:
            return first + offset
    raise AssertionError(f"no MARK: {mark} in {function.__name__}")


UNSUPPORTED = [
    (B.uses_try, "try", "try/except"),
    (B.uses_with, "with", "'with'"),
    (B.uses_yield, "yield", "generators"),
    (B.uses_global, "global", "'global'"),
    (B.uses_nested_class, "class", "class definitions"),
    (B.uses_star_args, "starred", "starred"),
    (B.uses_lambda, "lambda", "lambda"),
    (B.uses_comprehension, "setcomp", "set comprehensions"),
    (B.writes_through_flat, "flat", "by name and index only"),
]


@pytest.mark.parametrize("function,mark,what", UNSUPPORTED, ids=[u[1] for u in UNSUPPORTED])
def test_unsupported_syntax_names_file_line_and_fix(function, mark, what):
    with pytest.raises(s2sad.TransformError) as info:
        s2sad.grad(function)(1.0)
    message = str(info.value)
    assert what in message
    assert B.__file__ in message
    assert f"line {marked_line(function, mark)}" in message
    assert f"MARK: {mark}" in message      # the line's own text is shown
    assert "Hint:" in message


def test_missing_rule_names_function_line_and_registration():
    with pytest.raises(s2sad.TransformError) as info:
        s2sad.grad(B.unknown_function)(np.ones(4))
    message = str(info.value)
    assert "numpy.fft.fft" in message and "s2sad.defvjp" in message
    assert f"line {marked_line(B.unknown_function, 'norule')}" in message


def test_call_to_unresolvable_name():
    with pytest.raises(s2sad.TransformError, match="cannot tell which function 'helper'") as info:
        s2sad.grad(B.opaque_call)(1.0, abs)
    assert f"line {marked_line(B.opaque_call, 'unresolved')}" in str(info.value)


def test_a_function_defined_inside_that_calls_itself_is_refused():
    with pytest.raises(s2sad.TransformError, match="recursive") as info:
        s2sad.grad(B.local_recursion)(1.5)
    assert f"line {marked_line(B.local_recursion, 'local recursion')}" in str(info.value)


def test_a_helper_in_a_while_condition_is_refused():
    with pytest.raises(s2sad.TransformError, match="'while' condition") as info:
        s2sad.grad(B.helper_in_while_condition)(1.5)
    assert f"line {marked_line(B.helper_in_while_condition, 'while')}" in str(info.value)


def test_a_helper_s2sad_cannot_read_is_reported_at_its_own_line():
    with pytest.raises(s2sad.TransformError, match="try/except") as info:
        s2sad.grad(B.calls_helper_with_try)(1.5)
    assert f"line {marked_line(B.helper_with_try, 'try')}" in str(info.value)
    assert "helper_with_try" in str(info.value)


def test_vector_output_points_to_vjp():
    with pytest.raises(TypeError, match="vjp"):
        s2sad.grad(B.vector_output)(np.ones(3))


def test_missing_return_says_so():
    with pytest.raises(TypeError, match="returned None"):
        s2sad.grad(B.no_return)(1.0)


def test_wrt_errors():
    with pytest.raises(ValueError, match="names no parameter"):
        s2sad.grad(B.vector_output, wrt="y")
    with pytest.raises(ValueError, match="out of range"):
        s2sad.grad(B.vector_output, wrt=3)
    with pytest.raises(TypeError):
        s2sad.grad(B.vector_output, wrt=1.5)


def test_integer_argument_is_not_differentiated():
    from tests.programs import geometric
    with pytest.raises(s2sad.TransformError, match="integer"):
        s2sad.grad(geometric, wrt="n")(0.5, 3)


def test_varargs_and_async_are_refused():
    with pytest.raises(s2sad.TransformError, match=r"\*args"):
        s2sad.grad(B.has_varargs)(1.0)
    with pytest.raises(s2sad.TransformError):
        s2sad.grad(B.coroutine)(1.0)


def test_unreadable_source():
    namespace = {}
    exec("def made_by_exec(x):\n    return x * x\n", namespace)
    with pytest.raises(s2sad.TransformError, match="cannot read the source"):
        s2sad.grad(namespace["made_by_exec"])
    with pytest.raises(s2sad.TransformError, match="only differentiate Python functions"):
        s2sad.grad(np.sin)


@pytest.mark.parametrize("function", [f for f, _, _ in UNSUPPORTED] + [B.unknown_function])
def test_no_internal_errors_leak(function):
    try:
        s2sad.grad(function)(np.ones(3))
    except s2sad.TransformError:
        pass


@pytest.mark.parametrize("program, mark", [(B.augmented_through_a_view, "view"),
                                           (B.augmented_through_an_alias, "alias"),
                                           (B.augmented_then_viewed, "later view")])
def test_augmented_assignment_into_shared_memory_is_refused(program, mark):
    with pytest.raises(s2sad.TransformError, match="may share memory") as info:
        s2sad.grad(program)(np.array([0.3, 1.7, -0.4]))
    assert f"line {marked_line(program, mark)}" in str(info.value)


@pytest.mark.parametrize("program, mark, args", [
    (B.writes_through_an_alias, "alias write", (np.array([1.0, 2.0]),)),
    (B.writes_under_a_view, "under a view", (np.array([1.0, 2.0, 3.0]), np.ones(2))),
    (B.writes_in_an_inner_loop, "inner loop write", (np.array([1.0, 2.0]),)),
])
def test_a_write_that_changes_another_name_read_later_is_refused(program, mark, args):
    with pytest.raises(s2sad.TransformError, match="shares its memory") as info:
        s2sad.grad(program)(*args)
    assert f"line {marked_line(program, mark)}" in str(info.value)
