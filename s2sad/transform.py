"""The pipeline: parsed function -> generated derivative functions.

    (read_function, check_supported: once per function, in api)
    normalise -> to_anf -> analyses -> ReverseMode (primal + adjoint sweeps,
    optimised) -> emit (source, compile)
"""
from __future__ import annotations

import builtins
import dataclasses
from dataclasses import dataclass

import gast
import numpy as np

from .analysis import useful_names, varied_names
from .anf import to_anf
from .astutil import (HELPER_MARK, NameGenerator, all_names, assign, attr, call, const,
                      clone, copy_location, helper, parameter_names, index_written_names,
                      loaded_names, name, name_counts, stored_names, substitute)
from .comprehensions import lower_comprehensions
from .inplace import lower_in_place_calls
from .custom import stop_gradient
from .deadcode import drop_dead, leave_out_unneeded, purity_check
from .emit import compile_functions, to_source
from .forward import ForwardMode
from .forward_batched import BatchedForwardMode
from .inline import inline_calls
from .structures import (Flattened, flatten, leaf_kinds, literal_leaves, literal_structure,
                         rebuilt)
from .lists import as_method_calls, grown_names, refuse_shared_lists
from .kinds import UNKNOWN, Structure, dtype_of_key, infer_kinds
from .normalise import normalise
from .optimise import inline_temporaries, prefer_methods, simplify, surely_arrays
from .reverse import ReverseMode, Sweeps
from .shifts import invariant_shifts
from .rules import TEMPLATE_NAMESPACE
from .source import FunctionSource, Unresolved
from .views import (augmented_names, fresh_arrays, refuse_augmented_views,
                    refuse_writes_through_views)


@dataclass
class Generated:
    source: str
    functions: dict


def reverse_transform(src: FunctionSource, wrt: tuple[str, ...], kinds: dict,
                      split: bool, float64_arrays: frozenset = frozenset(),
                      with_value: bool = True, has_aux: bool = False) -> Generated:
    """Generate `d_<f>(*params) -> (value, gradients)` (without `with_value`: the
    gradients alone), or with `split` the pair `<f>_forward(*params) -> (value,
    residuals)` / `<f>_backward(residuals, cotangent)`.

    `float64_arrays`: parameters the call passes float64 arrays for; their gradients
    are returned as computed where nothing in the function changes dtypes.
    `has_aux`: the function returns `(value, aux)`; aux comes back with the value
    (`((value, aux), gradients)`) or, without `with_value`, as `(gradients, aux)`."""
    p = _prepare(src, wrt, kinds, split, float64_arrays, has_aux)
    src, names = p.src, p.names
    tree = normalise(src, names)
    tree = to_anf(tree, varied_names(tree.body, p.inputs, src), src, names)
    refuse_shared_lists(tree.body, src)
    varied = varied_names(tree.body, p.inputs, src)
    output = tree.body[-1].value
    outputs = set(p.several) if p.several else \
        ({output.id} if isinstance(output, gast.Name) else set())
    useful = useful_names(tree.body, outputs, src)
    all_kinds = infer_kinds(tree.body, {q: p.kinds.get(q, UNKNOWN) for q in p.params}, src)
    shifts = invariant_shifts(tree.body, gast.Tuple(elts=[name(o) for o in p.several],
                                                    ctx=gast.Load()) if p.several else output,
                              all_kinds, src)
    mode = ReverseMode(src, tree, names, varied, useful, all_kinds, shifts, set(p.several))
    returned = [q for q in (p.params if split else p.wrt) if q in p.inputs]
    live_out = {mode.adjoint(q) for q in returned if q in varied & useful}
    sweeps = mode.run(live_out)
    temporaries = names.made.get("_t", set())
    refuse_augmented_views(p.augmented, tree.body, all_kinds, src, mode.is_basic_index,
                           temporaries)
    refuse_writes_through_views(tree.body, varied, all_kinds, src, mode.is_basic_index,
                                temporaries)
    # `grad` returns no value: one its kind shows to be a scalar needs no check either
    value_needed = split or with_value or mode.kind_of(output).ndim != 0 \
        or getattr(output, "id", None) in mode.accumulators
    returned_names = live_out | set(p.params) | set(p.several) \
        | (loaded_names(output) if value_needed else set()) | ({p.aux} if p.aux else set())
    _optimise_primal(sweeps, mode, names, returned_names,
                     _all_float64(p.params, all_kinds, p.float64_arrays, src))
    exact = set() if _changes_dtypes(src) else p.float64_arrays & set(p.wrt)
    builder = _Builder(src, tree, names, mode, sweeps, p.params, exact, p.several,
                       p.returned)
    functions = _functions(builder, p, wrt, split, value_needed, with_value)
    bindings = _bindings(functions, src, names)
    source = to_source(functions, mode.comments)
    compiled = compile_functions(source, [f.name for f in functions], bindings, src.func)
    return Generated(source, compiled)


