"""Stage 4: facts about the normalised function.

- `differentiable_names`: the names an expression's value depends on differentiably;
- `varied_names`: what depends on the inputs we differentiate with respect to;
- `useful_names`: what the output depends on.
(What each name holds - ndim, dtype, which axes have length 1 - is in `kinds`.)
The sets are flow-insensitive (one fact per name, loops iterated to a fixpoint):
coarser than needed in rare cases, never wrong.
"""
from __future__ import annotations

import operator

import gast
import numpy as np

from . import rules, runtime
from .rules.binding import BindingError, bind_arguments
from .source import FunctionSource, Unresolved

SHAPE_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"}

BINARY_OPERATORS = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
    gast.BitAnd: operator.and_, gast.BitOr: operator.or_, gast.BitXor: operator.xor,
}
UNARY_OPERATORS = {gast.USub: operator.neg, gast.UAdd: operator.pos,
                   gast.Not: operator.not_, gast.Invert: operator.invert}


# Array methods are differentiated with the rule of the NumPy function they equal:
# x.sum(axis=1) is np.sum(x, axis=1).
ARRAY_METHODS = {
    "sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
    "std": np.std, "var": np.var, "cumsum": np.cumsum, "reshape": np.reshape,
    "transpose": np.transpose, "ravel": np.ravel, "flatten": np.ravel, "copy": np.copy,
    "dot": np.dot, "clip": np.clip, "squeeze": np.squeeze, "trace": np.trace,
    "astype": np.asarray, "argmax": np.argmax, "argmin": np.argmin, "argsort": np.argsort,
    "any": np.any, "all": np.all, "nonzero": np.nonzero,
    "item": float,   # the one number of a float array, as a Python float
    "conj": np.conj, "conjugate": np.conjugate,
}
_PACKED_METHODS = {"reshape", "transpose"}   # x.reshape(2, 3) is np.reshape(x, (2, 3))


def is_method_call(expr, src: FunctionSource) -> bool:
    """`x.sum()` on a value (not `np.sum(...)`, a function found through a module)."""
    if not (isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute)):
        return False
    base = src.resolve(expr.func.value)
    return base is Unresolved or isinstance(base, np.ndarray)


def primitive_of(expr, src: FunctionSource):
    """The function object an operation applies (operator.add for `a + b`), or Unresolved."""
    if isinstance(expr, gast.BinOp):
        return BINARY_OPERATORS.get(type(expr.op), Unresolved)
    if isinstance(expr, gast.UnaryOp):
        return UNARY_OPERATORS.get(type(expr.op), Unresolved)
    if isinstance(expr, gast.Call):
        if is_method_call(expr, src):
            return ARRAY_METHODS.get(expr.func.attr, Unresolved)
        return src.resolve(expr.func)
    return Unresolved


def call_arguments(expr, src: FunctionSource) -> tuple[list, dict]:
    """Positional and keyword operands of one operation; a method's object comes first."""
    if isinstance(expr, gast.BinOp):
        return [expr.left, expr.right], {}
    if isinstance(expr, gast.UnaryOp):
        return [expr.operand], {}
    args = list(expr.args)
    if is_method_call(expr, src):
        if expr.func.attr in _PACKED_METHODS and len(args) > 1:
            args = [gast.Tuple(elts=args, ctx=gast.Load())]
        args.insert(0, expr.func.value)
    return args, {k.arg: k.value for k in expr.keywords}


def is_nondiff_call(expr, src: FunctionSource) -> bool:
    return isinstance(expr, gast.Call) and _nondiff(primitive_of(expr, src))


def _nondiff(fn) -> bool:
    rule = rules.lookup(fn)
    return rule is not None and rule.nondiff


