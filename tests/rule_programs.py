"""User-style programs that push every registered rule through the transformer.

`tests/test_rules_through_grad.py` differentiates each of them with
`s2sad.check_grads`; its coverage test resolves the functions and operators each
program uses, so a differentiable rule that no program here calls makes it fail.

Most programs end in `np.sum(np.sin(...))` or multiply by an input, so the
cotangent reaching the rule differs from entry to entry (a rule that ignored or
misplaced `g` would show).
"""
import math

import numpy as np
from scipy import special


# --- numpy elementwise, one argument ----------------------------------------------

def np_sin(x):
    return np.sum(np.sin(x) * x)


def np_cos(x):
    return np.sum(np.cos(x) * x)


def np_tan(x):
    return np.sum(np.tan(x) * x)


def np_arcsin(x):
    return np.sum(np.arcsin(x) * x)


def np_arccos(x):
    return np.sum(np.arccos(x) * x)


def np_arctan(x):
    return np.sum(np.arctan(x) * x)


def np_sinh(x):
    return np.sum(np.sinh(x) * x)


def np_cosh(x):
    return np.sum(np.cosh(x) * x)


def np_tanh(x):
    return np.sum(np.tanh(x) * x)


def np_arcsinh(x):
    return np.sum(np.arcsinh(x) * x)


def np_arccosh(x):
    return np.sum(np.arccosh(x) * x)


def np_arctanh(x):
    return np.sum(np.arctanh(x) * x)


def np_exp(x):
    return np.sum(np.exp(x) * x)


def np_expm1(x):
    return np.sum(np.expm1(x) * x)


def np_exp2(x):
    return np.sum(np.exp2(x) * x)


def np_log(x):
    return np.sum(np.log(x) * x)


def np_log1p(x):
    return np.sum(np.log1p(x) * x)


def np_log2(x):
    return np.sum(np.log2(x) * x)


def np_log10(x):
    return np.sum(np.log10(x) * x)


def np_sqrt(x):
    return np.sum(np.sqrt(x) * x)


def np_cbrt(x):
    return np.sum(np.cbrt(x) * x)


def np_square(x):
    return np.sum(np.square(x) * x)


def np_reciprocal(x):
    return np.sum(np.reciprocal(x) * x)


def np_absolute(x):
    return np.sum(np.absolute(x) * x)


def np_abs(x):
    return np.sum(np.abs(x) * x)


def np_negative(x):
    return np.sum(np.negative(x) * x)


def np_positive(x):
    return np.sum(np.positive(x) * x)


def np_deg2rad(x):
    return np.sum(np.deg2rad(x) * x)


def np_rad2deg(x):
    return np.sum(np.rad2deg(x) * x)


def np_sinc(x):
    return np.sum(np.sinc(x) * x)


def leaky_relu(x):
    return np.sum(np.where(x > 0, x, 0.1 * x) * x)


# --- numpy elementwise, two arguments ---------------------------------------------

def np_add(x1, x2):
    return np.sum(np.sin(np.add(x1, x2)))


def np_subtract(x1, x2):
    return np.sum(np.sin(np.subtract(x1, x2)))


def np_multiply(x1, x2):
    return np.sum(np.sin(np.multiply(x1, x2)))


def np_divide(x1, x2):
    return np.sum(np.sin(np.divide(x1, x2)))


def np_true_divide(x1, x2):
    return np.sum(np.sin(np.true_divide(x1, x2)))


def np_power(x1, x2):
    return np.sum(np.sin(np.power(x1, x2)))


def np_arctan2(x1, x2):
    return np.sum(np.sin(np.arctan2(x1, x2)))


def np_mod(x1, x2):
    return np.sum(np.sin(np.mod(x1, x2)))


def np_remainder(x1, x2):
    return np.sum(np.sin(np.remainder(x1, x2)))


def np_fmod(x1, x2):
    return np.sum(np.sin(np.fmod(x1, x2)))


def op_mod(x, y):
    return np.sum(np.sin(x % y))


def math_fmod(x, y):
    return math.fmod(x, y) * x


def np_hypot(x1, x2):
    return np.sum(np.sin(np.hypot(x1, x2)))


def np_logaddexp(x1, x2):
    return np.sum(np.sin(np.logaddexp(x1, x2)))


def np_maximum(x1, x2):
    return np.sum(np.sin(np.maximum(x1, x2)))


def np_minimum(x1, x2):
    return np.sum(np.sin(np.minimum(x1, x2)))


def np_fmax(x1, x2):
    return np.sum(np.sin(np.fmax(x1, x2)))


def np_fmin(x1, x2):
    return np.sum(np.sin(np.fmin(x1, x2)))


def np_where(condition, x, y):
    return np.sum(np.sin(np.where(condition, x, y)))


def np_clip(a, a_min, a_max):
    return np.sum(np.sin(np.clip(a, a_min, a_max)))


def np_clip_keywords(a):
    return np.sum(np.sin(np.clip(a, a_min=-1.0, a_max=1.0)))


def np_clip_min_max(a, lo, hi):
    return np.sum(np.sin(np.clip(a, min=lo, max=hi))) + np.sum(a.clip(max=hi) ** 2)


def real_and_conjugate(a):
    return np.sum(np.sin(a.real) * a.conj()) + np.sum(np.real(a) + np.imag(a)) \
        + np.sum(np.conjugate(a) ** 2)


