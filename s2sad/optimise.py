"""Stage 6: make the generated adjoint read like a hand-written one.

- `simplify`: fold constants and drop broadcasting helpers the argument kinds make
  unnecessary (`unbroadcast(g * y, x)` is `g * y` when x and the output are scalars);
- `zero_propagation`: the first contribution to an adjoint assigns instead of adding
  to zero, and contributions of a known-zero cotangent disappear;
- `copy_propagation`: `_g = ds; dq = dq + _g * s` becomes `dq = dq + ds * s`;
- `dead_stores`: assignments to adjoints nobody reads are removed.
Passes only touch adjoint variables; primal statements and tape pops stay as they are.
"""
from __future__ import annotations

import operator

import gast
import numpy as np

from .astutil import attr, call, const, helper, loaded_names, name_counts, substitute
from .kinds import reduced_axes, unbroadcast_axes
from .runtime import unsupported
from .source import HELPER_MARK

_ALIAS_COPY = "s2sad_alias_copy"   # on `dx = dacc.copy()`: the accumulator's name
_FOLDABLE = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
             gast.Div: operator.truediv, gast.Pow: operator.pow}


# --- expression simplification ----------------------------------------------

def simplify(expr, kind_of, output_kind):
    """Simplify a freshly instantiated rule template using what is known of kinds."""
    for field, value in gast.iter_fields(expr):
        if isinstance(value, list):
            value[:] = [simplify(v, kind_of, output_kind) if isinstance(v, gast.AST) else v
                        for v in value]
        elif isinstance(value, gast.AST):
            setattr(expr, field, simplify(value, kind_of, output_kind))
    if isinstance(expr, gast.BinOp):
        return _fold_binop(expr)
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.USub) \
            and _is_number(expr.operand):
        return const(-expr.operand.value)
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.Not) \
            and isinstance(expr.operand, gast.Constant):
        return const(not expr.operand.value)
    if isinstance(expr, gast.IfExp) and isinstance(expr.test, gast.Constant):
        return expr.body if expr.test.value else expr.orelse   # an option given literally
    if isinstance(expr, gast.IfExp) and gast.dump(expr.body) == gast.dump(expr.orelse):
        return expr.body   # `g if len(xs) else g`, once the kinds made both sides g
    if isinstance(expr, gast.IfExp) and isinstance(expr.test, gast.Compare):
        decided = _constant_compare(expr.test)
        if decided is not None:
            return expr.body if decided else expr.orelse
    if _is_numpy_of_positive_number(expr, ("log", "sqrt", "exp")):
        # np.log(2.0) is a float64 scalar, which NumPy 2 lets win over float32 arrays:
        # math.log(2.0) is a Python float, which does not
        return call(attr(helper("math"), expr.func.attr), expr.args[0])
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name):
        special = _HELPER_INLINING.get(expr.func.id)
        if special is not None:
            inlined = special(expr.args, kind_of, output_kind)
            if inlined is not None:
                return inlined
    return expr


def _is_numpy_of_positive_number(expr, functions) -> bool:
    return isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) \
        and isinstance(expr.func.value, gast.Name) and expr.func.value.id == "np" \
        and getattr(expr.func.value, HELPER_MARK, False) \
        and expr.func.attr in functions and len(expr.args) == 1 and not expr.keywords \
        and _is_number(expr.args[0]) and expr.args[0].value > 0


def _is_number(node) -> bool:
    return isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool)


def _fold_binop(e: gast.BinOp):
    fold = _FOLDABLE.get(type(e.op))
    if fold and _is_number(e.left) and _is_number(e.right):
        try:
            return const(fold(e.left.value, e.right.value))
        except (ZeroDivisionError, OverflowError):
            return e
    if isinstance(e.op, gast.Pow) and _is_number(e.right) and e.right.value == 1:
        return e.left
    if isinstance(e.op, (gast.Add, gast.Sub)) and _is_number(e.right) and e.right.value == 0:
        return e.left
    if isinstance(e.op, gast.Mult):
        if _is_number(e.right) and e.right.value == 1:
            return e.left
        if _is_number(e.left) and e.left.value == 1:
            return e.right
    return e


