"""Stage 4c: shifts the output does not depend on.

The numerically stable softmax subtracts the maximum first:

    z = x - np.max(x, axis=1, keepdims=True)
    log_probs = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))

Adding any c (constant along axis 1) to z changes nothing downstream, so the
derivative with respect to the subtracted value is exactly zero: -sum(dz, axis=1)
vanishes.  Computing it anyway costs a reduction, a comparison mask and a
multiplication for a result that is zero up to rounding, which hand-written
gradients never compute.  JAX's own logsumexp gets the same effect with
stop_gradient.

`invariant_shifts` finds such subtractions `z = x - m` (in any block; inside a loop
or branch, what z reaches must not leave it): m is constant along some axes of z,
and following the statements after it, every value derived from z changes under
z -> z + c in one of these ways:

    SHIFTED  v -> v + c       z itself; max/min/mean of it over those axes
    SCALED   v -> v * e^c     exp of a SHIFTED value; its sum or mean over those axes
    TOP      anything else

with SHIFTED - SHIFTED and SCALED / SCALED unchanged again, log turning SCALED
into SHIFTED.  Where the returned value is unchanged, the subtraction's
contribution to dm is left out.  Anything the rules do not cover (a branch on
such a value, a write into an array, an unknown call) stops the analysis, and the
derivative is computed in full.
"""
from __future__ import annotations

import gast
import numpy as np

from .analysis import call_arguments, primitive_of
from .astutil import loaded_names, stored_names
from .kinds import expr_kind, reduced_axes
from .source import FunctionSource

SHIFTED, SCALED, TOP = "shifted", "scaled", "top"   # names absent from a state: unchanged

_EXTREMES = {np.max, np.amax, np.min, np.amin}
_SUMS = {np.sum}


def invariant_shifts(body: list, output, kinds: dict, src: FunctionSource) -> set[int]:
    """ids of statements `z = x - m` whose output does not depend on m through z (the
    final statement of `body` returns `output`).  Inside a loop or a branch, every
    value z reaches must stay inside that block: read after it, or in the next trip
    of a loop before it is made again, it counts as an output."""
    found = set()
    blocks = [(body, None)]
    while blocks:
        block, enclosing = blocks.pop()
        for index, s in enumerate(block):
            for inner in ("body", "orelse"):
                if getattr(s, inner, None):
                    blocks.append((getattr(s, inner), s))
            shift = _shift_of(s, kinds, src)
            if shift is None:
                continue
            read_later = None if enclosing is None else \
                _read_outside(body, block) | _read_before_made(block)
            if shift.leaves_unchanged(s.targets[0].id, block[index + 1:], output, read_later):
                found.add(id(s))
    return found


def _read_before_made(block: list) -> set:
    """Names `block` reads before it assigns them: in a loop, last trip's values."""
    made, found = set(), set()
    for s in block:
        found |= loaded_names(s) - made
        if isinstance(s, gast.Assign):   # a compound statement may not assign
            made |= stored_names(s)
    return found


def _read_outside(body: list, block: list) -> set:
    """Names read anywhere in `body` but in the statements of `block`."""
    inside = {id(n) for s in block for n in gast.walk(s)}
    return {n.id for s in body for n in gast.walk(s)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
            and id(n) not in inside}


def _shift_of(s, kinds: dict, src: FunctionSource) -> "_Shift | None":
    """For `z = x - m`: the shift m makes, or None.  It is constant along the axes of
    z (counted from the end, -1 the last) where m has length 1 or no axis at all."""
    if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.BinOp) and isinstance(s.value.op, gast.Sub)
            and isinstance(s.value.right, gast.Name)):
        return None
    z, m = expr_kind(s.value, kinds, src), kinds.get(s.value.right.id)
    if z is None or m is None or z.ndim is None or m.ndim is None or m.ndim > z.ndim:
        return None
    axes = frozenset(axis for axis in range(-z.ndim, 0)
                     if axis < -m.ndim or m.ones[axis] is True)
    if z.ndim and not axes:
        return None   # m varies along every axis of z: no shift to be blind to
    return _Shift(axes, len(axes) == z.ndim, kinds, src)


