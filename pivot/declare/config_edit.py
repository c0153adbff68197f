"""Changing `.pivot/config.yaml` (committed) or `.pivot/config.local.yaml` (this machine only):
read the file as plain data, change it, validate the result, write it back atomically."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

from pivot import errors
from pivot.base import atomic, project, yamldoc, yamlio

HEADER = {
    "config.yaml": "# pivot settings (committed): remotes, default_remote, cache.type\n",
    "config.local.yaml": "# pivot settings for this machine only (git-ignored): endpoints, credentials\n",
}

# Option names that hold secrets: they may only be stored in the git-ignored local file.
SECRET_WORDS = ("secret", "token", "password", "access_key", "key_id", "session", "credentials")


def target(proj: project.Project, local: bool) -> pathlib.Path:
    return proj.local_config_file if local else proj.config_file


def update(path: pathlib.Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply `change` to the file's data and write it back; the result must still validate."""
    display = f".pivot/{path.name}"
    doc = yamldoc.load(path, display)
    data: dict[str, Any] = dict(doc.data) if isinstance(doc.data, dict) else {}
    change(data)
    text = HEADER.get(path.name, "") + (yamlio.dump(data) if data else "{}\n")
    from pivot.declare import config_schema

    config_schema.validate(config_schema.ProjectConfig, yamldoc.Document(path, display, data, {}, text))
    atomic.write_text(path, text)


def is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in SECRET_WORDS)


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
