"""Charts as Mermaid `xychart-beta` blocks, which GitHub draws inside a comment or a job summary:
no image to host. `xychart` draws a plot view (old vs new revision), `line_chart` one metric
across commits (`pivot metrics history --md`).

What xychart-beta can and cannot say decides the shape of the output:
- Every series shares one x axis and is a bare list of y values, with no gaps. So the series are
  put on common x positions: the union of their x values, sampled down to `limit`. A series is
  interpolated linearly where it has no point of its own, and held at its first or last value
  outside its own x range (the legend says so): a drawn value is always one the data has or one
  between two it has.
- A numeric x axis spaces the points evenly between its min and max, whatever their x values;
  for steps and epochs (the usual x) that is exact.
- Sampling keeps the first and last x and, for every series, the x of its smallest and largest
  value, then fills up with x values evenly spread over the range: a spike survives sampling.
- There is no legend and no colour per series in the syntax: the block sets its own palette (an
  init directive) and the returned text ends with a Markdown legend line naming each series by
  the colour square of its line.
- There is no scatter: a line through scattered points suggests an order they do not have, so a
  scatter plot (like a confusion matrix or an image) is not drawn here (None); the caller links
  to the HTML page instead.
- Two bar series are drawn on top of each other, not side by side: in a bar plot the last
  revision is the bars and the ones before it are lines over them.
- Numbers are plain decimals (the grammar has no exponent) with 4 significant digits; a quote
  cannot be escaped inside a quoted label, so it becomes an apostrophe.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pivot.plots.model import PlotView

DRAWN_TEMPLATES = ("linear", "bar")
# Colour squares a reader sees in the legend line, and the same colours for the chart's series.
_SWATCHES = (
    ("🟦", "#3b82f6"),
    ("🟧", "#f97316"),
    ("🟩", "#22c55e"),
    ("🟥", "#ef4444"),
    ("🟪", "#a855f7"),
    ("🟨", "#eab308"),
    ("🟫", "#92400e"),
    ("⬛", "#374151"),
)


@dataclasses.dataclass(frozen=True, slots=True)
class _Line:
    name: str
    points: dict[float, float]  # x position -> y, sorted by x


def xychart(view: PlotView, *, limit: int = 100) -> str | None:
    """A fenced ```mermaid xychart-beta block drawing `view`, one line per revision and y column
    with at most `limit` points each, followed by a Markdown legend line; None when the view
    cannot be drawn that way (an image, a confusion or scatter plot, no numeric data)."""
    spec = view.spec
    if view.kind != "data" or spec.template not in DRAWN_TEMPLATES or spec.x is None or not spec.y:
        return None
    raw = _pairs(view, spec.x)
    if not raw:
        return None
    lines, categories = _positioned(raw)
    grid = _sample(sorted({x for line in lines for x in line.points}), lines, limit)
    if categories is not None:
        x_axis = _band([categories[int(x)] for x in grid])
    elif _num(grid[0]) == _num(grid[-1]):  # one x (at 4 digits): a range would be empty
        x_axis = _band([_num(x) for x in grid])
    else:
        x_axis = f"{_num(grid[0])} --> {_num(grid[-1])}"
    last = len(lines) - 1
    kinds = ["bar" if spec.template == "bar" and i == last else "line" for i in range(len(lines))]
    body = [(line.name, kind, _values_at(line, grid)) for line, kind in zip(lines, kinds, strict=True)]
    block = _block(spec.title or spec.path, _labelled(spec.x_label or spec.x, x_axis), spec.y_label or ", ".join(spec.y), body)
    return block + _legend(lines, grid)


def _pairs(view: PlotView, x: str) -> list[tuple[str, list[tuple[Any, float]]]]:
    """(series name, [(x cell, y number)]) per revision and y column that has a point; the
    name is the revision, with the column when there are several."""
    raw = []
    for series in view.series:
        for column in view.spec.y:
            pairs = [(row.get(x), _number(row.get(column))) for row in series.rows]
            kept = [(cell, y) for cell, y in pairs if cell is not None and y is not None]
            if kept:
                raw.append((f"{series.revision} {column}" if len(view.spec.y) > 1 else series.revision, kept))
    return raw


def _positioned(raw: Sequence[tuple[str, list[tuple[Any, float]]]]) -> tuple[list[_Line], list[str] | None]:
    """The lines with their x as positions: the number when every x is one, else the rank of
    the x's text in order of first appearance (the categories, returned too)."""
    cells = [cell for _, kept in raw for cell, _ in kept]
    categories = None if all(_number(cell) is not None for cell in cells) else list(dict.fromkeys(map(str, cells)))
    rank = {c: float(i) for i, c in enumerate(categories or ())}

    def position(cell: Any) -> float:
        number = _number(cell)
        return number if categories is None and number is not None else rank[str(cell)]

    lines = [_Line(name, dict(sorted({position(cell): y for cell, y in kept}.items()))) for name, kept in raw]
    return lines, categories


def line_chart(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *, limit: int = 100) -> str:
    """A fenced ```mermaid block: each of `series` (name -> one value or None per label) as a
    line over the category axis `labels` (oldest first), then a legend line when there are
    several series. Labels where no series has a value are left out; a gap inside a series is
    bridged (and said so). Raises ValueError when no series has a value."""
    lines = [
        _Line(name, {float(i): v for i, value in enumerate(values) if (v := _number(value)) is not None})
        for name, values in series.items()
    ]
    lines = [line for line in lines if line.points]
    if not lines:
        raise ValueError(f"no numeric values to chart for {title!r}")
    grid = _sample(sorted({x for line in lines for x in line.points}), lines, limit)
    body = [(line.name, "line", _values_at(line, grid)) for line in lines]
    block = _block(title, _band([labels[int(x)] for x in grid]), "", body)
    return block + (_legend(lines, grid) if len(lines) > 1 or _bridged(lines[0], grid) else "")


# ---------------------------------------------------------------------- sampling


def _sample(grid: list[float], lines: Sequence[_Line], limit: int) -> list[float]:
    """At most `limit` (at least 2) of `grid`'s x positions: its ends, each line's extremes, then
    positions nearest to evenly spread targets until `limit` are chosen."""
    limit = max(limit, 2)
    if len(grid) <= limit:
        return grid
    must = [grid[0], grid[-1]]
    for line in lines:
        must += [min(line.points, key=line.points.__getitem__), max(line.points, key=line.points.__getitem__)]
    chosen = set(dict.fromkeys(must[:limit]))  # many lines and a small limit: ends first
    slots = limit - len(chosen)
    for i in range(slots):
        if len(chosen) >= limit:
            break
        target = grid[0] + (grid[-1] - grid[0]) * (i + 1) / (slots + 1)
        chosen.add(_nearest_free(grid, target, chosen))
    return sorted(chosen)


def _nearest_free(grid: list[float], target: float, taken: set[float]) -> float:
    at = bisect.bisect_left(grid, target)
    left, right = at - 1, at
    while left >= 0 or right < len(grid):
        candidates = [grid[i] for i in (left, right) if 0 <= i < len(grid) and grid[i] not in taken]
        if candidates:
            return min(candidates, key=lambda x: abs(x - target))
        left, right = left - 1, right + 1
    return grid[0]


def _values_at(line: _Line, grid: Sequence[float]) -> list[float]:
    """The line's value at each x of `grid`: its own, interpolated between its neighbours, or
    held at its first / last value outside its x range."""
    xs = list(line.points)
    values = []
    for x in grid:
        if x in line.points:
            values.append(line.points[x])
            continue
        at = bisect.bisect_left(xs, x)
        if at == 0 or at == len(xs):
            values.append(line.points[xs[0 if at == 0 else -1]])
            continue
        x0, x1 = xs[at - 1], xs[at]
        y0, y1 = line.points[x0], line.points[x1]
        values.append(y0 + (y1 - y0) * (x - x0) / (x1 - x0))
    return values


def _bridged(line: _Line, grid: Sequence[float]) -> bool:
    return any(x not in line.points for x in grid)


# ---------------------------------------------------------------------- text


def _block(title: str, x_axis: str, y_label: str, body: Sequence[tuple[str, str, list[float]]]) -> str:
    values = [v for _, _, vs in body for v in vs]
    low, high = float(_num(min(values))), float(_num(max(values)))
    if low == high:  # a flat line (at 4 digits) still needs a range to sit in
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    palette = ", ".join(_SWATCHES[i % len(_SWATCHES)][1] for i in range(len(body)))
    init = {"themeVariables": {"xyChart": {"plotColorPalette": palette}}}
    lines = [
        "```mermaid",
        f"%%{{init: {json.dumps(init)}}}%%",
        "xychart-beta",
        f"    title {_text(title)}",
        f"    x-axis {x_axis}",
        f"    y-axis {_labelled(y_label, f'{_num(low)} --> {_num(high)}')}",
        *(f"    {kind} [{', '.join(_num(v) for v in vs)}]" for _, kind, vs in body),
        "```",
    ]
    return "\n".join(lines) + "\n"


def _legend(lines: Sequence[_Line], grid: Sequence[float]) -> str:
    parts = []
    for i, line in enumerate(lines):
        note = " (drawn flat or straight where it has no point)" if _bridged(line, grid) else ""
        parts.append(f"{_SWATCHES[i % len(_SWATCHES)][0]} {_md(line.name)}{note}")
    return " · ".join(parts) + "\n"


def _labelled(label: str, data: str) -> str:
    """An axis's label and data; an empty label is left out (the grammar has no empty string)."""
    return f"{_text(label)} {data}" if label.strip() else data


def _band(labels: Sequence[str]) -> str:
    return "[" + ", ".join(_text(label) for label in labels) + "]"


def _text(value: str) -> str:
    """A quoted label: quotes cannot be escaped there (apostrophes instead), a line break would
    end the statement, and `%%` starts a comment anywhere on a line."""
    clean = " ".join(str(value).replace('"', "'").split())
    while "%%" in clean:
        clean = clean.replace("%%", "% %")
    return f'"{clean or " "}"'  # the lexer reads no empty string


def _md(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_[]<>|#" else c for c in text)


def _num(value: float) -> str:
    """4 significant digits as a plain decimal: the grammar reads no exponent."""
    if value == 0:
        return "0"
    short = f"{value:.4g}"
    if "e" in short:
        short = format(Decimal(short), "f")
    return short


def _number(value: Any) -> float | None:
    """A finite number from a row's cell (a numeric string too); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None