def forward_transform(src: FunctionSource, kinds: dict, constants: frozenset = frozenset(),
                      with_value: bool = True, batched: bool = False) -> Generated:
    """Generate `<f>_jvp(*params, *tangents) -> (value, tangent)`: forward mode, a
    tangent for every parameter that is not an integer nor one of `constants` (the
    others take None).  Without `with_value`, the tangent alone, and only what it
    needs is computed.  `batched`: each tangent carries a leading axis of basis
    vectors (one parameter has a tangent); raises `NotBatchable` where a rule has no
    batch form."""
    params = parameter_names(src.tree)
    p = _prepare(src, tuple(params), kinds, True, frozenset(), False)
    p.inputs -= {leaf for q in constants for leaf in (
        p.flattened.leaf_names(q) if p.flattened else [q])}
    src, names = p.src, p.names
    tree = normalise(src, names)
    tree = to_anf(tree, varied_names(tree.body, p.inputs, src), src, names,
                  reverse=False)
    refuse_shared_lists(tree.body, src)
    varied = varied_names(tree.body, p.inputs, src)
    all_kinds = infer_kinds(tree.body, {q: p.kinds.get(q, UNKNOWN) for q in p.params}, src)
    if batched:
        batch = names.unique("_batch")
        mode = BatchedForwardMode(src, tree, names, varied, all_kinds, batch=batch)
    else:
        mode = ForwardMode(src, tree, names, varied, all_kinds)
    body = mode.block(tree.body[:-1])
    body = [assign(mode.tangent(q), mode.zero_of(name(q)))   # b = a * b, b constant
            for q in p.params if q in varied and q not in p.inputs] + body
    if batched:   # the number of basis vectors, from the tangent given
        given = mode.tangent(sorted(p.inputs)[0])
        body.insert(0, assign(batch, call(helper("len"), name(given))))
    output = tree.body[-1].value
    outputs = [name(o) for o in p.several] if p.several else [output]
    tangents = [mode.tangent_node(o) if isinstance(o, gast.Name) else None for o in outputs]
    tangents = [mode.output_tangent(t, clone(o)) if t is not None else mode.zero_of(clone(o))
                for t, o in zip(tangents, outputs)]
    if p.several:
        paths = [path for path, _ in p.returned.leaves()]
        value = rebuilt(p.returned, dict(zip(paths, outputs)))
        tangent = rebuilt(p.returned, dict(zip(paths, tangents)))
    else:
        value, tangent = outputs[0], tangents[0]
    written = (index_written_names(tree) | grown_names(tree.body)) & set(p.params)
    copies = [assign(q, call(helper("private_copy"), name(q))) for q in sorted(written)] + [
        assign(mode.tangent(q), call(helper("private_copy"), name(mode.tangent(q))))
        for q in sorted(written & p.inputs)]
    tangent_params = [mode.tangent(q) if q in p.inputs else names.unique("_no_tangent")
                      for q in p.params]
    returned = gast.Tuple(elts=[value, tangent], ctx=gast.Load()) if with_value else tangent
    body = drop_dead(body, loaded_names(returned), purity_check(src, mode.kind_of))
    body = copies + as_method_calls(body) + [gast.Return(value=returned)]
    function = _function_def(names.unique(src.name + "_jvp"), p.params + tangent_params, body)
    if p.flattened:
        function = _with_containers(function, p.flattened, mode.tangent, constants)
    bindings = _bindings([function], src, names)
    source = to_source([function], [])
    compiled = compile_functions(source, [function.name], bindings, src.func)
    return Generated(source, compiled)


