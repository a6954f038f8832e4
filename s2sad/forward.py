"""Stage 5b: forward mode.

The derivative runs the user's statements in their order and, after each one that
computes a value depending on the inputs, the statement computing its tangent
(`tx` for `x`): no tape, no second sweep.

    h = np.tanh(W @ x)          _t1 = W @ x
                                t_t1 = W @ tx + tW @ x
                                h = np.tanh(_t1)
                                th = t_t1 * (1 - h * h)

A tangent always has its value's type: a value that depends on the inputs on one
path only gets a zero tangent on the others, so reads like `tx[i]` always work.
Rules come from the registry (`Rule.forward_template`, `Rule.linear`).
"""
from __future__ import annotations

import gast

from . import rules, runtime
from .analysis import call_arguments, differentiable_names, primitive_of
from .astutil import (NameGenerator, assign, attr, call, clone, const, copy_location, helper,
                      index_written_names, loaded_names, mark_helpers, name)
from .custom import split_in_reverse_only
from .kinds import UNKNOWN, expr_kind
from .lists import is_append
from .optimise import refuse_literal_options, simplify
from .rules.binding import BindingError, bind_arguments, instantiate
from .runtime import split_backward, split_output
from .source import FunctionSource, Unresolved
from .views import makes_new_array, memory_sharing


