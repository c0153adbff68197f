"""Experiments as the library reads and applies them: the lines of `exp show`, the comparison of
`exp diff`, and `exp apply` / `exp remove` (the records themselves: pivot.experiments.record)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pivot import errors
from pivot.api import overrides, session
from pivot.api.project import Project
from pivot.api.values import Comparison
from pivot.base import git
from pivot.declare.discovery import LoadedPipeline
from pivot.experiments import apply as apply_mod
from pivot.experiments import queuestate, record, table
from pivot.experiments.table import Line
from pivot.report import diff, snapshot

if TYPE_CHECKING:
    from pivot.experiments import branch as branch_mod


def lines(proj: Project) -> tuple[list[Line], list[Line]]:
    """(the workspace and, in a git repository with commits, HEAD; every experiment, oldest first)."""
    from pivot.api import data

    exps = [Line.of(rec) for rec in record.all(proj.paths)] + _pending(proj)
    head = _head(proj)
    pipeline = proj.load_pipeline(code=False).pipeline
    params = {name: dict(stage.params) for name, stage in pipeline.stages.items() if stage.params}
    shell = frozenset(name for name, stage in pipeline.stages.items() if stage.is_shell)
    fixed = [Line("workspace", head, None, None, params, snapshot.workspace(pipeline).metrics, shell=shell)]
    if head is not None:
        committed = frozenset(name for name, lock in data.locks_at(proj, "HEAD").items() if lock.cmd)
        fixed.append(Line("HEAD", head, None, None, proj.params(rev="HEAD"), proj.metrics(rev="HEAD").metrics, shell=committed))
    return fixed, exps


def _pending(proj: Project) -> list[Line]:
    """The queued experiments, after the records (as `dvc exp show` lists them): `running` those
    the queue's worker is running now, `queued` the rest; a damaged entry is left out."""
    running = queuestate.current(proj.paths).running
    return [
        Line(item.name, None, item.queued, "running" if item.name in running else "queued", {}, {}, overrides=item.overrides, pending=True)
        for item in queuestate.entries(proj.paths, strict=False)
    ]


def markdown(proj: Project, options: table.Options | None = None) -> str:
    """The `exp show --md` table, for a report (`pivot ci comment --exps`); a line saying there
    are none when this project holds no experiment records."""
    fixed, exps = lines(proj)
    if not exps:
        return "No experiments here (`pivot exp pull` brings those pushed to a remote).\n"
    return table.view(fixed, exps, options or table.Options()).markdown()


def _head(proj: Project) -> str | None:
    try:
        repo = git.open_repo(proj.root)
        return git.resolve(repo, "HEAD") if git.has_commits(repo) else None
    except errors.RevisionError:  # not a git repository: no HEAD row
        return None


def compare(proj: Project, old: str, new: str | None = None, *, include_unchanged: bool = False) -> Comparison:
    """Params and metrics of experiment `old` against experiment `new` (default: the workspace)."""
    before = _side(record.read(proj.paths, old))
    after = _side(record.read(proj.paths, new)) if new else snapshot.workspace(proj.load_pipeline(code=False).pipeline)
    return Comparison(
        before,
        after,
        diff.compare(before.params, after.params, include_unchanged=include_unchanged),
        diff.compare(before.metrics, after.metrics, include_unchanged=include_unchanged),
    )


def _side(rec: record.ExpRecord) -> snapshot.Snapshot:
    params = {stage: snapshot.flatten(values) for stage, values in rec.params.items() if values}
    return snapshot.Snapshot(rec.name, params, rec.metrics)


def apply(proj: Project, name: str, *, force: bool = False) -> apply_mod.Applied:
    """Experiment `name`'s params into params.yaml, its outputs and locks into the workspace."""
    rec = record.read(proj.paths, name)
    params = param_paths(proj.load_pipeline(check_sources=False).pipeline, rec.overrides)
    with session.project_lock(proj.paths), session.opened(proj.paths, proj.defer) as ws:
        done = apply_mod.apply(ws, rec, params, force=force)
    head = _head(proj)
    moved = rec.base is not None and head is not None and rec.base != head
    return dataclasses.replace(done, other_base=rec.base if moved else None)


def branch(proj: Project, name: str, branch_name: str) -> branch_mod.Branched:
    """Experiment `name`'s results as a commit on the commit it ran on, in a new branch."""
    from pivot.experiments import branch as branch_mod

    rec = record.read(proj.paths, name)
    params = param_paths(proj.load_pipeline(check_sources=False).pipeline, rec.overrides)
    with session.opened(proj.paths, proj.defer) as ws:
        return branch_mod.branch(ws, rec, params, branch_name)


def param_paths(pipeline: LoadedPipeline, values: Mapping[str, Any]) -> list[tuple[apply_mod.ParamPath, Any]]:
    """`-S` overrides as paths into params.yaml: `train.lr` -> ("train", "lr"), read as `-S` reads it."""
    found: list[tuple[apply_mod.ParamPath, Any]] = []
    for spec, value in values.items():
        stage, key = overrides._split(spec, pipeline)
        found.append(((stage, *key.split(".")), value))
    return found


def rename(proj: Project, old: str, new: str) -> None:
    """Experiment `old` is called `new` from now on (its record here; a copy pushed to a remote
    keeps the old name until pushed again)."""
    record.rename(proj.paths, old, new)


def remove(proj: Project, names: Sequence[str], *, every: bool = False) -> list[str]:
    """Drop the records `names` (or, `every`, all of them); their objects are then gc's to collect.
    Every name is checked before any record is removed."""
    if every:
        names = record.names(proj.paths)
    for name in names:
        record.require(proj.paths, name)
    for name in dict.fromkeys(names):
        record.remove(proj.paths, name)
    return list(dict.fromkeys(names))