@dataclass
class _Prepared:
    """The function made ready for the analyses: helpers inlined, containers split."""
    src: FunctionSource
    names: NameGenerator
    flattened: Flattened | None
    kinds: dict              # of the parameters, leaves of containers included
    float64_arrays: frozenset
    wrt: tuple               # the parameters (leaves) whose gradients are returned
    params: list
    inputs: set              # the parameters that get derivatives
    augmented: list          # the `x += v` statements, as written
    aux: str | None          # the variable holding `aux` (has_aux)
    several: list            # the outputs' variables, for `return a, b` (vjp)
    returned: Structure | None   # the structure they are returned in


def _prepare(src: FunctionSource, wrt: tuple, kinds: dict, split: bool,
             float64_arrays: frozenset, has_aux: bool) -> _Prepared:
    src = dataclasses.replace(src, tree=clone(src.tree))
    # new names must not shadow anything the function can see
    names = NameGenerator(all_names(src.tree) | set(TEMPLATE_NAMESPACE)
                          | set(src.func.__globals__) | set(vars(builtins)))
    lower_comprehensions(src, names)
    lower_in_place_calls(src)
    src = inline_calls(src, names)
    src, flattened = flatten(src, kinds, parameter_names(src.tree) if split else wrt, names)
    # from here on, the leaves of containers are parameters of their own; containers
    # left whole are objects of unknown kind
    kinds = {p: UNKNOWN if isinstance(k, Structure) else k for p, k in kinds.items()}
    if flattened:
        kinds.update(leaf_kinds(flattened))
        float64_arrays = float64_arrays | {leaf for leaf, key in flattened.leaf_keys.items()
                                           if dtype_of_key(key) == np.float64}
        wrt = tuple(leaf for p in wrt for leaf in flattened.leaf_names(p))
    params = parameter_names(src.tree)
    inputs = {p for p in (params if split else wrt) if not kinds.get(p, UNKNOWN).integer}
    augmented = augmented_names(src.tree)
    aux = _split_aux(src, names) if has_aux else None
    several, returned = _split_outputs(src, names) if split else ([], None)
    return _Prepared(src, names, flattened, kinds, float64_arrays, wrt, params, inputs,
                     augmented, aux, several, returned)


def _optimise_primal(sweeps: Sweeps, mode: ReverseMode, names: NameGenerator,
                     returned: set, float64_only: bool) -> None:
    """What only the value needed left out, temporaries put back, methods preferred."""
    sweeps.primal = _leave_out_unneeded(sweeps, mode, names, returned, float64_only)
    sweeps.adjoint = mode.optimiser().narrow_broadcasts(sweeps.adjoint)   # new shape reads
    sweeps.primal = inline_temporaries(sweeps.primal, _single_use_temporaries(sweeps, names),
                                       mode.tape)
    prefer_methods(sweeps.primal, mode.kind_of, mode.src.resolve)
    sweeps.primal = as_method_calls(sweeps.primal)


def _functions(builder: "_Builder", p: _Prepared, wrt: tuple, split: bool,
               value_needed: bool, with_value: bool) -> list:
    """The generated function definitions, taking containers where `f` does."""
    def with_containers(function):
        return _with_containers(function, p.flattened) if p.flattened else function
    if split:
        forward, backward = builder.split_functions(p.inputs, _regroup_all(p.flattened))
        return [with_containers(forward), backward]
    return [with_containers(builder.combined_function(
        p.wrt, value_needed, with_value, _regroup(wrt, p.flattened), p.aux))]


