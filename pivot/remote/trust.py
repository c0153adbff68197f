"""How far run-cache entries on a remote are trusted, and their signed on-remote form.

An entry maps a run's inputs to the outputs it made: whoever can write one on the remote chooses
what `pivot pull && pivot run` restores. So entries travel signed, as an envelope
`{"entry": <the local entry>, "key_id": "<12 hex>", "sig": "hmac-sha256:<hex>"}` (canonical
JSON), the HMAC-SHA256 of the entry's canonical bytes under the team's key. The key comes from
PIVOT_RUN_CACHE_KEY or the git-ignored config.local.yaml, never from the committed config (the
config loader refuses it there). Without a key, entries are neither pushed nor fetched, unless the
project opts in to unsigned entries (`run_cache: {trust_unsigned_remote: true}`).

The local run cache keeps its own unsigned format: a fetched entry is checked here, then stored
as a local one.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

from pivot import errors
from pivot.declare.config import ProjectConfig
from pivot.storage import runcache
from pivot.storage.runcache import RunEntry

ENV_VAR = "PIVOT_RUN_CACHE_KEY"
LOCAL_CONFIG = ".pivot/config.local.yaml"
OPT_IN = "run_cache.trust_unsigned_remote"
MIN_KEY_LENGTH = 16
_SIG_PREFIX = "hmac-sha256:"
KEY_HINT = (
    f"set {ENV_VAR}, or 'run_cache: {{key: ...}}' in the git-ignored {LOCAL_CONFIG}, to the same "
    "random secret on every clone and CI job that shares the remote (e.g. from "
    "python -c 'import secrets; print(secrets.token_hex(32))')"
)


class Mode(enum.Enum):
    SIGNED = "signed"  # entries are pushed signed; only entries signed with this key are fetched
    UNSIGNED = "unsigned"  # no key, and the project opted in: entries travel unsigned, trusted
    OFF = "off"  # no key: the remote's entries are not fetched, and none are pushed


@dataclasses.dataclass(frozen=True, slots=True)
class Trust:
    mode: Mode
    key: bytes = dataclasses.field(default=b"", repr=False)
    key_id: str = ""  # names the key in messages and envelopes; says nothing about the key
    source: str = ""  # where the key or the opt-in came from, for `status --remote`


def resolve(settings: ProjectConfig, environ: Mapping[str, str] = os.environ) -> Trust:
    """The trust in force: a key from the environment wins over config.local.yaml."""
    for text, source in ((environ.get(ENV_VAR, ""), ENV_VAR), (settings.run_cache.key or "", LOCAL_CONFIG)):
        text = text.strip()
        if not text:
            continue
        if len(text) < MIN_KEY_LENGTH:
            raise errors.ConfigError(
                f"the run-cache key in {source} is {len(text)} characters long: it needs at least {MIN_KEY_LENGTH}",
                hint=KEY_HINT,
            )
        key = text.encode("utf-8")
        return Trust(Mode.SIGNED, key, key_id_of(key), source)
    if settings.run_cache.trust_unsigned_remote:
        return Trust(Mode.UNSIGNED, source=OPT_IN)
    return Trust(Mode.OFF)


def key_id_of(key: bytes) -> str:
    # Derived through the HMAC itself, so the id reveals nothing a signature does not.
    return hmac.new(key, b"pivot run-cache key id", hashlib.sha256).hexdigest()[:12]


def seal(entry: RunEntry, trust: Trust) -> bytes:
    """The bytes to upload for `entry`: an envelope signed with the key, or (opted in, no key)
    the plain entry."""
    body = runcache.dump(entry)
    if trust.mode is Mode.UNSIGNED:
        return body
    if trust.mode is not Mode.SIGNED:
        raise ValueError("run-cache entries are not shared without a key or the opt-in")
    envelope = {"entry": json.loads(body), "key_id": trust.key_id, "sig": _SIG_PREFIX + _sign(trust.key, body)}
    return runcache.canonical(envelope)


def open_remote(data: bytes, key: str, trust: Trust) -> RunEntry:
    """The entry stored under `key` on a remote, if this project trusts it; else `CacheError`
    saying why, naming the stage the entry claims (one line: the caller's warning)."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raw = None
    if not isinstance(raw, dict):
        raise errors.CacheError("is not a run-cache entry (damaged): ignored, never stored")
    signed = "sig" in raw or "entry" in raw
    body = raw.get("entry") if signed else raw
    who = _claimed_stage(body)
    if trust.mode is Mode.SIGNED:
        if not signed:
            raise _refused(who, "is not signed")
        _check_signature(raw, body, who, trust)
    try:
        return runcache.parse(runcache.canonical(body), key)
    except (errors.CacheError, TypeError, ValueError) as exc:
        why = "its inputs do not hash to its name" if "hash to" in str(exc) else "is damaged"
        raise _refused(who, why) from None


def _check_signature(raw: Mapping[str, Any], body: Any, who: str, trust: Trust) -> None:
    key_id, sig = raw.get("key_id"), raw.get("sig")
    if not isinstance(sig, str) or not sig.startswith(_SIG_PREFIX) or not isinstance(body, dict):
        raise _refused(who, "has no valid signature")
    if key_id != trust.key_id:
        shown = key_id if isinstance(key_id, str) and key_id.isalnum() and len(key_id) <= 16 else "unknown"
        raise _refused(who, f"is signed with another key (key id {shown}; this project's is {trust.key_id})")
    try:
        expected = _sign(trust.key, runcache.canonical(body))
    except (TypeError, ValueError):
        raise _refused(who, "has no valid signature") from None
    if not hmac.compare_digest(expected, sig[len(_SIG_PREFIX) :]):
        raise _refused(who, "has a signature that does not match its content (altered or forged)")


def _refused(who: str, why: str) -> errors.CacheError:
    return errors.CacheError(f"{who} {why}: ignored, never stored")


def _sign(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _claimed_stage(body: Any) -> str:
    # The name comes from whoever wrote the entry: shown only if it looks like a stage name.
    stage = body.get("stage") if isinstance(body, dict) else None
    if isinstance(stage, str) and 0 < len(stage) <= 100 and all(c.isalnum() or c in "_.-@" for c in stage):
        return f"claims stage '{stage}' but"
    return "names no stage, and"
