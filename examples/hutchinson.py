"""Hutchinson's estimate of the trace of a Hessian, from Hessian-vector products.

For a random vector v with independent +1/-1 entries (Rademacher), E[v^T H v] =
trace(H).  Each product H v comes from `s2sad.hvp` (forward mode over the generated
gradient), so the Hessian itself is never formed; the exact trace, for comparison,
comes from `s2sad.hessian`.

Run:  python examples/hutchinson.py
"""
import numpy as np

import s2sad


def loss(w, X, y):
    """Logistic regression with a little weight decay."""
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z) + 0.05 * np.sum(w ** 2)


def make_data(n=200, d=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0).astype(float)
    return rng.normal(size=d) * 0.3, X, y


def hutchinson(w, X, y, probes: int, seed: int = 1) -> float:
    """The mean of v^T H v over `probes` Rademacher vectors v."""
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(probes):
        v = rng.choice([-1.0, 1.0], size=w.shape)
        (Hv, _, _) = s2sad.hvp(loss, (w, X, y), (v, None, None))
        total += v @ Hv
    return total / probes


def main():
    w, X, y = make_data()
    exact = np.trace(s2sad.hessian(loss)(w, X, y))
    print(f"exact trace of the Hessian: {exact:.6f}")
    print(f"{'probes':>7} {'estimate':>12} {'relative error':>15}")
    estimates = {}
    for probes in (1, 10, 100, 1000):
        estimate = hutchinson(w, X, y, probes)
        estimates[probes] = estimate
        print(f"{probes:>7} {estimate:>12.6f} {abs(estimate - exact) / exact:>15.2%}")
    return exact, estimates


if __name__ == "__main__":
    main()
