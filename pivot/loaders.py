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
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import pickle
from typing import Any


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
    encoding: str = "utf-8"

    def empty(self) -> str:
        return ""

    def load(self, path: pathlib.Path) -> str:
        return path.read_text(encoding=self.encoding)

    def save(self, value: Any, path: pathlib.Path) -> None:
        path.write_text(str(value), encoding=self.encoding)


@dataclasses.dataclass(frozen=True)
class JSON(Loader):
    indent: int | None = 2

    def empty(self) -> Any:
        return {}

    def load(self, path: pathlib.Path) -> Any:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)

    def save(self, value: Any, path: pathlib.Path) -> None:
        with path.open("w", encoding="utf-8") as handle:
            json.dump(value, handle, indent=self.indent)
            handle.write("\n")


@dataclasses.dataclass(frozen=True)
class YAML(Loader):
    """Safe YAML, through libyaml's C parser and emitter when PyYAML has them (ten times faster than
    pure Python; the same values either way, and the same text but for the document end marker
    `...` that pure Python adds after a lone top-level scalar)."""

    def empty(self) -> Any:
        return {}

    def load(self, path: pathlib.Path) -> Any:
        import yaml

        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))

    def save(self, value: Any, path: pathlib.Path) -> None:
        import yaml

        with path.open("w", encoding="utf-8") as handle:
            yaml.dump(value, handle, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)


@dataclasses.dataclass(frozen=True)
class Pickle(Loader):
    protocol: int = pickle.HIGHEST_PROTOCOL

    def load(self, path: pathlib.Path) -> Any:
        with path.open("rb") as handle:
            return pickle.load(handle)

    def save(self, value: Any, path: pathlib.Path) -> None:
        with path.open("wb") as handle:
            pickle.dump(value, handle, protocol=self.protocol)


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "the CSV and Parquet loaders need pandas: pip install 'pivot[pandas]'"
        ) from exc
    return pandas


@dataclasses.dataclass(frozen=True)
class CSV(Loader):
    """A pandas DataFrame; saved without the index unless `index=True`."""

    index: bool = False

    def empty(self) -> Any:
        return _pandas().DataFrame()

    def load(self, path: pathlib.Path) -> Any:
        return _pandas().read_csv(path)

    def save(self, value: Any, path: pathlib.Path) -> None:
        _pandas()
        value.to_csv(path, index=self.index)


@dataclasses.dataclass(frozen=True)
class Parquet(Loader):
    """A pandas DataFrame stored as Parquet (needs pyarrow, part of `pivot[pandas]`)."""

    def empty(self) -> Any:
        return _pandas().DataFrame()

    def load(self, path: pathlib.Path) -> Any:
        return _pandas().read_parquet(path)

    def save(self, value: Any, path: pathlib.Path) -> None:
        _pandas()
        value.to_parquet(path)
