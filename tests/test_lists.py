"""Lists built in the function: grown at run time (a stacked cotangent, appends undone
by pops), or split into variables where the code is unrolled; comprehensions and
generator expressions written out as loops.  Every gradient against finite
differences."""
import numpy as np
import pytest

import s2sad

rng = np.random.default_rng(11)
x3 = rng.normal(size=3)
W33 = rng.normal(size=(3, 3)) * 0.5


# --- lists grown in loops over range(T) ------------------------------------------

def rnn_states(x, W, T):
    hs = []
    h = x
    for t in range(T):
        h = np.tanh(W @ h + 0.1 * t)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2) + np.sum(hs[-1])


def chain_on_last(x, W, T):
    hs = [x]
    for _ in range(T):
        hs.append(np.sin(W @ hs[-1]))
    return np.sum(hs[-1] ** 2) + np.sum(np.stack(hs))


def read_back_by_index(x, T):
    vals = []
    for t in range(T):
        vals.append(x * (t + 1.0))
    total = 0.0
    for t in range(T):
        total = total + np.sum(vals[t] * vals[T - 1 - t])
    return total


def scalars_in_a_list(q, n):
    terms = []
    s = 1.0
    for _ in range(n):
        s = s * q
        terms.append(s)
    return sum(terms)


def append_in_a_branch(x, T):
    kept = []
    for t in range(T):
        if t % 2 == 0:
            kept.append(np.exp(x * t * 0.1))
        else:
            kept.append(x * x)
    return np.mean(np.array(kept))


def iterate_the_list(x, T):
    hs = []
    for t in range(T):
        hs.append(np.cos(x + t))
    total = 0.0
    for h in hs:
        total = total + np.sum(h * h)
    for h in reversed(hs):
        total = total * 0.5 + np.sum(h)
    return total


def slice_of_a_list(x, T):
    hs = []
    for t in range(T):
        hs.append(x ** 2 * t)
    rest = hs[1:]
    return np.sum(np.stack(rest)) + len(rest)


def list_literal_read_by_variable(x, i):
    options = [x, 2.0 * x, np.sin(x)]
    return np.sum(options[i] * options[i])


def list_rebuilt_every_iteration(x, T):
    total = 0.0
    for t in range(T):
        pair = [x * t, np.sin(x)]
        total = total + np.sum(pair[0] * pair[1])
    return total


@pytest.mark.parametrize("f,args,wrt", [
    (rnn_states, (x3, W33, 4), (0, 1)),
    (rnn_states, (x3, W33, 1), (0, 1)),
    (chain_on_last, (x3, W33, 3), (0, 1)),
    (chain_on_last, (x3, W33, 0), (0, 1)),
    (read_back_by_index, (x3, 4), 0),
    (scalars_in_a_list, (0.9, 6), 0),
    (append_in_a_branch, (x3, 5), 0),
    (iterate_the_list, (x3, 3), 0),
    (slice_of_a_list, (x3, 4), 0),
    (list_literal_read_by_variable, (x3, 0), 0),
    (list_literal_read_by_variable, (x3, 2), 0),
    (list_rebuilt_every_iteration, (x3, 3), 0),
], ids=lambda v: getattr(v, "__name__", None))
def test_lists_grown_at_run_time(f, args, wrt):
    s2sad.check_grads(f, args, wrt=wrt)
    value, _ = s2sad.value_and_grad(f, wrt=wrt)(*args)
    assert value == pytest.approx(f(*args))


def test_no_derivative_leaks_through_an_empty_list():
    assert s2sad.grad(scalars_in_a_list)(0.9, 0) == 0.0


def test_a_list_argument_is_not_changed_by_appends():
    start = [np.ones(3)]
    s2sad.check_grads(lambda_free_list_argument, (x3, [np.ones(3)]))
    s2sad.grad(lambda_free_list_argument)(x3, start)
    assert len(start) == 1


def lambda_free_list_argument(x, start):
    grown = list(start)
    grown.append(x)
    return np.sum(np.array(grown) ** 2)


def running_sums(x, T):
    hs = []
    total = 0.0
    for t in range(T):
        hs.append(np.sin(x * t))
        total = total + np.sum(np.concatenate(hs) ** 2)   # reads the list so far
    return total