class _Builder:
    def __init__(self, src, tree, names, mode: ReverseMode, sweeps: Sweeps, params,
                 exact: set, several: list | None = None, returned=None):
        self.src, self.tree, self.names, self.mode = src, tree, names, mode
        self.sweeps = sweeps
        self.params = params
        self.output = sweeps.output
        self.out_adjoint = (mode.adjoint_of.get(self.output.id)
                            if isinstance(self.output, gast.Name) else None)
        self.exact = exact   # parameters whose arrays' gradients need no conversion
        self.several = several   # the outputs' names where the function returns a tuple
        self.paths = [path for path, _ in returned.leaves()] if returned else []
        self.returned = returned   # ... or a dict, list or nest: its structure

    def gradient(self, param: str, surely_arrays: set = frozenset()):
        """The returned gradient: made the shape and type of `param` once per call,
        unless it surely is a float64 array of its shape already."""
        adjoint = self.mode.adjoint_of.get(param)
        if param in self.exact and adjoint in surely_arrays \
                and self.mode.kinds.get(param, UNKNOWN).array:
            return name(adjoint)
        value = name(adjoint) if adjoint else const(0.0)
        return call(helper("as_gradient"), value, name(param))

    def seed(self, cotangent) -> list:
        if self.several:   # one cotangent per output: cotangent[i], cotangent["k"]
            return [assign(self.mode.adjoint_of[o], _item(cotangent, path))
                    for o, path in zip(self.several, self.paths) if o in self.mode.adjoint_of]
        if self.out_adjoint is None:
            return []
        if self.output.id in self.mode.accumulators:  # updated in place: own a copy
            cotangent = gast.BinOp(left=call(attr(helper("np"), "zeros_like"), self.output),
                                   op=gast.Add(), right=cotangent)
        return [assign(self.out_adjoint, cotangent)]

    def prologue(self, extra_nones=()) -> list:
        written = self.may_write_into()
        copies = [assign(p, call(helper("private_copy"), name(p)))
                  for p in self.params if p in written]
        tape = [assign(self.mode.tape, gast.List(elts=[], ctx=gast.Load()))] \
            if self.sweeps.uses_tape else []
        nones = [assign(n, const(None))
                 for n in sorted(set(self.sweeps.none_inits) | set(extra_nones))]
        return copies + tape + nones

    def may_write_into(self) -> set:
        """Parameters the function may write into by index, directly or through a
        view (`row = X[i]; row[0] = 1`): they get private copies, so the caller's
        arrays never change."""
        written = index_written_names(self.sweeps.primal)
        views = written - set(self.params) - fresh_arrays(self.tree.body, self.src)
        active_views = views & self.mode.varied
        if active_views:
            raise self.src.error(
                f"s2sad cannot differentiate writes into {sorted(active_views)[0]!r}, which may "
                "be a view of another array (what the write changes there is not tracked)",
                self.src.tree, "write into the array itself, or into a copy (a = x.copy())")
        if views:
            return {p for p in self.params if self.mode.kinds.get(p, UNKNOWN).ndim != 0}
        return (written | grown_names(self.tree.body)) & set(self.params)

    def function(self, fname: str, params: list, body: list) -> gast.FunctionDef:
        return _function_def(fname, params, body)

    def combined_function(self, wrt, value_needed: bool, with_value: bool,
                          regroup, aux: str | None = None) -> gast.FunctionDef:
        """`value_needed`: the seed checks the value is a scalar (its kind does not
        say so), or `with_value` returns it.  `regroup` makes the returned gradients
        from those of the parameters in `wrt`; `aux` names what goes back beside them."""
        seed = call(helper("scalar_seed"), clone(self.output)) if value_needed else const(1.0)
        adjoint, seeded = self.sweeps.adjoint, False
        if isinstance(seed, gast.Constant) and self.out_adjoint is not None \
                and self.output.id not in self.mode.accumulators:   # `d = 1.0`, a float
            adjoint, seeded = _propagated(self.out_adjoint, seed, adjoint, self.mode)
        if not seeded:
            adjoint = self.seed(seed) + adjoint
        arrays = surely_arrays(adjoint, self.mode.adjoint_names)
        grads = [self.gradient(p, arrays) for p in wrt]
        if seeded and self.out_adjoint in loaded_names(gast.Module(
                body=[gast.Expr(value=g) for g in grads], type_ignores=[])):
            adjoint = self.seed(seed) + adjoint   # the output is a parameter: dy = 1.0
        if self.out_adjoint is None:
            adjoint = [gast.Expr(value=seed)] if value_needed else []
        keep = []

        def kept(node, wanted: str):
            if isinstance(node, gast.Name) and node.id in _assigned_in(adjoint):
                keep.append(assign(self.names.unique(wanted), node))   # the sweep restores it
                return name(keep[-1].targets[0].id)
            return node
        value = kept(self.output, "value") if with_value else None
        extra = kept(name(aux), "aux") if aux else None
        result = regroup(dict(zip(wrt, grads)))
        if with_value:
            value = gast.Tuple(elts=[value, extra], ctx=gast.Load()) if aux else value
            result = gast.Tuple(elts=[value, result], ctx=gast.Load())
        elif aux:
            result = gast.Tuple(elts=[result, extra], ctx=gast.Load())
        body = self.prologue() + self.sweeps.primal + keep + adjoint + [
            gast.Return(value=result)]
        return self.function(self.names.unique("d_" + self.src.name), self.params, body)

    def returned_output(self):
        if self.several:
            return rebuilt(self.returned, {p: name(o) for p, o in zip(self.paths, self.several)})
        return self.output

    def split_functions(self, inputs, regroup=None) -> list:
        """The forward and backward functions of `vjp`; `regroup` makes the returned
        cotangents from those of the parameters (one per parameter by default)."""
        grads = [self.gradient(p) if p in inputs else const(None) for p in self.params]
        returned = regroup(dict(zip(self.params, grads))) if regroup else grads
        live = set()
        for g in grads:
            live |= loaded_names(g)
        cotangent = self.names.unique("cotangent")
        adjoint = self.seed(name(cotangent)) + self.sweeps.adjoint
        residual_names = sorted((loaded_names(gast.Module(body=adjoint, type_ignores=[]))
                                 | {p for p in self.params if p in live})
                                & self.mode.primal_names - {self.mode.tape})
        missing = [n for n in residual_names if n not in self.sweeps.assigned]
        tape = [self.mode.tape] if self.sweeps.uses_tape else []
        residuals = gast.Tuple(elts=[name(n) for n in tape + residual_names], ctx=gast.Load())
        forward = self.function(
            self.names.unique(self.src.name + "_forward"), self.params,
            self.prologue(missing) + self.sweeps.primal + [
                gast.Return(value=gast.Tuple(elts=[self.returned_output(), residuals],
                                             ctx=gast.Load()))])
        holder = self.names.unique("residuals")
        unpack = [assign(gast.Tuple(elts=[name(n, store=True) for n in tape + residual_names],
                                    ctx=gast.Store()), name(holder))]
        if tape:  # the pullback may be called again: pop from a copy
            unpack.append(assign(self.mode.tape, call(name("list"), name(self.mode.tape))))
        restored = {n.value.id for s in adjoint for n in gast.walk(s)
                    if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store)
                    and isinstance(n.value, gast.Name) and n.value.id in residual_names}
        # arrays the sweep restores in place: their final contents are put back after,
        # so that views of them among the residuals stay views, and a second call of
        # the pullback starts from the same state
        final = {n: self.names.unique(f"_{n}_final") for n in sorted(restored)}
        unpack += [assign(held, call(attr(name(n), "copy"))) for n, held in final.items()]
        put_back = [assign(gast.Subscript(value=name(n), slice=const(Ellipsis),
                                          ctx=gast.Store()), name(held))
                    for n, held in final.items()]
        backward = self.function(
            self.names.unique(self.src.name + "_backward"), [holder, cotangent],
            unpack + adjoint + put_back
            + [gast.Return(value=gast.Tuple(elts=returned, ctx=gast.Load()))])
        return [forward, backward]


