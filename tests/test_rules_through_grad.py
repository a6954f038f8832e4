"""Every differentiable rule, pushed through the real transformer.

Each case differentiates a user-style program from `tests/rule_programs.py` with
respect to all its float arguments and compares with central finite differences
(`s2sad.check_grads`, default tolerances).  Inputs stay away from kinks and
singularities, except in the tie cases, which test the documented even split.

`test_every_differentiable_rule_is_exercised` resolves the functions and operators
each program in CASES uses and fails when a differentiable rule registered for a
numpy / math / operator / builtins function appears in none of them.
"""
import ast
import builtins
import inspect
import operator
import textwrap

import numpy as np
import pytest

import s2sad
from s2sad import runtime
from s2sad.rules import all_rules

from tests import rule_programs as P
from tests.ruletools import samplers

rng, U, away_from_zero = samplers(20240611)


def is_float(value) -> bool:
    return isinstance(value, float) or (isinstance(value, np.ndarray) and value.dtype.kind == "f")


def describe(value) -> str:
    if isinstance(value, np.ndarray):
        shape = "x".join(map(str, value.shape)) or "0d"
        return shape if value.dtype.kind == "f" else f"{value.dtype.kind}{shape}"
    return type(value).__name__


def case(program, *args):
    """One call of `program`, differentiated with respect to all its float arguments."""
    wrt = tuple(i for i, value in enumerate(args) if is_float(value))
    return pytest.param(program, args, wrt,
                        id=f"{program.__name__}({','.join(map(describe, args))})")


def shaped(program, domains, shapes):
    """One case per tuple of shapes; `domains` gives each argument's (lo, hi)."""
    for shape_tuple in shapes:
        yield case(program, *(U(lo, hi, *shape) for (lo, hi), shape in zip(domains, shape_tuple)))


def shaped1(program, domain, shapes):
    """`shaped` for a program of one argument: one case per shape."""
    return shaped(program, [domain], [(shape,) for shape in shapes])


SHAPES = [(), (3,), (2, 3)]                   # () is a Python float


# --- elementwise: numpy, one argument (and copies, which pass entries through) -----------

NP_UNARY = {
    P.np_sin: (-3, 3), P.np_cos: (-3, 3), P.np_tan: (-1.2, 1.2), P.np_arcsin: (-0.9, 0.9),
    P.np_arccos: (-0.9, 0.9), P.np_arctan: (-3, 3), P.np_sinh: (-2, 2), P.np_cosh: (-2, 2),
    P.np_tanh: (-2, 2), P.np_arcsinh: (-3, 3), P.np_arccosh: (1.2, 3),
    P.np_arctanh: (-0.9, 0.9), P.np_exp: (-2, 2), P.np_expm1: (-2, 2), P.np_exp2: (-2, 2),
    P.np_log: (0.2, 3), P.np_log1p: (-0.5, 3), P.np_log2: (0.2, 3), P.np_log10: (0.2, 3),
    P.np_sqrt: (0.2, 3), P.np_cbrt: (0.2, 3), P.np_square: (-3, 3),
    P.np_reciprocal: (0.3, 3), P.np_negative: (-3, 3), P.np_positive: (-3, 3),
    P.np_deg2rad: (-3, 3), P.np_rad2deg: (-3, 3), P.np_sinc: (-3, 3), P.copy: (-3, 3),
    P.np_float64: (-3, 3), P.scipy_expit: (-3, 3), P.scipy_erf: (-2, 2),
    P.scipy_erfc: (-2, 2), P.scipy_gammaln: (0.5, 3), P.scipy_logsumexp_all: (-2, 2),
    P.scipy_log_softmax: (-2, 2),
    P.array_of_array: (-3, 3), P.asarray_of_array: (-3, 3),
}
KINKED_AT_ZERO = [P.np_absolute, P.np_abs, P.builtin_abs, P.leaky_relu]


def unary_cases():
    for program, domain in NP_UNARY.items():
        yield from shaped1(program, domain, SHAPES)
    for program in KINKED_AT_ZERO:
        for shape in SHAPES:
            yield case(program, away_from_zero(*shape))
    yield case(P.np_sinc, np.array([0.0, 0.5, -1.5]))        # the removable point 0
    for program in (P.scipy_logsumexp_rows, P.scipy_softmax,   # along the last axis
                    P.scipy_logsumexp_weighted):
        yield from shaped1(program, (-2, 2), SHAPES[1:])


# --- elementwise: two arguments, numpy functions and Python operators ------------------

BROADCASTS = [((), ()), ((3,), (3,)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (3, 4)),
              ((2, 3), ()), ((2, 1, 3), (4, 1))]
ANY, POSITIVE = (-3, 3), (0.5, 2)
BINARY = {
    P.np_add: (ANY, ANY), P.np_subtract: (ANY, ANY), P.np_multiply: (ANY, ANY),
    P.np_divide: (ANY, POSITIVE), P.np_true_divide: (ANY, POSITIVE),
    P.np_power: (POSITIVE, (-2, 2)), P.np_arctan2: (ANY, (0.5, 3)),
    P.np_hypot: (ANY, (0.5, 3)), P.np_logaddexp: (ANY, ANY), P.np_maximum: (ANY, ANY),
    P.np_minimum: (ANY, ANY), P.np_fmax: (ANY, ANY), P.np_fmin: (ANY, ANY),
    P.op_add: (ANY, ANY), P.op_sub: (ANY, ANY), P.op_mul: (ANY, ANY),
    P.op_truediv: (ANY, POSITIVE), P.op_pow: (POSITIVE, (-2, 2)),
    P.np_mod: (ANY, POSITIVE), P.np_remainder: (ANY, POSITIVE), P.np_fmod: (ANY, POSITIVE),
    P.op_mod: (ANY, POSITIVE),
}
# In-place `z += y` (in the primal) cannot grow z: y broadcasts into x's shape.
AUGMENTED_SHAPES = [((), ()), ((3,), (3,)), ((3, 4), (4,)), ((2, 3), ()), ((), (3, 4))]


