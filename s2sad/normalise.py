"""Stage 2: rewrite the user's function into a small, regular subset of Python.

After `normalise`:
- augmented assignments are plain assignments (`a[i] += v` -> `a[i] = a[i] + v`);
- appends are assignments (`outs.append(h)` -> `outs = appended(outs, h)`, see `lists`),
  and so are `outs.extend(...)` and `outs = outs + [...]`, one append per item, and a
  generated gradient's `add_at(dx, index, g)` (`dx = add_at(dx, index, g)`);
- tuple unpacking and chained targets are single-target assignments;
- every `for` loop runs over `range(...)` (enumerate, zip, rows of an array and
  list items become indexing inside the loop);
- `continue` is gone, `break` only ends a branch, and the function has exactly one
  `return`, its last statement.
"""
from __future__ import annotations


import gast

from .astutil import (NameGenerator, clone, assign, attr, call, const, copy_location,
                      expr_stmt, name)
from .lists import append_statement, is_method_statement
from .runtime import add_at
from .source import FunctionSource, Unresolved


def normalise(src: FunctionSource, names: NameGenerator) -> gast.FunctionDef:
    tree = src.tree
    body = _drop_docstring(tree.body)
    body = _Desugar(src, names).block(body)
    tree.body = _Exits(names).function_body(body)
    return tree


def single_exit(body: list, names: NameGenerator) -> list:
    """`body` with its docstring dropped and its returns made one final `return`,
    loops and assignments left as written (a helper's body, to be inlined)."""
    return _Exits(names).function_body(_drop_docstring(body))


def _drop_docstring(body: list) -> list:
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:] or [gast.Pass()]
    return body


