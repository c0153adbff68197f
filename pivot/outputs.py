"""Annotation markers that declare what a stage reads (`Dep`) and writes (`Out`, `Metric`, `Plot`).

The output shapes (docs/outputs.md): `Dep`/`Out` paths may be lists or tuples of paths;
`DirectoryOut`/`DirectoryDep` are directories handled as `{relative path: value}`;
`IncrementalOut` is an output the stage receives back, as it was, on its next run; and
`PlaceholderDep` is a dep whose path pivot.yaml must give.

They are plain values: putting one in `Annotated[...]` registers nothing and runs nothing, so a
stage function stays an ordinary function you can call in a test.
"""

from __future__ import annotations

import dataclasses

from pivot import loaders


@dataclasses.dataclass(frozen=True)
class Dep:
    """A file or directory the stage reads; the loader turns it into the argument's value. A list
    or tuple of paths gives a list or tuple of values, in order."""

    path: str | list[str] | tuple[str, ...]
    loader: loaders.Loader = dataclasses.field(default_factory=loaders.PathOnly)


@dataclasses.dataclass(frozen=True)
class Out:
    """A file or directory the stage produces; cached unless `cache=False`. A list or tuple of
    paths: the stage returns a sequence of as many values. `temp=True`, as Snakemake's temp():
    an intermediate file, never cached, removed once every stage reading it is up to date."""

    path: str | list[str] | tuple[str, ...]
    loader: loaders.Loader = dataclasses.field(default_factory=loaders.PathOnly)
    cache: bool = True
    temp: bool = dataclasses.field(default=False, kw_only=True)


@dataclasses.dataclass(frozen=True)
class Metric:
    """A small JSON (or YAML) file of numbers, tracked by git rather than cached."""

    path: str | list[str] | tuple[str, ...]
    loader: loaders.Loader = dataclasses.field(default_factory=loaders.JSON)
    cache: bool = False


@dataclasses.dataclass(frozen=True)
class Plot:
    """Data for a plot (CSV, TSV, JSON, JSONL or YAML rows), or an image; cached like an output.
    How `pivot plots` draws it (docs/plots.md): `x` a column (default: the row's index), `y` one
    column or a list of them (default: the last numeric column), `template` one of linear,
    scatter, bar, confusion (default: linear); `title`, `x_label`, `y_label` for the chart."""

    path: str | list[str] | tuple[str, ...]
    loader: loaders.Loader = dataclasses.field(default_factory=loaders.JSON)
    cache: bool = True
    x: str | None = dataclasses.field(default=None, kw_only=True)
    y: str | list[str] | tuple[str, ...] | None = dataclasses.field(default=None, kw_only=True)
    template: str | None = dataclasses.field(default=None, kw_only=True)
    title: str | None = dataclasses.field(default=None, kw_only=True)
    x_label: str | None = dataclasses.field(default=None, kw_only=True)
    y_label: str | None = dataclasses.field(default=None, kw_only=True)


@dataclasses.dataclass(frozen=True)
class IncrementalOut(Out):
    """An output the stage builds on: before it runs, its previous version is restored (as an
    independent copy, so appending in place is safe) and, for a parameter annotated with the same
    `IncrementalOut`, loaded through the loader (`loader.empty()` on the first run). Declare it in
    the return type too. Never restored from the run cache: each run depends on the one before."""

    path: str


@dataclasses.dataclass(frozen=True)
class DirectoryOut(Out):
    """A directory the stage returns as `{relative path: value}`; pivot saves each value through
    the loader and caches the directory as one output."""

    path: str


@dataclasses.dataclass(frozen=True)
class DirectoryDep(Dep):
    """A directory the stage reads as `{relative POSIX path: value}`, every file through the loader."""

    path: str


@dataclasses.dataclass(frozen=True)
class PlaceholderDep:
    """A dep with no default path: pivot.yaml's `deps:` for the stage must give one."""

    loader: loaders.Loader = dataclasses.field(default_factory=loaders.PathOnly)


Output = Out | Metric | Plot