def np_clip_upper(a, a_max):
    return np.sum(np.sin(np.clip(a, None, a_max)))


# --- Python operators ---------------------------------------------------------------

def op_add(x, y):
    return np.sum(np.sin(x + y))


def op_sub(x, y):
    return np.sum(np.sin(x - y))


def op_mul(x, y):
    return np.sum(np.sin(x * y))


def op_truediv(x, y):
    return np.sum(np.sin(x / y))


def op_pow(x, y):
    return np.sum(np.sin(x ** y))


def op_pow_constants(x):
    return np.sum(x ** 3 - 2.0 ** x)


def op_neg(x):
    return np.sum(np.sin(-x) * x)


def op_pos(x):
    return np.sum(np.sin(+x) * x)


def op_matmul(x, y):
    return np.sum(np.sin(x @ y))


def op_augmented(x, y):
    z = x * 1.5
    z += y
    z *= y
    z -= x
    z /= y
    z **= 2
    return np.sum(z)


def transpose_attribute(x, y):
    return np.sum(np.sin(x.T @ y))


# --- the math module on Python floats ------------------------------------------------

def math_sin(x):
    return math.sin(x) * x


def math_cos(x):
    return math.cos(x) * x


def math_tan(x):
    return math.tan(x) * x


def math_asin(x):
    return math.asin(x) * x


def math_acos(x):
    return math.acos(x) * x


def math_atan(x):
    return math.atan(x) * x


def math_sinh(x):
    return math.sinh(x) * x


def math_cosh(x):
    return math.cosh(x) * x


def math_tanh(x):
    return math.tanh(x) * x


def math_asinh(x):
    return math.asinh(x) * x


def math_acosh(x):
    return math.acosh(x) * x


def math_atanh(x):
    return math.atanh(x) * x


def math_exp(x):
    return math.exp(x) * x


def math_expm1(x):
    return math.expm1(x) * x


def math_log(x):
    return math.log(x) * x


def math_log1p(x):
    return math.log1p(x) * x


def math_log2(x):
    return math.log2(x) * x


def math_log10(x):
    return math.log10(x) * x


def math_sqrt(x):
    return math.sqrt(x) * x


def math_fabs(x):
    return math.fabs(x) * x


def math_erf(x):
    return math.erf(x) * x


def math_erfc(x):
    return math.erfc(x) * x


def math_degrees(x):
    return math.degrees(x) * x


def math_radians(x):
    return math.radians(x) * x


def math_atan2(y, x):
    return math.atan2(y, x) * y


def math_pow(x, y):
    return math.pow(x, y) * x


def math_hypot(x, y):
    return math.hypot(x, y) * x


def math_log_base(x, base):
    return math.log(x, base) * x


# --- builtins -------------------------------------------------------------------------

def builtin_float(x):
    return float(x * x) * x


def float_of_sum(x):
    return float(np.sum(x * x)) * 2.0


def builtin_abs(x):
    return np.sum(abs(x) * x)


def builtin_max(a, b, c):
    return max(a, b, c) * a


def builtin_min(a, b, c):
    return min(a, b, c) * a


def builtin_max_of_two(a, b):
    return max(a, b * b) * b


def builtin_min_of_two(a, b):
    return min(a, b * b) * b


def builtin_sum(a, b, c):
    return np.sum(np.sin(sum([a, b, c])) * c)


def builtin_sum_start(a, b, c):
    return np.sum(np.sin(sum([a * b, b], c)))


def builtin_list_of_rows(a, b, c):
    rows = list(a * b)
    return np.sum(np.sin(rows[0]) * c) + np.sum(np.stack(tuple(rows)))


def builtin_sorted(a, b, c):
    ranked = sorted([a * b, b, c * c])
    return ranked[0] * 2.0 + ranked[2] * a


# --- reductions -------------------------------------------------------------------------
# For each: the full reduction, a keyword axis, a positional axis with keepdims (its
# result broadcast back against x), and a tuple of axes.

def sum_all(x):
    return np.sum(x) ** 2


def sum_axis(x):
    return np.sum(np.sin(np.sum(x, axis=0)))


def sum_keepdims(x):
    return np.sum(np.sum(x, 1, keepdims=True) * x)


def sum_axes(x):
    return np.sum(np.sin(np.sum(x, axis=(0, 2))))


def mean_all(x):
    return np.mean(x) ** 2


def mean_axis(x):
    return np.sum(np.sin(np.mean(x, axis=0)))


def mean_keepdims(x):
    return np.sum(np.mean(x, 1, keepdims=True) * x)


def mean_axes(x):
    return np.sum(np.sin(np.mean(x, axis=(0, 2))))


def prod_all(x):
    return np.prod(x) ** 2


def prod_axis(x):
    return np.sum(np.sin(np.prod(x, axis=0)))


def prod_keepdims(x):
    return np.sum(np.prod(x, 1, keepdims=True) * x)


def prod_axes(x):
    return np.sum(np.sin(np.prod(x, axis=(0, 2))))


def max_all(x):
    return np.max(x) ** 2


def max_axis(x):
    return np.sum(np.sin(np.max(x, axis=0)))


def max_keepdims(x):
    return np.sum(np.max(x, 1, keepdims=True) * x)


