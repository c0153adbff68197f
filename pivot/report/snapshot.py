"""Params and metrics as one side of a comparison: the workspace now, or a git revision's files."""

from __future__ import annotations

import dataclasses
import json
import pathlib
from collections.abc import Mapping
from typing import Any

from pivot import yamlio
from pivot.discovery import LoadedPipeline
from pivot.report import git
from pivot.stage import OutKind
from pivot.storage import lock as lock_mod

Table = Mapping[str, Mapping[str, Any]]  # stage (or metrics file) -> flattened key -> value


@dataclasses.dataclass(frozen=True, slots=True)
class Snapshot:
    label: str  # "workspace", or the revision as the user wrote it
    params: Table
    metrics: Table


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


def parse_metrics(path: str, data: bytes | None) -> dict[str, Any] | None:
    """A JSON or YAML metrics file, flattened; None when absent or not a mapping of values."""
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
        value = yamlio.load(text) if path.endswith((".yaml", ".yml")) else json.loads(text)
    except (UnicodeDecodeError, ValueError, Exception):  # a damaged file reads as absent
        return None
    return flatten(value) if isinstance(value, Mapping) else None


def workspace(pipeline: LoadedPipeline) -> Snapshot:
    params = {name: flatten(stage.params) for name, stage in pipeline.stages.items() if stage.params}
    metrics: dict[str, dict[str, Any]] = {}
    for stage in pipeline.stages.values():
        for out in stage.outs:
            if out.kind is OutKind.METRIC:
                parsed = parse_metrics(out.path, _read(pipeline.project.abspath(out.path)))
                if parsed is not None:
                    metrics[out.path] = parsed
    return Snapshot("workspace", params, metrics)


def _read(path: pathlib.Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None


def at_revision(repo: git.Repo, rev: str) -> Snapshot:
    """What the lock files committed at `rev` recorded, and the metric files as committed there.

    HEAD of a repository without commits yet is an empty side, so the first diff just works."""
    if rev == "HEAD" and not git.has_commits(repo):
        return Snapshot(rev, {}, {})
    sha = git.resolve(repo, rev)
    lock_paths = [p for p in git.list_files(repo, sha, ".pivot/stages/") if p.endswith(".lock")]
    params: dict[str, dict[str, Any]] = {}
    metric_paths: list[str] = []
    for path, blob in git.read_files(repo, sha, lock_paths).items():
        lock = lock_mod.parse(blob.decode("utf-8", "replace")) if blob is not None else None
        if lock is None:
            continue
        stage = pathlib.PurePosixPath(path).stem
        if lock.params:
            params[stage] = flatten(dict(lock.params))
        metric_paths.extend(p for p in lock.metrics if p not in metric_paths)
    metrics = {}
    for path, blob in git.read_files(repo, sha, metric_paths).items():
        parsed = parse_metrics(path, blob)
        if parsed is not None:
            metrics[path] = parsed
    return Snapshot(rev, params, metrics)
