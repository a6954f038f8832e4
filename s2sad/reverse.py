"""Stage 5: reverse mode.

The derivative runs the primal (the user's statements, in the user's order) and
then the adjoint sweep, which walks the statements backwards and propagates
cotangents with the inlined rules.  Values are restored, not recorded: before a
statement overwrites a variable whose old value some adjoint still needs, the
primal pushes that value on the tape, and the adjoint sweep pops it back in the
mirror position.  So at every point of the adjoint sweep all variables hold the
values they had at the same point of the primal, and rules can simply read them.

What is pushed is decided by a forward "pending reads" analysis: an assignment
saves the old value only if an adjoint reads it (branch conditions, loop bounds
and trip counts included).  Everything else costs nothing.
"""
from __future__ import annotations


import functools
from dataclasses import dataclass, field

import gast
import numpy as np

from . import rules
from .analysis import (call_arguments, definitions, differentiable_names, primitive_of,
                       walk_statements)
from .anf import TRIPS_ATTRIBUTE
from .astutil import (NameGenerator, assign, attr, call, clone, const, expr_stmt, helper,
                      index_value, index_written_names, loaded_names, mark_helpers, name,
                      parse_expr, stored_names)
from .custom import custom_jvp, custom_vjp
from .kinds import INT_SCALAR, UNKNOWN, Kind, expr_kind
from .lists import appended_parts, list_names, pop_statement
from .optimise import AdjointOptimiser, refuse_literal_options, simplify
from .runtime import split_forward
from .rules.binding import BindingError, bind_arguments, instantiate
from .source import FunctionSource, Unresolved
from .views import memory_sharing

# helper -> the argument it reads for its shape only
SHAPE_ONLY_HELPERS = {"unbroadcast": 1, "zeros_like": 0, "list_cotangent": 0}
ORIGIN = "s2sad_origin"   # on adjoint statements: id() of the primal statement they reverse
RESET = "s2sad_reset"     # on accumulator resets: id() of the assignment they follow
LINE = "s2sad_line"       # on adjoint statements: the text of the user's line they belong to
COMPOUND = "s2sad_compound"   # on adjoint ifs and loops: id() of the primal one
MATERIALISED = "s2sad_materialised"   # on `dx = zeros_like(x)`: (COMPOUND, where)
COMMENT = "__s2sad_comment__"   # marker call, turned into a comment by emit.to_source


@dataclass
class _Adjoint:
    """What one assignment contributes to the adjoint sweep."""
    core: list                      # contribution statements, reading `cotangent`
    cotangent: str
    self_reference: bool = False    # the target is also an operand (s = s * q)
    value_reads: set = field(default_factory=set)   # old values the core reads
    shape_reads: set = field(default_factory=set)   # ... only for their shape
    reads_output: bool = False      # the core reads the new value (exp, tanh)


@dataclass
class Sweeps:
    primal: list
    adjoint: list          # starts right after the output's cotangent is seeded
    output: gast.AST       # the returned atom
    none_inits: list       # names to bind to None first (pushed before first assigned)
    uses_tape: bool
    assigned: set          # names definitely bound when the primal ends