def binary_cases():
    for program, domains in BINARY.items():
        yield from shaped(program, domains, BROADCASTS)
    yield from shaped(P.op_augmented, [ANY, POSITIVE], AUGMENTED_SHAPES)
    for program in (P.op_neg, P.op_pos, P.op_pow_constants):
        yield from shaped1(program, ANY, SHAPES)
    yield from shaped(P.transpose_attribute, [ANY, ANY],
                      [((3,), (3,)), ((3, 2), (3,)), ((3, 2), (3, 4)), ((2, 3, 4), (4, 2, 5))])


def where_and_clip_cases():
    condition = rng.uniform(size=(3, 4)) > 0.5
    for x, y in [((3, 4), (3, 4)), ((4,), ()), ((), (3, 4)), ((3, 1), (1, 4))]:
        yield case(P.np_where, condition, U(-3, 3, *x), U(-3, 3, *y))
    yield case(P.np_where, condition[0], 0.7, -1.2)
    a = U(-2, 2, 3, 4)
    yield case(P.np_clip, a, -1.0, 1.0)
    yield case(P.np_clip, a, U(-1.5, -0.5, 4), 1.0)
    yield case(P.np_clip, a, -1.0, U(0.5, 1.5, 3, 1))
    yield case(P.np_clip, 0.3, -1.0, 1.0)
    yield case(P.np_clip, 1.7, -1.0, 1.0)                    # clipped: d/da_max is 1
    yield case(P.np_clip_keywords, a)
    yield case(P.np_clip_min_max, a, U(-1.5, -0.5, 4), U(0.5, 1.5, 3, 1))
    yield case(P.real_and_conjugate, a)
    yield case(P.np_clip_upper, a, 0.5)
    yield case(P.np_clip_upper, a, U(-0.5, 0.5, 4))


# --- the math module and builtins on Python floats --------------------------------------

MATH_UNARY = {
    P.math_sin: (-3, 3), P.math_cos: (-3, 3), P.math_tan: (-1.2, 1.2),
    P.math_asin: (-0.9, 0.9), P.math_acos: (-0.9, 0.9), P.math_atan: (-3, 3),
    P.math_sinh: (-2, 2), P.math_cosh: (-2, 2), P.math_tanh: (-2, 2),
    P.math_asinh: (-3, 3), P.math_acosh: (1.2, 3), P.math_atanh: (-0.9, 0.9),
    P.math_exp: (-2, 2), P.math_expm1: (-2, 2), P.math_log: (0.2, 3),
    P.math_log1p: (-0.5, 3), P.math_log2: (0.2, 3), P.math_log10: (0.2, 3),
    P.math_sqrt: (0.2, 3), P.math_erf: (-2, 2), P.math_erfc: (-2, 2),
    P.math_degrees: (-3, 3), P.math_radians: (-3, 3), P.builtin_float: (-3, 3),
}
MATH_BINARY = {P.math_atan2: (ANY, (0.5, 3)), P.math_pow: (POSITIVE, (-2, 2)),
               P.math_hypot: (ANY, (0.5, 3)), P.math_log_base: ((0.2, 3), (1.5, 4)),
               P.math_fmod: (ANY, POSITIVE)}


SCALAR_LOOPS = [P.scalar_math_loop, P.scalar_operators_loop, P.scalar_abs_loop,
                P.scalar_max_min_loop, P.scalar_sum_loop, P.scalar_float_loop]


def scalar_cases():
    for program, domain in MATH_UNARY.items():
        yield case(program, U(*domain))
        yield case(program, U(*domain))
    yield case(P.math_fabs, away_from_zero())
    yield case(P.math_fabs, away_from_zero())
    for program, domains in MATH_BINARY.items():
        yield from shaped(program, domains, [((), ())] * 2)
    yield from shaped1(P.float_of_sum, ANY, [(3,), (2, 3)])
    # max/min with each argument the extreme in turn.
    for program in (P.builtin_max, P.builtin_min):
        for args in [(2.5, 1.0, -2.0), (1.0, 2.5, -2.0), (-1.0, 0.5, 2.5)]:
            yield case(program, *args)
    for program in (P.builtin_max_of_two, P.builtin_min_of_two):
        yield case(program, 0.5, 1.5)
        yield case(program, 3.0, 1.5)
    for program in (P.builtin_sum, P.builtin_sum_start):
        yield from shaped(program, [ANY] * 3, [((), (), ()), ((3,), (3,), (3,)),
                                               ((3, 4), (4,), ())])
    yield from shaped(P.builtin_list_of_rows, [ANY] * 3, [((2, 3), (3,), ()),
                                                          ((2, 3), (2, 3), (3,))])
    yield case(P.builtin_sorted, 0.7, -0.4, 1.1)
    yield case(P.builtin_sorted, -0.7, 0.9, 0.3)
    for program in SCALAR_LOOPS:
        yield case(program, 0.7, 0.4, 3)
        yield case(program, 0.7, 0.4, 0)


# --- reductions -------------------------------------------------------------------------

REDUCTIONS = ["sum", "mean", "prod", "max", "amax", "min", "amin", "var", "std"]
# The programs <reduction>_<variant> in rule_programs.py, and the shapes they take.
REDUCTION_VARIANTS = {"all": [(), (5,), (3, 4), (2, 3, 4)], "axis": [(3, 4), (2, 3, 4)],
                      "keepdims": [(3, 4), (2, 3, 4)], "axes": [(2, 3, 4)]}
