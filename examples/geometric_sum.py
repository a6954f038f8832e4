"""Differentiate an iterative algorithm: the geometric sum s_n = 1 + q + ... + q^n.

Run:  python examples/geometric_sum.py
"""
import s2sad


def geometric(q, n):
    s = 1.0
    for _ in range(n):
        s = 1.0 + q * s
    return s


def closed_form_derivative(q, n):
    """d/dq of (1 - q^(n+1)) / (1 - q)."""
    return (1 - q ** (n + 1) - (n + 1) * q ** n * (1 - q)) / (1 - q) ** 2


def main():
    dgeometric = s2sad.grad(geometric)          # derivative with respect to q
    q, n, eps = 0.5, 100, 1e-6
    finite_difference = (geometric(q + eps, n) - geometric(q - eps, n)) / (2 * eps)
    print(f"s2sad:              ds/dq = {dgeometric(q, n):.12f}")
    print(f"closed form:        ds/dq = {closed_form_derivative(q, n):.12f}")
    print(f"finite differences: ds/dq = {finite_difference:.12f}")
    print("\nThe derivative s2sad generated:\n")
    print(dgeometric.source)


if __name__ == "__main__":
    main()
