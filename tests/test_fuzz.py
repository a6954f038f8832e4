"""Generated programs, checked against NumPy and central finite differences.

Hypothesis draws small user-style functions from a grammar (Python floats, 1-D and
2-D arrays; assignments, augmented and index assignments; smooth NumPy functions,
`+ - * /`, powers, reductions with and without `axis`/`keepdims`, `@`, `.T`, indexing
and slicing; `for`, `while`, `if`/`else`, `break`, `continue`, early `return`), writes
each to a file (s2sad reads source) and checks that

* the program runs under NumPy alone without an error, a warning or a large value
  (if not, the grammar is at fault, and the failure says so);
* the value s2sad's derivative returns is the program's own value;
* `s2sad.check_grads` (default tolerances) agrees with central finite differences.

Any exception s2sad raises fails the test: the grammar only writes code s2sad
documents as supported, so a `TransformError` is a bug too.

Every program is valid NumPy by construction: each expression is drawn for a
requested shape (the other operand of a binary operation only has to broadcast to
it), every index is within its axis (loop counters are taken modulo the length
unless their range fits), and a name bound inside a branch or a loop body is not
used after it.

Keeping finite differences accurate is the grammar's job, not the tolerance's:

* inputs lie in [-0.95, 1.05], every function is smooth everywhere, every
  denominator is `1.0 + d ** 2`;
* a bound on the magnitude of every subexpression is computed by abstract
  interpretation (loops run their largest trip count, branches are joined), and
  any subexpression or assigned value whose bound is too large is wrapped in
  `np.tanh`, so values stay small however loops compound them;
* data-dependent conditions are recorded by an instrumented copy of the program,
  and examples where one of them is within 1e-3 of its threshold are discarded,
  so the finite-difference steps never change branch.

Arrays are never aliased and then written in place (NumPy's in-place `+=` on a
view would change the viewed array, while s2sad reads `x += y` as `x = x + y`, and
writing into a view is refused as documented): a name bound to a view of an array
is never the target of an in-place operation, and an array that may be written in
place is never bound to another name as a view.

The run is deterministic (`derandomize=True`) and sized to take well under a
minute on a 2-core machine. The first failing example stops it and is printed as a
program with its arguments; it is not shrunk unless S2SAD_FUZZ_SHRINK=1 is set
(shrinking takes minutes). Programs the fuzzer found, reduced by hand, are kept at
the end of this file as regression tests.
"""
import importlib.util
import itertools
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import s2sad

LIMIT = 4.0            # larger bounds get wrapped in np.tanh
MARGIN = 1e-3          # closest a data-dependent condition may come to its threshold
MAX_LOOP_DEPTH = 2
UNARY = ["np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(np.tanh({}))",
         "np.log(1.0 + {} ** 2)", "np.sqrt(1.0 + {} ** 2)"]
UNARY_BOUND = [lambda b: min(b, 1.0), lambda b: 1.0, lambda b: min(b, 1.0),
               lambda b: math.e, lambda b: math.log1p(b * b),
               lambda b: math.sqrt(1.0 + b * b)]
THRESHOLDS = [0.1, -0.2, 0.4, -0.5, 0.8]


# ----------------------------------------------------------------------------- expressions

class Node:
    """An expression: how to print it from its children, and a bound on its magnitude
    from theirs. `view` marks expressions that may be views of an array variable."""

    wrapper = False    # the np.tanh put around too-large values

    def __init__(self, fmt, kids=(), bound=None, view=False):
        self.fmt, self.kids, self.boundfn, self.view = fmt, list(kids), bound, view

    def src(self, inst=False):
        return self.fmt.format(*[k.src(inst) for k in self.kids])

    def limit(self, env):
        """Bound of this expression under `env`, wrapping too-large parts in np.tanh."""
        bounds = []
        for n, kid in enumerate(self.kids):
            b = kid.limit(env)
            if b > LIMIT and not self.wrapper:
                self.kids[n] = tanh(kid)
                b = 1.0
            bounds.append(b)
        return self.boundfn(env, *bounds)


