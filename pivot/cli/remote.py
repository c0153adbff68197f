"""`pivot remote add|modify|list|remove|default`: remotes in .pivot/config.yaml or, with --local,
in the git-ignored .pivot/config.local.yaml (the only place credentials may go). The rules live in
`pivot.api.remotes`; this module parses, calls it with the current directory, and prints."""

from __future__ import annotations

import pathlib

import click

from pivot.api import remotes
from pivot.cli import common

_LOCAL = click.option("--local", is_flag=True, help="This machine only (.pivot/config.local.yaml).")


@click.group()
def remote() -> None:
    """Configure where `pivot push` and `pivot pull` send and fetch the cache."""


@remote.command()
@click.argument("name")
@click.argument("url")
@click.option("-d", "--default", "make_default", is_flag=True, help="Make it the default remote.")
@click.option("-f", "--force", is_flag=True, help="Replace a remote of that name.")
@_LOCAL
def add(name: str, url: str, make_default: bool, force: bool, local: bool) -> None:
    """Add remote NAME at URL (s3://bucket/prefix, gs://bucket/prefix, a directory, any fsspec URL)."""
    done = remotes.add(common.find_project(), name, url, default=make_default, force=force, local=local, cwd=pathlib.Path.cwd())
    where = f" in {done.where}" if done.local else ""
    click.echo(f"Added remote '{done.name}'{where}: {done.shown}" + (" (default)" if done.default else ""))


@remote.command()
@click.argument("name")
@click.argument("key")
@click.argument("value", required=False)
@click.option("--unset", is_flag=True, help="Remove KEY instead of setting it.")
@_LOCAL
def modify(name: str, key: str, value: str | None, unset: bool, local: bool) -> None:
    """Set option KEY of remote NAME to VALUE (endpoint_url, region, profile, project, token, ...)."""
    done = remotes.modify(common.find_project(), name, key, value, unset=unset, local=local, cwd=pathlib.Path.cwd())
    click.echo(f"Unset {done.name}.{done.key}" if done.unset else f"Set {done.name}.{done.key} = {done.shown}")


@remote.command(name="list")
def list_remotes() -> None:
    """The configured remotes; credentials are never shown."""
    for info in remotes.list_remotes(common.find_project()):
        line = f"{info.name}\t{info.url}"
        if info.default:
            line += "\t(default)"
        if info.options:
            line += "\t" + " ".join(f"{k}={v}" for k, v in info.options)
        click.echo(line)


@remote.command()
@click.argument("name")
def remove(name: str) -> None:
    """Remove remote NAME, from both config files (its local options and credentials too)."""
    done = remotes.remove(common.find_project(), name)
    click.echo(f"Removed remote '{done.name}'")


@remote.command()
@click.argument("old")
@click.argument("new")
def rename(old: str, new: str) -> None:
    """Rename remote OLD to NEW, in both config files (its options, credentials and default follow)."""
    remotes.rename(common.find_project(), old, new)
    click.echo(f"Renamed remote '{old}' to '{new}'")


@remote.command()
@click.argument("name", required=False)
@click.option("--unset", is_flag=True, help="No default remote.")
@_LOCAL
def default(name: str | None, unset: bool, local: bool) -> None:
    """Make NAME the default remote (or show the default)."""
    proj = common.find_project()
    if name is None and not unset:
        click.echo(remotes.default_remote(proj) or "no default remote")
        return
    done = remotes.set_default(proj, None if unset else name, local=local)
    click.echo("No default remote" if done.unset else f"Default remote: {done.name}")
