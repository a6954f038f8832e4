"""Stage 5b, batched: forward mode carrying a batch of tangents, so that `jacobian`
pushes every basis vector in one call.  A tangent of x is shaped `(k,) + x.shape`,
one row per basis vector:

    y = np.sin(x) * b           t_t1 = tx * np.cos(x)
    s = np.sum(y, axis=0)       ty = t_t1 * b
                                ts = np.sum(ty, axis=-2)      # axes from the end

The statements are forward mode's (`forward.ForwardMode`); what changes is how a
tangent is made, read, written and spread, and which rule forms apply: elementwise
rules, with `t` lined up with the output (`batch_align`), and the batch forms the
registry declares (`defbatch`).  Anything else raises `NotBatchable`, and
`jacobian` makes one call per basis vector instead.
"""
from __future__ import annotations

import gast

from .astutil import assign, attr, call, clone, const, helper, name, parse_expr
from .forward import ForwardMode, _replaced
from .kinds import UNKNOWN
from .rules.registry import reading_t


def _mapped_over_batch(term, read, t=None):
    """`f(a, x, b)`, linear in its argument `read` (which it reads nowhere else), as
    `batch_each(f, 1, t, a, t, b)`: f on each basis vector's tangent `t` (by default
    `read` itself, a template's `t`) in turn.  None for any other term."""
    if not isinstance(term, gast.Call) or term.keywords or read is None \
            or sum(n is read for n in gast.walk(term)) != 1:
        return None
    at = [i for i, a in enumerate(term.args) if a is read]
    if not at:
        return None
    t = read if t is None else t
    args = [clone(t) if i == at[0] else clone(a) for i, a in enumerate(term.args)]
    return call(helper("batch_each"), clone(term.func), const(at[0]), clone(t), *args)


class NotBatchable(Exception):
    """A construct the batched forward mode has no form for."""


