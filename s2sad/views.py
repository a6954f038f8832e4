"""Stage 4d: which names may share memory.

An index write `a[i] = v` changes every array that views a's memory (`r = a[1:]`,
`a.T`, `a.reshape(...)`, `b = a`).  Reverse mode needs to know that twice: to save
what a write overwrites while a view of it is still to be read, and to give the
caller's arrays private copies when the function writes into them through a view.
"""
from __future__ import annotations

import gast
import numpy as np

from . import rules
from .analysis import call_arguments, definitions, primitive_of, walk_statements
from .source import FunctionSource

# Functions whose result may share memory with their first argument.
VIEW_FUNCTIONS = {np.reshape, np.ravel, np.transpose, np.squeeze, np.swapaxes, np.moveaxis,
                  np.expand_dims, np.atleast_1d, np.atleast_2d, np.atleast_3d, np.asarray,
                  np.flip, np.diagonal, np.broadcast_to, np.real, np.imag}

# Functions that always make a new array.
CONSTRUCTORS = {np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like,
                np.empty_like, np.full_like, np.array, np.copy, np.arange, np.eye,
                np.identity, np.linspace, np.concatenate, np.stack, np.hstack, np.vstack}


def fresh_arrays(body: list, src: FunctionSource) -> set:
    """Locals every definition of which makes a new array (no view of another), or
    takes one of those (`_t = h / u; h = _t`)."""
    bound = definitions(body)
    fresh: set = set()
    while True:
        found = {n for n, statements in bound.items()
                 if all(isinstance(s, gast.Assign) and (
                     makes_new_array(s.value, src)
                     or isinstance(s.value, gast.Name) and s.value.id in fresh)
                        for s in statements)}
        if found == fresh:
            return fresh
        fresh = found


def makes_new_array(value, src: FunctionSource) -> bool:
    """Operators, constructors, and functions with rules that are not views (np.sum,
    np.tanh, ... make new arrays; np.reshape, .T may not)."""
    if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Constant, gast.List)):
        return True
    if isinstance(value, gast.Call):
        if isinstance(value.func, gast.Attribute) and value.func.attr == "copy":
            return True
        fn = primitive_of(value, src)
        rule = rules.lookup(fn)   # None for what cannot be a dict key, too
        if rule is None:
            return False
        return fn in CONSTRUCTORS or (fn not in VIEW_FUNCTIONS
                                       and rule.output not in ("unknown", "permuted"))
    return False


def memory_sharing(stmts, src: FunctionSource, is_basic_index) -> dict[str, set]:
    """For each name, the names that may see the same memory: `r = x[1:]`, `t = x.T`,
    `y = x`, `v = x.reshape(2, 3)` make views.  A write into one changes them all, so
    an index write saves what it overwrites when any of them is still to be read."""
    groups: dict[str, set] = {}
    for s in walk_statements(stmts):
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)):
            continue
        base = viewed_name(s.value, src, is_basic_index)
        if base is not None:
            group = groups.get(base, {base}) | groups.get(s.targets[0].id, {s.targets[0].id})
            for member in group:
                groups[member] = group
    return groups


def viewed_name(value, src: FunctionSource, is_basic_index) -> str | None:
    """The name `value` may be a view of, or None."""
    if isinstance(value, gast.Subscript) and is_basic_index(value.slice):
        value = value.value
    elif isinstance(value, gast.Attribute) and value.attr in ("T", "real", "imag"):
        value = value.value
    elif isinstance(value, gast.Call) and primitive_of(value, src) in VIEW_FUNCTIONS:
        args, _ = call_arguments(value, src)
        value = args[0] if args else None
    return value.id if isinstance(value, gast.Name) else None