class Var(Node):
    def __init__(self, name):
        super().__init__(name, view=True)
        self.name = name

    def limit(self, env):
        return env[self.name]


def tanh(node):
    if node.wrapper:
        return node
    wrapped = Node("np.tanh({})", [node], lambda env, b: min(b, 1.0))
    wrapped.wrapper = True
    return wrapped


def const(value):
    return Node(repr(value), bound=lambda env: abs(value))


def walk(node):
    yield node
    for kid in node.kids:
        yield from walk(kid)


# ----------------------------------------------------------------------------- statements

class Stmt:
    def lines(self, indent, inst):
        raise NotImplementedError

    def interpret(self, env):
        """Abstractly run: update magnitude bounds in env, wrapping where needed."""


def _bounded(expr, env):
    b = expr.limit(env)
    if b > LIMIT:
        return tanh(expr), 1.0
    return expr, b


class Assign(Stmt):
    def __init__(self, target, expr):
        self.target, self.expr = target, expr

    def lines(self, indent, inst):
        return [indent + f"{self.target} = {self.expr.src(inst)}"]

    def interpret(self, env):
        self.expr, env[self.target] = _bounded(self.expr, env)


class AugAssign(Stmt):
    def __init__(self, target, op, expr):
        self.target, self.op, self.expr = target, op, expr

    def lines(self, indent, inst):
        return [indent + f"{self.target} {self.op}= {self.expr.src(inst)}"]

    def interpret(self, env):
        key = self.target.split("[")[0]
        b = self.expr.limit(env)
        if self.op == "*":
            if b > 1.0 and env[key] * b > LIMIT:
                self.expr, b = tanh(self.expr), 1.0
            env[key] = env[key] * b
        else:
            if b > 1.0 and env[key] + b > LIMIT:
                self.expr, b = tanh(self.expr), 1.0
            env[key] = env[key] + b


class IndexAssign(Stmt):
    def __init__(self, target, index, expr):
        self.target, self.index, self.expr = target, index, expr

    def lines(self, indent, inst):
        return [indent + f"{self.target}[{self.index}] = {self.expr.src(inst)}"]

    def interpret(self, env):
        self.expr, b = _bounded(self.expr, env)
        env[self.target] = max(env[self.target], b)


class Return(Stmt):
    def __init__(self, expr):
        self.expr = expr

    def lines(self, indent, inst):
        return [indent + f"return {self.expr.src(inst)}"]

    def interpret(self, env):
        self.expr, _ = _bounded(self.expr, env)


class Jump(Stmt):
    def __init__(self, word):
        self.word = word

    def lines(self, indent, inst):
        return [indent + self.word]


class Cond:
    """`lhs > threshold` on data (recorded by the instrumented copy), or integer text."""

    def __init__(self, lhs=None, op=">", threshold=0.0, text=None):
        self.lhs, self.op, self.threshold, self.text = lhs, op, threshold, text

    def src(self, inst):
        if self.text is not None:
            return self.text
        lhs = self.lhs.src(inst)
        if inst:
            lhs = f"_record({lhs}, {self.threshold!r})"
        return f"{lhs} {self.op} {self.threshold!r}"

    def interpret(self, env):
        if self.lhs is not None:
            self.lhs, _ = _bounded(self.lhs, env)


class If(Stmt):
    def __init__(self, cond, body, orelse):
        self.cond, self.body, self.orelse = cond, body, orelse

    def lines(self, indent, inst):
        out = [indent + f"if {self.cond.src(inst)}:"]
        out += block_lines(self.body, indent + "    ", inst)
        if self.orelse:
            out += [indent + "else:"] + block_lines(self.orelse, indent + "    ", inst)
        return out

    def interpret(self, env):
        self.cond.interpret(env)
        a, b = dict(env), dict(env)
        interpret_block(self.body, a)
        interpret_block(self.orelse, b)
        env.update(join(a, b))


