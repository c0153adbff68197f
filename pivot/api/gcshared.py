"""`pivot gc` on a cache that other clones may share (`cache.dir`, `PIVOT_CACHE_DIR`): what they
reference is kept too, and none of them runs meanwhile.

A clone's gc sees only its own locks, so on a shared cache it would delete every object that
only the other clones use, and could take an object another clone's run has just stored but not
yet named in a lock. So gc there needs the other clones named (`--projects`, as DVC's `gc
--projects`): their references join this clone's, and their project locks are held while gc
runs, as this clone's is."""

from __future__ import annotations

import contextlib
import os
import pathlib
from collections.abc import Iterator, Sequence

from pivot import errors
from pivot.base import project
from pivot.experiments import record as exp_record
from pivot.worktree import references, workspace


def is_shared(proj: project.Project) -> bool:
    """Whether the cache lives elsewhere than the project's own `.pivot/cache`."""
    return workspace.cache_root(proj).resolve() != proj.cache_dir.resolve()


def others(proj: project.Project, projects: Sequence[str | os.PathLike[str]]) -> list[project.Project]:
    """The other clones `--projects` names (this one, if named, left out): each must be a pivot
    project using the same cache."""
    found = []
    mine = workspace.cache_root(proj).resolve()
    for given in projects:
        other = project.Project(pathlib.Path(given).resolve())
        if other.root == proj.root.resolve():
            continue
        if not other.dot_dir.is_dir():
            raise errors.InputError(f"--projects {given}: not a pivot project (no .pivot/ in {other.root})", hint="name the root of each clone that uses this cache")
        if workspace.cache_root(other).resolve() != mine:
            raise errors.InputError(
                f"--projects {given}: it uses the cache at {workspace.cache_root(other)}, not {mine}",
                hint="name only the clones that share this project's cache",
            )
        found.append(other)
    return found


def require_named(proj: project.Project, projects: Sequence[str | os.PathLike[str]]) -> None:
    """A gc of a shared cache must say whose references count."""
    if not projects and is_shared(proj):
        raise errors.InputError(
            f"the cache at {workspace.cache_root(proj)} is set by cache.dir or PIVOT_CACHE_DIR, so other clones "
            "may use it, and gc here would delete what only they reference",
            hint="name every clone that uses it: pivot gc --projects ../other-clone ... "
            "(or --projects . to keep what this clone references alone)",
        )


@contextlib.contextmanager
def held(projects: Sequence[project.Project]) -> Iterator[set[str]]:
    """Hold each project's lock (none of them runs while gc deletes) and give the objects their
    locks, tracked files and experiment records name."""
    with contextlib.ExitStack() as stack:
        oids: set[str] = set()
        for other in projects:
            stack.enter_context(project.project_lock(other))
            oids |= {ref.oid for ref in references.referenced(other)} | exp_record.referenced_oids(other)
        yield oids
