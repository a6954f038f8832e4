"""Low-rank matrix completion with a nuclear-norm penalty, by gradient descent
through the SVD rule: the singular values beyond the true rank shrink towards zero
while the missing entries are filled in.

    minimise  0.5 * sum over observed (i, j) of (X_ij - M_ij)^2 + lam * sum(svd(X))

Run:  python examples/nuclear_norm.py
"""
import numpy as np

import s2sad


def objective(X, M, observed, lam):
    residual = (X - M) * observed
    return 0.5 * np.sum(residual ** 2) + lam * np.sum(np.linalg.svd(X, compute_uv=False))


def make_problem(m=12, n=10, rank=2, seen=0.6, seed=0):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(m, rank)) @ rng.normal(size=(rank, n))
    observed = (rng.uniform(size=(m, n)) < seen).astype(float)
    return M, observed


def complete(M, observed, lam=0.5, steps=400, step=0.5, report=100):
    gradient = s2sad.grad(objective)
    X = M * observed
    history = []
    for k in range(steps + 1):
        if k % report == 0:
            s = np.linalg.svd(X, compute_uv=False)
            missing = np.sqrt(np.sum(((X - M) * (1 - observed)) ** 2) / np.sum(1 - observed))
            history.append((k, s, missing))
            print(f"step {k:4d}  singular values {np.array2string(s[:5], precision=2)}  "
                  f"error on the missing entries {missing:.3f}")
        X = X - step * gradient(X, M, observed, lam)
    return X, history


if __name__ == "__main__":
    complete(*make_problem())
