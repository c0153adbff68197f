"""Experiment records `.pivot/exps/<name>.json`: what one experiment ran with and made.

A record holds the overrides, each stage's effective params, the metrics and, per stage, the
lock data the stage would have in the workspace; every output it names is in the project cache,
so an experiment can be shown, compared and applied long after its scratch tree is gone.
Canonical JSON (sorted keys, indent 1), written atomically; `.pivot/exps/` is not tracked by git.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
from collections.abc import Mapping
from typing import Any, Protocol

from pivot import errors
from pivot.base import atomic, yamldoc

SCHEMA = 1
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
MAX_NAME = 100


class _Rooted(Protocol):
    @property
    def root(self) -> pathlib.Path: ...


@dataclasses.dataclass(frozen=True, slots=True)
class ExpRecord:
    name: str
    base: str | None  # the git HEAD the experiment ran on; None outside git
    created: str  # UTC, "2026-12-05T23:59:00Z"
    status: str  # "ok" | "failed"
    error: str | None
    overrides: Mapping[str, Any]
    params: Mapping[str, Mapping[str, Any]]
    metrics: Mapping[str, Mapping[str, Any]]
    locks: Mapping[str, Mapping[str, Any]]

    def to_data(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "name": self.name,
            "base": self.base,
            "created": self.created,
            "status": self.status,
            "error": self.error,
            "overrides": dict(self.overrides),
            "params": {k: dict(v) for k, v in self.params.items()},
            "metrics": {k: dict(v) for k, v in self.metrics.items()},
            "locks": {k: dict(v) for k, v in self.locks.items()},
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ExpRecord:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"unknown schema {data.get('schema')!r}")
        return cls(
            name=str(data["name"]),
            base=data.get("base"),
            created=str(data["created"]),
            status=str(data["status"]),
            error=data.get("error"),
            overrides=dict(data.get("overrides") or {}),
            params=dict(data.get("params") or {}),
            metrics=dict(data.get("metrics") or {}),
            locks=dict(data.get("locks") or {}),
        )


def exps_dir(proj: _Rooted) -> pathlib.Path:
    return proj.root / ".pivot" / "exps"


def check_name(name: str) -> str:
    if len(name) > MAX_NAME or not NAME_RE.fullmatch(name):
        raise errors.InputError(
            f"experiment name '{name}' is not valid",
            hint=f"use letters, digits, '.', '_' and '-', starting with a letter or digit, at most {MAX_NAME} characters",
        )
    return name


def write(proj: _Rooted, rec: ExpRecord) -> None:
    path = exps_dir(proj) / f"{check_name(rec.name)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, json.dumps(rec.to_data(), sort_keys=True, indent=1) + "\n")


def read(proj: _Rooted, name: str) -> ExpRecord:
    path = exps_dir(proj) / f"{name}.json"
    if not NAME_RE.fullmatch(name) or not path.is_file():
        names = _names(proj)
        raise errors.InputError(
            f"no experiment named '{name}'",
            hint=yamldoc.did_you_mean(name, names) if names else "run 'pivot exp run' to make one",
        )
    return _parse(path)


def all(proj: _Rooted) -> list[ExpRecord]:
    records = [_parse(exps_dir(proj) / f"{name}.json") for name in _names(proj)]
    return sorted(records, key=lambda rec: (rec.created, rec.name))


def remove(proj: _Rooted, name: str) -> None:
    read(proj, name)  # the same error for an unknown name
    (exps_dir(proj) / f"{name}.json").unlink()


def next_name(proj: _Rooted, prefix: str = "exp") -> str:
    """`<prefix>-<n>`, n one above the highest existing."""
    pattern = re.compile(re.escape(prefix) + r"-(\d+)")
    numbers = [int(m.group(1)) for name in _names(proj) if (m := pattern.fullmatch(name))]
    return check_name(f"{prefix}-{max(numbers, default=0) + 1}")


def referenced_oids(proj: _Rooted) -> set[str]:
    """Every object any record's locks name (a directory's manifest too: gc expands it)."""
    found: set[str] = set()
    for rec in all(proj):
        for lock in rec.locks.values():
            for out in (lock.get("outs") or {}).values():
                if isinstance(out, Mapping) and out.get("hash"):
                    found.add(str(out["hash"]))
    return found


def _names(proj: _Rooted) -> list[str]:
    directory = exps_dir(proj)
    if not directory.is_dir():
        return []
    return sorted(path.stem for path in directory.glob("*.json") if NAME_RE.fullmatch(path.stem))


def _parse(path: pathlib.Path) -> ExpRecord:
    try:
        return ExpRecord.from_data(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise errors.InputError(
            f"experiment record {path} cannot be read: {exc}",
            hint="remove the file (it is not part of your workspace) or fix it",
        ) from None
