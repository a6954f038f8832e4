"""Stage 6a: read shapes from values that are computed anyway.

Some adjoint statements need a primal value only for its shape or dtype:
`np.zeros_like(log_probs)`, `d / probs.size`.  When `grad` does not return the
function's value, log_probs may have no other reader; if another live name surely
has the same shape (and dtype), the adjoint reads that one and log_probs, with the
`np.log` that made it, becomes dead code.

Sameness is proved from the program and the argument kinds the code is specialised
on, never from the values of one call: an elementwise operation (operators, NumPy's
elementwise functions, `a[i, j]` with one integer array per axis) has the shape of
an operand whose axes are all known not to have length 1 and which has at least as
many axes as the others - NumPy broadcasts the others into it or raises.  A dtype
is read from another array only when every float array in the function is float64.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import gast

from .analysis import call_arguments, primitive_of
from .astutil import name, stored_names
from .rules import lookup

_ELEMENTWISE_OPERATORS = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.FloorDiv,
                          gast.Mod)
_SHAPE_ATTRIBUTES = {"shape", "size", "ndim"}        # need the shape only
_LIKE_FUNCTIONS = {"zeros_like", "ones_like", "full_like", "empty_like"}   # and the dtype


class _Shape:
    """An array shape that no other name is known to share (yet)."""


class SameShapes:
    """Which names hold arrays of one shape, statement after statement in program order."""

    def __init__(self, kind_of: Callable, src):
        self.kind_of, self.src = kind_of, src
        self.shapes: dict[str, _Shape] = {}

    def of_name(self, n: str) -> _Shape:
        if n not in self.shapes:
            self.shapes[n] = _Shape()
        return self.shapes[n]

    def step(self, s) -> None:
        if isinstance(s, gast.Assign) and len(s.targets) == 1 \
                and isinstance(s.targets[0], gast.Name):
            self.shapes[s.targets[0].id] = self.of(s.value) or _Shape()
        elif isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name):
            if not self.kind_of(s.target).ndim:   # a scalar may become an array
                self.shapes[s.target.id] = _Shape()
        elif not isinstance(s, gast.Expr):   # writes into arrays keep shapes
            for n in stored_names(s):
                self.shapes[n] = _Shape()

    def of(self, e) -> _Shape | None:
        if isinstance(e, gast.Name):
            return self.of_name(e.id)
        if isinstance(e, gast.UnaryOp) and isinstance(e.op, (gast.USub, gast.UAdd)):
            return self.of(e.operand)
        if isinstance(e, gast.BinOp) and isinstance(e.op, _ELEMENTWISE_OPERATORS):
            return self.broadcast([e.left, e.right])
        if isinstance(e, gast.Call):
            rule = lookup(primitive_of(e, self.src))
            args, keywords = call_arguments(e, self.src)
            if rule is not None and rule.output == "elementwise" and not keywords:
                return self.broadcast(args)
        if isinstance(e, gast.Subscript):   # one integer (array) per axis
            parts = e.slice.elts if isinstance(e.slice, gast.Tuple) else [e.slice]
            if self.kind_of(e.value).ndim == len(parts) \
                    and all(self.kind_of(p).integer is True for p in parts):
                return self.broadcast(parts)
        return None

    def broadcast(self, operands: list) -> _Shape | None:
        """The shape of `operands` broadcast together, where one of them has it: an
        operand whose axes are all known not to have length 1, and at least as many
        as any other operand has (NumPy raises for any other shapes)."""
        kinds = [self.kind_of(o) for o in operands]
        if not operands or any(k.ndim is None for k in kinds):
            return None
        most = max(k.ndim for k in kinds)
        if most == 0:
            return None
        for operand, k in zip(operands, kinds):
            if k.ndim == most and isinstance(operand, gast.Name) \
                    and all(one is False for one in k.ones):
                return self.of_name(operand.id)
        return None


class ShapeRead(NamedTuple):
    node: gast.Name        # the read name, in the adjoint statement at `position`
    candidates: list       # other names holding arrays of its shape (and dtype) there
    position: int


def shape_reads(primal: list, adjoint: list, kind_of: Callable, src,
                float64_only: bool) -> list[ShapeRead]:
    """The adjoint's reads of a name's shape (`v.size`, `np.zeros_like(v)`, ...) that
    could read another name instead.  A read of the dtype too (`zeros_like`) has
    candidates only where `float64_only` says every float array is float64."""
    shapes = SameShapes(kind_of, src)
    for s in primal:
        shapes.step(s)
    reads = []
    for position, s in enumerate(adjoint):
        inside = stored_names(s) if _is_compound(s) else set()
        for node, dtype_too in _shape_reads(s):
            shape = shapes.shapes.get(node.id)
            wanted = _float_array if dtype_too else _array
            if shape is None or node.id in inside or (dtype_too and not float64_only) \
                    or not wanted(kind_of(node)):
                continue
            candidates = [n for n, other in shapes.shapes.items()
                          if other is shape and n != node.id and n not in inside
                          and wanted(kind_of(name(n)))]
            if candidates:
                reads.append(ShapeRead(node, candidates, position))
        shapes.step(s)
    return reads


def _array(kind) -> bool:
    return bool(kind.ndim)


def _float_array(kind) -> bool:
    return kind.array


def _is_compound(s) -> bool:
    return isinstance(s, (gast.For, gast.While, gast.If, gast.With, gast.Try))


def _shape_reads(s):
    """(Name node, whether the dtype is read too) for each read of a name's shape."""
    for node in gast.walk(s):
        if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name) \
                and isinstance(node.ctx, gast.Load):
            if node.attr in _SHAPE_ATTRIBUTES:
                yield node.value, False
            elif node.attr == "dtype":
                yield node.value, True
        elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                and node.func.attr in _LIKE_FUNCTIONS and node.args \
                and isinstance(node.args[0], gast.Name) \
                and not any(k.arg in ("dtype", "shape") for k in node.keywords):
            yield node.args[0], True
