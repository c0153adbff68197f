"""Experiment records on a remote, at `<url>/exps/<name>.json` (the same canonical text as the
local `.pivot/exps/<name>.json`). A record goes up only after every object it names is there
(`pivot.api.exp_share` keeps that order), so a record on the remote can always be applied; and
`pivot gc -r` keeps whatever the remote's records name (`referenced`)."""

from __future__ import annotations

import dataclasses
import pathlib
import secrets
from collections.abc import Sequence

from pivot import errors
from pivot.experiments import record
from pivot.remote import layout, retry, tasks
from pivot.remote.fs import Remote
from pivot.remote.retry import RemoteUnavailable
from pivot.storage import hashing

# Records are small and each is one request: read (or write) this many at once (a gc -r reads them all,
# twice, and a remote may hold hundreds).
READ_JOBS = 16


@dataclasses.dataclass(frozen=True, slots=True)
class Found:
    """One record read from the remote: `rec` when it parses, else `problem` says why not."""

    name: str
    rec: record.ExpRecord | None
    problem: str | None = None


def names(remote: Remote) -> list[str]:
    """The experiments whose records are on the remote, sorted."""
    return sorted(name for key in remote.list_keys(layout.EXPS) if (name := layout.exp_name(key)) is not None)


def read(remote: Remote, name: str) -> Found | None:
    """The record of `name` on the remote (None: there is none). One that cannot be read, or whose
    name is not its key's, comes back with its problem, never as a record."""
    data = remote.read_key(layout.exp_key(name))
    if data is None:
        return None
    try:
        rec = record.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return Found(name, None, f"not a readable experiment record ({exc})")
    if rec.name != name:
        return Found(name, None, f"it holds the record of '{rec.name}'")
    return Found(name, rec)


def read_many(remote: Remote, names: Sequence[str]) -> list[Found | None]:
    """`read` of each of `names`, in order, `READ_JOBS` at a time."""
    return retry.parallel_map(lambda name: read(remote, name), list(names), READ_JOBS)


def put(remote: Remote, tmp_dir: pathlib.Path, rec: record.ExpRecord) -> None:
    """Upload `rec` (its objects must be on the remote already: the caller's duty)."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f"exp.{secrets.token_hex(6)}.tmp"
    try:
        tmp.write_text(record.dumps(rec), encoding="utf-8")
        remote.put_key(tmp, layout.exp_key(rec.name))
    finally:
        tasks.unlink_quietly(tmp)


def put_many(remote: Remote, tmp_dir: pathlib.Path, recs: Sequence[record.ExpRecord]) -> list[str | None]:
    """`put` of each of `recs`, `READ_JOBS` at a time: for each, None once it is up, else why not."""

    def one(rec: record.ExpRecord) -> str | None:
        try:
            put(remote, tmp_dir, rec)
            return None
        except errors.TransferError as exc:
            return exc.message

    return retry.parallel_map(one, list(recs), READ_JOBS)


def referenced(remote: Remote, tmp_dir: pathlib.Path) -> set[str]:
    """Every object the remote's readable records name, a directory with the files its manifest
    (read from the remote) lists. What cannot be read names nothing: it cannot be applied anyway."""
    oids: set[str] = set()
    for found in read_many(remote, names(remote)):
        if found is not None and found.rec is not None:
            oids |= record.named_oids(found.rec)
    dirs = sorted(oid for oid in oids if oid.endswith(hashing.DIR_SUFFIX) and hashing.is_valid_oid(oid))
    for members in retry.parallel_map(lambda oid: _members(remote, tmp_dir, oid), dirs, READ_JOBS):
        oids |= members
    return {oid for oid in oids if hashing.is_valid_oid(oid)}


def _members(remote: Remote, tmp_dir: pathlib.Path, oid: str) -> set[str]:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f"manifest.{secrets.token_hex(6)}.tmp"
    try:
        remote.get(oid, tmp)
        return {entry.oid for entry in hashing.parse_manifest(tmp.read_bytes())}
    except RemoteUnavailable:
        raise  # the remote failed, not the manifest: gc must stop rather than guess
    except errors.TransferError:
        return set()  # not on the remote: nothing of it to keep
    except errors.CacheError:
        return set()  # damaged: its files cannot be found through it anyway
    finally:
        tasks.unlink_quietly(tmp)
