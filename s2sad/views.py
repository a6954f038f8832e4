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
from .lists import is_append
from .source import INLINED_FROM, FunctionSource

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
    if isinstance(value, gast.Call) and is_append(value):   # the list made by `[]`
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


def memory_sharing(stmts, src: FunctionSource, is_basic_index,
                   kinds: dict | None = None) -> dict[str, set]:
    """For each name, the names that may see the same memory: `r = x[1:]`, `t = x.T`,
    `y = x`, `v = x.reshape(2, 3)` make views (`kinds` tells where `x[i]` is a scalar).
    A write into one changes them all, so an index write saves what it overwrites when
    any of them is still to be read."""
    groups: dict[str, set] = {}
    for s in walk_statements(stmts):
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)):
            continue
        kind = (kinds or {}).get(s.targets[0].id)
        if kind is not None and kind.ndim == 0:
            continue
        base = viewed_name(s.value, src, is_basic_index)
        if base is not None:
            group = groups.get(base, {base}) | groups.get(s.targets[0].id, {s.targets[0].id})
            for member in group:
                groups[member] = group
    return groups


def viewed_name(value, src: FunctionSource, is_basic_index) -> str | None:
    """The name `value` may be a view of, or None (a list holds what it appends)."""
    if is_append(value):
        value = value.args[1]
    elif isinstance(value, gast.Subscript) and is_basic_index(value.slice):
        value = value.value
    elif isinstance(value, gast.Attribute) and value.attr in ("T", "real", "imag"):
        value = value.value
    elif isinstance(value, gast.Call) and primitive_of(value, src) in VIEW_FUNCTIONS:
        args, _ = call_arguments(value, src)
        value = args[0] if args else None
    return value.id if isinstance(value, gast.Name) else None


def augmented_names(tree) -> list:
    """The `x += v` statements on names, as (name, statement): read as `x = x + v`."""
    return [(n.target.id, n) for n in gast.walk(tree)
            if isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name)]


def refuse_augmented_views(augmented: list, body: list, kinds: dict, src: FunctionSource,
                           is_basic_index, temporaries: set) -> None:
    """`row = H[0]; row += x` changes H in NumPy, but s2sad reads `row = row + x`, a new
    array: refuse where the name may be an array that another name views when the
    update runs and reads later.  The normal form's `temporaries` are read within the
    user's statement that made them, never across an update."""
    order = list(_in_order(body))
    for target, statement in augmented:
        kind = kinds.get(target)
        if kind is not None and kind.ndim == 0:
            continue
        for position, s, loops, _ in order:
            if _is_update_of(s, target, statement):
                other = _sharing_reader(target, position, loops, order, src,
                                        _views_of_arrays(is_basic_index, kinds), temporaries)
                if other is not None:
                    raise src.error(
                        f"s2sad reads '{target} {_operator(statement)}= ...' as '{target} = "
                        f"{target} {_operator(statement)} ...', a new array, but {target!r} "
                        f"may share memory with {other!r}, which NumPy would change too",
                        statement, f"write '{target} = {target} {_operator(statement)} ...', "
                        "or assign into the array itself by index")


def refuse_writes_through_views(body: list, varied: set, kinds: dict, src: FunctionSource,
                                is_basic_index, temporaries: set) -> None:
    """`z = y; z[0] = 5.0; ... y ...`: the write changes y, whose derivative s2sad would
    not zero there.  Refuse an index write into a name that another name needing a
    derivative views when the write runs and reads later."""
    order = list(_in_order(body))
    viewed = _views_of_arrays(is_basic_index, kinds)
    for position, s, loops, _ in order:
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript)
                and isinstance(s.targets[0].value, gast.Name)):
            continue
        target = s.targets[0].value.id
        other = _sharing_reader(target, position, loops, order, src, viewed,
                                temporaries | (set(kinds) - varied))
        if other is not None:
            raise src.error(
                f"this write into {target!r} also changes {other!r}, which shares its "
                f"memory and is read afterwards; s2sad does not follow derivatives through "
                "such writes", s, f"write into a copy ({target} = {other}.copy()), or into "
                f"{other!r} itself")


