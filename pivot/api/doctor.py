"""`pivot doctor`: each thing a working project needs, checked on its own, with a fix for each
that fails. No check stops the others: a broken pivot.yaml says nothing about git or the remote."""

from __future__ import annotations

import dataclasses
import pathlib
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from pivot import errors
from pivot.base import project

if TYPE_CHECKING:
    from pivot.declare import config

MIN_PYTHON = (3, 11)
REMOTE_TIMEOUT = 5.0  # seconds per remote: long enough for a real round trip, short for a dead one


@dataclasses.dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""  # what to do, for a check that failed


def run(start: pathlib.Path | None = None, *, remote_timeout: float = REMOTE_TIMEOUT) -> list[Check]:
    """Every check, in the order a user would fix them."""
    return list(_checks(start or pathlib.Path.cwd(), remote_timeout))


def _checks(start: pathlib.Path, remote_timeout: float) -> Iterator[Check]:
    yield _python()
    yield _git_present()
    try:
        proj = project.Project(project.find_root(start))
    except errors.PivotError as exc:
        yield Check("project", False, exc.message, exc.hint or "cd into the project, or run pivot init")
        return
    yield Check("project", True, str(proj.root))
    yield _guarded("git repository", lambda: _git_repo(proj), "git init, then commit pivot.yaml and params.yaml")
    yield _guarded("pipeline", lambda: _pipeline(proj), "fix the file and line the message names")
    settings, check = _settings(proj)
    yield check
    yield _cache_writable(proj)
    if settings is not None:
        yield from _remotes(proj, settings, remote_timeout)


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] >= MIN_PYTHON
    wanted = ".".join(map(str, MIN_PYTHON))
    return Check("python", ok, f"Python {version} ({sys.executable})", f"install Python {wanted} or newer")


def _git_present() -> Check:
    found = shutil.which("git")
    return Check("git", found is not None, found or "git is not on PATH", "install git (pivot diffs, metrics and plots read revisions with it)")


def _guarded(name: str, check: Callable[[], str], fix: str) -> Check:
    try:
        return Check(name, True, check())
    except errors.PivotError as exc:
        return Check(name, False, exc.message, exc.hint or fix)
    except Exception as exc:  # doctor diagnoses whatever breaks (no git, a crashing import): no traceback
        return Check(name, False, f"{type(exc).__name__}: {exc}", fix)


def _git_repo(proj: project.Project) -> str:
    from pivot.base import git

    return f"inside {git.open_repo(proj.root).toplevel}"


def _pipeline(proj: project.Project) -> str:
    from pivot.api.project import Project

    stages = Project(proj).list()
    source = project.PIPELINE_FILE if proj.pipeline_file.is_file() else project.PYTHON_PIPELINE_FILE
    return f"{source}: {len(stages)} stage{'s' if len(stages) != 1 else ''}"


def _settings(proj: project.Project) -> tuple[config.ProjectConfig | None, Check]:
    from pivot.declare import config

    try:
        settings = config.load_project_config(proj)
    except errors.PivotError as exc:
        return None, Check("config", False, exc.message, exc.hint or "fix the key the message names")
    return settings, Check("config", True, ".pivot/config.yaml and .pivot/config.local.yaml are valid")


def _cache_writable(proj: project.Project) -> Check:
    from pivot.worktree import workspace

    try:
        cache = workspace.cache_root(proj)  # PIVOT_CACHE_DIR, cache.dir, else .pivot/cache
    except errors.PivotError as exc:
        return Check("cache", False, exc.message, exc.hint or "fix the cache's location")
    here = cache
    while not here.exists() and here != here.parent:
        here = here.parent  # the cache is made on first use: its nearest existing parent must take it
    try:
        with tempfile.NamedTemporaryFile(dir=here, prefix=".pivot-doctor-"):
            pass
    except OSError as exc:
        return Check("cache", False, f"cannot write in {here}: {exc.strerror or exc}", f"make {here} writable, or free space on its disk")
    return Check("cache", True, f"{cache} is writable")


def _remotes(proj: project.Project, settings: config.ProjectConfig, timeout: float) -> Iterator[Check]:
    from pivot.remote import probe
    from pivot.remote import spec as remote_spec

    for name in sorted(settings.remotes):
        label = f"remote {name}"
        try:
            spec = remote_spec.resolve(settings, name, proj.root)
        except errors.PivotError as exc:
            yield Check(label, False, exc.message, exc.hint or f"pivot remote modify {name} url ...")
            continue
        trouble = probe.problem(spec, timeout)
        if trouble is None:
            yield Check(label, True, f"{spec.shown_url} answers")
        else:
            message, hint = trouble
            yield Check(label, False, message, hint or f"check the url, network and credentials of '{name}' (docs/reference/remotes.md)")


def failed(checks: list[Check]) -> bool:
    return any(not check.ok for check in checks)

