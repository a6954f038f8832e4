"""Lists grown at run time (`outs.append(h)` in a loop over `range(T)`).

Inside the pipeline an append is the assignment `outs = appended(outs, h)`: the
list object stays the same, but the statement rebinds a name like any other, so
the analyses need no special case for it.  Emission writes it back as
`outs.append(h)`.

Reverse mode keeps the cotangent of such a list as one array stacked along a new
first axis (`douts[i]` is the cotangent of `outs[i]`), so a read `outs[i]` reverses
to `douts[i] += g` as for any array, and an append reverses to

    dh = dh + douts[-1]
    douts = douts[:-1]
    outs.pop()          # only where an earlier adjoint reads `outs` again

So the items of a list that needs derivatives must all have the same shape (what
`np.stack` asks of them too).  Lists whose items are read with constant indices
only are split into variables instead (`structures`), and may hold anything.
"""
from __future__ import annotations

import gast

from .analysis import walk_statements
from .astutil import HELPER_MARK, assign, attr, call, copy_location, expr_stmt, helper, name

APPENDED = "appended"   # the runtime helper: `items.append(item); return items`


def append_statement(items: str, item) -> gast.Assign:
    """`items = appended(items, item)`: the normal form of `items.append(item)`."""
    return assign(items, call(helper(APPENDED), name(items), item))


def appended_parts(s) -> tuple | None:
    """(list name, item) when `s` is an append in normal form."""
    if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)):
        return None
    if is_append(s.value) and s.value.args[0].id == s.targets[0].id:
        return s.value.args[0].id, s.value.args[1]
    return None


def is_append(value) -> bool:
    """`appended(xs, item)`."""
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
        and value.func.id == APPENDED and getattr(value.func, HELPER_MARK, False) \
        and len(value.args) == 2 and isinstance(value.args[0], gast.Name)


def is_method_statement(s, method: str = "append") -> bool:
    """`items.append(item)` (or `items.<method>(one argument)`) written as a statement
    of its own, on a plain name."""
    return isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) \
        and isinstance(s.value.func, gast.Attribute) and s.value.func.attr == method \
        and isinstance(s.value.func.value, gast.Name) \
        and len(s.value.args) == 1 and not s.value.keywords


def grown_names(body: list) -> set:
    """The names the function appends to."""
    return {parts[0] for parts in map(appended_parts, walk_statements(body))
            if parts is not None}


def list_names(body: list) -> set:
    """Names every binding of which makes a list: list displays, appends, `list(...)`
    (and `tuple(...)`), and slices (`hs[1:]`) and copies (`outs = hs`) of such names.
    (`hs = np.stack(hs)` makes `hs` no list: its cotangent is an array like any.)"""
    bindings: dict = {}
    for s in walk_statements(body):
        for target in _bound_names(s):
            bindings.setdefault(target, []).append(s)
    found = set(bindings)
    while True:   # drop names with a binding that makes something else, to a fixpoint
        kept = {n for n in found if all(_makes_list(s, found) for s in bindings[n])}
        if kept == found:
            return found
        found = kept


def _bound_names(s) -> list:
    if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
        return [s.targets[0].id]
    if isinstance(s, gast.For):
        return [n.id for n in gast.walk(s.target) if isinstance(n, gast.Name)]
    return []


def _makes_list(s, lists: set) -> bool:
    """Whether the binding `s` makes a list (given the names that hold lists)."""
    if not isinstance(s, gast.Assign):
        return False
    value = s.value
    if isinstance(value, gast.List) or appended_parts(s) is not None:
        return True
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
            and value.func.id in ("list", "tuple") \
            and not getattr(value.func, HELPER_MARK, False):
        return True
    if isinstance(value, gast.Name):
        return value.id in lists
    return isinstance(value, gast.Subscript) and isinstance(value.slice, gast.Slice) \
        and isinstance(value.value, gast.Name) and value.value.id in lists


def as_method_calls(stmts: list) -> list:
    """`outs = appended(outs, h)` written back as `outs.append(h)`, for emission."""
    out = []
    for s in stmts:
        parts = appended_parts(s)
        if parts is not None:
            items, item = parts
            out.append(copy_location(expr_stmt(call(attr(name(items), "append"), item)), s))
            continue
        for block in ("body", "orelse"):
            if isinstance(getattr(s, block, None), list):
                setattr(s, block, as_method_calls(getattr(s, block)))
        out.append(s)
    return out


def pop_statement(items: str) -> gast.Expr:
    """`items.pop()`: the list as it was before its last append."""
    return expr_stmt(call(attr(name(items), "pop")))


def refuse_shared_lists(body: list, src) -> None:
    """A list the function grows must be reachable through one name only: after
    `b = a`, or `rows.append(row)` followed by `row.append(...)`, an append through one
    name changes what the other holds, which the derivative would not follow."""
    lists = list_names(body)
    grown = grown_names(body)
    order = list(_with_loops(body))
    for index, (s, _) in enumerate(order):
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) \
                and isinstance(s.value, gast.Name) and s.value.id in lists \
                and _grown_later({s.targets[0].id, s.value.id}, index, order):
            raise src.error(
                f"{s.targets[0].id!r} becomes a second name for the list {s.value.id!r}, "
                "which the function grows; s2sad follows a list through one name only", s,
                f"use one name, or copy the list ({s.targets[0].id} = list({s.value.id}))")
    _refuse_grown_items(body, grown, src)


def _with_loops(body: list, loops: tuple = ()):
    """(statement, ids of the loops around it), in program order."""
    for s in body:
        yield s, loops
        inner = loops + (id(s),) if isinstance(s, (gast.For, gast.While)) else loops
        for field in ("body", "orelse"):
            yield from _with_loops(getattr(s, field, None) or [], inner)


def _grown_later(names: set, index: int, order: list) -> bool:
    """Whether an append to one of `names` may run after the statement `order[index]`:
    later in the program, or earlier in a loop around both."""
    loops = set(order[index][1])
    return any((appended_parts(s) or (None,))[0] in names
               and (j > index or loops & set(around))
               for j, (s, around) in enumerate(order))


def _refuse_grown_items(block: list, grown: set, src) -> None:
    """`rows.append(row)` is fine where `row` was made in the same block before and is
    not grown after."""
    for index, s in enumerate(block):
        parts = appended_parts(s)
        item = parts[1].id if parts and isinstance(parts[1], gast.Name) else None
        if item in grown:
            made_before = any(isinstance(t, gast.Assign) and isinstance(t.targets[0], gast.Name)
                              and t.targets[0].id == item and isinstance(t.value, gast.List)
                              for t in block[:index])
            grown_after = any((appended_parts(t) or (None,))[0] == item
                              for t in walk_statements(block[index + 1:]))
            if not made_before or grown_after:
                raise src.error(
                    f"the list {item!r} goes into the list {parts[0]!r} and is grown "
                    "elsewhere; s2sad follows a list through one name only", s,
                    f"append a copy ({parts[0]}.append(list({item}))), or build {item!r} "
                    "completely first")
        for field in ("body", "orelse"):
            _refuse_grown_items(getattr(s, field, None) or [], grown, src)
