"""Stage 1b: calls into the user's own functions, inlined.

With `def layer(x, W, b): return np.tanh(x @ W + b)`, the statement
`h = layer(X, W1, b1)` becomes `h = np.tanh(X @ W1 + b1)` before anything else
looks at the code.  Every later stage then sees one function: kinds, shifts and
dead code cross the call, the printed derivative shows the helper's lines, and a
helper costs what its body costs.

- Arguments that are names or constants replace the parameters; other arguments
  are evaluated first, into a variable named after the parameter.
- The helper's own variables get names of their own where they would clash.
- The names it reads from its module or closure are bound to the same objects
  (renamed where the caller means something else by them).
- Calls are taken out of their statement, in the order Python makes them; a call
  Python might not evaluate (`a if c else f(x)`, `c and f(x)`, a `while` condition)
  is refused with a TransformError.
- A recursive call stays a call, with a rule that differentiates it through `vjp`.
"""
from __future__ import annotations

import dataclasses
import inspect
import sys
import types
import weakref

import gast

from .astutil import (NameGenerator, all_names, assign, clone, const, copy_location, name,
                      parameter_names, stored_names)
from .custom import differentiate_recursion, is_split_call
from .normalise import single_exit
from .rules import lookup
from .source import INLINED_FROM, FunctionSource, Unresolved, identifier, read_function
from .comprehensions import lower_comprehensions
from .inplace import lower_in_place_calls
from .syntax import check_supported

_LIBRARY_PATHS = ("site-packages", "dist-packages")


def inline_calls(src: FunctionSource, names: NameGenerator) -> FunctionSource:
    """`src` with the calls into the user's functions replaced by their bodies; its
    `bound` holds the objects the inlined code reads under new names."""
    inliner = _Inliner(src, names, (src.func,))
    body = inliner.block(src.tree.body)
    for node in (n for s in body for n in gast.walk(s)):
        if isinstance(node, gast.Name) and node.id in inliner.local_functions:
            raise src.error(f"s2sad inlines {node.id!r}, a function defined in the function, "
                            "where it is called, and cannot use it any other way", node,
                            "call it directly, or define it at module level")
        if _passes_on_packed([node]):
            raise src.error("s2sad writes out *args and **kwargs only in calls to the "
                            "user's own functions", node, "pass the arguments one by one")
    if not inliner.inlined and not inliner.bound:
        return src
    src.tree.body = body
    return _with_bindings(src, inliner)


def _with_bindings(src: FunctionSource, inliner: "_Inliner") -> FunctionSource:
    return dataclasses.replace(src, locals=src.locals | inliner.new_locals,
                               bound={**src.bound, **inliner.bound})


def _user_object(value) -> bool:
    """An instance of a class of the user's: its methods are known where it is."""
    cls = type(value)
    module = (getattr(cls, "__module__", None) or "").split(".")[0]
    return module not in sys.stdlib_module_names and module not in (
        "builtins", "numpy", "scipy", "s2sad") and not isinstance(value, type)


def user_function(fn) -> bool:
    """A Python function of the user's, to inline: not a library's, and without a rule."""
    if not isinstance(fn, types.FunctionType) or lookup(fn) is not None:
        return False
    module = (getattr(fn, "__module__", None) or "").split(".")[0]
    if module in sys.stdlib_module_names or module in ("numpy", "scipy", "s2sad"):
        return False
    return not any(part in fn.__code__.co_filename for part in _LIBRARY_PATHS)


class _LocalFunction:
    """A `def` (or `f = lambda ...`) inside the function being transformed."""

    def __init__(self, tree: gast.FunctionDef):
        self.tree = tree
        self.__name__ = self.__qualname__ = tree.name


def _from_lambda(target: str, value: gast.Lambda, where) -> gast.FunctionDef:
    body = [copy_location(gast.Return(value=value.body), where)]
    return copy_location(gast.FunctionDef(name=target, args=value.args, body=body,
                                          decorator_list=[], returns=None,
                                          type_comment=None, type_params=[]), where)