class For(Stmt):
    def __init__(self, var, count, trips, body):
        self.var, self.count, self.trips, self.body = var, count, trips, body

    def lines(self, indent, inst):
        return ([indent + f"for {self.var} in range({self.count}):"]
                + block_lines(self.body, indent + "    ", inst))

    def interpret(self, env):
        for _ in range(self.trips):
            after = dict(env)
            interpret_block(self.body, after)
            env.update(join(env, after))


class While(Stmt):
    def __init__(self, counter, trips, cond, body):
        self.counter, self.trips, self.cond, self.body = counter, trips, cond, body

    def lines(self, indent, inst):
        test = f"{self.counter} < {self.trips}"
        if self.cond is not None:
            test += f" and {self.cond.src(inst)}"
        return ([indent + f"{self.counter} = 0", indent + f"while {test}:",
                 indent + f"    {self.counter} += 1"]
                + block_lines(self.body, indent + "    ", inst))

    def interpret(self, env):
        for _ in range(self.trips):
            if self.cond is not None:
                self.cond.interpret(env)
            after = dict(env)
            interpret_block(self.body, after)
            env.update(join(env, after))


def join(a, b):
    return {k: max(a.get(k, 0.0), b.get(k, 0.0)) for k in set(a) | set(b)}


def block_lines(stmts, indent, inst):
    out = []
    for s in stmts:
        out += s.lines(indent, inst)
    return out or [indent + "pass"]


def interpret_block(stmts, env):
    for s in stmts:
        s.interpret(env)


def render(body, params, inst):
    return "\n".join(["import numpy as np", "", "", f"def f({', '.join(params)}):"]
                     + block_lines(body, "    ", inst)) + "\n"


# ----------------------------------------------------------------------------- the grammar

class Info:
    """A variable in scope: its shape; whether it may be written in place (`owned`:
    never bound as a view); whether it was made by np.zeros (index writes go there)."""

    def __init__(self, shape, owned, zeros=False):
        self.shape, self.owned, self.zeros = shape, owned, zeros


class Program:
    def __init__(self, body, params, args, wrt):
        self.body, self.params, self.args, self.wrt = body, params, args, wrt
        self.source = render(body, params, inst=False)

    def __repr__(self):
        return f"\n{self.source}\nargs = {self.args!r}\nwrt = {self.wrt!r}\n"


@st.composite
def programs(draw):
    return Generator(draw).program()


