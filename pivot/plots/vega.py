"""A data PlotView as a Vega-Lite spec, ready for vl-convert to draw.

Every revision of a view is drawn in one chart: `linear`, `scatter` and `bar` overlay one series
per revision (per revision x y column when several columns are drawn) with a legend naming it;
`confusion` draws one heatmap of (actual, predicted) counts per revision, side by side. The data
goes in long form under fixed field names (`x`, `y`, `series`), so a user's column named
`a.b` or `datum` cannot be mistaken for a Vega field path. Long series are thinned for drawing
(`pivot.plots.thin`); the chart says which."""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pivot.plots import thin
from pivot.plots.model import PlotView, Series

WIDTH = 600  # pixels of the plotting area: the thinning keeps a min and a max per column
HEIGHT = 300
CONFUSION_SIDE = 360  # the most pixels a confusion matrix takes per side


@dataclasses.dataclass(frozen=True, slots=True)
class Thinned:
    """A series drawn from fewer points than it has."""

    label: str
    drawn: int
    total: int


@dataclasses.dataclass(frozen=True, slots=True)
class Chart:
    """What to draw for a view (`spec` None: nothing, every series failed or had no values),
    the legend's labels in order, the series thinned, and notes on series that drew nothing."""

    spec: Mapping[str, Any] | None
    labels: tuple[str, ...] = ()
    thinned: tuple[Thinned, ...] = ()
    notes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class _Line:
    label: str
    xs: list[Any]  # as read
    ys: list[float]
    numeric_x: list[float | None]  # each x as a number, None where it is text


def chart(view: PlotView) -> Chart:
    """The Vega-Lite spec of a data view (an image view has none)."""
    if view.kind != "data":
        return Chart(None)
    if view.spec.template == "confusion":
        return _confusion(view)
    return _xy(view)