def max_axes(x):
    return np.sum(np.sin(np.max(x, axis=(0, 2))))


def amax_all(x):
    return np.amax(x) ** 2


def amax_axis(x):
    return np.sum(np.sin(np.amax(x, axis=0)))


def amax_keepdims(x):
    return np.sum(np.amax(x, 1, keepdims=True) * x)


def amax_axes(x):
    return np.sum(np.sin(np.amax(x, axis=(0, 2))))


def min_all(x):
    return np.min(x) ** 2


def min_axis(x):
    return np.sum(np.sin(np.min(x, axis=0)))


def min_keepdims(x):
    return np.sum(np.min(x, 1, keepdims=True) * x)


def min_axes(x):
    return np.sum(np.sin(np.min(x, axis=(0, 2))))


def amin_all(x):
    return np.amin(x) ** 2


def amin_axis(x):
    return np.sum(np.sin(np.amin(x, axis=0)))


def amin_keepdims(x):
    return np.sum(np.amin(x, 1, keepdims=True) * x)


def amin_axes(x):
    return np.sum(np.sin(np.amin(x, axis=(0, 2))))


def var_all(x):
    return np.var(x) ** 2


def var_axis(x):
    return np.sum(np.sin(np.var(x, axis=0)))


def var_keepdims(x):
    return np.sum(np.var(x, 1, keepdims=True) * x)


def var_axes(x):
    return np.sum(np.sin(np.var(x, axis=(0, 2))))


def var_ddof(x):
    return np.sum(np.sin(np.var(x, axis=0, ddof=1)))


def std_all(x):
    return np.std(x) ** 2


def std_axis(x):
    return np.sum(np.sin(np.std(x, axis=0)))


def std_keepdims(x):
    return np.sum(np.std(x, 1, keepdims=True) * x)


def std_axes(x):
    return np.sum(np.sin(np.std(x, axis=(0, 2))))


def std_ddof(x):
    return np.std(x, ddof=1) ** 2


def cumsum_all(x):
    return np.sum(np.sin(np.cumsum(x)))


def cumsum_axis(x):
    return np.sum(np.sin(np.cumsum(x, axis=1)))


def cumsum_positional(x):
    return np.sum(np.sin(np.cumsum(x, 0)))


def norm_default(x):
    return np.linalg.norm(x) ** 3


def norm_l1(x):
    return np.linalg.norm(x, ord=1) ** 2


def norm_inf(x):
    return np.linalg.norm(x, np.inf) ** 2


def norm_3(x):
    return np.linalg.norm(x, 3) ** 2


def norm_fro(x):
    return np.linalg.norm(x, "fro") ** 2


def norm_nuc(x):
    return np.linalg.norm(x, ord="nuc") ** 2


def norm_spectral(x):
    return np.linalg.norm(x, ord=2) ** 2


def norm_rows(x):
    return np.sum(np.sin(np.linalg.norm(x, axis=1)))


def norm_keepdims(x):
    return np.sum(x / np.linalg.norm(x, axis=-1, keepdims=True) * x)


def trace_square(x):
    return np.trace(x) ** 2


def trace_offset(x):
    return np.trace(x, 1) ** 2


def trace_keyword_offset(x):
    return np.trace(x, offset=-1) ** 2


def trace_axes(x):
    return np.sum(np.sin(np.trace(x, axis1=1, axis2=2)))


# --- products -------------------------------------------------------------------------

def np_matmul(x1, x2):
    return np.sum(np.sin(np.matmul(x1, x2)))


def np_dot(a, b):
    return np.sum(np.sin(np.dot(a, b)))


def np_inner(a, b):
    return np.sum(np.sin(np.inner(a, b)))


def np_outer(a, b):
    return np.sum(np.sin(np.outer(a, b)))


def np_vdot(a, b):
    return np.sin(np.vdot(a, b))


def einsum_trace(a):
    return np.einsum("ii", a) ** 2


def einsum_diagonal_times(a, v):
    return np.sum(np.sin(np.einsum("ii,i->i", a, v)))


def einsum_batched_diagonal(a):
    return np.sum(np.sin(np.einsum("bii->bi", a)))


def einsum_matmul(a, b):
    return np.sum(np.sin(np.einsum("ij,jk->ik", a, b)))


def einsum_implicit(a, b):
    return np.sum(np.sin(np.einsum("ij,jk", a, b)))


def einsum_full_contraction(a, b):
    return np.sin(np.einsum("ij,ij->", a, b))


def einsum_batch(a, b):
    return np.sum(np.sin(np.einsum("bij,bjk->bik", a, b)))


def einsum_chain(a, b, c):
    return np.sum(np.sin(np.einsum("ij,jk,kl->il", a, b, c)))


def einsum_bilinear(x, A, y):
    return np.sin(np.einsum("i,ij,j->", x, A, y))


def einsum_optimized(a, b, c):
    return np.sum(np.sin(np.einsum("ij,jk,kl->il", a, b, c, optimize=True)))


# --- shapes -----------------------------------------------------------------------------
# An elementwise loss is enough here: the gradient of sum(sin(P x)) is cos(x) for any
# rearrangement P, and an adjoint that does not undo P exactly gives something else.

def reshape_c(x):
    return np.sum(np.sin(np.reshape(x, (3, 4))))


def reshape_column(x):
    return np.sum(np.sin(np.reshape(x, (-1, 1))))


