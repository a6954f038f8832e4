"""Stage 6b: drop primal statements whose results nothing reads.

`grad` returns the gradient alone, so the function's own value (a mean, a
log-sum-exp) need not be computed where no derivative reads it - a person writing
the gradient by hand leaves it out too.  Only plain assignments of pure expressions
are dropped: operators, and calls of NumPy's, math's and SciPy's special functions
and of array methods; calls with effects (the user's own functions, np.random),
writes into arrays, tape pushes and everything inside loops and branches stay.
"""
from __future__ import annotations

from typing import Callable

import gast

from . import runtime
from .analysis import ARRAY_METHODS
from .astutil import HELPER_MARK, stored_names
from .rules import TEMPLATE_NAMESPACE, lookup
from .shapes import shape_reads
from .source import FunctionSource, Unresolved

_IMPURE_NODES = (gast.Lambda, gast.NamedExpr, gast.Yield, gast.YieldFrom, gast.Await)


def leave_out_unneeded(primal: list, adjoint: list, live_after: set, kind_of: Callable,
                       src: FunctionSource, preference: Callable, float64_only: bool) -> list:
    """The primal without what neither the adjoint nor `live_after` (what the
    derivative returns) reads, after pointing the adjoint's shape reads at arrays
    computed anyway.  `preference` orders the arrays a shape may be read from."""
    is_pure = purity_check(src, kind_of)
    reads = shape_reads(primal, adjoint, kind_of, src, float64_only)
    if reads:
        _redirect(reads, primal, adjoint, live_after, is_pure, preference)
    return drop_dead(primal, _live_into(adjoint, live_after), is_pure)


def _live_into(adjoint: list, live_after: set, ignored: frozenset = frozenset()) -> set:
    """What the primal must leave alive: what the adjoint reads, and `live_after`."""
    live = live_before_each(adjoint, live_after, ignored)
    return (live[0] if live else set()) | live_after


def _redirect(reads: list, primal: list, adjoint: list, live_after: set, is_pure,
              preference) -> None:
    """Point each shape read whose name nothing else keeps alive at another name of
    the same shape that is read anyway, or whose value exists anyway."""
    ignored = frozenset(id(r.node) for r in reads)
    live = live_before_each(adjoint, live_after, ignored)
    lost = _lost_values(drop_dead(primal, _live_into(adjoint, live_after, ignored), is_pure),
                        primal)
    for read in reads:
        here = live[read.position]
        if read.node.id in here:
            continue   # alive anyway
        later = stored_names(gast.Module(body=adjoint[:read.position + 1], type_ignores=[]))
        usable = [c for c in read.candidates if c in here or c not in lost | later]
        if usable:   # names read anyway come before those only kept alive
            read.node.id = min(usable, key=lambda c: (preference(c), c not in here))


def _lost_values(kept: list, primal: list) -> set:
    """Names whose last assignment in `primal` is not among the `kept` statements:
    their final values do not exist in the generated code."""
    last = {}
    for s in primal:
        for n in stored_names(s):
            last[n] = s
    kept_ids = {id(s) for s in kept}
    return {n for n, s in last.items() if id(s) not in kept_ids}


def drop_dead(stmts: list, live_after: set, is_pure: Callable) -> list:
    """`stmts` without the top-level assignments whose targets are dead.

    >>> import gast
    >>> body = gast.parse("a = x + 1\\nb = x * 2").body
    >>> [gast.unparse(s).strip() for s in drop_dead(body, {"b"}, lambda e: True)]
    ['b = x * 2']
    """
    kept, live = [], set(live_after)
    for s in reversed(stmts):
        if _removable(s, live, is_pure):
            continue
        live = _live_before(s, live)
        kept.append(s)
    return kept[::-1]


def live_before_each(stmts: list, live_after: set, ignored: frozenset = frozenset()) -> list:
    """For each top-level statement, the names whose values there are read later.
    Loads by the Name nodes in `ignored` (by id) do not count."""
    result, live = [], set(live_after)
    for s in reversed(stmts):
        live = _live_before(s, live, ignored)
        result.append(live)
    return result[::-1]


def _live_before(s, live: set, ignored: frozenset = frozenset()) -> set:
    loads = {n.id for n in gast.walk(s) if isinstance(n, gast.Name)
             and isinstance(n.ctx, gast.Load) and id(n) not in ignored}
    if isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name):
        loads.add(s.target.id)   # `x += v` may write into the array x names
    targets = _assigned_names(s)
    return (live - targets if targets is not None else live) | loads


def _assigned_names(s) -> set | None:
    """Names a plain assignment surely rebinds (None for anything else: a statement
    inside a loop or branch may not run, a write into an array keeps it)."""
    if not isinstance(s, gast.Assign):
        return None
    names = set()
    for target in s.targets:
        parts = target.elts if isinstance(target, (gast.Tuple, gast.List)) else [target]
        if not all(isinstance(p, gast.Name) for p in parts):
            return None
        names |= {p.id for p in parts}
    return names


def _removable(s, live: set, is_pure: Callable) -> bool:
    targets = _assigned_names(s)
    return targets is not None and not targets & live and is_pure(s.value)


_PURE_MODULES = ("numpy", "math", "scipy.special", "_operator", "operator")
_PURE_BUILTINS = {len, abs, float, int, min, max, sum, range, round, pow}


def _library(fn) -> bool:
    """A function of NumPy, math or SciPy's special functions, a builtin like len, or
    one of s2sad's helpers that only computes: not one of the user's (a rule
    registered for it says nothing of its effects)."""
    if fn in _PURE_BUILTINS:
        return True
    module = "numpy" if type(fn).__name__ == "ufunc" else getattr(fn, "__module__", None) or ""
    if runtime.is_helper(fn):
        return getattr(fn, "__name__", None) not in _HELPERS_WITH_EFFECTS
    return module.startswith(_PURE_MODULES) and not module.startswith("numpy.random")


# helpers that change their arguments, run the user's code, or check a value
_HELPERS_WITH_EFFECTS = {"add_at", "appended", "batch_written", "split_forward",
                         "split_backward", "split_tangent", "split_backward_tangent",
                         "whole_cotangents", "custom_cotangents", "scalar_seed"}


def purity_check(src: FunctionSource, kind_of) -> Callable:
    """`is_pure(expr)`: evaluating `expr` changes nothing but its result.  Method calls
    count only on values known to be numbers or arrays (`tape.pop()` does not)."""
    def resolve(node):
        if isinstance(node, gast.Name) and getattr(node, HELPER_MARK, False):
            return TEMPLATE_NAMESPACE.get(node.id, Unresolved)
        if isinstance(node, gast.Attribute):
            base = resolve(node.value)
            return Unresolved if base is Unresolved else getattr(base, node.attr, Unresolved)
        return src.resolve(node)

    def pure_call(call: gast.Call) -> bool:
        func = call.func
        if isinstance(func, gast.Attribute) and resolve(func.value) is Unresolved:
            return func.attr in ARRAY_METHODS and kind_of(func.value).ndim is not None
        fn = resolve(func)
        return lookup(fn) is not None and _library(fn)

    def is_pure(expr) -> bool:
        return all(not isinstance(n, _IMPURE_NODES)
                   and (not isinstance(n, gast.Call) or pure_call(n)) for n in gast.walk(expr))
    return is_pure
