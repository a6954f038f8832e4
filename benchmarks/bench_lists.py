"""Lists built at run time: s2sad's derivative of code that collects values in a
list (an RNN keeping every hidden state, a sum over a generator) against a
gradient written by hand, in one process.

Run:  python benchmarks/bench_lists.py
Prints median times and the ratio s2sad / hand-written (no target set yet; the
reverse-mode rows of bench_reverse.py aim at 1.5 or less).  The power sum's
hand-written gradient never computes the powers the function sums (x ** k, which
alone take about 3 times its whole time); s2sad's does, as `list_cotangent` reads
the list's length and item shape.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # this checkout's s2sad
sys.path.insert(0, str(Path(__file__).resolve().parent))
import s2sad  # noqa: E402
from bench_reverse import check, first_call, median_times  # noqa: E402


def rnn_all_states(Wh, Wx, b, h0, x):
    states = []
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(h @ Wh + x[t] @ Wx + b)
        states.append(h)
    H = np.stack(states)
    return np.sum(H * H)


def rnn_all_states_by_hand(Wh, Wx, b, h0, x):
    hs = [h0]
    for t in range(x.shape[0]):
        hs.append(np.tanh(hs[-1] @ Wh + x[t] @ Wx + b))
    dWh, dWx, db = np.zeros_like(Wh), np.zeros_like(Wx), np.zeros_like(b)
    dh = np.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        dh = dh + 2.0 * hs[t + 1]          # this state's own term of the loss
        da = dh * (1.0 - hs[t + 1] ** 2)
        dWh += np.outer(hs[t], da)
        dWx += np.outer(x[t], da)
        db += da
        dh = Wh @ da
    return dWh, dWx, db


def power_sum(x, n):
    return sum(np.sum(x ** k) / k for k in range(1, n + 1))


def power_sum_by_hand(x, n):
    dx = np.zeros_like(x)
    for k in range(1, n + 1):
        dx += x ** (k - 1)
    return dx


def cases():
    rng = np.random.default_rng(0)
    hidden, inputs, steps = 32, 16, 50
    args = (rng.normal(size=(hidden, hidden)) * 0.2, rng.normal(size=(inputs, hidden)) * 0.2,
            np.zeros(hidden), rng.normal(size=hidden), rng.normal(size=(steps, inputs)))
    yield (f"RNN keeping {steps} states, hidden {hidden}", rnn_all_states, (0, 1, 2), args,
           rnn_all_states_by_hand)
    yield ("sum(x ** k / k for k in 1..20), x of 100", power_sum, 0,
           (rng.uniform(0.1, 0.9, size=100), 20), power_sum_by_hand)


def main(budget: float = 1.0) -> int:
    print(f"{'case':<42} {'hand-written':>13} {'s2sad':>11} {'ratio':>7} {'first call':>11}")
    for label, function, wrt, args, by_hand in cases():
        derivative = s2sad.grad(function, wrt=wrt)
        check(derivative(*args), by_hand(*args))
        ours, theirs = median_times(derivative, by_hand, args, budget)
        first = first_call(function, wrt, args)
        print(f"{label:<42} {theirs * 1e6:>10.1f} µs {ours * 1e6:>8.1f} µs "
              f"{ours / theirs:>7.2f} {first * 1e3:>8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(0.3 if "--quick" in sys.argv else 1.0))