class Generator:
    loops = ()   # (counter, lowest, highest value) of the enclosing loops

    def __init__(self, draw):
        self.draw = draw
        self.names = itertools.count()

    def choice(self, options):
        return options[self.draw(st.integers(0, len(options) - 1))]

    def chance(self, eighths):
        return self.draw(st.integers(0, 7)) < eighths

    # ------------------------------------------------------------------- program
    def program(self):
        p = self.draw(st.integers(1, 3))
        q = self.draw(st.integers(1, 3))
        self.shapes = [(), (p,), (q,), (q, p)]
        kinds = self.draw(st.lists(st.sampled_from(self.shapes), min_size=1, max_size=3))
        self.params, self.args = [], []
        scope = {}
        letters = {0: iter("xyz"), 1: iter("uvw"), 2: iter("ABC")}
        for shape in kinds:
            name = next(letters[len(shape)])
            self.params.append(name)
            scope[name] = Info(shape, owned=False)
            size = int(np.prod(shape))
            values = self.draw(st.lists(st.integers(-10, 10), min_size=size, max_size=size))
            if shape == ():
                self.args.append(values[0] / 10 + 0.05)
            else:
                self.args.append(np.array(values, dtype=float).reshape(shape) / 10 + 0.05)
        self.wrt = tuple(self.params)
        self.n_value = None
        if self.chance(3):
            self.n_value = self.draw(st.integers(0, 3))
            self.params.append("n")
            self.args.append(self.n_value)
        body = self.block(scope, loops=[], depth=0, size=self.draw(st.integers(2, 6)),
                          share=True)
        self.loops = ()
        # Return an expression and (the sums of) the variables computed at the top level,
        # so that what the body computes reaches the result.
        terms = [self.expr((), scope, 2)]
        for name in sorted(n for n in scope if n not in self.params):
            terms.append(Var(name) if scope[name].shape == () else
                         Node("np.sum({})", [Var(name)], self.sum_bound(scope[name].shape)))
        ret = terms[0]
        for t in terms[1:]:
            ret = Node("{} + {}", [ret, t], lambda env, a, b: a + b)
        body.append(Return(ret))
        env = {name: (1.05 if name != "n" else 0.0) for name in self.params}
        interpret_block(body, env)
        return Program(body, self.params, self.args, self.wrt)

    def fresh(self, prefix="t"):
        return f"{prefix}{next(self.names)}"

    # ------------------------------------------------------------------- statements
    def block(self, scope, loops, depth, size, share=False):
        """Statements; names they bind are visible after them only if `share`."""
        if not share:
            scope = dict(scope)
        return [self.statement(scope, loops, depth) for _ in range(size)]

    def statement(self, scope, loops, depth):
        kinds = ["assign", "assign", "reassign", "aug", "zeros", "index", "index", "if", "if"]
        if depth < MAX_LOOP_DEPTH:
            kinds += ["for", "for", "while"]
        if loops:
            kinds += ["jump", "jump", "return"]
        kind = self.choice(kinds)
        self.loops = loops
        locals_ = [n for n in sorted(scope) if n != "n"]
        if kind == "reassign" and locals_:
            name = self.choice(locals_)
            info = scope[name]
            return Assign(name, self.expr(info.shape, scope, 3,
                                          top="fresh" if info.owned else "unowned"))
        if kind == "aug":
            targets = [n for n in locals_ if scope[n].shape == () or scope[n].owned]
            if targets:
                name = self.choice(targets)
                op = self.choice(["+", "*", "-"])
                return AugAssign(name, op, self.operand(scope[name].shape, scope, 2))
        if kind == "zeros":
            name = self.fresh("h")
            shape = self.choice(self.shapes[1:])
            scope[name] = Info(shape, owned=True, zeros=True)
            return Assign(name, Node(f"np.zeros({shape[0] if len(shape) == 1 else shape})",
                                     bound=lambda env: 0.0))
        if kind == "index":
            targets = [n for n in locals_ if scope[n].zeros]
            if targets:
                return self.index_write(self.choice(targets), scope, loops)
        if kind == "if":
            cond = self.condition(scope, loops)
            body = self.block(scope, loops, depth, self.draw(st.integers(1, 2)))
            orelse = self.block(scope, loops, depth, self.draw(st.integers(0, 2)))
            return If(cond, body, orelse)
        if kind == "for":
            var = "ij"[depth]
            if self.n_value is not None and self.chance(3):
                count, trips = "n", 3
            else:
                trips = self.draw(st.integers(0, 3))
                count = str(trips)
            body = self.block(scope, loops + [(var, 0, trips - 1)], depth + 1,
                              self.draw(st.integers(1, 3)))
            return For(var, count, trips, body)
        if kind == "while":
            var = f"k{depth}"
            trips = self.draw(st.integers(0, 3))
            cond = self.condition(scope, []) if self.chance(3) else None
            body = self.block(scope, loops + [(var, 1, trips)], depth + 1,
                              self.draw(st.integers(1, 3)))
            return While(var, trips, cond, body)
        if kind == "jump":
            what = self.choice(["break", "continue"])
            return If(self.condition(scope, loops), [Jump(what)], [])
        if kind == "return":
            return If(self.condition(scope, loops), [Return(self.expr((), scope, 2))], [])
        # a new variable
        shape = self.live_shape(scope, self.shapes)
        expr = self.expr(shape, scope, 3, top="unowned")
        name = self.fresh()
        scope[name] = Info(shape, owned=not expr.view)
        return Assign(name, expr)

    def index_write(self, name, scope, loops):
        shape = scope[name].shape
        if len(shape) == 2 and self.chance(4):
            index = f"{self.index(shape[0], loops)}, {self.index(shape[1], loops)}"
            value_shape = ()
        else:
            index = self.index(shape[0], loops)
            value_shape = shape[1:]
        if self.chance(4):
            return IndexAssign(name, index, self.expr(value_shape, scope, 2))
        return AugAssign(f"{name}[{index}]", self.choice(["+", "*"]),
                         self.operand(value_shape, scope, 2))

    def index(self, length, loops):
        """An integer index into an axis of `length`: literal, negative, loop counter."""
        options = [str(k) for k in range(length)] + ["-1"]
        for var, lo, hi in loops:
            if hi < lo:
                continue
            if lo == 0 and hi < length:
                options.append(var)
            elif lo == 1 and hi <= length:
                options.append(f"{var} - 1")
            else:
                options.append(f"{var} % {length}")
        return self.choice(options)

    def condition(self, scope, loops):
        if loops and self.chance(4):
            var, lo, hi = self.choice(loops)
            c = self.draw(st.integers(0, 3))
            return Cond(text=self.choice([f"{var} == {c}", f"{var} > {c}", f"{var} < {c}",
                                          f"{var} % 2 == 0"]))
        for _ in range(3):     # prefer conditions that depend on the data
            lhs = self.expr((), scope, 2)
            if any(isinstance(n, Var) or "[" in n.fmt for n in walk(lhs)):
                break
        return Cond(lhs, self.choice([">", "<"]), self.choice(THRESHOLDS))

    # ------------------------------------------------------------------- expressions
    def live_shape(self, scope, shapes):
        """Mostly one of `shapes` that a variable in scope has."""
        live = [s for s in shapes if any(scope[n].shape == s for n in scope if n != "n")]
        if live and not self.chance(2):
            return self.choice(live)
        return self.choice(shapes)

    def sum_bound(self, shape, axis=None):
        count = int(np.prod(shape)) if axis is None else shape[axis]
        return lambda env, b: b * count

    def expr(self, shape, scope, depth, top="inner"):
        """An expression of exactly `shape`. `top` says what it may be when it is the
        whole right-hand side of an assignment: "inner" (anything: it is consumed at
        once), "fresh" (no view of an array), "unowned" (views only of arrays that
        are never written in place)."""
        if depth <= 0 or self.chance(2):
            return self.leaf(shape, scope, top)
        return self.compound(shape, scope, depth - 1)

    def leaf(self, shape, scope, top):
        options = []
        for name in sorted(scope):
            if name == "n":
                continue
            info = scope[name]
            s = info.shape
            b = lambda env, name=name: env[name]
            if len(s) == 1 and shape == ():
                options.append(Node(f"{name}[{self.index(s[0], self.loops)}]", bound=b))
            if len(s) == 2 and shape == ():
                options.append(Node(f"{name}[{self.index(s[0], self.loops)}, "
                                    f"{self.index(s[1], self.loops)}]", bound=b))
            if s != () and (top == "fresh" or top == "unowned" and info.owned):
                continue       # only reads that copy
            if s == shape:
                options.append(Var(name))
            if len(s) == 1 and shape == s:
                options.append(Node(f"{name}[::-1]", bound=b, view=True))
            if len(s) == 1 and shape == (s[0] - 1,):
                options.append(Node(f"{name}[{self.choice(['1:', ':-1'])}]", bound=b,
                                    view=True))
            if len(s) == 2 and shape == s[1:]:
                options.append(Node(f"{name}[{self.index(s[0], self.loops)}]", bound=b,
                                    view=True))
            if len(s) == 2 and shape == s[:1]:
                options.append(Node(f"{name}[:, {self.index(s[1], self.loops)}]", bound=b,
                                    view=True))
        if options and not self.chance(1):
            return self.choice(options)
        if shape == ():
            return const(self.choice([0.5, 1.5, 0.7, 2.0]))
        if len(shape) == 1:
            return Node(f"np.linspace(-0.5, 0.5, {shape[0]})", bound=lambda env: 0.5)
        return Node(f"np.ones({shape})", bound=lambda env: 1.0)

    def compound(self, shape, scope, depth):
        kinds = ["unary", "binary", "binary", "div", "pow", "neg"]
        mats = [s for s in self.shapes if len(s) == 2]
        if not any(len(scope[n].shape) == 2 for n in scope if n != "n") and self.chance(6):
            mats = []      # no matrix variable: mostly do not make up a matrix
        if shape == ():
            kinds += ["reduce", "reduce", "dot"]
        elif len(shape) == 1:
            if any(m[1] == shape[0] for m in mats):
                kinds += ["axis0", "vecmat", "Tmat"]
            if any(m[0] == shape[0] for m in mats):
                kinds += ["axis1", "matvec"]
        kind = self.choice(kinds)
        e = lambda s: self.expr(s, scope, depth)
        if kind == "unary":
            k = self.draw(st.integers(0, len(UNARY) - 1))
            return Node(UNARY[k], [e(shape)], lambda env, b, k=k: UNARY_BOUND[k](b))
        if kind == "binary":
            op = self.choice(["+", "-", "*"])
            a, b = e(shape), self.operand(shape, scope, depth)
            if self.chance(3):
                a, b = b, a
            if op == "*":
                return Node(f"({{}} {op} {{}})", [a, b], lambda env, x, y: x * y)
            return Node(f"({{}} {op} {{}})", [a, b], lambda env, x, y: x + y)
        if kind == "div":
            return Node("({} / (1.0 + {} ** 2))", [e(shape), self.operand(shape, scope, depth)],
                        lambda env, x, y: x)
        if kind == "pow":
            k = self.choice([2, 3])
            return Node(f"({{}} ** {k})", [e(shape)], lambda env, x, k=k: x ** k)
        if kind == "neg":
            return Node("(-{})", [e(shape)], lambda env, x: x)
        if kind == "reduce":
            s = self.live_shape(scope, self.shapes[1:])
            fn = self.choice(["sum", "mean"])
            bound = self.sum_bound(s) if fn == "sum" else (lambda env, b: b)
            return Node(f"np.{fn}({{}})", [e(s)], bound)
        if kind == "dot":
            n = self.choice([s[0] for s in self.shapes if len(s) == 1])
            return Node("({} @ {})", [e((n,)), e((n,))], lambda env, x, y: n * x * y)
        if kind in ("axis0", "vecmat", "Tmat"):
            m = self.choice([m for m in mats if m[1] == shape[0]])
            if kind == "axis0":
                fn = self.choice(["sum", "mean"])
                bound = self.sum_bound(m, 0) if fn == "sum" else (lambda env, b: b)
                return Node(f"np.{fn}({{}}, axis=0)", [e(m)], bound)
            r = m[0]
            if kind == "vecmat":
                return Node("({} @ {})", [e((r,)), e(m)], lambda env, x, y: r * x * y)
            return Node("({}.T @ {})", [self.expr(m, scope, 0), e((r,))],
                        lambda env, x, y: r * x * y)
        if kind in ("axis1", "matvec"):
            m = self.choice([m for m in mats if m[0] == shape[0]])
            if kind == "axis1":
                return Node("np.sum({}, axis=1)", [e(m)], self.sum_bound(m, 1))
            c = m[1]
            return Node("({} @ {})", [e(m), e((c,))], lambda env, x, y: c * x * y)
        raise AssertionError(kind)

    def operand(self, shape, scope, depth):
        """Something that broadcasts to `shape` (the other operand of a binary op)."""
        options = ["same", "scalar"]
        if len(shape) >= 1:
            options += ["keepdims"]
        if len(shape) == 2:
            options += ["row"]
        kind = self.choice(options)
        if kind == "same":
            return self.expr(shape, scope, depth)
        if kind == "scalar":
            return self.expr((), scope, depth)
        if kind == "row":
            return self.expr(shape[1:], scope, depth)
        if len(shape) == 1:
            return Node("np.sum({}, keepdims=True)", [self.expr(shape, scope, depth)],
                        self.sum_bound(shape))
        if self.chance(4):
            return Node("np.mean({}, axis=0, keepdims=True)", [self.expr(shape, scope, depth)],
                        lambda env, b: b)
        return Node("np.sum({}, axis=1, keepdims=True)", [self.expr(shape, scope, depth)],
                    self.sum_bound(shape, 1))


