"""`pivot config get|set|unset|list`: one setting of `.pivot/config.yaml` (committed) or, with
`local`, of the git-ignored `.pivot/config.local.yaml`, by dotted key (`cache.type`).

Keys and values are checked against the schema (`pivot.api.configkeys`); the rules that belong
to remotes (credentials only in the local file, a directory resolved where it was typed, the
default remote must exist) stay in `pivot.api.remotes`, which handles those keys. Secrets are
never returned unmasked. Nothing prints; refusals are `ConfigError`s (exit 2).
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from pivot import errors
from pivot.api import configkeys, remotes
from pivot.base import project, redaction, yamldoc
from pivot.declare import config_edit

_FILES = {False: ".pivot/config.yaml", True: ".pivot/config.local.yaml"}


@dataclasses.dataclass(frozen=True, slots=True)
class Setting:
    """A key's value as the project has it, safe to print; `file` is None when it is unset."""

    key: str
    value: Any  # masked ("***") when it is a credential
    file: str | None
    default: Any = None


def get(proj: project.Project, key: str, *, local: bool = False) -> Setting:
    """The value in effect (the local file's over the committed one's); with `local`, the local
    file's own."""
    found, _ = configkeys.find(key)
    for setting in list_settings(proj, local=local):
        if setting.key == key:
            return dataclasses.replace(setting, default=found.default)
    return Setting(key, None, None, found.default)


def list_settings(proj: project.Project, *, local: bool = False) -> list[Setting]:
    """Every key set, in file order; the local file's values over the committed one's (with
    `local`: the local file alone)."""
    found: dict[str, Setting] = {}
    for is_local in (True,) if local else (False, True):
        found.update(_in_file(proj, is_local))
    return list(found.values())


def _in_file(proj: project.Project, local: bool) -> dict[str, Setting]:
    data = yamldoc.load(config_edit.target(proj, local), _FILES[local]).data
    leaves = _leaves(data if isinstance(data, Mapping) else {}, ())
    return {".".join(path): Setting(".".join(path), _shown(path, value), _FILES[local]) for path, value in leaves}


def set_value(proj: project.Project, key: str, text: str, *, local: bool = False, cwd: pathlib.Path | None = None) -> Setting:
    """Set `key` to `text` (`10` and `true` are stored typed, `a,b` stays text)."""
    found, path = configkeys.find(key)
    if path[0] == "remotes":
        done = remotes.modify(proj, path[1], path[2], text, local=local, cwd=cwd)
        return Setting(key, done.shown, done.where)
    if path == ("default_remote",):
        remotes.set_default(proj, text, local=local)
        return Setting(key, text, _FILES[local])
    value = config_edit.parse_value(text)
    configkeys.check_value(found, value, path)
    config_edit.require(
        local or path != ("run_cache", "key"),
        "'run_cache.key' must not go into the committed .pivot/config.yaml: whoever can read the "
        "repository could sign run-cache entries with it",
        hint="pivot config set --local run_cache.key KEY (the git-ignored .pivot/config.local.yaml), or set PIVOT_RUN_CACHE_KEY",
    )
    project.ensure_dot_dir(proj)
    config_edit.update(config_edit.target(proj, local), lambda data: config_edit.put(data, path, value))
    return Setting(key, _shown(path, value), _FILES[local])


def unset(proj: project.Project, key: str, *, local: bool = False) -> Setting:
    """Remove `key` from the chosen file (sections it leaves empty go too)."""
    _, path = configkeys.find(key)
    if key not in _in_file(proj, local):
        elsewhere = key in _in_file(proj, not local)
        raise errors.ConfigError(
            f"'{key}' is not set in {_FILES[local]}" + (f" (it is set in {_FILES[not local]})" if elsewhere else ""),
            hint=f"pivot config unset {'' if local else '--local '}{key}" if elsewhere else "pivot config list shows what is set",
        )

    def change(data: MutableMapping[str, Any]) -> None:
        config_edit.drop(data, path)

    config_edit.update(config_edit.target(proj, local), change)
    return Setting(key, None, _FILES[local])


def _leaves(data: Mapping[str, Any], prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Each setting of a config file as (path, value); a remote's options are settings, the
    sections holding them are not."""
    for name, value in data.items():
        path = (*prefix, str(name))
        if isinstance(value, Mapping) and (len(path) < 3 if path[0] == "remotes" else True):
            yield from _leaves(value, path)
        else:
            yield path, value


def _shown(path: tuple[str, ...], value: Any) -> Any:
    if path == ("run_cache", "key") and value is not None:
        return redaction.MASK
    if path[0] == "remotes" and len(path) == 3:
        if path[2] == "url" and isinstance(value, str):
            return redaction.redact_url(value)
        if redaction.is_secret_option(path[2], value):
            return redaction.MASK
    return value
