"""Stage 4: facts about the normalised function.

- `differentiable_names`: the names an expression's value depends on differentiably;
- `varied_names`: what depends on the inputs we differentiate with respect to;
- `useful_names`: what the output depends on;
- `infer_kinds`: for each name, its ndim (0 for scalars) and whether it is integer,
  so that broadcasting fix-ups and helper calls appear only where shapes may differ.
The sets are flow-insensitive (one fact per name, loops iterated to a fixpoint):
coarser than needed in rare cases, never wrong.
"""
from __future__ import annotations

import operator
from typing import NamedTuple

import gast
import numpy as np

from . import rules
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
    if not isinstance(expr, gast.Call):
        return False
    rule = rules.lookup(primitive_of(expr, src))
    return rule is not None and rule.nondiff


def differentiable_names(expr, src: FunctionSource) -> set[str]:
    """Names whose derivative can flow into the value of `expr`."""
    if isinstance(expr, gast.Name):
        return {expr.id}
    if isinstance(expr, (gast.Constant, gast.Compare, gast.BoolOp, gast.Slice)):
        return set()
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, (gast.Not, gast.Invert)):
        return set()
    if isinstance(expr, gast.BinOp) and \
            BINARY_OPERATORS.get(type(expr.op)) in NONDIFF_OPERATORS:
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
    found = set()
    for child in gast.iter_child_nodes(expr):
        found |= differentiable_names(child, src)
    return found


NONDIFF_OPERATORS = {operator.floordiv, operator.mod, operator.and_, operator.or_,
                     operator.xor}


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


# --- kinds -----------------------------------------------------------------

class Kind(NamedTuple):
    ndim: int | None     # None: unknown (or not an array, e.g. a list)
    integer: bool = False

    def join(self, other: "Kind") -> "Kind":
        if self == other:
            return self
        ndim = self.ndim if self.ndim == other.ndim else None
        return Kind(ndim, self.integer and other.integer)


UNKNOWN = Kind(None)
FLOAT_SCALAR = Kind(0)
INT_SCALAR = Kind(0, True)


def kind_of_value(value) -> Kind | tuple:
    """The kind of a runtime argument (used to specialise generated code)."""
    kind = _KIND_BY_TYPE.get(type(value))   # fast path: called for every argument
    if kind is not None:
        return kind
    if isinstance(value, np.ndarray):   # a plain tuple: equal to the Kind, cheaper to make
        return (value.ndim, value.dtype.kind in "biu")
    if isinstance(value, (bool, int, np.integer, np.bool_)):
        return INT_SCALAR
    if isinstance(value, (float, complex, np.floating, np.complexfloating)):
        return FLOAT_SCALAR
    return UNKNOWN


_KIND_BY_TYPE = {float: FLOAT_SCALAR, int: INT_SCALAR, bool: INT_SCALAR,
                 np.float64: FLOAT_SCALAR, np.float32: FLOAT_SCALAR, np.int64: INT_SCALAR}


def infer_kinds(body, param_kinds: dict, src: FunctionSource) -> dict:
    """Program order first, then again until nothing changes (kinds only ever get
    less specific, so this ends)."""
    kinds = dict(param_kinds)
    while True:
        before = dict(kinds)
        for s in walk_statements(body):
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                _update(kinds, s.targets[0].id, expr_kind(s.value, kinds, src))
            elif isinstance(s, gast.For):
                _update(kinds, s.target.id, INT_SCALAR)
        if kinds == before:
            return kinds


def _update(kinds: dict, target: str, kind: Kind | None) -> None:
    if kind is None:
        return
    kinds[target] = kinds[target].join(kind) if target in kinds else kind


def expr_kind(e, kinds: dict, src: FunctionSource) -> Kind | None:
    """Kind of `e`, or None when an operand's kind is not known yet."""
    if isinstance(e, gast.Constant):
        if isinstance(e.value, (bool, int)):
            return INT_SCALAR
        if isinstance(e.value, (float, complex)):
            return FLOAT_SCALAR
        return None if e.value is None else UNKNOWN  # `x = None` says nothing of x
    if isinstance(e, gast.Name):
        return kinds.get(e.id)
    if isinstance(e, (gast.Compare, gast.BoolOp)):
        return Kind(0, True) if isinstance(e, gast.BoolOp) else _elementwise(
            [e.left] + e.comparators, kinds, src, integer=True)
    if isinstance(e, gast.BinOp):
        if isinstance(e.op, gast.MatMult):
            return matmul_kind(expr_kind(e.left, kinds, src), expr_kind(e.right, kinds, src))
        kind = _elementwise([e.left, e.right], kinds, src)
        if kind is not None and isinstance(e.op, gast.Div):
            kind = Kind(kind.ndim, False)
        return kind
    if isinstance(e, gast.UnaryOp):
        inner = expr_kind(e.operand, kinds, src)
        if inner is not None and isinstance(e.op, gast.Not):
            return INT_SCALAR
        return inner
    if isinstance(e, gast.Attribute):
        if e.attr in ("ndim", "size", "itemsize", "nbytes"):
            return INT_SCALAR
        if e.attr in ("T", "real", "imag"):
            return expr_kind(e.value, kinds, src)
        if e.attr == "shape":
            return Kind(1, True)   # indexes like a 1-D integer array
        return UNKNOWN
    if isinstance(e, gast.Subscript):
        return _subscript_kind(e, kinds, src)
    if isinstance(e, gast.IfExp):
        a, b = expr_kind(e.body, kinds, src), expr_kind(e.orelse, kinds, src)
        return None if a is None or b is None else a.join(b)
    if isinstance(e, gast.Call):
        return _call_kind(e, kinds, src)
    return UNKNOWN