def reshape_fortran(x):
    return np.sum(np.sin(np.reshape(x, (-1,), order="F")))


def ravel_c(x):
    return np.sum(np.sin(np.ravel(x)))


def ravel_fortran(x):
    return np.sum(np.sin(np.ravel(x, "F")))


def expand_dims_outer(x):
    return np.sum(np.sin(np.expand_dims(x, 1) * x))


def expand_dims_keyword(x):
    return np.sum(np.sin(np.expand_dims(x, axis=-1)))


def squeeze_all(x):
    return np.sum(np.sin(np.squeeze(x)))


def squeeze_axis(x):
    return np.sum(np.sin(np.squeeze(x, axis=0)))


def atleast_1d(x):
    return np.sum(np.sin(np.atleast_1d(x)))


def atleast_2d(x):
    return np.sum(np.sin(np.atleast_2d(x)))


def atleast_3d(x):
    return np.sum(np.sin(np.atleast_3d(x)))


def transpose_default(x):
    return np.sum(np.sin(np.transpose(x)))


def transpose_axes(x):
    return np.sum(np.sin(np.transpose(x, (1, 2, 0))))


def transpose_keyword_axes(x):
    return np.sum(np.sin(np.transpose(x, axes=(2, 0, 1))))


def swapaxes(x):
    return np.sum(np.sin(np.swapaxes(x, 0, 2)))


def moveaxis(x):
    return np.sum(np.sin(np.moveaxis(x, 0, -1)))


def moveaxis_tuples(x):
    return np.sum(np.sin(np.moveaxis(x, (0, 1), (2, 0))))


def flip_all(x):
    return np.sum(np.sin(np.flip(x)))


def flip_axis(x):
    return np.sum(np.sin(np.flip(x, axis=1)))


def roll_flat(x):
    return np.sum(np.sin(np.roll(x, 2)))


def roll_axis(x):
    return np.sum(np.sin(np.roll(x, 1, axis=1)))


def diagonal_main(x):
    return np.sum(np.sin(np.diagonal(x)))


def diagonal_offset(x):
    return np.sum(np.sin(np.diagonal(x, 1)))


def diagonal_axes(x):
    return np.sum(np.sin(np.diagonal(x, offset=-1, axis1=1, axis2=2)))


def concatenate_default(a, b):
    return np.sum(np.sin(np.concatenate([a, b])))


def concatenate_axis(a, b, c):
    return np.sum(np.sin(np.concatenate([a, b, c], axis=1)))


def concatenate_tuple_positional(a, b):
    return np.sum(np.sin(np.concatenate((a, b), 0)))


def stack_default(a, b):
    return np.sum(np.sin(np.stack([a, b])))


def stack_axis(a, b):
    return np.sum(np.sin(np.stack([a, b], axis=1)))


def hstack(a, b):
    return np.sum(np.sin(np.hstack([a, b])))


def vstack(a, b):
    return np.sum(np.sin(np.vstack([a, b])))


def broadcast_to(x):
    return np.sum(np.sin(np.broadcast_to(x, (2, 3))))


def copy(x):
    return np.sum(np.sin(np.copy(x)) * x)


def array_of_scalars(a, b):
    return np.sum(np.sin(np.array([a, b * a, 2.0])))


def array_of_arrays(a, b):
    return np.sum(np.sin(np.array([a, b])))


def array_nested(a, b):
    return np.sum(np.sin(np.array([[a, b], [b * b, a]])))


def array_of_array(x):
    return np.sum(np.sin(np.array(x)) * x)


def asarray_of_scalars(a, b):
    return np.sum(np.sin(np.asarray([a, b])))


def asarray_of_array(x):
    return np.sum(np.sin(np.asarray(x)) * x)


def full(a):
    return np.sum(np.sin(np.full((2, 3), a)))


def full_like(a):
    return np.sum(np.sin(np.full_like(np.ones((2, 3)), a)))


# --- array methods (differentiated with the rules of the NumPy functions) ------------

def method_sum(x):
    return np.sum(np.sin(x.sum(axis=0))) + x.sum() ** 2


def method_mean(x):
    return np.sum(x.mean(1, keepdims=True) * x)


def method_prod(x):
    return x.prod() ** 2


def method_max_min(x):
    return np.sum(np.sin(x.max(axis=1))) * x.min()


def method_std_var(x):
    return np.sum(np.sin(x.std(axis=0))) + x.var(ddof=1) ** 2


def method_cumsum(x):
    return np.sum(np.sin(x.cumsum(axis=1)))


def method_reshape(x):
    return np.sum(np.sin(x.reshape(3, 4)) * x.reshape((4, 3)).T)


def method_transpose(x):
    return np.sum(np.sin(x.transpose(1, 2, 0)) * x.transpose((1, 2, 0)))


def method_ravel_flatten(x):
    return np.sum(np.sin(x.ravel()) * x.flatten())


def method_copy_astype(x):
    return np.sum(np.sin(x.copy()) * x.astype(float))


def method_dot(a, b):
    return np.sum(np.sin(a.dot(b)))


def method_clip(a):
    return np.sum(np.sin(a.clip(-1.0, 1.0)))


def method_squeeze(x):
    return np.sum(np.sin(x.squeeze()))


def method_trace(x):
    return x.trace() ** 2


