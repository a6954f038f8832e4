"""Stage 4b: what each name holds, as far as the generated code is specialised on it.

A `Kind` is an ndim (None: unknown, or not an array), whether the dtype is integer
(True) or may be boolean ("bool": a mask, not an index array), and for each axis
whether its length is 1.  That last fact is all broadcasting
depends on: two axes that are both known not to be 1 have equal lengths (NumPy
would have raised otherwise), so `unbroadcast(g, b)` for `x + b` with x of shape
(n, d) and b of shape (d,) is `g.sum(axis=0)`, whatever n and d are.

Derivatives are specialised on the kinds of their arguments at the first call and
cached per kind, so a new batch size reuses the generated code; a length that
becomes 1 makes a new specialisation.
"""
from __future__ import annotations

import functools
import math
from typing import NamedTuple

import gast
import numpy as np

from . import rules
from .analysis import call_arguments, primitive_of, walk_statements
from .lists import appended_parts, grown_names
from .source import FunctionSource, Unresolved


class Kind(NamedTuple):
    ndim: int | None     # None: unknown (or not an array, e.g. a list)
    integer: bool | str = False   # True, or "bool" (both say: no derivative)
    ones: tuple | None = None   # per axis: length 1 (True), not 1 (False), unknown (None)

    def join(self, other: "Kind") -> "Kind":
        if self == other:
            return self
        integer = _joined_integer(self.integer, other.integer)
        if self.ndim != other.ndim or self.ndim is None:
            return kind(None, integer)
        ones = tuple(a if a == b else None for a, b in zip(self.ones, other.ones))
        return kind(self.ndim, integer, ones)

    @property
    def array(self) -> bool:
        """Surely a float NumPy array of at least one dimension (so it has `.sum(...)`).
        Integer kinds are left out: `x.shape` indexes like one but is a tuple."""
        return bool(self.ndim) and not self.integer


def _joined_integer(a, b):
    """One of two values: integer if both are; "bool" where either may be a mask."""
    if not (a and b):
        return False
    return a if a == b else "bool"


def _combined_integer(found) -> bool | str:
    """The result of arithmetic on these: integer if all are, boolean if all are masks."""
    if not all(k.integer for k in found):
        return False
    return "bool" if all(k.integer == "bool" for k in found) else True


def kind(ndim: int | None, integer: bool | str = False, ones=None) -> Kind:
    """The one way to make a Kind: `ones` always has one entry per axis when ndim is
    known, so that equal facts compare equal."""
    if ndim is None or ndim < 0:
        return Kind(None, integer, None)
    if ones is None or len(ones) != ndim:
        ones = (None,) * ndim
    return Kind(ndim, integer, tuple(ones))


UNKNOWN = kind(None)
FLOAT_SCALAR = kind(0)
INT_SCALAR = kind(0, True)


class Structure(NamedTuple):
    """A dict, list or tuple argument: its keys, and the keys of its items (each a
    `kind_of_value` key).  The code is specialised on it (see `structures`)."""
    container: type
    keys: tuple
    items: tuple
    size: int = 0     # how many leaves
    integer = False   # as a whole, it is no integer: the leaves say what they are
    ndim = None

    def leaves(self, path=()):
        """(path of keys, item key) for every item that is no container itself."""
        for key, item in zip(self.keys, self.items):
            if isinstance(item, Structure):
                yield from item.leaves(path + (key,))
            else:
                yield path + (key,), item


MAX_LEAVES = 64   # bigger containers are left alone (long lists of numbers, say)
_RANGES = [tuple(range(n)) for n in range(MAX_LEAVES + 1)]


def _structure_key(value) -> "Structure | Kind":
    if len(value) > MAX_LEAVES:
        return UNKNOWN
    if type(value) is dict:
        keys = tuple(value)
        items = tuple(map(kind_of_value, value.values()))
        if not all(type(k) in (str, int) for k in keys):
            return UNKNOWN
    else:
        keys, items = _RANGES[len(value)], tuple(map(kind_of_value, value))
    size = sum(item.size if type(item) is Structure else 1 for item in items)
    return Structure(type(value), keys, items, size) if size <= MAX_LEAVES else UNKNOWN


