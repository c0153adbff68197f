"""The params and metrics reports as one value each, printable as a table, markdown or JSON."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pivot.report import render
from pivot.report.diff import Row
from pivot.report.snapshot import Table, Unreadable

_NONE: Mapping[str, Unreadable] = {}


@dataclasses.dataclass(frozen=True, slots=True)
class View:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    data: Any  # what --json prints
    empty: str  # what --md says when there are no rows

    def text(self) -> str:
        return render.text_table(self.header, self.rows)

    def markdown(self) -> str:
        return render.md_table(self.header, self.rows) if self.rows else f"{self.empty}\n"

    def json(self) -> str:
        return json.dumps(render.json_tree(self.data), indent=2) + "\n"


def params_show(params: Table) -> View:
    rows = tuple((stage, key, render.fmt(value)) for stage, items in params.items() for key, value in items.items())
    return View(("Stage", "Param", "Value"), rows, {k: dict(v) for k, v in params.items()}, "No params.")


def metrics_show(metrics: Table, precision: int = 5, unreadable: Mapping[str, Unreadable] | None = None) -> View:
    """An unreadable file is a row "PATH  error  REASON" and {"error": {"msg": REASON}} in JSON
    (a flattened value is never a mapping, so that entry cannot be mistaken for a metric)."""
    rows = [(path, key, render.fmt(value, precision)) for path, items in metrics.items() for key, value in items.items()]
    data: dict[str, Any] = {k: dict(v) for k, v in metrics.items()}
    for path, problem in (unreadable or {}).items():
        rows.append((path, "error", problem.reason))
        data[path] = {"error": {"msg": problem.reason}}
    return View(("Path", "Metric", "Value"), tuple(rows), data, "No metrics.")


def params_diff(rows: Sequence[Row], old_label: str, new_label: str) -> View:
    table = tuple((r.group, r.key, render.fmt(r.old), render.fmt(r.new)) for r in rows)
    data: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = {"old": render.json_value(r.old), "new": render.json_value(r.new)}
        if r.delta is not None:  # as DVC: numbers carry their difference, other values only old and new
            entry["diff"] = render.json_value(r.delta)
        data.setdefault(r.group, {})[r.key] = entry
    return View(("Stage", "Param", old_label, new_label), table, data, "No params changed.")


def metrics_diff(
    rows: Sequence[Row],
    old_label: str,
    new_label: str,
    *,
    precision: int = 5,
    with_path: bool = True,
    old_unreadable: Mapping[str, Unreadable] = _NONE,
    new_unreadable: Mapping[str, Unreadable] = _NONE,
) -> View:
    """A file unreadable on either side adds a row "PATH  error  OLD-REASON  NEW-REASON  -", and
    {"error": {"old": reason or null, "new": ...}} in JSON, after the rows of the keys it has."""
    table: list[tuple[str, ...]] = []
    data: dict[str, dict[str, Any]] = {}
    for r in rows:
        delta = r.delta
        change = "-" if delta is None else render.fmt_change(delta, precision)
        cells = (r.key, render.fmt(r.old, precision), render.fmt(r.new, precision), change)
        table.append((r.group, *cells) if with_path else cells)
        data.setdefault(r.group, {})[r.key] = {
            "old": render.json_value(r.old),
            "new": render.json_value(r.new),
            # Full precision: --precision shapes the table, a script does its own rounding.
            "diff": None if delta is None else render.json_value(delta),
        }
    for path in [*new_unreadable, *(p for p in old_unreadable if p not in new_unreadable)]:
        old, new = old_unreadable.get(path), new_unreadable.get(path)
        cells = ("error", old.reason if old else "-", new.reason if new else "-", "-")
        table.append((path, *cells) if with_path else cells)
        data.setdefault(path, {})["error"] = {"old": old and old.reason, "new": new and new.reason}
    header = ("Metric", old_label, new_label, "Change")
    return View((("Path", *header) if with_path else header), tuple(table), data, "No metrics changed.")
