"""Functions s2sad must refuse with a clear TransformError (line markers are checked)."""
import numpy as np


def uses_try(x):
    try:  # MARK: try
        y = x * 2
    except ValueError:
        y = x
    return y


def uses_with(x):
    with open("f") as handle:  # MARK: with
        pass
    return x


def uses_yield(x):
    yield x * 2  # MARK: yield


def uses_global(x):
    global COUNTER  # MARK: global
    return x


def uses_nested_class(x):
    class Inner:  # MARK: class
        pass
    return x


def uses_star_args(x):
    return np.add(*[x, x])  # MARK: starred


def uses_lambda(x):
    return np.sum(list(map(lambda v: v * 2, x)))  # MARK: lambda


def uses_comprehension(x):
    return sum({x * i for i in range(3)})  # MARK: setcomp


def writes_through_flat(x):
    y = x.copy()
    y.flat[0] = 0.0  # MARK: flat
    return np.sum(y ** 2)


def unknown_function(x):
    y = np.fft.fft(x)  # MARK: norule
    return np.sum(y)


def opaque_call(x, helper):
    return helper(x) * 2.0  # MARK: unresolved


def vector_output(x):
    return x * 2.0


def has_varargs(*xs):
    return xs[0]


async def coroutine(x):
    return x


def no_return(x):
    y = x * 2.0  # noqa: F841


def local_recursion(x):
    def power(v, n):
        if n == 0:
            return 1.0
        return v * power(v, n - 1)  # MARK: local recursion
    return power(x, 3)


def helper_square(v):
    return v * v


def helper_in_while_condition(x):
    while helper_square(x) < 10.0:  # MARK: while
        x = x * 2.0
    return x


def helper_with_try(v):
    try:  # MARK: try
        return v * 2.0
    except ValueError:
        return v


def calls_helper_with_try(x):
    return helper_with_try(x)


def augmented_through_a_view(x):
    H = np.zeros((2, 3))
    row = H[0]
    row += x  # MARK: view
    return np.sum(H * x)


def augmented_through_an_alias(x):
    h = np.zeros_like(x)
    g = h
    h += x  # MARK: alias
    return np.sum(g * x)


def augmented_then_viewed(x):
    H = np.zeros((2, 3))
    row = H[0]
    row += x  # MARK: later view
    return np.sum(H[0:1] * x)


def identity(a):
    return a


def writes_through_an_alias(x):
    y = x * 1.0
    z = identity(y)
    z[0] = 5.0  # MARK: alias write
    return np.sum(y * x)


def writes_under_a_view(x, w):
    x = x * 1.0
    r = x[0:2]
    x[0] = 5.0  # MARK: under a view
    return np.sum(r * w)


def writes_in_an_inner_loop(x):
    y = x * 1.0
    s = 0.0
    for i in range(2):
        s = s + np.sum(y * x)
        for j in range(1):
            z = y
            z[0] = 0.0  # MARK: inner loop write
    return s
