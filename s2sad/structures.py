"""Stage 1c: dicts, lists and tuples passed as arguments, split into their leaves.

`loss(params, X)` with `params = {"W": ..., "b": ...}` is transformed as if it were
`loss(W, b, X)`: a read with a constant key (`params["W"]`, `layers[0][1]`) becomes
the leaf's own variable, `len(layers)` a constant, and a loop over a container
(`for layer in layers`, `enumerate(...)`, `.items()`, `.keys()`, `.values()`,
`range(len(layers))`) is unrolled, one copy of its body per item.  The generated
derivative still takes `params` (it unpacks the leaves first) and returns the
gradient in the same structure: a dict with the same keys, a list of the same length.

The code is specialised on the structure (keys and lengths, see `kinds.Structure`).
A container used any other way (passed whole to a function, indexed by a variable)
is refused with a TransformError.
"""
from __future__ import annotations

import dataclasses

import gast

from .astutil import (NameGenerator, assign, clone, const, copy_location,
                      index_written_names, name, parameter_names, stored_names)
from .kinds import Structure, dtype_of_key, kind_of_key
from .lists import is_method_statement
from .source import FunctionSource


@dataclasses.dataclass
class Flattened:
    """What became of the structured parameters."""
    params: list                 # the original parameter names
    leaves: dict                 # parameter -> [(path, leaf name)]
    leaf_keys: dict              # leaf name -> its key (as kind_of_value gives)
    structures: dict             # parameter -> its Structure

    def leaf_names(self, param: str) -> list:
        return [leaf for _, leaf in self.leaves.get(param, [(None, param)])]

    def unpacking(self, renamed=lambda n: n, left_out=frozenset()) -> list:
        """`W = params["W"]` for every leaf, in parameter order (with `renamed`, the
        same for another name of each: `tW = tparams["W"]`), but those of `left_out`."""
        out = []
        for param in self.params:
            if param in left_out:
                continue
            for path, leaf in self.leaves.get(param, ()):
                value = name(renamed(param))
                for key in path:
                    value = gast.Subscript(value=value, slice=const(key), ctx=gast.Load())
                out.append(assign(renamed(leaf), value))
        return out

    def regrouped(self, param: str, gradients: dict):
        """The gradient of `param` from its leaves' gradients, in `param`'s structure."""
        if param not in self.leaves:
            return gradients[param]
        return _rebuild(self.structures[param], (), dict(
            (path, gradients[leaf]) for path, leaf in self.leaves[param]))


def literal_structure(node) -> Structure | None:
    """The Structure of a literal container (tuples, lists, dicts with constant keys,
    nested), its leaves None; None for anything else."""
    if not _literal(node):
        return None
    if isinstance(node, gast.Dict):
        keys, items = tuple(k.value for k in node.keys), node.values
    else:
        keys, items = tuple(range(len(node.elts))), node.elts
    container = dict if isinstance(node, gast.Dict) else \
        list if isinstance(node, gast.List) else tuple
    inner = tuple(literal_structure(item) for item in items)
    return Structure(container, keys, inner, sum(i.size if i else 1 for i in inner))


def literal_leaves(node, path: tuple = ()):
    """(path, item) for every leaf of a literal container."""
    if not _literal(node):
        yield path, node
        return
    if isinstance(node, gast.Dict):
        pairs = zip((k.value for k in node.keys), node.values)
    else:
        pairs = enumerate(node.elts)
    for key, item in pairs:
        yield from literal_leaves(item, path + (key,))


def rebuilt(structure: Structure, by_path: dict):
    """The literal of `structure` with the node `by_path[path]` at each leaf."""
    return _rebuild(structure, (), by_path)


def _rebuild(structure: Structure, path: tuple, by_path: dict):
    items = [_rebuild(item, path + (key,), by_path) if isinstance(item, Structure)
             else by_path[path + (key,)] for key, item in zip(structure.keys, structure.items)]
    if structure.container is dict:
        return gast.Dict(keys=[const(k) for k in structure.keys], values=items)
    node = gast.List if structure.container is list else gast.Tuple
    return node(elts=items, ctx=gast.Load())


