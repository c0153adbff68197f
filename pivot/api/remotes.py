"""Configuring a project's remotes (`pivot remote add|modify|list|remove|default`): which names
are valid, where credentials may go (only the git-ignored .pivot/config.local.yaml), which config
file a change is written to, what is stored for a directory typed relative to the caller's
directory, and what may be shown (URLs redacted, secret options masked).

Each function takes the project's paths (`pivot.base.project.Project`) and, where a relative
directory can be typed, the directory it was typed in (`cwd`, default: the project root); the
current directory of the process is never read here. Nothing prints: each returns a frozen value
with the redacted text to show, and refusals are `ConfigError`s (exit 2) naming what to do.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import MutableMapping
from typing import Any

from pivot.base import project, redaction, yamldoc
from pivot.declare import config, config_edit
from pivot.remote import spec as remote_spec

_LOCAL_FILE = ".pivot/config.local.yaml"


@dataclasses.dataclass(frozen=True, slots=True)
class RemoteChange:
    """What one command changed, with the value to show (credentials redacted or masked)."""

    name: str  # the remote ("" when the default remote was unset)
    key: str | None = None  # the option `modify` set or unset
    shown: str = ""  # the URL (a directory: the one it resolved to) or option value, safe to print
    local: bool = False  # written to the git-ignored .pivot/config.local.yaml
    default: bool = False  # the remote is now the default one
    unset: bool = False  # the option (or the default remote) was removed

    @property
    def where(self) -> str:
        """The config file the change went to, as the user names it."""
        return _LOCAL_FILE if self.local else ".pivot/config.yaml"


@dataclasses.dataclass(frozen=True, slots=True)
class RemoteInfo:
    """A configured remote (both config files merged), safe to print."""

    name: str
    url: str  # redacted; "?" if the remote has no url
    default: bool
    options: tuple[tuple[str, str], ...]  # the other options by name; secret ones masked


def add(
    proj: project.Project,
    name: str,
    url: str,
    *,
    default: bool = False,
    force: bool = False,
    local: bool = False,
    cwd: pathlib.Path | None = None,
) -> RemoteChange:
    """Add remote NAME at URL; with `force`, replace one of that name. A relative directory is
    read from `cwd` and stored relative to the project root."""
    project.ensure_dot_dir(proj)
    config_edit.require(
        config.STAGE_NAME.fullmatch(name) is not None,
        f"remote name {name!r} has characters other than letters, digits, '_', '.' and '-'",
        hint="pick another name, e.g. pivot remote add origin URL",
    )
    _require_no_credentials(name, url, local, what="url")
    existing = config.load_project_config(proj).remotes
    config_edit.require(
        force or name not in existing,
        f"remote '{name}' already exists ({_shown(existing.get(name, {}).get('url', '?'))})",
        hint=f"pivot remote modify {name} url {_shown(url)}, or add -f to replace it",
    )
    stored, resolved = remote_spec.typed_url(url, proj.root, cwd or proj.root)

    def change(data: MutableMapping[str, Any]) -> None:
        config_edit.put(data, ("remotes", name), {"url": stored})
        if default:
            config_edit.put(data, ("default_remote",), name)

    config_edit.update(config_edit.target(proj, local), change)
    return RemoteChange(name, shown=_shown(resolved), local=local, default=default)


def modify(
    proj: project.Project,
    name: str,
    key: str,
    value: str | None = None,
    *,
    unset: bool = False,
    local: bool = False,
    cwd: pathlib.Path | None = None,
) -> RemoteChange:
    """Set option KEY of remote NAME to VALUE (`10` and `true` are stored typed), or remove it
    with `unset`. Secret options and credentials in a value go only to the local file."""
    project.ensure_dot_dir(proj)
    known = config.load_project_config(proj).remotes
    config_edit.require(name in known, f"no remote named '{name}'", hint=yamldoc.did_you_mean(name, known) or "pivot remote add NAME URL")
    config_edit.require(unset or value is not None, f"give a value for '{key}'", hint=f"pivot remote modify {name} {key} VALUE, or --unset")
    if not unset:
        _require_no_credentials(name, value or "", local, what="url" if key == "url" else f"value of {name}.{key}")
    parsed = None if unset else config_edit.parse_value(value or "")
    secret = redaction.is_secret_option(key, parsed)
    config_edit.require(
        local or not secret,
        f"'{name}.{key}' holds a credential ({redaction.MASK}): it must not go into the committed .pivot/config.yaml",
        hint=(
            f"keep it on this machine: pivot remote modify --local {name} {key} VALUE (the git-ignored "
            ".pivot/config.local.yaml), or leave it out and set it in the environment "
            "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, GOOGLE_APPLICATION_CREDENTIALS)"
        ),
    )
    shown = redaction.MASK if secret else _shown(value)
    if key == "url" and value and not unset:  # a directory typed in a subdirectory means that one
        value, resolved = remote_spec.typed_url(value, proj.root, cwd or proj.root)
        shown = _shown(resolved)

    def change(data: MutableMapping[str, Any]) -> None:
        if unset:
            config_edit.drop(data, ("remotes", name, key))
        else:
            config_edit.put(data, ("remotes", name, key), config_edit.parse_value(value or ""))

    config_edit.update(config_edit.target(proj, local), change)
    return RemoteChange(name, key=key, shown="" if unset else shown, local=local, unset=unset)


def remove(proj: project.Project, name: str) -> RemoteChange:
    """Remove remote NAME from both config files, its local options and credentials too (and
    the default, if it was that one)."""
    project.ensure_dot_dir(proj)
    known = config.load_project_config(proj).remotes
    config_edit.require(name in known, f"no remote named '{name}'", hint=yamldoc.did_you_mean(name, known))

    def change(data: MutableMapping[str, Any]) -> None:
        config_edit.drop(data, ("remotes", name))
        if data.get("default_remote") == name:
            config_edit.drop(data, ("default_remote",))

    for path in (proj.config_file, proj.local_config_file):
        if path.exists():
            config_edit.update(path, change)
    return RemoteChange(name)


def rename(proj: project.Project, old: str, new: str) -> RemoteChange:
    """Rename remote OLD to NEW in both config files (its options, local credentials and the
    default, if it was that one, follow)."""
    project.ensure_dot_dir(proj)
    known = config.load_project_config(proj).remotes
    config_edit.require(old in known, f"no remote named '{old}'", hint=yamldoc.did_you_mean(old, known))
    config_edit.require(
        config.STAGE_NAME.fullmatch(new) is not None,
        f"remote name {new!r} has characters other than letters, digits, '_', '.' and '-'",
        hint="pick another name",
    )
    config_edit.require(new not in known, f"remote '{new}' already exists", hint=f"remove it first (pivot remote remove {new}), or pick another name")

    def change(data: MutableMapping[str, Any]) -> None:
        config_edit.rename(data, ("remotes", old), new)
        if data.get("default_remote") == old:
            config_edit.put(data, ("default_remote",), new)

    for path in (proj.config_file, proj.local_config_file):
        if path.exists():
            config_edit.update(path, change)
    return RemoteChange(new)


def set_default(proj: project.Project, name: str | None, *, local: bool = False) -> RemoteChange:
    """Make NAME the default remote; None: no default remote (in the chosen config file)."""
    project.ensure_dot_dir(proj)
    if name is not None:
        known = config.load_project_config(proj).remotes
        config_edit.require(name in known, f"no remote named '{name}'", hint=yamldoc.did_you_mean(name, known))

    def change(data: MutableMapping[str, Any]) -> None:
        if name is None:
            config_edit.drop(data, ("default_remote",))
        else:
            config_edit.put(data, ("default_remote",), name)

    config_edit.update(config_edit.target(proj, local), change)
    return RemoteChange(name or "", local=local, default=name is not None, unset=name is None)


def default_remote(proj: project.Project) -> str | None:
    """The default remote's name, if one is set (either config file)."""
    project.ensure_dot_dir(proj)  # as every remote command that names a remote: .pivot/ is set up
    return config.load_project_config(proj).default_remote


def list_remotes(proj: project.Project) -> list[RemoteInfo]:
    """The configured remotes in config order; credentials are never in the result."""
    settings = config.load_project_config(proj)
    return [
        RemoteInfo(
            name,
            _shown(options.get("url", "?")),
            name == settings.default_remote,
            tuple(sorted((k, str(v)) for k, v in redaction.redact_options(options).items() if k != "url")),
        )
        for name, options in settings.remotes.items()
    ]


def _shown(url: object) -> str:
    return redaction.redact_url(str(url))


def _require_no_credentials(name: str, url: str, local: bool, what: str) -> None:
    """A URL with credentials in it may only go into the git-ignored local config (as DVC's
    `remote modify --local`): the committed config is read by everyone who can read the repo."""
    config_edit.require(
        local or not redaction.has_credentials(url),
        f"the {what} of remote '{name}' holds credentials ({_shown(url)}); they must not go into the committed .pivot/config.yaml",
        hint=(
            f"give the url without them and the credentials to this machine only: pivot remote modify --local {name} "
            "access_key_id|secret_access_key|token ... (or AWS_*/GOOGLE_APPLICATION_CREDENTIALS); "
            "or keep the whole url local: pivot remote add --local ..."
        ),
    )
