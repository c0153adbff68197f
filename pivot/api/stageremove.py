"""`pivot stage remove NAME... [--outs]`: stages taken out of pivot.yaml, as DVC's `dvc remove`
takes them out of dvc.yaml: the entry (comments around it kept, pivot.base.yamledit), the lock
files of the stage and of every variant of a matrix stage, and the `.gitignore` lines pivot wrote
for their outputs. The outputs stay in the workspace as plain files unless `outs`, and the cache
keeps their objects until `pivot gc`. pivot.yaml is written only once the pipeline without them
loads; a stage reading their outputs then reads them as source files.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pivot import errors
from pivot.base import project as project_mod
from pivot.declare.stage import VARIANT_SEPARATOR

if TYPE_CHECKING:
    from pivot.api.project import Project
    from pivot.worktree.gitignore import Update


@dataclasses.dataclass(frozen=True, slots=True)
class Removed:
    stages: tuple[str, ...]  # every stage gone, the variants of a matrix stage each
    outputs: tuple[str, ...]  # their outputs: left as plain files, or deleted with `outs`
    deleted: bool  # whether the outputs were deleted
    gitignore: Update


def remove(proj: Project, names: Sequence[str], *, outs: bool = False) -> Removed:
    """Take the pivot.yaml entries `names` out (a matrix stage by its entry's name)."""
    from pivot.api import session, stageadd
    from pivot.base import yamledit
    from pivot.worktree import gitignore, tracker

    before, data, entries = stageadd.entries(proj, "drop its Pipeline.register call from pipeline.py")
    for name in names:
        if name not in entries:
            raise _unknown(name, list(entries))
    loaded = proj.load_pipeline(check_sources=False)  # the outputs of what goes, from the pipeline as it is
    gone = [s for s in loaded.graph.stages.values() if any(s.name == n or s.name.startswith(n + VARIANT_SEPARATOR) for n in names)]
    for name in dict.fromkeys(names):
        yamledit.drop(data, ["stages", name])
    stageadd.check(proj, yamledit.dump(data, before), before)  # written only if the rest still loads
    outputs = [out.path for stage in gone for out in stage.outs]
    with session.project_lock(proj.paths), session.opened(proj.paths) as ws:
        for stage in gone:
            lock = ws.read_lock(stage.name)
            for rel, info in (lock.cached if lock is not None and not outs else {}).items():
                tracker.plain_files(ws, rel, info)  # no longer pivot's: an edit must not reach the cache
            proj.paths.lock_file(stage.name).unlink(missing_ok=True)
        update = gitignore.keep(proj.paths, [], show=outputs)  # pivot's own lines: git sees them again
        if outs:
            for rel in outputs:
                _delete(proj.paths.abspath(rel))
    return Removed(tuple(s.name for s in gone), tuple(outputs), outs, update)


def _unknown(name: str, entries: Sequence[str]) -> errors.UnknownStageError:
    base = name.partition(VARIANT_SEPARATOR)[0]
    if base in entries:
        hint = f"'{name}' is a variant of the matrix stage '{base}': remove it whole (pivot stage remove {base}), or edit its matrix"
    else:
        hint = f"the stages of {project_mod.PIPELINE_FILE}: {', '.join(entries) or 'none'}"
    return errors.UnknownStageError(f"no stage '{name}' in {project_mod.PIPELINE_FILE}", hint=hint)


def _delete(path: os.PathLike[str]) -> None:
    """An output, gone from the workspace (its objects stay in the cache until gc)."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)
