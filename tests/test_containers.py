"""Dicts, lists and tuples given as arguments: split into their leaves, loops over them
unrolled, gradients returned in the same structure."""
import numpy as np
import pytest

import s2sad

rng = np.random.default_rng(9)


def init(sizes=(3, 4, 2)):
    return {"W1": rng.normal(size=sizes[:2]) * 0.5, "b1": rng.normal(size=sizes[1]),
            "W2": rng.normal(size=sizes[1:]) * 0.5, "b2": rng.normal(size=sizes[2])}


def forward(params, X):
    h = np.tanh(X @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def mse(params, X, y):
    return np.mean((forward(params, X) - y) ** 2)


def test_a_dict_of_parameters_gets_a_dict_of_gradients():
    params, X, y = init(), rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    s2sad.check_grads(mse, (params, X, y))
    derivative = s2sad.grad(mse)
    gradient = derivative(params, X, y)
    assert isinstance(gradient, dict) and list(gradient) == ["W1", "b1", "W2", "b2"]
    assert all(gradient[k].shape == params[k].shape for k in params)
    source = derivative.source
    assert "W1 = params['W1']" in source and "h = np.tanh(X @ W1 + b1)" in source
    assert "return {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}" in source


def test_value_and_grad_with_a_dict_and_another_structure_next():
    params, X, y = init(), rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    value, gradient = s2sad.value_and_grad(mse)(params, X, y)
    assert value == pytest.approx(mse(params, X, y))
    smaller = {k: v[..., :1] if k in ("W2", "b2") else v for k, v in params.items()}
    other = s2sad.grad(mse)(smaller, X, y[:, :1])   # other shapes, same code or new
    assert other["W2"].shape == (4, 1)


def stacked(layers, x):
    for W, b in layers:
        x = np.tanh(x @ W + b)
    penalty = 0.0
    for i in range(len(layers)):
        penalty = penalty + np.sum(layers[i][0] ** 2)
    for i, (W, b) in enumerate(layers):
        penalty = penalty + i * np.sum(b ** 2)
    for (W, _), scale in zip(layers, reversed(layers)):
        penalty = penalty + np.sum(W) * np.sum(scale[1])
    return np.sum(x) + 0.1 * penalty


def test_loops_over_a_list_of_layers_are_unrolled():
    layers = [(rng.normal(size=(3, 3)), rng.normal(size=3)),
              (rng.normal(size=(3, 2)), rng.normal(size=2))]
    s2sad.check_grads(stacked, (layers, rng.normal(size=(4, 3))), wrt=(0, 1))
    gradient = s2sad.grad(stacked)(layers, rng.normal(size=(4, 3)))
    assert isinstance(gradient, list) and isinstance(gradient[0], tuple)
    assert gradient[1][0].shape == (3, 2)


def last_layer_apart(layers, x):
    h = x
    for W, b in layers[:-1]:
        h = np.tanh(W @ h + b)
    W, b = layers[-1]   # the names the loop bound, rebound: the layers stay as they are
    return W @ h + b


def test_names_a_loop_over_layers_bound_are_rebound_after_it():
    layers = [(rng.normal(size=(4, 3)), rng.normal(size=4)),
              (rng.normal(size=(2, 4)), rng.normal(size=2))]
    x = rng.normal(size=3)
    out, pullback = s2sad.vjp(last_layer_apart, layers, x)
    g = rng.normal(size=2)
    cotangents = pullback(g)
    forward = s2sad.jacobian(last_layer_apart, wrt=1, mode="forward")(layers, x)
    np.testing.assert_allclose(cotangents[1], g @ forward, rtol=1e-10)
    assert cotangents[0][1][1].shape == (2,) and cotangents[0][0][1].shape == (4,)
    np.testing.assert_allclose(cotangents[0][1][1], g)


def nested(tree, scale):
    total = 0.0
    for name, value in tree["leaves"].items():
        total = total + np.sum(value ** 2) * scale
    for key in tree["leaves"]:
        total = total + np.sum(tree["leaves"][key])
    for value in tree["leaves"].values():
        total = total * 0.5 + np.sum(np.sin(value))
    return total + tree["bias"] * len(tree["leaves"])


def test_nested_dicts_items_keys_and_values():
    tree = {"leaves": {"a": rng.normal(size=3), "b": rng.normal(size=(2, 2))}, "bias": 0.3}
    s2sad.check_grads(nested, (tree, 1.5), wrt=(0, 1))
    gradient = s2sad.grad(nested)(tree, 1.5)
    assert set(gradient) == {"leaves", "bias"} and isinstance(gradient["bias"], float)


def polynomial(coefficients, x):
    return np.sum(np.array(coefficients) * x ** np.arange(len(coefficients)))


def test_a_container_used_whole_is_made_again_from_its_items():
    coefficients = [0.5, -1.0, 2.0]
    s2sad.check_grads(polynomial, (coefficients, 0.7), wrt=(0, 1))
    gradient = s2sad.grad(polynomial)(coefficients, 0.7)
    assert isinstance(gradient, list) and len(gradient) == 3


def variable_key(params, key):
    return np.sum(params[key])


def breaks_out(layers):
    s = 0.0
    for W in layers:
        if np.sum(W) > 0:
            break
        s = s + np.sum(W)
    return s


def missing_key(params):
    return np.sum(params["W3"])


@pytest.mark.parametrize("function, args, message", [
    (variable_key, ({"W": np.ones(2)}, "W"), "constant keys"),
    (breaks_out, ([np.ones(2), np.ones(2)],), "break"),
    (missing_key, ({"W": np.ones(2)},), "no item 'W3'"),
])
def test_containers_used_in_ways_s2sad_cannot_split_are_refused(function, args, message):
    with pytest.raises(s2sad.TransformError, match=message):
        s2sad.grad(function)(*args)


def writes_into_its_dict(params, x):
    params["W"] = params["W"] * 2.0
    params["b"] += 1.0
    return np.sum(np.tanh(x @ params["W"] + params["b"]))


def test_writing_into_a_container_argument_leaves_the_callers_unchanged():
    params = {"W": rng.normal(size=(2, 2)), "b": rng.normal(size=2)}
    before = {k: v.copy() for k, v in params.items()}
    x = rng.normal(size=(3, 2))
    gradient = s2sad.grad(writes_into_its_dict)(params, x)
    assert all(np.array_equal(before[k], params[k]) for k in params)
    t = np.tanh(x @ (2 * params["W"]) + params["b"] + 1.0)
    np.testing.assert_allclose(gradient["W"], 2 * x.T @ (1 - t * t))
    s2sad.check_grads(writes_into_its_dict, (params, x))


def layer_output(params, x):
    return np.tanh(x @ params["W"] + params["b"])


def test_vjp_with_a_dict_primal_gives_a_dict_cotangent():
    params, x = {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=3)}, rng.normal(size=(4, 2))
    out, pullback = s2sad.vjp(layer_output, params, x)
    np.testing.assert_allclose(out, layer_output(params, x))
    cotangent = rng.normal(size=(4, 3))
    d_params, d_x = pullback(cotangent)
    inner = cotangent * (1 - out * out)
    np.testing.assert_allclose(d_params["W"], x.T @ inner)
    np.testing.assert_allclose(d_params["b"], inner.sum(axis=0))
    np.testing.assert_allclose(d_x, inner @ params["W"].T)


