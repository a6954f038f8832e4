"""Stage 2b: calls that change an array in place, written as index writes before any
analysis sees them, so that the writes' machinery (copies of arguments written into,
the saved overwritten values, the refusal of writes seen through views) applies:

    np.add.at(a, idx, v)        a[...] = scattered_add(a, idx, v)
    np.put(a, idx, v)           a[...] = put_values(a, idx, v)
"""
from __future__ import annotations

import gast
import numpy as np

from .astutil import assign, call, clone, const, copy_location, helper
from .source import FunctionSource

_IN_PLACE = {np.add.at: "scattered_add", np.put: "put_values"}


def lower_in_place_calls(src: FunctionSource) -> None:
    """Rewrite `src.tree` in place; a no-op for functions without such calls."""
    for node in gast.walk(src.tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                block[:] = [_lowered(s, src) for s in block]


def _lowered(s, src: FunctionSource):
    if not (isinstance(s, gast.Expr) and isinstance(s.value, gast.Call)):
        return s
    try:
        replacement = _IN_PLACE.get(src.resolve(s.value.func))
    except TypeError:   # an unhashable callee
        return s
    if replacement is None or s.value.keywords or len(s.value.args) not in (3, 4) \
            or not isinstance(s.value.args[0], gast.Name):
        return s
    target = gast.Subscript(value=clone(s.value.args[0]), slice=const(Ellipsis),
                            ctx=gast.Store())
    return copy_location(assign(target, call(helper(replacement), *s.value.args)), s)