class ReverseMode:
    def __init__(self, src: FunctionSource, tree: gast.FunctionDef, names: NameGenerator,
                 varied: set, useful: set, kinds: dict, unseen_shifts: set = frozenset(),
                 outputs: set = frozenset()):
        self.src = src
        self.unseen_shifts = unseen_shifts   # ids of `z = x - m` whose dm is zero
        self.tree = tree
        self.names = names
        self.active = varied & useful
        self.varied = varied
        self.kinds = kinds
        params = tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs
        self.primal_params = {a.id for a in params}
        self.primal_names = stored_names(tree) | self.primal_params   # the locals
        self.outputs = set(outputs)   # several outputs (vjp of `return a, b`)
        self.adjoint_of: dict[str, str] = {}
        self.primal_of: dict[str, str] = {}   # the other way round
        self.cotangent_kinds: dict[str, Kind] = {}
        self.accumulators: set[str] = set()
        self.info: dict[int, _Adjoint] = {}
        self.saves: set[int] = set()
        self.none_inits: set[str] = set()
        self.tape = names.unique("tape")
        self.pushes = 0
        self.comments: list[str] = []
        self._first_seen: dict[str, int] = {}
        self.info_statements: list = []
        self.invariant: set[int] = set()
        self.lists = list_names(tree.body)   # their adjoints are stacked arrays
        self.definitions = definitions(tree.body)
        self.pops: set[int] = set()   # appends undone in the adjoint sweep (`xs.pop()`)
        self.snapshots: dict[int, list[str]] = {}   # loop id -> names saved per iteration
        self.sharing: dict[str, set] = {}   # name -> names that may view the same memory
        # (compound id, where) -> primal names whose shape a materialised zero reads
        self.materialised: dict[tuple, set] = {}

    # names ----------------------------------------------------------------

    def adjoint(self, primal: str) -> str:
        if primal not in self.adjoint_of:
            self.adjoint_of[primal] = self.names.unique("d" + primal)
            self.primal_of[self.adjoint_of[primal]] = primal
            self.cotangent_kinds[self.adjoint_of[primal]] = self.kinds.get(primal, UNKNOWN)
        return self.adjoint_of[primal]

    @property
    def adjoint_names(self) -> set[str]:
        return set(self.adjoint_of.values()) | set(self.cotangent_kinds)

    def kind_of(self, node) -> Kind:
        if isinstance(node, gast.Name) and node.id in self.cotangent_kinds:
            return self.cotangent_kinds[node.id]
        return expr_kind(node, self.kinds, self.src) or UNKNOWN

    # driver ---------------------------------------------------------------

    def run(self, live_out: set) -> Sweeps:
        """Both sweeps; `live_out` are the adjoints the caller returns."""
        body, final = self.tree.body[:-1], self.tree.body[-1]
        output = final.value if final.value is not None else const(None)
        self.collect(body)
        params = self.primal_params
        # Round one: the adjoint without restores, optimised, shows which primal
        # values the surviving statements read; only those are worth saving.
        _, draft, assigned = self.emit_block(body, params)
        draft = self.optimise(self.adjoint_prologue(output, assigned) + draft, live_out)
        self.record_reads(draft)
        self.pending(body, set(), set())
        self.plan_snapshots(body)
        primal, adjoint, assigned = self.emit_block(body, params)
        adjoint = self.optimise(self.adjoint_prologue(output, assigned) + adjoint, live_out)
        adjoint = self.annotate(adjoint)
        return Sweeps(primal, adjoint, output, sorted(self.none_inits),
                      self.pushes > 0, assigned)

    def optimise(self, adjoint: list, live_out: set) -> list:
        return self.optimiser().run(adjoint, live_out)

    def optimiser(self) -> AdjointOptimiser:
        accumulators = {self.adjoint_of[p] for p in self.accumulators if p in self.adjoint_of}
        return AdjointOptimiser(self.adjoint_names, accumulators, self.materialise,
                                self.is_scalar_item, self.same_shape)

    def same_shape(self, a: str, b: str) -> bool:
        """The names hold arrays of one shape: the same name, one made from the other
        by an elementwise operation with numbers (`b = a ** 2`), or the kinds show it
        (arrays whose axes are all known not to be 1, of the same ndim)."""
        if a == b or self.shaped_from(a, b) or self.shaped_from(b, a):
            return True
        ka, kb = self.kinds.get(a, UNKNOWN), self.kinds.get(b, UNKNOWN)
        return ka == kb and ka.ndim is not None and ka.ones is not None \
            and all(one is False for one in ka.ones) and not ka.integer

    def shaped_from(self, derived: str, source: str) -> bool:
        """`derived`'s one definition is `source` with numbers, elementwise."""
        bound = self.definitions.get(derived, [])
        if len(bound) != 1 or not isinstance(bound[0], gast.Assign):
            return False
        value = bound[0].value
        operands = [value.left, value.right] if isinstance(value, gast.BinOp) \
            and not isinstance(value.op, gast.MatMult) else \
            [value.operand] if isinstance(value, gast.UnaryOp) else None
        if operands is None:
            return False
        names = [o for o in operands if not isinstance(o, gast.Constant)]
        return len(names) == 1 and isinstance(names[0], gast.Name) and names[0].id == source

    def is_scalar_item(self, subscript: gast.Subscript) -> bool:
        """`dx[i]` is one number where `x[i]` is: reading it copies nothing."""
        primal = self.primal_of.get(getattr(subscript.value, "id", None))
        return primal is not None and self.kind_of(gast.Subscript(
            value=name(primal), slice=subscript.slice, ctx=gast.Load())).ndim == 0

    def materialise(self, adjoint: str, compound, where: str):
        """`dx = np.zeros_like(x)`: an adjoint that is zero on one path only, made an
        array there.  `where` is the primal point whose x it reads: the start of a
        branch ("body", "orelse"), after a loop ("after"), an iteration's start."""
        primal = self.primal_of.get(adjoint)
        if primal is None or self.kinds.get(primal, UNKNOWN).ndim == 0:
            return None   # scalars: 0.0 serves
        s = assign(adjoint, self.zeros(primal))
        setattr(s, MATERIALISED, (getattr(compound, COMPOUND), where))
        return s

    def adjoint_prologue(self, output, assigned: set) -> list:
        """Zero every adjoint (dead ones are removed later) but the outputs' (seeded
        by the caller); accumulators own arrays."""
        seeded = self.outputs | ({output.id} if isinstance(output, gast.Name) else set())
        prologue = []
        for primal in sorted(self.adjoint_of, key=self._order):
            if primal in seeded:
                continue
            if primal in self.accumulators:
                if primal not in assigned:   # first bound in a loop or branch: its adjoint
                    self.none_inits.add(primal)   # is made below, used only if it ran
                prologue.append(self.reset(primal))
            else:
                prologue.append(assign(self.adjoint(primal), const(0.0)))
        return prologue

    def _order(self, primal: str) -> int:
        return self._first_seen.get(primal, 1 << 30)

    # phase A: the contributions of each assignment -------------------------

    def collect(self, stmts) -> None:
        params = self.tree.args.posonlyargs + self.tree.args.args + self.tree.args.kwonlyargs
        self.invariant = _loop_invariant_definitions(stmts, self.src, {a.id for a in params})
        self.sharing = memory_sharing(stmts, self.src, self.is_basic_index, self.kinds)
        for s in walk_statements(stmts):
            for n in gast.walk(s):
                if isinstance(n, gast.Name):
                    self._first_seen.setdefault(n.id, len(self._first_seen))
            if not isinstance(s, gast.Assign):
                continue
            target = s.targets[0]
            parts = appended_parts(s)
            if parts is not None:
                if target.id not in self.active:
                    continue
                self.info[id(s)] = self.append_adjoint(*parts)
            elif isinstance(target, gast.Name) and target.id in self.active:
                self.info[id(s)] = self.assignment_adjoint(target.id, s.value, s)
            elif isinstance(target, gast.Subscript) and target.value.id in self.active:
                self.info[id(s)] = self.index_write_adjoint(target, s.value)
            else:
                continue
            self.info_statements.append(s)

    def assignment_adjoint(self, target: str, value, where) -> _Adjoint:
        operands = differentiable_names(value, self.src) & self.varied
        self_reference = target in operands
        cotangent = self.names.fresh("_g") if self_reference else self.adjoint(target)
        if self_reference:
            self.cotangent_kinds[cotangent] = self.kinds.get(target, UNKNOWN)
        g = name(cotangent)
        if isinstance(value, gast.Name):
            core = [self.accumulate(value.id, g)] if value.id in self.varied else []
        elif isinstance(value, gast.Constant) or not operands:
            core = []
        elif isinstance(value, gast.Subscript):
            core = [self.index_read_adjoint(value, g)]
        elif isinstance(value, gast.Attribute):   # only .T reaches here
            core = [self.accumulate(value.value.id, attr(g, "T"))]
        else:
            core = self.rule_adjoint(value, g, target, where)
        return _Adjoint(core, cotangent, self_reference)

    def append_adjoint(self, items: str, item) -> _Adjoint:
        """`items.append(item)` reversed: the last row of the stacked cotangent is the
        item's, and goes (see `lists`)."""
        self.accumulators.add(items)
        adjoint = self.adjoint(items)
        core = []
        if isinstance(item, gast.Name) and item.id in self.varied:
            last = gast.Subscript(value=name(adjoint), slice=const(-1), ctx=gast.Load())
            core.append(self.accumulate(item.id, last))
        core.append(assign(adjoint, gast.Subscript(
            value=name(adjoint), slice=gast.Slice(lower=None, upper=const(-1), step=None),
            ctx=gast.Load())))
        return _Adjoint(core, adjoint)

    def record_reads(self, adjoint: list) -> None:
        """Which primal values each statement's surviving adjoint code reads."""
        found: dict[int, tuple] = {}
        resets = set()
        for s in walk_statements(adjoint):
            origin = getattr(s, ORIGIN, None)
            if origin is not None:
                value_reads, shape_reads = found.setdefault(origin, (set(), set()))
                _split_reads(s, value_reads, shape_reads)
            if getattr(s, RESET, None) is not None:
                resets.add(getattr(s, RESET))
            if getattr(s, MATERIALISED, None) is not None:
                self.materialised.setdefault(getattr(s, MATERIALISED), set()).add(
                    s.value.args[0].id)
        for s in self.info_statements:
            info = self.info[id(s)]
            value_reads, shape_reads = found.get(id(s), (set(), set()))
            value_reads &= self.primal_names
            shape_reads = (shape_reads & self.primal_names) - value_reads
            target = s.targets[0]
            if isinstance(target, gast.Name) and not info.self_reference:
                x = target.id
                info.reads_output = x in value_reads or x in shape_reads
                value_reads.discard(x)
                shape_reads.discard(x)
            if id(s) in resets:   # zeros_like(x) after the restore: the old x's shape
                shape_reads.add(target.id)
            info.value_reads, info.shape_reads = value_reads, shape_reads

    def accumulate(self, primal: str, contribution) -> gast.Assign:
        adjoint = self.adjoint(primal)
        op = gast.Add()
        if isinstance(contribution, gast.UnaryOp) and isinstance(contribution.op, gast.USub):
            op, contribution = gast.Sub(), contribution.operand   # dx + -g  ->  dx - g
        return assign(adjoint, gast.BinOp(left=name(adjoint), op=op, right=contribution))

    def index_read_adjoint(self, value: gast.Subscript, g) -> gast.stmt:
        base = value.value.id
        if isinstance(value.slice, gast.Constant) and isinstance(value.slice.value, str):
            raise self.src.error(   # a dict s2sad did not split: returned by a call
                f"s2sad cannot differentiate this read of a dict ({value.slice.value!r}): "
                "the dict comes from a call s2sad differentiates as a whole", value,
                "call that function with array arguments, or read the dict in the "
                "function s2sad differentiates")
        self.accumulators.add(base)
        target = gast.Subscript(value=name(self.adjoint(base)), slice=clone(value.slice),
                                ctx=gast.Store())
        if self.is_basic_index(value.slice) or self.is_unique_index(value.slice):
            return gast.AugAssign(target=target, op=gast.Add(), value=g)
        target.ctx = gast.Load()
        return expr_stmt(call(helper("add_at"), target.value, index_value(target.slice), g))

    def index_write_adjoint(self, target: gast.Subscript, value) -> _Adjoint:
        base = target.value.id
        self.accumulators.add(base)
        adjoint = self.adjoint(base)
        part = gast.Subscript(value=name(adjoint), slice=clone(target.slice),
                              ctx=gast.Load())
        core = []
        if isinstance(value, gast.Name) and value.id in self.varied:
            if self.is_basic_index(target.slice):
                contribution = call(helper("unbroadcast"), part, value)
            else:   # repeated indices: only the last write reaches the array
                contribution = call(helper("written_cotangent"), name(adjoint),
                                    index_value(clone(target.slice)), value)
            core.append(self.accumulate(value.id, simplify(
                contribution, self.kind_of, self.kind_of(_load(target)))))
        zero = gast.Subscript(value=name(adjoint), slice=clone(target.slice),
                              ctx=gast.Store())
        core.append(assign(zero, const(0.0)))
        return _Adjoint(core, adjoint)

    def is_basic_index(self, index) -> bool:
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        for part in parts:
            if isinstance(part, gast.Slice):
                bounds = [b for b in (part.lower, part.upper, part.step) if b is not None]
                if any(self.kind_of(b) != INT_SCALAR for b in bounds):
                    return False
            elif isinstance(part, gast.Constant):
                if not (part.value is None or part.value is Ellipsis
                        or isinstance(part.value, int)):
                    return False
            elif self.kind_of(part) != INT_SCALAR and self.src.resolve(part) is not None:
                return False   # np.newaxis is None
        return True

    def is_unique_index(self, index) -> bool:
        """1-D integer arrays that index together, one of them made by np.arange, never
        written into and not stretched by broadcasting (its length is not 1): no two
        positions repeat (`logp[np.arange(n), y]`), so `+=` adds every entry."""
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        kinds = [self.kind_of(p) for p in parts]
        if not all(isinstance(p, gast.Name) and k.integer is True and k.ndim == 1
                   for p, k in zip(parts, kinds)):
            return False
        bound = definitions(self.tree.body)
        written = index_written_names(self.tree)
        return any(k.ones == (False,) and bound.get(p.id)
                   and not self.sharing.get(p.id, {p.id}) & written and all(
                       isinstance(s, gast.Assign) and isinstance(s.value, gast.Call)
                       and self.src.resolve(s.value.func) is np.arange for s in bound[p.id])
                   for p, k in zip(parts, kinds))

    def rule_adjoint(self, value, g, target: str, where) -> list:
        fn = primitive_of(value, self.src)
        rule = rules.lookup(fn)
        if rule is None or rule.nondiff:
            raise self.no_rule(fn, value, where)
        label = rules.describe(fn)
        args, keywords = call_arguments(value, self.src)
        try:
            bound = bind_arguments(rule, args, keywords)
        except BindingError as exc:
            raise self.src.error(f"s2sad cannot apply the rule for {label}: {exc}", where,
                                 "call the function with the arguments its rule names") from None
        mapping = dict(bound, g=g, ans=name(target), fn=clone(value.func)
                       if isinstance(value, gast.Call) else const(None))
        literals = {p.name for p in rule.params if not (p.sequence or p.variadic)
                    and isinstance(bound.get(p.name), (gast.List, gast.Tuple))
                    and self.active_leaves(_leaves(bound[p.name]))}
        for literal in literals:   # np.sum([x, y]): the rule sees np.asarray([x, y])
            mapping[literal] = call(attr(helper("np"), "asarray"), bound[literal])
        for p in rule.params:   # np.mean(hs, axis=0) on a list: on the array it makes
            node = bound.get(p.name)
            if not (p.sequence or p.variadic) and isinstance(node, gast.Name) \
                    and node.id in self.lists:
                mapping[p.name] = call(attr(helper("np"), "asarray"), node)
        output_kind = self.kinds.get(target, UNKNOWN)
        core = []
        shared = {} if id(where) in self.unseen_shifts else \
            self.joint_cotangents(rule, bound, mapping, literals, core)
        for param in rule.params:
            node = bound.get(param.name)
            if node is None:
                continue
            sequence = isinstance(node, gast.Tuple) and (param.sequence or param.variadic) \
                or param.name in literals
            stacked = param.name in rule.stacked and isinstance(node, gast.Name) \
                and node.id in self.lists   # its cotangent: one array, a row per item
            active = self.active_leaves(_leaves(node) if sequence else [((), node)])
            if not active:
                continue
            if id(where) in self.unseen_shifts and param is rule.params[1]:   # x - m: m
                core.append(self.comment("the result does not depend on this shift: it "
                                         "gets no derivative"))
                continue
            if param.name not in rule.vjp:
                raise self.src.error(
                    f"s2sad has no derivative of {label} with respect to its argument "
                    f"{param.name!r}", where,
                    f"pass a constant for {param.name!r}, or register a rule with "
                    f"s2sad.defvjp({label}, ..., d{param.name}='...')")
            if param.name in shared:
                core.append(self.accumulate(node.id, shared[param.name]))
                continue
            template = mark_helpers(rule.template(param.name, stacked), set(mapping))
            contribution = simplify(instantiate(template, mapping), self.kind_of, output_kind)
            refuse_literal_options(contribution, self.src, where)
            if param.name in literals:   # one cotangent per item of the literal
                contribution = call(helper("array_adjoint"), contribution, clone(node))
            if isinstance(node, gast.Name) and node.id in self.lists and not stacked:
                contribution = call(attr(helper("np"), "asarray"), contribution)   # rows
            if not sequence:
                core.append(self.accumulate(node.id, contribution))
                _merge_repeated_operand(core)
                continue
            parts = self.names.fresh("_parts")
            self.cotangent_kinds[parts] = UNKNOWN
            core.append(assign(parts, contribution))
            for path, leaf in active:   # _parts[i][j] is the cotangent of item [i][j]
                part = name(parts)
                for index in path:
                    part = gast.Subscript(value=part, slice=const(index), ctx=gast.Load())
                core.append(self.accumulate(leaf.id, part))
        return core

    def joint_cotangents(self, rule, bound: dict, mapping: dict, literals: set,
                         core: list) -> dict:
        """Where every parameter of the rule's joint template needs a cotangent (and
        none is a list or a shift): one call, `_parts = solve_adjoints(...)`, and each
        its item."""
        if not rule.joint:
            return {}
        together, template = rule.joint
        nodes = [bound.get(p) for p in together]
        if any(not isinstance(n, gast.Name) or n.id not in self.varied or n.id in self.lists
               or p in literals for p, n in zip(together, nodes)):
            return {}
        parts = self.names.fresh("_parts")
        self.cotangent_kinds[parts] = UNKNOWN
        core.append(assign(parts, instantiate(mark_helpers(parse_expr(template), set(mapping)),
                                              mapping)))
        return {p: gast.Subscript(value=name(parts), slice=const(i), ctx=gast.Load())
                for i, p in enumerate(together)}

    def active_leaves(self, leaves) -> list:
        """The (path, item) pairs whose item is a name that needs a derivative."""
        return [(path, leaf) for path, leaf in leaves
                if isinstance(leaf, gast.Name) and leaf.id in self.varied]

    def no_rule(self, fn, value, where) -> Exception:
        called = gast.unparse(value.func) if isinstance(value, gast.Call) and \
            hasattr(gast, "unparse") else None
        if fn is Unresolved:
            what = f"'{called}'" if called else "this operation"
            return self.src.error(
                f"s2sad cannot tell which function {what} is when it transforms the code "
                "(a parameter, a local variable, or a method of an unknown object)", where,
                "call a module-level function or a NumPy function directly (a closure "
                "made by a factory: call the factory outside the differentiated function "
                "and use the closure inside), or register a rule for the function with "
                "s2sad.defvjp")
        if fn in (map, filter, functools.reduce):
            return self.src.error(f"s2sad does not differentiate through {fn.__name__}()",
                                  where, "write a comprehension or a loop instead")
        if getattr(fn, "has_aux", False):   # s2sad.grad(f, has_aux=True)
            return self.src.error(f"s2sad cannot differentiate a call of {fn!r} with "
                                  "has_aux", where, "call the derivative without has_aux "
                                  "here, and compute the aux values apart")
        label = rules.describe(fn)
        setter = {custom_vjp: "defvjp(fwd, bwd)", custom_jvp: "defjvp(rule)"}.get(type(fn))
        if setter is not None:
            return self.src.error(f"{label} has no rule yet", where,
                                  f"give it one with {fn.__name__}.{setter} before calling it")
        return self.src.error(
            f"s2sad has no derivative rule for {label}", where,
            f"register one with s2sad.defvjp({label}, 'x', dx='g * ...'), or mark it "
            f"non-differentiable with s2sad.defnondiff({label})")

    # phase B: which assignments must save the value they overwrite ---------

    def pending(self, stmts, values: set, shapes: set):
        """Walk forward, tracking old values adjoints still read; mark saves.

        Pending sets only grow while loops settle, so a save marked on the way is
        also needed at the fixpoint.
        """
        for s in stmts:
            if isinstance(s, gast.Assign):
                self.pending_assign(s, values, shapes)
            elif isinstance(s, gast.If):
                bv, bs = self.pending(s.body, set(values), shapes | self.zeros_at(s, "body"))
                ev, es = self.pending(s.orelse, set(values),
                                      shapes | self.zeros_at(s, "orelse"))
                values.clear(), shapes.clear()
                values |= bv | ev
                shapes |= bs | es
                if self.reversed(s):   # the adjoint evaluates the test again
                    values |= loaded_names(s.test)
            elif isinstance(s, (gast.For, gast.While)):
                self.pending_loop(s, values, shapes)
                shapes |= self.zeros_at(s, "after")
        return values, shapes

    def zeros_at(self, compound, where: str) -> set:
        """Primal names whose shape a materialised zero reads at that point."""
        return self.materialised.get((id(compound), where), set())

    def reversed(self, compound) -> bool:
        """Whether a branch or loop has anything to do in the adjoint sweep."""
        return any(id(n) in self.info or id(n) in self.saves
                   for n in walk_statements(compound.body + compound.orelse))

    def pending_assign(self, s: gast.Assign, values: set, shapes: set) -> None:
        info = self.info.get(id(s))
        if info is not None:
            values |= info.value_reads
            shapes |= info.shape_reads
        target = s.targets[0]
        if appended_parts(s) is not None:   # undone by `xs.pop()` where still read
            if target.id in values or target.id in shapes:
                self.pops.add(id(s))
            return
        if isinstance(target, gast.Subscript):   # also changes views of the same memory
            if self.sharing.get(target.value.id, {target.value.id}) & values:
                self.saves.add(id(s))
            values |= loaded_names(target.slice)
            return
        x = target.id
        if (x in values or x in shapes) and id(s) not in self.invariant:
            self.saves.add(id(s))
        values.discard(x)
        shapes.discard(x)
        if info is not None and info.reads_output:
            values.add(x)

    def pending_loop(self, loop, values: set, shapes: set) -> None:
        index = loop.target.id if isinstance(loop, gast.For) else None
        if index in values or index in shapes:
            self.saves.add(id(loop))   # the loop rebinds an index an adjoint still reads
        start = self.zeros_at(loop, "start")
        head_v, head_s = values - {index}, (shapes | start) - {index}
        while True:
            end_v, end_s = self.pending(loop.body, set(head_v), set(head_s))
            new_v, new_s = (values | end_v) - {index}, (shapes | end_s | start) - {index}
            if (new_v, new_s) == (head_v, head_s):
                break
            head_v, head_s = new_v, new_s
        values.clear(), shapes.clear()
        values |= head_v
        shapes |= head_s
        if self.reversed(loop):   # the reversed loop needs its range, or its trip count
            if index is not None:
                values |= loaded_names(loop.iter)
            trips = getattr(loop, TRIPS_ATTRIBUTE, None)
            if trips:
                values.add(trips)

    def plan_snapshots(self, body) -> None:
        """Temporaries made afresh in every iteration are saved once per iteration, at
        its end, and restored at the start of its reversal: one push for all of them,
        and nothing to save (or to bind to None) before the first iteration.

        Only for loops whose iterations always run to the end (no break), for names
        whose one definition is a top-level statement of the loop body that nothing
        earlier in the body reads."""
        bound = definitions(body)
        for loop in walk_statements(body):
            if not isinstance(loop, gast.For) or getattr(loop, TRIPS_ATTRIBUTE, None):
                continue
            chosen, read_before = [], set()
            for s in loop.body:
                target = s.targets[0] if isinstance(s, gast.Assign) else None
                if isinstance(target, gast.Name) and id(s) in self.saves \
                        and target.id not in self.lists \
                        and len(bound[target.id]) == 1 \
                        and target.id not in read_before | self.primal_params:
                    self.saves.discard(id(s))
                    chosen.append(target.id)
                read_before |= loaded_names(s)
            if chosen:
                self.snapshots[id(loop)] = chosen

    # phase C: the two sweeps ------------------------------------------------

    def emit_block(self, stmts, assigned: set):
        """(primal statements, adjoint statements, names definitely assigned after)."""
        primal, adjoint = [], []
        for s in stmts:
            p, a, assigned = self.emit(s, assigned)
            primal += p
            adjoint[:0] = a
        return primal, adjoint, assigned

    def emit(self, s, assigned: set):
        if isinstance(s, gast.Assign):
            return self.emit_assign(s, assigned)
        if isinstance(s, gast.If):
            pb, ab, assigned_b = self.emit_block(s.body, set(assigned))
            pe, ae, assigned_e = self.emit_block(s.orelse, set(assigned))
            primal = gast.If(test=s.test, body=pb or [gast.Pass()], orelse=pe)
            adjoint = [self.compound(gast.If(test=clone(s.test), body=ab or [gast.Pass()],
                                             orelse=ae), s, assigned, ("body", "orelse"))] \
                if ab or ae else []
            return [primal], adjoint, assigned_b & assigned_e
        if isinstance(s, gast.For):
            return self.emit_for(s, assigned)
        if isinstance(s, gast.While):
            pb, ab, _ = self.emit_block(s.body, set(assigned))
            primal = gast.While(test=s.test, body=pb, orelse=[])
            if not ab:
                return [primal], [], assigned
            trips = getattr(s, TRIPS_ATTRIBUTE)
            loop = gast.For(target=name(self.names.unique("_"), store=True),
                            iter=call(name("range"), name(trips)), body=ab, orelse=[],
                            type_comment=None)
            return [primal], [self.compound(loop, s, assigned, ("after", "start"))], assigned
        return [s], [], assigned

    def compound(self, adjoint, primal, assigned: set, points: tuple):
        """Link an adjoint if/loop to its primal one; names whose shape a materialised
        zero reads at `points` but that may be unbound there start as None."""
        setattr(adjoint, COMPOUND, id(primal))
        for where in points:
            self.none_inits |= self.zeros_at(primal, where) - assigned
        return adjoint

    def emit_assign(self, s: gast.Assign, assigned: set):
        target = s.targets[0]
        primal, restore = [], []
        if appended_parts(s) is not None:
            return self.emit_append(s, assigned)
        if id(s) in self.saves:
            if isinstance(target, gast.Subscript):
                old = call(attr(_load(target), "copy"))
                if target.value.id in self.lists:   # a list item is rebound, not changed
                    old = _load(target)
                restore_target = clone(target)
            else:
                old = name(target.id)
                restore_target = name(target.id, store=True)
                if target.id not in assigned:
                    self.none_inits.add(target.id)
            primal.append(self.push(old))
            restore.append(assign(restore_target, self.pop()))
        primal.append(s)
        if isinstance(target, gast.Name):
            assigned = assigned | {target.id}
        info = self.info.get(id(s))
        if info is None:
            return primal, restore, assigned
        core = clone(info.core)   # the optimiser edits statements in place
        for statement in core:
            setattr(statement, ORIGIN, id(s))
        if isinstance(target, gast.Subscript):
            return primal, self.located(core + restore, s), assigned
        x = target.id
        reset = self.reset(x)
        setattr(reset, RESET, id(s))
        if info.self_reference:
            adjoint = [assign(info.cotangent, name(self.adjoint(x)))] + restore + [reset] + core
        else:
            adjoint = core + restore + [reset]
        return primal, self.located(adjoint, s), assigned

    def emit_append(self, s: gast.Assign, assigned: set):
        items = s.targets[0].id
        restore = [pop_statement(items)] if id(s) in self.pops else []
        info = self.info.get(id(s))
        core = clone(info.core) if info is not None else []
        for statement in core:
            setattr(statement, ORIGIN, id(s))
        return [s], self.located(core + restore, s), assigned | {items}

    def located(self, adjoint: list, primal) -> list:
        for statement in adjoint:
            setattr(statement, LINE, self.src.line_text(primal))
        return adjoint

    def comment(self, text: str) -> gast.Expr:
        """A statement emit turns into `# text`."""
        self.comments.append(text)
        return expr_stmt(call(name(COMMENT), const(len(self.comments) - 1)))

    def annotate(self, stmts: list) -> list:
        """Put a comment naming the user's line above each run of adjoint statements."""
        out, previous = [], None
        for s in stmts:
            for block in ("body", "orelse"):
                if getattr(s, block, None):
                    setattr(s, block, self.annotate(getattr(s, block)))
            line = getattr(s, LINE, None)
            if line is not None and line != previous:
                out.append(self.comment(line))
            previous = line
            out.append(s)
        return out

    def emit_for(self, s: gast.For, assigned: set):
        index = s.target.id
        primal, after = [], []
        if id(s) in self.saves:
            if index not in assigned:
                self.none_inits.add(index)
            primal.append(self.push(name(index)))
            after.append(assign(index, self.pop()))
        pb, ab, _ = self.emit_block(s.body, assigned | {index})
        snapshot = self.snapshots.get(id(s))
        if snapshot:   # one push per iteration, at its end; popped first when reversed
            names = [name(n) for n in snapshot]
            pb.append(self.push(names[0] if len(names) == 1 else
                                gast.Tuple(elts=names, ctx=gast.Load())))
            stored = [name(n, store=True) for n in snapshot]
            ab.insert(0, assign(stored[0] if len(stored) == 1 else
                                gast.Tuple(elts=stored, ctx=gast.Store()), self.pop()))
        primal.append(gast.For(target=s.target, iter=s.iter, body=pb, orelse=[],
                               type_comment=None))
        if not ab:
            return primal, after, assigned
        visited = clone(s.iter)
        trips = getattr(s, TRIPS_ATTRIBUTE, None)
        if trips:
            visited = gast.Subscript(value=visited, slice=gast.Slice(
                lower=None, upper=name(trips), step=None), ctx=gast.Load())
        loop = gast.For(target=name(index, store=True), iter=call(name("reversed"), visited),
                        body=ab, orelse=[], type_comment=None)
        return primal, [self.compound(loop, s, assigned, ("after", "start"))] + after, assigned

    def reset(self, primal: str) -> gast.Assign:
        if primal in self.accumulators:
            return assign(self.adjoint(primal), self.zeros(primal))
        return assign(self.adjoint(primal), const(0.0))

    def zeros(self, primal: str) -> gast.Call:
        if primal in self.lists:
            return call(helper("list_cotangent"), name(primal))
        if self.kinds.get(primal, UNKNOWN).ndim is None:   # a tuple, maybe
            return call(helper("cotangent_zeros"), name(primal))
        return call(attr(helper("np"), "zeros_like"), name(primal))

    def push(self, value) -> gast.Expr:
        self.pushes += 1
        return expr_stmt(call(attr(name(self.tape), "append"), value))

    def pop(self) -> gast.Call:
        return call(attr(name(self.tape), "pop"))


