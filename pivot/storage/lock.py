"""Per-stage lock files `.pivot/stages/<stage>.lock`: what the last successful run saw and made.

Canonical YAML (sorted keys, relative POSIX paths), written atomically; a missing or unreadable
lock simply means "never ran", so a crash at any point only makes a stage run again.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Mapping
from typing import Any

import yaml

from pivot.base import atomic, yamlio
from pivot.storage.hashing import HashInfo

SCHEMA = 1


@dataclasses.dataclass(frozen=True, slots=True)
class StageLock:
    code_fingerprint: str
    code_manifest: Mapping[str, str]
    params: Mapping[str, Any]
    deps: Mapping[str, HashInfo]
    outs: Mapping[str, HashInfo]  # cached outputs (Out, Plot)
    metrics: Mapping[str, HashInfo]  # git-tracked outputs (Metric, or cache=False)

    def output(self, path: str) -> HashInfo | None:
        return self.outs.get(path) or self.metrics.get(path)


def read(path: pathlib.Path) -> StageLock | None:
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def parse(text: str) -> StageLock | None:
    """A lock from its text (a file, or a git revision's blob); None when damaged."""
    try:
        return _from_data(yamlio.load(text))
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError):
        return None  # written by something else or damaged: treat as never run


def write(path: pathlib.Path, lock: StageLock) -> None:
    text = yamlio.dump(_to_data(lock))
    atomic.write_text(path, text)


def _to_data(lock: StageLock) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "code": {"fingerprint": lock.code_fingerprint, "manifest": dict(lock.code_manifest)},
        "params": dict(lock.params),
        "deps": {path: info_data(info) for path, info in lock.deps.items()},
        "outs": {path: info_data(info) for path, info in lock.outs.items()},
        "metrics": {path: info_data(info) for path, info in lock.metrics.items()},
    }


def info_data(info: HashInfo) -> dict[str, Any]:
    data: dict[str, Any] = {"hash": info.oid, "size": info.size}
    if info.nfiles is not None:
        data["nfiles"] = info.nfiles
    return data


def _from_data(data: Mapping[str, Any]) -> StageLock:
    if data.get("schema") != SCHEMA:
        raise ValueError("unknown lock schema")
    return StageLock(
        code_fingerprint=str(data["code"]["fingerprint"]),
        code_manifest={str(k): str(v) for k, v in (data["code"].get("manifest") or {}).items()},
        params=dict(data.get("params") or {}),
        deps=_infos(data.get("deps")),
        outs=_infos(data.get("outs")),
        metrics=_infos(data.get("metrics")),
    )


def _infos(section: Mapping[str, Any] | None) -> dict[str, HashInfo]:
    return {
        str(path): HashInfo(str(entry["hash"]), int(entry["size"]), entry.get("nfiles"))
        for path, entry in (section or {}).items()
    }
