"""`Stage`: one resolved stage, as plain values (paths, loaders, params), ready to plan and run."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

from pivot import loaders


class OutKind(enum.Enum):
    OUT = "outs"
    METRIC = "metrics"
    PLOT = "plots"


class Returns(enum.Enum):
    NOTHING = "nothing"  # the function returns None
    SINGLE = "single"  # -> Annotated[T, Out(...)]: one output named "return"
    MAPPING = "mapping"  # -> a TypedDict of Annotated fields


SINGLE_OUTPUT_NAME = "return"

# `train@small_imdb` is a variant of `train`: a matrix stage, or several stages registered in
# pipeline.py under one base name. Targets and params.yaml address a base name's variants as one.
VARIANT_SEPARATOR = "@"


def base_name(stage: str) -> str:
    """The stage name before '@' (the whole name when it has none)."""
    return stage.partition(VARIANT_SEPARATOR)[0]


class Shape(enum.Enum):
    FILE = "file"  # the loader reads or writes the path itself
    DIRECTORY = "directory"  # a directory as {relative path: value}, each file through the loader


@dataclasses.dataclass(frozen=True, slots=True)
class Member:
    """A spec that is one path of a list or tuple declared as a whole (`Dep(["a", "b"])`)."""

    field: str  # the parameter or returned field the sequence belongs to
    index: int
    size: int
    sequence: str  # "list" or "tuple": what the stage receives or returns


@dataclasses.dataclass(frozen=True, slots=True)
class DepSpec:
    """One dependency of a stage: which parameter receives it, from which path, through which loader."""

    name: str  # the function parameter (`files[0]` for a member of a list)
    path: str  # project-relative POSIX path
    loader: loaders.Loader
    shape: Shape = Shape.FILE
    member: Member | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class OutSpec:
    """One output of a stage: which field of its return value, to which path, and how it is kept."""

    name: str  # the TypedDict field (or "return")
    path: str
    loader: loaders.Loader
    kind: OutKind
    cache: bool
    shape: Shape = Shape.FILE
    member: Member | None = None
    # IncrementalOut: restored by copy before each run, never from the run cache; `param` is the
    # function parameter that receives its previous value ("" when none does).
    incremental: bool = False
    param: str = ""
    # A shell stage's plot options as written (x, y, template, title, x_label, y_label), for rendering.
    plot: tuple[tuple[str, Any], ...] = ()
    # Snakemake's temp(): never cached, gone from the workspace once every stage reading it is up
    # to date, and made again when one of them must run (docs/outputs.md).
    temp: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Stage:
    """One stage as loaded: a Python function or shell commands, with its deps, outputs, params and policy."""

    name: str
    func: str  # "module:qualname", importable with the project root on sys.path
    deps: tuple[DepSpec, ...]
    outs: tuple[OutSpec, ...]
    returns: Returns
    params_class: str | None = None  # "module:qualname" of the StageParams subclass
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # resolved, JSON-like
    source: str = ""  # where it was declared, e.g. "pivot.yaml:7"
    # Scheduling and cache policy (docs/scheduling.md): stages sharing a group never run at once
    # ("*": alone); always run; never run.
    mutex: tuple[str, ...] = ()
    threads: int = 1  # the job slots of -j it takes while it runs (docs/scheduling.md)
    retries: int | None = None  # runs again after a failure, this many times; None: `run --retries`
    resources: tuple[tuple[str, int], ...] = ()  # what it holds of each named resource while it runs
    always_changed: bool = False
    frozen: bool = False
    tags: tuple[str, ...] = ()  # names `--tag` and `--exclude-tag` select by (docs/selection.md)
    desc: str = ""  # what it is for, in a sentence (pivot.yaml `desc:`, as in DVC); changes no run
    # A shell stage (pivot.yaml `cmd:`) has these instead of a function (`func` is ""): its
    # commands after templating, run one after another by /bin/sh, in `wdir` (project-relative).
    cmd: tuple[str, ...] = ()
    wdir: str = ""

    @property
    def is_shell(self) -> bool:
        return bool(self.cmd)

    @property
    def dep_paths(self) -> tuple[str, ...]:
        return tuple(dep.path for dep in self.deps)

    @property
    def out_paths(self) -> tuple[str, ...]:
        return tuple(out.path for out in self.outs)
