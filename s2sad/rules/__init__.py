"""Derivative rules: one registry (see `registry`), filled by the modules below."""
import math

import numpy as np

from .. import runtime
from .registry import (Param, Rule, all_rules, defbatch, defjvp, deflinear, defnondiff, defvjp, describe,
                       lookup, share_rule)
from . import operators, python_math, numpy_elementwise  # noqa: F401  (register rules)
from . import numpy_reductions, numpy_linalg, numpy_shapes, numpy_arrays  # noqa: F401
from . import scipy_special  # noqa: F401
from . import generated_code, batched  # noqa: F401

#: Names a rule template may use besides its parameters, `g` and `ans`.
TEMPLATE_NAMESPACE = {"np": np, "math": math}
TEMPLATE_NAMESPACE.update({name: value for name, value in vars(runtime).items()
                           if callable(value) and not name.startswith("_")
                           and runtime.is_helper(value)})

__all__ = ["Param", "Rule", "all_rules", "defbatch", "defjvp", "deflinear", "defnondiff", "defvjp",
           "describe", "lookup", "share_rule",
           "TEMPLATE_NAMESPACE"]