def _loop_invariant_definitions(stmts, src, params: set) -> set:
    """ids of assignments that give their name the same value every time they run:
    the name's only definition (not a parameter), inside loops that change none of
    its operands.  Such a value never needs saving (the loop-invariant `_t = x - y`)."""
    bound = definitions(stmts)
    found = set()

    def visit(block, outermost_loop):
        for s in block:
            loop = outermost_loop
            if isinstance(s, (gast.For, gast.While)) and loop is None:
                loop = s
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) \
                    and outermost_loop is not None \
                    and s.targets[0].id not in params \
                    and len(bound[s.targets[0].id]) == 1 \
                    and _pure(s.value, src) \
                    and not loaded_names(s.value) & _changed_in(outermost_loop):
                found.add(id(s))
            for block in ("body", "orelse"):
                visit(getattr(s, block, None) or [], loop)

    visit(stmts, None)
    return found


def _changed_in(loop) -> set:
    return stored_names(loop) | index_written_names(loop)


def _pure(value, src) -> bool:
    """Only operators and functions with rules: same operands, same result (but a
    user's `fwd`, run by split_forward, may draw random numbers)."""
    return all(rules.lookup(fn) is not None and fn is not split_forward
               for fn in (primitive_of(n, src) for n in gast.walk(value)
                          if isinstance(n, gast.Call)))


