"""Every reverse-rule template against central finite differences (no transformer).

Each case is one call; `ruletools.check` evaluates the templates of all its float
arguments and compares them entry by entry with finite differences.
`test_every_template_is_covered` fails when a registered template has no case.
"""
import math
import operator

import numpy as np
from scipy import special
import pytest

from s2sad import runtime
from s2sad.rules import all_rules, lookup
from s2sad.rules.registry import Rule, parse_signature

from tests.ruletools import Case, check, checked_params, samplers

rng, U, away_from_zero = samplers(1234)


# --- elementwise: numpy ufuncs, math, operators --------------------------------------

UNARY_DOMAINS = {
    np.sin: (-3, 3), np.cos: (-3, 3), np.tan: (-1.2, 1.2), np.arcsin: (-0.9, 0.9),
    np.arccos: (-0.9, 0.9), np.arctan: (-3, 3), np.sinh: (-2, 2), np.cosh: (-2, 2),
    np.tanh: (-2, 2), np.arcsinh: (-3, 3), np.arccosh: (1.2, 3), np.arctanh: (-0.9, 0.9),
    np.exp: (-2, 2), np.expm1: (-2, 2), np.exp2: (-2, 2), np.log: (0.2, 3),
    np.log1p: (-0.5, 3), np.log2: (0.2, 3), np.log10: (0.2, 3), np.sqrt: (0.2, 3),
    np.cbrt: (0.2, 3), np.square: (-3, 3), np.reciprocal: (0.3, 3), np.negative: (-3, 3),
    np.positive: (-3, 3), np.deg2rad: (-3, 3), np.rad2deg: (-3, 3), np.sinc: (-3, 3),
    math.sin: (-3, 3), math.cos: (-3, 3), math.tan: (-1.2, 1.2), math.asin: (-0.9, 0.9),
    math.acos: (-0.9, 0.9), math.atan: (-3, 3), math.sinh: (-2, 2), math.cosh: (-2, 2),
    math.tanh: (-2, 2), math.asinh: (-3, 3), math.acosh: (1.2, 3), math.atanh: (-0.9, 0.9),
    math.exp: (-2, 2), math.expm1: (-2, 2), math.log: (0.2, 3), math.log1p: (-0.5, 3),
    math.log2: (0.2, 3), math.log10: (0.2, 3), math.sqrt: (0.2, 3), math.erf: (-2, 2),
    math.erfc: (-2, 2), math.degrees: (-3, 3), math.radians: (-3, 3), float: (-3, 3),
    operator.neg: (-3, 3), operator.pos: (-3, 3),
}
KINKED_AT_ZERO = [np.absolute, math.fabs, abs]
SHAPES = [(), (3,), (2, 3)]


def unary_cases():
    for fn, (lo, hi) in UNARY_DOMAINS.items():
        shapes = [()] if type(fn).__name__ == "builtin_function_or_method" \
            and fn.__module__ == "math" or fn is float else SHAPES
        for shape in shapes:
            yield Case(fn, (U(lo, hi, *shape),))
    for fn in KINKED_AT_ZERO:
        for shape in ([()] if fn is math.fabs else SHAPES):
            yield Case(fn, (away_from_zero(*shape),))
    yield Case(np.sinc, (np.array([0.0, 0.5, -1.5]),))        # the removable point 0
    yield Case(np.sinc, (0.0,))


BROADCAST_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,)),
                    ((2, 1), (1, 3)), ((3,), ()), ((), (2, 3)), ((4, 1, 3), (2, 1))]
BINARY_DOMAINS = {
    np.add: ((-3, 3), (-3, 3)), np.subtract: ((-3, 3), (-3, 3)),
    np.multiply: ((-3, 3), (-3, 3)), np.divide: ((-3, 3), (0.5, 2)),
    np.power: ((0.5, 2), (-2, 2)), np.arctan2: ((-3, 3), (0.5, 3)),
    np.hypot: ((-3, 3), (0.5, 3)), np.logaddexp: ((-3, 3), (-3, 3)),
    np.maximum: ((-3, 3), (-3, 3)), np.minimum: ((-3, 3), (-3, 3)),
    np.fmax: ((-3, 3), (-3, 3)), np.fmin: ((-3, 3), (-3, 3)),
    np.true_divide: ((-3, 3), (0.5, 2)),
    operator.add: ((-3, 3), (-3, 3)), operator.sub: ((-3, 3), (-3, 3)),
    operator.mul: ((-3, 3), (-3, 3)), operator.truediv: ((-3, 3), (0.5, 2)),
    operator.pow: ((0.5, 2), (-2, 2)),
    np.mod: ((-3, 3), (0.5, 2)), np.fmod: ((-3, 3), (0.5, 2)),
    operator.mod: ((-3, 3), (0.5, 2)),
}
MATH_BINARY = {math.atan2: ((-3, 3), (0.5, 3)), math.pow: ((0.5, 2), (-2, 2)),
               math.hypot: ((-3, 3), (0.5, 3)), math.log: ((0.2, 3), (1.5, 4)),
               math.fmod: ((-3, 3), (0.5, 2))}


def binary_cases():
    for fn, (d1, d2) in BINARY_DOMAINS.items():
        for s1, s2 in BROADCAST_SHAPES:
            yield Case(fn, (U(*d1, *s1), U(*d2, *s2)))
    for fn, (d1, d2) in MATH_BINARY.items():
        yield Case(fn, (U(*d1), U(*d2)))
    # Ties: the cotangent is split evenly, as central differences see it.
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    for fn in (np.maximum, np.minimum, np.fmax, np.fmin):
        yield Case(fn, (x, np.array([[1.0, 0.0, 5.0], [0.5, 2.0, -3.0]])))
        yield Case(fn, (x, x[0]))                             # ties under broadcasting
        yield Case(fn, (2.0, 2.0))


def other_elementwise_cases():
    condition = np.array([[True, False, True], [False, False, True]])
    yield Case(np.where, (condition, U(-3, 3, 2, 3), U(-3, 3, 2, 3)))
    yield Case(np.where, (condition, U(-3, 3, 3), U(-3, 3)))
    yield Case(np.where, (condition[0], 1.5, U(-3, 3, 2, 3)))
    a = np.array([[-2.0, -0.5, 0.2], [0.7, 1.5, 3.0]])
    yield Case(np.clip, (a, -1.0, 1.0))
    yield Case(np.clip, (a, np.array([-1.0, 0.0, 0.5]), 1.0))
    yield Case(np.clip, (a, None, np.array([[1.0], [2.0]])))
    yield Case(np.clip, (a, -1.0, None))
    yield Case(np.clip, (0.3, -1.0, 1.0))
    yield Case(np.clip, (a,), dict(min=np.array([-1.0, 0.0, 0.5]), max=1.0))   # NumPy 2.1
    yield Case(np.clip, (a,), dict(max=np.array([[1.0], [2.0]])))
    yield Case(np.real, (a,))
    yield Case(np.conj, (a,))
    yield Case(np.conjugate, (a,))


