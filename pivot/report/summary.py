"""The pull-request report: params and metrics diffs against a base revision, and stage status,
as one markdown document that starts with a hidden marker so the comment can be found again."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence

from pivot.base import git, project, wording
from pivot.decide import observe, status
from pivot.declare import discovery, graph, loadmemo
from pivot.report import diff, snapshot, views
from pivot.worktree import workspace

MARKER_TEMPLATE = "<!-- pivot-report: {title} -->"


def marker(title: str) -> str:
    return MARKER_TEMPLATE.format(title=title)


def build(root: pathlib.Path, base: str, title: str, extra: Sequence[tuple[str, str]] = ()) -> str:
    """The report; `extra` are more (heading, markdown) sections, after the stages."""
    proj = project.Project(root)
    repo = git.open_repo(root)
    pipeline = loadmemo.load(proj)
    old = snapshot.at_revision(repo, base, lambda: snapshot.declared_kinds(pipeline), snapshot.cache_objects(proj))
    new = snapshot.workspace(pipeline)
    label = _label(repo, base)
    params = views.params_diff(diff.compare(old.params, new.params), label, "workspace")
    metrics = views.metrics_diff(
        diff.compare(old.metrics, new.metrics),
        label,
        "workspace",
        old_unreadable=old.unreadable,
        new_unreadable=new.unreadable,
    )
    parts = [
        marker(title),
        f"### {title}",
        "",
        f"Compared with `{label}`.",
        "",
        "#### Params",
        "",
        params.markdown(),
        "#### Metrics",
        "",
        metrics.markdown(),
        "#### Stages",
        "",
        _stages(proj, pipeline),
    ]
    for heading, body in extra:
        parts += [f"#### {heading}", "", body]
    return "\n".join(parts)


def _label(repo: git.Repo, base: str) -> str:
    """A full sha (as a merge-base is) reads better shortened; names stay as written."""
    if len(base) == 40 and all(c in "0123456789abcdef" for c in base):
        return base[:8]
    return base


def _stages(proj: project.Project, pipeline: discovery.LoadedPipeline) -> str:
    built = graph.build(pipeline.stages, exists=lambda path: os.path.lexists(proj.abspath(path)))
    ws = workspace.open_workspace(proj)
    try:
        decisions = observe.predict(ws, built, pipeline.fingerprints, built.order)
    finally:
        ws.close()
    stale = [d for d in decisions if d.run or d.from_run_cache]
    if not stale:
        every = "" if len(decisions) == 1 else "All "
        return f"{every}{wording.count(len(decisions), 'stage')} {wording.be(len(decisions))} up to date.\n"
    total = wording.count(len(decisions), "stage")
    lines = [f"{len(stale)} of {total} {wording.be(len(stale))} stale (run `pivot run`):", ""]
    lines += [f"- `{d.stage}`: {_why(d)}" + (" (restored from run cache)" if d.from_run_cache else "") for d in stale]
    return "\n".join(lines) + "\n"


def _why(d: status.Decision) -> str:
    if d.missing_deps:
        return "blocked: " + ", ".join(f"`{path}`" for path in d.missing_deps) + " missing, and no stage produces it"
    if d.blocked_by:
        return "blocked: upstream " + ", ".join(f"`{up}`" for up in d.blocked_by) + " cannot run"
    return d.reason_text()
