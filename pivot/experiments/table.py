"""`pivot exp show`: one row per experiment (and the workspace and HEAD), a column per param and
per metric, printed as `params show` and `metrics show` print theirs (the same number formatting,
display widths and markdown escaping), or as JSON or CSV.

Param columns are named as `-S` sets them, metric columns `FILE:KEY` (`metrics.json:accuracy`),
so a column reads the same in every format. A Python stage's param is `STAGE.FIELD` (`train.lr`);
a shell stage's params are params.yaml keys (`train.lr`, `seed`), named as the file names them,
so two stages listing `seed` share one column, as DVC's table has it."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Mapping, Sequence
from typing import Any

from pivot import errors
from pivot.base import plain, yamldoc
from pivot.experiments.record import ExpRecord
from pivot.report import render, snapshot, views
from pivot.report.diff import ABSENT

_FIXED = ("Experiment", "Base", "Created", "Status")


@dataclasses.dataclass(frozen=True, slots=True)
class Line:
    """One row of the table before formatting: an experiment, the workspace or HEAD."""

    name: str
    base: str | None  # full sha
    created: str | None
    status: str | None
    params: Mapping[str, Mapping[str, Any]]  # stage -> nested params
    metrics: Mapping[str, Mapping[str, Any]]  # metrics file -> flattened key -> value
    error: str | None = None
    shell: frozenset[str] = frozenset()  # the stages whose params are params.yaml keys
    overrides: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # its -S values
    pending: bool = False  # queued or running: its -S values are all it has yet

    @classmethod
    def of(cls, rec: ExpRecord) -> Line:
        shell = frozenset(stage for stage, lock in rec.locks.items() if lock.get("cmd"))
        return cls(rec.name, rec.base, rec.created, rec.status, rec.params, rec.metrics, rec.error, shell, rec.overrides)

    def param_cells(self) -> dict[str, Any]:
        if self.pending:  # named as -S names them, which is how the columns are named
            return dict(self.overrides)
        return {
            key if stage in self.shell else f"{stage}.{key}": value
            for stage, values in self.params.items()
            for key, value in snapshot.flatten(values).items()
        }

    def metric_cells(self) -> dict[str, Any]:
        return {f"{path}:{key}": value for path, values in self.metrics.items() for key, value in values.items()}


@dataclasses.dataclass(frozen=True, slots=True)
class Options:
    only_changed: bool = False
    sort_by: str | None = None
    descending: bool = False
    last: int | None = None  # the newest N experiments only
    precision: int = 5


def view(fixed: Sequence[Line], exps: Sequence[Line], options: Options) -> views.View:
    """`fixed` (workspace, HEAD) first as given, then `exps` (oldest first) as the options pick
    and order them."""
    if options.last is not None:
        exps = exps[len(exps) - options.last :] if options.last else []
    lines = [*fixed, *exps]
    param_cols = _columns([line.param_cells() for line in lines], only_changed=options.only_changed)
    metric_cols = _columns([line.metric_cells() for line in lines], only_changed=False)
    if options.sort_by is not None:
        column, is_param = _sort_column(options.sort_by, param_cols, metric_cols)
        exps = _sorted(exps, column, is_param, options.descending)
        lines = [*fixed, *exps]
    header = (*_FIXED, *param_cols, *metric_cols)
    rows = tuple(_cells(line, param_cols, metric_cols, options.precision) for line in lines)
    return views.View(header, rows, [_data(line) for line in lines], "No experiments.")


def _columns(cells: Sequence[Mapping[str, Any]], *, only_changed: bool) -> list[str]:
    """Every key in first-seen order; with `only_changed`, those whose value is not the same in
    every row (a row without the key differs from one with it)."""
    names = list(dict.fromkeys(key for row in cells for key in row))
    if not only_changed:
        return names
    return [name for name in names if not _same_everywhere([row.get(name, ABSENT) for row in cells])]


def _same_everywhere(values: Sequence[Any]) -> bool:
    first = values[0]
    return all(v is first if first is ABSENT or v is ABSENT else plain.same(first, v) for v in values[1:])


def _sort_column(key: str, params: Sequence[str], metrics: Sequence[str]) -> tuple[str, bool]:
    """The column `--sort-by KEY` names: a whole column name, or the one column whose key (after
    the stage's '.' or the file's ':') is KEY."""
    if key in params or key in metrics:
        return key, key in params
    ends = [c for c in [*params, *metrics] if c.endswith((f".{key}", f":{key}"))]
    if len(ends) == 1:
        return ends[0], ends[0] in params
    if ends:
        raise errors.InputError(f"--sort-by '{key}' matches several columns: {', '.join(ends)}", hint="give the whole column name")
    # Offered back as they may be given: whole, or the key alone.
    keys = [*(c.partition(".")[2] for c in params), *(c.partition(":")[2] for c in metrics)]
    close = yamldoc.did_you_mean(key, [*params, *metrics, *keys]) if params or metrics else None
    raise errors.InputError(
        f"--sort-by '{key}': no param or metric column of that name",
        hint=close if close and close.startswith("did") else f"sort by one of: {', '.join([*params, *metrics]) or 'none yet'}",
    )


def _sorted(exps: Sequence[Line], column: str, is_param: bool, descending: bool) -> list[Line]:
    """By the column's value; rows without a number there (absent, or text) keep their order after
    the rest, whichever the direction."""

    def value(line: Line) -> Any:
        return (line.param_cells() if is_param else line.metric_cells()).get(column, ABSENT)

    ranked = [line for line in exps if _orderable(value(line))]
    rest = [line for line in exps if not _orderable(value(line))]
    return [*sorted(ranked, key=value, reverse=descending), *rest]


def _orderable(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value  # NaN is not


def _cells(line: Line, params: Sequence[str], metrics: Sequence[str], precision: int) -> tuple[str, ...]:
    p, m = line.param_cells(), line.metric_cells()
    fixed = (line.name, (line.base or "-")[:8], line.created or "-", line.status or "-")
    return (
        *fixed,
        *(render.fmt(p.get(c, ABSENT)) for c in params),
        *(render.fmt(m.get(c, ABSENT), precision) for c in metrics),
    )


def _data(line: Line) -> dict[str, Any]:
    """A row for --json: metrics at full precision, params nested as the stage receives them."""
    return {
        "name": line.name,
        "base": line.base,
        "created": line.created,
        "status": line.status,
        "error": line.error,
        "overrides": dict(line.overrides),
        "params": {stage: dict(values) for stage, values in line.params.items()},
        "metrics": {path: dict(values) for path, values in line.metrics.items()},
    }


def csv_text(table: views.View) -> str:
    """The table as CSV (a header row, then one row per line), values as the table shows them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows(["" if cell == "-" else cell for cell in row] for row in table.rows)
    return out.getvalue()
