"""The coverage table: every function with a derivative rule, and which forms it has.

    python -m s2sad.rules                  # print the table (Markdown)
    python -m s2sad.rules --readme FILE    # write it into FILE between its markers
"""
from __future__ import annotations

import sys

from .. import runtime
from . import all_rules, describe

START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def covered() -> list:
    """(name, reverse, forward, batched) for each differentiable function of NumPy,
    SciPy, math, operator and the builtins (not s2sad's own helpers)."""
    rows = []
    for rule in all_rules():
        name = describe(rule.fn)
        library = "." not in name or name.startswith(("numpy.", "scipy.", "math.", "operator."))
        if rule.nondiff or runtime.is_helper(rule.fn) or not rule.vjp or not library:
            continue   # (users' own rules are not listed)
        forward = all(rule.has_forward(p) for p in rule.vjp)
        batched = forward and all(rule.batchable(p) for p in rule.vjp)
        rows.append((_public_name(name), True, forward, batched))
    return sorted(set(rows))


def _public_name(name: str) -> str:
    """`scipy.special._logsumexp.softmax` -> `scipy.special.softmax`."""
    parts = name.split(".")
    return ".".join(p for p in parts[:-1] if not p.startswith("_")) + "." + parts[-1] \
        if len(parts) > 1 else name


def table() -> str:
    rows = covered()
    numpy_scipy = [r for r in rows if r[0].startswith(("numpy", "scipy")) and r[1] and r[2]]
    lines = [f"{len(rows)} functions have derivative rules; {len(numpy_scipy)} of NumPy and "
             "SciPy have both a reverse and a forward rule.  *Batched*: `jacobian` and "
             "`hessian` push all basis vectors through it in one call.", "",
             "| function | reverse | forward | batched |", "|---|:---:|:---:|:---:|"]
    mark = {True: "yes", False: "-"}
    lines += [f"| `{name}` | {mark[r]} | {mark[f]} | {mark[b]} |" for name, r, f, b in rows]
    return "\n".join(lines)


def written_into(text: str) -> str:
    """`text` (a README) with the table between its coverage markers replaced."""
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    return f"{before}{START}\n{table()}\n{END}{after}"


def main(argv: list[str]) -> int:
    if argv[:1] == ["--readme"] and len(argv) == 2:
        with open(argv[1], encoding="utf-8") as f:
            text = f.read()
        if START not in text or END not in text:
            print(f"{argv[1]} has no {START} ... {END} markers", file=sys.stderr)
            return 1
        with open(argv[1], "w", encoding="utf-8") as f:
            f.write(written_into(text))
        return 0
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
