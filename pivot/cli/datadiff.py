"""`pivot diff [OLD] [NEW]`: the data that changed between two revisions, or between one and the
workspace (pivot.api.datadiff), as text like `dvc diff`'s, `--json` or `--md`."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import click

from pivot.api.datadiff import Change, DataDiff
from pivot.cli import common


@click.command(name="diff")
@click.argument("old", default="HEAD", required=False)
@click.argument("new", required=False)
@click.option("--targets", "targets", multiple=True, metavar="PATH", help="Only the data at or inside PATH (a file inside a directory output too). Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, as `dvc diff --json`.")
@click.option("--md", "as_md", is_flag=True, help="A Markdown table, for a pull request.")
def diff(old: str, new: str | None, targets: tuple[str, ...], as_json: bool, as_md: bool) -> None:
    """The cached outputs and tracked (.pvt) data that differ between git revision OLD (default:
    HEAD) and NEW (default: the workspace): added, deleted, modified and renamed, a changed
    directory followed by the files in it that changed.

    What git holds (code, params.yaml, metrics kept in git) is git's to diff. Prints nothing when
    nothing differs."""
    if as_json and as_md:
        raise click.UsageError("--json and --md are two ways to print the same diff: choose one")
    found = common.api().data_diff(old, new, targets, cwd=pathlib.Path.cwd())
    if as_json:
        click.echo(json.dumps(_as_json(found), indent=2))
    elif as_md:
        click.echo(as_markdown(found), nl=False)
    elif not found.empty:
        click.echo(_as_text(found), nl=False)


def _files(changes: tuple[Change, ...]) -> int:
    return sum(1 for change in changes if not change.path.endswith("/"))


def _as_text(found: DataDiff) -> str:
    groups = [
        ("Added", [c.path for c in found.added]),
        ("Deleted", [c.path for c in found.deleted]),
        ("Renamed", [f"{r.old_path} -> {r.new_path}" for r in found.renamed]),
        ("Modified", [c.path for c in found.modified]),
        ("Not in cache", list(found.not_in_cache)),
    ]
    lines: list[str] = []
    for title, paths in groups:
        if paths:
            lines += [f"{title}:", *(f"    {path}" for path in paths), ""]
    summary = f"files summary: {_files(found.added)} added, {_files(found.deleted)} deleted"
    summary += f", {len(found.renamed)} renamed" if found.renamed else ""
    summary += f", {_files(found.modified)} modified"
    summary += f", {len(found.not_in_cache)} not in cache" if found.not_in_cache else ""
    return "\n".join([*lines, summary]) + "\n"


def _as_json(found: DataDiff) -> dict[str, Any]:
    return {
        "added": [{"path": c.path, "hash": c.new} for c in found.added],
        "deleted": [{"path": c.path, "hash": c.old} for c in found.deleted],
        "modified": [{"path": c.path, "hash": {"old": c.old, "new": c.new}} for c in found.modified],
        "renamed": [{"path": {"old": r.old_path, "new": r.new_path}, "hash": r.oid} for r in found.renamed],
        "not in cache": list(found.not_in_cache),
    }


def as_markdown(found: DataDiff) -> str:
    """A table of status and path (also the `Data` section of `pivot ci comment --data`)."""
    rows = [("added", c.path) for c in found.added] + [("deleted", c.path) for c in found.deleted]
    rows += [("renamed", f"{r.old_path} -> {r.new_path}") for r in found.renamed] + [("modified", c.path) for c in found.modified]
    rows += [("not in cache", path) for path in found.not_in_cache]
    escaped = [(status, path.replace("|", "\\|")) for status, path in rows]
    return "".join(["| Status | Path |\n", "|--------|------|\n", *(f"| {status} | {path} |\n" for status, path in escaped)])