def _constant_compare(test: gast.Compare):
    """Decide `axes is None` (or `UPLO == 'L'`) at transform time when `axes` is a
    literal."""
    if len(test.ops) != 1 or not isinstance(test.comparators[0], gast.Constant):
        return None
    if isinstance(test.left, (gast.Tuple, gast.List)):
        left = ()   # a literal tuple or list: never None
    elif isinstance(test.left, gast.Constant):
        left = test.left.value
    else:
        return None
    right = test.comparators[0].value
    if isinstance(test.ops[0], gast.Is):
        return left is right
    if isinstance(test.ops[0], gast.IsNot):
        return left is not right
    if isinstance(test.ops[0], (gast.Eq, gast.NotEq)) and isinstance(test.left, gast.Constant):
        return (left == right) == isinstance(test.ops[0], gast.Eq)   # UPLO == 'L'
    return None


def refuse_literal_options(expr, src, where) -> None:
    """A TransformError at the user's line for a call `unsupported(...)` left in a
    simplified rule with literal arguments: an option the user wrote that the rule has
    no derivative for (not in a branch of `x if option else unsupported(...)` the
    option's value decides at run time)."""
    for node in _unconditional(expr):
        if isinstance(node, gast.Call) and getattr(node.func, "id", None) == "unsupported" \
                and all(isinstance(a, gast.Constant) for a in node.args):
            try:
                unsupported(*(a.value for a in node.args))
            except NotImplementedError as refused:
                raise src.error(str(refused), where, "leave that option out, or give the "
                                "call a rule of your own (s2sad.custom_vjp)") from None


def _unconditional(expr):
    """The nodes of `expr` that are always evaluated: not inside a conditional."""
    yield expr
    if not isinstance(expr, (gast.IfExp, gast.BoolOp)):
        for child in gast.iter_child_nodes(expr):
            yield from _unconditional(child)


def _ndim(kind_of, node):
    kind = kind_of(node)
    return None if kind is None else kind.ndim


def _inline_unbroadcast(args, kind_of, output_kind):
    """`g` summed over the axes broadcasting stretched, where the kinds tell which."""
    g, x = args
    x_kind = kind_of(x)
    if output_kind is None or x_kind is None:
        return None
    if isinstance(g, gast.UnaryOp) and isinstance(g.op, gast.USub):   # sum, then negate
        inner = _inline_unbroadcast([g.operand, x], kind_of, output_kind)
        return None if inner is None else gast.UnaryOp(op=gast.USub(), operand=inner)
    if x_kind.ndim == 0:
        if output_kind.ndim == 0:
            return g
        return _method_sum(g) if output_kind.array else None
    axes = unbroadcast_axes(output_kind, x_kind)
    if axes is None:
        return None
    leading, stretched = axes
    if leading:
        g = _method_sum(g, _axis_node(range(leading)))
    if stretched:
        g = _method_sum(g, _axis_node(stretched), keepdims=const(True))
    return g


def _method_sum(array, axis=None, **keywords):
    """`array.sum(...)`: the method skips np.sum's dispatch (a microsecond a call)."""
    if axis is not None:
        keywords = dict(axis=axis, **keywords)
    return call(attr(array, "sum"), **keywords)


def _axis_node(axes):
    axes = list(axes)
    if len(axes) == 1:
        return const(axes[0])
    return gast.Tuple(elts=[const(a) for a in axes], ctx=gast.Load())


def _inline_restore_axes(args, kind_of, output_kind):
    """g with the reduced axes put back as length 1: `g[:, None]`; as it is with
    keepdims=True or a reduction to a scalar (which broadcasts anyway)."""
    g, x, axis, keepdims = (args + [const(None), const(False)])[:4]
    if not isinstance(keepdims, gast.Constant):
        return None
    ndim = _ndim(kind_of, x)
    if keepdims.value or _is_none(axis):
        return g
    reduced = reduced_axes(axis, ndim)
    if reduced is None:
        return None
    if len(reduced) == ndim:
        return g
    index = [const(None) if i in reduced else gast.Slice(lower=None, upper=None, step=None)
             for i in range(ndim)]
    return gast.Subscript(value=g, slice=gast.Tuple(elts=index, ctx=gast.Load()),
                          ctx=gast.Load())


