"""`pivot get [--repo URL] [--rev REV] PATH... [-o OUT] [-f]`: outputs, tracked data or committed
files as a git revision of this project (pivot.api.getrev) or of another repository
(pivot.api.getrepo) records them; this module parses, calls one of them and prints."""

from __future__ import annotations

import os
import pathlib

import click

from pivot.cli import common


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--repo", metavar="URL", help="Another project's git repository (a URL git takes, or a path): PATHS are relative to its root.")
@click.option("--rev", metavar="REV", help="The git revision (branch, tag, commit, HEAD~2). [default: HEAD; with --repo, its default branch]")
@click.option("-o", "--out", type=click.Path(path_type=pathlib.Path), help="Where to write (a directory when several PATHS are given).")
@click.option("-f", "--force", is_flag=True, help="Replace a destination that holds other content.")
def get(paths: tuple[str, ...], repo: str | None, rev: str | None, out: pathlib.Path | None, force: bool) -> None:
    """Write PATHS (outputs, tracked data or any file git has) as they were at git revision REV,
    into the current directory; with --repo, as another project's repository has them (a data
    registry), from anywhere.

    The bytes come from the cache, else the default remote (with --repo, that project's); what is
    written is a copy, and the workspace's lock files and other files are never touched. See
    docs/get.md.
    """
    cwd = pathlib.Path.cwd()
    if repo is not None:
        from pivot.api import getrepo

        done = getrepo.get(repo, paths, rev, out=out, force=force, cwd=cwd)
        where = f"{repo}@{rev}:" if rev else f"{repo}:"
    else:
        done = common.api().get(paths, rev or "HEAD", out=out, force=force, cwd=cwd)
        where = ""
    for got in done:
        shown = os.path.relpath(got.dest, cwd)
        what = "unchanged" if got.unchanged else f"from the {got.source}" if got.source != "git" else "from git"
        named = f"{where}{got.path}" if repo is not None else f"{got.path}@{rev or 'HEAD'}"
        click.echo(f"{named} -> {shown} ({what})")


@click.command(name="ls")
@click.argument("path", required=False, default="")
@click.option("--repo", metavar="URL", help="Another project's git repository (a URL git takes, or a path): PATH is relative to its root.")
@click.option("--rev", metavar="REV", help="The git revision. [default: HEAD; with --repo, its default branch]")
@click.option("-R", "--recursive", is_flag=True, help="Every file below PATH, not only its entries.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def ls(path: str, repo: str | None, rev: str | None, recursive: bool, as_json: bool) -> None:
    """List what a commit holds in PATH (default: the root), as `dvc list`: the files git keeps,
    and the stage outputs and tracked data it records, marked so, with their size; with --repo,
    of another project's repository (what `pivot get --repo` and `pivot import` can fetch)."""
    from pivot.api import repolist

    cwd = pathlib.Path.cwd()
    if repo is not None:
        entries = repolist.listing_repo(repo, path, rev, recursive=recursive, cwd=cwd)
    else:
        entries = repolist.listing_here(common.api(), path, rev or "HEAD", recursive=recursive, cwd=cwd)
    if as_json:
        import json

        rows = [{"path": e.path, "kind": e.kind, "isdir": e.is_dir, "size": e.size, "nfiles": e.nfiles} for e in entries]
        click.echo(json.dumps(rows, indent=2))
        return
    from pivot.base import wording

    width = max((wording.width(e.path) + e.is_dir for e in entries), default=0)
    for e in entries:
        name = e.path + ("/" if e.is_dir else "")
        if e.kind == "git":
            click.echo(name)
            continue
        size = wording.size(e.size or 0) + (f", {wording.count(e.nfiles, 'file')}" if e.nfiles is not None else "")
        click.echo(f"{wording.ljust(name, width)}  {e.kind:<7}  {size}")
