"""Multidimensional scaling: recover 2-D points from their distance matrix by gradient
descent on the stress, sum over pairs of (|x_i - x_j| - D_ij)^2.  The points come back
up to a rotation, reflection and shift; the stress falls towards zero.  Writes
mds.png (true and recovered points) when matplotlib is installed.

Run:  python examples/mds.py
"""
import numpy as np

import s2sad


def distances(X):
    diff = X[:, None, :] - X[None, :, :]
    return np.sqrt(np.sum(diff ** 2, axis=-1) + 1e-12)


def stress(X, D):
    return 0.5 * np.sum((distances(X) - D) ** 2)


def aligned(X, truth):
    """X rotated, reflected and shifted onto truth (orthogonal Procrustes)."""
    A, B = X - X.mean(axis=0), truth - truth.mean(axis=0)
    u, _, vt = np.linalg.svd(A.T @ B)
    return A @ u @ vt + truth.mean(axis=0)


def recover(D, steps=500, step=0.01, seed=1, report=100):
    gradient = s2sad.grad(stress)
    X = np.random.default_rng(seed).normal(size=(len(D), 2))
    history = []
    for k in range(steps + 1):
        if k % report == 0:
            history.append(stress(X, D))
            print(f"step {k:4d}  stress {history[-1]:.6f}")
        X = X - step * gradient(X, D)
    return X, history


def plot(truth, found, path="mds.png"):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 's2sad[examples]')")
        return
    plt.figure(figsize=(4, 4))
    plt.scatter(*truth.T, label="true", marker="o")
    plt.scatter(*found.T, label="recovered", marker="x")
    plt.legend()
    plt.savefig(path, dpi=100)
    print(f"wrote {path}")


if __name__ == "__main__":
    truth = np.random.default_rng(0).uniform(-1, 1, size=(15, 2))
    X, _ = recover(distances(truth))
    found = aligned(X, truth)
    print(f"largest distance from the true points, after alignment: "
          f"{np.max(np.linalg.norm(found - truth, axis=1)):.2e}")
    plot(truth, found)
