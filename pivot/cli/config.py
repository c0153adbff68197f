"""`pivot config get|set|unset|list`: settings by dotted key. The rules live in
`pivot.api.settings`; this module parses, calls it with the current directory, and prints."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import click

from pivot.api import settings
from pivot.cli import common

_LOCAL = click.option("--local", is_flag=True, help="This machine only: the git-ignored .pivot/config.local.yaml.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def config() -> None:
    """Get and set settings of .pivot/config.yaml by dotted key (cache.type, remotes.origin.url).

    docs/config.md lists every key; an unknown key or a value of the wrong kind is refused.
    """


@config.command()
@click.argument("key")
@_LOCAL
@_JSON
def get(key: str, local: bool, as_json: bool) -> None:
    """The value of KEY in effect (config.local.yaml over config.yaml); exit 1 when it is not set."""
    found = settings.get(common.find_project(), key, local=local)
    if as_json:
        click.echo(json.dumps({"key": found.key, "value": found.value, "file": found.file, "default": found.default}))
    elif found.file is not None:
        click.echo(_text(found.value))
    else:
        default = "" if found.default is None else f" (default: {_text(found.default)})"
        click.echo(f"{key} is not set{default}", err=True)
    if found.file is None:
        click.get_current_context().exit(1)  # as `git config KEY`: scripts tell "unset" from a value


@config.command(name="set")
@click.argument("key")
@click.argument("value")
@_LOCAL
def set_(key: str, value: str, local: bool) -> None:
    """Set KEY to VALUE (10 and true are stored as a number and a boolean)."""
    done = settings.set_value(common.find_project(), key, value, local=local, cwd=pathlib.Path.cwd())
    click.echo(f"Set {done.key} = {_text(done.value)} in {done.file}")


@config.command()
@click.argument("key")
@_LOCAL
def unset(key: str, local: bool) -> None:
    """Remove KEY from .pivot/config.yaml (with --local, from config.local.yaml)."""
    done = settings.unset(common.find_project(), key, local=local)
    click.echo(f"Unset {done.key} in {done.file}")


@config.command(name="list")
@_LOCAL
@_JSON
def list_(local: bool, as_json: bool) -> None:
    """Every key set, as KEY=VALUE; credentials are shown as ***."""
    found = settings.list_settings(common.find_project(), local=local)
    if as_json:
        click.echo(json.dumps([{"key": s.key, "value": s.value, "file": s.file} for s in found], indent=2))
        return
    for setting in found:
        click.echo(f"{setting.key}={_text(setting.value)}")


def _text(value: Any) -> str:
    """A value as YAML would write it: true, 10, reflink,copy, [a, b]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "" if value is None else str(value)