class _Inliner:
    def __init__(self, src: FunctionSource, names: NameGenerator, active: tuple,
                 objects: dict | None = None):
        self.src, self.names, self.active = src, names, active
        self.objects = objects or {}   # parameters given an object of the user's: `self`
        self.taken = set(names.taken)   # before the helpers' names are reserved
        self.inlined = False
        self.new_locals: set = set()
        self.bound: dict = {}
        self.local_functions: dict[str, _LocalFunction] = {}
        self.packed: dict[str, gast.AST] = {}   # `args` of a helper -> its tuple literal
        self.deferred = False   # a call passing on this function's own *args is left

    # statements ---------------------------------------------------------------

    def block(self, stmts: list) -> list:
        out = []
        for s in stmts:
            out += self.statement(s)
        return out

    def statement(self, s) -> list:
        if isinstance(s, gast.Assign) and len(s.targets) == 1 \
                and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Lambda):
            s = _from_lambda(s.targets[0].id, s.value, s)
        if isinstance(s, gast.FunctionDef):   # inlined where it is called
            return self.local_function(s)
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, self.block(getattr(s, field)))
        pre: list = []
        if isinstance(s, gast.While):
            self.refuse_calls_in(s.test, "a 'while' condition")
        elif isinstance(s, gast.For):
            s.iter = self.expression(s.iter, pre)
        elif isinstance(s, gast.If):
            s.test = self.expression(s.test, pre)
        elif isinstance(s, gast.Assign) and len(s.targets) == 1 \
                and isinstance(s.targets[0], gast.Name) and self.callee(s.value):
            # y = f(x): the body's result goes straight into y
            s.value = self.expression_args(s.value, pre)
            if not self.unpacked(s.value):   # passes on this function's own *args
                self.deferred = True
                return [copy_location(p, s) for p in pre] + [s]
            pre += self.inline(s.value, pre_target=s.targets[0].id)
            return [copy_location(p, s) for p in pre]
        elif isinstance(s, (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Expr,
                            gast.Return)):
            if getattr(s, "value", None) is not None:
                s.value = self.expression(s.value, pre, whole=isinstance(s, (gast.Expr,
                                                                            gast.Return)))
            if isinstance(s, gast.Assign):
                s.targets = [self.expression(t, pre) for t in s.targets]
            elif isinstance(s, gast.AugAssign):
                s.target = self.expression(s.target, pre)
        return [copy_location(p, s) for p in pre] + [s]

    def local_function(self, tree: gast.FunctionDef) -> list:
        """Remember a function defined in the function; its defaults are evaluated
        here, where Python evaluates them, into variables of their own."""
        if tree.name in self.local_functions:
            raise self.src.error(f"s2sad inlines functions defined in the function and "
                                 f"cannot tell which {tree.name!r} a call means", tree,
                                 "give each function its own name")
        out, args = [], tree.args
        for defaults in (args.defaults, args.kw_defaults):
            for index, default in enumerate(defaults):
                if default is not None and not isinstance(default, gast.Constant):
                    held = self.local(tree.name + "_default")
                    out.append(copy_location(assign(held, default), tree))
                    defaults[index] = name(held)
        self.local_functions[tree.name] = _LocalFunction(tree)
        return out

    # expressions --------------------------------------------------------------

    def expression(self, e, pre: list, whole: bool = False):
        """`e` with each call into a user function replaced by the name of its result,
        the inlined bodies appended to `pre`.  A call inside a larger expression runs
        before the rest of it: refused where the helper writes into its arguments,
        which the rest may read (`whole`: `e` is the statement's entire value)."""
        if isinstance(e, (gast.IfExp, gast.BoolOp, gast.Lambda)):
            self.refuse_calls_in(e, "a conditional expression or 'and'/'or'")
            return e
        if not isinstance(e, gast.AST):
            return e
        for field, value in gast.iter_fields(e):
            if isinstance(value, list):
                value[:] = [self.expression(v, pre) for v in value]
            elif isinstance(value, gast.AST):
                setattr(e, field, self.expression(value, pre))
        if isinstance(e, gast.Call) and isinstance(e.func, gast.Call):
            e.func = self.made_here(e.func)
        if isinstance(e, gast.Call):
            self.unbind_method(e)
        fn = self.callee(e)   # (a recursive call is registered as split here)
        if isinstance(e, gast.Call) and e.keywords:
            _as_positional(e, self.resolve(e.func), self.constant)
        if fn is None:
            return e
        if not self.unpacked(e):
            self.deferred = True   # f(*args) in the helper that takes *args: inlined
            return e               # where the helper is, and args is known
        result = self.names.fresh("_" + identifier(fn).strip("_"))   # __call__: _call
        pre += self.inline(e, pre_target=result, whole=whole)
        return name(result)

    def expression_args(self, call: gast.Call, pre: list) -> gast.Call:
        call.args = [self.expression(a, pre) for a in call.args]
        for k in call.keywords:
            k.value = self.expression(k.value, pre)
        return call

    def unpacked(self, call: gast.Call) -> bool:
        """`f(*args, **kwargs)` with the tuple and dict they stand for written out;
        False where they are this function's own parameters, known only later."""
        args, keywords = [], []
        for arg in call.args:
            if isinstance(arg, gast.Starred):
                packed = self.packed_value(arg.value, gast.Tuple, call)
                if packed is None:
                    return False
                args += [clone(item) for item in packed.elts]
            else:
                args.append(arg)
        for keyword in call.keywords:
            if keyword.arg is None:
                packed = self.packed_value(keyword.value, gast.Dict, call)
                if packed is None:
                    return False
                if not all(isinstance(k, gast.Constant) and type(k.value) is str
                           for k in packed.keys):
                    raise self.src.error("s2sad passes on **kwargs only with keys written "
                                         "as strings", call, "name the keyword arguments")
                keywords += [gast.keyword(arg=k.value, value=clone(v))
                             for k, v in zip(packed.keys, packed.values)]
            else:
                keywords.append(keyword)
        call.args, call.keywords = args, keywords
        return True

    def packed_value(self, node, kind, call):
        if isinstance(node, gast.Name) and node.id in self.packed:
            return self.packed[node.id]
        if isinstance(node, kind) or kind is gast.Tuple and isinstance(node, gast.List):
            return node
        own = self.src.tree.args.vararg if kind is gast.Tuple else self.src.tree.args.kwarg
        if isinstance(node, gast.Name) and own is not None and node.id == own.id:
            return None
        raise self.src.error("s2sad passes on *args and **kwargs only where it sees the "
                             "tuple or dict they hold (a helper's own *args and **kwargs, "
                             "or a literal)", call, "pass the arguments one by one")

    def made_here(self, factory_call: gast.Call):
        """`s2sad.grad(f)` in `s2sad.grad(f)(x)`: made now, once, and read through a
        name, when the call and its arguments are known here."""
        factory = getattr(self.resolve(factory_call.func), "made_at_transform_time", None)
        args = [self.known_value(a) for a in factory_call.args]
        keywords = {k.arg: self.known_value(k.value) for k in factory_call.keywords}
        if factory is None or Unresolved in args or Unresolved in keywords.values() \
                or None in keywords:
            return factory_call
        made = factory(*args, **keywords)
        held = self.held(made, f"{factory.__name__}_{identifier(made)}")
        return copy_location(name(held), factory_call)

    def unbind_method(self, call: gast.Call) -> None:
        """`model.loss(w)`, with `model` known here: `Model.loss(model, w)`, which
        inlines like any function of the user's; `layer(x)`, a callable object of the
        user's: `Layer.__call__(layer, x)`."""
        method = self.resolve(call.func)
        if _user_object(method) and user_function(getattr(type(method), "__call__", None)):
            receiver, method = call.func, method.__call__
        elif inspect.ismethod(method) and user_function(method.__func__):
            receiver = call.func.value if isinstance(call.func, gast.Attribute) else \
                name(self.held(method.__self__, "self"))
        else:
            return
        call.func = copy_location(name(self.held(method.__func__, identifier(method))), call)
        call.args.insert(0, receiver)

    def held(self, value, label: str) -> str:
        """A fresh name bound to `value` in the code made here."""
        found = self.names.fresh(f"_{label}")
        self.bound[found] = value
        return found

    def known_value(self, node):
        if isinstance(node, gast.Constant):
            return node.value
        if isinstance(node, gast.Tuple):
            items = [self.known_value(item) for item in node.elts]
            return Unresolved if Unresolved in items else tuple(items)
        return self.resolve(node)

    def resolve(self, node):
        """The object a name denotes here, the helpers' names bound so far included,
        and the objects given for parameters (whose methods are known here)."""
        if isinstance(node, gast.Name) and node.id in self.bound:
            return self.bound[node.id]
        if isinstance(node, gast.Name) and node.id in self.objects:
            return self.objects[node.id]
        if isinstance(node, gast.Attribute) and self.objects:   # self.layer.forward
            base = self.resolve(node.value)
            return Unresolved if base is Unresolved else getattr(base, node.attr, Unresolved)
        return self.src.resolve(node)

    def objects_given(self, callee: FunctionSource, call: gast.Call) -> dict:
        """The callee's parameters given an object of the user's (not a value with a
        derivative) that it never rebinds: `self` in `model.loss(w)`."""
        args = callee.tree.args
        params = [a.id for a in args.posonlyargs + args.args]
        rebound = stored_names(gast.Module(body=callee.tree.body, type_ignores=[]))
        found = {}
        for param, arg in zip(params, call.args):
            value = self.resolve(arg)
            if param not in rebound and _user_object(value):
                found[param] = value
        return found

    def refuse_calls_in(self, e, where: str) -> None:
        for node in gast.walk(e):
            fn = self.callee(node)
            if fn is not None:
                raise self.src.error(
                    f"s2sad cannot inline the call to {fn.__name__} in {where}, where Python "
                    "may not evaluate it (or evaluates it again)", node,
                    "assign the call's result to a variable in a statement of its own")

    def callee(self, node):
        """The user's function `node` calls, to inline; None for anything else.  A
        recursive call stays a call, differentiated through `vjp` of the function
        (registered as its rule, see `custom.differentiate_recursion`)."""
        if not isinstance(node, gast.Call):
            return None
        if isinstance(node.func, gast.Name) and node.func.id in self.local_functions:
            return self.local_functions[node.func.id]
        fn = self.resolve(node.func)
        if fn is Unresolved or not user_function(fn):
            return None
        if fn in self.active:
            differentiate_recursion(fn)
            return None
        return fn

    # one call -----------------------------------------------------------------

    def inline(self, call: gast.Call, pre_target: str, whole: bool = True) -> list:
        fn = self.callee(call)
        if fn in self.active:   # a function defined in the function, calling itself
            raise self.src.error(
                f"s2sad does not differentiate recursive calls of functions defined inside "
                f"the function ({fn.__qualname__} calls itself)", call,
                "define it at module level")
        callee = self.read(fn)
        self.inlined = True
        for n in all_names(callee.tree):
            self.names.reserve(n)
        # the helper's own helpers first, then its exits made into one final return
        inner = _Inliner(callee, self.names, self.active + (fn,),
                         self.objects_given(callee, call))
        if isinstance(fn, _LocalFunction):   # it sees the other local functions too
            inner.local_functions = dict(self.local_functions)
        callee.tree.body = inner.block(callee.tree.body)
        callee = _with_bindings(callee, inner) if inner.inlined or inner.bound else callee
        made_before = set().union(*self.names.made.values()) if self.names.made else set()
        body = single_exit(callee.tree.body, self.names)   # the caller's normalise does the rest
        made = set().union(*self.names.made.values()) - made_before
        if not whole and _writes_into_parameters(callee.tree):
            raise self.src.error(
                f"{fn.__name__} writes into its arguments, and this expression may read "
                "them around the call, in an order s2sad does not keep", call,
                f"call {fn.__name__} in a statement of its own (y = {fn.__name__}(...))")
        bindings, renames = self.bind_arguments(fn, callee, call)
        renames.update(self.rename_locals(callee, body, made, set(renames)))
        renames.update(self.rename_free_names(callee, body, renames))
        for node in (n for s in body for n in gast.walk(s)):
            if getattr(node, INLINED_FROM, None) is None:
                setattr(node, INLINED_FROM, callee)
        body = _renamed(body, renames)   # the helper's names only, not the caller's target
        final = body.pop()   # the one `return`, last
        body.append(copy_location(assign(pre_target, final.value), final))
        if inner.deferred or _passes_on_packed(body):   # f(*args), now that args is known
            self.bound.update(inner.bound)
            body = self.block(body)
        return bindings + _fold_constant_branches(body)

    def read(self, fn) -> FunctionSource:
        """The helper's source: read from its file, or, for a function defined in the
        function itself, its `def` seen with that function's names (it reads them
        when it is called, as Python's closures do)."""
        if not isinstance(fn, _LocalFunction):
            read = _read_helper(fn)
            callee = dataclasses.replace(read, tree=clone(read.tree))
            lower_comprehensions(callee, self.names)
            lower_in_place_calls(callee)
            return callee
        tree = clone(fn.tree)
        own = set(parameter_names(tree))
        callee = dataclasses.replace(self.src, tree=tree, locals=self.src.locals | own)
        lower_comprehensions(callee, self.names)   # a lambda's, now in its `return`
        lower_in_place_calls(callee)
        return dataclasses.replace(callee, locals=callee.locals | stored_names(
            gast.Module(body=tree.body, type_ignores=[])))

    def defaults(self, fn, callee: FunctionSource) -> dict:
        """Each parameter with a default: the expression its value comes from."""
        args = callee.tree.args
        positional = [a.id for a in args.posonlyargs + args.args]
        if isinstance(fn, _LocalFunction):
            found = dict(zip(positional[len(positional) - len(args.defaults):], args.defaults))
            found.update({a.id: d for a, d in zip(args.kwonlyargs, args.kw_defaults)
                          if d is not None})
            return {p: clone(d) for p, d in found.items()}
        values = dict(zip(positional[len(positional) - len(fn.__defaults__ or ()):],
                          fn.__defaults__ or ()))
        values.update(fn.__kwdefaults__ or {})
        return {p: self.constant(v, p) for p, v in values.items()}

    def bind_arguments(self, fn, callee: FunctionSource, call: gast.Call):
        """Statements evaluating the arguments, and the parameters replaced outright.
        A `*args` parameter is bound to a tuple of the extra arguments, `**kwargs` to a
        dict of the extra keywords (literals, split into variables later)."""
        args = callee.tree.args
        params = [a.id for a in args.posonlyargs + args.args]
        keyword_only = [a.id for a in args.kwonlyargs]
        given = dict(zip(params, call.args))
        extra_args, extra_keywords = call.args[len(params):], {}
        if extra_args and args.vararg is None:
            raise self.src.error(f"{fn.__name__} takes {len(params)} positional arguments "
                                 f"but {len(call.args)} were given", call)
        for k in call.keywords:
            if k.arg not in given and k.arg not in params + keyword_only \
                    and args.kwarg is not None and k.arg not in extra_keywords:
                extra_keywords[k.arg] = k.value
                continue
            if k.arg in given or k.arg not in params + keyword_only:
                raise self.src.error(f"{fn.__name__}() got an unexpected or repeated "
                                     f"argument {k.arg!r}", call)
            given[k.arg] = k.value
        statements, packed = [], []
        if args.vararg is not None:   # each item evaluated once, here, as Python does
            items = [self.evaluated(v, f"{args.vararg.id}_{i}", statements)
                     for i, v in enumerate(extra_args)]
            packed.append((args.vararg.id, gast.Tuple(elts=items, ctx=gast.Load())))
        if args.kwarg is not None:
            values = [self.evaluated(v, k, statements) for k, v in extra_keywords.items()]
            packed.append((args.kwarg.id, gast.Dict(keys=[const(k) for k in extra_keywords],
                                                    values=values)))
        defaults = self.defaults(fn, callee)
        stored = stored_names(gast.Module(body=callee.tree.body, type_ignores=[]))
        renames = {}
        for param in params + keyword_only:
            if param in given:
                value = given[param]
            elif param in defaults:
                value = defaults[param]
            else:
                raise self.src.error(f"{fn.__name__}() is missing the argument {param!r}", call)
            if param not in stored and self.is_direct(value):
                renames[param] = value
            else:
                local = self.local(param)
                statements.append(assign(local, value))
                renames[param] = name(local)
        for param, value in packed:
            local = self.local(param)
            statements.append(assign(local, value))
            renames[param] = name(local)
            if param not in stored:   # f(*args) in the helper can be written out
                self.packed[local] = value
        return statements, renames

    def is_direct(self, value) -> bool:
        """A name, a constant, or a module's function (`activation=np.sin`): passed on
        as it is written."""
        return isinstance(value, (gast.Name, gast.Constant)) or (
            isinstance(value, gast.Attribute) and self.resolve(value) is not Unresolved)

    def evaluated(self, value, wanted: str, statements: list):
        """`value` itself where it is direct, else a variable holding it (its
        assignment added to `statements`)."""
        if self.is_direct(value):
            return value
        local = self.local(wanted)
        statements.append(assign(local, value))
        return name(local)

    def constant(self, value, param: str):
        if value is None or isinstance(value, (bool, int, float, str)):
            return const(value)
        alias = self.names.unique(param + "_default")
        self.bound[alias] = value
        return name(alias)

    def local(self, wanted: str) -> str:
        """A caller variable for the helper's `wanted`: the same name where free."""
        new = wanted if wanted not in self.taken else self.names.unique(wanted)
        self.taken.add(new)
        self.new_locals.add(new)
        return new

    def rename_locals(self, callee: FunctionSource, body: list, made: set, done: set) -> dict:
        stored = stored_names(gast.Module(body=body, type_ignores=[]))
        return {n: name(n if n in made else self.local(n)) for n in sorted(stored - done)}

    def rename_free_names(self, callee: FunctionSource, body: list, renames: dict) -> dict:
        """Names the helper reads from its module or closure: the same name where the
        caller sees the same object, else a new name bound to the helper's object."""
        found = {}
        for node in (n for s in body for n in gast.walk(s)):
            if not isinstance(node, gast.Name) or node.id in renames or node.id in found:
                continue
            value = callee.resolve(node)
            if value is Unresolved or self.src.resolve(node) is value:
                continue
            alias = self.alias(node.id, value)
            self.bound[alias] = value
            found[node.id] = name(alias)
        return found

    def alias(self, wanted: str, value) -> str:
        """The caller's own name for a module (`np` for the helper's `numpy`), else
        the helper's name where the caller does not use it, else a new one."""
        if isinstance(value, types.ModuleType):
            for n, v in self.src.func.__globals__.items():
                if v is value and self.src.resolve(name(n)) is value:
                    return n
        if wanted not in self.taken:
            self.taken.add(wanted)
            return wanted
        return self.names.unique(wanted)


_HELPERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _read_helper(fn) -> FunctionSource:
    """A helper's source, read and checked once (each inlining works on a copy)."""
    found = _HELPERS.get(fn)
    if found is None:
        found = read_function(fn)
        check_supported(found, helper=True)
        _HELPERS[fn] = found
    return found


def _renamed(body: list, renames: dict) -> list:
    """Loads become the replacement node; stores into renamed names are renamed."""
    def visit(node):
        if isinstance(node, gast.Name) and node.id in renames:
            new = renames[node.id]
            if isinstance(node.ctx, gast.Load):
                return copy_location(clone(new), node)
            node.id = new.id
            return node
        for field, value in gast.iter_fields(node):
            if isinstance(value, list):
                value[:] = [visit(v) if isinstance(v, gast.AST) else v for v in value]
            elif isinstance(value, gast.AST):
                setattr(node, field, visit(value))
        return node
    return [visit(s) for s in body]


def _as_positional(call: gast.Call, fn, constant) -> None:
    """`f(x, s=5.0)` -> `f(x, 5.0)` for a function differentiated as a whole (a
    `custom_vjp` function, `grad(g)`, a recursion), whose rule takes its arguments by
    position (defaults left out stay out; `constant` makes a node for a default)."""
    if not is_split_call(fn):
        return
    signature = inspect.signature(fn).parameters
    parameters = list(signature)
    given = dict(zip(parameters, call.args))
    given.update((k.arg, k.value) for k in call.keywords)
    if None in given or not set(given) <= set(parameters):
        return   # **kwargs, or an unknown name: the binding reports it
    last = max(parameters.index(p) for p in given)
    call.args = call.args + [given[p] if p in given else constant(signature[p].default, p)
                             for p in parameters[len(call.args):last + 1]]
    call.keywords = []


def _passes_on_packed(body: list) -> bool:
    return any(isinstance(n, gast.Starred) or isinstance(n, gast.keyword) and n.arg is None
               for s in body for n in gast.walk(s))


def _writes_into_parameters(tree: gast.FunctionDef) -> bool:
    """`a[i] = ...` or `a += ...` on a parameter: a write the caller sees."""
    params = set(parameter_names(tree))
    for node in gast.walk(tree):
        target = node.target if isinstance(node, gast.AugAssign) else \
            node.targets[0] if isinstance(node, gast.Assign) else None
        while isinstance(target, gast.Subscript):
            target = target.value
        if isinstance(target, gast.Name) and target.id in params \
                and not (isinstance(node, gast.Assign) and node.targets[0] is target):
            return True
    return False


def _fold_constant_branches(stmts: list) -> list:
    """`if True: a else: b` -> `a`: arguments given as constants (`square=True`)
    decide the helper's branches once, here."""
    out = []
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _fold_constant_branches(getattr(s, field)))
        if isinstance(s, gast.If) and isinstance(s.test, gast.Constant):
            out += s.body if s.test.value else s.orelse
        else:
            out.append(s)
    return out