class _Shift:
    """Follows z -> z + c through the statements after `z = x - m`."""

    def __init__(self, axes: frozenset, whole: bool, kinds: dict, src: FunctionSource):
        self.axes = axes          # c is constant along these (negative) axes of z
        self.whole = whole        # ... which are all of them: c is one number
        self.kinds = kinds
        self.src = src
        self.state: dict[str, str] = {}

    def leaves_unchanged(self, z: str, following: list, output, read_later=None) -> bool:
        """Whether, after `following`, the output (or, in an inner block, every name
        in `read_later`) is unchanged by the shift."""
        self.state = {z: SHIFTED}
        for s in following:
            if not self.step(s):
                return False
        if read_later is not None:
            return not set(self.state) & read_later
        return self.of(output) is None

    def step(self, s) -> bool:
        """Update the state for one statement; False where the analysis must stop."""
        changed = set(self.state)
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            self._set(s.targets[0].id, self.of(s.value))
            return True
        if isinstance(s, gast.Return):
            return True
        if loaded_names(s) & changed:
            return False     # a branch, loop or write that reads a shifted value
        for written in stored_names(s) & changed:
            self._set(written, TOP)   # overwritten on some path only
        return True

    def _set(self, target: str, value: str | None) -> None:
        if value is None:
            self.state.pop(target, None)
        else:
            self.state[target] = value

    def of(self, e) -> str | None:
        """How the value of `e` changes: None (not at all), SHIFTED, SCALED or TOP."""
        if not loaded_names(e) & set(self.state):
            return None
        if isinstance(e, gast.Name):
            return self.state.get(e.id)
        if isinstance(e, gast.BinOp):
            return _combine(type(e.op), self.of(e.left), self.of(e.right))
        if isinstance(e, gast.Attribute) and e.attr in ("shape", "ndim", "size", "dtype"):
            return None
        if isinstance(e, gast.Subscript):
            inner, index = self.of(e.value), self.of(e.slice)
            if inner is None and index is None:
                return None   # z.shape[0]
            return inner if self.whole and index is None else TOP
        if isinstance(e, gast.Call):
            return self.of_call(e)
        return TOP

    def of_call(self, e: gast.Call) -> str:
        fn = primitive_of(e, self.src)
        args, keywords = call_arguments(e, self.src)
        if not args or any(self.of(a) is not None for a in args[1:]) \
                or any(self.of(v) is not None for v in keywords.values()):
            return TOP
        first = self.of(args[0])
        if first is None:
            return None   # np.arange(z.shape[0]): no argument changes
        if fn is np.exp and first == SHIFTED:
            return SCALED
        if fn is np.log and first == SCALED:
            return SHIFTED
        reduces = self.reduces_along_shift(args, keywords)
        if fn in _EXTREMES and first == SHIFTED and reduces:
            return SHIFTED
        if fn is np.mean and first in (SHIFTED, SCALED) and reduces:
            return first
        if fn in _SUMS and first == SCALED and reduces:
            return SCALED
        return TOP

    def reduces_along_shift(self, args: list, keywords: dict) -> bool:
        """A reduction over axes along which c is constant, keeping them (so c still
        lines up with the result), or any reduction when c is one number."""
        if self.whole:
            return True
        axis = args[1] if len(args) > 1 else keywords.get("axis")
        keepdims = keywords.get("keepdims")
        if not (isinstance(keepdims, gast.Constant) and keepdims.value is True):
            return False
        kind = expr_kind(args[0], self.kinds, self.src)
        ndim = None if kind is None else kind.ndim
        reduced = reduced_axes(axis, ndim) if axis is not None else None
        return reduced is not None and {a - ndim for a in reduced} <= self.axes


def _combine(op, left: str | None, right: str | None) -> str:
    if op is gast.Add and {left, right} == {SHIFTED, None}:
        return SHIFTED
    if op is gast.Sub and (left, right) == (SHIFTED, None):
        return SHIFTED
    if op is gast.Sub and (left, right) == (SHIFTED, SHIFTED):
        return None
    if op is gast.Mult and {left, right} == {SCALED, None}:
        return SCALED
    if op is gast.Div and (left, right) == (SCALED, None):
        return SCALED
    if op is gast.Div and (left, right) == (SCALED, SCALED):
        return None
    return TOP