def test_appends_are_undone_where_the_list_is_read_again():
    s2sad.check_grads(running_sums, (x3, 4))
    source = s2sad.grad(running_sums).source
    assert "hs.append(np.sin(" in source and "hs.pop()" in source
    assert "dhs = list_cotangent(hs)" in source and "dhs[:-1]" in source
    assert "appended" not in source
    assert "hs.pop()" not in s2sad.grad(rnn_states).source   # nothing reads hs back


def test_items_of_different_shapes_are_refused_with_a_message():
    def ragged(x, T):
        parts = []
        for t in range(T):
            parts.append(x[:t + 1] * 2.0)
        return sum(np.sum(p) for p in parts)
    with pytest.raises(ValueError, match="must all have the same shape"):
        s2sad.grad(ragged)(x3, 3)


# --- lists built where the code is unrolled: split into variables -----------------

def penalties(weights):
    terms = []
    for W in weights:
        terms.append(np.sum(W ** 2))
    return sum(terms)


def layer_outputs(params, x):
    outs = []
    h = x
    for name in ["a", "b"]:
        h = np.tanh(params[name] @ h)
        outs.append(h)
    return np.sum(outs[0]) + np.sum(outs[1] ** 2)


def test_lists_grown_in_unrolled_code_hold_any_shapes():
    weights = [rng.normal(size=(2, 3)), rng.normal(size=4), rng.normal(size=(3, 3))]
    s2sad.check_grads(penalties, (weights,))
    params = {"a": rng.normal(size=(4, 3)), "b": rng.normal(size=(2, 4))}
    s2sad.check_grads(layer_outputs, (params, x3))
    derivative = s2sad.grad(penalties)
    derivative(weights)
    assert "list_cotangent" not in derivative.source and "tape" not in derivative.source


# --- comprehensions and generator expressions -------------------------------------

def sum_of_squares(x):
    return sum(xi ** 2 for xi in x)


def weight_decay(weights, lam):
    return lam * sum([np.sum(W * W) for W in weights])


def polynomial(coefficients, t):
    return sum(c * t ** k for k, c in enumerate(coefficients))


def filtered(x):
    return np.sum(np.array([v * v for v in x if v > 0.0]))


def nested(A):
    rows = [[A[i, j] * (i + 1) for j in range(A.shape[1])] for i in range(A.shape[0])]
    return np.sum(np.array(rows) ** 2)


def scaled_params(params, s):
    scaled = {k: v * s for k, v in params.items()}
    return np.sum(scaled["W"] ** 2) + np.sum(scaled["b"])


def shadowing(x):
    ys = [x * k for k in range(3)]   # k is the comprehension's own; so is x below
    zs = [np.sin(x) for x in ys]
    k = 2.0
    return np.sum(np.stack(zs)) * k + np.sum(x)


def two_lists_zipped(xs, ys):
    return sum(np.sum(a * b) for a, b in zip(xs, ys))


def largest_term(x):
    return max(v ** 2 for v in [x, 2.0 * x, -3.0 * x])


def helper_builds_a_list(x):
    return np.sum(np.stack(powers(x, 4)))


def powers(x, n):
    return [x ** k for k in range(1, n + 1)]


@pytest.mark.parametrize("f,args", [
    (sum_of_squares, (x3,)),
    (weight_decay, ([rng.normal(size=(2, 2)), rng.normal(size=3)], 0.1)),
    (polynomial, (np.array([1.0, -2.0, 0.5]), 0.7)),
    (filtered, (np.array([0.5, -1.0, 2.0]),)),
    (nested, (rng.normal(size=(2, 3)),)),
    (scaled_params, ({"W": rng.normal(size=(2, 2)), "b": rng.normal(size=2)}, 1.5)),
    (shadowing, (x3,)),
    (two_lists_zipped, ([x3, x3 * 2], [np.ones(3), x3])),
    (largest_term, (0.8,)),
    (helper_builds_a_list, (x3,)),
], ids=lambda v: getattr(v, "__name__", None))
def test_comprehensions(f, args):
    for wrt in range(len(args)):
        if isinstance(args[wrt], int):
            continue
        s2sad.check_grads(f, args, wrt=wrt)
    value, _ = s2sad.value_and_grad(f)(*args)
    assert value == pytest.approx(f(*args))