class _Desugar:
    def __init__(self, src: FunctionSource, names: NameGenerator):
        self.src = src
        self.names = names
        self.lists = {n.targets[0].id for n in gast.walk(src.tree)   # xs = [...]
                      if isinstance(n, gast.Assign) and isinstance(n.value, gast.List)
                      and isinstance(n.targets[0], gast.Name)}

    def block(self, stmts: list) -> list:
        out = []
        for statement in stmts:
            self.refuse_nested_appends(statement)
            out.extend(copy_location(s, statement) for s in self.statement(statement))
        return out

    def refuse_nested_appends(self, s) -> None:
        """`xs.append(v)` and `xs.extend(v)` on the function's lists only as statements
        of their own (`[xs.append(v) for ...]`, `r = xs.append(v)` are refused)."""
        whole = s.value if isinstance(s, gast.Expr) else None
        for node in _expression_nodes(s):
            if node is not whole and isinstance(node, gast.Call) \
                    and isinstance(node.func, gast.Attribute) \
                    and node.func.attr in ("append", "extend") \
                    and isinstance(node.func.value, gast.Name) \
                    and self.is_local(node.func.value.id):
                raise self.src.error(
                    f"s2sad follows {node.func.value.id}.{node.func.attr}(...) only as a "
                    "statement of its own", node,
                    f"write {node.func.value.id}.{node.func.attr}(...) on a line by itself")

    def statement(self, s) -> list:
        if isinstance(s, gast.AugAssign):
            target_load = _as_load(s.target)
            return self.statement(gast.Assign(
                targets=[s.target], value=gast.BinOp(left=target_load, op=s.op, right=s.value),
                type_comment=None))
        if isinstance(s, gast.AnnAssign):
            if s.value is None:
                return []
            return self.statement(assign(s.target, s.value))
        if isinstance(s, gast.Assign):
            return self.assignment(s)
        if isinstance(s, gast.For):
            return self.for_loop(s)
        if isinstance(s, (gast.If, gast.While)):
            s.body = self.block(s.body)
            s.orelse = self.block(s.orelse)
            return [s]
        if is_method_statement(s) and self.is_local(s.value.func.value.id):
            return [append_statement(s.value.func.value.id, s.value.args[0])]
        if is_method_statement(s, "extend") and self.is_local(s.value.func.value.id):
            return self.extended(s.value.func.value.id, s.value.args[0], s)
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) \
                and self.src.resolve(s.value.func) is add_at:   # in a generated gradient
            return [copy_location(assign(s.value.args[0].id, s.value), s)]   # (hvp): a value
        return [s]

    def is_local(self, identifier: str) -> bool:
        """A variable of the function (a list it grows), not a global it appends to."""
        return identifier in self.src.locals or identifier in self.lists \
            or self.src.resolve(name(identifier)) is Unresolved

    def extended(self, items: str, more, where) -> list:
        """`items.extend(more)`: one append per item."""
        if isinstance(more, (gast.List, gast.Tuple)):
            return [append_statement(items, item) for item in more.elts]
        item = self.names.fresh("_item")
        loop = gast.For(target=name(item, store=True), iter=more, body=[copy_location(
            expr_stmt(call(attr(name(items), "append"), name(item))), where)], orelse=[],
            type_comment=None)
        return self.for_loop(copy_location(loop, where))

    def assignment(self, s: gast.Assign) -> list:
        if len(s.targets) > 1:  # a = b = value
            first, *others = s.targets
            out = self.assignment(assign(first, s.value))
            for target in others:
                out += self.assignment(assign(target, _as_load(first)))
            return out
        target = s.targets[0]
        if isinstance(target, gast.Name) and target.id in self.lists \
                and isinstance(s.value, gast.BinOp) and isinstance(s.value.op, gast.Add) \
                and isinstance(s.value.left, gast.Name) and s.value.left.id == target.id:
            # outs = outs + [h] (or outs += [h]): a new list, then appends
            copy = assign(target.id, call(name("list"), name(target.id)))
            return [copy] + self.extended(target.id, s.value.right, s)
        if not isinstance(target, (gast.Tuple, gast.List)):
            return [s]
        return self.unpack(target.elts, s.value, s)

    def unpack(self, targets: list, value, where) -> list:
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(targets):
            bound = set()   # names written: y too in `y[0], y[1] = y[1], y[0]`
            for t in targets:
                bound |= {n.id for n in gast.walk(t) if isinstance(n, gast.Name)}
            reads = set()
            for v in value.elts:
                reads |= {n.id for n in gast.walk(v) if isinstance(n, gast.Name)}
            out, items = [], value.elts
            if bound & reads:  # a, b = b, a: evaluate every item before assigning
                temps = [self.names.fresh("_t") for _ in items]
                out = [assign(t, v) for t, v in zip(temps, items)]
                items = [name(t) for t in temps]
            for t, v in zip(targets, items):
                out += self.assignment(assign(t, v))
            return out
        holder = self.names.fresh("_t")
        out = [assign(holder, value)]
        for index, t in enumerate(targets):
            if isinstance(t, gast.Starred):
                raise self.src.error("s2sad does not support starred unpacking targets",
                                     where, "unpack the items one by one")
            item = gast.Subscript(value=name(holder), slice=const(index), ctx=gast.Load())
            out += self.assignment(assign(t, item))
        return out

    def for_loop(self, s: gast.For) -> list:
        body = self.block(s.body)
        iterator = s.iter
        head: list = []
        if _is_call_to(iterator, "range") and isinstance(s.target, gast.Name):
            s.body = body
            return [s]
        backwards = _is_call_to(iterator, "reversed") and len(iterator.args) == 1
        if backwards:
            iterator = iterator.args[0]
        if _is_call_to(iterator, "enumerate") and _is_pair(s.target) and not backwards \
                and len(iterator.args) == 1 and isinstance(s.target.elts[0], gast.Name):
            counter, target = s.target.elts   # the counter is the loop index itself
            length, item = self.indexable(iterator.args[0], head)
            index = counter.id
        else:
            length, item = self.indexable(iterator, head)
            index, target = self.names.fresh("_i"), s.target
        prefix = self.assignment(assign(target, item(name(index))))
        bounds = [gast.BinOp(left=length, op=gast.Sub(), right=const(1)), const(-1), const(-1)] \
            if backwards else [length]
        return head + [self.range_loop(index, bounds, prefix + body, s)]

    def indexable(self, iterable, head: list):
        """(length, item) for iterating over `iterable` by index: `item(i)` is the
        expression for its i-th item.  zip and enumerate, nested as you like."""
        if (_is_call_to(iterable, "list") or _is_call_to(iterable, "tuple")) \
                and len(iterable.args) == 1 and not iterable.keywords \
                and (_is_call_to(iterable.args[0], "zip")
                     or _is_call_to(iterable.args[0], "enumerate")):
            iterable = iterable.args[0]   # list(zip(a, b)): the items of zip(a, b)
        if (_is_call_to(iterable, "zip") or _is_call_to(iterable, "enumerate")) \
                and not iterable.keywords and iterable.args:
            if _is_call_to(iterable, "enumerate"):
                length, inner = self.indexable(iterable.args[0], head)
                start = iterable.args[1] if len(iterable.args) > 1 else None
                return length, lambda i: gast.Tuple(elts=[
                    clone(i) if start is None else gast.BinOp(left=clone(i), op=gast.Add(),
                                                              right=clone(start)),
                    inner(i)], ctx=gast.Load())
            parts = [self.indexable(a, head) for a in iterable.args]
            lengths = [length for length, _ in parts]
            length = lengths[0] if len(lengths) == 1 else call(name("min"), *lengths)
            return length, lambda i: gast.Tuple(elts=[item(i) for _, item in parts],
                                                ctx=gast.Load())
        if _is_call_to(iterable, "reversed") and len(iterable.args) == 1:
            length, inner = self.indexable(iterable.args[0], head)   # enumerate(reversed(hs))
            return length, lambda i: inner(gast.BinOp(
                left=gast.BinOp(left=clone(length), op=gast.Sub(), right=const(1)),
                op=gast.Sub(), right=i))
        seq = self.sequence(iterable, head)
        return call(name("len"), name(seq)), lambda i: _index(seq, i)

    def sequence(self, iterable, head: list) -> str:
        """A name for `iterable` that can be indexed and measured with len()."""
        if isinstance(iterable, gast.Name):
            return iterable.id
        holder = self.names.fresh("_seq")
        if isinstance(iterable, gast.Call) and not _returns_indexable(iterable, self.src):
            iterable = call(name("list"), iterable)
        head.append(assign(holder, iterable))
        return holder

    @staticmethod
    def range_loop(index: str, bounds, body: list, where) -> gast.For:
        bounds = bounds if isinstance(bounds, list) else [bounds]
        loop = gast.For(target=name(index, store=True), iter=call(name("range"), *bounds),
                        body=body, orelse=[], type_comment=None)
        return copy_location(loop, where)