def _elementwise(operands, kinds, src, integer=None) -> Kind | None:
    flat = []
    for o in operands:   # sum([a, b]): the items of a literal list count one by one
        flat.extend(o.elts if isinstance(o, (gast.List, gast.Tuple)) else [o])
    found = [expr_kind(o, kinds, src) for o in flat]
    if any(k is None for k in found):
        return None
    ndims = [k.ndim for k in found]
    ndim = None if None in ndims else max(ndims)
    return Kind(ndim, all(k.integer for k in found) if integer is None else integer)


def matmul_kind(a: Kind | None, b: Kind | None) -> Kind | None:
    if a is None or b is None:
        return None
    if a.ndim is None or b.ndim is None:
        return UNKNOWN
    table = {(1, 1): 0, (1, 2): 1, (2, 1): 1, (2, 2): 2}
    ndim = table.get((a.ndim, b.ndim), max(a.ndim, b.ndim) if min(a.ndim, b.ndim) > 1 else None)
    return Kind(ndim, a.integer and b.integer)


def _subscript_kind(e, kinds, src) -> Kind | None:
    base = expr_kind(e.value, kinds, src)
    if base is None:
        return None
    if base.ndim is None:
        return UNKNOWN
    parts = e.slice.elts if isinstance(e.slice, gast.Tuple) else [e.slice]
    ndim, fancy = base.ndim, []
    for part in parts:
        if isinstance(part, gast.Slice):
            continue
        if isinstance(part, gast.Constant) and part.value is None:
            ndim += 1
            continue
        part_kind = expr_kind(part, kinds, src)
        if part_kind is None:
            return None
        if not part_kind.integer or part_kind.ndim is None:
            return Kind(None, base.integer)  # boolean mask, Ellipsis, or unknown
        ndim -= 1
        if part_kind.ndim:
            fancy.append(part_kind.ndim)
    if fancy:   # integer arrays index together: their broadcast shape replaces them
        if len(fancy) != len(parts):
            return Kind(None, base.integer)   # mixed with slices: NumPy moves axes about
        ndim += max(fancy)
    return Kind(ndim, base.integer) if ndim >= 0 else UNKNOWN


def _call_kind(e: gast.Call, kinds, src) -> Kind | None:
    fn = primitive_of(e, src)
    rule = rules.lookup(fn) if fn is not Unresolved else None
    if rule is None:
        return UNKNOWN
    args, keywords = call_arguments(e, src)
    e = gast.Call(func=e.func, args=args,
                  keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()])
    output = rule.output
    if output == "scalar":
        kind = FLOAT_SCALAR
    elif output == "same" and e.args:
        kind = expr_kind(e.args[0], kinds, src)
    elif output == "elementwise":
        kind = _elementwise(e.args, kinds, src) if e.args else UNKNOWN
    elif output == "matmul" and len(e.args) == 2:
        kind = matmul_kind(expr_kind(e.args[0], kinds, src), expr_kind(e.args[1], kinds, src))
    elif output == "reduce":
        kind = _reduce_kind(e, kinds, src)
    elif output == "vector":
        kind = Kind(1)
    elif output == "shape" and e.args:   # np.zeros(n), np.ones((n, m))
        shape = e.args[0]
        if isinstance(shape, (gast.Tuple, gast.List)):
            kind = Kind(len(shape.elts))
        else:
            shape_kind = expr_kind(shape, kinds, src)
            kind = None if shape_kind is None else Kind(1) if shape_kind == INT_SCALAR \
                else UNKNOWN
    else:
        kind = UNKNOWN
    if kind is not None and rule.integer == "args":
        argument_kinds = [expr_kind(a, kinds, src) for a in e.args]
        kind = Kind(kind.ndim, all(k is not None and k.integer for k in argument_kinds))
    elif kind is not None and rule.integer:
        kind = Kind(kind.ndim, True)
    return kind


def _reduce_kind(e: gast.Call, kinds, src) -> Kind | None:
    keywords = {k.arg: k.value for k in e.keywords}
    axis = e.args[1] if len(e.args) > 1 else keywords.get("axis")
    keepdims = keywords.get("keepdims")
    if keepdims is not None and not (isinstance(keepdims, gast.Constant) and not keepdims.value):
        return expr_kind(e.args[0], kinds, src) if e.args else UNKNOWN
    if axis is None or (isinstance(axis, gast.Constant) and axis.value is None):
        return FLOAT_SCALAR
    if isinstance(axis, gast.Constant) and isinstance(axis.value, int) and e.args:
        base = expr_kind(e.args[0], kinds, src)
        if base is None:
            return None
        return Kind(base.ndim - 1, False) if base.ndim else UNKNOWN
    return UNKNOWN
