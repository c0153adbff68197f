"""What `pivot fetch` and `pivot pull` bring beyond the objects the locks reference: the outputs
of the recorded runs that `pivot run` would restore from, planned as `pivot run` plans (counting
entries whose objects are still on the remote)."""

from __future__ import annotations

from collections.abc import Sequence

from pivot import errors
from pivot.decide import observe
from pivot.declare import loadmemo
from pivot.storage.runcache import RunEntry
from pivot.worktree import lockview, session
from pivot.worktree.workspace import Workspace


def recorded_outputs(ws: Workspace, targets: Sequence[str]) -> tuple[set[str], str | None]:
    """The objects of the run-cache entries a run of `targets` would restore from, planned as
    `pivot run` would (counting entries whose objects are still remote); or none, and why the
    pipeline could not be loaded."""
    if next(ws.run_cache.keys(), None) is None:
        return set(), None  # nothing recorded anywhere: no need to import the pipeline's code
    if loadmemo.cached(ws.project) is None and lockview.pipeline(ws.project) is not None:
        # A clean checkout whose committed locks describe the pipeline: `pivot run` would restore
        # from its locks, not from recorded runs, so none are worth importing the user's code for.
        return set(), None
    try:
        loaded = session.load(ws.project)
        names = session.select(loaded, targets)
    except errors.InputError as exc:
        return set(), exc.message
    oids: set[str] = set()
    for decision in observe.predict(ws, loaded.graph, loaded.pipeline.fingerprints, names, fetchable=True):
        if decision.from_run_cache:
            entry: RunEntry | None = ws.run_cache.read(decision.run_cache_key)
            oids |= entry.oids() if entry is not None else set()
    return oids, None