def _returns_indexable(node: gast.Call, src: FunctionSource) -> bool:
    """Calls that already give a sequence (NumPy functions) need no list(...)."""
    func = src.resolve(node.func)
    module = getattr(func, "__module__", None) or ""
    return module.startswith("numpy") or type(func).__name__ == "ufunc"


def _expression_nodes(s):
    """The nodes of a statement's own expressions (not of the blocks it holds)."""
    for field, value in gast.iter_fields(s):
        if field in ("body", "orelse", "finalbody", "handlers"):
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, gast.AST):
                yield from gast.walk(child)


def _is_call_to(node, builtin_name: str) -> bool:
    return (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
            and node.func.id == builtin_name)


def _is_pair(node) -> bool:
    return isinstance(node, gast.Tuple) and len(node.elts) == 2


def _index(seq: str, index) -> gast.Subscript:
    return gast.Subscript(value=name(seq), slice=clone(index), ctx=gast.Load())


def _as_load(target):
    loaded = clone(target)
    for n in gast.walk(loaded):
        if hasattr(n, "ctx"):
            n.ctx = gast.Load()
    return loaded


# --- exits: one return at the end, no continue, break only at the end of a branch ---

def _contains(stmts, kinds, into_loops: bool) -> bool:
    for s in stmts:
        if isinstance(s, kinds):
            return True
        if isinstance(s, gast.If):
            if _contains(s.body, kinds, into_loops) or _contains(s.orelse, kinds, into_loops):
                return True
        elif isinstance(s, (gast.For, gast.While)) and into_loops:
            if _contains(s.body, kinds, into_loops):
                return True
    return False


