"""The plots part of the PR comment: each plot that changed against the base, drawn as a Mermaid
xychart GitHub renders in the comment itself (no image hosting), or, for what xychart cannot draw
(confusion matrices, scatter plots, images), a line saying where the drawn page is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pivot.plots import mermaid
from pivot.plots.model import PlotView

ARTIFACT = "pivot-plots"  # the artifact ci/action.yml uploads the plots page as
POINTS = 100  # per series: the comment stays small whatever the file holds


def changed(views: Sequence[PlotView]) -> list[PlotView]:
    """The views whose last revision (the workspace) differs from their first (the base)."""
    found = []
    for view in views:
        if len(view.series) < 2:
            continue
        old, new = view.series[0], view.series[-1]
        if (old.rows, old.image, old.error is None) != (new.rows, new.image, new.error is None):
            found.append(view)
    return found


def section(views: Sequence[PlotView], env: Mapping[str, str]) -> str | None:
    """Markdown for the changed plots among `views` (base first, workspace last); None when none
    changed. `env` is the job's environment, for the link to the run that holds the page."""
    parts = []
    for view in changed(views):
        heading = f"**{view.spec.title or view.spec.path}** (`{view.spec.path}`)"
        errors = [f"{s.revision}: {s.error}" for s in view.series if s.error]
        chart = mermaid.xychart(view, limit=POINTS)
        if chart is not None:
            parts.append(f"{heading}\n\n{chart}")
        else:
            what = "an image" if view.kind == "image" else f"a {view.spec.template} plot"
            parts.append(f"{heading}: {what}, drawn in {_where(env)}.")
        if errors:
            parts.append("\n".join(f"- {line}" for line in errors))
    return "\n\n".join(parts) if parts else None


def _where(env: Mapping[str, str]) -> str:
    server, repo, run = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    if server and repo and run:
        return f"the [`{ARTIFACT}` artifact of this run]({server}/{repo}/actions/runs/{run}) (`index.html`)"
    return "`pivot plots diff` (open its `pivot_plots/index.html`)"
