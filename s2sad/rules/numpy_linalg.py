"""Products of arrays.  The helpers (matmul_dx, dot_da, ...) live in s2sad.runtime;
the transformer inlines matmul_dx/matmul_dy as `g @ y.T`, ... when ndims are known.
"""
import numpy as np

from .registry import deflinear, defvjp

defvjp(np.matmul, "x1, x2", output="matmul",
       dx1="matmul_dx(g, x1, x2)", dx2="matmul_dy(g, x1, x2)")
defvjp(np.dot, "a, b, out=None", output="unknown",
       da="dot_da(g, a, b)", db="dot_db(g, a, b)")
defvjp(np.inner, "a, b", output="unknown",
       da="inner_da(g, a, b)", db="inner_db(g, a, b)")
# np.outer flattens both inputs: ans[i, j] = a.flat[i] * b.flat[j].
defvjp(np.outer, "a, b, out=None", output="unknown",
       da="np.reshape(g @ np.ravel(b), np.shape(a))",
       db="np.reshape(np.ravel(a) @ g, np.shape(b))")
# np.vdot flattens both inputs (real arrays: the conjugate is not taken).
defvjp(np.vdot, "a, b", output="scalar",
       da="g * np.reshape(b, np.shape(a))", db="g * np.reshape(a, np.shape(b))")
defvjp(np.einsum, "subscripts, *operands, out=None, optimize=False, dtype=None, "
                  "order='K', casting='safe'", output="unknown",
       doperands="einsum_adjoints(g, subscripts, operands)")

# --- forward: products are linear in each factor ---------------------------------------
for _product in (np.matmul,):
    deflinear(_product, "x1", "x2")
for _product in (np.dot, np.inner, np.outer, np.vdot):
    deflinear(_product, "a", "b")
deflinear(np.einsum, "operands", jointly=False)   # one operand's tangent at a time
