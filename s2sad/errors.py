"""The one error s2sad raises for code it cannot differentiate."""
from __future__ import annotations


class TransformError(Exception):
    """Raised at transform time when a function cannot be differentiated.

    The message names what is unsupported, the user's file and line, the
    line's text, and what to do instead.

    >>> import s2sad
    >>> issubclass(s2sad.TransformError, Exception)
    True
    """

    def __init__(self, what: str, *, filename: str | None = None,
                 lineno: int | None = None, line: str | None = None,
                 function: str | None = None, hint: str | None = None):
        self.what = what
        self.filename = filename
        self.lineno = lineno
        self.line = line
        self.hint = hint
        parts = [what]
        if filename is not None:
            where = f'  File "{filename}", line {lineno}'
            if function:
                where += f", in {function}"
            parts.append(where)
            if line:
                parts.append("    " + line.strip())
        if hint:
            parts.append("Hint: " + hint)
        super().__init__("\n".join(parts))