def test_a_comprehension_in_a_while_condition_is_refused():
    def f(x):
        while sum(v for v in x) < 10.0:
            x = x * 2.0
        return np.sum(x)
    with pytest.raises(s2sad.TransformError, match="while condition"):
        s2sad.grad(f)(x3)


# --- found by a trial as a new user -------------------------------------------------

def append_pairs(x, n):
    states = []
    for t in range(n):
        states.append((x * t, np.sin(x * t)))
    total = np.sum(states[-1][0]) + np.sum(states[-1][1])
    for a, b in states:
        total = total + np.sum(a * b)
    return total


def two_whole_reads(x, n):
    outs = [x * (i + 1) for i in range(n)]
    return np.sum(np.stack(outs)) + np.sum(np.stack(outs) ** 2) + np.mean(np.array(outs))


def assign_an_item(x, n):
    outs = []
    for i in range(n):
        outs.append(x * i)
    outs[0] = np.sin(x)
    return np.sum(np.stack(outs) ** 2)


def enumerate_reversed(x, n):
    hs = [x * (i + 1.0) for i in range(n)]
    s = 0.0
    for t, h in enumerate(reversed(hs)):
        s = s + t * np.sum(h ** 2)
    return s


def list_copies(A):
    rows = list(A)
    again = list(rows)
    return np.sum(again[0] * rows[1])


def grown_by_concatenation(x, n):
    outs = []
    for i in range(n):
        outs = outs + [x * i]
        outs += [x ** 2]
    outs.extend([x * 3.0, np.cos(x)])
    outs.extend(outs[:2])
    return np.sum(np.stack(outs) ** 2)


def sorted_values(x):
    vals = [x[0] * 2.0, x[1] ** 2, np.sin(x[2])]
    return sorted(vals)[0] * 3.0 + sorted(vals, reverse=True)[0]


def filtered_dict_of_parameters(params):
    weights = {k: v for k, v in params.items() if k.startswith("W")}
    return np.sum(weights["W1"] ** 2) + sum(np.sum(v) for v in weights.values())


@pytest.mark.parametrize("f,args", [
    (append_pairs, (x3, 3)), (two_whole_reads, (x3, 1)), (two_whole_reads, (x3, 3)),
    (assign_an_item, (x3, 3)), (enumerate_reversed, (x3, 3)),
    (list_copies, (rng.normal(size=(2, 3)),)), (grown_by_concatenation, (x3, 2)),
    (sorted_values, (x3,)),
    (filtered_dict_of_parameters, ({"W1": rng.normal(size=(2, 2)), "b": x3, "W2": x3},)),
], ids=lambda v: getattr(v, "__name__", None))
def test_more_ways_to_build_and_read_lists(f, args):
    s2sad.check_grads(f, args)


def test_a_dict_filled_at_run_time_is_refused_with_a_message():
    def f(x, n):
        d = {i: x * i for i in range(n)}
        return np.sum(d[1])
    with pytest.raises(s2sad.TransformError, match="filled at run time"):
        s2sad.grad(f)(x3, 3)


def whole_list_reads(x, T):
    hs = []
    for t in range(T):
        hs.append(np.sin(x * (t + 1.0)))
    copied = tuple(list(hs))
    return (np.sum(np.asarray(hs) ** 2) + np.sum(np.array(hs, ndmin=3) * x)
            + np.sum(np.stack(copied, axis=1) ** 3) + np.sum(sum(hs) ** 2))


def test_every_way_of_reading_a_list_whole_answers_in_rows():
    s2sad.check_grads(whole_list_reads, (x3, 3))
    source = s2sad.grad(whole_list_reads).source
    assert "stacked_cotangent(" in source and "np.moveaxis(" in source
    assert "tuple(np.moveaxis" not in source and "unbroadcast_each" not in source


def test_a_dict_comprehension_filled_at_run_time_is_named_in_the_message():
    def f(x):
        ys = [np.sin(x * k) for k in range(1, 4)]
        d = {f"k{i}": y for i, y in enumerate(ys)}
        return np.sum(d["k0"])
    with pytest.raises(s2sad.TransformError, match="the dict 'd' filled at run time"):
        s2sad.grad(f)(x3)


