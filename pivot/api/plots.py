"""`Project.plots`: each plot of the pipeline drawn for every revision asked for, as `PlotView`s
(pivot.plots.model) that the page, the PR comment and `--json` draw as they are.

Cached plot files that the local cache lacks are fetched from the default remote first, when one
is configured; when none is, or it cannot supply them, the views say so in the series' error
rather than the command failing: the other charts are still worth drawing."""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from pivot import errors
from pivot.plots import resolve, sources, specs
from pivot.plots.model import PlotView
from pivot.storage.cache import Cache
from pivot.worktree import workspace

if TYPE_CHECKING:
    from pivot.api.project import Project

WORKSPACE = sources.WORKSPACE


@dataclasses.dataclass(frozen=True, slots=True)
class Plots:
    views: list[PlotView]
    fetched: int = 0  # cache objects brought from the remote before drawing
    remote: str | None = None  # the remote they came from (None: nothing was fetched)
    fetch_error: str | None = None  # why the remote could not supply what was missing


def plots(proj: Project, targets: Sequence[str] = (), revisions: Sequence[str] = (WORKSPACE,)) -> Plots:
    """The plots `targets` name (plot paths or stages; default: all) at each of `revisions`
    ("workspace", a git revision, an experiment's name), in the order given."""
    stages = proj.load_pipeline(check_sources=False).pipeline.stages
    chosen = specs.select(specs.declared(stages), targets, list(stages))
    asked = tuple(revisions) or (WORKSPACE,)
    located = [sources.locate(proj.paths, chosen, revision) for revision in asked]
    cache = Cache(workspace.cache_root(proj.paths))
    missing = set().union(*(sources.missing_objects(cache, where.values()) for where in located))
    result = _fetch(proj, missing) if missing else Plots([])
    why = sources.NOT_CACHED if result.fetch_error is None else f"not in the cache, and {result.fetch_error}"
    views = [
        resolve.view(spec, [sources.read(cache, spec, revision, where[spec.path], why) for revision, where in zip(asked, located, strict=True)])
        for spec in chosen
    ]
    return dataclasses.replace(result, views=views)


def _fetch(proj: Project, oids: Collection[str]) -> Plots:
    """Bring `oids` from the default remote; nothing to do when no remote is configured."""
    from pivot.api import sync
    from pivot.declare import config
    from pivot.remote import transfer

    settings = config.load_project_config(proj.paths)
    if not settings.remotes:
        return Plots([])
    try:
        with sync.remote_session(proj.paths, None) as (ws, there):
            summary = transfer.fetch(ws.cache, there, sorted(oids), jobs=sync.transfer_jobs(None))
    except errors.PivotError as exc:  # unreachable, refused, misconfigured: each chart says so
        return Plots([], fetch_error=f"the remote could not supply it ({exc.message})")
    problem = f"remote '{there.spec.name}' could not supply it ({summary.failed[0][1]})" if summary.failed else None
    return Plots([], fetched=summary.transferred, remote=there.spec.name, fetch_error=problem)


def diff_revisions(revisions: Sequence[str]) -> tuple[str, ...]:
    """What `plots diff REV...` draws, as `dvc plots diff` reads its revisions: none is HEAD
    against the workspace, one is that revision against the workspace, more are drawn as given."""
    if len(revisions) >= 2:
        return tuple(revisions)
    return (revisions[0] if revisions else "HEAD", WORKSPACE)


def comment_section(proj: Project, base: str | None, env: Mapping[str, str], page_dir: pathlib.Path | None = None) -> str | None:
    """The PR comment's plots section: each plot changed since `base` (default: what the report
    compares with), as a chart or a note (pivot.report.plotcharts); None when the pipeline has
    no plots or none changed. With `page_dir`, the page of every plot at both revisions is
    written there too (the action uploads it as the run's artifact, which the notes point at)."""
    from pivot.report import ci, plotcharts

    base = base or ci.default_base(proj.root, env)
    label = base[:8] if len(base) == 40 and all(c in "0123456789abcdef" for c in base) else base
    views = plots(proj, revisions=(label, WORKSPACE)).views
    if not views:
        return None
    if page_dir is not None:
        from pivot.plots import page

        page.write(views, page_dir, title=f"pivot plots: {label} against the workspace")
    return plotcharts.section(views, env)
