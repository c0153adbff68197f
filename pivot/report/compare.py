"""Build the two sides a diff command compares: revision A (default HEAD) and B (default the workspace)."""

from __future__ import annotations

from collections.abc import Callable

from pivot.base import project
from pivot.declare.discovery import LoadedPipeline
from pivot.base import git
from pivot.report import snapshot


def sides(
    proj: project.Project, old_rev: str | None, new_rev: str | None, load: Callable[[], LoadedPipeline]
) -> tuple[snapshot.Snapshot, snapshot.Snapshot]:
    repo = git.open_repo(proj.root)
    old = snapshot.at_revision(repo, old_rev or "HEAD")
    new = snapshot.at_revision(repo, new_rev) if new_rev else snapshot.workspace(load())
    return old, new