def _transpose(node):
    return attr(node, "T")


def _inline_matmul_dx(args, kind_of, output_kind):
    g, x, y = args
    shapes = (_ndim(kind_of, x), _ndim(kind_of, y))
    return {(2, 2): lambda: gast.BinOp(left=g, op=gast.MatMult(), right=_transpose(y)),
            (1, 2): lambda: gast.BinOp(left=y, op=gast.MatMult(), right=g),
            (2, 1): lambda: call(attr(helper("np"), "outer"), g, y),
            (1, 1): lambda: gast.BinOp(left=g, op=gast.Mult(), right=y)}.get(
        shapes, lambda: None)()


def _inline_matmul_dy(args, kind_of, output_kind):
    g, x, y = args
    shapes = (_ndim(kind_of, x), _ndim(kind_of, y))
    return {(2, 2): lambda: gast.BinOp(left=_transpose(x), op=gast.MatMult(), right=g),
            (1, 2): lambda: call(attr(helper("np"), "outer"), x, g),
            (2, 1): lambda: gast.BinOp(left=g, op=gast.MatMult(), right=x),
            (1, 1): lambda: gast.BinOp(left=g, op=gast.Mult(), right=x)}.get(
        shapes, lambda: None)()


def _is_none(node) -> bool:
    return isinstance(node, gast.Constant) and node.value is None


def _is_false(node) -> bool:
    return isinstance(node, gast.Constant) and node.value is False


def _inline_expand_reduced(args, kind_of, output_kind):
    """A reduction's cotangent spread over the input, in the input's dtype (float32
    stays float32): np.full(x.shape, g) after a full reduction, else np.full_like."""
    if len(args) != 4:
        return None
    g, x = args[0], args[1]
    ndim = _ndim(kind_of, x)
    if ndim == 0:
        return g
    if not ndim:
        return None
    if _is_none(args[2]) and _is_false(args[3]):
        return call(attr(helper("np"), "full"), attr(x, "shape"), g, attr(x, "dtype"))
    restored = _inline_restore_axes(args, kind_of, output_kind)
    return None if restored is None else call(attr(helper("np"), "full_like"), x, restored)


def _inline_reduced_count(args, kind_of, output_kind):
    """How many entries each result of the reduction combines: x.size, x.shape[1], ..."""
    if len(args) != 2:
        return None
    x, axis = args
    ndim = _ndim(kind_of, x)
    if not ndim:
        return None
    if _is_none(axis):
        return attr(x, "size")
    reduced = reduced_axes(axis, ndim)
    if reduced is None:
        return None
    count = None
    for i in reduced:
        length = gast.Subscript(value=attr(x, "shape"), slice=const(i), ctx=gast.Load())
        count = length if count is None else gast.BinOp(left=count, op=gast.Mult(),
                                                         right=length)
    return count


def _inline_unbroadcast_each(args, kind_of, output_kind):
    """sum([a, b]): one unbroadcast per item, each simplified on its own."""
    g, items = args
    if not isinstance(items, gast.Tuple):
        return None
    parts = []
    for item in items.elts:
        part = call(helper("unbroadcast"), g, item)
        parts.append(_inline_unbroadcast(part.args, kind_of, output_kind) or part)
    return gast.Tuple(elts=parts, ctx=gast.Load())


def _inline_select_extreme(args, kind_of, output_kind):
    """max(a, b) on scalars: g shared by the arguments equal to the result, in plain
    arithmetic (no helper call in scalar code)."""
    g, items, ans = args
    if not isinstance(items, gast.Tuple) or any(_ndim(kind_of, i) != 0 for i in items.elts):
        return None
    hits = [gast.Compare(left=item, ops=[gast.Eq()], comparators=[ans]) for item in items.elts]
    count = hits[0]
    for hit in hits[1:]:
        count = gast.BinOp(left=count, op=gast.Add(), right=hit)
    return gast.Tuple(elts=[gast.BinOp(left=gast.BinOp(left=g, op=gast.Mult(), right=hit),
                                       op=gast.Div(), right=count) for hit in hits],
                      ctx=gast.Load())