# --- scalar code: no runtime helpers expected in the generated source ---------------

def scalar_math_loop(x, y, n):
    s = 0.0
    for i in range(n):
        s = s + math.sin(x * i) * math.exp(-y) + math.sqrt(x + s * s)
        s = math.tanh(s) + math.log(1.0 + y * y) - math.atan2(x, y + 2.0)
        s = s + math.hypot(s, y) / math.cosh(x) + math.pow(x, 1.5) - math.erf(y)
    return s


def scalar_operators_loop(x, y, n):
    s = 1.0
    for _ in range(n):
        s = -s * x + y / (1.0 + s * s) - (x - y) ** 2 + (+y) ** x
    return s


def scalar_abs_loop(x, y, n):
    s = 0.0
    for _ in range(n):
        s = s * 0.5 + abs(x - y * s)
    return s


def scalar_max_min_loop(x, y, n):
    s = 0.0
    for _ in range(n):
        s = s * 0.5 + max(x, y, s) * min(x, y)
    return s


def scalar_sum_loop(x, y, n):
    s = 0.0
    for _ in range(n):
        s = s * 0.5 + sum([x, y * s, 1.0])
    return s


def scalar_float_loop(x, y, n):
    s = 0.0
    for _ in range(n):
        s = s * 0.5 + float(x * y) * s
    return s


def np_float64(x):
    return np.sum(np.sin(np.float64(x)))


def scipy_expit(x):
    return np.sum(np.sin(special.expit(x)))


def scipy_erf(x):
    return np.sum(np.sin(special.erf(x)))


def scipy_erfc(x):
    return np.sum(np.sin(special.erfc(x)))


def scipy_gammaln(x):
    return np.sum(np.sin(special.gammaln(x)))


def scipy_logsumexp_rows(x):
    return np.sum(np.sin(special.logsumexp(x, axis=-1, keepdims=True)))


def scipy_logsumexp_all(x):
    return np.sin(special.logsumexp(x))


def scipy_softmax(x):
    return np.sum(np.sin(special.softmax(x, axis=-1)))


def scipy_log_softmax(x):
    return np.sum(np.sin(special.log_softmax(x)))


def scipy_logsumexp_weighted(x):
    return np.sin(special.logsumexp(x, b=np.linspace(0.5, 2.0, np.shape(x)[-1])))


# --- np.linalg: solvers and factorisations ---------------------------------------------
# Eigenvectors and singular vectors have arbitrary signs: the programs use functions of
# them that do not see the signs (squares, u_i v_i^T).

def linalg_inv(a):
    return np.sum(np.sin(np.linalg.inv(a)))


def linalg_solve(a, b):
    return np.sum(np.sin(np.linalg.solve(a, b)))


def linalg_det(a):
    return np.sum(np.sin(np.linalg.det(a)))


def linalg_slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return np.sum(np.sin(logdet) * sign)


def linalg_slogdet_indexed(a):
    return np.linalg.slogdet(a)[1] ** 2


def linalg_cholesky(a):
    return np.sum(np.sin(np.linalg.cholesky(a)))


def linalg_cholesky_of_gram(a):
    s = a @ a.T + 3 * np.eye(3)
    return np.sum(np.sin(np.linalg.cholesky(s)))


def gaussian_negative_log_likelihood(a, x):
    # the covariance a a^T + I through its Cholesky factor
    chol = np.linalg.cholesky(a @ a.T + np.eye(a.shape[0]))
    z = np.linalg.solve(chol, x)
    return 0.5 * np.sum(z * z) + np.sum(np.log(np.diagonal(chol)))


def linalg_eigh(a):
    w, v = np.linalg.eigh(a)
    return np.sum(w * w) + np.sum(np.sin(v[:, 0] ** 2))


def linalg_eigh_of_gram(a):
    s = a @ a.T + np.diag(np.array([1.0, 4.0, 9.0]))
    w, v = np.linalg.eigh(s)
    return np.sum(np.sin(w)) + np.sum(np.sin(v * v) * np.arange(1.0, 10.0).reshape(3, 3))


def linalg_eigh_values(a):
    return np.sum(np.sin(np.linalg.eigh(a)[0]))


def linalg_eigvalsh(a):
    return np.sum(np.sin(np.linalg.eigvalsh(a)))