OTHER_REDUCTIONS = {P.var_ddof: [(3, 4)], P.std_ddof: [(5,), (2, 3)],
                    P.cumsum_all: [(), (5,), (3, 4)], P.cumsum_axis: [(3, 4), (2, 3, 4)],
                    P.cumsum_positional: [(4,), (3, 4)]}


def reduction_cases():
    for name in REDUCTIONS:
        domain = POSITIVE if name == "prod" else ANY
        for variant, shapes in REDUCTION_VARIANTS.items():
            yield from shaped1(getattr(P, f"{name}_{variant}"), domain, shapes)
    for program, shapes in OTHER_REDUCTIONS.items():
        yield from shaped1(program, ANY, shapes)


def norm_and_trace_cases():
    for shape in [(), (5,), (3, 4), (2, 3, 4)]:
        yield case(P.norm_default, away_from_zero(*shape))
    for program in (P.norm_l1, P.norm_inf, P.norm_3, P.norm_spectral):
        yield case(program, away_from_zero(5))
    for program in (P.norm_fro, P.norm_nuc, P.norm_spectral, P.norm_rows, P.norm_keepdims):
        yield case(program, U(-3, 3, 3, 4))
    yield case(P.norm_keepdims, U(-3, 3, 2, 3, 4))
    yield case(P.trace_square, U(-3, 3, 3, 3))
    yield case(P.trace_offset, U(-3, 3, 3, 4))
    yield case(P.trace_keyword_offset, U(-3, 3, 4, 3))
    yield case(P.trace_axes, U(-3, 3, 2, 3, 3))


# --- products -----------------------------------------------------------------------------

MATMULS = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
           ((5, 2, 3), (3, 4)), ((3,), (5, 3, 4))]
PRODUCTS = {
    P.op_matmul: MATMULS,
    P.np_matmul: MATMULS,
    P.np_dot: [((), (3,)), ((2, 3), ()), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
               ((2, 3), (3, 4)), ((2, 2, 3), (3, 4))],
    P.np_inner: [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)), ((), (3,))],
    P.np_outer: [((3,), (4,)), ((2, 2), (3,))],
    P.np_vdot: [((3,), (3,)), ((2, 3), (6,))],
    P.einsum_matmul: [((2, 3), (3, 4))],
    P.einsum_trace: [((3, 3),)],
    P.einsum_diagonal_times: [((3, 3), (3,))],
    P.einsum_batched_diagonal: [((2, 3, 3),)],
    P.einsum_implicit: [((2, 3), (3, 4))],
    P.einsum_full_contraction: [((2, 3), (2, 3))],
    P.einsum_batch: [((5, 2, 3), (5, 3, 4))],
    P.einsum_chain: [((2, 3), (3, 4), (4, 2))],
    P.einsum_optimized: [((2, 3), (3, 4), (4, 2))],
    P.einsum_bilinear: [((3,), (3, 4), (4,))],
}


def product_cases():
    for program, shapes in PRODUCTS.items():
        yield from shaped(program, [(-2, 2)] * len(shapes[0]), shapes)


# --- shapes -------------------------------------------------------------------------------

SHAPE_PROGRAMS = {
    P.reshape_c: [(2, 6), (12,)],
    P.reshape_column: [(), (3,)],
    P.reshape_fortran: [(2, 3)],
    P.ravel_c: [(), (2, 3)],
    P.ravel_fortran: [(2, 3)],
    P.expand_dims_outer: [(3,), (2, 3)],
    P.expand_dims_keyword: [(), (3,)],
    P.squeeze_all: [(), (1, 3, 1)],
    P.squeeze_axis: [(1, 3, 1)],
    P.atleast_1d: [(), (3,), (2, 3)],
    P.atleast_2d: [(), (3,), (2, 3)],
    P.atleast_3d: [(), (3,), (2, 3)],
    P.transpose_default: [(), (3,), (2, 3), (2, 3, 4)],
    P.transpose_axes: [(2, 3, 4)],
    P.transpose_keyword_axes: [(2, 3, 4)],
    P.swapaxes: [(2, 3, 4)],
    P.moveaxis: [(2, 3, 4)],
    P.moveaxis_tuples: [(2, 3, 4)],
    P.flip_all: [(2, 3)],
    P.flip_axis: [(2, 3)],
    P.roll_flat: [(2, 3)],
    P.roll_axis: [(2, 3)],
    P.diagonal_main: [(3, 3)],
    P.diagonal_offset: [(3, 4)],
    P.diagonal_axes: [(2, 4, 3)],
    P.broadcast_to: [(), (3,), (1, 3), (2, 1)],
    P.full: [(), (3,)],
    P.full_like: [(), (3,)],
}
JOINS = {
    P.concatenate_default: [((3,), (4,)), ((2, 3), (1, 3))],
    P.concatenate_axis: [((2, 3), (2, 1), (2, 2))],
    P.concatenate_tuple_positional: [((2,), (3,)), ((1, 3), (2, 3))],
    P.stack_default: [((), ()), ((3,), (3,)), ((2, 3), (2, 3))],
    P.stack_axis: [((3,), (3,))],
    P.hstack: [((), ()), ((2,), (3,)), ((2, 3), (2, 1))],
    P.vstack: [((3,), (3,)), ((2, 3), (1, 3))],
    P.array_of_scalars: [((), ())],
    P.array_of_arrays: [((3,), (3,))],
    P.array_nested: [((), ())],
    P.asarray_of_scalars: [((), ())],
}


def shape_cases():
    for program, shapes in SHAPE_PROGRAMS.items():
        yield from shaped1(program, ANY, shapes)
    for program, shapes in JOINS.items():
        yield from shaped(program, [ANY] * len(shapes[0]), shapes)


# --- array methods ------------------------------------------------------------------------

