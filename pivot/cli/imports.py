"""`pivot import-url URL [PATH]`, `pivot import REPO PATH` and `pivot update [PATH...]`: data from
outside the project, tracked with its source (pivot.api.imports); this module parses and prints."""

from __future__ import annotations

import json
import os
import pathlib

import click

from pivot.api.imports import Imported
from pivot.base import project
from pivot.cli import common


@click.command(name="import-url")
@click.argument("url")
@click.argument("path", required=False)
@click.option("-f", "--force", is_flag=True, help="Replace PATH if it exists.")
def import_url(url: str, path: str | None, force: bool) -> None:
    """Download URL (a file or a directory: s3://, gs://, https://, a local path) to PATH (default:
    its last name, here), cache it and write PATH.pvt with the source, as `dvc import-url`.
    `pivot update` fetches it again when the source changes; credentials come from the environment,
    or, for remote://NAME/PATH (PATH under remote NAME), from that remote's settings."""
    _show(common.api().import_url(url, path, force=force, cwd=pathlib.Path.cwd()))


@click.command(name="import")
@click.argument("repo")
@click.argument("path")
@click.option("-o", "--out", help="Where to put it (default: PATH's last name, here).")
@click.option("--rev", metavar="REV", help="The branch, tag or commit of REPO (default: its default branch).")
@click.option("-f", "--force", is_flag=True, help="Replace OUT if it exists.")
def import_repo(repo: str, path: str, out: str | None, rev: str | None, force: bool) -> None:
    """Fetch PATH (an output, tracked data or a committed file, relative to the root) of another
    project's git repository REPO (a URL git takes, or a path), cache it and write OUT.pvt with the
    source, as `dvc import`. `pivot update` fetches it again when REV moves; the bytes come from
    that project's default remote, with credentials from the environment."""
    _show(common.api().import_repo(repo, path, out, rev=rev, force=force, cwd=pathlib.Path.cwd()))


@click.command()
@click.argument("paths", nargs=-1)
@click.option("--rev", metavar="REV", help="Move the named repository imports to this branch, tag or commit.")
def update(paths: tuple[str, ...], rev: str | None) -> None:
    """Fetch again each imported PATH (default: every one) whose source changed since it was
    fetched (a URL's files, or the commit of a repository's branch or tag), as `dvc update`; the
    others are left alone."""
    done = common.api().update(paths, rev=rev, cwd=pathlib.Path.cwd())
    if not done:
        click.echo("No imported data here (pivot import-url URL PATH or pivot import REPO PATH imports some).")
    for item in done:
        _show(item)
    failed = [item for item in done if item.failure is not None]
    if failed:
        click.echo(f"{len(failed)} of {len(done)} not updated; the data and .pvt of each are as they were.", err=True)
        click.get_current_context().exit(1)


@click.command(name="get-url")
@click.argument("url")
@click.argument("path", required=False)
@click.option("-f", "--force", is_flag=True, help="Replace PATH if it exists.")
def get_url(url: str, path: str | None, force: bool) -> None:
    """Download URL (a file or a directory: s3://, gs://, https://, a local path) to PATH (default:
    its last name, here), tracking nothing, as `dvc get-url`; from anywhere. `pivot import-url`
    tracks it instead."""
    from pivot.api import imports

    cwd = pathlib.Path.cwd()
    done = imports.get_url(url, path, force=force, cwd=cwd, proj=_project_for(url))
    click.echo(f"{url} -> {os.path.relpath(done, cwd)}")


@click.command(name="ls-url")
@click.argument("url")
@click.option("-R", "--recursive", is_flag=True, help="Every file below URL, not only its entries.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def ls_url(url: str, recursive: bool, as_json: bool) -> None:
    """List what is at URL (s3://, gs://, https://, a local path), as `dvc ls-url`: each entry with
    its size, directories ending in /; to see what `pivot import-url URL` would fetch."""
    from pivot.api import imports

    found = imports.list_url(url, recursive=recursive, proj=_project_for(url))
    if as_json:
        click.echo(json.dumps([{"path": name, "size": size, "isdir": is_dir} for name, size, is_dir in found], indent=2))
        return
    for name, size, is_dir in found:
        click.echo(f"{'' if is_dir or size is None else size:>12}  {name}{'/' if is_dir else ''}")


def _project_for(url: str) -> project.Project | None:
    """The project whose remotes a `remote://NAME/...` URL names; no other URL needs one."""
    from pivot.api import imports

    return common.find_project() if url.startswith(imports.REMOTE_SCHEME) else None


def _show(item: Imported) -> None:
    if item.failure is not None:
        click.echo(f"{item.path}: not updated: {item.failure.message}", err=True)
        if item.failure.hint:
            click.echo(f"  hint: {item.failure.hint}", err=True)
        return
    source = item.url if item.repo_path is None else f"{item.repo_path} of {item.url}"
    at = f" (commit {item.commit[:10]})" if item.commit else ""
    if not item.fetched:
        click.echo(f"{item.path}: up to date with {source}{at}")
        return
    click.echo(f"{item.path}: fetched from {source}{at}")
    if item.to_add:
        root = common.api().root
        shown = " ".join(os.path.relpath(root / p, os.getcwd()) for p in item.to_add)
        click.echo(f"To commit: git add {shown}")
