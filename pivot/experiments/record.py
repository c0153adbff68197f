"""The experiment record: one canonical JSON file per experiment in `.pivot/exps/<name>.json`.

A record holds what the experiment changed (`overrides`), what every stage saw (`params`), what
it measured (`metrics`, as `pivot metrics show --json` gives them) and, per stage, the lock the
stage would have in the workspace had the experiment run there (`locks`). Every output a lock
names has its bytes in the project cache, so applying an experiment restores it without running.
`.pivot/exps/` is not tracked by git: records are local until pushed to a remote.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
from collections.abc import Mapping
from typing import Any, Protocol

from pivot import errors
from pivot.base import atomic, project, yamldoc

SCHEMA = 1
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
NAME_LIMIT = 100
_SUFFIX = ".json"


@dataclasses.dataclass(frozen=True, slots=True)
class ExpRecord:
    name: str
    base: str | None  # the git HEAD the experiment ran on; None outside a git repository
    created: str  # UTC, "2026-12-05T23:59:00Z"
    status: str  # "ok" or "failed"
    error: str | None
    overrides: Mapping[str, Any]  # "STAGE.KEY" -> value, as given on the command line
    params: Mapping[str, Mapping[str, Any]]  # stage -> its effective params, nested
    metrics: Mapping[str, Mapping[str, Any]]  # metrics file -> flattened key -> value
    locks: Mapping[str, Mapping[str, Any]]  # stage -> its lock data, as the lock file holds it

    def to_data(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "name": self.name,
            "base": self.base,
            "created": self.created,
            "status": self.status,
            "error": self.error,
            "overrides": dict(self.overrides),
            "params": {stage: dict(values) for stage, values in self.params.items()},
            "metrics": {path: dict(values) for path, values in self.metrics.items()},
            "locks": {stage: dict(data) for stage, data in self.locks.items()},
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ExpRecord:
        """A record from its JSON data; ValueError when it is not one this version reads."""
        if not isinstance(data, Mapping) or data.get("schema") != SCHEMA:
            raise ValueError(f"not an experiment record of schema {SCHEMA}")
        try:
            return cls(
                name=str(data["name"]),
                base=None if data["base"] is None else str(data["base"]),
                created=str(data["created"]),
                status=str(data["status"]),
                error=None if data.get("error") is None else str(data["error"]),
                overrides=dict(data["overrides"]),
                params={str(k): dict(v) for k, v in data["params"].items()},
                metrics={str(k): dict(v) for k, v in data["metrics"].items()},
                locks={str(k): dict(v) for k, v in data["locks"].items()},
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"missing or malformed field {exc}") from None


class _Rooted(Protocol):
    """A project as the base layer or the library knows it: both have a root."""

    @property
    def root(self) -> pathlib.Path: ...


def exps_dir(proj: _Rooted) -> pathlib.Path:
    return proj.root / project.PIVOT_DIR / "exps"


def check_name(name: str) -> str:
    if len(name) > NAME_LIMIT or not NAME_PATTERN.fullmatch(name):
        raise errors.InputError(
            f"'{name}' is not a valid experiment name",
            hint=f"use letters, digits, '.', '_' and '-', starting with a letter or digit, at most {NAME_LIMIT} characters",
        )
    return name


def write(proj: _Rooted, rec: ExpRecord) -> None:
    check_name(rec.name)
    atomic.write_text(exps_dir(proj) / f"{rec.name}{_SUFFIX}", dumps(rec))


def git_head(root: pathlib.Path) -> str | None:
    """The commit an experiment is made on: the git HEAD, or None outside a repository or
    before its first commit."""
    from pivot.base import git

    try:
        repo = git.open_repo(root)
        return git.resolve(repo, "HEAD") if git.has_commits(repo) else None
    except errors.RevisionError:
        return None


def keep_out_of_git(proj: _Rooted) -> None:
    """Give `.pivot/exps/` a `.gitignore` of its own (`*`): records are the user's, not the
    repository's, even where `.pivot/.gitignore` predates them and does not name them."""
    directory = exps_dir(proj)
    directory.mkdir(parents=True, exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        atomic.write_text(ignore, "*\n")


def dumps(rec: ExpRecord) -> str:
    """The record's file text: canonical, so two copies of one record are equal byte for byte."""
    return json.dumps(rec.to_data(), sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def loads(text: str | bytes) -> ExpRecord:
    """A record from its file text; ValueError (json's errors are ValueErrors) when it is not one."""
    return ExpRecord.from_data(json.loads(text))


def read(proj: _Rooted, name: str) -> ExpRecord:
    """The record of experiment `name`; an unknown name is an input error naming the closest one."""
    return _parse(require(proj, name))


def require(proj: _Rooted, name: str) -> pathlib.Path:
    """The file of experiment `name`, which must exist (else the error `read` raises)."""
    path = exps_dir(proj) / f"{name}{_SUFFIX}"
    if not NAME_PATTERN.fullmatch(name) or not path.is_file():
        if NAME_PATTERN.fullmatch(name) and (queue_dir(proj) / f"{name}{_SUFFIX}").is_file():
            raise errors.InputError(
                f"experiment '{name}' is queued: it has no record yet",
                hint=f"'pivot exp queue start' runs it; 'pivot exp queue --remove {name}' takes it out of the queue",
            )
        raise errors.InputError(
            f"no experiment named '{name}'",
            hint=yamldoc.did_you_mean(name, names(proj)) or "run 'pivot exp run' to make one",
        )
    return path


def _parse(path: pathlib.Path) -> ExpRecord:
    try:
        return loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:  # json's errors are ValueErrors
        raise errors.InputError(
            f"{path.relative_to(path.parents[2]).as_posix()} cannot be read: {exc}",
            hint=f"delete it with 'pivot exp remove {path.stem}'",
        ) from None


def names(proj: _Rooted) -> list[str]:
    try:
        with os.scandir(exps_dir(proj)) as entries:
            found = [e.name[: -len(_SUFFIX)] for e in entries if e.name.endswith(_SUFFIX) and e.is_file()]
    except FileNotFoundError:
        return []
    return sorted(name for name in found if NAME_PATTERN.fullmatch(name))


def all(proj: _Rooted) -> list[ExpRecord]:  # the name the shared format gives it; shadows the builtin here only
    """Every record, oldest first; one sweep's (created alike) by name, exp-2 before exp-10."""
    records = [_parse(exps_dir(proj) / f"{name}{_SUFFIX}") for name in names(proj)]
    return sorted(records, key=lambda rec: (rec.created, _natural(rec.name)))


def _natural(name: str) -> list[tuple[int, str]]:
    return [(int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", name)]


def remove(proj: _Rooted, name: str) -> None:
    """Drop the record, readable or not; an unknown name is an error, with the closest one."""
    require(proj, name).unlink()


def rename(proj: _Rooted, old: str, new: str) -> None:
    """Give experiment `old` the name `new`: the record is written under the new name first, then
    the old file goes, so a crash leaves it under one name or both, never none."""
    rec = read(proj, old)
    check_name(new)
    if taken(proj, new):
        raise errors.InputError(f"an experiment named '{new}' exists already", hint=f"pick another name, or remove it first: pivot exp remove {new}")
    write(proj, dataclasses.replace(rec, name=new))
    require(proj, old).unlink()


def queue_dir(proj: _Rooted) -> pathlib.Path:
    """Where `pivot exp run --queue` keeps the experiments it has not run yet (pivot.experiments.queue)."""
    return exps_dir(proj) / "queue"


def taken(proj: _Rooted, name: str) -> bool:
    """Whether a record or a queued experiment has that name."""
    return (exps_dir(proj) / f"{name}{_SUFFIX}").exists() or (queue_dir(proj) / f"{name}{_SUFFIX}").exists()


def next_name(proj: _Rooted, prefix: str = "exp") -> str:
    """`<prefix>-<n>`, n one past the highest taken for that prefix, by a record or a queued
    experiment (1 for the first)."""
    try:
        queued = [name.removesuffix(_SUFFIX) for name in os.listdir(queue_dir(proj))]
    except FileNotFoundError:
        queued = []
    taken = [name[len(prefix) + 1 :] for name in [*names(proj), *queued] if name.startswith(f"{prefix}-")]
    highest = max((int(n) for n in taken if n.isdigit()), default=0)
    name = f"{prefix}-{highest + 1}"
    check_name(name)
    return name


def referenced_oids(proj: _Rooted) -> set[str]:
    """Every object the records' locks name (outputs, cached or not, and deps; a directory by its
    manifest's oid): `pivot gc` keeps them, so an experiment can still be applied."""
    oids: set[str] = set()
    for rec in all(proj):
        oids |= named_oids(rec)
    return oids


def named_oids(rec: ExpRecord, sections: tuple[str, ...] = ("outs", "deps", "metrics")) -> set[str]:
    """The objects `rec`'s locks name in `sections` (outputs alone: `("outs", "metrics")`)."""
    oids: set[str] = set()
    for data in rec.locks.values():
        for section in sections:
            entries = data.get(section) or {}
            if isinstance(entries, Mapping):
                oids.update(str(entry["hash"]) for entry in entries.values() if isinstance(entry, Mapping) and "hash" in entry)
    return oids


OUTPUTS = ("outs", "metrics")  # the sections whose objects `exp apply` restores