KEY = "W"


def keys_that_are_constant(layers, params):
    return np.sum(layers[-1]) + np.sum(params[KEY])


def test_negative_indices_and_module_constants_are_constant_keys():
    layers, params = [rng.normal(size=2), rng.normal(size=3)], {"W": rng.normal(size=2)}
    d_layers, d_params = s2sad.grad(keys_that_are_constant, wrt=(0, 1))(layers, params)
    np.testing.assert_array_equal(d_layers[0], 0.0)
    np.testing.assert_array_equal(d_layers[1], 1.0)
    np.testing.assert_array_equal(d_params["W"], 1.0)


def sum_over_dict(p):
    s = 0.0
    for k in p:
        s = s + p[k]
    for v in p.values():
        s = s + v * v
    return np.sum(s)


def calls_a_helper_looping_over_a_dict(p):
    return sum_over_dict(p)


def test_a_helper_looping_over_a_dict_argument():
    s2sad.check_grads(calls_a_helper_looping_over_a_dict, ({"a": 1.0, "b": rng.normal(size=2)},))


def first_times_two(p):
    return np.sum(p[0] * 2.0)


def tuple_key(p):
    return p[(1, 2)] * 2.0


Pair = __import__("collections").namedtuple("Pair", "a b")


@pytest.mark.parametrize("argument", [
    {(1, 2): 0.5},                                      # a key s2sad cannot write
    __import__("collections").OrderedDict(b=1.5),       # not a plain dict
    Pair(2.0, 3.0),                                     # not a plain tuple
    [1.0] * 65,                                         # too many items
], ids=["tuple-key", "OrderedDict", "namedtuple", "65-items"])
def test_containers_s2sad_cannot_split_are_refused_clearly(argument):
    function = tuple_key if isinstance(argument, dict) and (1, 2) in argument else first_times_two
    with pytest.raises(s2sad.TransformError, match="splits plain dicts, lists and tuples"):
        s2sad.grad(function)(argument)


