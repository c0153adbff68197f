"""Per-stage lock files `.pivot/stages/<stage>.lock`: what the last successful run saw and made.

Canonical YAML (sorted keys, relative POSIX paths), written atomically; a missing or unreadable
lock simply means "never ran", so a crash at any point only makes a stage run again.

The `code` section records the fingerprint, its manifest and the `scheme` it was hashed with
(absent: scheme 1, before fingerprints were the same on every Python version).

Schema 2 records every output under `outs` with its `kind` (out, metric, plot) and whether it is
cached. Schema 1 (before kinds were recorded) kept cached outputs under `outs` and the others
under `metrics`; it is still read, its kinds inferred (`kinds_recorded` is False), and the next
run of the stage writes schema 2.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pivot.base import atomic, yamlio
from pivot.base.yamlio import yaml
from pivot.declare.stage import OutKind
from pivot.storage.hashing import HashInfo

if TYPE_CHECKING:
    from pivot.base import git

SCHEMA = 2
_KIND_NAMES = {OutKind.OUT: "out", OutKind.METRIC: "metric", OutKind.PLOT: "plot"}
_KINDS = {name: kind for kind, name in _KIND_NAMES.items()}


@dataclasses.dataclass(frozen=True, slots=True)
class LockedOutput:
    """One output as a lock file records it."""

    info: HashInfo
    kind: OutKind
    cache: bool  # only whether the cache holds it (gc, push, checkout); says nothing of its kind
    temp: bool = False  # removed once used: neither the cache nor git holds it


@dataclasses.dataclass(frozen=True, slots=True)
class StageLock:
    """A stage's lock file: the code, params, deps and outputs of its last successful run."""

    code_fingerprint: str
    code_manifest: Mapping[str, str]
    params: Mapping[str, Any]
    deps: Mapping[str, HashInfo]
    outputs: Mapping[str, LockedOutput]
    # False for a schema-1 lock: its kinds are guesses (cached -> out, not cached -> metric) until
    # `with_declared_kinds` corrects them from a stage definition.
    kinds_recorded: bool = True
    # How the code fingerprint was hashed (pivot.code.canonical); 1 when the lock does not say.
    code_scheme: int = 1
    cmd: tuple[str, ...] = ()  # a shell stage's commands, after templating (empty for a Python stage)

    @property
    def cached(self) -> dict[str, HashInfo]:
        """The outputs the cache holds: what gc keeps, push uploads and checkout restores."""
        return {path: out.info for path, out in self.outputs.items() if out.cache}

    @property
    def uncached(self) -> dict[str, HashInfo]:
        """The outputs git tracks instead of the cache (temp ones neither holds)."""
        return {path: out.info for path, out in self.outputs.items() if not out.cache and not out.temp}

    def of_kind(self, kind: OutKind) -> dict[str, HashInfo]:
        return {path: out.info for path, out in self.outputs.items() if out.kind is kind}

    def output(self, path: str) -> HashInfo | None:
        out = self.outputs.get(path)
        return out.info if out is not None else None

    def with_declared_kinds(self, declared: Mapping[str, OutKind]) -> StageLock:
        """A schema-1 lock with the kinds a pipeline declares for its output paths (path -> kind);
        a path the pipeline does not declare keeps its guess. A recorded kind is never replaced."""
        if self.kinds_recorded:
            return self
        outputs = {
            path: dataclasses.replace(out, kind=declared.get(path, out.kind)) for path, out in self.outputs.items()
        }
        return dataclasses.replace(self, outputs=outputs)


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
    atomic.write_bytes(path, render(lock).encode("utf-8"), durable=False)


def render(lock: StageLock) -> str:
    """The lock file's text, as `write` writes it (and a commit of `pivot exp branch` holds it)."""
    return yamlio.dump(_to_data(lock))


def _to_data(lock: StageLock) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "code": {
            "fingerprint": lock.code_fingerprint,
            "manifest": dict(lock.code_manifest),
            "scheme": lock.code_scheme,
        },
        **({"cmd": lock.cmd[0] if len(lock.cmd) == 1 else list(lock.cmd)} if lock.cmd else {}),
        "params": dict(lock.params),
        "deps": {path: info_data(info) for path, info in lock.deps.items()},
        "outs": {
            path: {**info_data(out.info), "kind": _KIND_NAMES[out.kind], "cache": out.cache, **({"temp": True} if out.temp else {})}
            for path, out in lock.outputs.items()
        },
    }


def info_data(info: HashInfo) -> dict[str, Any]:
    data: dict[str, Any] = {"hash": info.oid, "size": info.size}
    if info.nfiles is not None:
        data["nfiles"] = info.nfiles
    return data


def _from_data(data: Mapping[str, Any]) -> StageLock:
    schema = data.get("schema")
    if schema == 1:
        outputs = {
            **{path: LockedOutput(info, OutKind.OUT, True) for path, info in _infos(data.get("outs")).items()},
            **{path: LockedOutput(info, OutKind.METRIC, False) for path, info in _infos(data.get("metrics")).items()},
        }
    elif schema == SCHEMA:
        outputs = {str(path): _output(str(path), entry) for path, entry in (data.get("outs") or {}).items()}
    else:
        raise ValueError("unknown lock schema")
    return StageLock(
        code_fingerprint=str(data["code"]["fingerprint"]),
        code_manifest={str(k): str(v) for k, v in (data["code"].get("manifest") or {}).items()},
        params=dict(data.get("params") or {}),
        deps=_infos(data.get("deps")),
        outputs=outputs,
        kinds_recorded=schema == SCHEMA,
        code_scheme=int(data["code"].get("scheme", 1)),
        cmd=_commands(data.get("cmd")),
    )


def _commands(value: Any) -> tuple[str, ...]:
    # One command is written as a string, several as a list: as DVC's lock writes `cmd`.
    if value is None:
        return ()
    return (str(value),) if isinstance(value, str) else tuple(str(item) for item in value)


def _output(path: str, entry: Mapping[str, Any]) -> LockedOutput:
    if not isinstance(entry["cache"], bool):
        raise ValueError(f"{path}: cache is not true or false")
    return LockedOutput(_info(entry), _KINDS[entry["kind"]], entry["cache"], entry.get("temp") is True)


def _infos(section: Mapping[str, Any] | None) -> dict[str, HashInfo]:
    return {str(path): _info(entry) for path, entry in (section or {}).items()}


def _info(entry: Mapping[str, Any]) -> HashInfo:
    return HashInfo(str(entry["hash"]), int(entry["size"]), entry.get("nfiles"))


def parse_blobs(blobs: Mapping[str, bytes | None]) -> dict[str, StageLock]:
    """Lock files' bytes by path (as git holds them) -> stage -> its readable lock; a lock that
    is missing or unreadable there is left out."""
    locks = {}
    for path, blob in blobs.items():
        lock = parse(blob.decode("utf-8", "replace")) if blob is not None else None
        if lock is not None:
            locks[pathlib.PurePosixPath(path).stem] = lock
    return locks


def committed(repo: git.Repo, sha: str) -> dict[str, StageLock]:
    """Every stage's lock as committed at `sha`, by stage name."""
    from pivot.base import git  # only the commands that read revisions run git

    paths = [p for p in git.list_files(repo, sha, ".pivot/stages/") if p.endswith(".lock")]
    return parse_blobs(git.read_files(repo, sha, paths))
