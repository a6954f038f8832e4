"""Newton's method with `s2sad.hessian` and `s2sad.grad` on a smooth convex function:
the gradient's norm falls quadratically (its exponent roughly doubles each step)
once the iterate is close.

Run:  python examples/newton.py
"""
import numpy as np

import s2sad


def objective(w, X, y):
    """Regularised logistic loss: smooth and strictly convex."""
    z = X @ w
    return np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(w ** 2)


def make_data(n=100, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) > 0).astype(float)
    return X, y


def newton(X, y, steps=8):
    w = np.zeros(X.shape[1])
    gradient, hessian = s2sad.grad(objective), s2sad.hessian(objective)
    norms = []
    for step in range(steps):
        g = gradient(w, X, y)
        norms.append(float(np.linalg.norm(g)))
        print(f"step {step}  f = {objective(w, X, y):.10f}  |grad| = {norms[-1]:.3e}")
        if norms[-1] < 1e-13:
            break
        w = w - np.linalg.solve(hessian(w, X, y), g)
    return w, norms


if __name__ == "__main__":
    newton(*make_data())