def linalg_svd(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(np.sin(s)) + np.sum(np.sin(u[:, :1] * vh[:1, :])) + np.sum(vh[-1] ** 4)


def linalg_svd_square(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(s ** 3) + np.sum(np.sin(u ** 2)) + np.sum(np.cos(vh ** 2))


def linalg_svd_values(a):
    return np.sum(np.sin(np.linalg.svd(a, compute_uv=False)))


def linalg_qr(a):
    q, r = np.linalg.qr(a)
    return np.sum(np.sin(q)) + np.sum(np.sin(r))


def linalg_pinv(a):
    return np.sum(np.sin(np.linalg.pinv(a)))


def linalg_lstsq(a, b):
    return np.sum(np.sin(np.linalg.lstsq(a, b, rcond=None)[0]))


def linalg_lstsq_unpacked(a, b):
    x, residuals, rank, sv = np.linalg.lstsq(a, b, rcond=None)
    return np.sum(np.sin(x) * x)


def linalg_lstsq_times_rank(a, b):
    x, residuals, rank, sv = np.linalg.lstsq(a, b, rcond=None)
    return np.sum(np.sin(x)) * rank


def linalg_matrix_power(a):
    return np.sum(np.sin(np.linalg.matrix_power(a, 3)))


def linalg_matrix_power_negative(a):
    return np.sum(np.sin(np.linalg.matrix_power(a, -2)))


def linalg_matrix_power_zero_and_one(a):
    return np.sum(np.sin(np.linalg.matrix_power(a, 0) * a + np.linalg.matrix_power(a, 1)))


def linalg_multi_dot(a, b, c):
    return np.sum(np.sin(np.linalg.multi_dot([a, b, c])))


def linalg_multi_dot_vectors(v, b, w):
    return np.sin(np.linalg.multi_dot([v, b, b.T, w]))


# --- matrices from and to their parts ---------------------------------------------------

def np_diag(v):
    return np.sum(np.sin(np.diag(v)))


def np_diag_offset(v):
    return np.sum(np.sin(np.diag(v, 1))) + np.sum(np.diag(v, k=-1) ** 2)


def np_tril(m):
    return np.sum(np.sin(np.tril(m)))


def np_tril_offset(m):
    return np.sum(np.sin(np.tril(m, -1)) + np.tril(m, k=1) ** 2)


def np_triu(m):
    return np.sum(np.sin(np.triu(m)))


def np_triu_offset(m):
    return np.sum(np.sin(np.triu(m, 1)) + np.triu(m, k=-1) ** 2)


def np_kron(a, b):
    return np.sum(np.sin(np.kron(a, b)))


def np_tensordot(a, b):
    return np.sum(np.sin(np.tensordot(a, b)))


def np_tensordot_axes(a, b):
    return np.sum(np.sin(np.tensordot(a, b, axes=([1, 0], [0, 1]))))


def np_tensordot_one(a, b):
    return np.sum(np.sin(np.tensordot(a, b, 1)))


# --- more elementwise functions -------------------------------------------------------

def np_fabs(x):
    return np.sum(np.fabs(x) * np.sin(x))


def np_nan_to_num(x):
    # NaN entries (missing values) count as 0 and get no gradient
    return np.sum(np.sin(np.nan_to_num(x)) * np.arange(1.0, np.size(x) + 1).reshape(np.shape(x)))


def np_nan_to_num_of_sum(x, y):
    return np.sum(np.nan_to_num(x + y) ** 2)


def np_logaddexp2(x1, x2):
    return np.sum(np.sin(np.logaddexp2(x1, x2)))


def np_float_power(x1, x2):
    return np.sum(np.sin(np.float_power(x1, x2)))


def np_float_power_integer_exponent(x):
    return np.sum(np.float_power(x, 3) - np.float_power(x, -1))


def np_copysign(x1, signs):
    # `signs` (integers here) only give the signs
    return np.sum(np.sin(np.copysign(x1, signs)) * signs)


# --- scipy.special ---------------------------------------------------------------------

def scipy_gamma(x):
    return np.sum(np.sin(special.gamma(x)))


def scipy_digamma(x):
    return np.sum(np.sin(special.digamma(x)))


def scipy_psi(x):
    return np.sum(special.psi(x) * x)


def scipy_logit(x):
    return np.sum(np.sin(special.logit(x)))


def scipy_log_expit(x):
    return np.sum(np.sin(special.log_expit(x)))


def scipy_ndtr(x):
    return np.sum(np.sin(special.ndtr(x)))


def scipy_log_ndtr(x):
    return np.sum(np.sin(special.log_ndtr(x)))


def scipy_ndtri(x):
    return np.sum(np.sin(special.ndtri(x)))


def scipy_erfinv(x):
    return np.sum(np.sin(special.erfinv(x)))


def scipy_erfcinv(x):
    return np.sum(np.sin(special.erfcinv(x)))


def scipy_entr(x):
    return np.sum(np.sin(special.entr(x)))


def scipy_betaln(a, b):
    return np.sum(np.sin(special.betaln(a, b)))


def scipy_xlogy(x, y):
    return np.sum(np.sin(special.xlogy(x, y)))


def scipy_xlog1py(x, y):
    return np.sum(np.sin(special.xlog1py(x, y)))


def scipy_rel_entr(x, y):
    return np.sum(np.sin(special.rel_entr(x, y)))


def logistic_regression_loss(w, features, labels):
    # -log p(label | features) with p = expit(+-z): log_expit(z) and log_expit(-z)
    z = features @ w
    return -np.sum(labels * special.log_expit(z) + (1 - labels) * special.log_expit(-z))


def probit_log_likelihood(w, features):
    z = features @ w
    return np.sum(special.log_ndtr(z)) + np.sum(special.ndtr(-z) ** 2)


def beta_binomial_log_likelihood(a, b):
    # successes k of n: log C(n, k) + betaln(k + a, n - k + b) - betaln(a, b)
    k = np.array([2.0, 5.0, 1.0])
    n = 6.0
    return np.sum(special.betaln(k + a, n - k + b) - special.betaln(a, b))


def kl_divergence(logits_p, logits_q):
    p = special.softmax(logits_p)
    q = special.softmax(logits_q)
    return np.sum(special.rel_entr(p, q)) + np.sum(special.entr(p))


def gaussian_quantiles(mu, sigma, levels):
    return np.sum(np.sin(mu + sigma * special.ndtri(levels)))


def inverse_error_functions(x):
    y = special.erfinv(np.tanh(x))
    return np.sum(y * special.erfcinv(special.expit(x) + 0.3))


def logit_of_expit(x):
    return np.sum(special.logit(special.expit(x)) * x) + np.sum(special.xlogy(x, special.expit(x)))


def gamma_and_digamma(x):
    return np.sum(np.log(special.gamma(x)) * special.digamma(x))


def entropy_terms(p, q):
    return np.sum(special.xlogy(p, q) - special.xlog1py(p, q - 1.0))


# --- nan-skipping, weighted and range reductions ------------------------------------------

def nansum_all(x):
    return np.sin(np.nansum(x))


def nansum_axis(x):
    return np.sum(np.sin(np.nansum(x, axis=0)))


def nansum_keepdims(x):
    return np.sum(np.nan_to_num(x) * np.nansum(x, axis=-1, keepdims=True))


def nanmean_all(x):
    return np.nanmean(x) ** 2


def nanmean_axis(x):
    return np.sum(np.sin(np.nanmean(x, axis=1)))


def nanmean_keepdims(x):
    return np.sum(np.sin(np.nanmean(x, 0, keepdims=True) * np.arange(1.0, np.shape(x)[1] + 1)))


def nanmean_of_masked(x):
    # entries above 1 are treated as missing
    masked = np.where(x > 1.0, np.nan, x)
    return np.sum(np.sin(np.nanmean(masked, axis=0))) + np.nansum(masked) ** 2


def average_all(x):
    return np.average(x) ** 2


def average_axis(x):
    return np.sum(np.sin(np.average(x, axis=-1)))


def average_keepdims(x):
    return np.sum(np.sin(np.average(x, axis=0, keepdims=True) * x))


def average_weighted(x):
    weights = np.linspace(0.5, 2.0, np.size(x)).reshape(np.shape(x))
    return np.sin(np.average(x, weights=weights)) * np.sum(x)


def average_weighted_axis(x):
    weights = np.linspace(0.5, 2.0, np.shape(x)[1])
    return np.sum(np.sin(np.average(x, axis=1, weights=weights)))


def average_weighted_positional(x):
    return np.sum(np.average(x, 0, np.arange(1.0, np.shape(x)[0] + 1)) ** 3)


def ptp_all(x):
    return np.ptp(x) ** 2


def ptp_axis(x):
    return np.sum(np.sin(np.ptp(x, axis=0)))


def ptp_keepdims(x):
    return np.sum((x - np.min(x, axis=-1, keepdims=True)) / np.ptp(x, -1, keepdims=True) * x)


# --- sorting, picking, repeating, padding, splitting, ... ----------------------------------

def sort_weighted(x):
    s = np.sort(x)
    return np.sum(s * np.arange(1.0, np.size(s) + 1))


def sort_rows_weighted(x):
    s = np.sort(x, axis=-1)
    return np.sum(np.sin(s) * np.arange(1.0, np.shape(x)[-1] + 1))


def sort_columns(x):
    return np.sum(np.sin(np.sort(x, axis=0)) * x)


def sort_flattened(x):
    return np.sum(np.sin(np.sort(x, axis=None)) * np.arange(np.size(x)))


def trimmed_mean(x):
    return np.mean(np.sort(x)[1:-1]) ** 2


def sort_quantiles(x):
    s = np.sort(x * x)
    return s[0] * s[-1] + np.sin(s[1])


def take_repeated(x):
    picked = np.take(x, [0, 2, 2, 1, 0, 2])
    return np.sum(np.sin(picked) * np.arange(1.0, 7.0))


def take_flattened(x):
    return np.sum(np.sin(np.take(x, np.array([[5, 0], [5, 3]]))) ** 2)


def take_axis(x):
    return np.sum(np.sin(np.take(x, [2, 0, 2, 2], axis=1)) * x[:, :1])


def take_one(x):
    return np.sin(np.take(x, 1)) * np.sum(np.take(x, -1, axis=0))


def take_along_sorted(x):
    order = np.argsort(x, axis=1)
    ranked = np.take_along_axis(x, order, axis=1)
    return np.sum(np.sin(ranked) * np.arange(1.0, np.shape(x)[1] + 1))


def take_along_top(x):
    best = np.take_along_axis(x, np.argmax(x, axis=0, keepdims=True), axis=0)
    return np.sum(best ** 2) + np.sum(np.take_along_axis(x, np.array([[1, 1], [0, 0]]), -1))


def take_along_flat(x):
    return np.sum(np.sin(np.take_along_axis(x, np.array([0, 3, 3, 5]), None)))


def repeat_scalar(x):
    r = np.repeat(x, 2)
    return np.sum(np.sin(r) * np.arange(1.0, np.size(r) + 1))


def repeat_per_entry(x):
    return np.sum(np.sin(np.repeat(x, [1, 0, 3], axis=0)) * np.arange(1.0, 5.0).reshape(4, 1))


def repeat_axis(x):
    r = np.repeat(x, 2, axis=1)
    return np.sum(r[:, :-1] * r[:, 1:])


def tile_rows(x):
    return np.sum(np.sin(np.tile(x, (2, 1))) * np.arange(1.0, 3.0).reshape(2, 1))


def tile_times(x):
    t = np.tile(x, 3)
    return np.sum(t[1:] * t[:-1]) + np.sum(np.sin(np.tile(x, (2, 1, 1))))


def pad_log_sum_exp(x):
    padded = np.pad(x, ((1, 0), (0, 2)))
    return np.log(np.sum(np.exp(padded * np.arange(1.0, np.shape(padded)[1] + 1))))


def pad_copying_modes(x):   # padding that copies entries: each copy sends g back
    return np.sum(np.sin(np.pad(x, 1, mode="reflect")) * np.pad(x, 1, mode="edge")) \
        + np.sum(np.pad(x, ((0, 2),) * x.ndim, mode="wrap") ** 3) \
        + np.sum(np.cos(np.pad(x, (3, 1), "symmetric")))


def pad_constant(x, c):
    padded = np.pad(x, 2, constant_values=c)
    return np.sum(np.sin(padded) * np.arange(1.0, np.size(padded) + 1).reshape(np.shape(padded)))


def pad_smooth(x, c):
    # a moving average over a padded signal
    p = np.pad(x, (1, 1), mode="constant", constant_values=c)
    return np.sum(np.sin((p[:-2] + p[1:-1] + p[2:]) / 3) * x)


def split_parts(x):
    a, b, c = np.split(x, 3)
    return np.sum(a * b) + np.sum(np.sin(c)) * np.sum(a)


def split_indices(x):
    left, middle, right = np.split(x, [1, 3], axis=1)
    return np.sum(np.sin(left) * middle[:, :1]) + np.sum(right ** 3)


def array_split_unequal(x):
    parts = np.array_split(x, 3)
    return np.sum(parts[0] ** 2) + np.sin(np.sum(parts[1])) * np.sum(parts[2])


def array_split_equal(x):
    first, second, third = np.array_split(x, 3)
    return np.sum(np.sin(first) * second) + np.sum(third) ** 2


def array_split_axis(x):
    first, second = np.array_split(x, 2, axis=1)
    return np.sum(np.sin(first)) * np.sum(second ** 2)


def append_flat(x, y):
    joined = np.append(x, y)
    return np.sum(np.sin(joined) * np.arange(1.0, np.size(joined) + 1))


def append_axis(x, y):
    return np.sum(np.sin(np.append(x, y, axis=0)) * x[0])


def append_column(x, y):
    return np.sum(np.append(x, y, 1) ** 2 * np.arange(1.0, np.shape(x)[1] + np.shape(y)[1] + 1))


def diff_squared(x):
    return np.sum(np.diff(x) ** 2 * np.arange(1.0, np.shape(x)[-1]))


def diff_second(x):
    return np.sum(np.sin(np.diff(x, n=2)))


def diff_axis(x):
    return np.sum(np.sin(np.diff(x, axis=0))) * np.sum(np.diff(x, 2, -1) ** 2)


def cumprod_weighted(x):
    c = np.cumprod(x)
    return np.sum(c * np.arange(1.0, np.size(c) + 1))


def cumprod_axis(x):
    return np.sum(np.sin(np.cumprod(x, axis=1)))


def cumprod_columns(x):
    return np.sum(np.cumprod(x, 0) * x)


INTERP_POINTS = np.array([-1.0, 0.0, 0.5, 2.0, 3.0])


def interp_values(x, fp):
    y = np.interp(x, INTERP_POINTS, fp)
    return np.sum(np.sin(y) * np.arange(1.0, np.size(x) + 1).reshape(np.shape(x)))


def interp_of_square(x, fp):
    y = np.interp(x * x, np.array([0.0, 1.0, 2.5, 4.0]), fp)
    return np.sum(y ** 2)


def interp_point(x, fp):
    return np.sin(np.interp(x, INTERP_POINTS, fp)) * x


def cross_squared(a, b):
    return np.sum(np.cross(a, b) ** 2)


def cross_triple(a, b, c):
    return np.sum(np.sin(np.sum(np.cross(a, b) * c, axis=-1)))


def convolve_full(a, v):
    return np.sum(np.sin(np.convolve(a, v)))


def convolve_same(a, v):
    out = np.convolve(a, v, mode="same")
    return np.sum(np.sin(out) * np.arange(1.0, np.size(out) + 1))


def convolve_valid(a, v):
    return np.sum(np.convolve(a, v, "valid") ** 2)


def polyval_both(p, x):
    return np.sum(np.sin(np.polyval(p, x)))


def polyval_fit(p):
    x = np.linspace(-1.0, 1.0, 7)
    return np.sum((np.polyval(p, x) - np.cos(x)) ** 2)


def trapezoid_dx(y):
    return np.sum(np.trapezoid(np.sin(y) ** 2, dx=0.1) ** 2)


def trapezoid_points(y):
    x = np.array([0.0, 0.3, 1.0, 1.2, 2.5])
    return np.sum(np.sin(np.trapezoid(y * y, x)))


def trapezoid_axis(y):
    return np.sum(np.trapezoid(np.exp(y), axis=0) ** 2)


# --- forms refused clearly ------------------------------------------------------------------

def pad_mean(x):
    return np.sum(np.sin(np.pad(x, 1, mode="mean")))


def average_returned(x):
    mean, total = np.average(x, returned=True)
    return mean * total
