"""`pivot ci comment`: the params/metrics report as one sticky PR comment and the job summary."""

from __future__ import annotations

import os
import pathlib
import subprocess
from collections.abc import Mapping

import click

from pivot import errors
from pivot.base import project
from pivot.report import git, github, summary

_SHALLOW_HINT = "give actions/checkout `fetch-depth: 0` so the base branch and its history are there"


@click.group()
def ci() -> None:
    """Report to continuous integration (GitHub Actions)."""


@ci.command()
@click.option("--base", metavar="REV", help="Compare with REV (default: the PR's merge-base, else HEAD).")
@click.option("--title", default="pivot", show_default=True, help="Report heading; one comment per title.")
@click.option("--dry-run", is_flag=True, help="Print the report; post nothing, write no job summary.")
def comment(base: str | None, title: str, dry_run: bool) -> None:
    """Post or update the PR comment with params and metrics diffs against the base."""
    env = os.environ
    root = project.find_root()
    markdown = summary.build(root, base or default_base(root, env), title)
    if dry_run:
        click.echo(markdown)
        return
    summary_file = env.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        # Written first, so the report survives even when GitHub then keeps failing.
        github.append_step_summary(summary_file, markdown)
    found = github.detect(env)
    if found.context is None:
        click.echo(markdown)
        click.echo(f"No comment was posted: {found.reason}.", err=True)
        return
    marker = summary.MARKER_TEMPLATE.format(title=title)
    result = github.upsert_comment(found.context, marker, markdown)
    if result.action is github.Action.FALLBACK:
        click.echo(f"warning: {result.warning}", err=True)
        if summary_file:
            click.echo("The report is in this job's summary instead.", err=True)
        else:
            click.echo(markdown)
        return
    verb = "Created" if result.action is github.Action.CREATED else "Updated"
    click.echo(f"{verb} comment {result.url or ''}".rstrip())


def default_base(root: pathlib.Path, env: Mapping[str, str]) -> str:
    """On a pull request, where it branched from its target (as GitHub's diff does); else HEAD."""
    target = env.get("GITHUB_BASE_REF")
    if not target:
        return "HEAD"
    repo = git.open_repo(root)
    ref = f"origin/{target}"
    if not _has_commit(repo, ref):
        _fetch(repo, target)
    found = git.merge_base(repo, "HEAD", ref)
    if found:
        return found
    if _is_shallow(repo):
        raise errors.RevisionError(
            f"cannot find where HEAD branched from {ref}: this checkout's history is shallow",
            hint=_SHALLOW_HINT,
        )
    raise errors.RevisionError(
        f"HEAD and {ref} have no commit in common", hint="pass the revision to compare with: --base REV"
    )


def _has_commit(repo: git.Repo, rev: str) -> bool:
    return _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode == 0


def _fetch(repo: git.Repo, target: str) -> None:
    # One try, for checkouts that fetched only the PR's commit; the explicit refspec makes
    # origin/<target> exist whatever remote.origin.fetch says.
    done = _git(repo, "fetch", "--no-tags", "origin", f"+refs/heads/{target}:refs/remotes/origin/{target}")
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1:] or ["git fetch failed"]
        raise errors.RevisionError(
            f"the pull request's base branch origin/{target} is not in this checkout and fetching it "
            f"failed ({reason[0]})",
            hint=_SHALLOW_HINT,
        )


def _is_shallow(repo: git.Repo) -> bool:
    return _git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def _git(repo: git.Repo, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # a fetch must fail, not wait for a password
    return subprocess.run(["git", *args], cwd=repo.toplevel, env=env, capture_output=True, text=True, check=False)