_HELPER_INLINING = {"unbroadcast": _inline_unbroadcast, "matmul_dx": _inline_matmul_dx,
                    "matmul_dy": _inline_matmul_dy, "expand_reduced": _inline_expand_reduced,
                    "reduced_count": _inline_reduced_count,
                    "restore_axes": _inline_restore_axes,
                    "unbroadcast_each": _inline_unbroadcast_each,
                    "select_extreme": _inline_select_extreme}


# --- passes over the primal sweep ----------------------------------------------

def inline_temporaries(stmts: list, temporaries: set, tape: str) -> list:
    """Put temporaries back into the one expression that reads them, where nothing
    else (no adjoint, no push) needs them: `h = np.tanh(X @ W1 + b1)` as the user
    wrote it, not three statements.  NumPy then frees those arrays at once, as in
    hand-written code, instead of keeping every intermediate alive.

    `temporaries`: names with one definition and one read in `stmts`, all blocks
    included.  A temporary moves past nothing but the definitions of other
    temporaries and tape pushes; the ANF named them in the order the user's
    expression evaluates them, so putting them back keeps that order."""
    out, pending = [], {}   # temporary -> its definition, not yet placed
    for s in stmts:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) \
                and s.targets[0].id in temporaries:
            s.value = _take_pending(s.value, pending)
            pending[s.targets[0].id] = s
            continue
        if _is_push(s, tape):
            out.append(s)
            continue
        field = _evaluated_once(s)
        reads = loaded_names(getattr(s, field)) if field else set()
        out += [pending.pop(n) for n in list(pending) if n not in reads]
        if field:
            setattr(s, field, _take_pending(getattr(s, field), pending))
        for block in ("body", "orelse"):
            if isinstance(getattr(s, block, None), list):
                setattr(s, block, inline_temporaries(getattr(s, block), temporaries, tape))
        out.append(s)
    return out + list(pending.values())


def _take_pending(node, pending: dict):
    """`node` with the pending temporaries it reads substituted (each used once)."""
    used = loaded_names(node) & set(pending)
    return substitute(node, {n: pending.pop(n).value for n in used}) if used else node


def _evaluated_once(s) -> str | None:
    """The field of a statement evaluated once, before anything it contains runs."""
    if isinstance(s, gast.If):
        return "test"
    if isinstance(s, gast.For):
        return "iter"
    if isinstance(s, (gast.Assign, gast.AugAssign, gast.Expr, gast.Return)):
        return "value"
    return None


def _is_push(s, tape: str) -> bool:
    """`tape.append(...)` (not the user's own `xs.append`, which may change a value)."""
    return isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) \
        and isinstance(s.value.func, gast.Attribute) and s.value.func.attr == "append" \
        and getattr(s.value.func.value, "id", None) == tape


_METHODS = {np.sum: "sum", np.mean: "mean", np.max: "max", np.amax: "max", np.min: "min",
            np.amin: "min", np.prod: "prod", np.std: "std", np.var: "var"}


def prefer_methods(stmts: list, kind_of, resolve) -> None:
    """`np.sum(x, axis=1)` as `x.sum(axis=1)` where x is surely an array: the same
    arguments in the same order, without np.sum's dispatch (about a microsecond)."""
    for node in gast.walk(gast.Module(body=stmts, type_ignores=[])):
        if isinstance(node, gast.Call) and node.args \
                and not isinstance(node.func, gast.Name) \
                and _resolves_to_method(node.func, resolve):
            kind = kind_of(node.args[0])
            if kind is not None and kind.array:
                node.func = attr(node.args.pop(0), _METHODS[resolve(node.func)])


def _resolves_to_method(func, resolve) -> bool:
    try:
        return resolve(func) in _METHODS
    except TypeError:   # an unhashable object
        return False


# --- passes over the adjoint sweep -------------------------------------------

