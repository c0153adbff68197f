"""Changing `.pivot/config.yaml` (committed) or `.pivot/config.local.yaml` (this machine only):
read the file with its comments, change only the keys a command is about, validate the result,
write it back atomically. The file stays the user's: comments, key order, blank lines and quoting
survive (`pivot.base.yamledit`)."""

from __future__ import annotations

import pathlib
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

from pivot import errors
from pivot.base import atomic, project, yamldoc, yamlio

HEADER = {
    "config.yaml": "# pivot settings (committed): remotes, default_remote, cache.type\n",
    "config.local.yaml": "# pivot settings for this machine only (git-ignored): endpoints, credentials\n",
}

# ruamel (`pivot.base.yamledit`) is imported by the functions that edit, never with this module:
# `pivot remote list` and every command that only reads the config do without it.


def put(data: MutableMapping[str, Any], path: Sequence[str], value: Any) -> None:
    """In a `change`: set the key at `path` (sections created as needed); every other line stays."""
    from pivot.base import yamledit

    yamledit.put(data, path, value)


def drop(data: MutableMapping[str, Any], path: Sequence[str]) -> None:
    """In a `change`: remove the key at `path` (and sections it leaves empty); every other line stays."""
    from pivot.base import yamledit

    yamledit.drop(data, path)


def rename(data: MutableMapping[str, Any], path: Sequence[str], new: str) -> None:
    """In a `change`: give the key at `path` the name `new`, in its place; every other line stays."""
    from pivot.base import yamledit

    yamledit.rename(data, path, new)


def target(proj: project.Project, local: bool) -> pathlib.Path:
    return proj.local_config_file if local else proj.config_file


def update(path: pathlib.Path, change: Callable[[MutableMapping[str, Any]], None]) -> None:
    """Apply `change` (calls to `put` and `drop` on the data it is given) to the file and write
    it back; the result must still validate."""
    display = f".pivot/{path.name}"
    from pivot.base import yamledit

    before = yamldoc.load(path, display).text  # syntax errors name file:line, as every reader's do
    data = yamledit.load(before, display)
    change(data)
    text = yamledit.dump(data, before)
    if not before.strip():
        text = HEADER.get(path.name, "") + text  # a new file says what it is for
    from pivot.declare import config_schema, validation

    read_back = yamlio.load(text)  # what every reader will see
    validation.validate(config_schema.ProjectConfig, yamldoc.Document(path, display, read_back or {}, {}, text))
    atomic.write_text(path, text)


def parse_value(text: str) -> Any:
    """`10` -> 10, `true` -> True, anything else stays the string it is."""
    try:
        value = yamlio.load(text)
    except Exception:
        return text
    return value if isinstance(value, bool | int | float) else text


def require(condition: bool, message: str, hint: str | None = None) -> None:
    if not condition:
        raise errors.ConfigError(message, hint=hint)