def scalar_builtin_cases():
    yield Case(max, (1.5, 3.0, -2.0))
    yield Case(max, (3.0, 1.5, 3.0))                           # tie
    yield Case(min, (1.5, 3.0, -2.0))
    yield Case(min, (-2.0, 1.5, -2.0))                         # tie
    yield Case(sum, ([1.5, 3.0, -2.0],))
    yield Case(sum, ([1.5, 3.0], 0.5))
    yield Case(list, (np.array([[1.5, 3.0], [0.5, -1.0]]),))   # the rows of an array
    yield Case(list, ([1.5, 3.0, -2.0],))
    yield Case(tuple, ([np.array([1.0, 2.0]), np.array([0.5, -1.0])],))
    yield Case(sorted, ([1.5, 3.0, -2.0],))
    yield Case(sorted, ([1.5, 3.0, -2.0],), dict(reverse=True))


def matmul_cases():
    shapes = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)),
              ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)),
              ((3,), (5, 3, 4)), ((5, 2, 3), (3,))]
    for fn in (operator.matmul, np.matmul):
        for s1, s2 in shapes:
            yield Case(fn, (U(-2, 2, *s1), U(-2, 2, *s2)))


# --- reductions -------------------------------------------------------------------

AXES = [(None, (3, 4)), (0, (3, 4)), (1, (3, 4)), (-1, (3, 4)), (None, (5,)), (0, (5,)),
        ((0, 2), (2, 3, 4)), ((-1, 0), (2, 3, 4)), (1, (2, 3, 4)), ((), (2, 3))]


def reduction_cases():
    for fn in (np.sum, np.mean, np.prod, np.max, np.amax, np.min, np.amin, np.std, np.var):
        lo = 0.5 if fn is np.prod else -3      # prod with zeros is tested below
        for axis, shape in AXES:
            for keepdims in (False, True):
                yield Case(fn, (U(lo, 2, *shape),), dict(axis=axis, keepdims=keepdims))
        yield Case(fn, (U(lo, 2),))                                  # a Python float
        yield Case(fn, (U(lo, 2, 3, 4), 1))                          # positional axis
    for fn in (np.std, np.var):
        yield Case(fn, (U(-3, 3, 3, 4),), dict(axis=0, ddof=1))
        yield Case(fn, (U(-3, 3, 6),), dict(ddof=1))
    # Zeros in prod: one zero in a slice (its entry gets the others' product), two.
    zeros = np.array([[0.0, 2.0, 3.0, 1.5], [0.0, 0.5, 0.0, 2.0], [1.0, 2.0, -1.0, 0.7]])
    for axis in (None, 0, 1, -1):
        yield Case(np.prod, (zeros,), dict(axis=axis))
    yield Case(np.prod, (np.array([2.0, 0.0, 3.0]),))
    # Two-way ties in max/min, overall and along each axis.
    ties = np.array([[3.0, -1.0, 3.0], [0.5, 2.0, 0.5], [0.5, 2.0, 1.0]])
    for fn, sign in ((np.max, 1), (np.amax, 1), (np.min, -1), (np.amin, -1)):
        for axis in (None, 0, 1):
            yield Case(fn, (sign * ties,), dict(axis=axis))


def cumsum_cases():
    for axis, shape in [(None, (5,)), (None, (3, 4)), (0, (3, 4)), (1, (3, 4)),
                        (-1, (2, 3, 4)), (1, (2, 3, 4))]:
        yield Case(np.cumsum, (U(-3, 3, *shape),), dict(axis=axis))
    yield Case(np.cumsum, (U(-3, 3, 4),))
    yield Case(np.cumsum, (U(-3, 3),))


def norm_cases():
    norm = np.linalg.norm
    for ord in (None, 2, 1, 3, 0.5, np.inf, -np.inf, 0):
        yield Case(norm, (away_from_zero(5),), dict(ord=ord))
    yield Case(norm, (np.array([3.0, -3.0, 1.0]),), dict(ord=np.inf))   # tied |x|
    yield Case(norm, (np.zeros(3),))                  # the zero subgradient at 0
    yield Case(norm, (U(-3, 3, 3, 4),))
    yield Case(norm, (U(-3, 3, 2, 3, 4),))
    yield Case(norm, (U(-3, 3, 3, 4),), dict(keepdims=True))
    yield Case(norm, (U(-3, 3),))
    for ord in ("fro", 2, -2, "nuc"):
        yield Case(norm, (U(-3, 3, 3, 4),), dict(ord=ord))
        yield Case(norm, (U(-3, 3, 2, 3, 4),), dict(ord=ord, axis=(0, 2), keepdims=True))
    for ord in (None, 2, 1, np.inf):
        yield Case(norm, (U(-3, 3, 3, 4),), dict(ord=ord, axis=1))
        yield Case(norm, (U(-3, 3, 3, 4),), dict(ord=ord, axis=0, keepdims=True))
    yield Case(norm, (U(-3, 3, 2, 3, 4),), dict(axis=(-1, 0)))


def trace_cases():
    yield Case(np.trace, (U(-3, 3, 3, 3),))
    yield Case(np.trace, (U(-3, 3, 3, 4), 1))
    yield Case(np.trace, (U(-3, 3, 4, 3),), dict(offset=-1))
    yield Case(np.trace, (U(-3, 3, 2, 3, 3),), dict(axis1=1, axis2=2))
    yield Case(np.trace, (U(-3, 3, 3, 2, 4),), dict(offset=1, axis1=-1, axis2=0))


# --- products -----------------------------------------------------------------------

def product_cases():
    for s1, s2 in [((), (3,)), ((2, 3), ()), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                   ((2, 3), (3, 4)), ((2, 2, 3), (3,)), ((2, 2, 3), (3, 4)),
                   ((2, 3), (4, 3, 2)), ((3,), (4, 3, 2))]:
        yield Case(np.dot, (U(-2, 2, *s1), U(-2, 2, *s2)))
    for s1, s2 in [((), (3,)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (2, 3)),
                   ((2, 3), (4, 3)), ((2, 2, 3), (4, 3))]:
        yield Case(np.inner, (U(-2, 2, *s1), U(-2, 2, *s2)))
    for s1, s2 in [((3,), (4,)), ((2, 2), (3,)), ((), (3,))]:
        yield Case(np.outer, (U(-2, 2, *s1), U(-2, 2, *s2)))
    yield Case(np.vdot, (U(-2, 2, 2, 3), U(-2, 2, 6)))
    yield Case(np.vdot, (U(-2, 2, 3), U(-2, 2, 3)))


