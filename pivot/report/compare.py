"""Build the two sides a diff command compares: revision A (default HEAD) and B (default the workspace)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from pivot import errors
from pivot.base import git, project
from pivot.declare.discovery import LoadedPipeline
from pivot.declare.stage import OutKind
from pivot.report import snapshot


def sides(
    proj: project.Project, old_rev: str | None, new_rev: str | None, load: Callable[[], LoadedPipeline]
) -> tuple[snapshot.Snapshot, snapshot.Snapshot]:
    repo = git.open_repo(proj.root)
    load = functools.cache(load)
    declared = functools.cache(lambda: _declared(load))
    objects = snapshot.cache_objects(proj)
    old = snapshot.at_revision(repo, old_rev or "HEAD", declared, objects)
    new = snapshot.at_revision(repo, new_rev, declared, objects) if new_rev else snapshot.workspace(load())
    return old, new


def _declared(load: Callable[[], LoadedPipeline]) -> Mapping[str, OutKind]:
    """The workspace pipeline's output kinds, for locks that did not record them. A pipeline that
    does not load leaves them to the old reading rather than failing a diff of two revisions."""
    try:
        return snapshot.declared_kinds(load())
    except errors.PivotError:
        return {}