def flatten(src: FunctionSource, kinds: dict, wrt: tuple, names: NameGenerator):
    """`src` with its structured parameters split into leaves, and what was done:
    those in `wrt`, and those holding arrays (their leaves get kinds); a list of
    numbers nothing differentiates stays as it is."""
    structured = {p: k for p, k in kinds.items() if isinstance(k, Structure) and (
        p in wrt or any(dtype_of_key(key) is not None for _, key in k.leaves()))}
    if not structured:
        if any(_literal(n.value) for n in gast.walk(src.tree) if isinstance(n, gast.Assign)):
            params = parameter_names(src.tree)
            src.tree.body = _rewritten(src, Flattened(params, {}, {}, {}), names)
        return src, None
    args = src.tree.args
    params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
    leaves, leaf_keys = {}, {}
    for param, structure in structured.items():
        leaves[param] = []
        for path, key in structure.leaves():
            leaf = names.unique(_leaf_name(param, path))
            leaves[param].append((path, leaf))
            leaf_keys[leaf] = key
    flattened = Flattened(params, leaves, leaf_keys, structured)
    tree = src.tree
    tree.body = _rewritten(src, flattened, names)
    new_args = []
    for a in args.posonlyargs + args.args:
        new_args += [copy_location(name(leaf, store=False), a) for leaf in
                     flattened.leaf_names(a.id)]
    for a in new_args:
        a.ctx = gast.Param()
    args.posonlyargs, args.args, args.defaults = [], new_args, []
    if args.kwonlyargs:
        raise src.error("s2sad does not split containers of functions with keyword-only "
                        "parameters yet", tree, "make the parameters positional")
    locals_ = src.locals | set(leaf_keys)
    return dataclasses.replace(src, tree=tree, locals=frozenset(locals_)), flattened


def _rewritten(src: FunctionSource, flattened: Flattened, names: NameGenerator) -> list:
    """The function's body rewritten.  A list the code grows or rebinds inside a loop
    or branch that stays a loop or branch cannot be split: the rewrite starts again
    with that list kept whole (a list at run time, see `lists`)."""
    body, arguments = src.tree.body, dict(flattened.structures)
    whole: set = set()
    while True:
        flattened.structures = dict(arguments)
        flattened.leaves = {p: leaves for p, leaves in flattened.leaves.items()
                            if p in arguments}
        try:
            return _Rewriter(src, flattened, names, whole).block(clone(body), {})
        except _KeptWhole as exc:
            whole.add(exc.name)


class _KeptWhole(Exception):
    """A list made in the function that must stay a list at run time."""
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _leaf_name(param: str, path: tuple) -> str:
    """`W1` for params["W1"]; `layers_0_W` for layers[0]["W"]."""
    last = path[-1]
    if len(path) == 1 and isinstance(last, str) and last.isidentifier():
        return last
    return "_".join([param] + [str(k) for k in path])


