"""Stage 7: gast -> Python source -> function objects.

The source is produced by astor where it runs and by `ast.unparse` otherwise
(astor calls AST classes newer Pythons removed).  It is compiled as the body of a
small factory whose parameters are the names s2sad binds (np, unbroadcast, ...),
so the generated functions see those as closure variables and everything else —
the user's globals, the user's own closure cells — exactly as the user's function
does.  The compiled text is registered with linecache: tracebacks show it.
"""
from __future__ import annotations

import ast
import itertools
import linecache
import re
import textwrap
import types
import warnings
from typing import Sequence

import gast

FORCE_AST_UNPARSE = False   # tests flip this to exercise the fallback
_counter = itertools.count(1)


COMMENT_MARKER = re.compile(r"^(\s*)__s2sad_comment__\((\d+)\)$", re.M)


def to_source(functions: list, comments: Sequence[str] = ()) -> str:
    """Python source for gast function definitions; `__s2sad_comment__(i)` marker
    statements become the comment `# comments[i]`."""
    module = gast.Module(body=functions, type_ignores=[])
    tree = ast.fix_missing_locations(gast.gast_to_ast(module))
    text = None
    if not FORCE_AST_UNPARSE:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                import astor
                text = astor.to_source(tree)
        except Exception:  # astor cannot print this tree on this Python
            pass
    if text is None:
        text = ast.unparse(tree) + "\n"
    return COMMENT_MARKER.sub(lambda m: f"{m.group(1)}# {comments[int(m.group(2))]}", text)


def compile_functions(source: str, names: list[str], bindings: dict, func) -> dict:
    """Compile `source` (top-level defs named `names`) into functions.

    `bindings` maps helper names to values; names the user's function has as
    closure variables are bound to the user's own cells, so later rebinding of an
    outer variable is seen, as it would be by the user's function.
    """
    user_cells = dict(zip(func.__code__.co_freevars, func.__closure__ or ()))
    params = sorted(set(bindings) | set(user_cells))
    factory = (f"def _s2sad_factory({', '.join(params)}):\n"
               + textwrap.indent(source, "    ")
               + f"\n    return ({', '.join(names)},)\n")
    filename = f"<s2sad generated {func.__qualname__} #{next(_counter)}>"
    linecache.cache[filename] = (len(factory), None, factory.splitlines(True), filename)
    code = compile(factory, filename, "exec")
    scope: dict = {}
    exec(code, func.__globals__, scope)
    made = scope["_s2sad_factory"](*[bindings.get(p) for p in params])
    result = {}
    for fn in made:
        cells = tuple(user_cells[v] if v in user_cells else types.CellType(bindings[v])
                      for v in fn.__code__.co_freevars)
        result[fn.__name__] = types.FunctionType(fn.__code__, func.__globals__, fn.__name__,
                                                 None, cells)
    return result


def readable_function(text: str, name: str, namespace: dict, label: str):
    """The function `name` defined by `text`, run in `namespace`: source s2sad made
    for a function it must read (linecache holds it, as for generated code)."""
    filename = f"<s2sad {label} #{next(_counter)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = dict(namespace)
    exec(compile(text, filename, "exec"), namespace)
    return namespace[name]
