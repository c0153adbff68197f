"""What `pivot ci comment` decides: which revision a pull request's report compares with, and
where the report goes (the job summary first, then one sticky PR comment, else the log). Git is
reached through `pivot.base.git`, GitHub through `pivot.report.github` only."""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Mapping, Sequence

from pivot import errors
from pivot.base import git
from pivot.report import github, summary

_SHALLOW_HINT = "give actions/checkout `fetch-depth: 0` so the base branch and its history are there"


@dataclasses.dataclass(frozen=True, slots=True)
class Published:
    """Where a report went. `posted` is None when no comment was attempted (`reason` says why);
    a FALLBACK `posted` carries the warning, and the report is in the job summary if
    `summary_written`, else nowhere yet."""

    markdown: str
    summary_written: bool
    posted: github.Result | None
    reason: str = ""


def report(root: pathlib.Path, base: str | None, title: str, env: Mapping[str, str], extra: Sequence[tuple[str, str]] = ()) -> str:
    """The markdown report against `base` (default: see `default_base`), with the `extra`
    (heading, markdown) sections, such as the experiments table, at its end."""
    return summary.build(root, base or default_base(root, env), title, extra)


def publish(markdown: str, title: str, env: Mapping[str, str]) -> Published:
    """Write the job summary (first, so the report survives even when GitHub then keeps failing),
    then create or update the pull request's comment for `title`."""
    summary_file = env.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        github.append_step_summary(summary_file, markdown)
    found = github.detect(env)
    if found.context is None:
        return Published(markdown, bool(summary_file), None, found.reason)
    marker = summary.MARKER_TEMPLATE.format(title=title)
    posted = github.upsert_comment(found.context, marker, markdown, retry=github.retry_policy(env))
    return Published(markdown, bool(summary_file), posted)


def default_base(root: pathlib.Path, env: Mapping[str, str]) -> str:
    """On a pull request, where it branched from its target (as GitHub's diff does); else HEAD."""
    target = env.get("GITHUB_BASE_REF")
    if not target:
        return "HEAD"
    repo = git.open_repo(root)
    ref = f"origin/{target}"
    if not git.has_commit(repo, ref):
        # One try, for checkouts that fetched only the PR's commit.
        failure = git.fetch_branch(repo, "origin", target)
        if failure is not None:
            raise errors.RevisionError(
                f"the pull request's base branch origin/{target} is not in this checkout and fetching it "
                f"failed ({failure})",
                hint=_SHALLOW_HINT,
            )
    found = git.merge_base(repo, "HEAD", ref)
    if found:
        return found
    if git.is_shallow(repo):
        raise errors.RevisionError(
            f"cannot find where HEAD branched from {ref}: this checkout's history is shallow",
            hint=_SHALLOW_HINT,
        )
    raise errors.RevisionError(
        f"HEAD and {ref} have no commit in common", hint="pass the revision to compare with: --base REV"
    )
