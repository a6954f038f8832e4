"""Reject, with a pointed message, the Python that s2sad does not handle yet."""
from __future__ import annotations

import gast

from .source import FunctionSource

_UNSUPPORTED = {
    gast.Try: ("try/except", "move the try/except outside the differentiated function"),
    gast.With: ("'with' blocks", "move the 'with' block outside the differentiated function"),
    gast.AsyncWith: ("'async with' blocks", "differentiate a synchronous function"),
    gast.AsyncFor: ("'async for' loops", "differentiate a synchronous function"),
    gast.AsyncFunctionDef: ("async functions", "differentiate a synchronous function"),
    gast.Await: ("'await'", "differentiate a synchronous function"),
    gast.Yield: ("generators ('yield')", "return a list or an array instead of yielding"),
    gast.YieldFrom: ("generators ('yield from')", "return a list or an array instead"),
    gast.Global: ("'global' statements", "pass the value in as an argument and return it"),
    gast.Nonlocal: ("'nonlocal' statements", "pass the value in as an argument and return it"),
    gast.ClassDef: ("class definitions", "define the class outside the function"),
    gast.FunctionDef: ("function definitions inside a loop or branch",
                       "define the helper at the top of the function, or at module level"),
    gast.Lambda: ("lambda expressions other than `f = lambda ...` at the function's top level",
                  "name the lambda at the top of the function (f = lambda x: ...), or "
                  "define it with 'def'"),
    gast.Import: ("import statements", "import at module level"),
    gast.ImportFrom: ("import statements", "import at module level"),
    gast.Delete: ("'del' statements", "assign a new value instead of deleting"),
    gast.NamedExpr: ("assignment expressions (':=')", "assign in a separate statement"),
    gast.Starred: ("starred expressions outside calls (`a, *rest = xs`, `[*a, x]`)",
                   "unpack or join the items one by one"),
    gast.SetComp: ("set comprehensions", "write the loop out with a for statement"),
}
if hasattr(gast, "Match"):
    _UNSUPPORTED[gast.Match] = ("'match' statements", "use if/elif/else")


def check_supported(src: FunctionSource, helper: bool = False) -> None:
    """Raise TransformError at the first construct s2sad cannot differentiate.  A
    `helper` (a function the differentiated one calls) may take *args and **kwargs."""
    args = src.tree.args
    if (args.vararg or args.kwarg) and not helper:
        raise src.error("s2sad does not differentiate functions with *args or **kwargs yet",
                        src.tree, "list the parameters explicitly (helpers the function "
                        "calls may take *args and **kwargs)")
    # helpers defined in the function: `def` and `f = lambda ...` at its top level
    # (or at the top of such a `def`)
    allowed = set(_top_level_defs(src.tree.body)) | {   # f(*args): expanded when inlined
        id(a) for n in _walk_body(src.tree) if isinstance(n, gast.Call)
        for a in n.args if isinstance(a, gast.Starred)}
    for node in _walk_body(src.tree):
        entry = None if id(node) in allowed else _UNSUPPORTED.get(type(node))
        if entry:
            what, hint = entry
            raise src.error(f"s2sad cannot differentiate code containing {what}", node, hint)
        if isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) \
                and not isinstance(node.value, (gast.Name, gast.Subscript)):
            raise src.error("s2sad writes into arrays by name and index only, not through "
                            "an attribute or a call (`B.flat[0] = v`, `obj.w[i] = v`)",
                            node, "index the array itself (B[0, 0] = v), or work on a copy "
                            "with a name (flat = B.ravel(); ...)")
        if isinstance(node, (gast.For, gast.While)) and node.orelse:
            kind = "for" if isinstance(node, gast.For) else "while"
            raise src.error(f"s2sad does not support '{kind} ... else' loops", node,
                            "use a flag variable set before 'break' instead of 'else'")


def _top_level_defs(body: list):
    for s in body:
        if isinstance(s, gast.FunctionDef):
            yield id(s)
            yield from _top_level_defs(s.body)
        elif isinstance(s, gast.Assign) and len(s.targets) == 1 \
                and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Lambda):
            yield id(s.value)


def _walk_body(tree: gast.FunctionDef):
    for statement in tree.body:
        yield from gast.walk(statement)