METHODS = {
    P.method_sum: [(3, 4)], P.method_mean: [(3, 4)], P.method_max_min: [(3, 4)],
    P.method_std_var: [(3, 4)], P.method_cumsum: [(3, 4)], P.method_reshape: [(2, 6)],
    P.method_transpose: [(2, 3, 4)], P.method_ravel_flatten: [(2, 3)],
    P.method_copy_astype: [(2, 3)], P.method_clip: [(3, 4)], P.method_squeeze: [(1, 3, 1)],
    P.method_trace: [(3, 3)],
}


def method_cases():
    for program, shapes in METHODS.items():
        yield from shaped1(program, ANY, shapes)
    yield from shaped1(P.method_prod, POSITIVE, [(2, 3)])
    yield from shaped(P.method_dot, [ANY, ANY], [((2, 3), (3,)), ((3,), (3, 4))])


# --- ties: the cotangent is split evenly (what central differences see for 2-way ties) ---

def tie_cases():
    x1 = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    x2 = np.array([[1.0, 0.0, 5.0], [0.5, 2.0, -3.0]])
    for program in (P.np_maximum, P.np_minimum, P.np_fmax, P.np_fmin):
        yield case(program, x1, x2)
        yield case(program, x1, x1[0].copy())                # ties under broadcasting
    yield case(P.builtin_max, 2.0, 2.0, -1.0)
    yield case(P.builtin_min, -1.0, 2.0, -1.0)
    yield case(P.max_all, np.array([3.0, -1.0, 3.0, 0.5]))
    yield case(P.min_axis, np.array([[3.0, -1.0, 0.5], [0.5, 2.0, 0.5]]))


# --- np.linalg, and matrices from and to their parts ----------------------------------------
# Well-conditioned inputs: random + 3 I to invert, B B^T + n I (SPD) to factor, and
# well separated eigenvalues and singular values where vectors are differentiated.

def well_conditioned(*shape):
    return U(-1, 1, *shape) + 3 * np.eye(shape[-1])


def spd(*shape):
    b = U(-1, 1, *shape)
    return b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])


def orthogonal(n):
    return np.linalg.qr(rng.normal(size=(n, n)))[0]


def with_values(values):
    """Q diag(values) Q^T: symmetric, with the given eigenvalues."""
    q = orthogonal(len(values))
    return (q * np.asarray(values, float)) @ q.T


def with_singular_values(m, n, values):
    k = len(values)
    return (orthogonal(m)[:, :k] * np.asarray(values, float)) @ orthogonal(n)[:, :k].T


def linalg_cases():
    for shape in [(3, 3), (2, 3, 3)]:
        yield case(P.linalg_inv, well_conditioned(*shape))
        yield case(P.linalg_det, well_conditioned(*shape))
        yield case(P.linalg_slogdet, well_conditioned(*shape))
    yield case(P.linalg_slogdet, np.diag([-1.0, 1.0, 1.0]) @ well_conditioned(3, 3))  # sign -1
    yield case(P.linalg_slogdet_indexed, well_conditioned(3, 3))
    for a, b in [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2)), ((2, 3, 3), (3,)),
                 ((3, 3), (2, 3, 4))]:
        yield case(P.linalg_solve, well_conditioned(*a), U(-2, 2, *b))
    for shape in [(3, 3), (2, 3, 3)]:
        yield case(P.linalg_cholesky, spd(*shape))
        yield case(P.linalg_eigvalsh, spd(*shape))
    for shape in [(3, 2), (3, 3), (3, 5)]:
        yield case(P.linalg_cholesky_of_gram, U(-1, 1, *shape))
    yield case(P.gaussian_negative_log_likelihood, U(-1, 1, 3, 3), U(-2, 2, 3))
    yield case(P.gaussian_negative_log_likelihood, U(-1, 1, 4, 2), U(-2, 2, 4, 2))
    yield case(P.linalg_eigh, with_values([1.0, 2.5, 4.5]))
    yield case(P.linalg_eigh, with_values([-2.0, 0.5, 3.0, 5.0]))
    yield case(P.linalg_eigh_values, spd(2, 3, 3))
    yield case(P.linalg_eigh_of_gram, U(-0.5, 0.5, 3, 3))
    yield case(P.linalg_eigh_of_gram, U(-0.5, 0.5, 3, 2))
    for m, n in [(3, 3), (4, 3), (3, 4), (5, 2)]:
        a = with_singular_values(m, n, [3.0, 2.0, 1.0][:min(m, n)])
        yield case(P.linalg_svd, a)
        yield case(P.linalg_svd_values, a)
    yield case(P.linalg_svd_values, U(-2, 2, 2, 4, 3))
    yield case(P.linalg_svd_square, with_singular_values(3, 3, [3.0, 2.0, 1.0]))
    for shape in [(3, 3), (4, 3), (5, 2)]:
        yield case(P.linalg_qr, U(-2, 2, *shape))
    for m, n in [(3, 3), (4, 3), (3, 4)]:
        yield case(P.linalg_pinv, with_singular_values(m, n, [3.0, 2.0, 1.0]))
    for a, b in [((4, 3), (4,)), ((4, 3), (4, 2)), ((3, 3), (3,))]:
        yield case(P.linalg_lstsq, with_singular_values(*a, [3.0, 2.0, 1.0]), U(-2, 2, *b))
    yield case(P.linalg_lstsq_unpacked, with_singular_values(4, 3, [3.0, 2.0, 1.0]),
               U(-2, 2, 4))
    yield case(P.linalg_lstsq_times_rank, with_singular_values(4, 3, [3.0, 2.0, 1.0]),
               U(-2, 2, 4))      # the integer rank: a constant factor
    for shape in [(3, 3), (2, 3, 3)]:
        yield case(P.linalg_matrix_power, U(-1, 1, *shape))
        yield case(P.linalg_matrix_power_negative, well_conditioned(*shape))
    yield case(P.linalg_matrix_power_zero_and_one, U(-2, 2, 3, 3))
    yield from shaped(P.linalg_multi_dot, [(-2, 2)] * 3,
                      [((2, 3), (3, 4), (4, 2)), ((3,), (3, 4), (4, 2)), ((2, 3), (3, 4), (4,))])
    yield from shaped(P.linalg_multi_dot_vectors, [(-2, 2)] * 3, [((3,), (3, 4), (3,))])