def leaf_rebound_in_a_loop_and_branch(params, x):
    W = params["W"]
    if x[0] > 0:
        W = W * 2.0
    for _ in range(3):
        W = W * 1.5
    return np.sum(x @ W)


def item_chosen_in_a_branch(layers, c):
    if c > 0:
        layer = layers[0]
    else:
        layer = layers[1]
    return np.sum(layer)


def test_names_for_items_in_loops_and_branches():
    s2sad.check_grads(leaf_rebound_in_a_loop_and_branch,
                      ({"W": rng.normal(size=(2, 2))}, np.array([1.0, 2.0])))
    with pytest.raises(s2sad.TransformError, match="cannot tell which part"):
        s2sad.grad(item_chosen_in_a_branch)([[1.0, 2.0], [3.0, 4.0]], 1.0)


def local_containers(x, W):
    layers = [(W, x), (W * 2.0, x + 1.0)]
    s = 0.0
    for A, b in layers:
        s = s + np.sum(np.tanh(A @ b))
    pair = (np.sin(x), np.cos(x))
    named = {"a": x * 3.0, "b": np.exp(x)}
    x = x * 0.0   # the literals keep the values they took
    return s + np.sum(np.stack(pair)) + np.sum(named["a"] * named["b"]) + len(layers) \
        + pair[-1][0]


def coefficients_read_by_a_variable(x):
    coefficients = [1.0, -2.0, 3.0]
    s = 0.0
    for i in range(3):
        s = s + coefficients[i] * x ** i
    return s


def test_lists_tuples_and_dicts_written_in_the_function():
    s2sad.check_grads(local_containers, (rng.normal(size=2), rng.normal(size=(2, 2))),
                      wrt=(0, 1))
    s2sad.check_grads(coefficients_read_by_a_variable, (0.7,))


def batch_loss(batch, w):
    return np.sum((batch["X"] @ w - batch["y"]) ** 2)


def test_containers_of_arrays_of_other_lengths_share_one_transform(monkeypatch):
    from s2sad import api
    made = []
    original = api.reverse_transform
    monkeypatch.setattr(api, "reverse_transform", lambda *a, **k: made.append(1) or
                        original(*a, **k))
    derivative = s2sad.grad(batch_loss, wrt=1)
    for n in range(2, 6):
        X, y, w = rng.normal(size=(n, 3)), rng.normal(size=n), rng.normal(size=3)
        np.testing.assert_allclose(derivative({"X": X, "y": y}, w), 2 * X.T @ (X @ w - y))
    assert len(made) == 1


# --- returning dicts, lists and nests of them (vjp) -----------------------------------

