"""The params and metrics of a project, in the workspace or at git revisions: what `Project.params`,
`metrics`, `compare` and `metrics_history` return, and what `pivot params`/`metrics` print."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pivot import errors

if TYPE_CHECKING:
    from pivot.api.project import Project
    from pivot.report import diff, history, snapshot


@dataclasses.dataclass(frozen=True, slots=True)
class Comparison:
    """Params and metrics at two sides (a git revision, or the workspace), and their differences."""

    old: snapshot.Snapshot
    new: snapshot.Snapshot
    params: list[diff.Row]
    metrics: list[diff.Row]


def params(proj: Project, targets: Sequence[str] = (), rev: str | None = None) -> dict[str, dict[str, Any]]:
    if rev is not None:
        from pivot.api import data

        return {name: dict(lock.params) for name, lock in data.locks_at(proj, rev).items() if lock.params}
    from pivot.api import session

    loaded = proj.load_pipeline(code=False)
    wanted = session.targets(loaded, targets)  # unknown names are an error
    return {name: dict(s.params) for name, s in loaded.pipeline.stages.items() if s.params and name in wanted}


def metrics(proj: Project, rev: str | None = None) -> snapshot.Snapshot:
    from pivot.base import git
    from pivot.report import snapshot  # only the commands that report pay for it

    if rev is not None:
        return snapshot.at_revision(git.open_repo(proj.root), rev, objects=snapshot.cache_objects(proj.paths))
    return snapshot.workspace(proj.load_pipeline(code=False).pipeline)


def compare(proj: Project, old_rev: str | None = None, new_rev: str | None = None, *, include_unchanged: bool = False) -> Comparison:
    from pivot.report import compare as sides
    from pivot.report import diff

    old, new = sides.sides(proj.paths, old_rev, new_rev, lambda: proj.load_pipeline().pipeline)
    return Comparison(
        old,
        new,
        diff.compare(old.params, new.params, include_unchanged=include_unchanged),
        diff.compare(old.metrics, new.metrics, include_unchanged=include_unchanged),
    )


def metrics_history(proj: Project, count: int = 10, metrics: Sequence[str] = ()) -> history.History:
    from pivot.base import git
    from pivot.report import history, snapshot

    try:
        repo = git.open_repo(proj.root)
    except errors.RevisionError as exc:
        raise errors.RevisionError(exc.message, hint="metrics history reads commits: run 'git init' and commit your pipeline") from None
    return history.history(repo, count, metrics, lambda: _declared_kinds(proj), snapshot.cache_objects(proj.paths))


def _declared_kinds(proj: Project) -> Mapping[str, Any]:
    """Output path -> kind as the pipeline declares it now, for locks that did not record kinds;
    {} when the pipeline does not load (history must not fail on today's pipeline)."""
    from pivot.report import snapshot

    try:
        return snapshot.declared_kinds(proj.load_pipeline(code=False).pipeline)
    except errors.PivotError:
        return {}