def _split_outputs(src: FunctionSource, names: NameGenerator) -> tuple:
    """`return a, b` (or a dict, list or nest of them) at every return ->
    `_out1 = a; _out2 = b; return _out1`: the names of the outputs and the structure
    they are returned in, or ([], None) where the function returns one value."""
    returns = [n for n in gast.walk(src.tree) if isinstance(n, gast.Return)]
    structures = {literal_structure(r.value) for r in returns if r.value is not None}
    if len(structures) != 1 or None in structures or len(returns) != len(
            [r for r in returns if r.value is not None]):
        return [], None
    structure = structures.pop()
    outputs = [names.fresh("_out") for _ in range(structure.size)]
    _rewrite_returns(src.tree, lambda r: [
        assign(o, v) for o, (_, v) in zip(outputs, literal_leaves(r.value))]
        + [gast.Return(value=name(outputs[0]))])
    return outputs, structure


def _propagated(adjoint_name: str, seed: gast.Constant, stmts: list, mode) -> tuple:
    """The seed `adjoint_name = 1.0` written into the statements that read it, up to
    its first reassignment (`1.0 * x` folds to `x`): (statements, whether that made
    the assignment needless there - the caller still checks what it returns)."""
    for s in stmts:
        stores = adjoint_name in _assigned_in([s])
        if isinstance(s, gast.Assign):
            s.value = simplify(substitute(s.value, {adjoint_name: seed}), mode.kind_of, None)
        elif adjoint_name in loaded_names(s) or stores:   # read or changed in a block
            return stmts, False
        if stores:
            return stmts, True
    return stmts, True


