"""A plot's definition and its content at each revision made into a view whose spec says exactly
what to draw (model.py): DVC's defaults filled in (no `x`: the row's index; no `y`: the last
numeric column; a confusion matrix: `actual` against `predicted`), and a column that is not
there made into the series' error rather than an empty chart."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from pivot.plots import data
from pivot.plots.model import INDEX_FIELD, PlotSpec, PlotView, Series

CONFUSION_X, CONFUSION_Y = "actual", "predicted"


def view(spec: PlotSpec, series: Sequence[Series]) -> PlotView:
    """One chart of plot file `spec.path` (x and y as declared) drawn for each of `series`."""
    if data.is_image(spec.path):
        return PlotView(spec, "image", tuple(series))
    confusion = spec.template == "confusion"
    x = spec.x or (CONFUSION_X if confusion else INDEX_FIELD)
    y = spec.y or ((CONFUSION_Y,) if confusion else _last_numeric(series, x))
    resolved = dataclasses.replace(spec, x=x, y=y)
    indexed = spec.x is None and not confusion
    return PlotView(resolved, "data", tuple(_checked(resolved, one, indexed) for one in series))


def _last_numeric(series: Sequence[Series], x: str) -> tuple[str, ...]:
    """DVC's default y: the last column holding numbers, in the first revision that has rows."""
    rows = next((one.rows for one in series if one.rows), ())
    columns = _columns(rows)
    numeric = [name for name in columns if name not in (x, INDEX_FIELD) and any(data.is_number(row.get(name)) for row in rows)]
    return (numeric[-1],) if numeric else ()


def _columns(rows: Sequence[Mapping[str, object]]) -> list[str]:
    return list(dict.fromkeys(name for row in rows for name in row))


def _checked(spec: PlotSpec, series: Series, indexed: bool) -> Series:
    if series.error is not None or not series.rows:
        return series
    rows = tuple({**row, INDEX_FIELD: index} for index, row in enumerate(series.rows)) if indexed else series.rows
    columns = _columns(rows)
    there = ", ".join(name for name in columns if name != INDEX_FIELD or not indexed) or "none"
    if not spec.y:
        return dataclasses.replace(series, rows=rows, error=f"{spec.path} has no numeric column to draw (its columns: {there}): name one with y")
    missing = [name for name in (spec.x, *spec.y) if name is not None and name not in columns]
    if missing:
        field = "x" if missing[0] == spec.x else "y"
        return dataclasses.replace(series, rows=rows, error=f"{spec.path} has no column '{missing[0]}' (named by {field}); its columns: {there}")
    return dataclasses.replace(series, rows=rows)