EINSUMS = [
    ("ij,jk->ik", (2, 3), (3, 4)),
    ("ij,jk", (2, 3), (3, 4)),                           # implicit output
    ("ij,ij->", (2, 3), (2, 3)),
    ("i,j->ij", (2,), (3,)),
    ("ij,jk->i", (2, 3), (3, 4)),                        # k summed in one operand only
    ("ij,jk->k", (2, 3), (3, 4)),                        # i summed in one operand only
    ("bij,bjk->bik", (5, 2, 3), (5, 3, 4)),
    ("...ij,...jk->...ik", (5, 1, 2, 3), (4, 3, 2)),     # broadcast batch dimensions
    ("...ij,jk", (2, 2, 3), (3, 4)),                     # implicit, with ellipsis
    ("ij,ij->ij", (1, 3), (2, 3)),                       # size-1 dimension broadcast
    ("ij,jk->ik", (2, 1), (3, 4)),                       # size-1 summed dimension
    ("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
    ("a,ab,bc->c", (2,), (2, 3), (3, 4)),
    ("ij->ji", (2, 3)),
    ("ij->", (2, 3)),
    ("Ab,bA", (2, 3), (3, 2)),
]


def einsum_cases():
    for subscripts, *shapes in EINSUMS:
        yield Case(np.einsum, (subscripts, *[U(-2, 2, *s) for s in shapes]))


# --- shapes ---------------------------------------------------------------------------

def shape_cases():
    x = U(-3, 3, 2, 3, 4)
    yield Case(np.transpose, (x,))
    yield Case(np.transpose, (x, (1, 2, 0)))
    yield Case(np.transpose, (x,), dict(axes=(-1, 0, 1)))
    yield Case(np.transpose, (U(-3, 3),))
    yield Case(np.swapaxes, (x, 0, -1))
    yield Case(np.moveaxis, (x, 0, -1))
    yield Case(np.moveaxis, (x, (0, 1), (2, 0)))
    yield Case(np.flip, (x,))
    yield Case(np.flip, (x, 1))
    yield Case(np.flip, (x,), dict(axis=(0, 2)))
    yield Case(np.roll, (x, 2))
    yield Case(np.roll, (x, (1, -1), (0, 2)))
    yield Case(np.diagonal, (U(-3, 3, 3, 3),))
    yield Case(np.diagonal, (U(-3, 3, 3, 4), 1))
    yield Case(np.diagonal, (U(-3, 3, 4, 3),), dict(offset=-2))
    yield Case(np.diagonal, (x,), dict(offset=1, axis1=-1, axis2=0))
    yield Case(np.reshape, (U(-3, 3, 2, 6), (3, 4)))
    yield Case(np.reshape, (U(-3, 3, 2, 6), (-1, 2)))
    yield Case(np.reshape, (U(-3, 3, 2, 6), (3, 4)), dict(order="F"))
    yield Case(np.reshape, (U(-3, 3), (1, 1)))
    yield Case(np.ravel, (x,))
    yield Case(np.ravel, (x, "F"))
    for axis in (0, -1, (0, 2)):
        yield Case(np.expand_dims, (U(-3, 3, 2, 3), axis))
    for axis in (None, 0, (0, 2)):
        yield Case(np.squeeze, (U(-3, 3, 1, 3, 1),), dict(axis=axis))
    for fn in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
        yield Case(fn, (U(-3, 3),))
        yield Case(fn, (U(-3, 3, 3),))
    yield Case(np.broadcast_to, (U(-3, 3, 3), (2, 3)))
    yield Case(np.broadcast_to, (U(-3, 3, 2, 1), (4, 2, 3)))
    yield Case(np.broadcast_to, (U(-3, 3), (2, 3)))
    yield Case(np.copy, (x,))
    yield Case(np.copy, (U(-3, 3),))
    yield Case(np.float64, (x,))
    yield Case(np.float64, (U(-3, 3),))


def scipy_cases():
    for fn, low in ((special.expit, -3), (special.erf, -2), (special.erfc, -2),
                    (special.gammaln, 0.5)):
        yield Case(fn, (U(low, 2, 2, 3),))
        yield Case(fn, (U(low, 2),))
    x = U(-2, 2, 2, 3)
    for axis, keepdims in ((None, False), (1, False), (0, True), (-1, True)):
        yield Case(special.logsumexp, (x,), dict(axis=axis, keepdims=keepdims))
        yield Case(special.logsumexp, (x,), dict(axis=axis, keepdims=keepdims,
                                                  b=U(0.5, 2, 2, 3)))
    for fn in (special.softmax, special.log_softmax):
        for axis in (None, 0, -1):
            yield Case(fn, (x,), dict(axis=axis))


def joining_cases():
    a, b, c = U(-3, 3, 2, 3), U(-3, 3, 2, 1), U(-3, 3, 2, 2)
    yield Case(np.concatenate, ([a, b, c],), dict(axis=1))
    yield Case(np.concatenate, ([a, b, c], -1))
    yield Case(np.concatenate, ([a, U(-3, 3, 1, 3)],))
    yield Case(np.concatenate, ([a, U(-3, 3, 4), U(-3, 3, 2, 2)],), dict(axis=None))
    for axis in (0, 1, -1):
        yield Case(np.stack, ([a, U(-3, 3, 2, 3), U(-3, 3, 2, 3)], axis))
    yield Case(np.stack, ([U(-3, 3), U(-3, 3)],))
    yield Case(np.hstack, ([U(-3, 3, 2), U(-3, 3), U(-3, 3, 3)],))
    yield Case(np.hstack, ([a, b, c],))
    yield Case(np.vstack, ([U(-3, 3, 3), a, U(-3, 3, 3)],))
    yield Case(np.vstack, ([U(-3, 3, 3), U(-3, 3, 3)],))


def constructor_cases():
    yield Case(np.array, (U(-3, 3, 2, 3),))
    yield Case(np.array, (U(-3, 3),))
    yield Case(np.array, ([U(-3, 3), U(-3, 3), U(-3, 3)],))           # list literal
    yield Case(np.array, ([U(-3, 3, 3), U(-3, 3, 3)],))
    yield Case(np.array, ([[U(-3, 3), U(-3, 3)], [U(-3, 3), U(-3, 3)]],))
    yield Case(np.array, ([U(-3, 3), U(-3, 3)],), dict(ndmin=3))
    yield Case(np.array, (U(-3, 3, 3),), dict(ndmin=2))
    yield Case(np.asarray, (U(-3, 3, 2, 3),))
    yield Case(np.asarray, ([U(-3, 3), U(-3, 3)],))
    yield Case(np.full, ((2, 3), U(-3, 3)))
    yield Case(np.full, ((2, 3), U(-3, 3, 3)))
    yield Case(np.full_like, (np.ones((2, 3)), U(-3, 3)))
    yield Case(np.full_like, (np.ones((2, 3)), U(-3, 3, 3)))


# --- np.linalg: solvers and factorisations, and matrices from and to their parts -------

def well_conditioned(*shape):
    """Random entries in [-1, 1] plus 3 I on the last two axes (square)."""
    return U(-1, 1, *shape) + 3 * np.eye(shape[-1])


def spd(*shape):
    """B B^T + n I: symmetric positive definite (stacked where `shape` says so)."""
    b = U(-1, 1, *shape)
    return b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])


