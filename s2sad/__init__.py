"""s2sad: source-to-source automatic differentiation for Python and NumPy.

>>> import s2sad
>>> sorted(n for n in s2sad.__all__ if not n.startswith("def"))[:3]
['TransformError', 'check_grads', 'custom_jvp']
"""
from .api import grad, jvp, jvp_source, source, value_and_grad, vjp
from .check import check_grads
from .custom import custom_jvp, custom_vjp, stop_gradient
from .errors import TransformError
from .higher import hessian, hvp, jacobian
from .rules import defbatch, defjvp, deflinear, defnondiff, defvjp

__all__ = ["TransformError", "check_grads", "custom_jvp", "custom_vjp", "defbatch", "defjvp",
           "deflinear", "defnondiff", "defvjp", "grad", "hessian", "hvp", "jacobian", "jvp", "jvp_source",
           "source", "stop_gradient", "value_and_grad", "vjp"]
__version__ = "0.1.0.dev0"
