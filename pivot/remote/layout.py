"""Names on a remote, as pure functions of strings: objects at `<url>/files/<oid[:2]>/<oid[2:]>`,
run-cache entries at `<url>/runs/<key[:2]>/<key[2:]>`, the few other keys pivot writes (packs,
pack pointers, push and gc markers, experiment records at `<url>/exps/<name>.json`), and how a listing's paths and details read back as oids and
write times. Checking names here keeps an oid or key from ever naming something outside them."""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Mapping
from typing import Any

from pivot import errors
from pivot.storage import hashing

# The only names outside files/ that pivot reads or writes: packs (`pivot.remote.packs`), markers
# (`pivot.remote.inflight`) and experiment records (`pivot.remote.exps`; named as
# `pivot.experiments.record.NAME_PATTERN` allows, so never a path outside exps/).
KEY = re.compile(
    r"packs/[0-9a-f]{32}|packs/dirs/[0-9a-f]{32}\.dir|(?:pushes|gc)/[0-9a-f]{32}\.json|exps/[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.json"
)
EXPS = "exps/"


def object_path(base: str, oid: str) -> str:
    """Where object (or run-cache entry) `oid` lives under `base` (`<root>/files` or `<root>/runs`)."""
    oid = checked(oid)
    return f"{base}/{oid[:2]}/{oid[2:]}"


def key_path(root: str, key: str) -> str:
    """Where `key` (a pack, pack pointer or marker name) lives under the remote's `root`."""
    if not KEY.fullmatch(key):
        raise errors.TransferError(f"{key!r} is not a pack, pack pointer or push marker name")
    return f"{root}/{key}"


def exp_key(name: str) -> str:
    """The key of experiment `name`'s record."""
    key = f"{EXPS}{name}.json"
    if not KEY.fullmatch(key):
        raise errors.TransferError(f"{name!r} is not an experiment name")
    return key


def exp_name(key: str) -> str | None:
    """The experiment a listed key holds the record of, or None if it is not a record's key."""
    if not (key.startswith(EXPS) and key.endswith(".json") and KEY.fullmatch(key)):
        return None
    return key[len(EXPS) : -len(".json")]


def checked(oid: str) -> str:
    if not hashing.is_valid_oid(oid):
        # oids become remote paths: never let one name something outside files/.
        raise errors.TransferError(f"{oid!r} is not a valid object id")
    return oid


def oid_of(path: str) -> str | None:
    """The oid of a listed `.../files/ab/cdef...` path (or a key under runs/), or None for anything else."""
    parts = path.rstrip("/").rsplit("/", 2)
    if len(parts) < 3 or len(parts[1]) != 2:
        return None
    oid = parts[1] + parts[2]
    return oid if hashing.is_valid_oid(oid) else None


def modified_time(info: Mapping[str, Any]) -> float | None:
    """When a listed object was last written, in seconds since the epoch: `mtime` (directories),
    `LastModified` (S3), `updated` (GCS), `created` (memory); None if the backend gives none."""
    for name in ("mtime", "LastModified", "updated", "created", "last_modified"):
        value = info.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if isinstance(value, datetime.datetime):
            # A naive time from a storage API is UTC, not this machine's zone.
            return (value if value.tzinfo else value.replace(tzinfo=datetime.UTC)).timestamp()
    return None
