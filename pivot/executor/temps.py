"""Temp outputs (`temp: true`, Snakemake's temp()): intermediate files that are never cached and
leave the workspace once every stage reading them is up to date after a run. Their stage stays up
to date without them (its lock records their hash, which a reader compares instead), and runs
again first when a reader must run (`pivot.decide.observe.predict`)."""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import TYPE_CHECKING

from pivot.base import project
from pivot.executor.reporting import RunSummary, StageStatus

if TYPE_CHECKING:
    from pivot.declare.graph import Graph

_UP_TO_DATE = frozenset({StageStatus.RAN, StageStatus.SKIPPED, StageStatus.RESTORED, StageStatus.RUN_CACHE})


def remove_used(proj: project.Project, graph: Graph, summary: RunSummary) -> list[str]:
    """Remove each temp output whose stage and every stage reading it are up to date after this
    run; one a reader left out of the run (or one that failed) may still need is kept, and so is
    one that nothing reads."""
    if not graph.temps:
        return []
    state = {result.name: result.status for result in summary.results}
    removed = []
    for path, maker in sorted(graph.temps.items()):
        readers = [name for name in graph.downstream[maker] if any(project.overlaps(dep, path) for dep in graph.stages[name].dep_paths)]
        if not readers or any(state.get(name) not in _UP_TO_DATE for name in (maker, *readers)):
            continue
        target = proj.abspath(path)
        with contextlib.suppress(FileNotFoundError):
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            else:
                os.unlink(target)
            removed.append(path)
    return removed
