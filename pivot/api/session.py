"""The steps every operation on a project shares, as the API takes them: `pivot.worktree.session`
(loading the pipeline, opening the workspace, holding the project lock) plus params overrides for
one run, which only the API knows about. Each takes the project explicitly, so nothing here
reads the current directory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pivot.base import project
from pivot.worktree import session
from pivot.worktree.session import Defer, Loaded, choose, choose_shown, opened, project_lock, recorded, select, targets

__all__ = ["Defer", "Loaded", "choose", "choose_shown", "load", "opened", "project_lock", "recorded", "select", "targets"]


def load(
    proj: project.Project, *, check_sources: bool = True, overrides: Mapping[str, Any] | None = None, code: bool = True
) -> Loaded:
    """`pivot.worktree.session.load`, with `overrides` changing params for this load only
    (`Project.run(overrides=...)`)."""
    if not overrides:
        return session.load(proj, check_sources=check_sources, code=code)
    from pivot.api import overrides as overriding

    return session.load(proj, check_sources=check_sources, adjust=lambda pipeline: overriding.apply(pipeline, overrides))
