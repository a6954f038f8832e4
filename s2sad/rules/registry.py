"""The derivative-rule registry: one entry per primitive, keyed by the function object.

A reverse rule is a small Python expression per differentiable parameter, written
in terms of the parameters, `ans` (the primitive's output), `g` (the cotangent
of the output) and `fn` (the function called, as the code names it).  The
transformer inlines these expressions into the generated code, so the printed
derivative shows the math itself:

    defvjp(np.sin, "x", dx="g * np.cos(x)")
    defvjp(np.arctan2, "y, x", dy="g * x / (x * x + y * y)", dx="-g * y / (x * x + y * y)")

The signature string follows Python syntax.  A parameter annotated `: seq` takes a
list or tuple of arrays (`np.concatenate`); its template, like that of a `*args`
parameter, returns one cotangent per item.  Where such a list is built at run time,
the derivative keeps its cotangent as one array with a row per item (see `lists`);
`stacked=` gives, optionally, a template that answers in that form directly
(`np.stack`: `np.moveaxis(g, axis, 0)` rather than a tuple of its rows).  Templates
may call NumPy as `np`, the `math` module, and the helpers in `s2sad.runtime` by
their bare names.

A forward rule (forward mode, `defjvp`/`deflinear`) gives the output's tangent from
`t`, the tangent of one parameter; elementwise rules derive theirs from the reverse
template (see `Rule.forward_template`).
"""
from __future__ import annotations

import builtins
import functools
from dataclasses import dataclass, field

import gast
import numpy as np

from ..astutil import parse_expr, substitute


@dataclass(frozen=True)
class Param:
    name: str
    default: object = None
    has_default: bool = False
    sequence: bool = False      # `: seq` - a list/tuple of values
    variadic: bool = False      # `*name`
    keyword_only: bool = False


@dataclass
class Rule:
    """How one primitive is differentiated.

    `vjp` maps a parameter name to the template of its cotangent contribution;
    `nondiff` marks primitives whose output carries no derivative (len, argmax,
    floor, ...); `output` says how the output's shape follows from the inputs':
    "elementwise" (broadcast of the arguments), "items" (builtin sum, and max/min of
    one argument: of its items), "scalar", "same" (as the first
    argument), "permuted" (its ndim, axes reordered), "reduce" (by `axis` and
    `keepdims`), "matmul", "shape" (np.zeros(shape)), "vector" (1-D, np.arange),
    "stacked" (an axis more than its items), "joined" (as many as its items),
    "array" (np.array: a list literal's items and an axis, else its argument's) or
    "unknown" (see `kinds.infer_kinds`).
    """
    fn: object
    params: tuple
    vjp: dict = field(default_factory=dict)
    nondiff: bool = False
    integer: bool | str = False     # "args": integer when all the arguments are; "bool"
    output: str = "elementwise"
    stacked: dict = field(default_factory=dict)   # `: seq` parameter -> template
    joint: tuple = ()   # (parameters, template of all their cotangents at once)
    jvp: dict = field(default_factory=dict)   # parameter -> forward template (`t`: its tangent)
    linear: dict = field(default_factory=dict)   # parameter -> "alone" / "jointly"
    batched: dict = field(default_factory=dict)   # parameter -> batch template ("": as is)
    batch_axes: dict = field(default_factory=dict)   # axis parameter -> whose axes (defbatch)

    @property
    def name(self) -> str:
        return describe(self.fn)

    def template(self, param: str, stacked: bool = False) -> gast.AST:
        return parse_expr(self.stacked[param] if stacked else self.vjp[param])

    def forward_template(self, param: str) -> gast.AST | None:
        """The output's tangent from `t`, the tangent of `param` alone, as a template;
        None where the function is linear in `param` (the transformer calls it on `t`)
        or has no forward rule for it (`has_forward`)."""
        if param in self.jvp:
            return parse_expr(self.jvp[param])
        if not self.elementwise_forward(param):
            return None
        # an elementwise function's Jacobian is diagonal: J t is its reverse template
        # with g -> t, the summing-down to the parameter's shape left out
        template = parse_expr(self.vjp[param])
        if isinstance(template, gast.Call) and getattr(template.func, "id", None) \
                == "unbroadcast":
            template = template.args[0]
        return substitute(template, {"g": gast.Name(id="t", ctx=gast.Load(),
                                                    annotation=None, type_comment=None)})

    def elementwise_forward(self, param: str) -> bool:
        """Whether the forward rule for `param` is the reverse one with g -> t."""
        return param not in self.jvp and param not in self.linear and param in self.vjp \
            and self.output in ("elementwise", "scalar")

    def maps_over_batch(self, param: str) -> bool:
        """Whether `param`'s forward template is one call reading `t` once, as an
        argument: batched forward mode runs it on each basis vector's tangent."""
        return reading_t(self.forward_template(param)) is not None

    def batchable(self, param: str) -> bool:
        """Whether batched forward mode takes `param`'s tangent wherever it is called."""
        return param in self.batched or self.elementwise_forward(param) \
            or self.maps_over_batch(param)

    def has_forward(self, param: str) -> bool:
        """Whether the output's tangent has a term for `param` (one of "0" adds none:
        the output depends on it through its shape only)."""
        return param in self.jvp or param in self.linear or (
            param in self.vjp and self.output in ("elementwise", "scalar"))

    def uses_output(self, param: str) -> bool:
        return mentions(self.vjp[param], "ans") or \
            param in self.stacked and mentions(self.stacked[param], "ans")


