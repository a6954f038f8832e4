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


CASES = [*unary_cases(), *binary_cases(), *where_and_clip_cases(), *scalar_cases(),
         *reduction_cases(), *norm_and_trace_cases(), *product_cases(), *shape_cases(),
         *method_cases(), *tie_cases()]


@pytest.mark.parametrize("program, args, wrt", CASES)
def test_gradient_matches_finite_differences(program, args, wrt):
    s2sad.check_grads(program, args, wrt=wrt)


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