class AdjointOptimiser:
    """Zero propagation, copy propagation and dead-store removal on adjoints.

    `adjoints` are the adjoint variable names; `accumulators` are adjoints updated
    in place (`dx[i] += g`), which must own their array and are never aliased.
    """

    def __init__(self, adjoints: set[str], accumulators: set[str], materialise=None,
                 scalar_item=None, same_shape=None):
        self.adjoints = adjoints
        self.accumulators = accumulators
        # same_shape(a, b) -> whether the names a and b surely hold arrays of one shape
        self.same_shape = same_shape or (lambda a, b: a == b)
        # materialise(adjoint, compound, where) -> `dx = np.zeros_like(x)`, or None
        # where the plain 0.0 serves (scalars)
        self.materialise = materialise or (lambda adjoint, compound, where: None)
        # scalar_item(subscript) -> whether `dx[i]` is one number (a copy, not a view)
        self.scalar_item = scalar_item or (lambda subscript: False)

    def run(self, stmts: list, live_out: set[str]) -> list:
        self.read_as_cotangent = _read_as_cotangent(stmts)
        stmts = self.zero_propagation(stmts, set(), rewrite=True)[0]
        stmts = self.dead_stores(stmts, set(live_out))[0]
        stmts = self.copy_propagation(stmts)
        stmts = self.dead_stores(stmts, set(live_out))[0]
        self.drop_needless_copies(stmts, set())
        return self.narrow_broadcasts(stmts)

    # broadcasts left to the reader -------------------------------------------------

    def narrow_broadcasts(self, stmts: list, read_once: set | None = None) -> list:
        """`d = np.full_like(x, g)` read once, right after, where broadcasting spreads
        `g` just the same (`d * 2 * x`, or added into an index of an accumulator): the
        reader takes `g` and the full array is never made."""
        if read_once is None:
            reads = name_counts(stmts, gast.Load)
            read_once = {n for n, count in reads.items() if count == 1}
        out = []
        for index, s in enumerate(stmts):
            for block in ("body", "orelse"):
                if isinstance(getattr(s, block, None), list):
                    setattr(s, block, self.narrow_broadcasts(getattr(s, block), read_once))
            spread = _spread_of(s)
            if spread is not None and spread[0] in read_once and index + 1 < len(stmts) \
                    and _read_spread(stmts[index + 1], *spread, self.accumulators,
                                     self.same_shape):
                continue
            out.append(s)
        return out

    # zero propagation ---------------------------------------------------------

    def zero_propagation(self, stmts, zeros: set, rewrite: bool):
        """Track which adjoints are known to be zero (never materialised).

        Where paths join (after an if, at a loop head) an adjoint zero on one path
        only is made a real array of zeros on that path: a matrix product or a
        transpose cannot take the float 0.0 in place of an array."""
        out = []
        for s in stmts:
            if isinstance(s, gast.If):
                body, zb = self.zero_propagation(s.body, set(zeros), rewrite)
                orelse, ze = self.zero_propagation(s.orelse, set(zeros), rewrite)
                if rewrite:
                    body += self._materialised(zb - ze, s, "body")
                    orelse += self._materialised(ze - zb, s, "orelse")
                    s.body, s.orelse = body or [gast.Pass()], orelse
                zeros = zb & ze
            elif isinstance(s, (gast.For, gast.While)):
                entry = set(zeros)
                while True:
                    _, end = self.zero_propagation(s.body, set(entry), False)
                    settled = entry & end
                    if settled == entry:
                        break
                    entry = settled
                if rewrite:
                    out += self._materialised(zeros - entry, s, "after")
                    body, end = self.zero_propagation(s.body, set(entry), True)
                    s.body = body + self._materialised(end - entry, s, "start") or [gast.Pass()]
                zeros = entry
            elif self._is_adjoint_store(s):
                s = self._zero_store(s, zeros, rewrite)
                if s is None:
                    continue
            elif self._accumulation_target(s) is not None:
                if loaded_names(s) & zeros:
                    continue  # adds a zero cotangent
            out.append(s)
        return out, zeros

    def _materialised(self, names: set, compound, where: str) -> list:
        """Only adjoints some rule reads: `dx = dx + g` takes the float 0.0 as it is."""
        made = (self.materialise(n, compound, where)
                for n in sorted(names & self.read_as_cotangent))
        return [s for s in made if s is not None]

    def _zero_store(self, s: gast.Assign, zeros: set, rewrite: bool):
        target = s.targets[0].id
        value = s.value
        if _is_zero(value):
            if target in self.accumulators:
                zeros.discard(target)
            else:
                zeros.add(target)
            return s
        accumulates = (isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub))
                       and isinstance(value.left, gast.Name) and value.left.id == target)
        contribution = value.right if accumulates else value
        if accumulates and isinstance(value.op, gast.Sub):
            contribution = gast.UnaryOp(op=gast.USub(), operand=contribution)
        if loaded_names(contribution) & (zeros - {target}):
            if accumulates:
                return None  # target + 0
            zeros.add(target)
            return gast.Assign(targets=s.targets, value=const(0.0), type_comment=None) \
                if rewrite else s
        if accumulates and target in zeros and target not in self.accumulators and rewrite:
            aliased = self._aliased_accumulator(contribution)
            if aliased is not None:   # the accumulator may change in place later
                contribution = call(attr(contribution, "copy"))
                setattr(s, _ALIAS_COPY, aliased)
            s.value = contribution
        zeros.discard(target)
        return s

    def _aliased_accumulator(self, node) -> str | None:
        """The accumulator (updated in place) that `node` may be a view of."""
        while True:
            if isinstance(node, gast.Subscript):
                if self.scalar_item(node):
                    return None
                node = node.value
            elif isinstance(node, gast.Call) and getattr(node.func, "id", None) == "unbroadcast":
                node = node.args[0]   # returns its argument when no axis is summed
            else:
                is_accumulator = isinstance(node, gast.Name) and node.id in self.accumulators
                return node.id if is_accumulator else None

    def drop_needless_copies(self, stmts: list, written_later: set) -> None:
        """`dx = dacc.copy()` where nothing writes into dacc afterwards: `dx = dacc`.
        `written_later`: accumulators written into after `stmts` have run."""
        written = set(written_later)
        for s in reversed(stmts):
            if isinstance(s, (gast.If, gast.For, gast.While)):
                inside = self._written_in_place(s)
                if not isinstance(s, gast.If):   # a loop's body runs again after itself
                    written |= inside
                for block in (s.body, s.orelse):
                    self.drop_needless_copies(block, written)
                written |= inside
            elif getattr(s, _ALIAS_COPY, None) not in (None, *written):
                s.value = s.value.func.value
            written |= self._written_in_place(s)

    def _written_in_place(self, node) -> set:
        found = {self._accumulation_target(s) for s in gast.walk(node)}
        return found - {None}

    # copy propagation ---------------------------------------------------------

    def copy_propagation(self, stmts: list) -> list:
        stmts = [s for s in stmts if not _is_self_assignment(s)]
        mentioned: dict[int, set] = {}   # statement id -> the names in it (long unrolled
        for index, s in enumerate(stmts):   # code: most statements never mention a copy)
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list):
                    setattr(s, field, self.copy_propagation(getattr(s, field)))
            if self._is_adjoint_store(s) and isinstance(s.value, gast.Name) \
                    and s.value.id in self.adjoints \
                    and not {s.targets[0].id, s.value.id} & self.accumulators:
                self._propagate(s.targets[0].id, s.value.id, stmts[index + 1:], mentioned)
        return [s for s in stmts if not _is_self_assignment(s)]

    @staticmethod
    def _propagate(copy_name: str, source: str, following: list, mentioned: dict) -> None:
        """Read `source` instead of `copy_name` until either is assigned again."""
        for s in following:
            names = mentioned.get(id(s))
            if names is None:
                names = mentioned[id(s)] = {n.id for n in gast.walk(s)
                                            if isinstance(n, gast.Name)}
            if copy_name not in names and source not in names:
                continue
            names.add(source)
            if _is_self_assignment(s):
                continue
            if not _assigned_names(s) & {copy_name, source}:
                _rename_loads(s, copy_name, source)
                continue
            if isinstance(s, gast.Assign):  # its value is read before it assigns
                _rename_loads(s.value, copy_name, source)
                if _is_self_assignment(s):
                    continue  # now `source = source`: changes nothing
            return

    # dead stores --------------------------------------------------------------

    def dead_stores(self, stmts: list, live: set, rewrite: bool = True):
        out = []
        for s in reversed(stmts):
            if isinstance(s, gast.If):
                body, lb = self.dead_stores(s.body, set(live), rewrite)
                orelse, le = self.dead_stores(s.orelse, set(live), rewrite)
                if rewrite:
                    s.body, s.orelse = body or [gast.Pass()], orelse
                live = lb | le | self._adjoint_loads(s.test)
            elif isinstance(s, (gast.For, gast.While)):
                head = set(live)
                while True:
                    _, body_in = self.dead_stores(s.body, set(head), rewrite=False)
                    new_head = live | body_in
                    if new_head == head:
                        break
                    head = new_head
                if rewrite:
                    s.body = self.dead_stores(s.body, set(head))[0] or [gast.Pass()]
                live = head
            elif self._is_adjoint_store(s):
                target = s.targets[0].id
                if target not in live:
                    continue
                live.discard(target)
                live |= self._adjoint_loads(s.value)
            elif self._accumulation_target(s) is not None:
                if self._accumulation_target(s) not in live:
                    continue
                live |= self._adjoint_loads(s)
            else:
                live |= self._adjoint_loads(s)
            out.append(s)
        out.reverse()
        return out, live

    # helpers ------------------------------------------------------------------

    def _is_adjoint_store(self, s) -> bool:
        return (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                and s.targets[0].id in self.adjoints and not _has_call_to_pop(s.value))

    def _accumulation_target(self, s):
        """The accumulator an in-place update statement writes, if it is one."""
        if isinstance(s, (gast.AugAssign, gast.Assign)):
            target = s.target if isinstance(s, gast.AugAssign) else s.targets[0]
            if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name) \
                    and target.value.id in self.accumulators:
                return target.value.id
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and s.value.args \
                and isinstance(s.value.args[0], gast.Name) \
                and s.value.args[0].id in self.accumulators:
            return s.value.args[0].id
        return None

    def _adjoint_loads(self, node) -> set:
        return loaded_names(node) & self.adjoints