def reading_t(template) -> int | None:
    """The position of `t` in a template that is one call reading it once, as a
    positional argument (`svd_tangent(t, a, ans)`: 0), else None."""
    if not isinstance(template, gast.Call) or template.keywords:
        return None
    reads = [n for n in gast.walk(template) if isinstance(n, gast.Name) and n.id == "t"]
    at = [i for i, a in enumerate(template.args) if any(a is r for r in reads)]
    return at[0] if len(reads) == 1 and len(at) == 1 else None


_REGISTRY: dict[object, Rule] = {}


def lookup(fn) -> Rule | None:
    """The rule registered for the function object `fn` (or shared by its class, see
    `share_rule`), or None."""
    try:
        found = _REGISTRY.get(fn)
    except TypeError:  # unhashable callables have no rules
        return None
    if found is None and getattr(fn, "takes_shared_rule", False):
        return _SHARED.get(type(fn))
    return found


_SHARED: dict[type, Rule] = {}


def share_rule(cls: type, signature: str, **cotangents: str) -> None:
    """One reverse rule for every instance of `cls`, a class of callables (s2sad's
    derivative objects), whose `takes_shared_rule` is true: registering each
    would keep each alive."""
    rule = defvjp(cls, signature, output="unknown", **cotangents)
    del _REGISTRY[cls]
    _SHARED[cls] = rule


