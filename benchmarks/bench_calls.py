"""Helpers and containers cost nothing: s2sad's derivative of a program split into
helper functions (and holding its parameters in a dict) against the derivative of
the same program written inline, in one process.

Run:  python benchmarks/bench_calls.py
Prints median times and the ratio helpers / inline (target: about 1; a dict argument
adds the cost of reading its structure on each call, about a microsecond).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # this checkout's s2sad
sys.path.insert(0, str(Path(__file__).resolve().parent))
import s2sad  # noqa: E402
from bench_reverse import geometric as geometric_inline  # noqa: E402
from bench_reverse import median_times, mlp_loss as mlp_inline  # noqa: E402


def step(q, s):
    return 1.0 + q * s


def geometric_with_helper(q, n):
    s = 1.0
    for _ in range(n):
        s = step(q, s)
    return s


def layer(x, W, b):
    return np.tanh(x @ W + b)


def cross_entropy(logits, y):
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(logits.shape[0]), y])


def mlp_with_helpers(params, X, y):
    h = layer(X, params["W1"], params["b1"])
    return cross_entropy(h @ params["W2"] + params["b2"], y)


def mlp_helpers_only(W1, b1, W2, b2, X, y):
    return cross_entropy(layer(X, W1, b1) @ W2 + b2, y)


def main(budget: float = 1.0) -> int:
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(8, 16)) * 0.3, "b1": np.zeros(16),
              "W2": rng.normal(size=(16, 4)) * 0.3, "b2": np.zeros(4)}
    X, y = rng.normal(size=(16, 8)), rng.integers(0, 4, 16)
    helper_mlp = s2sad.grad(mlp_with_helpers)
    helpers_only = s2sad.grad(mlp_helpers_only, wrt=(0, 1, 2, 3))
    inline_mlp = s2sad.grad(mlp_inline, wrt=(0, 1, 2, 3))
    helper_geometric, inline_geometric = s2sad.grad(geometric_with_helper), \
        s2sad.grad(geometric_inline)
    rows = [("geometric sum, n = 1,000", lambda: helper_geometric(0.999, 1000),
             lambda: inline_geometric(0.999, 1000)),
            ("MLP (16, 8, 16, 4), helpers", lambda: helpers_only(*params.values(), X, y),
             lambda: inline_mlp(*params.values(), X, y)),
            ("MLP (16, 8, 16, 4), dict + helpers", lambda: helper_mlp(params, X, y),
             lambda: inline_mlp(*params.values(), X, y))]
    print(f"{'case':<36} {'inline':>10} {'helpers':>10} {'ratio':>7}")
    for label, helpers, inline in rows:
        ours, theirs = median_times(helpers, inline, (), budget)
        print(f"{label:<36} {theirs * 1e6:>7.1f} µs {ours * 1e6:>7.1f} µs {ours / theirs:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(0.3 if "--quick" in sys.argv else 1.0))