def surely_arrays(stmts: list, adjoints: set, known: frozenset = frozenset()) -> set:
    """Adjoints of arrays that hold an array (not the float 0.0 they start as) on every
    path to the end of `stmts`: the last assignment on each path is arithmetic or a
    NumPy call (a helper such as unbroadcast_each may return a list).  A loop may run
    no times, and `dx = 0.0` inside it undoes."""
    known = set(known)
    for s in stmts:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) \
                and s.targets[0].id in adjoints:
            value = s.value
            helper_call = isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
            if _is_zero(value) or helper_call:
                known.discard(s.targets[0].id)
            else:
                known.add(s.targets[0].id)
        elif isinstance(s, gast.If):
            known = surely_arrays(s.body, adjoints, known) & \
                surely_arrays(s.orelse, adjoints, known)
        elif isinstance(s, (gast.For, gast.While)):
            known -= {n.targets[0].id for n in gast.walk(s)
                      if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Name)
                      and _is_zero(n.value)}
    return known


def _spread_of(s):
    """(d, g, x) for `d = np.full_like(x, g)` or `d = np.full(x.shape, g, x.dtype)`."""
    if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Call) and isinstance(s.value.func, gast.Attribute)
            and getattr(s.value.func.value, "id", None) == "np"):
        return None
    args = s.value.args
    if s.value.func.attr == "full_like" and len(args) == 2 and isinstance(args[0], gast.Name):
        return s.targets[0].id, args[1], args[0].id
    if s.value.func.attr == "full" and len(args) == 3 and isinstance(args[0], gast.Attribute) \
            and isinstance(args[0].value, gast.Name) and args[0].attr == "shape":
        return s.targets[0].id, args[1], args[0].value.id
    return None


