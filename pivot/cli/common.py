"""What several commands share: finding the project, loading the pipeline, the project lock."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
from collections.abc import Iterator, Sequence

import click

from pivot import errors
from pivot.base import diskfull, project
from pivot.declare import discovery, graph, loadmemo
from pivot.worktree import tracking, workspace


@dataclasses.dataclass(frozen=True, slots=True)
class Loaded:
    project: project.Project
    pipeline: discovery.LoadedPipeline
    graph: graph.Graph


def find_project() -> project.Project:
    return project.Project(project.find_root())


def load(proj: project.Project, *, check_sources: bool = True) -> Loaded:
    """The pipeline and its graph. Deps that nothing produces and that do not exist are recorded
    in `graph.missing` (they block only the stages that need them: `graph.check_sources`);
    `check_sources=False` does not look for them (showing a pipeline needs no data)."""
    pipeline = loadmemo.load(proj)

    def exists(path: str) -> bool:
        # A tracked path (PATH.pvt) is a declared source even while absent: checkout/pull restore it.
        return not check_sources or os.path.lexists(proj.abspath(path)) or tracking.is_source(proj, path)

    built = graph.build(pipeline.stages, exists=exists)
    tracking.check_outputs(proj, pipeline.stages)
    return Loaded(proj, pipeline, built)


@contextlib.contextmanager
def opened(proj: project.Project) -> Iterator[workspace.Workspace]:
    """The workspace for one command; a command that did its work but could not keep the stat
    memo because the disk is full still ends with that error (exit 1), after its output."""
    ws = workspace.open_workspace(proj)
    try:
        yield ws
    finally:
        ws.close()
        if ws.state is not None and ws.state.full is not None:
            defer(ws.state.full)


def defer(error: errors.PivotError) -> None:
    """End the command with `error` (its message and exit code) once it has printed its output."""
    from pivot.cli import DEFERRED_ERROR

    ctx = click.get_current_context(silent=True)
    if ctx is None:  # called outside a command: nothing to print first
        raise error
    ctx.meta.setdefault(DEFERRED_ERROR, error)


def select(loaded: Loaded, targets: Sequence[str]) -> tuple[str, ...]:
    return graph.select(loaded.graph, list(targets))


def targets(loaded: Loaded, patterns: Sequence[str]) -> tuple[str, ...]:
    """The stages STAGE arguments name (full names, base names, globs), without their upstream."""
    return graph.resolve_targets(loaded.graph, list(patterns))


@contextlib.contextmanager
def project_lock(proj: project.Project) -> Iterator[None]:
    """Hold the project for this process: an OS lock that the kernel frees if we die."""
    path = proj.dot_dir / "run.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise errors.ProjectBusyError(
                f"another pivot process (pid {holder}) is running in {proj.root}",
                hint="wait for it to finish, or stop it; the lock is freed when that process ends",
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:
            # The pid only makes the busy message nicer; the flock is the lock. A full disk must
            # not stop gc, which is how space is freed.
            if not diskfull.is_full(exc):
                raise
        yield
    finally:
        os.close(fd)
