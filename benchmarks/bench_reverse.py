"""s2sad's reverse mode against hand-written NumPy gradients, in one process.

Run:  python benchmarks/bench_reverse.py [--quick]
Prints median times, the ratio s2sad / hand-written (target <= 1.5) and the first
call (transform + compile + one run) of each derivative (target <= 50 ms).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # this checkout's s2sad,
import s2sad  # noqa: E402                                      # not an installed copy


# --- the functions, written as a user would -----------------------------------

def geometric(q, n):
    s = 1.0
    for _ in range(n):
        s = 1.0 + q * s
    return s


def mlp_loss(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(X.shape[0]), y])


def euler(k, y0, n):
    y = np.empty(n + 1)
    y[0] = y0
    for i in range(n):
        y[i + 1] = y[i] - 0.01 * k * y[i] ** 2
    return y[n]


def rnn_loss(Wh, Wx, b, h0, x):
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(h @ Wh + x[t] @ Wx + b)
    return np.sum(h * h)


# --- hand-written gradients ------------------------------------------------------

def geometric_by_hand(q, n):
    saved = []
    s = 1.0
    for _ in range(n):
        saved.append(s)
        s = 1.0 + q * s
    dq, ds = 0.0, 1.0
    for _ in range(n):
        s = saved.pop()
        dq += ds * s
        ds *= q
    return dq


def mlp_by_hand(W1, b1, W2, b2, X, y):
    n = X.shape[0]
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(n), y] -= 1.0
    dlogits = p / n
    dh = dlogits @ W2.T
    da = dh * (1.0 - h * h)
    return X.T @ da, da.sum(axis=0), h.T @ dlogits, dlogits.sum(axis=0)


def euler_by_hand(k, y0, n):
    y = np.empty(n + 1)
    y[0] = y0
    for i in range(n):
        y[i + 1] = y[i] - 0.01 * k * y[i] ** 2
    dk, dy = 0.0, 1.0
    for i in reversed(range(n)):
        yi = y[i]
        dk -= dy * 0.01 * yi * yi
        dy = dy * (1.0 - 0.02 * k * yi)
    return dk, dy


def rnn_by_hand(Wh, Wx, b, h0, x):
    hs = [h0]
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(h @ Wh + x[t] @ Wx + b)
        hs.append(h)
    dWh, dWx, db = np.zeros_like(Wh), np.zeros_like(Wx), np.zeros_like(b)
    dh = 2.0 * h
    for t in reversed(range(x.shape[0])):
        da = dh * (1.0 - hs[t + 1] ** 2)
        dWh += np.outer(hs[t], da)
        dWx += np.outer(x[t], da)
        db += da
        dh = Wh @ da
    return dWh, dWx, db


# --- measurement -------------------------------------------------------------------

def median_times(first, second, args, budget: float) -> tuple[float, float]:
    """Median seconds per call of two functions, sampled alternately so that both see
    the same machine load."""
    for fn in (first, second):
        fn(*args)
    start = time.perf_counter()
    first(*args)
    once = max(time.perf_counter() - start, 1e-7)
    number = max(1, int(0.01 / once))
    samples: tuple[list, list] = ([], [])
    deadline = time.perf_counter() + budget
    while len(samples[0]) < 7 or (time.perf_counter() < deadline and len(samples[0]) < 200):
        for fn, times in zip((first, second), samples):
            start = time.perf_counter()
            for _ in range(number):
                fn(*args)
            times.append((time.perf_counter() - start) / number)
    return statistics.median(samples[0]), statistics.median(samples[1])


def first_call(function, wrt, args) -> float:
    """A fresh copy of `function`, so nothing is cached yet."""
    import types
    fresh = types.FunctionType(function.__code__, function.__globals__, function.__name__)
    start = time.perf_counter()
    s2sad.grad(fresh, wrt=wrt)(*args)
    return time.perf_counter() - start


def check(derivative, reference):
    """Both gradients agree before their speed is compared."""
    if not isinstance(reference, tuple):
        derivative, reference = (derivative,), (reference,)
    for a, b in zip(derivative, reference, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


def cases():
    rng = np.random.default_rng(0)
    for n in (1_000, 100_000):
        yield f"geometric sum, n = {n:,}", geometric, 0, (0.999, n), \
            lambda q, n: geometric_by_hand(q, n)
    for batch, inputs, hidden, classes in ((16, 8, 16, 4), (64, 64, 128, 10)):
        args = (rng.normal(size=(inputs, hidden)) * 0.3, np.zeros(hidden),
                rng.normal(size=(hidden, classes)) * 0.3, np.zeros(classes),
                rng.normal(size=(batch, inputs)), rng.integers(0, classes, batch))
        yield (f"MLP ({batch}, {inputs}, {hidden}, {classes})", mlp_loss, (0, 1, 2, 3), args,
               mlp_by_hand)
    hidden, inputs, steps = 32, 16, 50
    args = (rng.normal(size=(hidden, hidden)) * 0.2, rng.normal(size=(inputs, hidden)) * 0.2,
            np.zeros(hidden), rng.normal(size=hidden), rng.normal(size=(steps, inputs)))
    yield f"RNN, {steps} steps, hidden {hidden}", rnn_loss, (0, 1, 2), args, rnn_by_hand


def other_cases():
    """Measured and printed, with no target yet."""
    yield "Euler, y[i + 1] = f(y[i]), n = 1,000", euler, (0, 1), (0.7, 1.0, 1000), euler_by_hand


def main(budget: float = 1.0) -> int:
    print(f"{'case':<38} {'hand-written':>13} {'s2sad':>11} {'ratio':>7} {'first call':>11}")
    measured = []
    for targeted, found in ((True, cases()), (False, other_cases())):
        for label, function, wrt, args, by_hand in found:
            derivative = s2sad.grad(function, wrt=wrt)
            check(derivative(*args), by_hand(*args))
            measured.append((targeted, label, function, wrt, args)
                            + median_times(by_hand, derivative, args, budget))
    # First calls last: a transform's allocations move the C heap about, and glibc's
    # heap trimming can then add page faults to the next case's timings.
    worst = 0.0
    for targeted, label, function, wrt, args, hand, ours in measured:
        first = first_call(function, wrt, args)
        if targeted:
            worst = max(worst, ours / hand)
        print(f"{label:<38} {hand * 1e6:>10.1f} µs {ours * 1e6:>8.1f} µs "
              f"{ours / hand:>7.2f} {first * 1e3:>8.1f} ms{'' if targeted else '  (no target)'}")
    print(f"\nworst ratio on the targeted rows {worst:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main(0.3 if "--quick" in sys.argv else 1.0))