def orthogonal(n, *stack):
    return np.linalg.qr(rng.normal(size=(*stack, n, n)))[0]


def with_values(values, *stack):
    """Q diag(values) Q^T, symmetric with the given (well separated) eigenvalues."""
    q = orthogonal(len(values), *stack)
    return (q * np.asarray(values, float)) @ np.swapaxes(q, -1, -2)


def with_singular_values(m, n, values, *stack):
    """U diag(values) V^T of shape (m, n), the values well separated."""
    k = len(values)
    return (orthogonal(m, *stack)[..., :k] * np.asarray(values, float)) @ \
        np.swapaxes(orthogonal(n, *stack)[..., :k], -1, -2)


def linalg_cases():
    L = np.linalg
    for shape in [(1, 1), (3, 3), (2, 3, 3)]:
        yield Case(L.inv, (well_conditioned(*shape),))
        yield Case(L.det, (well_conditioned(*shape),))
        yield Case(L.slogdet, (well_conditioned(*shape),))
    yield Case(L.det, (-well_conditioned(3, 3),))                     # det < 0
    yield Case(L.slogdet, (np.diag([-1.0, 1.0, 1.0]) @ well_conditioned(3, 3),))   # sign -1
    for a, b in [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2)),
                 ((2, 3, 3), (3,)), ((3, 3), (2, 3, 4)), ((2, 3, 3), (2, 3, 1))]:
        yield Case(L.solve, (well_conditioned(*a), U(-2, 2, *b)))
    for shape in [(1, 1), (3, 3), (2, 3, 3)]:
        yield Case(L.cholesky, (spd(*shape),))
        yield Case(L.eigvalsh, (spd(*shape),))
    yield Case(L.cholesky, (spd(4, 4),), dict(upper=False))
    yield Case(L.eigh, (with_values([1.0, 2.5, 4.5]),))
    yield Case(L.eigh, (with_values([-2.0, 0.5, 3.0, 5.0]),))          # indefinite
    yield Case(L.eigh, (with_values([1.0, 2.5, 4.5], 2),))
    yield Case(L.eigh, (with_values([1.0, 3.0]),), dict(UPLO="L"))
    yield Case(L.eigvalsh, (with_values([-2.0, 0.5, 3.0]),), dict(UPLO="L"))
    for m, n, stack in [(3, 3, ()), (4, 3, ()), (3, 4, ()), (5, 2, ()), (4, 3, (2,))]:
        a = with_singular_values(m, n, [3.0, 2.0, 1.0][:min(m, n)], *stack)
        yield Case(L.svd, (a,), dict(full_matrices=False))
        yield Case(L.svd, (a,), dict(compute_uv=False))
    yield Case(L.svd, (with_singular_values(3, 3, [3.0, 2.0, 1.0]),))  # square, full
    yield Case(L.svd, (with_singular_values(3, 3, [3.0, 2.0, 1.0]), False))
    yield Case(L.svd, (U(-2, 2, 3, 4), False, False))                 # positional
    for shape in [(3, 3), (4, 3), (5, 2), (2, 4, 3)]:
        yield Case(L.qr, (U(-2, 2, *shape),))
    yield Case(L.qr, (U(-2, 2, 4, 3),), dict(mode="reduced"))
    for shape in [(3, 3), (4, 3), (3, 4), (2, 4, 3)]:
        yield Case(L.pinv, (with_singular_values(*shape[-2:], [3.0, 2.0, 1.0],
                                                 *shape[:-2]),))
    yield Case(L.pinv, (U(-2, 2, 2, 4),), dict(rcond=1e-10))
    for n in (0, 1, 2, 3, -1, -2):
        yield Case(L.matrix_power, (well_conditioned(3, 3), n))
    yield Case(L.matrix_power, (well_conditioned(2, 3, 3), 3))
    yield Case(L.matrix_power, (well_conditioned(2, 3, 3), -2))
    for shapes in [((2, 3), (3, 4)), ((2, 3), (3, 4), (4, 2)), ((3,), (3, 4), (4, 2)),
                   ((2, 3), (3, 4), (4,)), ((3,), (3, 4), (4,)),
                   ((2, 3), (3, 4), (4, 5), (5, 2)), ((3,), (3, 2), (2, 4), (4,))]:
        yield Case(L.multi_dot, ([U(-2, 2, *s) for s in shapes],))
    yield Case(L.multi_dot, ((U(-2, 2, 2, 3), U(-2, 2, 3, 2)),))       # a tuple


def lstsq_cases():
    """np.linalg.lstsq, whose rule differentiates the solution only: `check` puts a
    cotangent on output 0 and zero on the residuals, rank and singular values."""
    L = np.linalg
    for a, b in [((4, 3), (4,)), ((4, 3), (4, 2)), ((3, 3), (3,)), ((5, 2), (5, 3))]:
        yield Case(L.lstsq, (with_singular_values(*a, [3.0, 2.0, 1.0][:a[1]]),
                             U(-2, 2, *b)), dict(rcond=None), outputs=(0,))
    yield Case(L.lstsq, (with_singular_values(4, 3, [3.0, 2.0, 1.0]), U(-2, 2, 4)),
               outputs=(0,))


def parts_cases():
    for k in (0, 1, -2):
        yield Case(np.diag, (U(-3, 3, 3), k))
    yield Case(np.diag, (U(-3, 3, 3),))
    yield Case(np.diag, (U(-3, 3, 3),), dict(k=-1))
    for shape, k in [((3, 3), 0), ((3, 4), 1), ((4, 3), -1), ((3, 4), -2), ((3, 3), 2)]:
        yield Case(np.diag, (U(-3, 3, *shape), k))
    yield Case(np.diag, (U(-3, 3, 3, 3),))
    for fn in (np.tril, np.triu):
        yield Case(fn, (U(-3, 3, 3, 3),))
        for shape, k in [((3, 4), 1), ((4, 3), -1), ((3, 3), -2), ((3, 4), 2)]:
            yield Case(fn, (U(-3, 3, *shape), k))
        yield Case(fn, (U(-3, 3, 2, 3, 3),), dict(k=1))                # stacked
        yield Case(fn, (U(-3, 3, 3),))        # a vector: the (3, 3) matrix of it in each row
        yield Case(fn, (U(-3, 3, 4), -1))
    for s1, s2 in [((2,), (3,)), ((2, 3), (3, 2)), ((1, 3), (2, 1)), ((2, 2), (2, 2))]:
        yield Case(np.kron, (U(-2, 2, *s1), U(-2, 2, *s2)))
    for s1, s2, axes in [((2, 3, 4), (3, 4, 5), None), ((2, 3), (3, 4), 1),
                         ((2,), (3,), 0), ((2, 3), (4, 2), 0),
                         ((3, 2, 4), (2, 3, 5), ([1, 0], [0, 1])),
                         ((2, 3), (3, 4), (1, 0)), ((2, 3, 4), (4, 5), ([-1], [0])),
                         ((2, 3), (2, 3), 2)]:
        yield Case(np.tensordot, (U(-2, 2, *s1), U(-2, 2, *s2)),
                   {} if axes is None else dict(axes=axes))
    yield Case(np.tensordot, (U(-2, 2, 2, 3), U(-2, 2, 3, 4), 1))       # positional axes