PARTS = {
    P.np_diag: [(3,), (3, 3), (3, 4)],
    P.np_diag_offset: [(3,), (3, 4), (4, 3)],
    P.np_tril: [(3, 3), (3, 4), (2, 3, 3), (3,)],
    P.np_tril_offset: [(3, 3), (4, 3)],
    P.np_triu: [(3, 3), (4, 3), (2, 3, 3), (4,)],
    P.np_triu_offset: [(3, 3), (3, 4)],
}
PAIRS_OF_PARTS = {
    P.np_kron: [((2,), (3,)), ((2, 3), (3, 2)), ((1, 3), (2, 1))],
    P.np_tensordot: [((2, 3, 4), (3, 4, 5)), ((2, 3), (2, 3))],
    P.np_tensordot_axes: [((3, 2, 4), (2, 3, 5)), ((3, 2), (2, 3))],
    P.np_tensordot_one: [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 2, 3), (3,))],
}


def parts_cases():
    for program, shapes in PARTS.items():
        yield from shaped1(program, ANY, shapes)
    for program, shapes in PAIRS_OF_PARTS.items():
        yield from shaped(program, [(-2, 2)] * 2, shapes)


# --- more elementwise functions and scipy.special ------------------------------------------

SPECIAL_UNARY = {
    P.scipy_gamma: (0.5, 3), P.scipy_digamma: (0.5, 3), P.scipy_psi: (0.5, 3),
    P.scipy_logit: (0.1, 0.9), P.scipy_log_expit: (-3, 3), P.scipy_ndtr: (-3, 3),
    P.scipy_log_ndtr: (-3, 3), P.scipy_ndtri: (0.05, 0.95), P.scipy_erfinv: (-0.9, 0.9),
    P.scipy_erfcinv: (0.1, 1.9), P.scipy_entr: (0.1, 3), P.logit_of_expit: (-2, 2),
    P.gamma_and_digamma: (0.5, 3), P.inverse_error_functions: (-1.5, 1.5),
    P.np_nan_to_num: ANY, P.np_float_power_integer_exponent: POSITIVE,
}
SPECIAL_BINARY = {
    P.np_logaddexp2: (ANY, ANY), P.np_float_power: (POSITIVE, (-2, 2)),
    P.np_nan_to_num_of_sum: (ANY, ANY),
    P.scipy_betaln: (POSITIVE, POSITIVE), P.scipy_xlogy: (ANY, (0.2, 3)),
    P.scipy_xlog1py: (ANY, (-0.5, 3)), P.scipy_rel_entr: ((0.1, 3), (0.1, 3)),
    P.entropy_terms: (ANY, (0.2, 3)),
}


def more_elementwise_cases():
    for program, domain in SPECIAL_UNARY.items():
        yield from shaped1(program, domain, SHAPES)
    for shape in SHAPES:
        yield case(P.np_fabs, away_from_zero(*shape))
    for program, domains in SPECIAL_BINARY.items():
        yield from shaped(program, domains, BROADCASTS)
    # copysign with respect to x1, away from its kink at 0 (the signs are integers:
    # the reverse rule has no template for x2)
    for s1, s2 in BROADCASTS:
        yield case(P.np_copysign, away_from_zero(*s1),
                   rng.choice([-1, 1], size=s2) if s2 else int(rng.choice([-1, 1])))
    # NaN entries (missing values): no gradient reaches them
    yield case(P.np_nan_to_num, np.array([[0.5, np.nan, -1.2], [np.nan, 2.0, 0.3]]))
    yield case(P.scipy_gamma, U(-0.8, -0.2, 3))              # between the poles 0 and -1
    yield case(P.scipy_log_expit, np.array([-30.0, -8.0, 8.0, 30.0]))
    yield case(P.scipy_log_ndtr, np.array([-12.0, -6.0, 5.0]))
    yield case(P.scipy_xlogy, np.array([0.0, 1.5, 0.0]), U(0.2, 3, 3))   # x = 0
    yield case(P.logistic_regression_loss, U(-1, 1, 3), U(-2, 2, 5, 3),
               np.array([1.0, 0.0, 0.0, 1.0, 1.0]))
    yield case(P.probit_log_likelihood, U(-1, 1, 3), U(-1, 1, 5, 3))
    yield case(P.beta_binomial_log_likelihood, U(0.5, 3), U(0.5, 3))
    yield case(P.beta_binomial_log_likelihood, U(0.5, 3, 3), U(0.5, 3))
    yield case(P.kl_divergence, U(-2, 2, 4), U(-2, 2, 4))
    yield case(P.gaussian_quantiles, U(-1, 1), U(0.5, 2), U(0.05, 0.95, 4))
    yield case(P.gaussian_quantiles, U(-1, 1, 4), U(0.5, 2, 4), U(0.05, 0.95, 4))


# --- nan-skipping, weighted and range reductions ---------------------------------------------

NAN_AND_WEIGHTED = {
    P.nansum_all: [(), (5,), (3, 4)], P.nansum_axis: [(3, 4), (2, 3, 4)],
    P.nansum_keepdims: [(3, 4)], P.nanmean_all: [(), (5,), (3, 4)],
    P.nanmean_axis: [(3, 4), (2, 3, 4)], P.nanmean_keepdims: [(3, 4)],
    P.nanmean_of_masked: [(4, 3)],
    P.average_all: [(), (5,), (3, 4)], P.average_axis: [(5,), (3, 4), (2, 3, 4)],
    P.average_keepdims: [(3, 4), (2, 3)], P.average_weighted: [(5,), (3, 4)],
    P.average_weighted_axis: [(3, 4), (2, 4, 3)], P.average_weighted_positional: [(3, 2)],
    P.ptp_all: [(5,), (3, 4)], P.ptp_axis: [(3, 4), (2, 3, 4)],       # random: no ties
    P.ptp_keepdims: [(3, 4), (5,)],
}