# ----------------------------------------------------------------------------- the test

EXAMPLES = 800         # about 30 s on a 2-core machine
# Shrinking a failure transforms hundreds of programs and takes minutes; it is off
# unless S2SAD_FUZZ_SHRINK=1 (the failing example is printed either way).
PHASES = [Phase.explicit, Phase.generate] + (
    [Phase.shrink] if os.environ.get("S2SAD_FUZZ_SHRINK") == "1" else [])


def _record(margins):
    def record(value, threshold):
        margins.append(abs(float(value) - threshold))
        return value
    return record


_modules = itertools.count()


def load(directory, source, **namespace):
    """Write `source` to a file of its own and import it (s2sad reads the file)."""
    name = f"fuzz_program_{next(_modules)}"
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(namespace)
    spec.loader.exec_module(module)
    return module.f


def copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def run_numpy(f, args):
    """`f(*args)` under NumPy alone. The grammar promises valid, well-scaled code, so
    any error, floating-point warning or large value here is a bug of this file."""
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            value = f(*copies(args))
    except Exception as exc:
        raise AssertionError(f"bug in the program generator: {exc!r}") from exc
    assert np.ndim(value) == 0 and np.isfinite(value) and abs(value) < 1e3, \
        f"bug in the program generator: it returned {value!r}"
    return value


