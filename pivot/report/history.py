"""Metrics across the last commits of the current branch (`pivot metrics history`), read from git
objects, never from a checkout.

Each commit is read as `metrics diff` reads a revision: the metrics files are those its committed
locks record as metrics, parsed as committed. A commit where a file is missing or unreadable has
no values for it (the table's `-`); history is not a report to fail on, so that is no error.
However many commits, git runs four times: the log, the lock directories, the locks, the files."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pivot import errors
from pivot.base import git, yamldoc
from pivot.declare.stage import OutKind
from pivot.report import snapshot
from pivot.storage.hashing import HashInfo

LOCK_DIR = ".pivot/stages"


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One commit and the metrics committed with it."""

    sha: str
    date: str  # the committer date, ISO 8601
    subject: str
    metrics: snapshot.Table  # metrics file -> flattened key -> value
    unreadable: Mapping[str, str] = dataclasses.field(default_factory=dict)  # metrics file -> why

    def value(self, column: Column) -> Any:
        """The value in `column`, or None where this commit has none."""
        return self.metrics.get(column.path, {}).get(column.key)


@dataclasses.dataclass(frozen=True, slots=True)
class Column:
    path: str
    key: str

    @property
    def name(self) -> str:
        return f"{self.path}:{self.key}"


@dataclasses.dataclass(frozen=True, slots=True)
class History:
    entries: tuple[Entry, ...]  # newest first
    columns: tuple[Column, ...]  # the metrics asked for, in order of first appearance, newest commit first


def read(
    repo: git.Repo, count: int, declared: Callable[[], Mapping[str, OutKind]] = dict, objects: snapshot.Objects = snapshot.no_objects
) -> tuple[Entry, ...]:
    """The last `count` commits of HEAD's first-parent history, newest first, with their metrics.
    `declared()` gives output kinds for locks that did not record them, `objects` the cached
    metrics a commit holds only the lock of (see snapshot.at_revision)."""
    log = git.first_parent_log(repo, count)
    if not log:
        raise errors.RevisionError(
            "there are no commits to read metrics history from",
            hint="commit your pipeline with its lock and metrics files (git add -A && git commit)",
        )
    declared = functools.cache(declared)
    shas = [commit.sha for commit in log]
    lock_paths = {sha: [p for p in paths if p.endswith(".lock")] for sha, paths in git.list_dirs(repo, shas, LOCK_DIR).items()}
    lock_blobs = git.read_many(repo, [(sha, path) for sha in shas for path in lock_paths[sha]])
    metric_paths: dict[str, list[str]] = {}
    wanted: dict[tuple[str, str], HashInfo] = {}
    for sha in shas:
        locks = snapshot.parse_locks({path: lock_blobs[sha, path] for path in lock_paths[sha]}, declared)
        found = {path: info for lock in locks.values() for path, info in lock.of_kind(OutKind.METRIC).items()}
        metric_paths[sha] = list(found)
        wanted.update(((sha, path), info) for path, info in found.items())
    blobs = snapshot.committed_or_cached(repo, wanted, objects)
    return tuple(_entry(commit, {path: blobs[commit.sha, path] for path in metric_paths[commit.sha]}) for commit in log)


def _entry(commit: git.LogEntry, files: Mapping[str, bytes | None]) -> Entry:
    metrics: dict[str, dict[str, Any]] = {}
    unreadable: dict[str, str] = {}
    for path, blob in files.items():
        parsed = snapshot.parse_metrics(path, blob)
        if blob is None:
            unreadable[path] = "not committed nor in the cache, though its lock lists it"
        elif isinstance(parsed, str):
            unreadable[path] = parsed
        else:
            metrics[path] = parsed
    return Entry(commit.sha, commit.date, commit.subject, metrics, unreadable)


def select(entries: Sequence[Entry], wanted: Sequence[str] = ()) -> tuple[Column, ...]:
    """The columns `wanted` names (a key, matching it in every file, or FILE:KEY); all of them
    when it names none. Raises InputError for a name no commit has, with the closest one."""
    every = tuple(
        dict.fromkeys(Column(path, key) for entry in entries for path, values in entry.metrics.items() for key in values)
    )
    if not wanted:
        return every
    chosen: list[Column] = []
    for name in wanted:
        matching = [c for c in every if name in (c.key, c.name)]
        if not matching:
            choices = {c.name for c in every} | {c.key for c in every}
            hint = yamldoc.did_you_mean(name, choices) or "no commit in this range has metrics"
            broken = sorted({path for entry in entries for path in entry.unreadable})
            if broken:
                hint += f" ({', '.join(broken)} could not be read at some of them)"
            raise errors.InputError(f"no metric '{name}' in the commits read", hint=hint)
        chosen.extend(c for c in matching if c not in chosen)
    return tuple(chosen)


def history(
    repo: git.Repo,
    count: int,
    wanted: Sequence[str] = (),
    declared: Callable[[], Mapping[str, OutKind]] = dict,
    objects: snapshot.Objects = snapshot.no_objects,
) -> History:
    entries = read(repo, count, declared, objects)
    return History(entries, select(entries, wanted))
