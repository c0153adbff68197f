"""The values the plots commands hand from one layer to the next: how a plot file is drawn
(`PlotSpec`), its content at one revision (`Series`), and one chart's worth of both (`PlotView`).

The data layer resolves every default before a view is made, so the renderers (the HTML page,
the PR comment's Mermaid blocks, `--json`) draw exactly what a view says and decide nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

TEMPLATES = ("linear", "scatter", "bar", "confusion")
IMAGE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".gif")
INDEX_FIELD = "step"  # the x of a plot that names none: the row's index, as DVC draws it


@dataclasses.dataclass(frozen=True, slots=True)
class PlotSpec:
    """How one plot file is drawn. In a view, `x` and `y` are resolved: `x` names a field of
    every row (INDEX_FIELD, added by the data layer, when the definition names none), `y` the
    fields drawn against it (the last numeric column when the definition names none). A
    confusion plot's `x` is the actual class and `y` the predicted one."""

    path: str
    template: str = "linear"
    x: str | None = None
    y: tuple[str, ...] = ()
    title: str | None = None
    x_label: str | None = None
    y_label: str | None = None
    stage: str = ""  # the stage whose output it is ("" for a plot file no stage makes)


@dataclasses.dataclass(frozen=True, slots=True)
class Series:
    """A plot file at one revision: its rows (a data plot) or its bytes (an image), or why
    neither could be had (`error`: the file is missing there, unreadable, not in the cache)."""

    revision: str  # "workspace", "HEAD", a short commit, an experiment's name
    rows: tuple[Mapping[str, Any], ...] = ()
    image: bytes | None = None
    error: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class PlotView:
    """One chart: a plot file drawn for each revision asked for, in the order asked."""

    spec: PlotSpec
    kind: str  # "data" or "image"
    series: tuple[Series, ...]

    @property
    def id(self) -> str:
        """A name unique in a page: the path, and the stage when two stages plot one path."""
        return f"{self.spec.stage}:{self.spec.path}" if self.spec.stage else self.spec.path
