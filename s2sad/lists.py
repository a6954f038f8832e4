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


def is_append_call(s) -> bool:
    """`items.append(item)` written as a statement of its own, on a plain name."""
    return isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) \
        and isinstance(s.value.func, gast.Attribute) and s.value.func.attr == "append" \
        and isinstance(s.value.func.value, gast.Name) \
        and len(s.value.args) == 1 and not s.value.keywords


def list_names(body: list) -> set:
    """Names that hold lists made in the function: list displays, appends, `list(...)`
    (and `tuple(...)`), and slices (`hs[1:]`) and copies (`outs = hs`) of those."""
    found: set = set()
    changed = True
    while changed:
        changed = False
        for s in walk_statements(body):
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) \
                    and s.targets[0].id not in found and _makes_list(s, found):
                found.add(s.targets[0].id)
                changed = True
    return found


def _makes_list(s: gast.Assign, lists: set) -> bool:
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