# --- more elementwise functions, scipy.special, nan-skipping and weighted reductions ----

def more_elementwise_cases():
    for shape in SHAPES:
        yield Case(np.fabs, (away_from_zero(*shape),))
        yield Case(np.nan_to_num, (U(-3, 3, *shape),))
    # NaN and infinite entries become constants: their cotangent is zero.
    # (no infinities: replaced by the largest float, they would swamp the differences)
    yield Case(np.nan_to_num, (np.array([[1.5, np.nan, -0.7], [np.nan, 0.3, 2.0]]),))
    for s1, s2 in BROADCAST_SHAPES:
        yield Case(np.logaddexp2, (U(-3, 3, *s1), U(-3, 3, *s2)))
        yield Case(np.float_power, (U(0.5, 2, *s1), U(-2, 2, *s2)))
        yield Case(np.copysign, (away_from_zero(*s1), away_from_zero(*s2)))
    yield Case(np.logaddexp2, (U(-40, -30, 3), U(30, 40, 3)))          # far apart
    yield Case(np.float_power, (U(0.5, 2, 3), 3.0))


def special_cases():
    s = special
    UNARY = {s.gamma: (0.5, 3), s.digamma: (0.5, 3), s.psi: (0.5, 3), s.logit: (0.1, 0.9),
             s.log_expit: (-3, 3), s.ndtr: (-3, 3), s.log_ndtr: (-3, 3),
             s.ndtri: (0.05, 0.95), s.erfinv: (-0.9, 0.9), s.erfcinv: (0.1, 1.9),
             s.entr: (0.1, 3)}
    for fn, (lo, hi) in UNARY.items():
        for shape in SHAPES:
            yield Case(fn, (U(lo, hi, *shape),))
    yield Case(s.gamma, (U(-0.8, -0.2, 3),))                 # between the poles 0 and -1
    yield Case(s.digamma, (U(-1.8, -1.2, 3),))
    yield Case(s.log_expit, (np.array([-30.0, -8.0, 8.0, 30.0]),))   # the tails
    yield Case(s.log_ndtr, (np.array([-12.0, -6.0, 5.0]),))
    BINARY = {s.betaln: ((0.5, 3), (0.5, 3)), s.xlogy: ((-3, 3), (0.2, 3)),
              s.xlog1py: ((-3, 3), (-0.5, 3)), s.rel_entr: ((0.1, 3), (0.1, 3))}
    for fn, (d1, d2) in BINARY.items():
        for s1, s2 in BROADCAST_SHAPES:
            yield Case(fn, (U(*d1, *s1), U(*d2, *s2)))
    # x = 0: x log y is 0 there, its slope in x still log y (log1p y)
    for fn in (s.xlogy, s.xlog1py):
        yield Case(fn, (np.array([0.0, 1.5, 0.0]), U(0.2, 3, 3)))


def nan_reduction_cases():
    for fn in (np.nansum, np.nanmean):
        for axis, shape in AXES:
            for keepdims in (False, True):
                yield Case(fn, (U(-3, 3, *shape),), dict(axis=axis, keepdims=keepdims))
        yield Case(fn, (U(-3, 3),))
        yield Case(fn, (U(-3, 3, 3, 4), 1))                              # positional axis
        # NaNs are skipped (each slice keeps a number): no cotangent reaches them
        x = U(-3, 3, 3, 4)
        x[0, 1] = x[2, 3] = x[1, 1] = np.nan
        for axis in (None, 0, 1, -1):
            yield Case(fn, (x,), dict(axis=axis))
        yield Case(fn, (x,), dict(axis=1, keepdims=True))


def average_and_ptp_cases():
    for axis, shape in AXES:
        for keepdims in (False, True):
            yield Case(np.average, (U(-3, 3, *shape),), dict(axis=axis, keepdims=keepdims))
            yield Case(np.ptp, (U(-3, 3, *shape),), dict(axis=axis, keepdims=keepdims))
    for axis, shape in [(None, (5,)), (None, (3, 4)), (0, (3, 4)), (1, (3, 4)),
                        ((0, 2), (2, 3, 4))]:
        yield Case(np.average, (U(-3, 3, *shape),),
                   dict(axis=axis, weights=U(0.5, 2, *shape)))
    # 1-D weights along the axis
    yield Case(np.average, (U(-3, 3, 3, 4),), dict(axis=1, weights=U(0.5, 2, 4)))
    yield Case(np.average, (U(-3, 3, 3, 4),), dict(axis=0, weights=U(0.5, 2, 3)))
    yield Case(np.average, (U(-3, 3, 2, 3, 4), 1, U(0.5, 2, 3)))     # positional
    yield Case(np.average, (U(-3, 3, 2, 3, 4),), dict(axis=-1, weights=U(0.5, 2, 4),
                                                      keepdims=True))
    yield Case(np.average, (U(-3, 3),))
    yield Case(np.ptp, (U(-3, 3, 3, 4), 0))


# --- arrays: sorting, picking, repeating, padding, splitting, ... -------------------------

def distinct(*shape):
    """Entries with no two equal (a shuffled grid plus small noise): no ties to sort."""
    n = int(np.prod(shape))
    values = rng.permutation(np.linspace(-3, 3, n)) + U(-0.05, 0.05, n)
    return values.reshape(shape)


def sort_cases():
    for axis, shape in [(-1, (5,)), (0, (5,)), (None, (5,)), (-1, (3, 4)), (0, (3, 4)),
                        (None, (3, 4)), (1, (2, 3, 4)), (None, (2, 3, 4))]:
        yield Case(np.sort, (distinct(*shape),), dict(axis=axis))
    yield Case(np.sort, (distinct(3, 4),))
    yield Case(np.sort, (distinct(3, 4), 0))                           # positional axis
    yield Case(np.sort, (distinct(6),), dict(kind="stable"))


