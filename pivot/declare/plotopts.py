"""A plot's drawing options (`x`, `y`, `template`, `title`, `x_label`, `y_label`), checked the
same way however they were written: `outputs.Plot(...)`, a Python stage's `plots:` entry in
pivot.yaml, or a shell stage's `- file.csv: {x: ...}`. They travel on `OutSpec.plot` as a tuple
of pairs, in this order, `y` always a tuple, so the plots layer reads them from one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The templates pivot draws (pivot.plots.model.TEMPLATES: the declarations sit below the plots
# layer, which may not be imported here; tests/plots keep the two equal).
TEMPLATES = ("linear", "scatter", "bar", "confusion")
KEYS = ("x", "y", "template", "title", "x_label", "y_label")

Options = tuple[tuple[str, Any], ...]


def problem(key: str, value: Any) -> str | None:
    """What is wrong with one option as written, or None when it is fine."""
    if key not in KEYS:
        import difflib  # only for a message: not on every command's path

        close = difflib.get_close_matches(key, KEYS, n=1)
        suggestion = f"; did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(KEYS)})"
        return f"unknown plot option '{key}'{suggestion}"
    if key == "y":
        many = isinstance(value, list | tuple) and bool(value) and all(isinstance(item, str) for item in value)
        return None if isinstance(value, str) or many else "'y' must be a column name or a list of them"
    if not isinstance(value, str):
        return f"'{key}' must be a string"
    if key == "template" and value not in TEMPLATES:
        return f"unknown template '{value}' (pivot draws: {', '.join(TEMPLATES)})"
    return None


def normalized(options: Mapping[str, Any]) -> Options:
    """Checked options (see `problem`) as `OutSpec.plot` keeps them: KEYS order, None left out."""
    pairs = []
    for key in KEYS:
        value = options.get(key)
        if value is None:
            continue
        pairs.append((key, (value,) if key == "y" and isinstance(value, str) else tuple(value) if key == "y" else value))
    return tuple(pairs)


def first_problem(options: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first bad option as (key, what is wrong), or None."""
    for key, value in options.items():
        if value is None and key in KEYS:
            continue
        found = problem(str(key), value)
        if found is not None:
            return str(key), found
    return None
