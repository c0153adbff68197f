"""Loaders turn a file into the value a stage receives, and a returned value into a file.

Write your own by subclassing `Loader` (a frozen dataclass, defined at module level so worker
processes can import it) and implementing `load(path)` and `save(value, path)`:

    @dataclasses.dataclass(frozen=True)
    class Lines(loaders.Loader):
        def load(self, path):
            return path.read_text().splitlines()

        def save(self, value, path):
            path.write_text("\n".join(value) + "\n")

`PathOnly` is special: the stage receives the `pathlib.Path` of a dependency, and for an output
it writes the file itself and returns its path. Nothing here touches the filesystem at import.

The built-in loaders write through a temp file beside the target and a rename, so a save that
fails half-way leaves the previous file as it was; a file that does not parse raises
`errors.LoaderError` naming the file and, where the format has lines, the line. JSONL,
DataFrameJSONL and MatplotlibFigure live in `pivot.loaders_more` and are re-exported here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import pathlib
import pickle
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pivot import errors
from pivot.base import atomic

if TYPE_CHECKING:
    from pivot.loaders_more import JSONL as JSONL
    from pivot.loaders_more import DataFrameJSONL as DataFrameJSONL
    from pivot.loaders_more import MatplotlibFigure as MatplotlibFigure

_MORE = ("JSONL", "DataFrameJSONL", "MatplotlibFigure")


def __getattr__(name: str) -> Any:
    # Looked up on first use rather than imported at the end of this module: a worker unpickling
    # a stage imports pivot.loaders_more first, which imports this module, which would then find
    # pivot.loaders_more half-initialised.
    if name in _MORE:
        from pivot import loaders_more

        return getattr(loaders_more, name)
    raise AttributeError(f"module 'pivot.loaders' has no attribute {name!r}")


@dataclasses.dataclass(frozen=True)
class Loader:
    """Base class for loaders: `load(path) -> value` and `save(value, path)`."""

    def load(self, path: pathlib.Path) -> Any:
        raise NotImplementedError(f"{type(self).__name__} cannot load files")

    def save(self, value: Any, path: pathlib.Path) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot save values")

    def empty(self) -> Any:
        """The value an `IncrementalOut` starts from on its first run; None unless a loader has a
        natural empty value."""
        return None


@dataclasses.dataclass(frozen=True)
class PathOnly(Loader):
    """Pass the path itself: the stage reads or writes the file as it likes."""

    def load(self, path: pathlib.Path) -> pathlib.Path:
        return path

    def save(self, value: Any, path: pathlib.Path) -> None:
        # The stage already wrote the file; the worker checks that `value` names `path`.
        return None


@dataclasses.dataclass(frozen=True)
class Text(Loader):
    """A text file, read and written as one `str`."""

    encoding: str = "utf-8"

    def empty(self) -> str:
        return ""

    def load(self, path: pathlib.Path) -> str:
        return read_text(path, self.encoding)

    def save(self, value: Any, path: pathlib.Path) -> None:
        with writing(path) as tmp:
            tmp.write_text(str(value), encoding=self.encoding)


@dataclasses.dataclass(frozen=True)
class JSON(Loader):
    """A JSON file, read and written as the value it holds."""

    indent: int | None = 2

    def empty(self) -> Any:
        return {}

    def load(self, path: pathlib.Path) -> Any:
        text = read_text(path, "utf-8")
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise not_json(path, exc.lineno, exc) from None

    def save(self, value: Any, path: pathlib.Path) -> None:
        try:
            text = json.dumps(value, indent=self.indent)
        except (TypeError, ValueError) as exc:
            raise errors.LoaderError(f"JSON cannot save this {type(value).__name__}: {exc}") from None
        with writing(path) as tmp:
            tmp.write_text(text + "\n", encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class YAML(Loader):
    """Safe YAML, through libyaml's C parser and emitter when PyYAML has them (ten times faster than
    pure Python; the same values either way, and the same text but for the document end marker
    `...` that pure Python adds after a lone top-level scalar)."""

    def empty(self) -> Any:
        return {}

    def load(self, path: pathlib.Path) -> Any:
        from pivot.base.yamlio import yaml

        text = read_text(path, "utf-8")
        try:
            return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f"{path} line {mark.line + 1}" if mark is not None else str(path)
            column = f" (column {mark.column + 1})" if mark is not None else ""
            raise errors.LoaderError(f"{where}: not valid YAML: {exc.problem}{column}") from None

    def save(self, value: Any, path: pathlib.Path) -> None:
        from pivot.base.yamlio import yaml

        try:
            text = yaml.dump(value, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)
        except yaml.YAMLError as exc:
            raise errors.LoaderError(f"YAML cannot save this {type(value).__name__}: {exc}") from None
        with writing(path) as tmp:
            tmp.write_text(text, encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class Pickle(Loader):
    """Any picklable Python value (only for data this project writes and reads itself)."""

    protocol: int = pickle.HIGHEST_PROTOCOL

    def load(self, path: pathlib.Path) -> Any:
        with path.open("rb") as handle:
            try:
                return pickle.load(handle)
            except (pickle.UnpicklingError, EOFError) as exc:
                raise errors.LoaderError(f"{path}: not a readable pickle ({exc or 'it ends early'})") from None

    def save(self, value: Any, path: pathlib.Path) -> None:
        with writing(path) as tmp, tmp.open("wb") as handle:
            pickle.dump(value, handle, protocol=self.protocol)


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "the CSV, Parquet and DataFrameJSONL loaders need pandas: pip install 'pivot[pandas]'"
        ) from exc
    return pandas


@dataclasses.dataclass(frozen=True)
class CSV(Loader):
    """A pandas DataFrame; saved without the index unless `index=True`."""

    index: bool = False

    def empty(self) -> Any:
        return _pandas().DataFrame()

    def load(self, path: pathlib.Path) -> Any:
        pandas = _pandas()
        try:
            return pandas.read_csv(path)
        except UnicodeDecodeError:
            read_text(path, "utf-8")  # raises, naming the line
            raise
        except (pandas.errors.ParserError, pandas.errors.EmptyDataError) as exc:
            raise _not_csv(path, str(exc)) from None

    def save(self, value: Any, path: pathlib.Path) -> None:
        _pandas()
        with writing(path) as tmp:
            value.to_csv(tmp, index=self.index)


@dataclasses.dataclass(frozen=True)
class Parquet(Loader):
    """A pandas DataFrame stored as Parquet (needs pyarrow, part of `pivot[pandas]`)."""

    def empty(self) -> Any:
        return _pandas().DataFrame()

    def load(self, path: pathlib.Path) -> Any:
        pandas = _pandas()
        try:
            return pandas.read_parquet(path)
        except ValueError as exc:  # pyarrow's ArrowInvalid: a file that is not Parquet
            raise errors.LoaderError(f"{path}: not valid Parquet: {exc}") from None

    def save(self, value: Any, path: pathlib.Path) -> None:
        _pandas()
        with writing(path) as tmp:
            value.to_parquet(tmp)


@contextlib.contextmanager
def writing(path: pathlib.Path) -> Iterator[pathlib.Path]:
    """A temp path beside `path` (same suffix) to write to; renamed over `path` only if the block
    succeeds, so a save that fails half-way leaves the previous file. For your own loaders too.

    Not fsync'd: a crashed process cannot leave half a file this way, and after a power cut an
    output that lost its content no longer matches its lock (written last, durably), so its stage
    runs again. An fsync would make a small save 2-4 times slower (benchmarks/loaders.py)."""
    with atomic.replacing(path, durable=False) as tmp:
        yield tmp


def read_text(path: pathlib.Path, encoding: str) -> str:
    """The file's text; bytes that do not decode raise a `LoaderError` naming their line."""
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise _undecodable(path, encoding, exc) from None


def _undecodable(path: pathlib.Path, encoding: str, exc: UnicodeDecodeError) -> errors.LoaderError:
    data = path.read_bytes()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as whole:  # offsets into the file, not into one read's chunk
        exc = whole
    line = data.count(b"\n", 0, exc.start) + 1
    return errors.LoaderError(f"{path} line {line}: not valid {encoding} text ({exc.reason} at byte {exc.start})")


def not_json(path: pathlib.Path, line: int, exc: json.JSONDecodeError) -> errors.LoaderError:
    return errors.LoaderError(f"{path} line {line}: not valid JSON: {exc.msg} (column {exc.colno})")


def _not_csv(path: pathlib.Path, message: str) -> errors.LoaderError:
    # pandas says "Error tokenizing data. C error: Expected 2 fields in line 3, saw 3".
    detail = message.strip().rpartition("C error: ")[2]
    line = re.search(r"\bline (\d+)", detail)
    where = f"{path} line {line[1]}" if line else str(path)
    return errors.LoaderError(f"{where}: not valid CSV: {detail}")
