"""Forward mode and what is built on it, measured in one process (issue 4's targets):

- jvp of a function with a scalar input and a large output, and grad of one with a
  large input and a scalar output: each at most 3 x the function itself;
- hvp of f(x) = sum(log(1 + exp(A @ x))) + 0.5 x.x (A 200 x 50): at most 1.5 x a
  hand-written Hessian-vector product;
- jacobian(mode="auto") picks the faster mode on a 5 -> 500 and a 500 -> 5 function;
- jacobian and hessian push (or pull) their basis vectors in one call: against one
  call each.

Run:  python benchmarks/bench_forward.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # this checkout's s2sad
sys.path.insert(0, str(Path(__file__).resolve().parent))
import s2sad  # noqa: E402
from bench_reverse import median_times  # noqa: E402

GRID = np.linspace(0.0, 1.0, 100_000)


def wave(a):
    """A scalar input, a large output."""
    return np.sin(a * GRID) * np.exp(-a * GRID)


def energy(x):
    """A large input, a scalar output."""
    return np.sum(np.log1p(x * x)) + 0.5 * np.sum((x[1:] - x[:-1]) ** 2)


def logistic(x, A):
    return np.sum(np.log(1 + np.exp(A @ x))) + 0.5 * x @ x


def hvp_by_hand(x, A, v):
    p = 1 / (1 + np.exp(-(A @ x)))
    return A.T @ ((p * (1 - p)) * (A @ v)) + v


def widen(x):      # 5 -> 500
    return np.tanh(np.outer(np.arange(1.0, 101.0), x)).ravel()


def narrow(x):     # 500 -> 5
    return np.array([np.sum(np.sin(x) * k) for k in range(1, 6)])


def main(budget: float = 1.0) -> int:
    rng = np.random.default_rng(0)
    rows = []
    ours, theirs = median_times(lambda: s2sad.jvp(wave, (0.7,), (1.0,)), lambda: wave(0.7),
                                (), budget)
    rows.append(("jvp, 1 -> 100,000 (vs the function)", theirs, ours, 3.0))
    x = rng.uniform(-1, 1, 100_000)
    gradient = s2sad.grad(energy)
    ours, theirs = median_times(lambda: gradient(x), lambda: energy(x), (), budget)
    rows.append(("grad, 100,000 -> 1 (vs the function)", theirs, ours, 3.0))
    A, x, v = rng.normal(size=(200, 50)), rng.normal(size=50), rng.normal(size=50)
    np.testing.assert_allclose(s2sad.hvp(logistic, (x, A), (v, None))[0], hvp_by_hand(x, A, v))
    ours, theirs = median_times(lambda: s2sad.hvp(logistic, (x, A), (v, None)),
                                lambda: hvp_by_hand(x, A, v), (), budget)
    rows.append(("hvp, logistic A 200 x 50 (vs by hand)", theirs, ours, 1.5))
    print(f"{'case':<40} {'baseline':>11} {'s2sad':>11} {'ratio':>7} {'target':>7}")
    for label, base, mine, target in rows:
        print(f"{label:<40} {base * 1e6:>8.1f} µs {mine * 1e6:>8.1f} µs {mine / base:>7.2f} "
              f"{target:>7.1f}")
    print()
    for label, f, size in (("jacobian 5 -> 500", widen, 5), ("jacobian 500 -> 5", narrow, 500)):
        arg = rng.normal(size=size)
        times = {}
        for mode in ("forward", "reverse", "auto"):
            jac = s2sad.jacobian(f, mode=mode)
            jac(arg)
            times[mode] = median_times(lambda: jac(arg), lambda: None, (), budget / 3)[0]
        picked = "forward" if abs(times["auto"] - times["forward"]) < \
            abs(times["auto"] - times["reverse"]) else "reverse"
        print(f"{label:<20} forward {times['forward'] * 1e3:7.2f} ms   reverse "
              f"{times['reverse'] * 1e3:7.2f} ms   auto {times['auto'] * 1e3:7.2f} ms "
              f"(took {picked}; faster: "
              f"{'forward' if times['forward'] < times['reverse'] else 'reverse'})")
    print()
    square = rng.normal(size=(100, 100)) / 10
    x = rng.normal(size=100)

    def mix(x):
        return np.tanh(square @ x) * x

    def one_jvp_each():
        return np.stack([s2sad.jvp(mix, (x,), (e,))[1] for e in np.eye(100)], -1)

    def one_pullback_each():
        out, pullback = s2sad.vjp(mix, x)
        return np.stack([pullback(e)[0] for e in np.eye(100)])

    def one_hvp_each():
        return np.stack([s2sad.hvp(logistic, (x50, A), (e, None))[0] for e in np.eye(50)], -1)
    x50 = x[:50]
    for label, batched, looped in (
            ("jacobian 100 -> 100", lambda: s2sad.jacobian(mix, mode="forward")(x), one_jvp_each),
            ("jacobian, reverse", lambda: s2sad.jacobian(mix, mode="reverse")(x),
             one_pullback_each),
            ("hessian, logistic 50", lambda: s2sad.hessian(logistic)(x50, A), one_hvp_each)):
        np.testing.assert_allclose(batched(), looped(), rtol=1e-10, atol=1e-12)
        ours, theirs = median_times(batched, looped, (), budget / 2)
        print(f"{label:<20} batched {ours * 1e3:7.2f} ms   one call per basis vector "
              f"{theirs * 1e3:7.2f} ms   ({theirs / ours:.1f} x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(0.3 if "--quick" in sys.argv else 1.0))