def carries_no_derivative(value) -> bool:
    """An int, bool, NumPy integer, an array of those, a string or None: no derivative,
    no tangent.

    >>> carries_no_derivative(3), carries_no_derivative(np.arange(2)), carries_no_derivative(1.5)
    (True, True, False)
    >>> carries_no_derivative("same"), carries_no_derivative(None)
    (True, True)
    """
    return isinstance(value, (bool, int, np.integer, str, bytes)) or value is None or (
        isinstance(value, np.ndarray) and value.dtype.kind in "iub")


def without_derivative(value) -> str:
    """What a value `carries_no_derivative` is, for messages."""
    return "not a number" if isinstance(value, (str, bytes)) or value is None \
        else "an integer"


def kind_of_value(value):
    """A cheap, hashable key for a runtime argument: a Kind, (shape, dtype) for an
    array, or a Structure for a dict, list or tuple.  The hot path of every derivative
    call; `kind_of_key` makes it a Kind (a Structure stays one)."""
    if type(value) is np.ndarray:
        return value.shape, value.dtype
    found = _KIND_BY_TYPE.get(type(value))
    if found is not None:
        return found
    if type(value) in (dict, list, tuple):
        return _structure_key(value)
    if isinstance(value, np.ndarray):
        return value.shape, value.dtype
    if isinstance(value, (bool, int, np.integer, np.bool_)):
        return INT_SCALAR
    if isinstance(value, (float, complex, np.floating, np.complexfloating)):
        return FLOAT_SCALAR
    return UNKNOWN


def kind_of_key(key) -> Kind:
    """The Kind of a `kind_of_value` key (the lengths of the axes reduced to 'is it 1').

    >>> kind_of_key(((5, 1), np.dtype(float)))
    Kind(ndim=2, integer=False, ones=(False, True))
    """
    if isinstance(key, (Kind, Structure)):
        return key
    shape, dtype = key
    if isinstance(shape, Kind):   # an array item of a Structure, made abstract
        return shape
    integer = "bool" if dtype.kind == "b" else dtype.kind in "iu"
    return kind(len(shape), integer, tuple(n == 1 for n in shape))


def abstract_structure(key):
    """A Structure key with its arrays' shapes reduced to their Kinds (dtypes kept),
    so that containers of arrays of other lengths share one transform."""
    if isinstance(key, Structure):
        return key._replace(items=tuple(map(abstract_structure, key.items)))
    if isinstance(key, Kind) or isinstance(key[0], Kind):
        return key
    return kind_of_key(key), key[1]


def dtype_of_key(key) -> np.dtype | None:
    """The dtype of an array argument's key (None for other arguments)."""
    return None if isinstance(key, (Kind, Structure)) else key[1]


NOT_A_NUMBER = kind(None, True)   # a string or None: no derivative either
_KIND_BY_TYPE = {float: FLOAT_SCALAR, int: INT_SCALAR, bool: INT_SCALAR,
                 np.float64: FLOAT_SCALAR, np.float32: FLOAT_SCALAR, np.int64: INT_SCALAR,
                 str: NOT_A_NUMBER, bytes: NOT_A_NUMBER, type(None): NOT_A_NUMBER}


def infer_kinds(body, param_kinds: dict, src: FunctionSource) -> dict:
    """Program order first, then again until nothing changes (kinds only ever get
    less specific, so this ends)."""
    kinds = dict(param_kinds)
    grown = grown_names(body) - set(param_kinds)
    while True:
        before = dict(kinds)
        for s in walk_statements(body):
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                _update(kinds, s.targets[0].id, expr_kind(s.value, kinds, src))
                _update_items(kinds, s, grown, src)
            elif isinstance(s, gast.For):
                _update(kinds, s.target.id, INT_SCALAR)
        if kinds == before:
            return kinds


def _update(kinds: dict, target: str, found: Kind | None) -> None:
    if found is None:
        return
    kinds[target] = kinds[target].join(found) if target in kinds else found