def _in_order(body: list, loops: tuple = (), branches: tuple = ()):
    """(position, statement, ids of the loops around it, ids of the ifs around it),
    in program order."""
    position = 0
    for s in body:
        yield position, s, loops, branches
        position += 1
        inner = loops + (id(s),) if isinstance(s, (gast.For, gast.While)) else loops
        inside = branches + (id(s),) if isinstance(s, gast.If) else branches
        for field in ("body", "orelse"):
            for found in _in_order(getattr(s, field, []) or [], inner, inside):
                yield (position,) + found[1:]
                position += 1


def _views_of_arrays(is_basic_index, kinds: dict):
    """`is_basic_index` for the view-making statements' sake, where `x[i]` may be a
    scalar: only names of arrays (or of unknown kind) can be views."""
    def viewed(s, src) -> str | None:
        kind = kinds.get(s.targets[0].id)
        if kind is not None and kind.ndim == 0:
            return None
        return viewed_name(s.value, src, is_basic_index)
    return viewed


def _is_update_of(s, target: str, augmented: gast.AugAssign) -> bool:
    """`s` is the `target = target op ...` the normalised code made of `augmented`."""
    return isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) \
        and s.targets[0].id == target and getattr(s, "lineno", None) == augmented.lineno \
        and getattr(s, INLINED_FROM, None) is getattr(augmented, INLINED_FROM, None) \
        and any(isinstance(n, gast.Name) and n.id == target for n in gast.walk(s.value))


def _sharing_reader(target: str, at: int, loops: tuple, order: list, src,
                    viewed, temporaries: set) -> str | None:
    """A name that views `target`'s memory (or that target views) by a statement run
    before position `at`, and is read after it; in a loop, anywhere in that loop."""
    def around(position, statement_loops):
        return position < at or set(statement_loops) & set(loops)
    sharing, found = {target}, True
    while found:   # the names made views of each other before the update
        found = False
        for position, s, statement_loops, _ in order:
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) \
                    and around(position, statement_loops):
                base = viewed(s, src)
                pair = {s.targets[0].id, base}
                if base is not None and pair & sharing and not pair <= sharing:
                    sharing |= pair
                    found = True
    for other in sorted(sharing - {target} - temporaries):
        if _read_before_rebound(other, at, loops, order, src, viewed):
            return other
    return None


def _read_before_rebound(n: str, at: int, loops: tuple, order: list, src, viewed) -> bool:
    """Whether `n` is read after position `at` before an assignment surely rebinds it:
    later in the same trip, then in the next trips of the loops around `at` (from
    their start), then after them."""
    later = [e for e in order if e[0] > at]
    # the next trip of any loop around `at` runs its statements before `at` again
    again = [e for e in order if e[0] < at and set(e[2]) & set(loops)]
    start = len([e for e in later if set(e[2]) >= set(loops)])
    for index, (position, s, statement_loops, branches) in enumerate(
            later[:start] + again + later[start:]):
        if _reads(s, n, src, viewed if position < at else None):
            return True
        rebinds = isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) \
            and s.targets[0].id == n and not branches
        if rebinds and set(statement_loops) == set(loops):
            return False
    return False


def _reads(s, n: str, src, viewed) -> bool:
    """Whether statement `s` reads `n` (with `viewed`: other than to make a view of it)."""
    if viewed is not None and isinstance(s, gast.Assign) \
            and isinstance(s.targets[0], gast.Name) and viewed(s, src) == n:
        return False
    header = [getattr(s, f) for f in ("test", "iter") if hasattr(s, f)] \
        if isinstance(s, (gast.If, gast.For, gast.While)) else [s]
    return any(isinstance(node, gast.Name) and node.id == n and isinstance(node.ctx, gast.Load)
               for part in header for node in gast.walk(part))


def _operator(statement: gast.AugAssign) -> str:
    return {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**",
            gast.MatMult: "@", gast.FloorDiv: "//", gast.Mod: "%"}.get(type(statement.op), "?")
