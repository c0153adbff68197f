"""Params and metrics as one side of a comparison: the workspace now, or a git revision's files."""

from __future__ import annotations

import dataclasses
import functools
import json
import pathlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pivot import errors
from pivot.base import git, project, yamlio
from pivot.declare.discovery import LoadedPipeline
from pivot.declare.stage import OutKind
from pivot.storage import lock as lock_mod
from pivot.storage.hashing import HashInfo

if TYPE_CHECKING:
    from pivot.storage.cache import Cache

Table = Mapping[str, Mapping[str, Any]]  # stage (or metrics file) -> flattened key -> value
Objects = Callable[[str], "bytes | None"]  # a file's bytes from the cache by object id; None: not there


def no_objects(oid: str) -> bytes | None:
    return None


def cache_objects(proj: project.Project) -> Objects:
    """Reads files from the project's cache: where a metric the cache holds (as DVC's `metrics:`
    are by default) is found at a revision whose commit has only its lock."""

    @functools.cache
    def cache() -> Cache:  # only when a commit lacks a file: the config is not read otherwise
        from pivot.storage.cache import Cache
        from pivot.worktree import workspace

        return Cache(workspace.cache_root(proj))

    def read(oid: str) -> bytes | None:
        try:
            return None if HashInfo(oid, 0).is_dir else cache().object_path(oid).read_bytes()
        except (OSError, errors.CacheError):
            return None

    return read


def committed_or_cached(
    repo: git.Repo, wanted: Mapping[tuple[str, str], HashInfo], objects: Objects
) -> dict[tuple[str, str], bytes | None]:
    """(commit, path) -> the file's bytes as committed there, else from the cache by the hash
    its lock records; None when neither has it."""
    blobs = git.read_many(repo, list(wanted))
    return {key: blob if blob is not None else objects(wanted[key].oid) for key, blob in blobs.items()}


@dataclasses.dataclass(frozen=True, slots=True)
class Unreadable:
    """A metrics file a side should have but whose values cannot be read: reported, never skipped."""

    reason: str  # "the file is missing", "invalid JSON: ...", "holds a list, not names to values"
    hint: str  # what to do about it


