"""Functions the tests differentiate (kept in a file so s2sad can read their source)."""
import math

import numpy as np


def geometric(q, n):
    s = 1.0
    for _ in range(n):
        s = 1.0 + q * s
    return s


def branches(x, y):
    if x > y:
        z = x * y
    elif x < 0:
        z = -x
    else:
        z = y ** 2
    return z * x


def while_loop(x):
    count = 0
    while x < 10.0:
        x = x * 1.5 + 0.1
        count += 1
    return x * count


def break_continue(x, n):
    s = 0.0
    for i in range(n):
        if i % 3 == 1:
            continue
        s = s + x ** i / (i + 1)
        if s > 5.0:
            break
    return s


def early_return(x, n):
    for i in range(n):
        x = math.sin(x) + x
        if x > 3.0:
            return x * 2.0
    if x < 0.0:
        return -x
    return x * x


def nested_loops(a, n, m):
    total = 0.0
    for i in range(n):
        for j in range(m):
            total += a * (i + 1) / (j + 1)
            a = a * 0.9
    return total


def tuples_and_augmented(x, y):
    a, b = x * 2.0, y + 1.0
    a, b = b, a
    a *= b
    a -= 3.0 * x
    a /= 2.0
    a **= 2
    return a + b


def conditional_expression(x):
    y = x * x if x > 1.0 else -x
    return y + (math.exp(x) if y > 0 else 0.0)


def swapped_entries(x):
    """`y[0], y[1] = y[1], y[0]` reads both before writing either (as NumPy does)."""
    y = x.copy()
    y[0], y[1] = y[1], y[0]
    y[1], y[2], y[0] = y[0] * 2.0, y[1], y[2]
    return np.sum(y * np.array([1.0, 10.0, 100.0]))


def or_and_values(x, y, scale):
    """`or` and `and` give one of their operands: its derivative flows, on every path
    (scale 0.0 makes `scale or x` pick x, and `scale and ...` pick 0.0)."""
    first = scale * x or y * y
    second = scale and x * y or x
    return first * x + second * y + (x > 0 and y > 0 and x * y * y)


def array_rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.tanh(row @ w)
    return total


def zip_enumerate(xs, w):
    total = 0.0
    weights = [1.0, 2.0, 3.0]
    for i, x in enumerate(xs):
        total = total + w * x * i
    for x, c in zip(xs, weights):
        total = total + c * np.sin(w * x)
    return total


def indexing(x):
    return x[0] * x[-1] + np.sum(x[1:4:2]) + x[::-1][1] ** 2


def matrix_indexing(A):
    return np.sum(A[1, :] * A[:, 0]) + A[0, 1] * A[-1, -1] + np.sum(A[::2, 1:])


def slice_and_index_array(A, c, rows):
    """An index mixing slices, integer arrays and np.newaxis, read and written."""
    B = np.zeros((3, 3))
    B[:, c] = A[:, :2] * 2.0
    outer = A[0][:, np.newaxis] * A[1][np.newaxis, :]
    return np.sum(np.sin(A[:, c])) + np.sum(A[rows, 1:] ** 2) + np.sum(B * B) \
        + np.sum(outer * outer) + np.sum(A[rows][:, rows] ** 2)


def fancy_indexing(logp, y):
    n = logp.shape[0]
    return -np.sum(logp[np.arange(n), y]) + np.sum(logp[[0, 0, 1], [1, 1, 2]] ** 2)


def rnn(W, x, h0):
    T = x.shape[0]
    h = np.zeros((T + 1, h0.shape[0]))
    h[0] = h0
    for t in range(T):
        h[t + 1] = np.tanh(W @ h[t] + x[t])
    return np.sum(h[T] ** 2)


def index_accumulate(x, n):
    a = np.zeros(n)
    for i in range(n):
        a[i] += x * i
        a[i] *= x
    return np.sum(a ** 2)


def row_accumulate(x, n):
    a = np.zeros((n, 2))
    for i in range(n):
        a[i] = np.sin(a[i] + x * i)
        a[i] = a[i] * x
    return np.sum(a ** 2)