class _Rewriter:
    """Reads of containers resolved, statement after statement.  `aliases` maps local
    names to the container item they stand for (`layer = layers[0]`), or to the
    constant they hold (`i = 0`) in an unrolled loop."""

    def __init__(self, src: FunctionSource, flattened: Flattened, names: NameGenerator,
                 whole: set):
        self.src, self.flattened, self.names = src, flattened, names
        self.whole = whole   # lists made here that stay lists at run time
        self.changed_in_place = {   # xs.append(...), xs[i] = ...: not what it was bound to
            n.func.value.id for n in gast.walk(src.tree) if isinstance(n, gast.Call)
            and isinstance(n.func, gast.Attribute) and isinstance(n.func.value, gast.Name)
            and n.func.attr in _MUTATING} | index_written_names(src.tree)
        self.compounds = 0   # how many loops and branches (not unrolled) enclose us
        self.fixed = _fixed_structures(src.tree, self.changed_in_place)

    def block(self, stmts: list, aliases: dict, compound=None) -> list:
        """`stmts` rewritten; inside a loop or branch (`compound`), a name made to
        stand for several items of a container cannot outlive it."""
        out = []
        for s in stmts:
            out += self.statement(s, aliases)
        if compound is not None:
            for n, (kind, value) in aliases.items():
                if kind == "path" and not self.is_leaf(value) and n in stored_names(compound) \
                        and value != (self.fixed_root(n),):
                    if _made_here(value[0]):   # xs = [a, b] in a loop: a list at run time
                        raise _KeptWhole(_made_here(value[0]))
                    raise self.src.error(
                        f"s2sad cannot tell which part of the container {_shown(value[0])!r} the "
                        f"name {n!r} stands for after this loop or branch", compound,
                        "bind the name before the loop or branch, or read the items "
                        "with constant keys")
        return out

    def statement(self, s, aliases: dict) -> list:
        if isinstance(s, gast.For):
            items = self.items(s.iter, aliases)
            if items is not None:
                return self.unrolled(s, items, aliases)
        if isinstance(s, gast.Assign) and len(s.targets) == 1 \
                and isinstance(s.targets[0], gast.Name):
            target = s.targets[0].id
            if _literal(s.value) and target not in self.whole \
                    and (_empty(s.value) or not _all_constants(s.value)):
                return self.literal(target, s.value, aliases, s)   # xs = [a, b * 2]
            path = self.path(s.value, aliases)
            if path is not None and not self.is_leaf(path):   # `layer = layers[0]`
                aliases[target] = ("path", path)
                return []
            if path is not None:   # `W = params["W"]`: reads of W read the leaf itself
                s.value = copy_location(name(self.leaf(path)), s.value)
                aliases[target] = ("path", path)
                return [s]
            s.value = self.expression(s.value, aliases)
            aliases.pop(target, None)
            if isinstance(s.value, gast.Constant):
                aliases[target] = ("constant", s.value.value)
            elif _string_keys(s.value) and target not in self.changed_in_place:
                aliases[target] = ("keys", _string_keys(s.value))   # keys = ["W1", "W2"]
            return [s]
        grown = self.grown(s, aliases)
        if grown is not None:
            return grown
        if isinstance(s, gast.If):   # `if k.startswith("W"):` over constant keys
            decided = self.decided(s.test, aliases)
            if decided is not None:
                return self.block(s.body if decided else s.orelse, aliases)
        for field in ("test", "iter", "value"):
            if getattr(s, field, None) is not None:
                setattr(s, field, self.expression(getattr(s, field), aliases))
        if isinstance(s, gast.Assign):   # params["W"] = ...: the leaf W, rebound
            s.targets = [self.target(t, aliases) for t in s.targets]
        if isinstance(s, gast.AugAssign):
            s.target = self.target(s.target, aliases)
        inner = stored_names(s)
        for n in inner:
            kind, value = aliases.pop(n, (None, None))
            if self.fixed_root(n) is not None:   # the same variables on every path
                aliases[n] = ("path", (self.fixed_root(n),))
            elif kind == "path" and not self.is_leaf(value) and _made_here(value[0]):
                raise _KeptWhole(_made_here(value[0]))   # rebound in a loop or branch
        for field in ("body", "orelse"):
            block = getattr(s, field, None)
            if isinstance(block, list) and block:
                # what a loop or branch binds is unknown after it (and in the next trip)
                self.compounds += 1
                setattr(s, field, self.block(block, {
                    k: v for k, v in aliases.items()
                    if k not in inner or self.fixed_root(k) is not None}, s))
                self.compounds -= 1
        return [s]

    def copied(self, target: str, param: str, aliases: dict) -> tuple:
        """`target` made a container of this function's own, holding the items of the
        argument `param` (the same variables), before it grows."""
        root = f"{target}#{len(self.flattened.structures)}"
        self.flattened.structures[root] = self.flattened.structures[param]
        self.flattened.leaves[root] = list(self.flattened.leaves[param])
        aliases[target] = ("path", (root,))
        return (root,)

    def decided(self, test, aliases: dict) -> bool | None:
        """The value of a condition that reads only constants (the keys of an unrolled
        loop), or None.  Evaluated without builtins: str methods and comparisons."""
        names = {n.id for n in gast.walk(test) if isinstance(n, gast.Name)}
        if not names or any(aliases.get(n, (None,))[0] != "constant" for n in names):
            return None
        values = {n: aliases[n][1] for n in names}
        expression = gast.gast_to_ast(gast.Expression(body=clone(test)))
        try:
            return bool(eval(compile(expression, "<s2sad>", "eval"),
                             {"__builtins__": {}}, values))
        except Exception:   # anything else is decided when the code runs
            return None

    def grown(self, s, aliases: dict) -> list | None:
        """`xs.append(v)` on a list, or `d[k] = v` with a new constant key on a dict,
        made in this function and split: one more item, in a variable of its own."""
        if is_method_statement(s):
            base, key, value = s.value.func.value, None, s.value.args[0]
        elif isinstance(s, gast.Assign) and len(s.targets) == 1 \
                and isinstance(s.targets[0], gast.Subscript):
            base, key, value = s.targets[0].value, self.constant(s.targets[0].slice, aliases), \
                s.value
        else:
            return None
        path = self.path(base, aliases)
        if path is not None and len(path) == 1 and not _made_here(path[0]) \
                and isinstance(base, gast.Name) and base.id not in self.whole:
            path = self.copied(base.id, path[0], aliases)   # the caller's stays as it was
        if path is None or self.is_leaf(path) or not _made_here(path[0]):
            return None
        structure = self.structure(path)
        if key is None and structure.container is not list \
                or key is not None and (structure.container is not dict
                                        or key is _NOT_CONSTANT or key in structure.keys):
            return None
        if self.compounds:   # grows in a loop or branch: a list at run time
            raise _KeptWhole(_made_here(path[0]))
        leaf = self.names.fresh(f"_{_made_here(path[0])}")
        key = len(structure.keys) if key is None else key
        root = path[0]
        self.flattened.structures[root] = _with_item(self.flattened.structures[root],
                                                     path[1:], key)
        self.flattened.leaves[root].append((path[1:] + (key,), leaf))
        return [copy_location(assign(leaf, self.expression(value, aliases)), s)]

    def literal(self, target: str, value, aliases: dict, where) -> list:
        """`xs = [a, b * 2]`: each item into a variable of its own (it keeps the value
        the literal took), and `xs` made a name for the container they form.  A name
        only ever bound to literals of one structure (`fixed`) keeps its variables."""
        root = self.fixed_root(target)
        if root is None:
            root = f"{target}#{len(self.flattened.structures)}"
            self.flattened.structures[root] = literal_structure(value)
            self.flattened.leaves[root] = [(path, self.names.fresh(f"_{target}"))
                                           for path, _ in literal_leaves(value)]
        leaves = dict(self.flattened.leaves[root])
        values = [(leaves[path], self.expression(item, aliases))
                  for path, item in literal_leaves(value)]
        out = []
        if any(isinstance(n, gast.Name) and n.id in leaves.values()   # pair = (pair[1],
               for _, v in values for n in gast.walk(v)):               # pair[0]): all
            held = [(leaf, self.names.fresh("_t")) for leaf, _ in values]   # read first
            out += [assign(temp, v) for (_, temp), (_, v) in zip(held, values)]
            values = [(leaf, name(temp)) for leaf, temp in held]
        out += [assign(leaf, v) for leaf, v in values]
        aliases[target] = ("path", (root,))
        return [copy_location(s, where) for s in out]

    def fixed_root(self, target: str) -> str | None:
        """The root of a name bound only to literals of one structure, registered
        once for all its bindings (in loops and branches too)."""
        if target not in self.fixed or target in self.whole:
            return None
        root = f"{target}#"
        if root not in self.flattened.structures:
            structure = self.fixed[target]
            self.flattened.structures[root] = structure
            self.flattened.leaves[root] = [(path, self.names.fresh(f"_{target}"))
                                           for path, _ in structure.leaves()]
        return root

    # containers --------------------------------------------------------------

    def path(self, e, aliases: dict):
        """(parameter, key, ...) for an expression that names part of a container."""
        if isinstance(e, gast.Name):
            alias = aliases.get(e.id)
            if alias and alias[0] == "path":   # first: an argument may be rebound
                return alias[1]
            return (e.id,) if e.id in self.flattened.structures else None
        if isinstance(e, gast.Subscript) and not isinstance(e.slice, gast.Slice):
            base = self.path(e.value, aliases)
            if base is None or self.is_leaf(base):
                return None
            key = self.constant(e.slice, aliases)
            structure = self.structure(base)
            if key is _NOT_CONSTANT and _made_here(base[0]):   # xs[i]: a list at run time
                raise _KeptWhole(_made_here(base[0]))
            if key is _NOT_CONSTANT:
                raise self.src.error(
                    f"s2sad needs constant keys to read the container {_shown(base[0])!r} (it "
                    "splits containers given as arguments into their items)", e,
                    "index with a constant or a loop variable over the container itself")
            if structure.container is not dict and isinstance(key, int) and key < 0:
                key += len(structure.keys)
            if key not in structure.keys:
                raise self.src.error(f"the container {_shown(base[0])!r} has no item {key!r} here",
                                     e)
            return base + (key,)
        return None

    def structure(self, path: tuple) -> Structure:
        found = self.flattened.structures[path[0]]
        for key in path[1:]:
            found = found.items[found.keys.index(key)]
        return found

    def is_leaf(self, path: tuple) -> bool:
        return not isinstance(self.structure(path), Structure)

    def leaf(self, path: tuple) -> str:
        return dict(self.flattened.leaves[path[0]])[path[1:]]

    def constant(self, e, aliases: dict):
        """The key `e` surely is: a literal (`-1` too), a loop variable over keys, or a
        module constant."""
        if isinstance(e, gast.Constant):
            return e.value
        if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub) \
                and isinstance(e.operand, gast.Constant) and type(e.operand.value) is int:
            return -e.operand.value
        if isinstance(e, gast.Name):
            if aliases.get(e.id, (None,))[0] == "constant":
                return aliases[e.id][1]
            found = self.src.resolve(e)
            if type(found) in (str, int):
                return found
        return _NOT_CONSTANT

    def expression(self, e, aliases: dict):
        taken = self.sliced(e, aliases)
        if taken is not None:   # layers[1:]: a literal of those items
            container, paths = taken
            node = gast.Tuple if container is tuple else gast.List
            return copy_location(node(elts=[self.item(p) for p in paths], ctx=gast.Load()),
                                 e)
        got = self.got(e, aliases)
        if got is not None:
            return copy_location(got, e)
        if isinstance(e, gast.Call) and isinstance(e.func, gast.Attribute) \
                and e.func.attr in _MUTATING:   # r = xs.append(v): xs stays a list
            base = self.path(e.func.value, aliases)
            if base is not None and not self.is_leaf(base) and _made_here(base[0]):
                raise _KeptWhole(_made_here(base[0]))
        path = self.path(e, aliases)
        if path is not None:
            return copy_location(self.item(path), e)
        if isinstance(e, gast.Call) and isinstance(e.func, gast.Name) and e.func.id == "len" \
                and len(e.args) == 1:
            inner = self.path(e.args[0], aliases)
            if inner is not None and not self.is_leaf(inner):
                return copy_location(const(len(self.structure(inner).keys)), e)
        if isinstance(e, gast.Name) and aliases.get(e.id, (None,))[0] == "constant":
            return e   # a loop variable over keys: a variable still, known here
        for field, value in gast.iter_fields(e):
            if isinstance(value, list):
                value[:] = [self.expression(v, aliases) if isinstance(v, gast.AST) else v
                            for v in value]
            elif isinstance(value, gast.AST):
                setattr(e, field, self.expression(value, aliases))
        return e

    def item(self, path: tuple):
        """A leaf's variable; a container used whole (np.sum(xs), np.array(coeffs))
        made again from its items."""
        if self.is_leaf(path):
            return name(self.leaf(path))
        depth = len(path) - 1   # keys below the parameter
        leaves = {sub[depth:]: name(leaf) for sub, leaf in self.flattened.leaves[path[0]]
                  if sub[:depth] == path[1:]}
        return _rebuild(self.structure(path), (), leaves)

    def sliced(self, e, aliases: dict):
        """(container type, paths of the items) a slice of a list or tuple takes
        (`layers[1:]`, `layers[::-1]`), or None for anything else."""
        if not (isinstance(e, gast.Subscript) and isinstance(e.slice, gast.Slice)):
            return None
        base = self.path(e.value, aliases)
        if base is None or self.is_leaf(base) or self.structure(base).container is dict:
            return None
        bounds = [None if b is None else self.constant(b, aliases)
                  for b in (e.slice.lower, e.slice.upper, e.slice.step)]
        if any(b is not None and type(b) is not int for b in bounds):
            if _made_here(base[0]):   # a list made here, sliced at run time
                raise _KeptWhole(_made_here(base[0]))
            raise self.src.error(
                f"s2sad needs constant bounds to slice the container {_shown(base[0])!r} "
                "(it splits containers given as arguments into their items)", e,
                "slice with numbers, or loop over the container itself")
        structure = self.structure(base)
        return structure.container, [base + (k,) for k in structure.keys[slice(*bounds)]]

    def got(self, e, aliases: dict):
        """`params.get("b")` or `params.get("b", default)` on a dict: its item, or the
        default where the dict has no such key."""
        if not (isinstance(e, gast.Call) and isinstance(e.func, gast.Attribute)
                and e.func.attr == "get" and 1 <= len(e.args) <= 2 and not e.keywords):
            return None
        base = self.path(e.func.value, aliases)
        if base is None or self.is_leaf(base) or self.structure(base).container is not dict:
            return None
        key = self.constant(e.args[0], aliases)
        if key is _NOT_CONSTANT:
            raise self.src.error(f"s2sad needs a constant key to read the dict {_shown(base[0])!r}",
                                 e, "read it with a constant key")
        if key in self.structure(base).keys:
            return self.item(base + (key,))
        return self.expression(e.args[1], aliases) if len(e.args) == 2 else const(None)

    def target(self, t, aliases: dict):
        """An assignment target: an item of a container is its leaf, rebound (the
        caller's container never changes)."""
        if isinstance(t, gast.Name):
            return t   # rebound: no longer an item's alias (see `statement`)
        if isinstance(t, (gast.Tuple, gast.List)):   # W, b = layers[-1]: names rebound
            t.elts = [self.target(e, aliases) for e in t.elts]
            return t
        t = self.expression(t, aliases)
        if isinstance(t, gast.Name):
            t.ctx = gast.Store()
        return t

    # loops over containers -------------------------------------------------------

    def items(self, iterable, aliases: dict):
        """[(value bound to the loop target), ...] when `iterable` walks a container:
        each value is ("constant", key) or ("path", path) or a tuple of those."""
        call = iterable if isinstance(iterable, gast.Call) else None
        method = call.func.attr if call is not None and isinstance(call.func, gast.Attribute) \
            else None
        if method in ("items", "keys", "values") and not call.args:
            base = self.path(call.func.value, aliases)
            if base is None or self.is_leaf(base):
                return None
            keys = self.structure(base).keys
            return [{"items": (("constant", k), ("path", base + (k,))),
                     "keys": ("constant", k), "values": ("path", base + (k,))}[method]
                    for k in keys]
        if call is not None and isinstance(call.func, gast.Name) and call.args \
                and not call.keywords:
            if call.func.id == "enumerate" and len(call.args) == 1:
                inner = self.items(call.args[0], aliases)
                return None if inner is None else [(("constant", i), item)
                                                   for i, item in enumerate(inner)]
            if call.func.id == "reversed" and len(call.args) == 1:
                inner = self.items(call.args[0], aliases)
                return None if inner is None else inner[::-1]
            if call.func.id == "zip":
                inner = [self.items(a, aliases) for a in call.args]
                return None if any(i is None for i in inner) else list(zip(*inner))
            if call.func.id == "range" and len(call.args) == 1 \
                    and isinstance(call.args[0], gast.Call) \
                    and getattr(call.args[0].func, "id", None) == "len":
                inner = self.path(call.args[0].args[0], aliases) if call.args[0].args else None
                if inner is not None and not self.is_leaf(inner):
                    return [("constant", i) for i in range(len(self.structure(inner).keys))]
            return None
        keys = _string_keys(iterable) or (aliases.get(iterable.id, (None, None))[1] if
                                           isinstance(iterable, gast.Name) and aliases.get(
                                               iterable.id, (None,))[0] == "keys" else None)
        if keys:   # for k in ["W", "b"] (or a name for that list): keys, most likely
            return [("constant", k) for k in keys]
        taken = self.sliced(iterable, aliases)
        if taken is not None:   # for W, b in layers[:-1]
            return [("path", p) for p in taken[1]]
        base = self.path(iterable, aliases)
        if base is None or self.is_leaf(base):
            return None
        structure = self.structure(base)
        if structure.container is dict:   # iterating over a dict gives its keys
            return [("constant", k) for k in structure.keys]
        return [("path", base + (k,)) for k in structure.keys]

    def unrolled(self, loop: gast.For, items: list, aliases: dict) -> list:
        if any(isinstance(n, (gast.Break, gast.Continue)) for s in loop.body
               for n in gast.walk(s)) or loop.orelse:
            raise self.src.error("s2sad unrolls loops over containers and cannot unroll one "
                                 "with 'break' or 'continue'", loop,
                                 "use an if around the rest of the body instead")
        out = []
        for item in items:
            out += self.bind(loop.target, item, aliases, loop)
            out += self.block(clone(loop.body), aliases)
        return out

    def bind(self, target, item, aliases: dict, where) -> list:
        if isinstance(target, (gast.Tuple, gast.List)):
            if item[0] == "path" and not self.is_leaf(item[1]):   # for W, b in layers
                keys = self.structure(item[1]).keys
                item = tuple(("path", item[1] + (k,)) for k in keys)
            if isinstance(item[0], str) or len(item) != len(target.elts):
                raise self.src.error("s2sad cannot unpack this item of a container in a "
                                     "loop target", where)
            out = []
            for t, i in zip(target.elts, item):
                out += self.bind(t, i, aliases, where)
            return out
        kind, value = item
        aliases[target.id] = item
        if kind == "constant":
            return [copy_location(assign(target.id, const(value)), where)]
        return []   # each copy of the body reads the item itself (`W1`, not `W = W1`)