def nan_and_weighted_cases():
    for program, shapes in NAN_AND_WEIGHTED.items():
        yield from shaped1(program, ANY, shapes)
    x = U(-2, 2, 3, 4)
    x[0, 1] = x[2, 3] = x[1, 1] = np.nan       # each row and column keeps a number
    for program in (P.nansum_all, P.nansum_axis, P.nansum_keepdims, P.nanmean_all,
                    P.nanmean_axis, P.nanmean_keepdims):
        yield case(program, x.copy())


# --- sorting, picking, repeating, padding, splitting, ... ------------------------------------

def distinct(*shape):
    """Entries with no two equal: no ties to sort or rank."""
    n = int(np.prod(shape))
    return (rng.permutation(np.linspace(-2, 2, n)) + U(-0.05, 0.05, n)).reshape(shape)


ARRAY_PROGRAMS = {
    P.take_repeated: [(3,), (2, 3)], P.take_flattened: [(2, 3), (6,)],
    P.take_axis: [(2, 3), (3, 4)], P.take_one: [(4,), (3, 4)],
    P.take_along_top: [(2, 3)], P.take_along_flat: [(2, 3), (6,)],
    P.repeat_scalar: [(), (3,), (2, 3)], P.repeat_per_entry: [(3,), (3, 2)],
    P.repeat_axis: [(2, 3)], P.tile_rows: [(3,), (1, 3)], P.tile_times: [(3,), (2, 3)],
    P.pad_log_sum_exp: [(2, 3), (3, 1)], P.pad_copying_modes: [(4,), (2, 3), (3, 2)],
    P.split_parts: [(6,), (3, 2)], P.array_split_equal: [(6,), (6, 2)],
    P.diff_squared: [(5,), (3, 4)], P.diff_second: [(5,), (3, 4)], P.diff_axis: [(3, 4)],
    P.cumprod_weighted: [(), (5,), (2, 3)], P.cumprod_axis: [(3, 4), (2, 3, 4)],
    P.cumprod_columns: [(4, 3)],
    P.polyval_fit: [(4,), (1,)],
    P.trapezoid_dx: [(5,), (3, 4)], P.trapezoid_points: [(5,), (2, 5)],
    P.trapezoid_axis: [(3, 4)],
}
ARRAY_PAIRS = {
    P.pad_constant: [((3,), ()), ((2, 3), ())], P.pad_smooth: [((5,), ())],
    P.append_flat: [((3,), (2,)), ((2, 3), (4,)), ((3,), ()), ((), (2, 2))],
    P.append_axis: [((2, 3), (1, 3)), ((2, 3), (3, 3))], P.append_column: [((2, 3), (2, 2))],
    P.cross_squared: [((3,), (3,)), ((4, 3), (3,)), ((2, 1, 3), (4, 3))],
    P.cross_triple: [((4, 3), (4, 3), (4, 3)), ((3,), (2, 3), (3,))],
    P.convolve_full: [((5,), (3,)), ((3,), (5,)), ((1,), (4,))],
    P.convolve_same: [((5,), (3,)), ((3,), (5,)), ((4,), (4,)), ((6,), (2,)), ((2,), (5,))],
    P.convolve_valid: [((5,), (3,)), ((3,), (5,)), ((4,), (4,)), ((6,), (2,))],
    P.polyval_both: [((4,), ()), ((3,), (3,)), ((5,), (2, 3))],
}


def array_cases():
    for shape in [(5,), (7,)]:
        yield case(P.sort_weighted, distinct(*shape))
    for shape in [(5,), (3, 4), (2, 3, 4)]:
        yield case(P.sort_rows_weighted, distinct(*shape))
    yield case(P.sort_columns, distinct(4, 3))
    for shape in [(3, 4), (2, 3, 2)]:
        yield case(P.sort_flattened, distinct(*shape))
    yield case(P.trimmed_mean, distinct(6))
    yield case(P.sort_quantiles, np.array([0.3, -1.2, 0.8, 1.9, -0.5]))  # distinct squares
    yield case(P.take_along_sorted, distinct(3, 4))
    for program, shapes in ARRAY_PROGRAMS.items():
        yield from shaped1(program, ANY, shapes)
    for program, shapes in ARRAY_PAIRS.items():
        yield from shaped(program, [ANY] * len(shapes[0]), shapes)
    # cumprod with zeros: exact (no division by an entry)
    yield case(P.cumprod_weighted, np.array([1.5, 0.0, -2.0, 0.7]))
    yield case(P.cumprod_weighted, np.array([[0.0, 1.5, 0.0], [2.0, -0.7, 0.4]]))
    yield case(P.cumprod_axis, np.array([[0.5, 0.0, 1.5, -1.0], [1.2, 0.8, -0.3, 0.0],
                                         [0.0, 0.0, 2.0, 0.6]]))
    yield case(P.cumprod_columns, np.array([[1.5, 0.0, 0.3], [0.0, 0.7, -1.0],
                                            [-0.4, 1.1, 0.9], [0.8, 2.0, 0.0]]))
    # interp: points inside xp's range and beyond both ends (none at the points xp)
    inside_and_out = np.array([-0.6, 0.2, 0.3, 1.1, 2.7, -2.0, 3.5, 4.0])
    yield case(P.interp_values, inside_and_out, U(-2, 2, 5))
    yield case(P.interp_values, np.array([[-1.7, 0.4, 2.2], [3.3, 1.6, -0.2]]), U(-2, 2, 5))
    yield case(P.interp_of_square, np.array([0.4, -1.3, 1.8, 0.9, 2.2]), U(-2, 2, 4))
    for x in (1.3, -1.5, 3.4):
        yield case(P.interp_point, x, U(-2, 2, 5))