def differentiable_names(expr, src: FunctionSource) -> set[str]:
    """Names whose derivative can flow into the value of `expr`."""
    if isinstance(expr, gast.Name):
        return {expr.id}
    if isinstance(expr, (gast.Constant, gast.Compare, gast.Slice)):
        return set()
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, (gast.Not, gast.Invert)):
        return set()
    if isinstance(expr, gast.BinOp) and _nondiff(BINARY_OPERATORS.get(type(expr.op))):
        return set()
    if isinstance(expr, gast.Attribute):
        if expr.attr in SHAPE_ATTRIBUTES:
            return set()
        return differentiable_names(expr.value, src)
    if isinstance(expr, gast.Subscript):
        return differentiable_names(expr.value, src)
    if isinstance(expr, gast.Call):
        if is_nondiff_call(expr, src):
            return set()
        fn = primitive_of(expr, src)
        rule = rules.lookup(fn)
        if rule is not None and SHAPE_ONLY in rule.jvp.values() and runtime.is_helper(fn):
            return _through_shape_only(expr, rule, src)   # in generated code
        found = set()
        for arg in expr.args:
            found |= differentiable_names(arg, src)
        for keyword in expr.keywords:
            found |= differentiable_names(keyword.value, src)
        if isinstance(expr.func, gast.Attribute):  # method call: x.sum()
            found |= differentiable_names(expr.func.value, src)
        return found
    if isinstance(expr, gast.IfExp):
        return differentiable_names(expr.body, src) | differentiable_names(expr.orelse, src)
    if isinstance(expr, gast.BoolOp):   # `a or b` is a or b
        return set().union(*(differentiable_names(v, src) for v in expr.values))
    found = set()
    for child in gast.iter_child_nodes(expr):
        found |= differentiable_names(child, src)
    return found


SHAPE_ONLY = "0"   # a forward template: the parameter gives the output's shape only


def _through_shape_only(expr: gast.Call, rule, src: FunctionSource) -> set[str]:
    """The names of a call of a rule some of whose parameters give shapes only
    (`unbroadcast(g, x)` depends on g, not on x)."""
    args, keywords = call_arguments(expr, src)
    try:
        bound = bind_arguments(rule, args, keywords)
    except BindingError:
        return set().union(*(differentiable_names(a, src) for a in
                             args + list(keywords.values())))
    return set().union(*(differentiable_names(node, src) for p, node in bound.items()
                         if rule.jvp.get(p) != SHAPE_ONLY))


def walk_statements(body):
    """Every statement, nested blocks included, in source order."""
    for s in body:
        yield s
        for field in ("body", "orelse"):
            yield from walk_statements(getattr(s, field, []) or [])


def definitions(body) -> dict[str, list]:
    """For each name, the statements that bind it (assignments and loop headers)."""
    found: dict[str, list] = {}
    for s in walk_statements(body):
        target = s.targets[0] if isinstance(s, gast.Assign) else getattr(s, "target", None)
        if isinstance(target, gast.Name):
            found.setdefault(target.id, []).append(s)
    return found


def varied_names(body, inputs: set[str], src: FunctionSource) -> set[str]:
    """Names that may depend differentiably on `inputs`."""
    return _dependency_closure(body, inputs, src, forward=True)


def useful_names(body, outputs: set[str], src: FunctionSource) -> set[str]:
    """Names the outputs may depend on differentiably."""
    return _dependency_closure(body, outputs, src, forward=False)


def _dependency_closure(body, start: set[str], src: FunctionSource, forward: bool) -> set:
    """`start` and what flows from it (forward) or into it (backward), to a fixpoint."""
    found = set(start)
    changed = True
    while changed:
        changed = False
        for s in walk_statements(body):
            if not isinstance(s, gast.Assign):
                continue
            target = s.targets[0]
            base = target.value if isinstance(target, gast.Subscript) else target
            if not isinstance(base, gast.Name):
                continue
            sources = differentiable_names(s.value, src)
            if forward and base.id not in found and sources & found:
                found.add(base.id)
                changed = True
            elif not forward and base.id in found and sources - found:
                found |= sources
                changed = True
    return found
