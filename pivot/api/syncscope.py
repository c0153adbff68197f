"""What the TARGETS of push, fetch, pull and checkout pick: stages by name, as every command takes
them, or paths, as DVC's sync commands take them (`dvc pull data/raw.csv`): a stage's output or a
tracked path, a file inside a directory one (the whole directory), or a directory holding some.
A path picks that data alone, not the rest of the stage that wrote it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from pivot.base import project
from pivot.declare import discovery
from pivot.declare import targets as targets_mod
from pivot.storage import lock as lock_mod
from pivot.worktree import references, tracking


@dataclasses.dataclass(frozen=True, slots=True)
class Scope:
    named: tuple[str, ...] | None  # the stages named as stages; None: no targets, everything
    paths: tuple[str, ...] = ()  # the path targets, project-relative
    writers: tuple[str, ...] = ()  # the stages whose locks record an output at a path target
    at_paths: tuple[references.Reference, ...] = ()  # the cached data at, in or above a path target

    @property
    def run_targets(self) -> tuple[str, ...] | None:
        """The stages whose recorded runs count (none: every stage); None when the targets are
        tracked data alone, which no run makes."""
        if self.named is None:
            return ()
        stages = tuple(dict.fromkeys([*self.named, *self.writers]))
        return stages or None


def of(proj: project.Project, targets: Sequence[str]) -> Scope:
    """The scope of `targets`; one that is neither a stage nor a path pivot knows is an
    UnknownStageError naming it. pivot.yaml's names and the locks need none of the user's code."""
    if not targets:
        return Scope(None)
    names = list(discovery.declared(proj).stages)
    as_paths = [t for t in targets if not targets_mod.matches(t, names) and not targets_mod.is_glob(t)]
    named = targets_mod.resolve([t for t in targets if t not in as_paths], names) if len(as_paths) < len(targets) else ()
    if not as_paths:
        return Scope(named)
    writers = {path: name for name in names if (lock := lock_mod.read(proj.lock_file(name))) is not None for path in lock.outputs}
    every = references.referenced(proj, None)  # read once: what the paths pick is among these
    known = [*writers, *(ref.path for ref in every if ref.source.startswith("track:"))]
    paths: list[str] = []
    for target in as_paths:
        data = target.removesuffix(tracking.PVT_SUFFIX)  # `pull x.pvt`, as `dvc pull x.dvc`
        hit = next((p for p in targets_mod.project_paths(data, proj.root) if any(project.overlaps(k, p) for k in known)), None)
        if hit is None:
            targets_mod.resolve([target], names)  # raises: neither a stage nor a known path
        else:
            paths.append(hit)
    found = {name for path, name in writers.items() if any(project.overlaps(path, p) for p in paths)}
    at_paths = tuple(ref for ref in every if any(project.overlaps(ref.path, p) for p in paths))
    return Scope(named, tuple(paths), tuple(name for name in names if name in found), at_paths)


def refs(proj: project.Project, scope: Scope) -> list[references.Reference]:
    """The cached outputs and tracked data the scope picks: every stage named (with the tracked
    data its lock records as deps, as before), and what lies at, in or above each path."""
    if scope.named is None:
        return references.referenced(proj, None)
    chosen = references.referenced(proj, scope.named) if scope.named else []
    return chosen + [ref for ref in scope.at_paths if ref not in chosen]