def _read_spread(s, d: str, g, x: str, accumulators: set, same_shape) -> bool:
    """Let the one reader of `d` in `s` take `g` instead, where it broadcasts alike."""
    for node in gast.walk(s):
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult):
            factors = _factors(node)   # d * 2 * x: x gives the product its shape
            names = [getattr(f, "id", None) for f in factors]
            if names.count(d) == 1 and any(n is not None and n != d and same_shape(n, x)
                                           for n in names):
                holder, field = _parent_of(node, factors[names.index(d)])
                setattr(holder, field, g)
                return True
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Div) \
                and getattr(node.left, "id", None) == d and _shaped_like(node.right, x,
                                                                        same_shape):
            node.left = g   # d / (1 + y): y gives the quotient its shape
            return True
        if isinstance(node, gast.AugAssign) and getattr(node.value, "id", None) == d \
                and isinstance(node.target, gast.Subscript) \
                and getattr(node.target.value, "id", None) in accumulators:
            node.value = g
            return True
        if isinstance(node, gast.Call) and getattr(node.func, "id", None) == "add_at" \
                and len(node.args) == 3 and getattr(node.args[2], "id", None) == d:
            node.args[2] = g
            return True
    return False


def _shaped_like(node, x: str, same_shape) -> bool:
    """`node` surely has x's shape: a name of it, or arithmetic with such a name."""
    if isinstance(node, gast.Name):
        return node.id != "np" and same_shape(node.id, x)
    if isinstance(node, gast.BinOp):
        return any(_shaped_like(side, x, same_shape) for side in (node.left, node.right)
                   if not isinstance(side, gast.Constant)) and all(
            isinstance(side, gast.Constant) or _shaped_like(side, x, same_shape)
            for side in (node.left, node.right))
    return False


