"""Stage 3: A-normal form for everything that needs a derivative.

Each statement that computes a differentiable value applies one operation to
atoms (names or constants): `y = np.tanh(W @ h + b)` becomes

    _t1 = W @ h
    _t2 = _t1 + b
    y = np.tanh(_t2)

Inactive sub-expressions (indices, shapes, comparisons) stay inline, so loop
bounds and conditions read as the user wrote them.  Loops whose trip count cannot
be recomputed backwards (`while`, `break`) get a counter here.
"""
from __future__ import annotations

import gast

from . import rules
from .analysis import call_arguments, differentiable_names, primitive_of, walk_statements
from .astutil import (NameGenerator, assign, attr, call, clone, const, copy_location,
                      helper, index_written_names, loaded_names, name, stored_names)
from .custom import is_split_call, split_in_reverse_only
from .lists import append_statement, appended_parts
from .runtime import split_output
from .source import FunctionSource

SIDE_EFFECT_FREE = {print}
TRIPS_ATTRIBUTE = "s2sad_trips"


def to_anf(tree: gast.FunctionDef, varied: set[str], src: FunctionSource,
           names: NameGenerator, reverse: bool = True) -> gast.FunctionDef:
    """`reverse`: for reverse mode, where calls split only for it are split too
    (`custom.split_in_reverse_only`)."""
    tree.body = _ANF(set(varied), src, names, reverse).block(tree.body)
    return tree


