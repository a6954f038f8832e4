"""Python's arithmetic operators (`a + b` is keyed by `operator.add`, ...)."""
import operator

from .registry import deflinear, defnondiff, defvjp

defvjp(operator.add, "x, y", dx="unbroadcast(g, x)", dy="unbroadcast(g, y)")
defvjp(operator.sub, "x, y", dx="unbroadcast(g, x)", dy="unbroadcast(-g, y)")
defvjp(operator.mul, "x, y", dx="unbroadcast(g * y, x)", dy="unbroadcast(g * x, y)")
defvjp(operator.truediv, "x, y", dx="unbroadcast(g / y, x)",
       dy="unbroadcast(-g * ans / y, y)")
defvjp(operator.pow, "x, y", dx="unbroadcast(g * y * x ** (y - 1), x)",
       dy="unbroadcast(g * ans * np.log(x), y)")
defvjp(operator.matmul, "x, y", output="matmul",
       dx="matmul_dx(g, x, y)", dy="matmul_dy(g, x, y)")
defvjp(operator.mod, "x, y", dx="unbroadcast(g, x)",   # x - y * floor(x / y)
       dy="unbroadcast(-g * np.floor(x / y), y)")
defvjp(operator.neg, "x", dx="-g")
defvjp(operator.pos, "x", dx="g")
defnondiff(operator.floordiv, operator.not_, operator.lt, operator.le,
           operator.gt, operator.ge, operator.eq, operator.ne, operator.and_, operator.or_,
           operator.xor, operator.invert)

# --- forward: elementwise rules give theirs (see Rule.forward_template); @ is bilinear
deflinear(operator.matmul, "x", "y")
