"""The `math` module and scalar builtins.  Outputs are Python floats."""
import math

from .registry import defjvp, deflinear, defnondiff, defvjp


def _scalar(fn, signature, **cotangents):
    defvjp(fn, signature, output="scalar", **cotangents)


_scalar(math.sin, "x", dx="g * math.cos(x)")
_scalar(math.cos, "x", dx="-g * math.sin(x)")
_scalar(math.tan, "x", dx="g / math.cos(x) ** 2")
_scalar(math.asin, "x", dx="g / math.sqrt(1 - x * x)")
_scalar(math.acos, "x", dx="-g / math.sqrt(1 - x * x)")
_scalar(math.atan, "x", dx="g / (1 + x * x)")
_scalar(math.atan2, "y, x", dy="g * x / (x * x + y * y)", dx="-g * y / (x * x + y * y)")
_scalar(math.sinh, "x", dx="g * math.cosh(x)")
_scalar(math.cosh, "x", dx="g * math.sinh(x)")
_scalar(math.tanh, "x", dx="g * (1 - ans * ans)")
_scalar(math.asinh, "x", dx="g / math.sqrt(x * x + 1)")
_scalar(math.acosh, "x", dx="g / math.sqrt(x * x - 1)")
_scalar(math.atanh, "x", dx="g / (1 - x * x)")
_scalar(math.exp, "x", dx="g * ans")
_scalar(math.expm1, "x", dx="g * (ans + 1)")
_scalar(math.log, "x, base=None",
        dx="g / x if base is None else g / (x * math.log(base))",
        dbase="-g * ans / (base * math.log(base))")
_scalar(math.log1p, "x", dx="g / (1 + x)")
_scalar(math.log2, "x", dx="g / (x * math.log(2))")
_scalar(math.log10, "x", dx="g / (x * math.log(10))")
_scalar(math.sqrt, "x", dx="g / (2 * ans)")
_scalar(math.pow, "x, y", dx="g * y * math.pow(x, y - 1)", dy="g * ans * math.log(x)")
_scalar(math.fmod, "x, y", dx="g", dy="-g * math.trunc(x / y)")
_scalar(math.fabs, "x", dx="g * math.copysign(1.0, x) if x != 0 else 0.0")
_scalar(math.hypot, "x, y", dx="g * x / ans", dy="g * y / ans")
_scalar(math.erf, "x", dx="g * 2 / math.sqrt(math.pi) * math.exp(-x * x)")
_scalar(math.erfc, "x", dx="-g * 2 / math.sqrt(math.pi) * math.exp(-x * x)")
_scalar(math.degrees, "x", dx="g * (180 / math.pi)")
_scalar(math.radians, "x", dx="g * (math.pi / 180)")
_scalar(float, "x", dx="g")
defvjp(abs, "x", dx="g * np.sign(x)")
defvjp(max, "*args", output="items", dargs="select_extreme(g, args, ans)")
defvjp(min, "*args", output="items", dargs="select_extreme(g, args, ans)")
# A list kept stacked holds items of one shape: each item's cotangent is g summed to
# that shape, broadcast over the rows.
defvjp(sum, "iterable: seq, start=0", output="items", diterable="unbroadcast_each(g, iterable)",
       dstart="unbroadcast(g, start)",
       stacked={"iterable": "unbroadcast(g, iterable[0]) if len(iterable) else g"})

# list(xs), tuple(xs): the same items; a list's cotangent is one stacked array
for _copy in (list, tuple):
    defvjp(_copy, "iterable: seq", output="unknown", diterable="array_adjoint(g, iterable)",
           stacked={"iterable": "g"})
defvjp(sorted, "iterable: seq, /, *, reverse=False", output="unknown",
       diterable="sorted_adjoint(g, iterable, reverse)")

defnondiff(len, int, bool, isinstance, math.floor, math.ceil, math.trunc,
           math.isnan, math.isinf, math.isfinite, integer=True, output="scalar")
defnondiff(round, range, integer=True)
defnondiff(math.copysign, type, print)

# --- forward: sums and copies are linear; max, min and sorted pick items ---------------
defjvp(sum, titerable="sum(t)", tstart="t")   # linear in both together, not each alone
for _copy in (list, tuple):
    deflinear(_copy, "iterable")
for _extreme in (max, min):
    defjvp(_extreme, targs="extreme_tangent(t, args, ans)")
defjvp(sorted, titerable="sorted_tangent(t, iterable, reverse)")
