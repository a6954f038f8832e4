"""Small helpers for building and inspecting gast trees."""
from __future__ import annotations

import functools
from collections import Counter

import gast

from .source import HELPER_MARK, INLINED_FROM


def name(identifier: str, store: bool = False) -> gast.Name:
    ctx = gast.Store() if store else gast.Load()
    return gast.Name(id=identifier, ctx=ctx, annotation=None, type_comment=None)


def const(value) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def assign(target: str | gast.AST, value: gast.AST) -> gast.Assign:
    if isinstance(target, str):
        target = name(target, store=True)
    return gast.Assign(targets=[target], value=value, type_comment=None)


def call(func: gast.AST, *args: gast.AST, **keywords: gast.AST) -> gast.Call:
    return gast.Call(func=func, args=list(args),
                     keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()])


def attr(value: gast.AST, attribute: str) -> gast.Attribute:
    return gast.Attribute(value=value, attr=attribute, ctx=gast.Load())


def expr_stmt(value: gast.AST) -> gast.Expr:
    return gast.Expr(value=value)


def clone(node):
    """A deep copy of a gast node (or list of nodes), marks included; several times
    faster than copy.deepcopy, which matters for the first-call time."""
    if isinstance(node, list):
        return [clone(n) for n in node]
    if not isinstance(node, gast.AST):
        return node
    new = node.__class__.__new__(node.__class__)
    fields = new.__dict__
    for key, value in node.__dict__.items():
        fields[key] = clone(value) if isinstance(value, (gast.AST, list)) else value
    return new


@functools.lru_cache(maxsize=None)
def _parse_cached(source: str, mode: str):
    tree = gast.parse(source)
    return tree.body[0].value if mode == "eval" else tree.body


def parse_expr(source: str) -> gast.AST:
    """A fresh copy of the expression parsed from `source` (parses are cached)."""
    return clone(_parse_cached(source, "eval"))


def substitute(node: gast.AST, mapping: dict) -> gast.AST:
    """Replace loaded Names by copies of the nodes in `mapping` (in place)."""
    if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and node.id in mapping:
        return clone(mapping[node.id])
    for field, value in gast.iter_fields(node):
        if isinstance(value, list):
            value[:] = [substitute(v, mapping) if isinstance(v, gast.AST) else v for v in value]
        elif isinstance(value, gast.AST):
            setattr(node, field, substitute(value, mapping))
    return node


def index_value(index: gast.AST) -> gast.AST:
    """An index as a value to pass on: `(:, c)` is not an expression, but
    `(slice(None, None, None), c)` is."""
    def value(part):
        if not isinstance(part, gast.Slice):
            return part
        bounds = [b if b is not None else const(None) for b in (part.lower, part.upper, part.step)]
        return call(helper("slice"), *bounds)
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[value(p) for p in index.elts], ctx=gast.Load())
    return value(index)


def parameter_names(tree: gast.FunctionDef) -> list[str]:
    """The names of a function's parameters, in order."""
    args = tree.args
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


def loaded_names(node: gast.AST) -> set[str]:
    """Names read anywhere inside `node`."""
    return {n.id for n in gast.walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def name_counts(stmts: list, context: type) -> Counter:
    """How many times each name occurs in `stmts` in `context` (gast.Load, gast.Store)."""
    return Counter(n.id for n in gast.walk(gast.Module(body=stmts, type_ignores=[]))
                   if isinstance(n, gast.Name) and isinstance(n.ctx, context))


def stored_names(node: gast.AST) -> set[str]:
    """Names bound anywhere inside `node` (assignment targets, loop targets)."""
    return {n.id for n in gast.walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


def index_written_names(node) -> set[str]:
    """Names of arrays written by index (`a[i] = v`) anywhere inside `node` (or a list)."""
    nodes = node if isinstance(node, list) else [node]
    return {n.value.id for root in nodes for n in gast.walk(root)
            if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store)
            and isinstance(n.value, gast.Name)}


def all_names(node: gast.AST) -> set[str]:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


def copy_location(new: gast.AST, old: gast.AST) -> gast.AST:
    """Give `new` (and children without one) `old`'s line number."""
    lineno = getattr(old, "lineno", None)
    origin = getattr(old, INLINED_FROM, None)
    if lineno is not None:
        for n in gast.walk(new):
            if getattr(n, "lineno", None) is None and "lineno" in n._attributes:
                n.lineno = lineno
                n.col_offset = getattr(old, "col_offset", 0)
                if origin is not None:
                    setattr(n, INLINED_FROM, origin)
    return new


class NameGenerator:
    """Fresh identifiers that never collide with the user's names."""

    def __init__(self, taken: set[str]):
        self.taken = set(taken)
        self._counters: dict[str, int] = {}
        self.made: dict[str, set[str]] = {}   # prefix -> the names fresh() made with it

    def reserve(self, identifier: str) -> str:
        self.taken.add(identifier)
        return identifier

    def fresh(self, prefix: str = "_t") -> str:
        count = self._counters.get(prefix, 0)
        while True:
            count += 1
            candidate = f"{prefix}{count}"
            if candidate not in self.taken:
                self._counters[prefix] = count
                self.made.setdefault(prefix, set()).add(candidate)
                return self.reserve(candidate)

    def unique(self, preferred: str) -> str:
        """`preferred` itself if free, otherwise a numbered variant."""
        if preferred not in self.taken:
            return self.reserve(preferred)
        return self.fresh(preferred + "_")


def helper(identifier: str) -> gast.Name:
    """A reference to a name bound by s2sad (np, unbroadcast, ...), not by the user."""
    node = name(identifier)
    setattr(node, HELPER_MARK, True)
    return node


def mark_helpers(node: gast.AST, keep: set[str]) -> gast.AST:
    """Mark the free names of a rule template (all but `keep`) as s2sad's own."""
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and n.id not in keep:
            setattr(n, HELPER_MARK, True)
    return node
