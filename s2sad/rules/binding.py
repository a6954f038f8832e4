"""Match a call's arguments to a rule's parameters and fill in its templates."""
from __future__ import annotations

import inspect

import gast

from ..astutil import const, substitute
from .registry import Rule, mentions


class BindingError(Exception):
    pass


def bind_arguments(rule: Rule, args: list, keywords: dict) -> dict:
    """Map each parameter name to the argument node (defaults become constants).

    Sequence and `*args` parameters map to a gast Tuple of the items.
    """
    bound = {}
    params = list(rule.params)
    positional = list(args)
    for param in params:
        if param.keyword_only:
            continue
        if param.variadic:
            bound[param.name] = gast.Tuple(elts=positional, ctx=gast.Load())
            positional = []
            break
        if positional:
            bound[param.name] = positional.pop(0)
    if positional:
        raise BindingError(f"{rule.name} got {len(args)} positional arguments, "
                           f"more than its rule knows")
    for key, value in keywords.items():
        if key not in {p.name for p in params}:
            raise BindingError(f"the rule for {rule.name} has no parameter {key!r}")
        bound[key] = value
    for param in params:
        if param.name not in bound and param.has_default:
            bound[param.name] = const(param.default)
        elif param.name not in bound and not param.variadic and any(
                mentions(t, param.name) for t in rule.vjp.values()):
            bound[param.name] = _function_default(rule, param.name)
        if param.sequence and param.name in bound:
            node = bound[param.name]
            if isinstance(node, gast.List):
                bound[param.name] = gast.Tuple(elts=node.elts, ctx=gast.Load())
    return bound


def _function_default(rule: Rule, param: str) -> gast.AST:
    """The default the function itself gives `param`, where the rule's signature
    gives none: a number, string, bool or None."""
    try:
        default = inspect.signature(rule.fn).parameters[param].default
    except (TypeError, ValueError, KeyError):
        default = inspect.Parameter.empty
    if default is None or isinstance(default, (bool, int, float, str)):
        return const(default)
    raise BindingError(f"the call leaves out {param!r}, which the rule for {rule.name} "
                       "reads; pass it, or give it its default in the rule's signature")


def instantiate(template: gast.AST, mapping: dict) -> gast.AST:
    """The template with parameter names, `g` and `ans` replaced by real nodes."""
    return substitute(template, mapping)
