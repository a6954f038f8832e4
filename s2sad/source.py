"""Stage 1: from a function object to its gast tree, plus what it can see.

`FunctionSource` keeps the parsed definition together with everything later
stages need to talk about the user's code: file, line offset, text lines, and
the namespaces (closure, globals, builtins) used to resolve called functions.
"""
from __future__ import annotations

import builtins
import functools
import inspect
import math
import textwrap
import types
from dataclasses import dataclass, field

import gast
import numpy as np

from .errors import TransformError

HELPER_MARK = "s2sad_helper"   # on Names s2sad made for its own helpers
INLINED_FROM = "s2sad_inlined_from"   # on nodes inlined from a helper: its FunctionSource


@dataclass
class FunctionSource:
    func: types.FunctionType
    tree: gast.FunctionDef
    filename: str
    first_line: int          # file line of the dedented source's line 1
    lines: list[str]
    closure: dict = field(default_factory=dict)
    locals: frozenset = frozenset()   # parameters and assigned names: never globals
    bound: dict = field(default_factory=dict)   # names inlined code reads, with their values

    @property
    def name(self) -> str:
        return self.tree.name   # the def's own name; `lambda_` for a lambda

    def error(self, what: str, node=None, hint: str | None = None) -> TransformError:
        """A TransformError pointing at `node`'s line in the user's file (the file of
        the function it was inlined from, for inlined code)."""
        origin = getattr(node, INLINED_FROM, None)
        if origin is not None and origin is not self:
            return origin.error(what, node, hint)
        lineno = line = None
        if node is not None and getattr(node, "lineno", None):
            lineno = node.lineno + self.first_line - 1
            index = node.lineno - 1
            line = self.lines[index] if 0 <= index < len(self.lines) else None
        return TransformError(what, filename=self.filename, lineno=lineno, line=line,
                              function=self.name, hint=hint)

    def line_text(self, node) -> str | None:
        """The text of `node`'s line, stripped, from the file it was written in."""
        origin = getattr(node, INLINED_FROM, None) or self
        lineno = getattr(node, "lineno", None)
        if not lineno or not 0 < lineno <= len(origin.lines):
            return None
        return origin.lines[lineno - 1].strip()

    def resolve(self, node) -> object:
        """The object a Name/Attribute chain denotes, or `Unresolved`.  A name s2sad
        made for one of its helpers (astutil.helper) denotes that helper."""
        if isinstance(node, gast.Name) and getattr(node, HELPER_MARK, False):
            return _helpers().get(node.id, Unresolved)
        if isinstance(node, gast.Name):
            name = node.id
            if name in self.bound:
                return self.bound[name]
            if name in self.locals:
                return Unresolved
            if name in self.closure:
                return self.closure[name]
            if name in self.func.__globals__:
                return self.func.__globals__[name]
            return getattr(builtins, name, Unresolved)
        if isinstance(node, gast.Attribute):
            base = self.resolve(node.value)
            if base is Unresolved:
                return Unresolved
            return getattr(base, node.attr, Unresolved)
        return Unresolved


@functools.lru_cache(maxsize=1)
def _helpers() -> dict:
    """What s2sad's own names denote: NumPy, math, and the runtime helpers."""
    from . import runtime
    return {"np": np, "math": math, **{n: v for n, v in vars(runtime).items()
                                       if callable(v) and not n.startswith("_")}}


class _UnresolvedType:
    def __repr__(self):
        return "Unresolved"


Unresolved = _UnresolvedType()


def _lambda_as_def(func, module: gast.Module) -> gast.FunctionDef:
    """`lambda x: e` as `def lambda_(x): return e`: the one lambda of the file on
    func's line with func's parameters (on Python 3.11+, several such are told apart
    by the columns of func's code)."""
    code = func.__code__
    params = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount
                              + bool(code.co_flags & inspect.CO_VARARGS)
                              + bool(code.co_flags & inspect.CO_VARKEYWORDS)]
    found = [node for node in gast.walk(module) if isinstance(node, gast.Lambda)
             and node.lineno == code.co_firstlineno and _parameter_names(node.args) == params]
    if len(found) > 1 and hasattr(code, "co_positions"):
        columns = {column for line, _, column, _ in code.co_positions()
                   if line == code.co_firstlineno and column is not None}
        found = [node for node in found if any(
            node.body.col_offset <= c < getattr(node.body, "end_col_offset", 1 << 30)
            for c in columns)] if columns else found
    if len(found) != 1:
        raise TransformError(
            f"cannot tell which lambda on line {code.co_firstlineno} is {func.__qualname__!r}",
            filename=code.co_filename, lineno=code.co_firstlineno, function="<lambda>",
            hint="write one lambda a line, or the function with 'def'")
    node = found[0]
    body = [gast.copy_location(gast.Return(value=node.body), node)]
    tree = gast.FunctionDef(name="lambda_", args=node.args, body=body, decorator_list=[],
                            returns=None, type_comment=None, type_params=[])
    return gast.copy_location(tree, node)


def _parameter_names(args: gast.arguments) -> tuple:
    names = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
    names += [args.vararg.id] if args.vararg else []   # in the order of co_varnames
    return tuple(names + ([args.kwarg.id] if args.kwarg else []))


def identifier(func) -> str:
    """func's name as a Python identifier (`lambda_` for a lambda), for names s2sad
    makes from it."""
    found = getattr(func, "__name__", "f")
    return found if found.isidentifier() else "lambda_"


def read_function(func) -> FunctionSource:
    """Parse `func`'s source into a gast FunctionDef with decorators dropped."""
    if not isinstance(func, types.FunctionType):
        raise TransformError(
            f"s2sad can only differentiate Python functions, not {type(func).__name__} "
            f"{getattr(func, '__name__', func)!r}",
            hint="wrap the call in a small Python function and differentiate that")
    filename = func.__code__.co_filename
    try:
        lines, first_line = inspect.getsourcelines(func)
        if func.__name__ == "<lambda>":   # read in its whole file: its line may not parse
            lines, first_line = inspect.findsource(func)[0], 1
    except (OSError, TypeError) as exc:
        raise TransformError(
            f"cannot read the source of {func.__qualname__!r} (defined in {filename}): {exc}",
            filename=filename, lineno=func.__code__.co_firstlineno, function=func.__name__,
            hint="define the function in a .py file (functions made by exec/eval or typed "
                 "into some interactive shells have no source s2sad can read)") from None
    text = textwrap.dedent("".join(lines))
    try:
        module = gast.parse(text)
    except SyntaxError as exc:
        raise TransformError(f"cannot parse the source of {func.__qualname__!r}: {exc.msg}",
                             filename=filename, lineno=first_line, function=func.__name__,
                             hint="s2sad differentiates functions defined with 'def'") from None
    tree = _lambda_as_def(func, module) if func.__name__ == "<lambda>" else \
        module.body[0] if module.body else None
    if not isinstance(tree, gast.FunctionDef):
        raise TransformError(
            f"{func.__qualname__!r} is not defined by a 'def' statement s2sad can read",
            filename=filename, lineno=first_line, function=func.__name__,
            hint="write the function with 'def'")
    tree.decorator_list = []
    closure = {}
    if func.__closure__:
        for name, cell in zip(func.__code__.co_freevars, func.__closure__):
            try:
                closure[name] = cell.cell_contents
            except ValueError:  # empty cell: bound later
                pass
    args = tree.args
    params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
    assigned = {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Store)}
    return FunctionSource(func, tree, filename, first_line, text.splitlines(), closure,
                          frozenset(params | assigned))
