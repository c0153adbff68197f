"""Rows as a plain table, a GitHub markdown table, or JSON-ready values."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pivot.base import wording
from pivot.report.diff import ABSENT


def fmt(value: Any, precision: int | None = None) -> str:
    if value is ABSENT:
        return "-"
    if isinstance(value, float) and precision is not None:
        value = round(value, precision)
    if isinstance(value, str):
        return value
    return json.dumps(json_value(value))


def fmt_change(delta: float, precision: int) -> str:
    """A difference rounded for a table; one that rounds to nothing is "0", whatever its sign."""
    rounded = round(delta, precision)
    return "0" if rounded == 0 else fmt(rounded)


def json_tree(value: Any) -> Any:
    """A copy of nested dicts and lists with every float zero unsigned, for --json output."""
    if isinstance(value, dict):
        return {k: json_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_tree(v) for v in value]
    return json_value(value)


def json_value(value: Any) -> Any:
    """None for an absent side; a float zero loses its sign (a -0.0 reads as a change)."""
    return None if value is ABSENT else wording.unsigned_zero(value)


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Aligned columns; an empty table is no text at all. Widths are terminal columns, not code
    points, so CJK and emoji values (two columns each) line up; a control character in a value
    is shown escaped, so a newline cannot split a row."""
    if not rows:
        return ""
    lines = [[wording.one_line(str(cell)) for cell in row] for row in (header, *rows)]
    measured = [[wording.width(cell) for cell in line] for line in lines]
    widths = [max(line[i] for line in measured) for i in range(len(header))]
    return "".join(
        "  ".join(c + " " * (w - cw) for c, cw, w in zip(line, cws, widths, strict=False)).rstrip() + "\n"
        for line, cws in zip(lines, measured, strict=True)
    )


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(md_cell(str(c)) for c in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header), *(line(r) for r in rows)]) + "\n"


# GitHub splits a table row at every pipe not right after a backslash, before it reads anything
# else in the cell; inside the cell, a backslash escapes any ASCII punctuation.
_MD_SPECIAL = re.compile(r"[\\|`<\r\n]")
_MD_ESCAPES = str.maketrans({"\\": "\\\\", "|": "\\|", "`": "\\`", "<": "\\<"})


def md_cell(text: str) -> str:
    """`text` as one GitHub table cell that reads as written. Escaped: a backslash (else one in
    the value, as in `a\\|b`, is taken as escaping what follows it), a pipe (else it starts a new
    cell), a backtick (else it opens a code span, where escapes do not work) and `<` (else it opens
    HTML, and `<!--` would hide the rest of the comment). A line break becomes `<br>`: a table row
    is one line, and a bare newline would end the table."""
    if not _MD_SPECIAL.search(text):
        return text
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<br>".join(part.translate(_MD_ESCAPES) for part in lines)
