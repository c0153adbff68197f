"""A plot file's bytes as rows: CSV, TSV, JSON (a list of records, or `{key: [records]}`, whose
first list DVC draws), JSONL and YAML. Text that reads as a number becomes one, so a CSV's
columns can be drawn; everything else is kept as it is."""

from __future__ import annotations

import csv
import io
import json
import math
import pathlib
import re
from collections.abc import Mapping
from typing import Any

from pivot.base import yamlio
from pivot.plots import model

Row = dict[str, Any]
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DATA_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".yaml", ".yml")


class Unreadable(ValueError):
    """A plot file whose rows cannot be had; the message says why, for `Series.error`."""


def is_image(path: str) -> bool:
    return pathlib.PurePosixPath(path).suffix.lower() in model.IMAGE_SUFFIXES


def parse(path: str, data: bytes) -> tuple[Row, ...]:
    """The rows of plot file `path`, whose content is `data`; Unreadable says why there are none."""
    suffix = pathlib.PurePosixPath(path).suffix.lower()
    if suffix not in _DATA_SUFFIXES:
        raise Unreadable(f"{path}: pivot reads plot data from {', '.join(_DATA_SUFFIXES)} files and draws {', '.join(model.IMAGE_SUFFIXES)} as images")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable(f"{path}: not UTF-8 text") from None
    if suffix in (".csv", ".tsv"):
        return _delimited(text, "\t" if suffix == ".tsv" else ",")
    if suffix == ".jsonl":
        return _records(path, [_json(path, line, number) for number, line in enumerate(text.splitlines(), 1) if line.strip()])
    try:
        value = json.loads(text) if suffix == ".json" else yamlio.load(text)
    except Exception as exc:  # json's and yaml's errors differ; each names the line
        raise Unreadable(f"{path}: invalid {'JSON' if suffix == '.json' else 'YAML'}: {' '.join(str(exc).split())}") from None
    return _records(path, _first_list(path, value))


def _delimited(text: str, delimiter: str) -> tuple[Row, ...]:
    lines = [line for line in csv.reader(io.StringIO(text), delimiter=delimiter) if line]
    if not lines:
        return ()
    header, width = lines[0], len(lines[0])
    cells = [line[:width] + [None] * (width - len(line)) for line in lines[1:]]  # a short line: None, as csv.DictReader
    columns = [_column(values) for values in zip(*cells, strict=True)] if cells else []
    return tuple(dict(zip(header, values, strict=True)) for values in zip(*columns, strict=True))


def _column(values: tuple[str | None, ...]) -> list[Any]:
    """A column's cells as numbers when they all read as numbers (the usual case, done in one
    pass: a 10,000-row curve parses in milliseconds), else cell by cell."""
    try:
        return [int(value) for value in values]  # type: ignore[arg-type]  # None fails, as text does
    except (ValueError, TypeError):
        pass
    try:
        floats = [float(value) for value in values]  # type: ignore[arg-type]
        if all(map(math.isfinite, floats)):
            return floats
    except (ValueError, TypeError):
        pass
    return [_number(value) for value in values]


def _number(value: Any) -> Any:
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = float(value)
        return int(number) if number.is_integer() and re.fullmatch(r"[+-]?\d+", value.strip()) else number
    return value


def _json(path: str, line: str, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise Unreadable(f"{path}: line {number} is not JSON: {exc.msg}") from None


def _first_list(path: str, value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        found = next((item for item in value.values() if isinstance(item, list)), None)
        if found is not None:
            return found
    raise Unreadable(f"{path}: holds no list of records (expected [{{...}}, ...] or {{key: [{{...}}, ...]}})")


def _records(path: str, items: list[Any]) -> tuple[Row, ...]:
    rows = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise Unreadable(f"{path}: record {index} is {type(item).__name__}, not a mapping of column to value")
        rows.append({str(key): _finite(value) for key, value in item.items()})
    return tuple(rows)


def _finite(value: Any) -> Any:
    # NaN and infinity have no place on an axis, and no JSON spelling: drawn as a gap.
    return None if isinstance(value, float) and not math.isfinite(value) else value


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