class BatchedForwardMode(ForwardMode):
    def __init__(self, *args, batch: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.batch = batch   # the variable holding k

    def zero(self, target: str, value):
        if isinstance(value, gast.List) and not value.elts:
            return gast.List(elts=[], ctx=gast.Load())   # a list the function grows
        return self.zero_of(name(target))

    def zero_of(self, node):
        return call(helper("batch_zero"), node, name(self.batch))

    def item_tangent(self, item):
        """An item of a list literal; one that is itself a list (`[x[0] ** 2]` in
        np.concatenate([a, [x[0] ** 2]])) is np.array's batch of its items."""
        if isinstance(item, (gast.List, gast.Tuple)):
            return call(helper("batch_array"), gast.Tuple(
                elts=[self.item_tangent(i) for i in item.elts], ctx=gast.Load()))
        return super().item_tangent(item)

    def output_tangent(self, t, value):
        return call(helper("batch_spread"), t, value)   # every row full-sized

    def known_index(self, index) -> bool:
        """Whether each entry of `index` is a slice, a constant, or a number or array
        (not a tuple held in a variable, which t[:, idx] would read as an array)."""
        entries = index.elts if isinstance(index, gast.Tuple) else [index]
        return all(isinstance(e, (gast.Slice, gast.Constant)) or self.kind_of(e).ndim
                   is not None for e in entries)

    def subscript(self, t, read: gast.Subscript, target: str):
        read_ndim = self.kinds.get(target, UNKNOWN).ndim
        if self.kind_of(read.value).ndim is None or read_ndim is None \
                or not self.known_index(read.slice):
            return call(helper("batch_item"), t, _as_index(read.slice), name(target))
        found = _batch_subscript(t, read.slice)
        if read_ndim == 0:   # a number is a copy; t[:, i] would be a view
            return call(attr(found, "copy"))
        return found

    @staticmethod
    def transposed(t):
        return call(helper("batch_transpose"), t)

    @staticmethod
    def spread(t, value):
        return call(helper("batch_spread"), t, value)

    def write_tangent(self, t, written: gast.Subscript, tangent):
        if self.kind_of(written.value).ndim is None or not self.known_index(written.slice):
            return assign(clone(t), call(helper("batch_written"), t, _as_index(
                written.slice), tangent if tangent is not None else const(0.0)))
        selection = _batch_subscript(t, written.slice)
        target = clone(selection)
        target.ctx = gast.Store()
        if tangent is None:
            return assign(target, const(0.0))
        return assign(target, call(helper("batch_fit"), tangent, selection))

    def split_tangent(self, value):
        raise NotBatchable("a custom rule, a recursion or a call of s2sad.grad")

    def param_tangents(self, rule, param, node, bound: dict, value, target: str) -> list:
        items = node.elts if isinstance(node, (gast.Tuple, gast.List)) else None
        form = rule.batched.get(param.name)
        if form is None and rule.elementwise_forward(param.name) and items is None:
            return [self.template_term(rule.forward_template(param.name), param, node,
                                       bound, target, t=self.aligned(node, bound))]
        if form is None:   # on each basis vector's tangent in turn, where that is easy
            mapped = _mapped_over_batch(value, node, self.tangent_node(node)) \
                if rule.linear.get(param.name) and items is None else None
            if mapped is not None:   # the call itself, linear in `node`
                return [mapped]
            template = rule.forward_template(param.name)   # items: batch_each zips them
            spread_items = items is not None and not (param.sequence or param.variadic)
            mapped = None if spread_items or not rule.maps_over_batch(param.name) else \
                _mapped_over_batch(template, template.args[reading_t(template)])
            if mapped is None:
                raise NotBatchable(f"{rule.name} with respect to {param.name}")
            return [self.template_term(mapped, param, node, bound, target)]
        fixed = {p: self.from_the_end(bound.get(p), counted, bound, target)
                 for p, counted in rule.batch_axes.items()}
        if items is not None and not (param.sequence or param.variadic):
            return [self.items_term(rule, param, form, node, items, bound, fixed, value,
                                    target)]
        if form and rule.linear.get(param.name) == "alone":   # einsum: one operand at a time
            return [self.template_term(parse_expr(form), param, item, dict(
                bound, **fixed, position=const(i), operands=node), target)
                for i, item in enumerate(items) if self.active(item)]
        if form:
            return [self.template_term(parse_expr(form), param, node, dict(bound, **fixed),
                                       target)]
        if param.name in rule.jvp:   # a template that takes a batch as it is
            return [self.template_term(rule.forward_template(param.name), param, node,
                                       dict(bound, **fixed), target)]
        return [self.linear_term(value, node, items, bound, fixed)]

    def items_term(self, rule, param, form, node, items, bound, fixed, value, target):
        """A list literal given for an array (`np.sum([a, b], axis=0)`): its batch is
        np.array's, the batch axis first."""
        t = call(helper("batch_array"), gast.Tuple(
            elts=[self.item_tangent(item) for item in items], ctx=gast.Load()))
        template = parse_expr(form) if form else rule.forward_template(param.name)
        if template is not None:
            return self.template_term(template, param, node, dict(bound, **fixed), target, t=t)
        return self.linear_term(value, node, None, bound, fixed, t=t)

    def aligned(self, node, bound: dict):
        """The tangent of `node`, its axes lined up with the broadcast of the operands
        (statically where their ndims are known)."""
        t = self.tangent_node(node)
        operands = [n for n in bound.values() if not _is_none(n)]
        ndims = [self.kind_of(o).ndim for o in operands]
        own = self.kind_of(node).ndim
        if own is not None and None not in ndims:
            missing = max(ndims) - own
            if missing <= 0:
                return t
            return gast.Subscript(value=t, slice=gast.Tuple(
                elts=[gast.Slice(lower=None, upper=None, step=None)] + [const(None)] * missing,
                ctx=gast.Load()), ctx=gast.Load())
        return call(helper("batch_align"), t, *map(clone, operands))

    def linear_term(self, value, node, items, bound: dict, fixed: dict, t=None):
        """The function itself on the batch (`t`, or the tangent of `node` or of its
        items), its axis arguments counted from the end."""
        inside = {id(n) for n in gast.walk(value)}
        replacements = {id(bound[p]): new for p, new in fixed.items()
                        if p in bound and id(bound[p]) in inside}
        if items is None:
            replacements[id(node)] = t if t is not None else self.tangent_node(node)
        else:
            replacements.update({id(item): self.item_tangent(item) for item in items})
        term = _replaced(value, replacements)
        missing = [gast.keyword(arg=p, value=new) for p, new in fixed.items()
                   if p not in bound or id(bound[p]) not in inside]
        if missing:   # axis=None left to its default: all axes, from the end
            term.keywords += missing
        return term

    def from_the_end(self, axis, counted: str, bound: dict, target: str):
        """An axis argument counted from the end: the same axes of a batch."""
        whose, _, flat = counted.partition(":")
        kind = self.kinds.get(target) if whose == "ans" else self.kind_of(bound[whose])
        ndim = kind.ndim if kind is not None else None
        if axis is None:   # the rule's own default is None
            axis = const(None)
        if isinstance(axis, gast.Constant) and axis.value is None and flat:
            raise NotBatchable("an axis of None that flattens")
        value = _constant(axis)
        if value is _UNKNOWN or ndim is None:   # counted when the code runs
            if ndim is not None:
                return call(helper("negative_axes"), clone(axis), const(ndim))
            if whose == "ans" and target in {n.id for v in bound.values()
                                             for n in gast.walk(v) if isinstance(n, gast.Name)}:
                raise NotBatchable("an axis of an output of unknown ndim, written over "
                                   "an operand")   # y = np.stack([y, z]): y read first
            counted_in = name(target) if whose == "ans" else clone(bound[whose])
            return call(helper("negative_axes"), clone(axis),
                        call(attr(helper("np"), "ndim"), counted_in))
        if value is None:
            return _tuple(range(-ndim, 0))
        if isinstance(value, tuple):
            return _tuple(a % ndim - ndim for a in value)
        return const(value % ndim - ndim)


def _batch_subscript(t, index):
    """t[:, index]: the same entries of each item of a batch."""
    items = index.elts if isinstance(index, gast.Tuple) else [index]
    if _splits_advanced_indices(items):   # x[i, :, j]: NumPy moves those axes first
        raise NotBatchable("indices on both sides of a slice")
    every = gast.Slice(lower=None, upper=None, step=None)
    return gast.Subscript(value=t, slice=gast.Tuple(
        elts=[every] + [clone(i) for i in items], ctx=gast.Load()), ctx=gast.Load())


def _as_index(index):
    """An index as a value: `x[1:3, i]` -> `(slice(1, 3), i)`."""
    if isinstance(index, gast.Slice):
        return call(helper("slice"), *[clone(p) if p is not None else const(None)
                                        for p in (index.lower, index.upper, index.step)])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_as_index(i) for i in index.elts], ctx=gast.Load())
    return clone(index)


_UNKNOWN = object()


def _constant(node):
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.Tuple) and all(isinstance(e, gast.Constant) for e in node.elts):
        return tuple(e.value for e in node.elts)
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) \
            and isinstance(node.operand, gast.Constant):
        return -node.operand.value
    return _UNKNOWN


def _tuple(values):
    return gast.Tuple(elts=[const(v) for v in values], ctx=gast.Load())


def _is_none(node) -> bool:
    return isinstance(node, gast.Constant) and node.value is None


def _splits_advanced_indices(items: list) -> bool:
    """Whether a slice, None or ... stands between two entries that index (ints or
    arrays): NumPy then moves the indexed axes first, before the batch axis."""
    indexing = [i for i, item in enumerate(items) if not isinstance(item, gast.Slice)
                and not (isinstance(item, gast.Constant) and item.value in (None, Ellipsis))]
    return bool(indexing) and indexing[-1] - indexing[0] + 1 != len(indexing)