def check_program(f, args, wrt):
    """s2sad's value is `f`'s own, its gradient agrees with finite differences, and
    `grad` (which leaves out what only the value needs) agrees with `value_and_grad`."""
    value, with_value = s2sad.value_and_grad(f, wrt=wrt)(*copies(args))
    expected = run_numpy(f, args)
    assert np.isclose(value, expected, rtol=1e-9, atol=1e-12), \
        f"s2sad's derivative returns the value {value!r}, the function {expected!r}"
    alone = s2sad.grad(f, wrt=wrt)(*copies(args))
    if not isinstance(wrt, tuple):
        alone, with_value = (alone,), (with_value,)
    for one, other in zip(alone, with_value, strict=True):
        np.testing.assert_allclose(one, other, rtol=1e-12, atol=1e-14)
    s2sad.check_grads(f, args, wrt=wrt)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=EXAMPLES, phases=PHASES, deadline=None, derandomize=True,
          database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(program=programs())
def test_generated_program_gradients(fuzz_dir, program):
    # Discard inputs that put a data-dependent condition near its threshold.
    margins = []
    instrumented = load(fuzz_dir, render(program.body, program.params, inst=True),
                        _record=_record(margins))
    run_numpy(instrumented, program.args)
    assume(not margins or min(margins) > MARGIN)

    check_program(load(fuzz_dir, program.source), program.args, program.wrt)


