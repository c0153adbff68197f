"""Which remote a command means: its URL and fsspec storage options, from the project config.

Friendly option names (`region`, `profile`, DVC's `access_key_id`...) become the keyword arguments
s3fs/gcsfs expect; everything else passes through to fsspec unchanged.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import urllib.parse
from collections.abc import Mapping
from typing import Any

from pivot import errors
from pivot.base import plain, redaction, yamldoc
from pivot.declare import config

_S3 = frozenset({"s3", "s3a"})
_GCS = frozenset({"gs", "gcs"})
_ADD_HINT = "pivot remote add -d origin /path/to/shared/cache"

# friendly name -> path of keys in the fsspec options (a nested dict for client/config kwargs).
_S3_NAMES: Mapping[str, tuple[str, ...]] = {
    "endpointurl": ("endpoint_url",),
    "region": ("client_kwargs", "region_name"),
    "region_name": ("client_kwargs", "region_name"),
    "access_key_id": ("key",),
    "secret_access_key": ("secret",),
    "session_token": ("token",),
    "connect_timeout": ("config_kwargs", "connect_timeout"),
    "read_timeout": ("config_kwargs", "read_timeout"),
    # when_required: no checksums on uploads, for S3-compatible servers that refuse them
    "request_checksum_calculation": ("config_kwargs", "request_checksum_calculation"),
}
_CHECKSUM_SETTINGS = ("when_supported", "when_required")
_GCS_NAMES: Mapping[str, tuple[str, ...]] = {
    "credentialpath": ("token",),
    "projectname": ("project",),
}


@dataclasses.dataclass(frozen=True, slots=True)
class RemoteSpec:
    """A resolved remote: its name, URL (local paths absolute) and fsspec storage options."""

    name: str
    url: str
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    pack: bool = True  # many small files of a directory go up as packs (`pivot.remote.packs`)

    @property
    def protocol(self) -> str:
        return protocol_of(self.url)

    @property
    def shown_url(self) -> str:
        """The URL as it may be printed: credentials in it masked."""
        return redaction.redact_url(self.url)


def protocol_of(url: str) -> str:
    """"s3" for s3://..., "file" for a local path."""
    if "://" not in url:
        return "file"
    return url.split("://", 1)[0].lower()


def resolve(settings: config.ProjectConfig, name: str | None, project_root: pathlib.Path) -> RemoteSpec:
    """The remote `name` (None: the default remote, or the only one) as a `RemoteSpec`."""
    remotes = settings.remotes
    if name is None:
        name = _default_name(settings)
    if name not in remotes:
        raise errors.ConfigError(
            f"no remote named '{name}' in .pivot/config.yaml",
            hint=yamldoc.did_you_mean(name, remotes) or _ADD_HINT,
        )
    raw = dict(remotes[name] or {})
    url = raw.pop("url", None)
    if not isinstance(url, str) or not url.strip():
        raise errors.ConfigError(
            f"remote '{name}' has no url", hint=f"pivot remote modify {name} url s3://bucket/prefix"
        )
    url = _absolute(url.strip(), project_root)
    url = _credentials_out_of_url(url, raw)
    pack = raw.pop("pack", True) is not False  # a pivot setting, not a storage option; validated as a bool
    checksums = raw.get("request_checksum_calculation", _CHECKSUM_SETTINGS[0])
    if checksums not in _CHECKSUM_SETTINGS:
        raise errors.ConfigError(
            f"remote '{name}': request_checksum_calculation is {checksums!r}; it must be one of {', '.join(_CHECKSUM_SETTINGS)}",
            hint=f"pivot remote modify {name} request_checksum_calculation when_required",
        )
    return RemoteSpec(name=name, url=url, options=_storage_options(protocol_of(url), raw), pack=pack)


def _default_name(settings: config.ProjectConfig) -> str:
    if settings.default_remote:
        return settings.default_remote
    if len(settings.remotes) == 1:
        return next(iter(settings.remotes))  # one remote needs no "default" to be unambiguous
    if not settings.remotes:
        raise errors.ConfigError("no remote configured", hint=_ADD_HINT)
    names = ", ".join(sorted(settings.remotes))
    raise errors.ConfigError(
        f"no default remote, and {len(settings.remotes)} are configured ({names})",
        hint="pass -r NAME, or set one: pivot remote default NAME",
    )


def _absolute(url: str, project_root: pathlib.Path) -> str:
    """A local path relative to the project root becomes absolute; URLs stay as they are."""
    if "://" in url:
        return url.rstrip("/") if not url.endswith("://") else url
    path = pathlib.Path(os.path.expanduser(url))
    if not path.is_absolute():
        path = project_root / path
    return os.path.normpath(path)


def typed_url(url: str, project_root: pathlib.Path, cwd: pathlib.Path) -> tuple[str, str]:
    """A remote URL as typed on the command line -> (what the config stores, what it means).

    A relative directory means what it means from where the user typed it, as in any shell
    command; the config stores it relative to the project root (where `resolve` reads it from),
    so the committed config names the same directory in every clone. URLs and absolute paths
    are stored as typed.
    """
    if "://" in url or os.path.isabs(os.path.expanduser(url)):
        return url, url if "://" in url else _absolute(url, project_root)
    resolved = os.path.normpath(cwd / url)
    return pathlib.Path(os.path.relpath(resolved, project_root)).as_posix(), resolved


def _credentials_out_of_url(url: str, raw: dict[str, Any]) -> str:
    """`s3://KEY:SECRET@bucket/p` (allowed only in the git-ignored local config): the keys become
    the access_key_id / secret_access_key options, so the URL pivot uses and shows holds none."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, location = rest.partition("@")
    if not sep or scheme.lower() not in _S3 or not at or "/" in userinfo.split(":", 1)[0]:
        return url
    key, colon, secret = userinfo.partition(":")
    if not colon:
        return url
    raw.setdefault("access_key_id", urllib.parse.unquote(key))
    raw.setdefault("secret_access_key", urllib.parse.unquote(secret))
    return f"{scheme}://{location}"


def _storage_options(protocol: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    names = _S3_NAMES if protocol in _S3 else _GCS_NAMES if protocol in _GCS else {}
    options: dict[str, Any] = {}
    for key, value in raw.items():
        target = names.get(key, (key,))
        nested: Any = _coerce(target[-1], value)
        for part in reversed(target):
            nested = {part: nested}
        # `region` and `client_kwargs: {...}` both land in client_kwargs: merged, never replaced.
        options = plain.deep_merge(options, nested)
    return options


def _coerce(key: str, value: Any) -> Any:
    """`pivot remote modify` stores strings: give booleans and timeouts their real types."""
    if not isinstance(value, str):
        return value
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if key.endswith("timeout"):
        try:
            return float(value)
        except ValueError:
            return value
    return value


# Kept under its old name: callers print storage options through it.
redact = redaction.redact_options
