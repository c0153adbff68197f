"""More loaders, re-exported by `pivot.loaders`: `JSONL`, `DataFrameJSONL` and `MatplotlibFigure`.

    from pivot import loaders
    records: Annotated[list, outputs.Out("events.jsonl", loaders.JSONL())]

They write atomically and name the file and line of a parse error, as the loaders of
`pivot.loaders` do. `MatplotlibFigure` only writes: a stage cannot take a figure as a `Dep`,
which discovery reports when it reads the stage's annotations.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from pivot import errors, loaders


@dataclasses.dataclass(frozen=True)
class JSONL(loaders.Loader):
    """A list of JSON values (records, usually dicts), one per line. Blank lines are skipped."""

    def load(self, path: pathlib.Path) -> list[Any]:
        return _records(path)

    def save(self, value: Any, path: pathlib.Path) -> None:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise errors.LoaderError(f"JSONL saves a list of records, one per line; got a {type(value).__name__}")
        with loaders.writing(path) as tmp, tmp.open("w", encoding="utf-8") as handle:
            for index, record in enumerate(value):
                try:
                    line = json.dumps(record, ensure_ascii=False)
                except (TypeError, ValueError) as exc:
                    raise errors.LoaderError(f"JSONL cannot save record {index} (counting from 0): {exc}") from None
                handle.write(line + "\n")

    def empty(self) -> list[Any]:
        return []


@dataclasses.dataclass(frozen=True)
class DataFrameJSONL(loaders.Loader):
    """A pandas DataFrame as JSON lines, one record per row (`orient="records", lines=True`);
    the index is not saved."""

    def load(self, path: pathlib.Path) -> Any:
        pandas = loaders._pandas()
        try:
            return pandas.read_json(path, orient="records", lines=True)
        except ValueError as exc:  # UnicodeDecodeError too
            _records(path)  # raises naming the line, if a line is not UTF-8 or not JSON
            raise errors.LoaderError(f"{path}: not a table of JSON records: {exc}") from None

    def save(self, value: Any, path: pathlib.Path) -> None:
        if not isinstance(value, loaders._pandas().DataFrame):
            hint = " (JSONL saves a list of records)" if isinstance(value, list) else ""
            raise errors.LoaderError(f"DataFrameJSONL saves a pandas DataFrame; got a {type(value).__name__}{hint}")
        with loaders.writing(path) as tmp:
            value.to_json(tmp, orient="records", lines=True)

    def empty(self) -> Any:
        return loaders._pandas().DataFrame()


_FORMATS = ("png", "svg", "pdf")
# Without these, matplotlib writes the time of saving into SVG and PDF files (and random ids
# into SVG), so an unchanged figure would be new bytes on every run.
_NO_DATES = {"png": {}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}


@dataclasses.dataclass(frozen=True)
class MatplotlibFigure(loaders.Loader):
    """Saves a `matplotlib.figure.Figure` as PNG, SVG or PDF, by the output path's suffix, then
    closes it so a long run does not keep every figure in memory. Writes only."""

    dpi: float | None = None  # None: matplotlib's savefig.dpi
    bbox_inches: str | None = None  # "tight" trims the white margin

    def save(self, value: Any, path: pathlib.Path) -> None:
        figure_module = sys.modules.get("matplotlib.figure")
        if figure_module is None or not isinstance(value, figure_module.Figure):
            hint = " (return ax.figure, not the axes)" if hasattr(value, "get_figure") else ""
            raise errors.LoaderError(f"MatplotlibFigure saves a matplotlib Figure; got a {type(value).__name__}{hint}")
        try:
            _save_figure(self, value, path)
        finally:
            pyplot = sys.modules.get("matplotlib.pyplot")
            if pyplot is not None:  # figures made with pyplot stay open until closed
                pyplot.close(value)


def _save_figure(loader: MatplotlibFigure, figure: Any, path: pathlib.Path) -> None:
    kind = path.suffix.lower().lstrip(".")
    if kind not in _FORMATS:
        raise errors.LoaderError(
            f"MatplotlibFigure cannot save a '{path.suffix}' file: name the output .png, .svg or .pdf (the suffix picks the format)"
        )
    import matplotlib

    with loaders.writing(path) as tmp, matplotlib.rc_context({"svg.hashsalt": "pivot"}):
        figure.savefig(tmp, format=kind, dpi=loader.dpi or "figure", bbox_inches=loader.bbox_inches, metadata=_NO_DATES[kind])


def _records(path: pathlib.Path) -> list[Any]:
    records = []
    for number, line in enumerate(loaders.read_text(path, "utf-8").split("\n"), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise loaders.not_json(path, number, exc) from None
    return records