def mlp_loss(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    logits = logits - np.max(logits, axis=1, keepdims=True)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    n = X.shape[0]
    return -np.mean(logp[np.arange(n), y])


def keyword_defaults(x, scale=2.0, *, power=3):
    return scale * x ** power


def two_args(a, b):
    return a * a * b + 3.0 * b


def overwrite_argument(x, v):
    x[1] = v * 2.0
    x[2] = x[1] * x[0]
    return x[2] + x[0] * v


def power_sum(x):
    return np.sum(x ** 3) / 3.0


def shifted(x):
    return (x - 1.0) * (x + 2.0)


def cube_with_wrong_rule(x):
    return x ** 3


def calls_cube(x):
    return np.sum(cube_with_wrong_rule(x))


def triple_square(x):
    return x * x * 3.0


def array_methods(x, W):
    y = (x @ W).sum(axis=1)
    z = y.reshape(2, 2).T.mean() + x.max() * x.std()
    z = z + W.clip(-0.5, 0.5).prod() + x.astype(float).cumsum()[:3].dot(x[0])
    return z + x.flatten().copy().var() + x.transpose(1, 0).ravel()[1] * x.argmax()


def sqrt_newton(a):
    x = a
    while abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def horner(x, coeffs):
    y = 0.0
    for c in coeffs:
        y = y * x + c
    return y


def power_iteration(A, k=20):
    v = np.ones(A.shape[0])
    for _ in range(k):
        v = A @ v
        v = v / np.linalg.norm(v)     # reads its own output and its old value
    return v @ A @ v


def gauss_seidel(A, b, sweeps=5):
    x = np.zeros_like(b)
    for _ in range(sweeps):
        for i in range(len(b)):
            x[i] = (b[i] - A[i] @ x + A[i, i] * x[i]) / A[i, i]
    return np.sum(x)


def zero_trip(x, n):
    s = x
    for i in range(n):
        s = s * x
    k = 0
    while k > n:
        s = s + x
        k -= 1
    return s


def invariant_in_loop(x, y, n):
    s = x * y
    for _ in range(n):
        x = y * 2.0          # a parameter: its first value must still be restored
        d = y - 0.5          # loop-invariant: never pushed
        s = s * 0.9 + np.sin(d) * x
    return s


def indexed_in_loop(W, x):
    s = 0.0
    for t in range(x.shape[0]):
        h = np.tanh(W @ x[t])
        s = s + h[0] * h[1]
    return s


def unpack_rows(X, w):
    total = 0.0
    for a, b in X:
        total = total + a * w + b ** 2
    for i, (a, b) in enumerate(X):
        total = total + i * a * b
    return total


def mask_write(x):
    y = x * 1.0
    y[y < 0] = 0.0
    y[y > 0.5] *= 2.0
    return np.sum(y * y)


def repeated_index_write(x):
    a = np.zeros(3)
    a[[0, 0, 1]] = x[:3]          # NumPy keeps the last write to a[0]
    b = np.zeros(3)
    b[[2, 2]] += x[3:5]           # also a write: b[2] = b[2] + x[4]
    return np.sum(a * np.arange(1.0, 4.0)) + np.sum(b)


def write_through_alias(w, x, X):
    a = x
    a[0] = 0.0               # data only: no derivative flows through a or row
    row = X[1]
    row[0] = 5.0
    return np.sum(w * x * X[1])


def write_into_view(x):
    row = x[1:]
    row[0] = row[1] * 2.0    # changes x too: refused
    return np.sum(x * x)


def rnn_loss(Wh, Wx, b, h0, x):
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(h @ Wh + x[t] @ Wx + b)
    return np.sum(h * h)


def many_continues(x, n):
    s = 0.0
    for i in range(n):
        if i % 2 == 0:
            if i % 4 == 0:
                continue
            s = s + x
        if i % 3 == 0:
            if i % 9 == 0:
                continue
            s = s * 1.01
        if i % 5 == 0:
            if i % 10 == 0:
                continue
            s = s - 0.5 * x
        if i % 7 == 0:
            if i % 14 == 0:
                continue
            s = s + x * x
        s = s + np.sin(x * i)
        s = s * 0.99
    return s


def reversed_items(x):
    s = 1.0
    for v in reversed(x):
        s = s * v + 1.0
    return s


# Cotangents that are zero on one path only: the first reversed iteration of a loop,
# one branch of an if, an iteration after the variable was overwritten.  They must
# still be arrays where a matrix product or a transpose reads them.

def sum_of_iterates(W, x):
    s = 0.0
    h = x
    for _ in range(3):
        s = s + np.sum(h * h)
        h = h @ W
    return s


def product_used_in_one_branch(W, x, flag):
    z = x @ W
    if flag > 0:
        s = np.sum(z * z)
    else:
        s = 0.0
    return s + np.sum(x)


def product_overwritten_in_one_branch(W, x, y, flag):
    z = x.T @ W
    if flag > 0:
        z = y * 2.0
    return np.sum(np.tanh(z))


def overwritten_in_each_iteration(W, V, x, y, n):
    z = x @ W
    s = 0.0
    for _ in range(n):
        s = s + np.sum(np.tanh(z @ V))
        z = y @ W
    return s + np.sum(z)


def gated_rnn(W, U, x, h0):
    h = h0
    for t in range(x.shape[0]):
        gate = 1.0 / (1.0 + np.exp(-(x[t] @ U)))
        h = gate * np.tanh(h @ W + x[t]) + (1.0 - gate) * h
    return np.sum(h * h)


def arange_stretched_index(logp, y, k):
    picked = logp[np.arange(k), y]     # k == 1: np.arange(k) broadcasts, pairs repeat
    return np.sum(picked * picked) + np.sum(logp[np.arange(logp.shape[0]), y[:logp.shape[0]]])


# --- kinds, shifts and primal passes (tests/test_kinds.py, test_shifts.py,
# test_primal_passes.py) ---

def bias_tanh_loss(X, b):
    return np.sum(np.tanh(X + b) ** 2)


def log_softmax_rows(x, w):
    z = x - np.max(x, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return np.sum(logp * w)


def softmax_vector(x, w):
    e = np.exp(x - np.max(x))
    p = e / np.sum(e)
    return np.sum(p * w)


def log_softmax_method(x, w):
    z = x - x.max(axis=-1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return np.sum(logp * w)


def log_softmax_method_positive_axis(x, w):
    z = x - x.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return np.sum(logp * w)


def softmax_rows(x, w):
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    return np.sum(p * w)


def shifted_square(x):
    z = x - np.max(x)
    return np.sum(z * z)


def logsumexp_value(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def softmax_max_over_wrong_axis(x, w):
    z = x - np.max(x, axis=0, keepdims=True)
    e = np.exp(z)
    p = e / np.sum(e, axis=1, keepdims=True)
    return np.sum(p * w)


def branch_on_shifted(x, w, t):
    z = x - np.max(x)
    if np.sum(z) > t:
        z = z * z               # no longer a shift of x: the max matters here
    logp = z - np.log(np.sum(np.exp(z)))
    return np.sum(logp * w)


def mlp_hidden(X, W1, b1, W2):
    h = np.tanh(X @ W1 + b1)
    return np.sum((h @ W2) ** 2)


def exp_times(x, y):
    return np.sum(np.exp(x) * y)


def row_sums(x):
    s = np.sum(x, axis=1)
    return np.sum(s * s)


def scaled_total(w, xs):
    return np.sum(w * w) * np.sum(xs)


def sum_of_list(x):
    return np.sum([x, 2.0 * x, 3.0]) * x


def broadcast_operands(X, b, c, r):
    y = np.tanh(X + b) * c - r
    return np.sum(y * y)


def row_means(x, w):
    return np.sum(np.mean(x, axis=1) * w)


def row_maxes(x, w):
    return np.sum(np.max(x, axis=1) * w)


def middle_and_outer_means(x, w):
    return np.sum(np.mean(x, axis=(0, 2)) * w)


def while_iterates(W, x, n):
    s = 0.0
    h = x
    k = 0
    while k < n:
        s = s + np.sum(h * h)
        h = h @ W               # the last product is never read: zero cotangent
        k = k + 1
    return s


def while_overwritten(W, V, x, y, n):
    z = x @ W
    s = 0.0
    k = 0
    while k < n:
        s = s + np.sum(np.tanh(z @ V))
        z = y @ W
        k = k + 1
    return s + np.sum(np.tanh(z @ V.T))


def product_in_if_elif(W, V, x, mode):
    z = x @ W
    if mode == 0:
        s = np.sum(np.tanh(z @ V))
    elif mode == 1:
        s = np.sum(x * x)        # z unread: its cotangent is zero on this path
    else:
        z = x @ W @ V            # overwritten: the first z's cotangent is zero
        s = np.sum(np.tanh(z.T @ z))
    return s


def masked_mean(X):
    v = X[X > 0.0]               # one-dimensional, whatever X's ndim
    return np.mean(v, axis=0) * 2.0


def sliced_plus_row(X, r, k):
    return np.sum(np.tanh(X[:k] + r) ** 2)   # X[:k] may have one row: kinds cannot tell


def slice_rewritten_in_place(u):
    h = u * 1.0
    h[1:] = np.sin(h[1:])      # the view h[1:] the sine read is overwritten here
    return np.sum(h * h)


def while_with_break_inside_if(x, y):
    if y > 0.0:
        k = 0
        while k < 3:
            k += 1
            if k > 1:
                break
            x = np.sin(x)
    return x


def returns_in_nested_ifs(x, y):
    if y > 1.0:
        if y > 2.0:
            pass
        else:
            return 0.5 * x
    if y < 2.0:
        return x * x
    return 0.7 * x


def breaks_in_elif_chain(x):
    for i in range(3):
        if i > 5:
            pass
        elif i > 0:
            break
        if i > 7:
            break
        x = np.exp(x)
    return x


def reduction_written_by_index(A):
    h = np.sum(A, axis=1)
    h[0] = 1.0
    return np.sum(h * h)


def quotient_written_by_index(u):
    h = np.ones(3)
    h = h / u          # h names the quotient the division's derivative reads
    h[0] = 2.0
    return np.sum(h * u)


def arange_written_into(x):
    idx = np.arange(3)
    j = idx
    j[1] = 0                   # idx is [0, 0, 2] now: positions repeat
    return np.sum(x[idx] ** 2)


def shape_product(x):
    n = np.prod(x.shape)
    return np.sum(x ** 2) / n


def builtin_sum_of_rows(X, b):
    return np.sum(sum(X) ** 2) + b


def computed_in_float32(w, x):
    v = np.asarray(w, np.float32)
    return float(np.sum(v * x))


def builtin_max_of_items(x, y):
    return max(x) * 2.0 + min(y) + max(x[0], y[1])


def softmax_in_a_loop(Q, K):
    total = 0.0
    for i in range(Q.shape[0]):
        s = K @ Q[i]
        s = s - np.max(s)
        p = np.exp(s) / np.sum(np.exp(s))
        total = total + np.sum(p * p)
    return total


def shift_carried_to_the_next_trip(x, n):
    s = x
    for _ in range(n):
        s = s - np.max(s)
        s = np.exp(s)          # s * e^c reaches the next trip and the result
    return np.sum(s)


def shift_read_after_the_branch(x, flag):
    z = x
    if flag > 0:
        z = x - np.max(x)      # z itself is read after the if
    return np.sum(np.exp(z))


def augmented_without_sharing(x, y):
    """`+=` on arrays no other name reads: as good as `x = x + y`."""
    z = x
    z *= y   # NumPy would change the caller's x, which nothing reads
    out = y * 2.0
    out += z
    s = 0.0
    for i in range(3):
        s += out[i]
    return s + np.sum(z)


def nested_zip_enumerate(x, y):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, y)):
        s = s + i * a * b
    for k, (a, (j, b)) in enumerate(zip(x, enumerate(y)), 1):
        s = s + k * j * a * np.sin(b)
    for a, b in reversed(list(zip(x, y))):
        s = s * 0.5 + a * b
    return s


def item_method(x):
    return np.sum(x ** 2).item() * 3.0 + x[1:2].item() ** 2


def numpy_scalars_and_methods(x, w):
    """np.float64(...) scalars beside Python floats; astype, flatten, size."""
    a = np.float64(x) * 2.0 + x
    return a * a + np.sum(w.astype(float) ** 2) + np.sum(w.flatten()) * w.size \
        + float(np.float64(np.sum(w)))


def cross_entropy_reading_shape(logits, y):
    """The shifted array's shape is read (for np.arange): no change of value."""
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(logits.shape[0]), y])


def row_views_in_a_loop(W, h0, x):
    """A view made afresh in each trip, read before the write: nothing stale."""
    h = np.zeros((x.shape[0] + 1, h0.shape[0]))
    h[0] = h0
    for t in range(x.shape[0]):
        row = h[t]
        h[t + 1] = np.tanh(W @ row + x[t])
    return np.sum(h ** 2)
