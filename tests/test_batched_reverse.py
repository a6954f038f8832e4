"""`jacobian(mode="reverse")` pulls every basis vector of the output back in one call:
batched forward mode over the gradient of `<f(x), cotangent>`, which is linear in the
cotangent.  On every program the rule and construct tests differentiate, it agrees
with one pullback per output entry; where it is refused it falls back to those."""
import copy

import numpy as np
import pytest

import s2sad
from s2sad import higher
from tests.test_batched import CASES, float_positions


def pulled_at_once(program, args, i):
    out = program(*copy.deepcopy(args))
    return higher._pulled_at_once(program, copy.deepcopy(args), i, np.asarray(out))


def single_output(program, args) -> bool:
    out = program(*copy.deepcopy(args))
    return not isinstance(out, (tuple, list, dict)) and np.ndim(out) <= 2


def one_pullback_per_output_entry(program, args, i):
    out, pullback = s2sad.vjp(program, *copy.deepcopy(args))
    out = np.asarray(out)
    rows = []
    for e in np.eye(out.size, dtype=out.dtype if np.iscomplexobj(out) else float):
        rows.append(np.asarray(pullback(e.reshape(out.shape) if out.ndim else e[0])[i]))
    return np.stack(rows).reshape(out.shape + np.shape(args[i]))


@pytest.mark.parametrize("program, args, wrt", CASES,
                         ids=lambda v: getattr(v, "__name__", None))
def test_a_batch_of_cotangents_agrees_with_one_pullback_per_output_entry(program, args, wrt):
    if not single_output(program, args):
        return
    for i in float_positions(program, args, wrt):
        found = pulled_at_once(program, args, i)
        if found is None:   # refused: jacobian pulls the entries back one by one
            continue
        expected = one_pullback_per_output_entry(program, args, i)
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-10)


def test_most_programs_take_a_batch_of_cotangents():
    taken = refused = 0
    for program, args, wrt in CASES:
        if not single_output(program, args):
            continue
        for i in float_positions(program, args, wrt):
            if pulled_at_once(program, args, i) is None:
                refused += 1
            else:
                taken += 1
    assert taken > 0.9 * (taken + refused), (taken, refused)


W = np.random.default_rng(3).normal(size=(12, 40))   # more rows than _FEW_ROWS


def layer(x):
    return np.tanh(W @ x) * np.sum(x ** 2)


def rolled_flat(x):   # np.roll of a matrix without an axis flattens: no batch form,
    return np.roll(np.outer(x[:5], x), 3)[::2, 0]   # so its rows are pulled one by one


def scaled_in_place(x):   # NumPy would change the caller's x: s2sad must not
    z = x
    z *= np.sum(x)
    return np.tanh(W @ z)


@pytest.mark.parametrize("f", [layer, rolled_flat, scaled_in_place])
def test_the_reverse_jacobian_matches_finite_differences(f):
    x = np.random.default_rng(4).normal(size=40)
    kept = x.copy()
    found = s2sad.jacobian(f, mode="reverse")(x)
    np.testing.assert_array_equal(x, kept)
    eps = 1e-6
    expected = np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps)
                         for e in np.eye(x.size)], -1)
    np.testing.assert_allclose(found, expected, rtol=1e-6, atol=1e-8)


def test_one_call_pulls_every_row_back():
    x = np.random.default_rng(4).normal(size=40)
    assert pulled_at_once(layer, (x,), 0) is not None
    assert pulled_at_once(rolled_flat, (x,), 0) is None