def take_cases():
    a = U(-3, 3, 3, 4)
    yield Case(np.take, (U(-3, 3, 5), [0, 2, 2, 4, 2]))                # repeated indices
    yield Case(np.take, (U(-3, 3, 5), np.array([[1, 3], [3, -1]])))    # 2-D, negative
    yield Case(np.take, (U(-3, 3, 5), 3))                              # one index
    yield Case(np.take, (a, [11, 0, 5, 5]))                            # flattened
    yield Case(np.take, (a, [3, 1, 1]), dict(axis=1))
    yield Case(np.take, (a, np.array([[0, 2], [2, 2]]), 0))
    yield Case(np.take, (a, 2), dict(axis=-1))
    yield Case(np.take, (U(-3, 3, 2, 3, 4), np.array([[2, 0, 2]]), 1))


def take_along_axis_cases():
    a = distinct(3, 4)
    yield Case(np.take_along_axis, (a, np.argsort(a, axis=1), 1))
    yield Case(np.take_along_axis, (a, np.array([[0, 0], [3, 1], [2, 2]]), 1))   # repeats
    yield Case(np.take_along_axis, (a, np.array([[2, 0, 0, 1], [1, 1, 2, 0]]), 0))
    yield Case(np.take_along_axis, (a,), dict(indices=np.argmax(a, axis=-1, keepdims=True),
                                             axis=-1))
    yield Case(np.take_along_axis, (a, np.array([3, 11, 3, 0]), None))
    yield Case(np.take_along_axis, (U(-3, 3, 5), np.array([4, 0, 0, 2]), -1))
    yield Case(np.take_along_axis, (U(-3, 3, 2, 3, 4), np.ones((2, 3, 2), int), 2))


def repeat_and_tile_cases():
    yield Case(np.repeat, (U(-3, 3, 4), 3))
    yield Case(np.repeat, (U(-3, 3, 2, 3), 2))                          # axis None: flat
    yield Case(np.repeat, (U(-3, 3, 4), [1, 0, 3, 2]))                 # per entry
    yield Case(np.repeat, (U(-3, 3, 2, 3), [2, 0, 1, 1, 3, 1]))        # per entry, flat
    yield Case(np.repeat, (U(-3, 3, 2, 3), 2), dict(axis=0))
    yield Case(np.repeat, (U(-3, 3, 2, 3), [1, 3, 0], 1))
    yield Case(np.repeat, (U(-3, 3, 2, 3, 4),), dict(repeats=[2, 1, 2], axis=-2))
    yield Case(np.repeat, (U(-3, 3), 3))
    for shape, reps in [((3,), 2), ((3,), (2, 2)), ((2, 3), (2, 1)), ((2, 3), 3),
                        ((2, 3), (2, 1, 2)), ((2, 1, 3), (1, 3)), ((), 3), ((2, 3), (1, 1))]:
        yield Case(np.tile, (U(-3, 3, *shape), reps))
    yield Case(np.tile, (U(-3, 3, 3),), dict(reps=(2, 1)))


def pad_cases():
    for shape, width in [((4,), 2), ((4,), (1, 3)), ((4,), ((0, 2),)), ((2, 3), 1),
                         ((2, 3), ((1, 2), (0, 3))), ((2, 3), (2, 1)),
                         ((2, 3, 2), ((0, 1), (1, 1), (2, 0)))]:
        yield Case(np.pad, (U(-3, 3, *shape), width))
        yield Case(np.pad, (U(-3, 3, *shape), width), dict(constant_values=U(-3, 3)))
    yield Case(np.pad, (U(-3, 3, 2, 3), 1, "constant"))
    yield Case(np.pad, (U(-3, 3, 2, 3), ((1, 0), (0, 2))),
               dict(mode="constant", constant_values=U(-3, 3)))
    yield Case(np.pad, (U(-3, 3, 4), 0), dict(constant_values=U(-3, 3)))   # no padding
    for mode in ("edge", "reflect", "symmetric", "wrap"):   # the padding copies entries
        yield Case(np.pad, (U(-3, 3, 4), 2, mode))
        yield Case(np.pad, (U(-3, 3, 2, 3), ((1, 2), (3, 0))), dict(mode=mode))


def split_cases():
    for fn in (np.split, np.array_split):
        yield Case(fn, (U(-3, 3, 6), 3))
        yield Case(fn, (U(-3, 3, 6), [1, 4]))
        yield Case(fn, (U(-3, 3, 4, 6), [2, 3], 1))
        yield Case(fn, (U(-3, 3, 4, 3), 2))
        yield Case(fn, (U(-3, 3, 2, 6, 3),), dict(indices_or_sections=3, axis=-2))
        yield Case(fn, (U(-3, 3, 6), [0, 2, 2, 5]))                   # empty parts
    yield Case(np.array_split, (U(-3, 3, 7), 3))                       # unequal sections
    yield Case(np.array_split, (U(-3, 3, 5, 2), 3, 0))
    yield Case(np.array_split, (U(-3, 3, 2, 5),), dict(indices_or_sections=2, axis=1))


def append_and_diff_cases():
    yield Case(np.append, (U(-3, 3, 3), U(-3, 3, 2)))
    yield Case(np.append, (U(-3, 3, 2, 3), U(-3, 3, 4)))               # both flattened
    yield Case(np.append, (U(-3, 3, 3), U(-3, 3)))                     # a float
    yield Case(np.append, (U(-3, 3), U(-3, 3, 2, 2)))
    yield Case(np.append, (U(-3, 3, 2, 3), U(-3, 3, 1, 3)), dict(axis=0))
    yield Case(np.append, (U(-3, 3, 2, 3), U(-3, 3, 2, 2), 1))
    yield Case(np.append, (U(-3, 3, 2, 3, 2), U(-3, 3, 2, 1, 2)), dict(axis=-2))
    for shape, kwargs in [((5,), {}), ((5,), dict(n=2)), ((5,), dict(n=4)),
                          ((3, 4), {}), ((3, 4), dict(axis=0)), ((3, 4), dict(n=2, axis=-1)),
                          ((2, 3, 4), dict(axis=1)), ((4, 3), dict(n=3, axis=0)),
                          ((5,), dict(n=0))]:
        yield Case(np.diff, (U(-3, 3, *shape),), kwargs)
    yield Case(np.diff, (U(-3, 3, 3, 4), 2, 1))                       # positional


def cumprod_cases():
    for axis, shape in [(None, (5,)), (None, (3, 4)), (0, (3, 4)), (1, (3, 4)),
                        (-1, (2, 3, 4)), (1, (2, 3, 4))]:
        yield Case(np.cumprod, (U(-2, 2, *shape),), dict(axis=axis))
    yield Case(np.cumprod, (U(-2, 2, 4),))
    yield Case(np.cumprod, (U(-2, 2, 3, 4), 0))                        # positional
    yield Case(np.cumprod, (U(-2, 2),))
    # Zeros: exact (no division by an entry)
    yield Case(np.cumprod, (np.array([1.5, 0.0, 2.0, -0.5]),))
    yield Case(np.cumprod, (np.array([0.0, 1.5, 0.0, 2.0, -0.7]),))
    yield Case(np.cumprod, (np.array([1.5, -2.0, 0.5, 0.0]),))          # zero last
    zeros = np.array([[0.0, 2.0, 3.0, 1.5], [0.7, 0.0, 0.0, 2.0], [1.2, 2.0, -1.0, 0.0]])
    for axis in (None, 0, 1):
        yield Case(np.cumprod, (zeros,), dict(axis=axis))


