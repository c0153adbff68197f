"""pivot as a library: `Project.open(path)` and its methods (run, status, explain, params,
metrics, push/pull/fetch/gc), and `load`/`open` to read a pipeline's data, like `dvc.api`.

The CLI is a thin shell over this package: each command parses its arguments, calls one method
here and formats the result. This package owns the operations on a project (what to load, which
lock to hold, which executor runs the stages); it may import every layer below the CLI, and
nothing here prints. Nothing depends on the current directory once a project is opened.
"""

from __future__ import annotations

import os
from typing import IO, Any

from pivot.api.project import Project
from pivot.api.results import (
    Outcome,
    RunReport,
    StageRun,
    StageStatus,
    StatusReport,
    TrackedStatus,
    Traffic,
)
from pivot.api.values import Comparison

__all__ = [
    "Comparison",
    "Outcome",
    "Project",
    "RunReport",
    "StageRun",
    "StageStatus",
    "StatusReport",
    "TrackedStatus",
    "Traffic",
    "load",
    "open",
]


def load(stage_or_path: str, output: str | None = None, rev: str | None = None, project: str | os.PathLike[str] = ".") -> Any:
    """The value of a stage's output, loaded through the loader its stage declares.

    `stage_or_path` is a stage name (with `output`, the output's field name or path, when the stage
    has several) or an output's project-relative path. The content comes from the workspace, else
    the cache, else the default remote; with `rev` (a git branch, tag or commit), it is the content
    the stage's lock recorded at that revision. Like `dvc.api.read`, but typed by the stage."""
    return Project.open(project).load(stage_or_path, output, rev)


# Named like dvc.api.open on purpose; inside this module the builtin is not needed.
def open(path: str, rev: str | None = None, project: str | os.PathLike[str] = ".") -> IO[bytes]:
    """A binary file object (use it in a `with` block) for project-relative `path`: a workspace
    file, an output recorded by a stage's lock (from the cache, else the default remote), or, with
    `rev`, the file as git or the lock has it at that revision. Like `dvc.api.open(mode="rb")`."""
    return Project.open(project).open_file(path, rev)
