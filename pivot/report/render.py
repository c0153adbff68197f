"""Rows as a plain table, a GitHub markdown table, or JSON-ready values."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pivot.report.diff import ABSENT


def fmt(value: Any, precision: int | None = None) -> str:
    if value is ABSENT:
        return "-"
    if isinstance(value, float) and precision is not None:
        value = round(value, precision)
    if isinstance(value, str):
        return value
    return json.dumps(value)


def json_value(value: Any) -> Any:
    return None if value is ABSENT else value


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Aligned columns; an empty table is no text at all."""
    if not rows:
        return ""
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in (header, *rows)]
    return "\n".join(lines) + "\n"


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header), *(line(r) for r in rows)]) + "\n"