_NOT_CONSTANT = object()


_MUTATING = {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"}


def _fixed_structures(tree, changed: set) -> dict:
    """Names every binding of which is a literal container of one structure
    (`pair = (h, c)` in a loop, `result = (a, b)` on both branches), never changed in
    place: their items keep one variable each, whichever binding ran."""
    found: dict = {}
    placeholders = set()   # `result = None` first, then a literal on every path
    compared = {n.id for c in gast.walk(tree) if isinstance(c, gast.Compare)
                for n in gast.walk(c) if isinstance(n, gast.Name)}
    for node in gast.walk(tree):
        if isinstance(node, gast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], gast.Name) \
                and isinstance(node.value, gast.Constant) and node.value.value is None:
            placeholders.add(node.targets[0].id)
            continue
        targets = node.targets if isinstance(node, gast.Assign) else \
            [node.target] if isinstance(node, (gast.AugAssign, gast.For, gast.AnnAssign)) \
            else []
        for target in targets:
            for n in gast.walk(target):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                    single = isinstance(node, gast.Assign) and target is n \
                        and len(node.targets) == 1
                    structure = literal_structure(node.value) if single else None
                    if structure is None or not structure.size \
                            or found.get(n.id, structure) != structure:
                        found[n.id] = None
                    else:
                        found[n.id] = structure
    return {n: structure for n, structure in found.items() if structure is not None
            and n not in changed and not (n in placeholders and n in compared)}