def items_key(list_name: str) -> str:
    """Where `kinds` keeps the kind every item of a list made in the function has."""
    return list_name + "[]"


def _update_items(kinds: dict, s: gast.Assign, grown: set, src) -> None:
    """The kind of the items of the lists the function grows (`grown`): joined over
    their appends; one also bound some other way than `[]` has items of unknown kind.
    A slice of such a list (`hs[1:]`) holds the same items."""
    target, value = s.targets[0].id, s.value
    if isinstance(value, gast.Subscript) and isinstance(value.slice, gast.Slice) \
            and isinstance(value.value, gast.Name) and items_key(value.value.id) in kinds:
        _update(kinds, items_key(target), kinds[items_key(value.value.id)])
    if target not in grown:
        return
    parts = appended_parts(s)
    if parts is not None:
        _update(kinds, items_key(target), expr_kind(parts[1], kinds, src))
    elif not (isinstance(value, gast.List) and not value.elts):
        kinds[items_key(target)] = UNKNOWN


def expr_kind(e, kinds: dict, src: FunctionSource) -> Kind | None:
    """Kind of `e`, or None when an operand's kind is not known yet."""
    if isinstance(e, gast.Constant):
        if isinstance(e.value, (bool, int)):
            return INT_SCALAR
        if isinstance(e.value, (float, complex)):
            return FLOAT_SCALAR
        return None if e.value is None else UNKNOWN  # `x = None` says nothing of x
    if isinstance(e, gast.Name):
        return kinds.get(e.id)
    if isinstance(e, gast.BoolOp):   # `a or b` is a or b
        found = [expr_kind(v, kinds, src) for v in e.values]
        return None if None in found else functools.reduce(Kind.join, found)
    if isinstance(e, gast.Compare):
        return _elementwise([e.left] + e.comparators, kinds, src, integer="bool")
    if isinstance(e, gast.BinOp):
        if isinstance(e.op, gast.MatMult):
            return matmul_kind(expr_kind(e.left, kinds, src), expr_kind(e.right, kinds, src))
        found = _elementwise([e.left, e.right], kinds, src)
        if found is not None and isinstance(e.op, gast.Div):
            found = found._replace(integer=False)
        return found
    if isinstance(e, gast.UnaryOp):
        inner = expr_kind(e.operand, kinds, src)
        if inner is not None and isinstance(e.op, gast.Not):
            return INT_SCALAR
        return inner
    if isinstance(e, gast.Attribute):
        return _attribute_kind(e, kinds, src)
    if isinstance(e, gast.Subscript):
        return _subscript_kind(e, kinds, src)
    if isinstance(e, gast.IfExp):
        a, b = expr_kind(e.body, kinds, src), expr_kind(e.orelse, kinds, src)
        return None if a is None or b is None else a.join(b)
    if isinstance(e, gast.Call):
        return _call_kind(e, kinds, src)
    return UNKNOWN


def _attribute_kind(e: gast.Attribute, kinds, src) -> Kind | None:
    if e.attr in ("ndim", "size", "itemsize", "nbytes"):
        return INT_SCALAR
    if e.attr in ("T", "real", "imag"):
        base = expr_kind(e.value, kinds, src)
        if base is None or e.attr != "T" or base.ndim is None:
            return base
        return base._replace(ones=base.ones[::-1])
    if e.attr == "shape":
        return kind(1, True)   # indexes like a 1-D integer array
    return _module_constant(e, src)


def _module_constant(e: gast.Attribute, src) -> Kind:
    """`np.pi`, `math.e`: a number of NumPy or math (constants: never rebound)."""
    if not isinstance(e.value, gast.Name) or src.resolve(e.value) not in (np, math):
        return UNKNOWN
    value = getattr(src.resolve(e.value), e.attr, None)
    return FLOAT_SCALAR if type(value) is float else UNKNOWN


def broadcast_ones(shapes: list) -> tuple:
    """Which axes of the broadcast result have length 1, from the operands' facts
    (missing leading axes count as length 1)."""
    ndim = max(map(len, shapes), default=0)
    ones = []
    for axis in range(-ndim, 0):
        facts = [s[axis] for s in shapes if len(s) >= -axis]
        ones.append(False if False in facts else True if all(facts) else None)
    return tuple(ones)


