"""Stage 1b: comprehensions written out as loops.

    total = sum(np.sum(W * W) for W in weights)

becomes

    _items = []
    for W in weights:
        _items.append(np.sum(W * W))
    total = sum(_items)

so the rest of the pipeline sees only loops and appends: a loop over a container
is unrolled and the list split into variables (`structures`), a loop over
`range(n)` or an array builds a list at run time (`lists`).  A generator
expression becomes a list too; a dict comprehension becomes a dict filled by key.
The loop variables get names of their own where the function uses theirs for
something else (a comprehension has its own scope).
"""
from __future__ import annotations

import gast

from .astutil import (NameGenerator, assign, attr, call, copy_location, expr_stmt, name,
                      name_counts)
from .source import FunctionSource

_BUILT = (gast.ListComp, gast.GeneratorExp, gast.DictComp)


def lower_comprehensions(src: FunctionSource, names: NameGenerator) -> None:
    """Rewrite `src.tree` in place; a no-op for functions without comprehensions."""
    if any(isinstance(n, _BUILT) for n in gast.walk(src.tree)):
        counts = name_counts([src.tree], gast.expr_context)   # the parameters too
        src.tree.body = _Lowering(src, names, counts).block(src.tree.body)


class _Lowering:
    def __init__(self, src: FunctionSource, names: NameGenerator, counts: dict):
        self.src, self.names, self.counts = src, names, counts

    def block(self, stmts: list) -> list:
        out = []
        for s in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list):
                    setattr(s, field, self.block(getattr(s, field)))
            if isinstance(s, gast.While) and _outermost(s.test):
                raise self.src.error(
                    "s2sad cannot differentiate a comprehension in a while condition", s,
                    "compute it into a variable before the loop and again at the end of "
                    "its body")
            if _builds_variable(s):   # ys = [...]: built in ys itself
                out += self.block(self.lowered(s.value, s.targets[0].id))
                continue
            before = []
            for node in _outermost(s):
                before += self.lowered(node)
            out += self.block(before) + [s]
        return out

    def lowered(self, node, result: str | None = None) -> list:
        """Statements building `node`'s value into `result` (a fresh name by default);
        `node` itself is made that name (in place, so the enclosing statement reads it)."""
        result = result or self.names.fresh("_items")
        renames = {}
        for generator in node.generators:
            for target in gast.walk(generator.target):
                if isinstance(target, gast.Name):
                    renames[target.id] = self.loop_name(target.id, node)
        first = node.generators[0]
        scoped = [first.target, *first.ifs, *node.generators[1:]] + (
            [node.key, node.value] if isinstance(node, gast.DictComp) else [node.elt])
        for part in (n for tree in scoped for n in gast.walk(tree)):   # the first
            if isinstance(part, gast.Name) and part.id in renames:   # iterable is outside
                part.id = renames[part.id]
        if isinstance(node, gast.DictComp):
            start = gast.Dict(keys=[], values=[])
            inner = assign(gast.Subscript(value=name(result), slice=node.key,
                                          ctx=gast.Store()), node.value)
        else:
            start = gast.List(elts=[], ctx=gast.Load())
            inner = expr_stmt(call(attr(name(result), "append"), node.elt))
        for generator in reversed(node.generators):
            for condition in reversed(generator.ifs):
                inner = gast.If(test=condition, body=[inner], orelse=[])
            inner = gast.For(target=generator.target, iter=generator.iter, body=[inner],
                             orelse=[], type_comment=None)
        made = [copy_location(assign(result, start), node), copy_location(inner, node)]
        _become_name(node, result)
        return made

    def loop_name(self, identifier: str, node) -> str:
        """The user's name, unless the function uses it outside this comprehension."""
        inside = sum(1 for n in gast.walk(node) if isinstance(n, gast.Name)
                     and n.id == identifier)
        if self.counts.get(identifier, 0) == inside:
            return identifier
        return self.names.unique(identifier)


def _builds_variable(s) -> bool:
    """`ys = [... for ...]` where the comprehension does not read `ys` itself."""
    return isinstance(s, gast.Assign) and len(s.targets) == 1 \
        and isinstance(s.targets[0], gast.Name) and isinstance(s.value, _BUILT) \
        and not any(isinstance(n, gast.Name) and n.id == s.targets[0].id
                    for n in gast.walk(s.value))


def _outermost(node) -> list:
    """Comprehensions in `node`'s own expressions, not inside another one, a lambda
    (lowered where it is inlined) or nested statements."""
    found = []

    def visit(n):
        for field, value in gast.iter_fields(n):
            if field in ("body", "orelse") and isinstance(value, list) \
                    and isinstance(n, gast.stmt):
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, _BUILT):
                    found.append(child)
                elif isinstance(child, gast.AST) and not isinstance(child, gast.Lambda):
                    visit(child)

    if isinstance(node, _BUILT):
        return [node]
    visit(node)
    return found


def _become_name(node, identifier: str) -> None:
    """Turn the comprehension node into a Name in place."""
    location = {key: getattr(node, key) for key in ("lineno", "col_offset",
                                                    "end_lineno", "end_col_offset")
                if hasattr(node, key)}
    node.__class__ = gast.Name
    node.__dict__.clear()
    node.__dict__.update(name(identifier).__dict__, **location)
