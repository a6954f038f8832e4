"""NumPy's elementwise functions.  Read each line as calculus: d/dx f(x) * g."""
import numpy as np

from .registry import defjvp, deflinear, defnondiff, defvjp


def _unary(fn, cotangent):
    defvjp(fn, "x", dx=cotangent)


_unary(np.sin, "g * np.cos(x)")
_unary(np.cos, "-g * np.sin(x)")
_unary(np.tan, "g * (1 + ans * ans)")
_unary(np.arcsin, "g / np.sqrt(1 - x * x)")
_unary(np.arccos, "-g / np.sqrt(1 - x * x)")
_unary(np.arctan, "g / (1 + x * x)")
_unary(np.sinh, "g * np.cosh(x)")
_unary(np.cosh, "g * np.sinh(x)")
_unary(np.tanh, "g * (1 - ans * ans)")
_unary(np.arcsinh, "g / np.sqrt(x * x + 1)")
_unary(np.arccosh, "g / np.sqrt(x * x - 1)")
_unary(np.arctanh, "g / (1 - x * x)")
_unary(np.exp, "g * ans")
_unary(np.expm1, "g * (ans + 1)")
_unary(np.exp2, "g * ans * math.log(2)")
_unary(np.log, "g / x")
_unary(np.log1p, "g / (1 + x)")
_unary(np.log2, "g / (x * math.log(2))")
_unary(np.log10, "g / (x * math.log(10))")
_unary(np.sqrt, "g / (2 * ans)")
_unary(np.cbrt, "g / (3 * ans * ans)")
_unary(np.square, "g * 2 * x")
_unary(np.reciprocal, "-g * ans * ans")
_unary(np.absolute, "g * np.sign(x)")
_unary(np.negative, "-g")
_unary(np.positive, "g")
_unary(np.deg2rad, "g * (np.pi / 180)")
_unary(np.rad2deg, "g * (180 / np.pi)")
_unary(np.sinc, "g * sinc_derivative(x)")
if np.abs is not np.absolute:
    _unary(np.abs, "g * np.sign(x)")
_unary(np.fabs, "g * np.sign(x)")
# entries NaN or infinite are replaced by constants: no derivative there
defvjp(np.nan_to_num, "x, copy=True, nan=0.0, posinf=None, neginf=None",
       dx="g * np.isfinite(x)")


def _binary(fn, dx1, dx2):
    defvjp(fn, "x1, x2", dx1=f"unbroadcast({dx1}, x1)", dx2=f"unbroadcast({dx2}, x2)")


_binary(np.add, "g", "g")
_binary(np.subtract, "g", "-g")
_binary(np.multiply, "g * x2", "g * x1")
_binary(np.divide, "g / x2", "-g * ans / x2")
_binary(np.power, "g * x2 * x1 ** (x2 - 1)", "g * ans * np.log(x1)")
_binary(np.arctan2, "g * x2 / (x1 * x1 + x2 * x2)", "-g * x1 / (x1 * x1 + x2 * x2)")
_binary(np.hypot, "g * x1 / ans", "g * x2 / ans")
# log(exp(x1) + exp(x2)): the weights are sigmoid(x1 - x2) and sigmoid(x2 - x1), written
# with tanh (no overflow) and without the output, which `grad` then need not compute
_binary(np.logaddexp, "g * 0.5 * (1 + np.tanh((x1 - x2) / 2))",
        "g * 0.5 * (1 - np.tanh((x1 - x2) / 2))")
_binary(np.logaddexp2, "g * np.exp2(x1 - ans)", "g * np.exp2(x2 - ans)")
_binary(np.float_power, "g * x2 * np.float_power(x1, x2 - 1)", "g * ans * np.log(x1)")
# copysign(x1, x2) = |x1| sign(x2): the sign is piecewise constant in x2
# the sign is piecewise constant in x2: its cotangent is zero
defvjp(np.copysign, "x1, x2", dx1="unbroadcast(g * np.sign(x1) * np.sign(ans), x1)",
       dx2="unbroadcast(0.0 * g, x2)")
defjvp(np.copysign, tx2="0")
# Ties split the cotangent evenly between the two arguments.
_binary(np.maximum, "g * tie_weight(x1, x2)", "g * tie_weight(x2, x1)")
_binary(np.minimum, "g * tie_weight(x2, x1)", "g * tie_weight(x1, x2)")
_binary(np.fmax, "g * tie_weight(x1, x2)", "g * tie_weight(x2, x1)")
_binary(np.fmin, "g * tie_weight(x2, x1)", "g * tie_weight(x1, x2)")
if np.true_divide is not np.divide:
    _binary(np.true_divide, "g / x2", "-g * ans / x2")

defvjp(np.where, "condition, x, y",
       dx="unbroadcast(np.where(condition, g, 0.0), x)",
       dy="unbroadcast(np.where(condition, 0.0, g), y)")
# NumPy 2.1 also names the bounds `min=` and `max=`.
defvjp(np.clip, "a, a_min=None, a_max=None, out=None, *, min=None, max=None",
       da="unbroadcast(g * clip_mask(a, a_min if min is None else min, "
          "a_max if max is None else max), a)",
       da_min="unbroadcast(g * (a < a_min), a_min)",
       da_max="unbroadcast(g * (a > a_max), a_max)",
       dmin="unbroadcast(g * (a < min), min)",
       dmax="unbroadcast(g * (a > max), max)")

# x mod y = x - y * floor(x / y): slope 1 in x, -floor(x / y) in y, between the jumps
_binary(np.mod, "g", "-g * np.floor(x1 / x2)")
if np.remainder is not np.mod:
    _binary(np.remainder, "g", "-g * np.floor(x1 / x2)")
_binary(np.fmod, "g", "-g * np.trunc(x1 / x2)")   # rounds the quotient towards zero
defnondiff(np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.fix, np.floor_divide)
defnondiff(np.isnan, np.isinf, np.isfinite, np.signbit,
           np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
           np.logical_and, np.logical_or, np.logical_not, np.logical_xor, integer="bool")
if hasattr(np, "round_") and np.round_ is not np.round:
    defnondiff(np.round_)

# Real inputs only, for now: the real part is the value, the conjugate too, and the
# imaginary part a constant zero.
defvjp(np.real, "val", output="same", dval="g")
for _conj in (np.conj, np.conjugate):
    defvjp(_conj, "x", output="same", dx="np.conj(g)")
defnondiff(np.imag, output="same")

# --- forward: elementwise rules give theirs (see Rule.forward_template) -----------------
deflinear(np.real, "val")
for _conj in (np.conj, np.conjugate):
    deflinear(_conj, "x")