class _Exits:
    def __init__(self, names: NameGenerator):
        self.names = names
        self.result = None     # name holding the return value, when there are several
        self.returned = None   # flag set by a return inside a loop

    def function_body(self, body: list) -> list:
        returns = [n for s in body for n in gast.walk(s) if isinstance(n, gast.Return)]
        if not isinstance(body[-1], gast.Return):   # falling off the end returns None
            body = body + [copy_location(gast.Return(value=const(None)), body[-1])]
            returns.append(body[-1])
        single_final = (len(returns) == 1 and isinstance(body[-1], gast.Return))
        if single_final and not _contains(body[:-1], (gast.Continue, gast.Break), True):
            return body
        if single_final:
            return self.block(body[:-1], in_loop=False) + [body[-1]]
        self.result = self.names.fresh("_result")
        prologue = [assign(self.result, const(None))]
        if any(_contains(s.body, (gast.Return,), True) for s in _loops(body)):
            self.returned = self.names.fresh("_returned")
            prologue.append(assign(self.returned, const(False)))
        final = gast.Return(value=name(self.result))
        return prologue + self.block(body, in_loop=False) + [copy_location(final, returns[-1])]

    def block(self, stmts: list, in_loop: bool, skip: str | None = None) -> list:
        """`stmts` with exits restructured; `skip` names the flag a `continue` sets
        where the rest of the loop body is guarded by a flag instead of copied."""
        out = []
        for k, s in enumerate(stmts):
            rest = stmts[k + 1:]
            if isinstance(s, gast.Return):
                value = s.value if s.value is not None else const(None)
                out.append(copy_location(assign(self.result, value), s))
                if in_loop:
                    out += [assign(self.returned, const(True)), gast.Break()]
                return out
            if isinstance(s, gast.Continue):
                if skip:
                    out.append(assign(skip, const(True)))
                return out
            if isinstance(s, gast.Break):
                out.append(s)
                return out
            if isinstance(s, gast.If) and (_contains([s], (gast.Return,), True) or
                                           _contains([s], (gast.Continue, gast.Break), False)):
                if self.copying_is_costly(s, rest):
                    return out + self.guarded(s, rest, in_loop, skip)
                untouched = clone(rest)   # restructuring the body edits rest's statements
                s.body = self.block(s.body + rest, in_loop, skip) or [gast.Pass()]
                s.orelse = self.block(s.orelse + untouched, in_loop, skip)
                out.append(s)
                return out
            if isinstance(s, gast.If):   # no exit of its own: loops inside may have some
                s.body = self.block(s.body, in_loop, skip) or [gast.Pass()]
                s.orelse = self.block(s.orelse, in_loop, skip)
            if isinstance(s, (gast.For, gast.While)):
                returns = _contains(s.body, (gast.Return,), True)
                s.body = self.block(s.body, in_loop=True) or [gast.Pass()]
                if returns:
                    out.append(s)
                    exit_ = [gast.Break()] if in_loop else [gast.Pass()]
                    after = gast.If(test=name(self.returned), body=exit_,
                                    orelse=self.block(rest, in_loop, skip))
                    out.append(copy_location(after, s))
                    return out
            out.append(s)
        return out

    @staticmethod
    def copying_is_costly(s: gast.If, rest: list) -> bool:
        """Moving `rest` into both branches would copy it, and it is not small (copies
        nest: a chain of such ifs would grow the code exponentially)."""
        if _always_exits(s.body) or _always_exits(s.orelse):
            return False
        if _contains([s], (gast.Return, gast.Break), True):
            return False   # only `continue` is guarded by a flag
        size = sum(1 for r in rest for n in gast.walk(r) if isinstance(n, gast.stmt))
        return size > 3

    def guarded(self, s: gast.If, rest: list, in_loop: bool, skip: str | None) -> list:
        """`_skip = False; if ...: (continue -> _skip = True); if not _skip: rest`."""
        flag = self.names.fresh("_skip")
        s.body = self.block(s.body, in_loop, flag) or [gast.Pass()]
        s.orelse = self.block(s.orelse, in_loop, flag)
        after = gast.If(test=name(flag), body=[gast.Pass()],
                        orelse=self.block(rest, in_loop, skip))
        return [copy_location(assign(flag, const(False)), s), s, copy_location(after, s)]


def _always_exits(stmts: list) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (gast.Return, gast.Continue, gast.Break)):
        return True
    return isinstance(last, gast.If) and _always_exits(last.body) and _always_exits(last.orelse)


def _loops(stmts):
    for s in stmts:
        for n in gast.walk(s):
            if isinstance(n, (gast.For, gast.While)):
                yield n
