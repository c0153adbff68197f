"""Params and metrics as one side of a comparison: the workspace now, or a git revision's files."""

from __future__ import annotations

import dataclasses
import json
import pathlib
from collections.abc import Callable, Mapping
from typing import Any

from pivot.base import git, yamlio
from pivot.declare.discovery import LoadedPipeline
from pivot.declare.stage import OutKind
from pivot.storage import lock as lock_mod

Table = Mapping[str, Mapping[str, Any]]  # stage (or metrics file) -> flattened key -> value


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


def at_revision(repo: git.Repo, rev: str, declared: Callable[[], Mapping[str, OutKind]] = dict) -> Snapshot:
    """What the lock files committed at `rev` recorded, and the metric files as committed there:
    the outputs whose lock records them as metrics, whether or not they are cached.

    A lock from before kinds were recorded takes them from `declared()` (path -> kind, asked only
    then); a path it does not know keeps the old reading: not cached means a metric.
    HEAD of a repository without commits yet is an empty side, so the first diff just works."""
    if rev == "HEAD" and not git.has_commits(repo):
        return Snapshot(rev, {}, {})
    sha = git.resolve(repo, rev)
    params: dict[str, dict[str, Any]] = {}
    metric_paths: list[str] = []
    for stage, lock in _locks_at(repo, sha, declared).items():
        if lock.params:
            params[stage] = flatten(dict(lock.params))
        metric_paths.extend(p for p in lock.of_kind(OutKind.METRIC) if p not in metric_paths)
    metrics: dict[str, dict[str, Any]] = {}
    unreadable: dict[str, Unreadable] = {}
    for path, blob in git.read_files(repo, sha, metric_paths).items():
        parsed = parse_metrics(path, blob)
        if isinstance(parsed, str):
            # The lock at `rev` lists the file: missing there means it was never committed.
            if blob is None:
                reason, todo = f"not committed at {rev}, though its lock lists it", "commit metrics files with their locks"
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