def test_map_is_refused_with_a_hint_to_write_a_comprehension():
    def f(x):
        return np.sum(np.stack(list(map(np.sin, [x, 2 * x]))))
    with pytest.raises(s2sad.TransformError, match="through map") as info:
        s2sad.grad(f)(x3)
    assert "comprehension" in str(info.value)


# --- found by a review ---------------------------------------------------------------

def window_over_the_last_two(x, n):
    hs = [x]
    total = 0.0
    for i in range(n):
        w = hs[-2:]
        h = np.tanh(np.mean(np.stack(w), axis=0) + 0.1 * i)
        hs.append(h)
        total = total + np.sum(h)
    return total


def stacked_under_the_same_name(x, n):
    hs = []
    for i in range(n):
        hs.append(np.sin(x * (i + 1.0)))
    hs = np.stack(hs)
    return np.sum(hs ** 2)


def pair_from_branches(x):
    if np.sum(x) > 0:
        return x, np.sum(x)
    return x * 2.0, np.sum(x) * 2.0


def tuple_from_a_helper(x):
    a, b = pair_from_branches(x)
    r = pair_from_branches(x * 3.0)
    if isinstance(r, tuple):
        b = b + r[1]
    return np.sum(a ** 2) + b


def rebound_pair_in_a_loop(x, n):
    pair = (x, 0.0)
    for t in range(n):
        pair = (np.sin(pair[0]) * t, pair[1] + np.sum(pair[0]))
    return np.sum(pair[0]) + pair[1]


def sum_with_a_larger_start(x, n):
    hs = []
    for i in range(n):
        hs.append(np.sin(x * (i + 1.0)))
    return np.sum(sum(hs, np.ones((2, 3))) ** 2)


def grows_its_list_argument(x, items):
    items.append(x * 2.0)
    return np.sum(np.stack(items) ** 2)


@pytest.mark.parametrize("f,args", [
    (window_over_the_last_two, (x3, 3)), (stacked_under_the_same_name, (x3, 3)),
    (tuple_from_a_helper, (x3,)), (tuple_from_a_helper, (-x3 - 1.0,)),
    (rebound_pair_in_a_loop, (x3, 3)), (sum_with_a_larger_start, (x3, 3)),
], ids=lambda v: getattr(v, "__name__", None))
def test_lists_and_tuples_the_review_found(f, args):
    s2sad.check_grads(f, args)
    value, _ = s2sad.value_and_grad(f)(*args)
    assert value == pytest.approx(f(*args))


@pytest.mark.parametrize("length", [2, 70])   # split into variables, or a list at run time
def test_a_list_argument_grown_by_the_function(length):
    items = [np.full(3, 0.5)] * length
    s2sad.check_grads(grows_its_list_argument, (x3, items), wrt=(0, 1) if length == 2 else 0)
    assert len(items) == length


def second_name(x, n):
    a = []
    b = a
    for i in range(n):
        b.append(x * (i + 1.0))
    return np.sum(np.stack(a) ** 2)


def append_as_a_value(x, n):
    hs = []
    [hs.append(x * i) for i in range(n)]
    return np.sum(np.stack(hs) ** 2)


def append_then_change_in_place(x, n):
    hs = []
    h = x * 1.0
    for _ in range(n):
        hs.append(h)
        h += x
    return np.sum(np.stack(hs) ** 2)


def inner_list_grown_after(x, n):
    rows = []
    row = []
    for i in range(n):
        rows.append(row)
        row.append(x * i)
    return np.sum(np.array(rows[0]))


@pytest.mark.parametrize("f,message", [
    (second_name, "second name for the list 'a'"),
    (append_as_a_value, "only as a statement of its own"),
    (append_then_change_in_place, "may share memory with 'hs'"),
    (inner_list_grown_after, "goes into the list 'rows'"),
])
def test_lists_seen_through_two_names_are_refused(f, message):
    with pytest.raises(s2sad.TransformError, match=message):
        s2sad.grad(f)(x3, 3)