# Splits into parts of different shapes.
UNEQUAL_SPLITS = [
    *shaped1(P.split_indices, ANY, [(2, 5), (3, 4)]),
    *shaped1(P.array_split_unequal, ANY, [(7,), (5, 2), (4,)]),
    *shaped1(P.array_split_axis, ANY, [(2, 5), (3, 3)]),
]

CASES = [*unary_cases(), *binary_cases(), *where_and_clip_cases(), *scalar_cases(),
         *reduction_cases(), *norm_and_trace_cases(), *product_cases(), *shape_cases(),
         *method_cases(), *tie_cases(), *linalg_cases(), *parts_cases(),
         *more_elementwise_cases(), *nan_and_weighted_cases(), *array_cases(),
         *UNEQUAL_SPLITS]


@pytest.mark.parametrize("program, args, wrt", CASES)
def test_gradient_matches_finite_differences(program, args, wrt):
    s2sad.check_grads(program, args, wrt=wrt)


# --- forms the rules refuse ------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_pad_with_mode_mean_is_refused(mode):
    x = U(-1, 1, 2, 3)
    with pytest.raises(NotImplementedError, match="np.pad without mode='mean'"):
        if mode == "grad":
            s2sad.grad(P.pad_mean)(x)
        else:
            s2sad.jvp(P.pad_mean, (x,), (np.ones_like(x),))


@pytest.mark.parametrize("shape", [(4,), (3, 4)])
def test_average_with_returned_is_refused(shape):
    x = U(-1, 1, *shape)
    with pytest.raises(NotImplementedError, match="without returned=True"):
        s2sad.grad(P.average_returned)(x)
    with pytest.raises(NotImplementedError, match="without returned=True"):
        s2sad.jvp(P.average_returned, (x,), (np.ones_like(x),))
    with pytest.raises(NotImplementedError, match="without returned=True"):
        runtime.average_weights(x, None, None, True)


# --- the gradient has exactly the shape and type of its argument ---------------------------

def assert_like(gradient, value, what):
    if isinstance(value, np.ndarray):
        assert type(gradient) is np.ndarray, \
            f"{what}: gradient is a {type(gradient).__name__}, its argument an ndarray"
        assert gradient.shape == value.shape, \
            f"{what}: gradient has shape {gradient.shape}, its argument {value.shape}"
        assert gradient.dtype == np.float64, f"{what}: gradient has dtype {gradient.dtype}"
    else:   # a Python float: np.float64 is a float subclass, a 0-d array is not
        assert isinstance(gradient, float), \
            f"{what}: gradient is {gradient!r} ({type(gradient).__name__}), its argument a float"


def assert_gradients_like_arguments(program, args, wrt):
    gradients = s2sad.grad(program, wrt=wrt)(*args)
    assert len(gradients) == len(wrt)
    for i, gradient in zip(wrt, gradients):
        assert_like(gradient, args[i], f"d/d(argument {i}) of {program.__name__}")


def broadcast_arguments():
    n, d = 5, 3

    def u(*shape):
        return U(-1, 1, *shape)

    yield "(d,) bias + (n,d)", P.op_add, (u(n, d), u(d))
    yield "np.add((d,), (n,d))", P.np_add, (u(d), u(n, d))
    yield "float bias + (n,d)", P.op_add, (u(n, d), 0.3)
    yield "np.float64 bias + (n,d)", P.op_add, (u(n, d), np.float64(0.3))
    yield "0-d array * (n,d)", P.op_mul, (np.array(0.7), u(n, d))
    yield "(n,1) * (n,d)", P.op_mul, (u(n, 1), u(n, d))
    yield "(n,1) * (1,d)", P.op_mul, (u(n, 1), u(1, d))
    yield "float * (n,d)", P.op_mul, (0.7, u(n, d))
    yield "(1,d) - (n,d)", P.op_sub, (u(1, d), u(n, d))
    yield "(n,d) / (n,1)", P.op_truediv, (u(n, d), U(0.5, 2, n, 1))
    yield "where(c, (d,), float)", P.np_where, (u(n, d) > 0, u(d), 0.4)
    yield "sum([(n,d), (d,), float])", P.builtin_sum, (u(n, d), u(d), 0.2)
    yield "full((2,3), float)", P.full, (0.4,)
    yield "math.sin(float)", P.math_sin, (0.4,)
    yield "np.sin(float)", P.np_sin, (0.4,)
    yield "np.sum(float)", P.sum_all, (0.4,)


@pytest.mark.parametrize("program, args", [pytest.param(p, a, id=i)
                                           for i, p, a in broadcast_arguments()])
def test_broadcast_argument_gets_gradient_of_its_own_shape_and_type(program, args):
    wrt = tuple(i for i, value in enumerate(args) if is_float(value))
    assert_gradients_like_arguments(program, args, wrt)


@pytest.mark.parametrize("program, args, wrt", CASES)
def test_every_gradient_is_shaped_and_typed_like_its_argument(program, args, wrt):
    assert_gradients_like_arguments(program, args, wrt)


# --- scalar code calls no runtime helper -----------------------------------------------------

RUNTIME_HELPERS = {name for name, value in vars(runtime).items()
                   if callable(value) and getattr(value, "__module__", None) == runtime.__name__}
# The seed check and the final shaping of each gradient (in the return statement) run
# once per call, outside the per-operation code (see the README).
ONCE_PER_CALL = {"scalar_seed", "as_gradient"}


def called_names(source: str) -> set:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", None))
    return names