def unbroadcast_axes(out: Kind, x: Kind) -> tuple[int, tuple] | None:
    """How to sum a cotangent shaped like `out` down to `x`, which broadcasting
    stretched to `out`: (number of leading axes to drop, x's axes of length 1 that
    were stretched), or None where the kinds do not tell.

    >>> unbroadcast_axes(kind(2, ones=(False, False)), kind(2, ones=(True, False)))
    (0, (0,))
    """
    if out.ndim is None or x.ndim is None or out.ndim < x.ndim:
        return None
    leading = out.ndim - x.ndim
    stretched = []
    for axis, (x_one, out_one) in enumerate(zip(x.ones, out.ones[leading:])):
        if x_one is False or out_one is True:
            continue   # the lengths are equal
        if x_one is True and out_one is False:
            stretched.append(axis)
        else:
            return None
    return leading, tuple(stretched)


def _elementwise(operands, kinds, src, integer=None) -> Kind | None:
    flat = []
    for o in operands:   # sum([a, b]): the items of a literal list count one by one
        flat.extend(o.elts if isinstance(o, (gast.List, gast.Tuple)) else [o])
    found = [expr_kind(o, kinds, src) for o in flat]
    if any(k is None for k in found):
        return None
    integer = _combined_integer(found) if integer is None else integer
    if any(k.ndim is None for k in found):
        return kind(None, integer)
    ones = broadcast_ones([k.ones for k in found])
    return kind(len(ones), integer, ones)


def _broadcast(a: Kind, b: Kind) -> Kind:
    """The kind of an elementwise result of values of kinds `a` and `b`."""
    integer = _combined_integer([a, b])
    if a.ndim is None or b.ndim is None:
        return kind(None, integer)
    ones = broadcast_ones([a.ones, b.ones])
    return kind(len(ones), integer, ones)


def matmul_kind(a: Kind | None, b: Kind | None) -> Kind | None:
    if a is None or b is None:
        return None
    if not (a.ndim and b.ndim):
        return UNKNOWN
    a_ones = ((True,) + a.ones) if a.ndim == 1 else a.ones   # a row (1, n)
    b_ones = (b.ones + (True,)) if b.ndim == 1 else b.ones   # a column (n, 1)
    ones = broadcast_ones([a_ones[:-2], b_ones[:-2]])
    if a.ndim > 1:
        ones += (a_ones[-2],)
    if b.ndim > 1:
        ones += (b_ones[-1],)
    return kind(len(ones), _combined_integer([a, b]), ones)


def _subscript_kind(e, kinds, src) -> Kind | None:
    if isinstance(e.value, gast.Name) and items_key(e.value.id) in kinds:   # hs[t]
        index = expr_kind(e.slice, kinds, src)
        return kinds[items_key(e.value.id)] if index == INT_SCALAR else UNKNOWN
    base = expr_kind(e.value, kinds, src)
    if base is None:
        return None
    if base.ndim is None:
        return UNKNOWN
    parts = e.slice.elts if isinstance(e.slice, gast.Tuple) else [e.slice]
    ones, axis, fancy = [], 0, []
    for part in parts:
        if isinstance(part, gast.Slice):
            whole = part.lower is None and part.upper is None and part.step is None
            ones.append(base.ones[axis] if whole and axis < base.ndim else None)
            axis += 1
            continue
        if isinstance(part, gast.Constant) and part.value is None:
            ones.append(True)
            continue
        part_kind = expr_kind(part, kinds, src)
        if part_kind is None:
            return None
        if part_kind.integer is not True or part_kind.ndim is None:
            return kind(None, base.integer)  # boolean mask, Ellipsis, or unknown
        axis += 1
        if part_kind.ndim:
            fancy.append(part_kind.ndim)
    if axis > base.ndim:
        return UNKNOWN
    if fancy:   # integer arrays index together: their broadcast shape replaces them
        if len(fancy) != len(parts):
            return kind(None, base.integer)   # mixed with slices: NumPy moves axes about
        ones = [None] * max(fancy)
    ones += base.ones[axis:]
    return kind(len(ones), base.integer, ones)