# ----------------------------------------------------------------------------- found so far
# Programs the generator found, reduced by hand; each is a regression test.

FOUND = {
    # A loop with `break` inside an `if`: the reverse sweep replays the body adjoint
    # for the breaking trip too (gradient 2 cos y instead of cos y).
    "break_in_loop_in_if": ("""
import numpy as np

def f(x, y):
    s = 0.0
    if x > 0.0:
        for i in range(3):
            if i == 1:
                break
            s = s + np.sin(y)
    return s
""", (0.5, 0.3), (0, 1)),
    # The same with `continue`: the guard is dropped and the tape underflows.
    "continue_in_loop_in_if": ("""
import numpy as np

def f(x, n):
    if x > 0.0:
        for i in range(n):
            if i < 3:
                continue
            x = np.sin(x)
    return x
""", (0.35, 4), 0),
    # The same with a `while` loop: IndexError: pop from empty list (with other
    # bodies: TypeError, the trip counter is None in the reverse sweep).
    "break_in_while_in_if": ("""
import numpy as np

def f(x, y):
    if y > 0.0:
        k = 0
        while k < 3:
            k += 1
            if k > 1:
                break
            x = np.sin(x)
    return x
""", (0.3, 0.5), 0),
    # A `return` two levels deep in an `if` (here in an inner `else`), then another
    # `if ...: return`: the outer `else` branch gets the rest of the function twice,
    # so `return 0.7` runs after `return x`. Value 0.7 instead of x, gradient 0.
    "return_nested_in_if_then_return_in_if": ("""
def f(x, y):
    if y > 1.0:
        if y > 2.0:
            pass
        else:
            return 0.5
    if y < 2.0:
        return x
    return 0.7
""", (0.3, 0.5), 0),
    # The same with `break` (the inner `else` is an `elif`): the rest of the body
    # runs twice, x = exp(exp(x)) instead of exp(x).
    "break_in_elif_then_break": ("""
import numpy as np

def f(x):
    for i in range(3):
        if i > 5:
            pass
        elif i > 0:
            break
        if i > 7:
            break
        x = np.exp(x)
    return x
""", (0.3,), 0),
    # The same with the first `return` in a loop: value 0.7 instead of x.
    "return_in_loop_in_if_then_return_in_if": ("""
def f(x, y):
    if y > 1.0:
        for i in range(3):
            return 0.5
    if y < 2.0:
        return x
    return 0.7
""", (0.3, 0.5), 0),
    # An early return skips the last use of an array broadcast from a keepdims
    # reduction: its adjoint stays the scalar 0.0 and unbroadcast fails.
    "early_return_skips_broadcast": ("""
import numpy as np

def f(u, n):
    t = np.sum(u, keepdims=True) + u
    if n > 0:
        return 0.5
    return np.sum(t)
""", (np.array([0.3, 0.7]), 1), 0),
    # A slice (or row) read and then overwritten in place: the saved read is a view,
    # so the adjoint sees the new values (cos(sin(u)) instead of cos(u)).
    "write_over_own_slice": ("""
import numpy as np

def f(u):
    h = u * 1.0
    h[1:] = np.sin(h[1:])
    return np.sum(h)
""", (np.array([0.3, 0.4, 0.5]),), 0),
    # The same through `.T`: the gradient of v is read from the rows written after
    # the product (0.3 instead of 0).
    "write_after_transpose_read": ("""
import numpy as np

def f(u, v):
    h = np.zeros((2, 3))
    s = np.sum(h.T @ v)
    h[1] = u
    return s
""", (np.array([0.1, 0.2, 0.3]), np.array([0.5, 0.7])), (0, 1)),
    # Index write into an array last bound to a ufunc's result (never a view) is
    # refused as "may be a view of another array"; so is one bound to np.sum(A, axis=1).
    "write_into_ufunc_result": ("""
import numpy as np

def f(u):
    h = np.zeros(2)
    h = np.tanh(u)
    h[0] = 1.0
    return np.sum(h * u)
""", (np.array([0.3, 0.7]),), 0),
    # The same for an array rebound to a quotient that reads it: h = h / u is split
    # into `_t = h / u; h = _t`, and the alias counts as a possible view.
    "write_into_own_quotient": ("""
import numpy as np

def f(u):
    h = np.ones(3)
    h = h / u
    h[0] = 2.0
    return np.sum(h * u)
""", (np.array([0.3, 0.5, 0.7]),), 0),
}


@pytest.mark.parametrize("case", sorted(FOUND))
def test_found_by_fuzzing(fuzz_dir, case):
    source, args, wrt = FOUND[case]
    check_program(load(fuzz_dir, source.lstrip()), args, wrt)
