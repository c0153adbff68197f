"""`pivot exp save`: the workspace as it is now, recorded as an experiment without running
anything, as DVC's `dvc exp save` does after a run made by hand (`pivot run -S`, an edited
params.yaml).

Only an up-to-date workspace is saved: the record's locks are the workspace's, and applying the
experiment later must give back exactly what its metrics measured. Its overrides are the params
that differ from the git HEAD's locks (none outside a repository), so `exp show` lists what this
experiment changed, as it does for one `exp run` made.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from pivot import errors
from pivot.base import project as project_mod
from pivot.experiments import outcome, record

if TYPE_CHECKING:
    from pivot.api.project import Project


class StaleWorkspace(errors.PivotError):
    """Stages would run: their locks do not describe the workspace's outputs."""


def save(proj: Project, name: str | None = None) -> record.ExpRecord:
    """Record the workspace as experiment `name` (default: the next `exp-N`); refused when a
    stage is not up to date or the name is taken."""
    from pivot.api import session
    from pivot.report import snapshot

    chosen = _name(proj, name)
    stale = [status.stage for status in proj.status() if status.will_run or status.blocked or status.restore]
    if stale:
        shown = ", ".join(stale[:5]) + (f" and {len(stale) - 5} more" if len(stale) > 5 else "")
        raise StaleWorkspace(
            f"not saved: {len(stale)} stage{'s' if len(stale) != 1 else ''} would run ({shown})",
            hint="run them first (pivot run; an output missing here comes back with pivot checkout), then save; "
            "pivot status says why each would run",
        )
    loaded = proj.load_pipeline()
    project_mod.ensure_dot_dir(proj.paths)
    with session.project_lock(proj.paths), session.opened(proj.paths, proj.defer) as ws:
        rec = record.ExpRecord(
            name=chosen,
            base=record.git_head(proj.root),
            created=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            status="ok",
            error=None,
            overrides=_overrides(proj),
            params={stage: dict(s.params) for stage, s in loaded.pipeline.stages.items() if s.params},
            metrics={path: dict(values) for path, values in snapshot.workspace(loaded.pipeline).metrics.items()},
            locks=outcome.locks_of(ws, list(loaded.pipeline.stages)),
        )
        record.keep_out_of_git(proj.paths)
        record.write(proj.paths, rec)
    return rec


def _name(proj: Project, name: str | None) -> str:
    if name is None:
        return record.next_name(proj.paths)
    if (record.exps_dir(proj.paths) / f"{record.check_name(name)}.json").exists():
        raise errors.InputError(
            f"an experiment named '{name}' exists",
            hint="choose another --name, or remove it first ('pivot exp remove')",
        )
    return name


def _overrides(proj: Project) -> dict[str, Any]:
    """`STAGE.KEY` -> value for each param the workspace has and the git HEAD's locks lack or
    differ on; nothing outside a repository or before the first commit."""
    from pivot.report import diff

    if record.git_head(proj.root) is None:
        return {}
    rows = proj.compare("HEAD").params
    return {f"{row.group}.{row.key}": row.new for row in rows if row.new is not diff.ABSENT}