def _call_kind(e: gast.Call, kinds, src) -> Kind | None:
    fn = primitive_of(e, src)
    rule = rules.lookup(fn) if fn is not Unresolved else None
    if rule is None:
        return UNKNOWN
    args, keywords = call_arguments(e, src)
    e = gast.Call(func=e.func, args=args,
                  keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()])
    output = rule.output
    if output == "scalar":
        found = FLOAT_SCALAR
    elif output in ("same", "permuted") and e.args:
        found = expr_kind(e.args[0], kinds, src)
        if found is not None and output == "permuted":
            found = kind(found.ndim, found.integer)
    elif output == "elementwise":
        found = _elementwise(e.args, kinds, src) if e.args else UNKNOWN
    elif output == "items" and e.args:   # builtin sum, max: of a list's items, an array's rows
        found = _items_kind(e.args[0], kinds, src) if len(e.args) == 1 or fn is sum \
            else _elementwise(e.args, kinds, src)
        if fn is sum and len(e.args) == 2 and found is not None:   # start broadcasts too
            start = expr_kind(e.args[1], kinds, src)
            found = None if start is None else _broadcast(found, start)
    elif output == "matmul" and len(e.args) == 2:
        found = matmul_kind(expr_kind(e.args[0], kinds, src), expr_kind(e.args[1], kinds, src))
    elif output == "reduce":
        found = _reduce_kind(e, kinds, src)
    elif output == "vector":   # np.arange(n): length n
        found = kind(1, ones=[_length_is_one(e.args[0], kinds, src)]
                     if len(e.args) == 1 and not e.keywords else None)
    elif output == "shape" and e.args:   # np.zeros(n), np.ones((n, m))
        found = _shape_kind(e.args[0], kinds, src)
    elif output in ("stacked", "joined") and e.args:   # np.stack, np.concatenate
        found = _joined_kind(e, output == "stacked", kinds, src)
    elif output == "array" and len(e.args) == 1 and not e.keywords:
        found = _array_kind(e.args[0], kinds, src)
    else:
        found = UNKNOWN
    if found is not None and rule.integer == "args":
        argument_kinds = [expr_kind(a, kinds, src) for a in e.args]
        found = found._replace(integer=None not in argument_kinds
                               and _combined_integer(argument_kinds))
    elif found is not None and rule.integer:
        found = found._replace(integer=True)
    return found


def _items_kind(items, kinds, src) -> Kind | None:
    if isinstance(items, (gast.List, gast.Tuple)):
        return _elementwise([items], kinds, src)
    if isinstance(items, gast.Name) and items_key(items.id) in kinds:
        return kinds[items_key(items.id)]
    found = expr_kind(items, kinds, src)
    if found is None or not found.ndim:
        return found if found is None else UNKNOWN
    return kind(found.ndim - 1, found.integer, found.ones[1:])


_ZERO = gast.Constant(value=0, kind=None)


def _joined_kind(e: gast.Call, stacked: bool, kinds, src) -> Kind:
    """np.stack(items) has an axis more than its items; np.concatenate(items) as many,
    or one with axis=None."""
    items = _elementwise(e.args[0].elts, kinds, src) if isinstance(
        e.args[0], (gast.List, gast.Tuple)) and e.args[0].elts else _items_kind(e.args[0], kinds, src)
    axis = e.args[1] if len(e.args) > 1 else next(
        (k.value for k in e.keywords if k.arg == "axis"), _ZERO)
    if items is None or items.ndim is None or not isinstance(axis, gast.Constant):
        return UNKNOWN
    if axis.value is None:
        return UNKNOWN if stacked else kind(1, items.integer)
    return kind(items.ndim + stacked, items.integer)


