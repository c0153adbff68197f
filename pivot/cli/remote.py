"""`pivot remote add|modify|list|remove|default`: remotes in .pivot/config.yaml or, with --local,
in the git-ignored .pivot/config.local.yaml (the only place credentials may go)."""

from __future__ import annotations

import pathlib
from typing import Any

import click

from pivot.base import project, redaction, yamldoc
from pivot.cli import common
from pivot.declare import config, config_edit
from pivot.remote import spec as remote_spec

_LOCAL = click.option("--local", is_flag=True, help="This machine only (.pivot/config.local.yaml).")


@click.group()
def remote() -> None:
    """Configure where `pivot push` and `pivot pull` send and fetch the cache."""


def _project() -> project.Project:
    proj = common.find_project()
    project.ensure_dot_dir(proj)
    return proj


def _remotes(data: dict[str, Any]) -> dict[str, Any]:
    remotes = data.get("remotes") or {}
    data["remotes"] = remotes
    return remotes


@remote.command()
@click.argument("name")
@click.argument("url")
@click.option("-d", "--default", "make_default", is_flag=True, help="Make it the default remote.")
@click.option("-f", "--force", is_flag=True, help="Replace a remote of that name.")
@_LOCAL
def add(name: str, url: str, make_default: bool, force: bool, local: bool) -> None:
    """Add remote NAME at URL (s3://bucket/prefix, gs://bucket/prefix, a directory, any fsspec URL)."""
    proj = _project()
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

    stored, resolved = remote_spec.typed_url(url, proj.root, pathlib.Path.cwd())

    def change(data: dict[str, Any]) -> None:
        _remotes(data)[name] = {"url": stored}
        if make_default:
            data["default_remote"] = name

    config_edit.update(config_edit.target(proj, local), change)
    where = " in .pivot/config.local.yaml" if local else ""
    click.echo(f"Added remote '{name}'{where}: {_shown(resolved)}" + (" (default)" if make_default else ""))


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


@remote.command()
@click.argument("name")
@click.argument("key")
@click.argument("value", required=False)
@click.option("--unset", is_flag=True, help="Remove KEY instead of setting it.")
@_LOCAL
def modify(name: str, key: str, value: str | None, unset: bool, local: bool) -> None:
    """Set option KEY of remote NAME to VALUE (endpoint_url, region, profile, project, token, ...)."""
    proj = _project()
    known = config.load_project_config(proj).remotes
    config_edit.require(name in known, f"no remote named '{name}'", hint=yamldoc.did_you_mean(name, known) or "pivot remote add NAME URL")
    config_edit.require(unset or value is not None, f"give a value for '{key}'", hint=f"pivot remote modify {name} {key} VALUE, or --unset")
    if not unset:
        _require_no_credentials(name, value or "", local, what="url" if key == "url" else f"value of {name}.{key}")
    config_edit.require(
        local or unset or not config_edit.is_secret(key),
        f"'{key}' looks like a credential: it must not go into the committed .pivot/config.yaml",
        hint=f"pivot remote modify --local {name} {key} ... (stored in the git-ignored config.local.yaml)",
    )

    shown = redaction.MASK if config_edit.is_secret(key) else _shown(value)
    if key == "url" and value and not unset:  # a directory typed in a subdirectory means that one
        value, resolved = remote_spec.typed_url(value, proj.root, pathlib.Path.cwd())
        shown = _shown(resolved)

    def change(data: dict[str, Any]) -> None:
        options = _remotes(data).setdefault(name, {})
        if unset:
            options.pop(key, None)
        else:
            options[key] = config_edit.parse_value(value or "")

    config_edit.update(config_edit.target(proj, local), change)
    click.echo(f"Unset {name}.{key}" if unset else f"Set {name}.{key} = {shown}")


@remote.command(name="list")
def list_remotes() -> None:
    """The configured remotes; credentials are never shown."""
    settings = config.load_project_config(common.find_project())
    for name, options in settings.remotes.items():
        extra = {k: (redaction.MASK if config_edit.is_secret(k) else _shown(v)) for k, v in options.items() if k != "url"}
        line = f"{name}\t{_shown(options.get('url', '?'))}"
        if name == settings.default_remote:
            line += "\t(default)"
        if extra:
            line += "\t" + " ".join(f"{k}={v}" for k, v in sorted(extra.items()))
        click.echo(line)


@remote.command()
@click.argument("name")
def remove(name: str) -> None:
    """Remove remote NAME, from both config files (its local options and credentials too)."""
    proj = _project()
    known = config.load_project_config(proj).remotes
    config_edit.require(name in known, f"no remote named '{name}'", hint=yamldoc.did_you_mean(name, known))

    def change(data: dict[str, Any]) -> None:
        remotes = _remotes(data)
        remotes.pop(name, None)
        if not remotes:
            del data["remotes"]
        if data.get("default_remote") == name:
            del data["default_remote"]

    for path in (proj.config_file, proj.local_config_file):
        if path.exists():
            config_edit.update(path, change)
    click.echo(f"Removed remote '{name}'")


@remote.command()
@click.argument("name", required=False)
@click.option("--unset", is_flag=True, help="No default remote.")
@_LOCAL
def default(name: str | None, unset: bool, local: bool) -> None:
    """Make NAME the default remote (or show the default)."""
    proj = _project()
    settings = config.load_project_config(proj)
    if name is None and not unset:
        click.echo(settings.default_remote or "no default remote")
        return
    if not unset:
        config_edit.require(name in settings.remotes, f"no remote named '{name}'", hint=yamldoc.did_you_mean(name or "", settings.remotes))

    def change(data: dict[str, Any]) -> None:
        if unset:
            data.pop("default_remote", None)
        else:
            data["default_remote"] = name

    config_edit.update(config_edit.target(proj, local), change)
    click.echo("No default remote" if unset else f"Default remote: {name}")