def _function_def(fname: str, params: list, body: list) -> gast.FunctionDef:
    args = gast.arguments(args=[name(p, store=False) for p in params], posonlyargs=[],
                          vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    for a in args.args:
        a.ctx = gast.Param()
    return gast.FunctionDef(name=fname, args=args, body=body, decorator_list=[],
                            returns=None, type_comment=None, type_params=[])


def _item(container, path: tuple):
    for key in path:
        container = gast.Subscript(value=clone(container), slice=const(key), ctx=gast.Load())
    return container


def _split_aux(src: FunctionSource, names: NameGenerator) -> str:
    """`return value, aux` -> `aux_name = stop_gradient(aux); return value`, at every
    return (aux is passed through, never differentiated)."""
    aux, stop = names.unique("aux"), names.unique("stop_gradient")
    src.bound[stop] = stop_gradient

    def split(r: gast.Return) -> list:
        if not (isinstance(r.value, gast.Tuple) and len(r.value.elts) == 2):
            raise src.error("with has_aux=True, the function must return a pair "
                            "(value, aux)", r, "return value, aux")
        return [assign(aux, call(name(stop), r.value.elts[1])),
                gast.Return(value=r.value.elts[0])]
    _rewrite_returns(src.tree, split)
    return aux


def _rewrite_returns(tree: gast.FunctionDef, rewrite) -> None:
    """Replace each `return` statement by the statements `rewrite(it)` gives."""
    def block(stmts: list) -> list:
        out = []
        for s in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list):
                    setattr(s, field, block(getattr(s, field)))
            out += [copy_location(new, s) for new in rewrite(s)] \
                if isinstance(s, gast.Return) else [s]
        return out
    tree.body = block(tree.body)


def _regroup(wrt: tuple, flattened: Flattened | None):
    """The gradients' expression: one, or a tuple; a container's in its structure."""
    def regroup(gradients: dict):
        grads = [flattened.regrouped(p, gradients) if flattened else gradients[p] for p in wrt]
        return grads[0] if len(grads) == 1 else gast.Tuple(elts=grads, ctx=gast.Load())
    return regroup


def _regroup_all(flattened: Flattened | None):
    """For `vjp`: one cotangent per original parameter, a container's in its structure."""
    if flattened is None:
        return None
    return lambda gradients: [flattened.regrouped(p, gradients) for p in flattened.params]


