"""Temp outputs (`temp: true`, Snakemake's temp()): intermediate files that are never cached and
leave the workspace once every stage reading them is up to date in a run (as soon as the last
one has its result; what is left, at its end). Their stage stays up
to date without them (its lock records their hash, which a reader compares instead), and runs
again first when a reader must run (`pivot.decide.observe.predict`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pivot.base import project
from pivot.executor.reporting import RunSummary, StageResult, StageStatus

if TYPE_CHECKING:
    from pivot.declare.graph import Graph

_UP_TO_DATE = frozenset({StageStatus.RAN, StageStatus.SKIPPED, StageStatus.RESTORED, StageStatus.RUN_CACHE})


def remove_used(proj: project.Project, graph: Graph, summary: RunSummary) -> list[str]:
    """Remove each temp output whose stage and every stage reading it are up to date after this
    run; one a reader left out of the run (or one that failed) may still need is kept, and so is
    one that nothing reads."""
    return _remove(proj, graph, sorted(graph.temps), {result.name: result for result in summary.results})


def remove_read(proj: project.Project, graph: Graph, results: Mapping[str, StageResult], done: str) -> list[str]:
    """`remove_used` as the run goes: when stage `done` has its result, the temp outputs it made
    or read whose stage and readers are all up to date now (so the disk is freed as soon as
    Snakemake frees it, not only at the end of a long run)."""
    if not graph.temps:
        return []
    stage = graph.stages[done]
    # Its own temp outputs, and those it reads (whole: a dep inside a temp, or holding one, is refused).
    paths = [path for path in (*stage.out_paths, *stage.dep_paths) if path in graph.temps]
    return _remove(proj, graph, paths, results)


def _remove(proj: project.Project, graph: Graph, paths: Sequence[str], results: Mapping[str, StageResult]) -> list[str]:
    removed = []
    for path in paths:
        maker = graph.temps[path]
        readers = [name for name in graph.downstream[maker] if path in graph.stages[name].dep_paths]
        if not readers or any(name not in results or results[name].status not in _UP_TO_DATE for name in (maker, *readers)):
            continue
        target = proj.abspath(path)
        with contextlib.suppress(FileNotFoundError):
            if os.path.isdir(target) and not os.path.islink(target):
                import shutil  # on first use: shutil imports bz2 and lzma (2 ms of every run's start)

                shutil.rmtree(target)
            else:
                os.unlink(target)
            removed.append(path)
    return removed