def _array_kind(value, kinds, src) -> Kind:
    """np.array([a, b]) has an axis more than its items (written out, not nested);
    np.asarray(x) has x's kind."""
    if not isinstance(value, (gast.List, gast.Tuple)):
        found = expr_kind(value, kinds, src)
        return UNKNOWN if found is None else found
    if not value.elts or any(isinstance(i, (gast.List, gast.Tuple)) for i in value.elts):
        return UNKNOWN
    items = _elementwise(value.elts, kinds, src)
    if items is None or items.ndim is None:
        return UNKNOWN
    return kind(items.ndim + 1, items.integer, (len(value.elts) == 1,) + items.ones)


def _shape_kind(shape, kinds, src) -> Kind | None:
    """The kind of np.zeros(shape): lengths written as numbers are known."""
    if isinstance(shape, (gast.Tuple, gast.List)):
        return kind(len(shape.elts), False,
                    [_length_is_one(n, kinds, src) for n in shape.elts])
    if isinstance(shape, gast.Attribute) and shape.attr == "shape":   # np.zeros(x.shape)
        array = expr_kind(shape.value, kinds, src)
        return None if array is None else kind(array.ndim, False, array.ones)
    shape_kind = expr_kind(shape, kinds, src)
    if shape_kind is None:
        return None
    return kind(1, False, [_length_is_one(shape, kinds, src)]) \
        if shape_kind == INT_SCALAR else UNKNOWN


def _length_is_one(node, kinds: dict, src: FunctionSource) -> bool | None:
    """Whether a length is 1, where it is a number, `x.shape[k]` or `len(x)`."""
    if literal_int(node) is not None:
        return literal_int(node) == 1
    if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Attribute) \
            and node.value.attr == "shape" and literal_int(node.slice) is not None:
        array, axis = expr_kind(node.value.value, kinds, src), literal_int(node.slice)
    elif isinstance(node, gast.Call) and src.resolve(node.func) is len and len(node.args) == 1:
        array, axis = expr_kind(node.args[0], kinds, src), 0
    else:
        return None
    if array is None or array.ndim is None or not -array.ndim <= axis < array.ndim:
        return None
    return array.ones[axis]


def _reduce_kind(e: gast.Call, kinds, src) -> Kind | None:
    keywords = {k.arg: k.value for k in e.keywords}
    axis = e.args[1] if len(e.args) > 1 else keywords.get("axis")
    keepdims = keywords.get("keepdims")
    base = expr_kind(e.args[0], kinds, src) if e.args else UNKNOWN
    if base is None:
        return None
    full = axis is None or (isinstance(axis, gast.Constant) and axis.value is None)
    if keepdims is not None and not (isinstance(keepdims, gast.Constant) and not keepdims.value):
        if base.ndim is None:
            return base
        if full:
            return kind(base.ndim, False, (True,) * base.ndim)
        reduced = reduced_axes(axis, base.ndim)
        if reduced is None or not (isinstance(keepdims, gast.Constant) and keepdims.value):
            return kind(base.ndim, False)
        return kind(base.ndim, False, [True if i in reduced else one
                                       for i, one in enumerate(base.ones)])
    if full:
        return FLOAT_SCALAR
    reduced = reduced_axes(axis, base.ndim)
    if reduced is None or base.ndim is None:
        return UNKNOWN
    return kind(base.ndim - len(reduced), False,
                [one for i, one in enumerate(base.ones) if i not in reduced])


def reduced_axes(axis, ndim: int | None) -> tuple | None:
    """A literal `axis` (an int or a tuple of ints) as sorted non-negative axes."""
    items = axis.elts if isinstance(axis, gast.Tuple) else [axis]
    numbers = [literal_int(i) for i in items]
    if ndim is None or not all(n is not None and -ndim <= n < ndim for n in numbers):
        return None
    return tuple(sorted({n % ndim for n in numbers}))


def literal_int(node) -> int | None:
    """The value of an integer written in the source: `2`, or `-1` (parsed as -(1))."""
    sign = 1
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        sign, node = -1, node.operand
    if isinstance(node, gast.Constant) and isinstance(node.value, int) \
            and not isinstance(node.value, bool):
        return sign * node.value
    return None
