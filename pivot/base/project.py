"""The project root, the `.pivot/` layout, and project-relative POSIX paths.

Every path pivot stores is relative to the project root and uses forward slashes, so lock files
are the same on every machine. Paths that escape the root are rejected here, once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import pathlib
import posixpath
from collections.abc import Iterator

from pivot import errors
from pivot.base import atomic, diskfull, rootdir

PIVOT_DIR = rootdir.PIVOT_DIR
PIPELINE_FILE = rootdir.PIPELINE_FILE
PYTHON_PIPELINE_FILE = rootdir.PYTHON_PIPELINE_FILE
PARAMS_FILE = "params.yaml"

GITIGNORE_LINES = ("cache/", "state.db", "state.db-*", "tmp/", "logs/", "config.local.yaml", "run.lock", "exps/", "runs/")


class _Place:
    """A path at a fixed place under a project's root, read as an attribute of the project."""

    def __init__(self, *parts: str) -> None:
        self._parts = parts

    def __get__(self, project: Project, owner: type[Project] | None = None) -> pathlib.Path:
        return project.root.joinpath(*self._parts)


@dataclasses.dataclass(frozen=True, slots=True)
class Project:
    """Where a project lives on disk; every `.pivot/` path is derived from `root`."""

    root: pathlib.Path

    # The fixed places of a project, read as attributes: `project.cache_dir`.
    dot_dir = _Place(PIVOT_DIR)
    cache_dir = _Place(PIVOT_DIR, "cache")
    tmp_dir = _Place(PIVOT_DIR, "tmp")
    noop_memo = _Place(*rootdir.NOOP_MEMO)  # pivot.worktree.noopmemo
    logs_dir = _Place(PIVOT_DIR, "logs")
    stages_dir = _Place(PIVOT_DIR, "stages")
    state_db = _Place(PIVOT_DIR, "state.db")
    config_file = _Place(PIVOT_DIR, "config.yaml")
    local_config_file = _Place(PIVOT_DIR, "config.local.yaml")
    pipeline_file = _Place(PIPELINE_FILE)
    python_pipeline_file = _Place(PYTHON_PIPELINE_FILE)
    params_file = _Place(PARAMS_FILE)

    def has_pipeline(self) -> bool:
        return self.pipeline_file.is_file() or self.python_pipeline_file.is_file()

    def lock_file(self, stage: str) -> pathlib.Path:
        return self.stages_dir / f"{stage}.lock"

    def abspath(self, relpath: str) -> pathlib.Path:
        return self.root / relpath


def find_root(start: pathlib.Path | None = None) -> pathlib.Path:
    """The nearest directory at or above `start` holding pivot.yaml, pipeline.py or .pivot/."""
    here = (start or pathlib.Path.cwd()).resolve()
    root = rootdir.nearest(os.fspath(here))
    if root is not None:
        return pathlib.Path(root)
    raise errors.ConfigError(
        f"no {PIPELINE_FILE} (or {PYTHON_PIPELINE_FILE}) found in {here} or any parent directory",
        hint=f"run pivot from your project directory, or start one here: pivot init (then write {PIPELINE_FILE}, or pivot stage add ...)",
    )


def from_user(root: pathlib.Path, raw: str, cwd: str | os.PathLike[str] | None, *, what: str, hint: str = "") -> str:
    """A path typed on the command line (relative to `cwd`, default the current directory) as a
    project-relative path; `what` names it in errors (`pivot track data.csv`)."""
    if not raw or not raw.strip():
        return normalize(raw, what=what)  # raises: empty
    absolute = os.path.normpath(os.path.join(cwd or os.getcwd(), raw))
    relative = os.path.relpath(absolute, root)
    if relative == os.curdir:
        return normalize(relative, what=what)  # raises: the project root
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        raise errors.PathError(f"{what}: '{raw}' is outside the project ({root})", hint=hint or "give a path inside the project")
    return normalize(relative.replace(os.sep, "/"), what=what)


def normalize(path: str, *, what: str) -> str:
    """A user-declared path as a clean project-relative POSIX path; `what` names it in errors."""
    if not path or not path.strip():
        raise errors.PathError(f"{what}: the path is empty", hint="give a path inside the project")
    text = path.replace("\\", "/")
    if text.startswith("/") or pathlib.PureWindowsPath(path).drive:
        raise errors.PathError(
            f"{what}: '{path}' is an absolute path",
            hint="use a path relative to the project root",
        )
    clean = posixpath.normpath(text)
    if clean == ".." or clean.startswith("../"):
        raise errors.PathError(
            f"{what}: '{path}' points outside the project",
            hint="keep inputs and outputs inside the project directory",
        )
    if clean == ".":
        raise errors.PathError(f"{what}: '{path}' is the project root itself", hint="name a file or directory")
    return clean


def is_within(path: str, directory: str) -> bool:
    """Whether project-relative `path` is `directory` or lies inside it."""
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def overlaps(a: str, b: str) -> bool:
    """Whether two project-relative paths are the same or one lies inside the other."""
    return is_within(a, b) or is_within(b, a)


def ensure_dot_dir(project: Project) -> None:
    """Create `.pivot/` with its .gitignore and an empty config.yaml, leaving existing files alone."""
    project.dot_dir.mkdir(exist_ok=True)
    gitignore = project.dot_dir / ".gitignore"
    # Atomic: a half-written .gitignore (a full disk) would be taken as written, and never fixed.
    if not gitignore.exists():
        atomic.write_text(gitignore, "".join(f"/{line}\n" for line in GITIGNORE_LINES))
    if not project.config_file.exists():
        atomic.write_text(project.config_file, "# pivot settings: remotes, default_remote, cache.type\n{}\n")
    project.stages_dir.mkdir(exist_ok=True)


@contextlib.contextmanager
def project_lock(proj: Project) -> Iterator[None]:
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