class ForwardMode:
    def __init__(self, src: FunctionSource, tree: gast.FunctionDef, names: NameGenerator,
                 varied: set, kinds: dict):
        self.src, self.tree, self.names = src, tree, names
        self.varied, self.kinds = varied, kinds
        written = index_written_names(tree)   # and what may be a view of them (y = x * 1.0;
        sharing = memory_sharing(tree.body, src, lambda index: True, kinds)   # v = y[1:];
        self.written = written.union(*(sharing.get(w, ()) for w in written))   # v[0] = 0)
        self.tangent_of: dict[str, str] = {}

    def tangent(self, primal: str) -> str:
        if primal not in self.tangent_of:
            self.tangent_of[primal] = self.names.unique("t" + primal)
        return self.tangent_of[primal]

    def tangent_node(self, node):
        """The tangent of an operand (None: it does not depend on the inputs)."""
        if isinstance(node, gast.Name) and node.id in self.varied:
            return name(self.tangent(node.id))
        return None

    def kind_of(self, node):
        return expr_kind(node, self.kinds, self.src) or UNKNOWN

    # statements ------------------------------------------------------------------

    def block(self, stmts: list) -> list:
        out = []
        for s in stmts:
            if isinstance(s, (gast.If, gast.For, gast.While)):
                s.body = self.block(s.body) or [gast.Pass()]
                s.orelse = self.block(s.orelse)
            out += [copy_location(n, s) for n in self.statement(s)]
        return out

    def statement(self, s) -> list:
        if not isinstance(s, gast.Assign):
            return [s]
        target = s.targets[0]
        if isinstance(target, gast.Subscript):
            return self.index_write(s, target)
        if target.id not in self.varied:
            return [s]
        tangent = simplify(self.value_tangent(s.value, target.id, s), self.kind_of,
                           self.kinds.get(target.id, UNKNOWN))
        refuse_literal_options(tangent, self.src, s)
        spreads = _is_spread(tangent)   # spread(t, y) reads the new y: after the primal
        if spreads:
            tangent = tangent.args[0]
        t = self.tangent(target.id)
        out = [s]
        if target.id in differentiable_names(s.value, self.src) \
                and target.id in loaded_names(tangent):   # y = y * q: it reads the old y
            held = self.names.fresh("_t" + target.id)
            out, tangent = [assign(held, tangent), s], name(held)
        if spreads:
            tangent = self.spread(tangent, name(target.id))
        elif target.id in self.written and isinstance(tangent, gast.Name) \
                and makes_new_array(s.value, self.src):   # y = x * 1.0; y[0] = ...
            tangent = call(helper("private_copy"), tangent)   # ty must not be tx
        return out + [assign(t, tangent)]

    def index_write(self, s, target: gast.Subscript) -> list:
        base = target.value.id
        if base not in self.varied:
            return [s]
        tangent = self.tangent_node(s.value) if isinstance(s.value, gast.Name) else None
        return [s, self.write_tangent(name(self.tangent(base)), target, tangent)]

    # values ------------------------------------------------------------------------

    def zero(self, target: str, value):
        """The tangent of a value that does not depend on the inputs."""
        if isinstance(value, gast.List) and not value.elts:
            return gast.List(elts=[], ctx=gast.Load())   # a list the function grows
        kind = self.kinds.get(target, UNKNOWN)
        if kind.ndim == 0:
            return const(0.0)
        return self.zero_of(name(target))

    def zero_of(self, node):
        return call(helper("zero_tangent"), node)

    def output_tangent(self, t, value):
        return t

    def value_tangent(self, value, target: str, where):
        if isinstance(value, gast.Name):
            found = self.tangent_node(value)
            return found if found is not None else self.zero(target, value)
        if not differentiable_names(value, self.src) & self.varied:
            return self.zero(target, value)
        if is_append(value):   # xs.append(v): txs.append(tv)
            return call(helper("appended"), name(self.tangent(target)),
                        self.item_tangent(value.args[1]))
        if isinstance(value, gast.Subscript):
            return self.subscript(self.tangent_node(value.value), value, target)
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
                and value.func.attr == "pop" and not value.args \
                and isinstance(value.func.value, gast.Name):   # x = tape.pop(): ttape too
            return call(attr(self.tangent_node(value.func.value), "pop"))
        if isinstance(value, gast.Attribute):   # only .T reaches here
            return self.transposed(self.tangent_node(value.value))
        return self.rule_tangent(value, target, where)

    def rule_tangent(self, value, target: str, where):
        fn = primitive_of(value, self.src)
        if fn is split_output:
            function = self.src.resolve(value.args[0])
            if not split_in_reverse_only(function):
                return self.split_tangent(value)
            # split in reverse mode only (np.linalg.solve): the call's own forward rule
            value = gast.Call(func=clone(value.args[0]), args=[clone(a) for a in value.args[2:]],
                              keywords=[])
            fn = function
        rule = rules.lookup(fn)
        label = rules.describe(fn) if fn is not Unresolved else "this call"
        if fn is split_backward and not _has_backward_tangent(self.src.resolve(value.args[0])):
            rule = None   # a custom rule's or a recursion's backward part: no forward rule
        if (rule is None or rule.nondiff) and runtime.is_helper(fn):
            construct = _SECOND_ORDER_GAPS.get(fn.__name__, f"the helper {fn.__name__}")
            if fn is split_backward and self.src.resolve(value.args[0]) in runtime.LIBRARY_SPLITS:
                construct = rules.describe(self.src.resolve(value.args[0]))   # np.linalg.solve
            raise self.src.error(   # in a generated gradient (hvp): name the user's construct
                f"s2sad cannot yet take second derivatives through {construct}", where,
                "use jvp or grad alone, or write that part with functions that have rules")
        if rule is None or rule.nondiff:
            raise self.src.error(f"s2sad has no derivative rule for {label}", where,
                                 f"register one with s2sad.defvjp({label}, ...)")
        args, keywords = call_arguments(value, self.src)
        try:
            bound = bind_arguments(rule, args, keywords)
        except BindingError as exc:
            raise self.src.error(f"s2sad cannot apply the rule for {label}: {exc}",
                                 where) from None
        terms = []
        for param in rule.params:
            node = bound.get(param.name)
            if node is None or not self.active(node) or rule.jvp.get(param.name) == "0":
                continue   # "0": read for its shape only
            if not rule.has_forward(param.name):
                raise self.src.error(
                    f"s2sad has no forward rule for {label} with respect to "
                    f"{param.name!r} yet", where,
                    f"register one with s2sad.defjvp({label}, t{param.name}='...')")
            terms += self.param_tangents(rule, param, node, bound, value, target)
        if not terms:   # it reads the inputs for their shapes only
            return self.zero_of(name(target))
        tangent = terms[0]
        for term in terms[1:]:
            tangent = gast.BinOp(left=tangent, op=gast.Add(), right=term)
        # x + b, with only b depending on the inputs: tb is (d,), the sum (n, d).  One
        # operand of the output's kind that depends on them makes the sum full-sized.
        if rule.output == "elementwise" and all(
                self.kind_of(n) != self.kinds.get(target, UNKNOWN) or self.kind_of(n).ndim is None
                for n in self.operands(bound)):
            return self.spread(tangent, name(target))
        return tangent

    # how a tangent is read, spread and written (a batch of tangents: see `batched`)

    def subscript(self, t, read: gast.Subscript, target: str):
        """The tangent of `target = x[index]` (`read`), from `t`, the tangent of x."""
        return gast.Subscript(value=t, slice=clone(read.slice), ctx=gast.Load())

    @staticmethod
    def transposed(t):
        return attr(t, "T")

    @staticmethod
    def spread(t, value):
        return call(helper("spread"), t, value)

    def write_tangent(self, t, written: gast.Subscript, tangent):
        """`t[index] = tangent` for the write `x[index] = ...`, t the tangent of x."""
        target = gast.Subscript(value=t, slice=clone(written.slice), ctx=gast.Store())
        return assign(target, tangent if tangent is not None else const(0.0))

    def param_tangents(self, rule, param, node, bound: dict, value, target: str) -> list:
        """The terms one parameter adds to the output's tangent."""
        items = node.elts if isinstance(node, (gast.Tuple, gast.List)) else None
        mode = rule.linear.get(param.name)
        if mode == "alone" and items is not None:   # einsum: one operand at a time
            return [_replaced(value, {id(item): self.tangent_node(item)})
                    for item in items if self.active(item)]
        if mode is not None:   # the function itself, on the tangent(s)
            if items is None:
                return [_replaced(value, {id(node): self.tangent_node(node)})]
            return [_replaced(value, {id(item): self.item_tangent(item) for item in items})]
        return [self.template_term(rule.forward_template(param.name), param, node, bound,
                                   target)]

    def template_term(self, template, param, node, bound: dict, target: str, t=None):
        """A rule's template for one parameter, `t` its tangent (by default, the
        tangent of `node`, or its items' tangents)."""
        items = node.elts if isinstance(node, (gast.Tuple, gast.List)) else None
        mapping = dict(bound, t=t if t is not None else self.tangent_node(node),
                       ans=name(target))
        if items is not None and t is None:
            mapping["t"] = gast.Tuple(elts=[self.item_tangent(item) for item in items],
                                      ctx=gast.Load())
        if items is not None and not (param.sequence or param.variadic):
            mapping[param.name] = call(attr(helper("np"), "asarray"), node)   # np.exp([a, b])
            if t is None:
                mapping["t"] = call(attr(helper("np"), "asarray"), mapping["t"])
        return instantiate(mark_helpers(template, set(mapping)), mapping)

    def item_tangent(self, item):
        if isinstance(item, (gast.List, gast.Tuple)):   # np.array([[a, b], [c, d]])
            return type(item)(elts=[self.item_tangent(i) for i in item.elts],
                              ctx=gast.Load())
        found = self.tangent_node(item)
        return found if found is not None else self.zero_of(item)

    def split_tangent(self, value):
        """A custom rule's call, or a recursive one: its own forward rule."""
        function, _pair, *args = value.args
        tangents = gast.Tuple(elts=[const(None) if self.kind_of(a).integer
                                    else self.item_tangent(a) for a in args], ctx=gast.Load())
        return call(helper("split_tangent"), clone(function),
                    gast.Tuple(elts=[clone(a) for a in args], ctx=gast.Load()), tangents)

    def active(self, node) -> bool:
        return bool(differentiable_names(node, self.src) & self.varied)

    def operands(self, bound: dict) -> list:
        return [n for n in bound.values() if isinstance(n, gast.Name) and n.id in self.varied]


# What a generated gradient's helper without a forward rule comes from.
_SECOND_ORDER_GAPS = {
    "split_backward": "custom_vjp/custom_jvp functions or recursion",
    "custom_cotangents": "custom_vjp/custom_jvp functions",
    "whole_cotangents": "recursion",
}


def _has_backward_tangent(function) -> bool:
    return hasattr(runtime.split_rule(function), "backward_tangent")


def _is_spread(node) -> bool:
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
        and node.func.id in ("spread", "batch_spread") and len(node.args) == 2


def _replaced(node, replacements: dict):
    """A copy of `node` with the nodes whose id() is a key replaced by the values."""
    if id(node) in replacements:
        return clone(replacements[id(node)])
    if not isinstance(node, gast.AST):
        return node
    new = node.__class__.__new__(node.__class__)
    for key, value in node.__dict__.items():
        if isinstance(value, list):
            value = [_replaced(v, replacements) for v in value]
        elif isinstance(value, gast.AST):
            value = _replaced(value, replacements)
        new.__dict__[key] = value
    return new
