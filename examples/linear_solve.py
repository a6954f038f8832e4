"""The gradient of a loss through a linear solve, against its closed form.

    x = solve(A, b),  loss = 0.5 |x - y|^2
    d loss / d b = A^-T (x - y),   d loss / d A = -(d loss / d b) x^T

s2sad differentiates the code as written.  In reverse mode (with SciPy installed) the
forward sweep factorises A once and keeps the LU factors; the backward sweep solves
with A^T from them for the cotangent of b, and reuses that for A.

Run:  python examples/linear_solve.py
"""
import numpy as np

import s2sad


def loss(A, b, y):
    x = np.linalg.solve(A, b)
    return 0.5 * np.sum((x - y) ** 2)


def closed_form(A, b, y):
    x = np.linalg.solve(A, b)
    db = np.linalg.solve(A.T, x - y)
    return -np.outer(db, x), db


def make_problem(n=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n)) + n * np.eye(n), rng.normal(size=n), rng.normal(size=n)


def compare(A, b, y):
    dA, db = s2sad.grad(loss, wrt=(0, 1))(A, b, y)
    dA_exact, db_exact = closed_form(A, b, y)
    print(f"d loss / d b: {np.round(db, 6)}")
    print(f"closed form : {np.round(db_exact, 6)}")
    print(f"largest difference: dA {np.max(np.abs(dA - dA_exact)):.1e}, "
          f"db {np.max(np.abs(db - db_exact)):.1e}")
    return dA, db, dA_exact, db_exact


if __name__ == "__main__":
    compare(*make_problem())
    print()
    print(s2sad.grad(loss, wrt=(0, 1)).source)
