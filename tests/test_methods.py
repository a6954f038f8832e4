"""Methods of the user's objects: `s2sad.grad(model.loss)`, and calls of methods and
callable objects inside differentiated code (`self.layer(x)`), inlined with the
object read at run time."""
import numpy as np
import pytest

import s2sad


class Layer:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.tanh(self.W @ x)


class Model:
    def __init__(self, scale):
        self.first = Layer(np.array([[0.5, -0.2], [0.1, 0.7]]))
        self.scale = scale

    def features(self, w):
        return self.first(w) * self.scale

    def loss(self, w, weight=1.0):
        return weight * np.sum(self.features(w) ** 2)


W0 = np.array([0.3, -0.4])


def central_difference(f, x, eps=1e-6):
    return np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(x.size)])


def test_the_gradient_of_a_bound_method():
    model = Model(2.0)
    np.testing.assert_allclose(s2sad.grad(model.loss)(W0),
                               central_difference(model.loss, W0), rtol=1e-7)


def test_each_object_has_its_own_derivative_and_attributes_are_read_when_it_runs():
    first, second = Model(2.0), Model(3.0)
    d_first, d_second = s2sad.grad(first.loss), s2sad.grad(second.loss)
    np.testing.assert_allclose(d_first(W0) * 9.0, d_second(W0) * 4.0, rtol=1e-12)
    first.scale = 3.0
    np.testing.assert_allclose(d_first(W0), d_second(W0), rtol=1e-12)


def test_every_mode_takes_a_bound_method():
    model = Model(2.0)
    jacobian = central_difference(model.features, W0).T
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(s2sad.jacobian(model.features, mode=mode)(W0), jacobian,
                                   rtol=1e-6)
    v = np.array([1.0, -2.0])
    np.testing.assert_allclose(s2sad.jvp(model.features, (W0,), (v,))[1], jacobian @ v,
                               rtol=1e-6)
    _, pullback = s2sad.vjp(model.features, W0)
    np.testing.assert_allclose(pullback(v)[0], v @ jacobian, rtol=1e-6)
    value, gradient = s2sad.value_and_grad(model.loss)(W0, weight=2.0)
    assert value == pytest.approx(model.loss(W0, 2.0))
    hessian = s2sad.hessian(model.loss)(W0)
    expected = central_difference(s2sad.grad(model.loss), W0)
    np.testing.assert_allclose(hessian, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(s2sad.hvp(model.loss, (W0,), (v,))[0], hessian @ v, rtol=1e-9)


MODEL = Model(1.5)


def uses_the_model(w):
    return MODEL.loss(w) + np.sum(MODEL.first(w))


def test_methods_and_callable_objects_called_inside_are_inlined():
    np.testing.assert_allclose(s2sad.grad(uses_the_model)(W0),
                               central_difference(uses_the_model, W0), rtol=1e-7)
    source = s2sad.grad(uses_the_model).source
    assert "MODEL.first.W" in source or "first.W" in source   # read at run time


def test_a_method_given_its_object_as_an_argument_says_what_it_cannot_resolve():
    with pytest.raises(s2sad.TransformError, match="self.features"):
        s2sad.grad(Model.loss, wrt=1)(Model(2.0), W0)