def _string_keys(node) -> tuple | None:
    """The strings of a literal list or tuple of strings (dict keys, most likely)."""
    if isinstance(node, (gast.List, gast.Tuple)) and node.elts and all(
            isinstance(item, gast.Constant) and type(item.value) is str for item in node.elts):
        return tuple(item.value for item in node.elts)
    return None


def _shown(root: str) -> str:
    """The user's name for a container (`xs` for the literal root `xs#3`)."""
    return _made_here(root) or root


def _made_here(root: str) -> str | None:
    """The variable a literal made in the function was bound to (roots of literals
    are `xs#3`; the function's parameters have no `#`)."""
    return root.split("#")[0] if "#" in root else None


def _with_item(structure: Structure, path: tuple, key) -> Structure:
    """`structure` with one more leaf, under `key`, in the container at `path`."""
    if path:
        index = structure.keys.index(path[0])
        items = list(structure.items)
        items[index] = _with_item(items[index], path[1:], key)
        return structure._replace(items=tuple(items), size=structure.size + 1)
    return structure._replace(keys=structure.keys + (key,), items=structure.items + (None,),
                              size=structure.size + 1)


def _empty(node) -> bool:
    return not (node.values if isinstance(node, gast.Dict) else node.elts)


def _all_constants(node) -> bool:
    """A literal of numbers only (coefficients, sizes): it stays what it is."""
    items = node.values if isinstance(node, gast.Dict) else node.elts
    return all(_all_constants(i) if _literal(i) else isinstance(i, gast.Constant)
               for i in items)


def _literal(node) -> bool:
    """A list, tuple or dict (with distinct constant keys) written out in the code."""
    if isinstance(node, (gast.List, gast.Tuple)):
        return True
    return isinstance(node, gast.Dict) and all(
        isinstance(k, gast.Constant) and type(k.value) in (str, int) for k in node.keys) \
        and len({k.value for k in node.keys}) == len(node.keys)


def leaf_kinds(flattened: Flattened) -> dict:
    return {leaf: kind_of_key(key) for leaf, key in flattened.leaf_keys.items()}