def defvjp(fn, signature: str, *, output: str = "elementwise", stacked: dict | None = None,
           joint: tuple | None = None, **cotangents: str) -> Rule:
    """Register the reverse rule of `fn`.

    Each keyword `d<param>="expression"` gives the cotangent contribution for that
    parameter; parameters without one get no derivative (integers, flags, axes).
    `joint=("a, b", "expression")` gives a tuple of those parameters' cotangents in
    one call, used where all of them need one (a solve shared by both).

    >>> import numpy as np, s2sad
    >>> def softplus(x):
    ...     return np.log1p(np.exp(x))
    >>> rule = s2sad.defvjp(softplus, "x", dx="g * 0.5 * (1 + np.tanh(x / 2))")
    >>> rule.name.endswith("softplus")
    True
    """
    params = parse_signature(signature)
    known = {p.name for p in params}
    if known & {"g", "fn"}:
        raise ValueError(f"a reverse rule's parameters cannot be named "
                         f"{sorted(known & {'g', 'fn'})}: templates use those names for the "
                         "cotangent and the function")
    vjp = {}
    for key, template in cotangents.items():
        if not key.startswith("d") or key[1:] not in known:
            raise ValueError(f"{key!r} names no parameter of {signature!r}")
        _check_names(key, template, known)
        vjp[key[1:]] = template
    for param, template in (stacked or {}).items():
        if param not in vjp or not any(p.name == param and p.sequence for p in params):
            raise ValueError(f"stacked: {param!r} is no `: seq` parameter with a rule")
        _check_names(f"stacked {param}", template, known)
    if joint is not None:   # ("a, b", "solve_adjoints(g, a, b, ans)"): one call for both
        together = tuple(p.strip() for p in joint[0].split(","))
        if not set(together) <= set(vjp):
            raise ValueError(f"joint: {joint[0]!r} names parameters without templates")
        _check_names("joint", joint[1], known)
        joint = (together, joint[1])
    rule = Rule(fn, params, vjp, output=output, stacked=dict(stacked or {}),
                joint=joint or ())
    _store(fn, rule)
    return rule


def _forward_rule(fn, signature: str | None) -> Rule:
    """The rule to give a forward form: the registered one, or (with `signature`) a
    new rule with no reverse form (a helper of generated code, say)."""
    rule = lookup(fn)
    if rule is None and signature is not None:
        rule = Rule(fn, parse_signature(signature), output="unknown")
        _store(fn, rule)
    if rule is None or rule.nondiff:
        raise ValueError(f"register the reverse rule of {describe(fn)} first (defvjp)")
    return rule


def defjvp(fn, signature: str | None = None, **tangents: str) -> Rule:
    """Give the forward rule of `fn`, whose reverse rule is registered: for each
    parameter, `t<param>="expression"`, the output's tangent from `t`, that
    parameter's tangent (linear in `t`).

    >>> import numpy as np, s2sad
    >>> rule = s2sad.defjvp(np.prod, ta="np.sum(t * prod_partials(a, axis), axis=axis, "
    ...                                  "keepdims=keepdims)")
    >>> "a" in rule.jvp
    True
    """
    rule = _forward_rule(fn, signature)
    known = {p.name for p in rule.params}
    for key, template in tangents.items():
        if not key.startswith("t") or key[1:] not in known:
            raise ValueError(f"{key!r} names no parameter of the rule for {rule.name}")
        _check_names(key, template, known | {"t"})
        rule.jvp[key[1:]] = template
    return rule


def deflinear(fn, *params: str, jointly: bool = True, signature: str | None = None) -> Rule:
    """Declare `fn` linear in each of `params` (the others held fixed): its forward
    rule calls `fn` itself on the tangent.  A `: seq` parameter takes its items'
    tangents together (`jointly`, as np.concatenate) or one item at a time (as the
    operands of np.einsum).

    >>> import numpy as np, s2sad
    >>> s2sad.deflinear(np.cumsum, "a").linear
    {'a': 'jointly'}
    """
    rule = _forward_rule(fn, signature)
    for param in params:
        if param not in {p.name for p in rule.params}:
            raise ValueError(f"{param!r} names no parameter of the rule for {rule.name}")
        rule.linear[param] = "jointly" if jointly else "alone"
    return rule