@dataclasses.dataclass(frozen=True, slots=True)
class Snapshot:
    label: str  # "workspace", or the revision as the user wrote it
    params: Table
    metrics: Table
    unreadable: Mapping[str, Unreadable] = dataclasses.field(default_factory=dict)  # metrics file -> why


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys: {"params": {"lr": 1}} -> {"params.lr": 1}."""
    if not isinstance(data, Mapping):
        return {prefix: data} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


def parse_metrics(path: str, data: bytes | None) -> dict[str, Any] | str:
    """A JSON or YAML metrics file, flattened; or, when it cannot be, the reason why."""
    if data is None:
        return "the file is missing"
    kind = "YAML" if path.endswith((".yaml", ".yml")) else "JSON"
    try:
        text = data.decode("utf-8")
        value = yamlio.load(text) if kind == "YAML" else json.loads(text)
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except Exception as exc:  # json's and yaml's errors differ; each names the line
        return f"invalid {kind}: {' '.join(str(exc).split())}"
    if not isinstance(value, Mapping):
        return f"holds {_a(value)}, not a mapping of names to values"
    return flatten(value)


def _a(value: Any) -> str:
    name = {list: "a list", str: "a string", type(None): "nothing", bool: "a boolean"}.get(type(value))
    return name or f"a {type(value).__name__}"


def workspace(pipeline: LoadedPipeline) -> Snapshot:
    params = {name: flatten(stage.params) for name, stage in pipeline.stages.items() if stage.params}
    metrics: dict[str, dict[str, Any]] = {}
    unreadable: dict[str, Unreadable] = {}
    for stage in pipeline.stages.values():
        for out in stage.outs:
            if out.kind is OutKind.METRIC:
                parsed = parse_metrics(out.path, _read(pipeline.project.abspath(out.path)))
                if isinstance(parsed, str):
                    todo = "run its stage" if parsed.endswith("missing") else "fix the file, or rerun its stage"
                    unreadable[out.path] = Unreadable(parsed, f"{todo}: pivot run {stage.name}")
                else:
                    metrics[out.path] = parsed
    return Snapshot("workspace", params, metrics, unreadable)


def _read(path: pathlib.Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None


def declared_kinds(pipeline: LoadedPipeline) -> dict[str, OutKind]:
    """Each output path of the pipeline -> its kind: what a lock from before kinds were recorded
    is read with."""
    return {out.path: out.kind for stage in pipeline.stages.values() for out in stage.outs}


def at_revision(
    repo: git.Repo, rev: str, declared: Callable[[], Mapping[str, OutKind]] = dict, objects: Objects = no_objects
) -> Snapshot:
    """What the lock files committed at `rev` recorded, and the metric files as committed there:
    the outputs whose lock records them as metrics, whether or not they are cached. One the
    commit does not hold is read from `objects` (the cache) by the hash its lock records.

    A lock from before kinds were recorded takes them from `declared()` (path -> kind, asked only
    then); a path it does not know keeps the old reading: not cached means a metric.
    HEAD of a repository without commits yet is an empty side, so the first diff just works."""
    if rev == "HEAD" and not git.has_commits(repo):
        return Snapshot(rev, {}, {})
    sha = git.resolve(repo, rev)
    params: dict[str, dict[str, Any]] = {}
    metric_files: dict[tuple[str, str], HashInfo] = {}
    for stage, lock in _locks_at(repo, sha, declared).items():
        if lock.params:
            params[stage] = flatten(dict(lock.params))
        for path, info in lock.of_kind(OutKind.METRIC).items():
            metric_files.setdefault((sha, path), info)
    metrics: dict[str, dict[str, Any]] = {}
    unreadable: dict[str, Unreadable] = {}
    for (_, path), blob in committed_or_cached(repo, metric_files, objects).items():
        parsed = parse_metrics(path, blob)
        if isinstance(parsed, str):
            # The lock at `rev` lists the file: missing means never committed, and not cached here.
            if blob is None:
                reason = f"not committed at {rev} nor in the cache, though its lock lists it"
                todo = "commit metrics files with their locks, or 'pivot fetch' at that commit to bring the cached ones"
            else:
                reason, todo = f"{parsed} (as committed at {rev})", "commit a fixed file"
            unreadable[path] = Unreadable(reason, f"its values at {rev} are left out of the comparison; {todo}")
        else:
            metrics[path] = parsed
    return Snapshot(rev, params, metrics, unreadable)


def _locks_at(
    repo: git.Repo, sha: str, declared: Callable[[], Mapping[str, OutKind]]
) -> dict[str, lock_mod.StageLock]:
    """stage -> its readable lock at `sha`, kinds filled in for locks that did not record them."""
    return _with_kinds(lock_mod.committed(repo, sha), declared)


def parse_locks(
    blobs: Mapping[str, bytes | None], declared: Callable[[], Mapping[str, OutKind]]
) -> dict[str, lock_mod.StageLock]:
    """Lock path -> committed text, as stage -> its readable lock, with kinds filled in (from
    `declared()`, asked at most once) for locks that did not record them."""
    return _with_kinds(lock_mod.parse_blobs(blobs), declared)


def _with_kinds(
    locks: Mapping[str, lock_mod.StageLock], declared: Callable[[], Mapping[str, OutKind]]
) -> dict[str, lock_mod.StageLock]:
    """The locks, with the declared kinds (asked at most once) filled in where not recorded."""
    kinds: Mapping[str, OutKind] | None = None
    filled = {}
    for stage, lock in locks.items():
        if not lock.kinds_recorded:
            kinds = declared() if kinds is None else kinds
            lock = lock.with_declared_kinds(kinds)
        filled[stage] = lock
    return filled