def number(value: Any) -> float | None:
    """A finite number read from a cell (CSV cells may still be text), else None."""
    kind = type(value)
    if kind is float:  # the common case first: this runs for every cell drawn
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(value) if isinstance(value, int | float) else float(str(value))
    except (ValueError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def numbers(values: list[Any]) -> list[float | None]:
    """`number` of each value; a column of plain ints and finite floats (what a parsed CSV or
    JSON holds) is checked and converted by C loops rather than cell by cell."""
    kinds = set(map(type, values))
    try:
        if kinds <= {float, int} and all(map(math.isfinite, values)):
            return list(map(float, values))
    except OverflowError:  # an int beyond any float: the cell-by-cell path leaves it out
        pass
    return [number(value) for value in values]


def _drawn(view: PlotView) -> list[Series]:
    return [series for series in view.series if series.error is None]


def _lines(view: PlotView) -> tuple[list[_Line], list[str]]:
    spec = view.spec
    several = len(spec.y) > 1
    lines: list[_Line] = []
    notes: list[str] = []
    for series in _drawn(view):
        for column in spec.y:
            label = f"{series.revision} · {column}" if several else series.revision
            found = numbers([row.get(column) for row in series.rows])
            xs: list[Any] = [row.get(spec.x, i) for i, row in enumerate(series.rows)] if spec.x else list(range(len(found)))
            if None in found:  # a row without a number in this column is left out of its line
                xs = [x for x, y in zip(xs, found, strict=True) if y is not None]
            ys: list[float] = [y for y in found if y is not None]
            if ys:
                lines.append(_Line(label, xs, ys, numbers(xs)))
            else:
                notes.append(f"{series.revision}: no numeric values in column '{column}'")
    return lines, notes


def _xy(view: PlotView) -> Chart:
    lines, notes = _lines(view)
    if not lines:
        return Chart(None, notes=tuple(notes))
    numeric_x = all(None not in line.numeric_x for line in lines)
    pick = thin.stride if view.spec.template == "scatter" else thin.envelope
    values: list[dict[str, Any]] = []
    thinned: list[Thinned] = []
    for line in lines:
        keep = pick(line.ys, WIDTH)
        if len(keep) < len(line.ys):
            thinned.append(Thinned(line.label, len(keep), len(line.ys)))
        xs = line.numeric_x if numeric_x else [str(x) for x in line.xs]
        values += [{"x": xs[i], "y": line.ys[i], "series": line.label} for i in keep]
    labels = tuple(dict.fromkeys(line.label for line in lines))
    spec = {
        "width": WIDTH,
        "height": HEIGHT,
        "background": "white",
        "data": {"values": values},
        "mark": _mark(view.spec.template),
        "encoding": _encoding(view, labels, numeric_x=numeric_x),
    }
    if view.spec.title:
        spec["title"] = view.spec.title
    return Chart(spec, labels, tuple(thinned), tuple(notes))


def _mark(template: str) -> dict[str, Any]:
    if template == "scatter":
        return {"type": "point", "filled": True, "size": 24, "opacity": 0.7}
    if template == "bar":
        return {"type": "bar", "opacity": 0.85}
    return {"type": "line", "strokeWidth": 1.5}


def _encoding(view: PlotView, labels: Sequence[str], *, numeric_x: bool) -> dict[str, Any]:
    spec = view.spec
    bar = spec.template == "bar"
    # A bar chart's x is categories unless it is numbers; a line's text x keeps the rows' order.
    x_type = "quantitative" if numeric_x and not bar else "ordinal"
    x: dict[str, Any] = {"field": "x", "type": x_type, "title": spec.x_label or spec.x or "row"}
    if x_type == "quantitative":
        x["scale"] = {"zero": False}
    else:
        x |= {"sort": None, "axis": {"labelAngle": 0}}
    y_title = spec.y_label or ", ".join(spec.y) or "value"
    encoding: dict[str, Any] = {
        "x": x,
        "y": {"field": "y", "type": "quantitative", "title": y_title, "scale": {"zero": bar}},
        "color": {"field": "series", "type": "nominal", "title": "revision", "scale": {"domain": list(labels)}},
    }
    if bar and len(labels) > 1:
        encoding["xOffset"] = {"field": "series", "type": "nominal", "scale": {"domain": list(labels)}}
    return encoding


def _confusion(view: PlotView) -> Chart:
    spec = view.spec
    actual, predicted = spec.x or "actual", spec.y[0] if spec.y else "predicted"
    values: list[dict[str, Any]] = []
    notes: list[str] = []
    revisions: list[str] = []
    for series in _drawn(view):
        counts = collections.Counter((str(row[actual]), str(row[predicted])) for row in series.rows if actual in row and predicted in row)
        if not counts:
            notes.append(f"{series.revision}: no rows with both '{actual}' and '{predicted}'")
            continue
        revisions.append(series.revision)
        values += [{"x": a, "y": p, "count": n, "series": series.revision} for (a, p), n in counts.items()]
    if not values:
        return Chart(None, notes=tuple(notes))
    classes = sorted({v["x"] for v in values} | {v["y"] for v in values}, key=_class_order)
    cell = max(16, min(60, CONFUSION_SIDE // len(classes)))
    most = max(v["count"] for v in values)
    matrix = {
        "width": cell * len(classes),
        "height": cell * len(classes),
        "encoding": {
            "x": {
                "field": "x",
                "type": "ordinal",
                "title": spec.x_label or actual,
                "scale": {"domain": classes},
                "axis": {"labelAngle": 0},
            },
            "y": {"field": "y", "type": "ordinal", "title": spec.y_label or predicted, "scale": {"domain": classes}},
        },
        "layer": [
            {"mark": "rect", "encoding": {"color": {"field": "count", "type": "quantitative", "scale": {"scheme": "blues"}}}},
            {
                "mark": {"type": "text", "fontSize": 11},
                "encoding": {
                    "text": {"field": "count", "type": "quantitative"},
                    # dark cells get white figures so the count stays readable
                    "color": {"condition": {"test": f"datum.count > {most / 2}", "value": "white"}, "value": "black"},
                },
            },
        ],
    }
    chart: dict[str, Any] = {"background": "white", "data": {"values": values}}
    if len(revisions) > 1:
        facet = {"field": "series", "type": "nominal", "title": None, "sort": revisions}
        chart |= {"facet": {"column": facet}, "spec": matrix}
    else:
        chart |= matrix
    if spec.title:
        chart["title"] = spec.title
    return Chart(chart, tuple(revisions), (), tuple(notes))


def _class_order(name: str) -> tuple[int, float, str]:
    """Numbers in numeric order (2 before 10), then names in text order."""
    value = number(name)
    return (0, value, name) if value is not None else (1, 0.0, name)
