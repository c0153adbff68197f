"""How counts, sizes and numbers read in every message: "1 stage", "2 stages", "1.2 MB", a zero
that is never printed as "-0.0"; and how wide text is on a terminal, for tables that line up."""

from __future__ import annotations

import unicodedata
from typing import Any


def count(n: int, noun: str, plural: str | None = None) -> str:
    """"0 stages", "1 stage", "2 stages"; irregular plurals ("entry" -> "entries") are passed in."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


_UNITS = ("KB", "MB", "GB", "TB", "PB")


def size(nbytes: float) -> str:
    """Decimal units as DVC and most tools print them: 12 B, 1.2 MB (1 KB = 1000 B).

    The number is rounded before its unit is chosen, so 999,999 B is "1.0 MB", never "1000.0 KB";
    past the last unit it just grows ("1500.0 PB")."""
    if round(nbytes) < 1000:
        return f"{round(nbytes)} B"
    value = float(nbytes)
    for unit in _UNITS:
        value /= 1000
        text = f"{value:.1f}"
        if float(text) < 1000 or unit == _UNITS[-1]:
            return f"{text} {unit}"
    raise AssertionError("unreachable")


def unsigned_zero(value: Any) -> Any:
    """A float zero without its sign: rounding a tiny negative difference gives -0.0, which
    reads as a change in the other direction; an int or anything else passes through."""
    if isinstance(value, float) and value == 0:
        return 0.0
    return value


def be(n: int) -> str:
    """The verb that agrees with a count: "1 output is", "2 outputs are"."""
    return "is" if n == 1 else "are"


def width(text: str) -> int:
    """Terminal columns `text` takes: CJK and emoji take two, combining marks none (wcwidth's
    tables of Unicode's East Asian Width and zero-width characters; `len` counts code points)."""
    if text.isascii() and text.isprintable():
        return len(text)  # the usual cell, and the only answer wcwidth could give
    import wcwidth  # here: its tables take longer to import than most commands spend measuring

    columns = wcwidth.wcswidth(text)
    if columns >= 0:
        return columns
    # A control character makes wcswidth give up (-1); count the rest, the control as nothing.
    return sum(max(wcwidth.wcwidth(char), 0) for char in text)


def ljust(text: str, columns: int) -> str:
    """`text` padded with spaces to `columns` terminal columns."""
    return text + " " * max(columns - width(text), 0)


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """`text` with control characters written as escapes (a newline as \\n, ESC as \\x1b): a
    value in a table cell must not start a new line or send the terminal a command."""
    if text.isprintable():
        return text
    return "".join(_ESCAPES.get(c, f"\\x{ord(c):02x}") if unicodedata.category(c) == "Cc" else c for c in text)