def _factors(product: gast.BinOp) -> list:
    """The operands of a chain of multiplications, `a * b * c` -> [a, b, c]."""
    if not (isinstance(product, gast.BinOp) and isinstance(product.op, gast.Mult)):
        return [product]
    return _factors(product.left) + _factors(product.right)


def _parent_of(product: gast.BinOp, factor) -> tuple:
    """The multiplication in `product`'s chain that holds `factor`, and which side."""
    for side in ("left", "right"):
        child = getattr(product, side)
        if child is factor:
            return product, side
        if isinstance(child, gast.BinOp) and isinstance(child.op, gast.Mult):
            found = _parent_of(child, factor)
            if found is not None:
                return found
    return None


def _read_as_cotangent(node) -> set:
    """Names read anywhere except as `x` in their own accumulation `x = x + ...`."""
    if isinstance(node, list):
        return set().union(*map(_read_as_cotangent, node))
    if isinstance(node, gast.Assign) and isinstance(node.value, gast.BinOp) \
            and isinstance(node.value.op, (gast.Add, gast.Sub)) \
            and isinstance(node.value.left, gast.Name) \
            and node.value.left.id == getattr(node.targets[0], "id", None):
        return loaded_names(node.value.right)
    if isinstance(node, gast.Name):
        return {node.id} if isinstance(node.ctx, gast.Load) else set()
    return _read_as_cotangent(list(gast.iter_child_nodes(node)))


def _is_self_assignment(s) -> bool:
    return (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Name) and s.targets[0].id == s.value.id)


def _is_zero(node) -> bool:
    return isinstance(node, gast.Constant) and node.value == 0 and \
        not isinstance(node.value, bool)


def _has_call_to_pop(node) -> bool:
    """`x = tape.pop()`: a restore, which the passes must leave alone."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
        and node.func.attr == "pop"


def _assigned_names(s) -> set:
    found = set()
    for n in gast.walk(s):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            found.add(n.id)
        elif isinstance(n, (gast.Subscript,)) and isinstance(n.ctx, gast.Store) \
                and isinstance(n.value, gast.Name):
            found.add(n.value.id)
    return found


def _rename_loads(node, old: str, new: str) -> None:
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id == old:
            n.id = new