class _ANF:
    def __init__(self, varied: set[str], src: FunctionSource, names: NameGenerator,
                 reverse: bool = True):
        self.varied = varied
        self.src = src
        self.names = names
        self.reverse = reverse
        self.dicts = {n.targets[0].id for n in walk_statements(src.tree.body)   # d = {}
                      if isinstance(n, gast.Assign) and isinstance(n.value, gast.Dict)
                      and isinstance(n.targets[0], gast.Name)}

    def is_varied(self, expr) -> bool:
        return bool(differentiable_names(expr, self.src) & self.varied)

    def block(self, stmts: list) -> list:
        out = []
        for s in stmts:
            out.extend(copy_location(new, s) for new in self.statement(s))
        return out

    def statement(self, s) -> list:
        if isinstance(s, gast.Assign):
            return self.assignment(s)
        if isinstance(s, gast.If):
            pre = []
            branches = s.body + s.orelse
            if _has_call(s.test) or loaded_names(s.test) & _stored_in(branches):
                flag = self.names.fresh("_cond")
                pre.append(assign(flag, s.test))
                s.test = name(flag)
            s.body = self.block(s.body) or [gast.Pass()]
            s.orelse = self.block(s.orelse)
            return pre + [s]
        if isinstance(s, gast.For):
            pre = []
            assigned = _stored_in(s.body)
            s.iter.args = [self.hoisted_bound(a, assigned, pre) for a in s.iter.args]
            s.body = self.block(s.body) or [gast.Pass()]
            if _breaks(s.body):
                pre += self.count_trips(s)
            return pre + [s]
        if isinstance(s, gast.While):
            s.body = self.block(s.body) or [gast.Pass()]
            return self.count_trips(s) + [s]
        if isinstance(s, gast.Return):
            pre = []
            if s.value is not None and self.is_varied(s.value):
                s.value = self.atom(s.value, pre)
            return pre + [s]
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and self.is_varied(s.value):
            if self.src.resolve(s.value.func) not in SIDE_EFFECT_FREE:
                raise self.src.error(
                    "s2sad cannot differentiate a call made for its side effects on a value "
                    "that needs a derivative", s,
                    "assign the call's result instead of relying on it changing its arguments")
        return [s]

    def assignment(self, s: gast.Assign) -> list:
        target = s.targets[0]
        pre = []
        if isinstance(target, gast.Subscript):
            # y[y < 0] = 0: the mask is taken before the write changes y
            target.slice = self.index(target.slice, pre, hoist=loaded_names(target.value))
            if not self.is_varied(s.value):
                return pre + [s]
            if isinstance(target.value, gast.Name) and target.value.id in self.dicts:
                raise self.src.error(
                    f"s2sad cannot differentiate through the dict {target.value.id!r} filled "
                    "at run time (its keys are known only when the code runs)", s,
                    "use a list, or fill the dict with constant keys (a loop over another "
                    "dict's keys, or over a list of strings, is unrolled)")
            if not isinstance(target.value, gast.Name):
                raise self.src.error("s2sad supports index assignment only on a plain name "
                                     "(a[i] = v)", s, "write a[i, j] = v instead of a[i][j] = v")
            return pre + [assign(target, self.atom(s.value, pre))]
        if not self.is_varied(s.value):
            return [s]
        if not isinstance(target, gast.Name):
            raise self.src.error("s2sad cannot assign a value that needs a derivative to "
                                 f"{type(target).__name__.lower()} targets", s,
                                 "assign to a plain variable first")
        if isinstance(s.value, (gast.List, gast.Tuple)):
            return pre + self.built_list(target.id, s.value.elts, pre)
        parts = appended_parts(s)
        if parts is not None and isinstance(parts[1], (gast.List, gast.Tuple)):
            item = self.names.fresh("_t")   # states.append((h, c)): a list of lists
            self.varied.add(item)
            pre += self.built_list(item, parts[1].elts, pre)
            s.value.args[1] = name(item)
        value = self.operation(s.value, pre)
        if target.id in loaded_names(value) and self.reads_own_output(value):
            # y = exp(y): the adjoint needs both the old and the new y.
            temp = self.names.fresh("_t")
            return pre + [assign(temp, value), assign(target.id, name(temp))]
        return pre + [assign(target.id, value)]

    def built_list(self, target: str, items: list, pre: list) -> list:
        """`xs = [a, b * 2]` as `xs = []` and one append per item (a list at run time,
        see `lists`); the items are evaluated first, as Python does."""
        atoms = []
        for item in items:
            atom = self.atom(item, pre)
            if isinstance(atom, gast.Name) and atom.id == target:   # xs = [xs]: the old xs
                temp = self.names.fresh("_t")
                self.varied.add(temp)
                pre.append(assign(temp, atom))
                atom = name(temp)
            atoms.append(atom)
        self.varied.add(target)
        return [assign(target, gast.List(elts=[], ctx=gast.Load()))] + \
            [append_statement(target, atom) for atom in atoms]

    def operation(self, e, pre: list):
        """`e` as one operation applied to atoms; sub-operations go to `pre`."""
        if isinstance(e, (gast.Name, gast.Constant)):
            return e
        if isinstance(e, gast.BinOp):
            return gast.BinOp(left=self.atom(e.left, pre), op=e.op, right=self.atom(e.right, pre))
        if isinstance(e, gast.UnaryOp):
            return gast.UnaryOp(op=e.op, operand=self.atom(e.operand, pre))
        if isinstance(e, gast.Call):
            if isinstance(e.func, gast.Attribute) and self.is_varied(e.func.value):
                e.func.value = self.atom(e.func.value, pre)   # x.sum(): x is an operand
            e.args = [self.argument(a, pre) for a in e.args]
            for keyword in e.keywords:
                keyword.value = self.argument(keyword.value, pre)
            fn = primitive_of(e, self.src)
            if is_split_call(fn) and not e.keywords \
                    and (self.reverse or not split_in_reverse_only(fn)):
                return self.split_call(e, pre)
            return e
        if isinstance(e, gast.Subscript):
            e.value = self.atom(e.value, pre)
            e.slice = self.index(e.slice, pre)
            return e
        if isinstance(e, gast.Attribute) and e.attr in ("real", "imag"):   # np.real(x)
            return call(attr(helper("np"), e.attr), self.atom(e.value, pre))
        if isinstance(e, gast.Attribute):
            if e.attr != "T":
                raise self.src.error(f"s2sad has no derivative for the attribute '.{e.attr}'",
                                     e, "use a NumPy function instead")
            e.value = self.atom(e.value, pre)
            return e
        if isinstance(e, gast.IfExp):
            return name(self.conditional(e, pre))
        if isinstance(e, gast.BoolOp):
            return name(self.conditional(self.as_conditional(e, pre), pre))
        if isinstance(e, (gast.List, gast.Tuple)):
            raise self.src.error(
                "s2sad cannot yet build lists or tuples of values that need derivatives "
                "inside an expression", e, "assign the list to a variable first")
        if isinstance(e, gast.Dict):
            raise self.src.error(
                "s2sad cannot differentiate through a dict built in a loop or branch, or "
                "read with keys known only at run time", e,
                "build the dict once, after the loop or branch, and read it with constant "
                "keys")
        raise self.src.error(f"s2sad cannot differentiate this {type(e).__name__} expression",
                             e, "split it into simpler statements")

    def split_call(self, e: gast.Call, pre: list) -> gast.Call:
        """`f(x)` differentiated as a whole: its residuals made once, by
        `_pair = split_forward(f, x)`, and read back by the rule of the output,
        `split_output(f, _pair, x)` (see `custom`)."""
        pair = self.names.fresh("_pair")
        pre.append(copy_location(assign(pair, call(helper("split_forward"), e.func,
                                                   *e.args)), e))
        return call(helper("split_output"), clone(e.func), name(pair),
                    *[clone(a) for a in e.args])

    def argument(self, e, pre: list):
        if isinstance(e, (gast.List, gast.Tuple)) and self.is_varied(e):
            e.elts = [self.argument(item, pre) for item in e.elts]   # nested: [[a, b], [c, d]]
            return e
        return self.atom(e, pre)

    def atom(self, e, pre: list):
        """A name or constant holding `e`; inactive cheap expressions stay inline."""
        if isinstance(e, (gast.Name, gast.Constant)):
            return e
        if not self.is_varied(e) and not _has_call(e):
            return e
        varied = self.is_varied(e)
        value = self.operation(e, pre) if varied else e
        temp = self.names.fresh("_t")  # named after its operands: _t1 is computed first
        if varied:
            self.varied.add(temp)
        pre.append(copy_location(assign(temp, value), e))
        return name(temp)

    def index(self, index, pre: list, hoist: set = frozenset()):
        """Index parts that call functions (np.arange(n)), or read one of `hoist`, are
        computed once into a name: the adjoint reads that name instead of redoing them."""
        if isinstance(index, gast.Tuple):
            index.elts = [self.index(part, pre, hoist) for part in index.elts]
            return index
        if isinstance(index, gast.Slice) or not (
                _has_call(index, allow={"len"}) or loaded_names(index) & hoist):
            return index
        temp = self.names.fresh("_index")
        pre.append(copy_location(assign(temp, index), index))
        return name(temp)

    def conditional(self, e: gast.IfExp, pre: list) -> str:
        temp = self.names.fresh("_t")
        self.varied.add(temp)
        body, orelse = [], []
        body.append(assign(temp, self.branch_value(e.body, body)))
        orelse.append(assign(temp, self.branch_value(e.orelse, orelse)))
        test = e.test
        if _has_call(test):
            flag = self.names.fresh("_cond")
            pre.append(assign(flag, test))
            test = name(flag)
        pre.append(copy_location(gast.If(test=test, body=body, orelse=orelse), e))
        return temp

    def branch_value(self, e, pre: list):
        return self.operation(e, pre) if self.is_varied(e) else e   # `x > 0`: as it is

    def as_conditional(self, e: gast.BoolOp, pre: list) -> gast.IfExp:
        """`a or b` as `a if a else b`, and `a and b` as `b if a else a`, with `a`
        computed once: the value is one operand, and `b` runs only where Python runs it."""
        first = self.atom(e.values[0], pre)
        rest = e.values[1] if len(e.values) == 2 else copy_location(
            gast.BoolOp(op=e.op, values=e.values[1:]), e)
        body, orelse = (first, rest) if isinstance(e.op, gast.Or) else (rest, first)
        return copy_location(gast.IfExp(test=clone(first), body=clone(body), orelse=orelse)
                             if isinstance(e.op, gast.Or) else
                             gast.IfExp(test=clone(first), body=body, orelse=clone(orelse)), e)

    def reads_own_output(self, value) -> bool:
        """Whether a rule applied to `value` reads its output for an active argument."""
        fn = primitive_of(value, self.src)
        if fn is split_output and not self.reverse:   # a gradient's split np.linalg.solve:
            function = self.src.resolve(value.args[0])   # forward mode takes its own rule
            if split_in_reverse_only(function):
                fn, value = function, gast.Call(func=value.args[0], args=value.args[2:],
                                                keywords=[])
        rule = rules.lookup(fn)
        if rule is None:
            return False
        args, keywords = call_arguments(value, self.src)
        arguments = dict(zip((p.name for p in rule.params), args), **keywords)
        return any(rule.uses_output(p) and (p not in arguments or self.is_varied(arguments[p]))
                   for p in rule.vjp)

    def hoisted_bound(self, bound, assigned_in_body: set, pre: list):
        """A loop bound the backward sweep can evaluate again to the same value."""
        if isinstance(bound, gast.Constant):
            return bound
        if not (loaded_names(bound) & assigned_in_body) and not _has_call(bound, allow={"len"}):
            return bound
        temp = self.names.fresh("_stop")
        pre.append(assign(temp, bound))
        return name(temp)

    def count_trips(self, loop) -> list:
        counter = self.names.fresh("_trips")
        setattr(loop, TRIPS_ATTRIBUTE, counter)
        increment = assign(counter, gast.BinOp(left=name(counter), op=gast.Add(), right=const(1)))
        loop.body.insert(0, copy_location(increment, loop))
        return [assign(counter, const(0))]


def _has_call(expr, allow=()) -> bool:
    return any(isinstance(n, gast.Call) and not (isinstance(n.func, gast.Name)
                                                 and n.func.id in allow)
               for n in gast.walk(expr))


def _stored_in(stmts: list) -> set[str]:
    """Names rebound in `stmts`, and arrays written by index (`a[i] = v`)."""
    found = index_written_names(stmts)
    for s in stmts:
        found |= stored_names(s)
    return found


def _breaks(stmts: list) -> bool:
    """Whether a `break` in `stmts` ends this loop (not a nested one)."""
    for s in stmts:
        if isinstance(s, gast.Break):
            return True
        if isinstance(s, gast.If) and (_breaks(s.body) or _breaks(s.orelse)):
            return True
    return False