def interp_cases():
    xp = np.array([-1.0, 0.0, 0.5, 2.0, 3.0])
    # x inside xp's range, and below and above it (kinks at the points xp avoided)
    x = np.array([-0.6, 0.2, 0.3, 1.1, 2.7, -2.0, 3.5, 4.0])
    yield Case(np.interp, (x, xp, U(-2, 2, 5)))
    yield Case(np.interp, (x.reshape(2, 4), xp, U(-2, 2, 5)))
    yield Case(np.interp, (1.3, xp, U(-2, 2, 5)))
    yield Case(np.interp, (-1.7, xp, U(-2, 2, 5)))
    yield Case(np.interp, (np.array([0.1, 0.15, 0.4]), xp, U(-2, 2, 5)))  # one interval
    yield Case(np.interp, (U(0.05, 0.95, 4), np.array([0.0, 1.0]), U(-2, 2, 2)))
    yield Case(np.interp, (x,), dict(xp=xp, fp=U(-2, 2, 5)))


def cross_cases():
    for s1, s2 in [((3,), (3,)), ((4, 3), (4, 3)), ((4, 3), (3,)), ((3,), (2, 3)),
                   ((2, 1, 3), (4, 3)), ((2, 2, 3), (2, 1, 3))]:
        yield Case(np.cross, (U(-2, 2, *s1), U(-2, 2, *s2)))


def convolve_cases():
    for n, m in [(5, 3), (3, 5), (4, 4), (6, 2), (2, 6), (5, 4), (4, 5), (1, 3), (3, 1),
                 (6, 3)]:
        a, v = U(-2, 2, n), U(-2, 2, m)
        yield Case(np.convolve, (a, v))
        for mode in ("full", "same", "valid"):
            yield Case(np.convolve, (a, v), dict(mode=mode))
    yield Case(np.convolve, (U(-2, 2, 5), U(-2, 2, 3), "same"))           # positional


def polyval_and_trapezoid_cases():
    for p, x in [((4,), ()), ((4,), (3,)), ((3,), (2, 3)), ((1,), (3,)), ((2,), ()),
                 ((5,), (4,))]:
        yield Case(np.polyval, (U(-2, 2, *p), U(-2, 2, *x)))
    yield Case(np.polyval, (U(-2, 2, 3), np.array([0.0, 1.5])))
    for shape, kwargs in [((5,), {}), ((5,), dict(dx=0.3)), ((3, 4), {}),
                          ((3, 4), dict(axis=0)), ((3, 4), dict(dx=0.5, axis=-1)),
                          ((2, 3, 4), dict(axis=1, dx=2.0)), ((2,), {})]:
        yield Case(np.trapezoid, (U(-2, 2, *shape),), kwargs)
    xs = np.array([0.0, 0.3, 1.0, 1.2, 2.5])
    yield Case(np.trapezoid, (U(-2, 2, 5), xs))
    yield Case(np.trapezoid, (U(-2, 2, 3, 5),), dict(x=xs))
    yield Case(np.trapezoid, (U(-2, 2, 5, 3),), dict(x=xs, axis=0))
    yield Case(np.trapezoid, (U(-2, 2, 2, 3, 4), xs[:3], None, 1))


CASES = [*unary_cases(), *binary_cases(), *other_elementwise_cases(), *scalar_builtin_cases(),
         *matmul_cases(), *reduction_cases(), *cumsum_cases(), *norm_cases(), *trace_cases(),
         *product_cases(), *einsum_cases(), *shape_cases(), *joining_cases(),
         *constructor_cases(), *scipy_cases(), *linalg_cases(), *lstsq_cases(),
         *parts_cases(), *more_elementwise_cases(), *special_cases(), *nan_reduction_cases(),
         *average_and_ptp_cases(), *sort_cases(), *take_cases(), *take_along_axis_cases(),
         *repeat_and_tile_cases(), *pad_cases(), *split_cases(), *append_and_diff_cases(),
         *cumprod_cases(), *interp_cases(), *cross_cases(), *convolve_cases(),
         *polyval_and_trapezoid_cases()]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_template_matches_finite_differences(case):
    check(case)


# Rules for library functions are s2sad's own; other tests register rules for their
# own functions, which this check leaves alone.
LIBRARIES = {"numpy", "math", "operator", "_operator", "builtins", "scipy"}


def _is_library_function(fn) -> bool:
    module = getattr(fn, "__module__", None) or ("numpy" if isinstance(fn, np.ufunc) else "")
    return module.split(".")[0] in LIBRARIES


def test_every_template_is_covered():
    covered = {(case.fn, name) for case in CASES for name in checked_params(case)}
    missing = sorted(f"{rule.name}: d{name}" for rule in all_rules() for name in rule.vjp
                     if _is_library_function(rule.fn) and (rule.fn, name) not in covered)
    assert not missing, f"templates without a finite-difference case: {missing}"


# --- the checker itself, and behaviour finite differences cannot see ----------------

def test_checker_rejects_a_wrong_template():
    wrong = Rule(np.sin, parse_signature("x"), {"x": "g * np.sin(x)"})
    with pytest.raises(AssertionError):
        check(Case(np.sin, (U(-3, 3, 3),)), rule=wrong)


def test_checker_rejects_a_wrong_shape():
    wrong = Rule(np.sum, parse_signature("a"), {"a": "g"})
    with pytest.raises(AssertionError, match="shape"):
        check(Case(np.sum, (U(-3, 3, 3),)), rule=wrong)


def test_checker_rejects_a_read_only_cotangent():
    view = Rule(np.sum, parse_signature("a"), {"a": "np.broadcast_to(g, np.shape(a))"})
    with pytest.raises(AssertionError, match="read-only"):
        check(Case(np.sum, (U(-3, 3, 3),)), rule=view)


def test_checker_rejects_a_template_nonlinear_in_g():
    # Right for the cotangent `check` draws first (seed 0), wrong for larger ones.
    bound = np.abs(np.random.default_rng(0).normal(size=3)).max()
    wrong = Rule(np.sin, parse_signature("x"),
                 {"x": f"np.clip(g, -{bound}, {bound}) * np.cos(x)"})
    with pytest.raises(AssertionError, match="not linear"):
        check(Case(np.sin, (U(-3, 3, 3),)), rule=wrong)


def test_max_splits_a_three_way_tie_evenly():
    x = np.array([2.0, 1.0, 2.0, 2.0])
    np.testing.assert_allclose(runtime.extreme_weights(x, np.max(x)), [1 / 3, 0, 1 / 3, 1 / 3])
    assert runtime.select_extreme(3.0, (1.0, 1.0, 1.0), 1.0) == [1.0, 1.0, 1.0]