@pytest.mark.parametrize("program", SCALAR_LOOPS, ids=lambda p: p.__name__)
def test_scalar_code_calls_no_runtime_helper(program):
    derivative = s2sad.grad(program, wrt=(0, 1))
    derivative(0.7, 0.4, 3)
    helpers = called_names(derivative.source) & (RUNTIME_HELPERS - ONCE_PER_CALL)
    assert not helpers, f"runtime helpers {sorted(helpers)} in\n{derivative.source}"
    body = ast.parse(derivative.source).body[0].body
    before_return = ast.unparse(ast.Module(body=body[:-1], type_ignores=[]))
    assert "as_gradient" not in called_names(before_return)


# --- coverage: every differentiable library rule is exercised by some program -----------------

OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
             ast.Div: operator.truediv, ast.Pow: operator.pow, ast.MatMult: operator.matmul,
             ast.Mod: operator.mod,
             ast.USub: operator.neg, ast.UAdd: operator.pos}
LIBRARIES = {"numpy", "math", "operator", "_operator", "builtins"}


def resolve(node, namespace):
    """The object a Name / Attribute chain denotes in `namespace`, or None."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = resolve(node.value, namespace)
        return None if owner is None else getattr(owner, node.attr, None)
    return None


def functions_used(program) -> list:
    """The functions `program` calls and the operators it applies (resolved objects)."""
    namespace = {**vars(builtins), **program.__globals__}
    used = []
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(program)))):
        if isinstance(node, ast.Call):
            used.append(resolve(node.func, namespace))
        elif isinstance(node, (ast.BinOp, ast.UnaryOp, ast.AugAssign)):
            used.append(OPERATORS.get(type(node.op)))
    return [fn for fn in used if fn is not None]


def is_library_function(fn) -> bool:
    module = "numpy" if isinstance(fn, np.ufunc) else getattr(fn, "__module__", None) or ""
    return module.split(".")[0] in LIBRARIES


def test_coverage_resolver_sees_calls_attributes_and_operators():
    assert np.linalg.norm in functions_used(P.norm_default)
    assert operator.pow in functions_used(P.norm_default)
    assert operator.matmul in functions_used(P.transpose_attribute)
    assert {operator.add, operator.truediv, operator.pow} <= set(functions_used(P.op_augmented))
    assert {max, min, operator.mul} <= set(functions_used(P.scalar_max_min_loop))


def test_every_differentiable_rule_is_exercised():
    programs = {param.values[0] for param in CASES}
    exercised = {fn for program in programs for fn in functions_used(program)}
    missing = sorted(rule.name for rule in all_rules()
                     if not rule.nondiff and rule.vjp and is_library_function(rule.fn)
                     and rule.fn not in exercised)
    assert not missing, f"differentiable rules no program in CASES calls: {missing}"


# --- found by the tests' author: each gave a wrong derivative or crashed ---------------------

def interp_with_ends(x, fp):
    return np.sum(np.sin(np.interp(x, [0.0, 1.0, 2.0], fp, left=0.0, right=0.5)))


def interp_periodic(x, fp):
    return np.sum(np.interp(x, [0.0, 1.0, 2.0], fp, period=2.0))


def take_along_broadcast(x):
    return np.sum(np.sin(np.take_along_axis(x, np.array([[0, 2]]), axis=1)))


def take_clipped(x):
    return np.sum(np.sin(np.take(x, [0, 5, -7, 2], mode="clip"))) + np.sum(
        np.take(x, [7, 1], mode="wrap") ** 2)


def pad_per_side(x, c):
    return np.sum(np.pad(x, 1, constant_values=(c, 2.0)) ** 2)


def sign_of(x, y):
    return np.sum(np.copysign(x, y) * y)


def finite_parts(x):   # NumPy's keywords are accepted
    return np.sum(np.nan_to_num(x, nan=0.5, posinf=1.0, neginf=-1.0) ** 2)


@pytest.mark.parametrize("program, args", [
    (interp_with_ends, (np.array([-1.0, 0.5, 1.7, 3.0]), np.array([1.0, 3.0, 2.0]))),
    (take_along_broadcast, (U(-1, 1, 3, 4),)), (take_clipped, (U(-1, 1, 5),)),
    (finite_parts, (U(-1, 1, 3),)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_more_argument_forms_match_finite_differences(program, args):
    s2sad.check_grads(program, args)
    tangents = tuple(rng.normal(size=np.shape(a)) for a in args)
    found = s2sad.jvp(program, args, tangents)[1]
    gradients = s2sad.grad(program, wrt=tuple(range(len(args))))(*args)
    assert found == pytest.approx(sum(np.sum(g * t) for g, t in zip(gradients, tangents)))


def copysign_alone(x, y):
    return np.sum(np.copysign(x, y) ** 3)


def test_copysign_has_no_derivative_with_respect_to_the_sign():
    x, y = U(0.5, 2, 3), np.array([1.5, -0.7, 2.0])
    s2sad.check_grads(sign_of, (x, y))   # y's gradient comes from `* y` alone
    np.testing.assert_allclose(s2sad.grad(sign_of, wrt=1)(x, y), np.copysign(x, y))
    np.testing.assert_array_equal(s2sad.grad(copysign_alone, wrt=1)(x, y), np.zeros(3))
    assert s2sad.jvp(sign_of, (x, y), (None, np.ones(3)))[1] == pytest.approx(
        np.sum(np.copysign(x, y)))


def test_interp_with_a_period_and_pad_with_values_per_side_are_refused():
    with pytest.raises(NotImplementedError, match="without period="):
        s2sad.grad(interp_periodic)(np.array([2.5, -0.5]), np.array([1.0, 3.0, 2.0]))
    with pytest.raises(NotImplementedError, match="one number, not one per side"):
        s2sad.grad(pad_per_side, wrt=1)(U(-1, 1, 3), 0.3)