def _with_containers(function: gast.FunctionDef, flattened: Flattened,
                     tangent=None, constants=frozenset()) -> gast.FunctionDef:
    """The derivative takes the containers themselves and unpacks their leaves (and,
    with `tangent` naming each leaf's tangent, a tangent container after each, but
    for `constants`, which take None)."""
    params = list(flattened.params)
    unpacking = flattened.unpacking()
    if tangent is not None:
        params += [tangent(p) for p in flattened.params]
        unpacking += flattened.unpacking(tangent, constants)
    args = [name(p, store=False) for p in params]
    for a in args:
        a.ctx = gast.Param()
    function.args.args = args
    function.body = unpacking + function.body
    return function


def _leave_out_unneeded(sweeps: Sweeps, mode: ReverseMode, names: NameGenerator,
                        returned: set, float64_only: bool) -> list:
    """The primal without what neither the adjoint nor the returned values read.
    Shapes are read preferably from parameters, then from the user's names."""
    made = set().union(*names.made.values())
    params = mode.primal_params
    return leave_out_unneeded(sweeps.primal, sweeps.adjoint, returned, mode.kind_of, mode.src,
                              lambda n: (n not in params, n in made), float64_only)


def _all_float64(params: list, kinds: dict, float64_arrays: frozenset,
                 src: FunctionSource) -> bool:
    """Every float array in the function is float64: the float arrays it is given are,
    and it casts nothing."""
    return not _changes_dtypes(src) and all(
        p in float64_arrays for p in params if kinds.get(p, UNKNOWN).array)


def _single_use_temporaries(sweeps: Sweeps, names: NameGenerator) -> set:
    """Temporaries the ANF made that the primal defines once and reads once, and that
    nothing else reads (the adjoint, the returned value)."""
    made = names.made.get("_t", set()) | names.made.get("_index", set())
    reads = name_counts(sweeps.primal, gast.Load)
    writes = name_counts(sweeps.primal, gast.Store)
    elsewhere = loaded_names(gast.Module(body=sweeps.adjoint, type_ignores=[])) \
        | loaded_names(sweeps.output)
    return {n for n in made - elsewhere if reads[n] == 1 and writes[n] == 1}


_DTYPE_CHANGES = {"astype", "view"}


def _changes_dtypes(src: FunctionSource) -> bool:
    """Whether the function may change a dtype on purpose (astype, dtype=, any mention
    of a NumPy scalar type such as np.float32), so a float64 parameter's gradient
    might come out in another dtype."""
    for node in gast.walk(src.tree):
        if isinstance(node, gast.Attribute) and node.attr in _DTYPE_CHANGES:
            return True
        if isinstance(node, gast.keyword) and node.arg == "dtype":
            return True
        if isinstance(node, (gast.Name, gast.Attribute)):
            found = src.resolve(node)
            if isinstance(found, type) and issubclass(found, np.generic):
                return True
    return False


def _assigned_in(stmts: list) -> set:
    return stored_names(gast.Module(body=stmts, type_ignores=[]))


def _bindings(functions: list, src: FunctionSource, names: NameGenerator) -> dict:
    """Bind the helper names the generated code uses; rename any the user shadows."""
    used = {n.id for f in functions for n in gast.walk(f)
            if isinstance(n, gast.Name) and getattr(n, HELPER_MARK, False)}
    user_names = all_names(src.tree)
    local_names = stored_names(src.tree) | set(parameter_names(src.tree))
    bindings = {}
    for helper_name in used:
        value = TEMPLATE_NAMESPACE.get(helper_name) or getattr(builtins, helper_name)
        alias = helper_name
        if helper_name in local_names or (helper_name in user_names and src.resolve(
                name(helper_name)) not in (Unresolved, value)):
            alias = names.unique("_s2sad_" + helper_name)
            for f in functions:
                for n in gast.walk(f):
                    if isinstance(n, gast.Name) and n.id == helper_name \
                            and getattr(n, HELPER_MARK, False):
                        n.id = alias
        bindings[alias] = value
    return {**src.bound, **bindings}