def defbatch(fn, *params: str, axes: dict | None = None, **templates: str) -> Rule:
    """Say how the forward rule of `fn` takes a batch of tangents (`t` shaped
    `(k,) + x.shape`, one row per basis vector: `jacobian` pushes them all at once).
    `params`: the forward rule works on a batch as it is, once the axis parameters in
    `axes` count from the end.  `axes` maps each to the parameter whose axes it
    counts (None: all of them), `"<param>:flat"` (None flattens: no batch form
    then) or `"ans"` (the output's axes).  `t<param>="..."`: a template of its own.
    Elementwise rules need none of this.

    >>> import numpy as np, s2sad
    >>> sorted(s2sad.defbatch(np.sum, "a", axes={"axis": "a"}).batched)
    ['a']
    """
    rule = _forward_rule(fn, None)
    known = {p.name for p in rule.params}
    for param in params:
        if param not in known:
            raise ValueError(f"{param!r} names no parameter of the rule for {rule.name}")
        rule.batched[param] = ""
    for key, template in templates.items():
        if not key.startswith("t") or key[1:] not in known:
            raise ValueError(f"{key!r} names no parameter of the rule for {rule.name}")
        _check_names(key, template, known | {"t", "position"})
        rule.batched[key[1:]] = template
    for param, counted in (axes or {}).items():
        if param not in known or counted.split(":")[0] not in known | {"ans"}:
            raise ValueError(f"axes: {param!r}: {counted!r} names no parameter of the rule "
                             f"for {rule.name}")
        rule.batch_axes[param] = counted
    return rule


def _check_names(key: str, template: str, known: set) -> None:
    """Fail now, not when some user's function is transformed."""
    unknown = {n.id for n in gast.walk(parse_expr(template)) if isinstance(n, gast.Name)} \
        - known - {"g", "ans", "fn"} - _template_globals()
    if unknown:
        raise ValueError(f"the rule {key}={template!r} uses unknown names {sorted(unknown)}; "
                         "templates may use the parameters, g, ans, np, math, builtins "
                         "and the helpers in s2sad.runtime")


def defnondiff(*fns, integer: bool | str = False, output: str = "elementwise") -> None:
    """Declare functions whose outputs have zero derivative (no error, no tape).

    >>> import numpy as np, s2sad
    >>> s2sad.defnondiff(np.isfinite)
    """
    for fn in fns:
        _store(fn, Rule(fn, (), nondiff=True, integer=integer, output=output))


def _store(fn, rule: Rule) -> None:
    _REGISTRY[fn] = rule


def all_rules() -> list[Rule]:
    return list(_REGISTRY.values())


@functools.lru_cache(maxsize=None)
def parse_signature(signature: str) -> tuple:
    func = gast.parse(f"def _({signature}): pass").body[0]
    args = func.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = []
    for arg, default in zip(positional, defaults):
        params.append(_param(arg, default, keyword_only=False))
    if args.vararg is not None:
        params.append(Param(args.vararg.id, variadic=True))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        params.append(_param(arg, default, keyword_only=True))
    taken = {p.name for p in params} & _TEMPLATE_NAMES
    if taken:
        raise ValueError(f"a rule's parameters cannot be named {sorted(taken)}: templates "
                         "use those names for the tangent and the output")
    return tuple(params)


_TEMPLATE_NAMES = {"t", "ans", "position"}   # and, in reverse templates, g and fn


def _param(arg, default, keyword_only: bool) -> Param:
    sequence = isinstance(arg.annotation, gast.Name) and arg.annotation.id == "seq"
    if default is None:
        return Param(arg.id, sequence=sequence, keyword_only=keyword_only)
    return Param(arg.id, default=gast.literal_eval(default), has_default=True,
                 sequence=sequence, keyword_only=keyword_only)


@functools.lru_cache(maxsize=1)
def _template_globals() -> frozenset:
    from .. import runtime
    return frozenset({"np", "math"} | set(vars(runtime)) | set(vars(builtins)))


def mentions(template: str, identifier: str) -> bool:
    """Whether the template reads the name `identifier`."""
    return any(isinstance(n, gast.Name) and n.id == identifier
               for n in gast.walk(parse_expr(template)))


def describe(fn) -> str:
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    if type(fn).__name__ == "ufunc":   # NumPy's own, or another library's (SciPy's)
        module = "numpy" if getattr(np, fn.__name__, None) is fn else "scipy.special"
    if module in (None, "builtins", "_operator"):
        return qualname if module != "_operator" else f"operator.{qualname}"
    return f"{module}.{qualname}"