def layer_report(x, W):
    h = np.tanh(W @ x)
    return {"h": h, "stats": (np.sum(h), [h * 2.0, x])}


def branch_report(x, W):
    if np.sum(x) > 0.0:
        return [W @ x, {"norm": np.sum(x * x)}]
    return [W.T @ x, {"norm": np.sum(np.abs(x))}]


def test_vjp_of_a_function_returning_a_nest_takes_a_cotangent_of_that_shape():
    x, W = rng.normal(size=3), rng.normal(size=(3, 3))
    out, pullback = s2sad.vjp(layer_report, x, W)
    expected = layer_report(x, W)
    np.testing.assert_allclose(out["stats"][1][0], expected["stats"][1][0])
    assert isinstance(out, dict) and isinstance(out["stats"], tuple) \
        and isinstance(out["stats"][1], list)
    c = {"h": rng.normal(size=3), "stats": (0.7, [rng.normal(size=3), rng.normal(size=3)])}

    def paired(x, W):
        o = layer_report(x, W)
        return (np.sum(c["h"] * o["h"]) + c["stats"][0] * o["stats"][0]
                + np.sum(c["stats"][1][0] * o["stats"][1][0])
                + np.sum(c["stats"][1][1] * o["stats"][1][1]))
    for computed, index in zip(pullback(c), range(2)):
        expected_gradient = s2sad.check.numerical_gradient(paired, (x, W), index, 1e-6)
        np.testing.assert_allclose(computed, expected_gradient, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="same keys"):
        pullback({"h": np.ones(3)})
    reordered = pullback({"stats": c["stats"], "h": c["h"]})   # keys in another order
    np.testing.assert_allclose(reordered[0], pullback(c)[0])


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_vjp_with_a_returned_list_built_on_both_branches(sign):
    x, W = sign * np.abs(rng.normal(size=3)), rng.normal(size=(3, 3))
    out, pullback = s2sad.vjp(branch_report, x, W)
    assert isinstance(out, list) and list(out[1]) == ["norm"]
    dx, dW = pullback([np.ones(3), {"norm": 2.0}])

    def paired(x, W):
        o = branch_report(x, W)
        return np.sum(o[0]) + 2.0 * o[1]["norm"]
    np.testing.assert_allclose(dx, s2sad.check.numerical_gradient(paired, (x, W), 0, 1e-6),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dW, s2sad.check.numerical_gradient(paired, (x, W), 1, 1e-6),
                               rtol=1e-5, atol=1e-7)


# --- found by a trial as a new user ---------------------------------------------------

def slices_of_layers(layers, X):
    for W, b in layers[:-1]:
        X = np.tanh(X @ W + b)
    for W, b in reversed(layers[1:]):
        X = X @ W + b
    Ws = np.array([W for W, _ in layers[::2]])
    return X.sum() + np.sum(Ws ** 2) + len(layers[1:])


def keys_in_a_variable_and_get(params):
    keys = ["W1", "W2"]
    total = 0.0
    for k in keys:
        total = total + np.sum(params[k] ** 2)
    return total + np.sum(params.get("b")) + np.sum(params.get("c", 1.0) * params["W1"])


def test_constant_slices_names_for_key_lists_and_get():
    layers = [(rng.normal(size=(3, 3)), rng.normal(size=3)) for _ in range(3)]
    s2sad.check_grads(slices_of_layers, (layers, rng.normal(size=(2, 3))), wrt=(0, 1))
    params = {"W1": rng.normal(size=2), "W2": rng.normal(size=2), "b": rng.normal(size=2)}
    s2sad.check_grads(keys_in_a_variable_and_get, (params,))


def slice_by_variable(layers, i):
    return np.sum(layers[i:][0][0])


def test_a_slice_of_an_argument_with_a_variable_bound_is_refused_at_its_line():
    layers = [(np.ones((2, 2)), np.ones(2))] * 2
    with pytest.raises(s2sad.TransformError, match="constant bounds") as info:
        s2sad.grad(slice_by_variable)(layers, 1)
    assert "layers[i:][0][0]" in str(info.value)
