"""What the generated code pushes, and that it stays lean."""
import re

import numpy as np

import s2sad
from tests import programs as P


def generated(function, *args, wrt=0):
    d = s2sad.grad(function, wrt=wrt)
    d(*args)
    return d.source


def test_geometric_pushes_one_value_per_iteration_and_calls_no_helper_in_loops():
    text = generated(P.geometric, 0.5, 10)
    assert text.count("tape.append(") == 1 and "tape.append(s)" in text
    assert text.count("tape.pop()") == 1
    loops = re.findall(r"    for .*?(?=\n    \S|\Z)", text, flags=re.S)
    assert len(loops) == 2
    for loop in loops:
        calls = set(re.findall(r"(\w[\w.]*)\(", loop)) - {"range", "reversed", "tape.append",
                                                          "tape.pop"}
        assert not calls, calls


def test_every_push_has_a_pop():
    for function, args, wrt in [(P.break_continue, (1.3, 20), 0),
                                (P.early_return, (0.5, 5), 0),
                                (P.nested_loops, (1.1, 3, 4), 0),
                                (P.index_accumulate, (0.7, 4), 0),
                                (P.rnn, (np.eye(3), np.ones((4, 3)), np.ones(3)), (0, 1, 2))]:
        text = generated(function, *args, wrt=wrt)
        assert text.count("tape.append(") == text.count("tape.pop()"), text


def test_no_tape_without_loops():
    text = generated(P.branches, 2.0, 1.0)
    assert "tape" not in text


def test_loop_invariant_values_are_not_pushed():
    # q is read by the adjoint but never overwritten: nothing to save
    assert "tape.append(q)" not in generated(P.geometric, 0.5, 10)


def test_in_place_writes_save_only_the_overwritten_part():
    text = generated(P.index_accumulate, 0.7, 4)
    assert "tape.append(a)" not in text and ".copy()" not in text   # one number each
    rows = generated(P.row_accumulate, np.array([0.7, -0.2]), 4)
    assert "tape.append(a)" not in rows and "a[i].copy()" in rows   # one row each
    s2sad.check_grads(P.row_accumulate, (np.array([0.7, -0.2]), 4))


def test_tape_is_local_to_each_call():
    text = generated(P.geometric, 0.5, 3)
    assert "    tape = []" in text
    d = s2sad.grad(P.geometric)
    # re-entrant: a derivative call inside another's arguments
    assert d(d(0.5, 3) / 10.0, 3) == s2sad.grad(P.geometric)(0.275, 3)


def test_adjoint_blocks_name_the_users_line():
    text = generated(P.geometric, 0.5, 10)
    assert "        # s = 1.0 + q * s\n        s = tape.pop()" in text


def test_branch_decisions_are_not_pushed_when_the_branch_has_no_adjoint():
    text = generated(P.break_continue, 1.3, 20)
    assert "tape" not in text    # s > 5.0 only decides a break; nothing to reverse there


def test_loop_invariant_values_computed_in_the_loop_are_not_pushed():
    text = generated(P.invariant_in_loop, 0.7, 1.3, 4, wrt=(0, 1))
    assert "tape.append(d)" not in text and "tape.append(x)" in text


def test_temporaries_of_an_iteration_are_saved_together_at_its_end():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(4, 4)) * 0.3, rng.normal(size=(4, 4)) * 0.3,
            rng.normal(size=(5, 4)), rng.normal(size=4))
    text = generated(P.gated_rnn, *args, wrt=(0, 1, 2, 3))
    assert text.count("tape.append(") == 2          # h, and one tuple of temporaries
    assert "tape.append((_t1, _t4, _t5, gate, _t9, _t11))" in text
    assert "= None" not in text
    s2sad.check_grads(P.gated_rnn, args, wrt=(0, 1, 2, 3))


def test_values_read_only_for_their_shape_are_not_saved():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(4, 4)) * 0.3, rng.normal(size=(3, 4)) * 0.3, np.zeros(4),
            rng.normal(size=4), rng.normal(size=(5, 3)))
    text = generated(P.rnn_loss, *args, wrt=(0, 1, 2, 3))
    assert text.count("tape.append(") == 1          # h: the kinds tell every shape
    s2sad.check_grads(P.rnn_loss, args, wrt=(0, 1, 2, 3))