def _merge_repeated_operand(core: list) -> None:
    """`x * x` gives x the same contribution twice: `dx = dx + 2 * (g * x)`, not two
    statements (the last two of `core` when they are alike)."""
    if len(core) < 2 or not all(isinstance(s, gast.Assign) for s in core[-2:]):
        return
    first, second = core[-2:]
    if gast.dump(first) == gast.dump(second) and isinstance(first.value, gast.BinOp) \
            and isinstance(first.value.op, gast.Add):
        first.value.right = gast.BinOp(left=const(2), op=gast.Mult(), right=first.value.right)
        del core[-1]


def _leaves(node, path=()):
    """(index path, item) of a literal, possibly nested, list or tuple."""
    if isinstance(node, (gast.List, gast.Tuple)):
        for index, item in enumerate(node.elts):
            yield from _leaves(item, path + (index,))
    else:
        yield path, node


def _load(target: gast.Subscript) -> gast.Subscript:
    return gast.Subscript(value=name(target.value.id), slice=clone(target.slice),
                          ctx=gast.Load())


def _split_reads(node, value_reads: set, shape_reads: set) -> None:
    """Names read for their value vs. only for their shape (unbroadcast(g, x))."""
    if isinstance(node, gast.Call):
        func = node.func
        helper_name = func.attr if isinstance(func, gast.Attribute) and \
            isinstance(func.value, gast.Name) and func.value.id == "np" else \
            getattr(func, "id", None)
        shape_arg = SHAPE_ONLY_HELPERS.get(helper_name)
        if shape_arg is not None and len(node.args) > shape_arg \
                and isinstance(node.args[shape_arg], gast.Name):
            for i, arg in enumerate(node.args):
                if i == shape_arg:
                    shape_reads.add(arg.id)
                else:
                    _split_reads(arg, value_reads, shape_reads)
            return
    if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
        value_reads.add(node.id)
        return
    for child in gast.iter_child_nodes(node):
        _split_reads(child, value_reads, shape_reads)
