"""Annotation markers that declare what a stage reads (`Dep`) and writes (`Out`, `Metric`, `Plot`).

They are plain values: putting one in `Annotated[...]` registers nothing and runs nothing, so a
stage function stays an ordinary function you can call in a test.
"""

from __future__ import annotations

import dataclasses

from pivot import loaders


@dataclasses.dataclass(frozen=True)
class Dep:
    """A file or directory the stage reads; the loader turns it into the argument's value."""

    path: str
    loader: loaders.Loader = dataclasses.field(default_factory=loaders.PathOnly)


@dataclasses.dataclass(frozen=True)
class Out:
    """A file or directory the stage produces; cached unless `cache=False`."""

    path: str
    loader: loaders.Loader = dataclasses.field(default_factory=loaders.PathOnly)
    cache: bool = True


@dataclasses.dataclass(frozen=True)
class Metric:
    """A small JSON (or YAML) file of numbers, tracked by git rather than cached."""

    path: str
    loader: loaders.Loader = dataclasses.field(default_factory=loaders.JSON)
    cache: bool = False


@dataclasses.dataclass(frozen=True)
class Plot:
    """Data for a plot; cached like an output."""

    path: str
    loader: loaders.Loader = dataclasses.field(default_factory=loaders.JSON)
    cache: bool = True


Output = Out | Metric | Plot