def test_prod_with_zeros_has_no_nan():
    x = np.array([[0.0, 0.0], [0.0, 2.0]])
    np.testing.assert_array_equal(runtime.prod_partials(x), [[0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(runtime.prod_partials(x, axis=1), [[0.0, 0.0], [2.0, 0.0]])
    assert runtime.prod_partials(np.zeros((2, 0)), axis=1).shape == (2, 0)


def test_einsum_diagonal_cotangent_lies_on_the_diagonal():
    g = np.array([1.0, 2.0, 3.0])
    (cotangent,) = runtime.einsum_adjoints(g, "ii->i", (np.ones((3, 3)),))
    np.testing.assert_array_equal(cotangent, np.diag(g))


@pytest.mark.parametrize("ord", [1, -1, np.inf, -np.inf])
def test_unsupported_matrix_norms_are_refused_clearly(ord):
    x = np.ones((2, 3))
    with pytest.raises(NotImplementedError, match="ord="):
        runtime.norm_adjoint(1.0, x, np.linalg.norm(x, ord), ord)


def test_scalar_parameters_get_scalar_cotangents():
    assert not isinstance(runtime.expand_reduced(1.0, 2.0), np.ndarray)
    assert not isinstance(runtime.clip_mask(0.5, 0.0, 1.0), np.ndarray)
    assert not isinstance(runtime.sinc_derivative(0.5), np.ndarray)


def test_lstsq_refuses_a_cotangent_on_anything_but_the_solution():
    a, b = with_singular_values(4, 3, [3.0, 2.0, 1.0]), U(-2, 2, 4)
    x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=None)
    for g in [(np.ones(3), np.ones_like(residuals), 0, np.zeros(3)),
              (np.ones(3), np.zeros_like(residuals), 0, np.ones(3))]:
        for helper in (runtime.lstsq_da, runtime.lstsq_db):
            with pytest.raises(NotImplementedError, match="solution of np.linalg.lstsq"):
                helper(g, a, b)


@pytest.mark.parametrize("mode", ["mean", "maximum", "linear_ramp"])
def test_pad_modes_that_compute_their_padding_are_refused_clearly(mode):
    with pytest.raises(NotImplementedError, match=f"np.pad without mode='{mode}'"):
        check(Case(np.pad, (U(-3, 3, 2, 3), 1), dict(mode=mode)))


@pytest.mark.parametrize("fn, kwargs, option", [
    (np.linalg.cholesky, dict(upper=True), "upper=True"),
    (np.linalg.eigh, dict(UPLO="U"), "UPLO='U'"),
    (np.linalg.eigvalsh, dict(UPLO="U"), "UPLO='U'"),
], ids=["cholesky", "eigh", "eigvalsh"])
def test_factorisations_of_the_upper_triangle_are_refused_clearly(fn, kwargs, option):
    with pytest.raises(NotImplementedError, match=option):
        check(Case(fn, (spd(3, 3),), kwargs))


def test_symmetric_factorisations_read_the_lower_triangle_only():
    # The upper triangle gets zero cotangent, as it does not change the result.
    a = spd(3, 3)
    g = np.tril(rng.normal(size=(3, 3)))
    found = runtime.cholesky_adjoint(g, np.linalg.cholesky(a))
    np.testing.assert_array_equal(np.triu(found, 1), 0.0)
    w, v = np.linalg.eigh(a)
    found = runtime.eigh_adjoint((rng.normal(size=3), rng.normal(size=(3, 3))), (w, v))
    np.testing.assert_array_equal(np.triu(found, 1), 0.0)
    np.testing.assert_array_equal(np.triu(runtime.eigvalsh_adjoint(np.ones(3), a), 1), 0.0)


@pytest.mark.parametrize("fn, args", [
    (np.linalg.svd, (U(-2, 2, 4, 3),)),                          # full_matrices=True
    (np.linalg.svd, (U(-2, 2, 3, 4), True)),
    (np.linalg.qr, (U(-2, 2, 3, 4),)),                           # wide
    (np.linalg.qr, (U(-2, 2, 4, 3), "complete")),
    (np.kron, (U(-2, 2, 2), U(-2, 2, 2, 3))),                    # vector and matrix
    (np.kron, (U(-2, 2, 2, 2, 2), U(-2, 2, 2, 2, 2))),
], ids=["svd-full-tall", "svd-full-wide", "qr-wide", "qr-complete", "kron-1d-2d",
        "kron-3d"])
def test_unsupported_linalg_forms_are_refused_clearly(fn, args):
    with pytest.raises(NotImplementedError, match="s2sad differentiates"):
        check(Case(fn, args))


# --- non-differentiable functions: the integer flag matches what they return ----

NONDIFF_SAMPLES = [
    (np.ndim, (np.ones(3),)), (np.size, (np.ones(3),)), (np.shape, (np.ones(3),)),
    (np.argmax, (np.ones(3),)), (np.argmin, (np.ones(3),)), (np.argsort, (np.ones(3),)),
    (np.count_nonzero, (np.ones(3),)), (np.any, (np.ones(3),)), (np.all, (np.ones(3),)),
    (np.isclose, (np.ones(3), 1.0)), (np.allclose, (np.ones(3), 1.0)),
    (np.array_equal, (np.ones(3), np.ones(3))), (np.array_equiv, (np.ones(3), 1.0)),
    (np.searchsorted, (np.arange(3.0), 1.5)), (np.nonzero, (np.ones(3),)),
    (np.argwhere, (np.ones(3),)), (np.flatnonzero, (np.ones(3),)),
    (np.digitize, (np.ones(3), np.arange(3.0))),
    (np.zeros_like, (np.ones(3),)), (np.ones_like, (np.ones(3),)),
    (np.empty_like, (np.ones(3),)),
    (np.zeros, (3,)), (np.ones, (3,)), (np.empty, (3,)), (np.eye, (3,)), (np.identity, (3,)),
    (np.arange, (0.0, 1.0, 0.25)), (np.arange, (4,)), (np.linspace, (0.0, 1.0, 5)),
]


@pytest.mark.parametrize("fn,args", NONDIFF_SAMPLES, ids=lambda v: getattr(v, "__name__", ""))
def test_nondiff_integer_flag(fn, args):
    rule = lookup(fn)
    assert rule is not None and rule.nondiff
    result = fn(*args)
    parts = result if isinstance(result, tuple) else (result,)
    dtype_kinds = {np.asarray(p).dtype.kind for p in parts}
    integer = dtype_kinds <= set("biu")
    if rule.integer == "args":   # integer exactly when the arguments are
        assert integer == all(np.asarray(a).dtype.kind in "biu" for a in args)
    elif rule.integer == "bool":   # a mask
        assert dtype_kinds == {"b"}
    else:
        assert bool(rule.integer) == integer
