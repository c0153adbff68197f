"""`Project`: one pivot project opened as a library, the object every CLI command is a shell over.

Each method loads what it needs from the project's own root (never the current directory), so
two projects can be open in one process; the user's modules of one never serve the other
(`pivot.base.importing.prepare_imports` forgets them whenever the other project is loaded).
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import pathlib
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from pivot.api import results
from pivot.base import project as project_mod

if TYPE_CHECKING:  # each method imports what it needs: `status` never imports the executor, and a
    # run with nothing to do (pivot.api.noop) never loads the pipeline
    from pivot.api import datadiff, getrev, hooks, imports, session, sync, values
    from pivot.api import plots as plots_mod
    from pivot.api import remotes as remotes_mod
    from pivot.api import watch as watch_mod
    from pivot.decide.status import Decision
    from pivot.declare import graph as graph_mod
    from pivot.declare.selection import Chosen, Selection
    from pivot.declare.stage import Stage
    from pivot.executor import reporting
    from pivot.report import history, snapshot
    from pivot.worktree import references


@dataclasses.dataclass(frozen=True, slots=True)
class Project:
    """A pivot project on disk. Open it with `Project.open(path)`."""

    paths: project_mod.Project
    defer: session.Defer | None = None  # see session.Defer; None raises such an error at once

    @classmethod
    def open(cls, path: str | os.PathLike[str] = ".", *, defer: session.Defer | None = None) -> Project:
        """The project at `path` or the nearest directory above it holding pivot.yaml,
        pipeline.py or .pivot/ (as the CLI finds it from the current directory)."""
        return cls(project_mod.Project(project_mod.find_root(pathlib.Path(path).resolve())), defer)

    @property
    def root(self) -> pathlib.Path:
        return self.paths.root

    # ------------------------------------------------------------------ pipeline

    def load_pipeline(
        self, *, check_sources: bool = True, overrides: Mapping[str, Any] | None = None, code: bool = True
    ) -> session.Loaded:
        """The stages and their graph, as declared now (imports the user's modules if they changed).
        `code=False`: the stages' names, paths, kinds and params only, from the committed locks when
        they describe the pipeline, so that the user's modules need not be imported."""
        from pivot.api import session

        return session.load(self.paths, check_sources=check_sources, overrides=overrides, code=code)

    def list(self, targets: Sequence[str] = (), selection: Selection | None = None) -> builtins.list[Stage]:
        """The stages TARGETS name (default: all), in run order; `selection` as `status` lists
        them (docs/selection.md): with tags kept or left out, or with what depends on them."""
        from pivot.api import session

        loaded = self.load_pipeline(check_sources=False, code=False)
        wanted = set(session.choose_shown(loaded, targets, selection).shown)
        return [loaded.graph.stages[name] for name in loaded.graph.order if name in wanted]

    def dag(self, targets: Sequence[str] = (), selection: Selection | None = None) -> tuple[graph_mod.Graph, tuple[str, ...]]:
        """The stage graph and the stages TARGETS select with everything upstream of them (or as
        `selection` reaches: downstream, the stages alone, tags kept or left out)."""
        from pivot.api import session

        loaded = self.load_pipeline(check_sources=False)
        return loaded.graph, session.choose_shown(loaded, targets, selection).names

    def dag_html(self, out: str | os.PathLike[str], targets: Sequence[str] = (), selection: Selection | None = None) -> pathlib.Path:
        """Write the graph `dag` selects to the HTML page `out`, each stage coloured by its state
        (see `pivot.api.dagstate`); returns the page's path."""
        from pivot.api import dagstate

        return dagstate.write(self, pathlib.Path(out), targets, selection)

    # ------------------------------------------------------------------ run

    def run(
        self,
        targets: Sequence[str] = (),
        *,
        jobs: int | None = None,
        force: bool = False,
        keep_going: bool = False,
        overrides: Mapping[str, Any] | None = None,
        executor: str | None = None,
        reporter: reporting.Reporter | None = None,
        run_cache: bool = True,
        address: str | None = None,
        download: bool = True,
        selection: Selection | None = None,
        pull: bool = False,
        retries: int = 0,
        resources: Mapping[str, int] | None = None,
    ) -> results.RunReport:
        """Run the stale stages of TARGETS (default: all) and of everything upstream of them.

        `overrides` ({"train.lr": 0.1}) set params for this run only; `executor` is "loky",
        "forkserver", "inprocess" or "dask" (default: executor.kind in .pivot/config.yaml, else a
        local process pool); `reporter` hears each stage as it starts and ends (default: silent).
        A failing stage is reported in the result (`report.ok`), not raised. `selection` changes
        which stages TARGETS pick (docs/selection.md; `select` says which it leaves out); `pull`
        first fetches the selected stages' outputs and the remote's run cache, so that a stale
        stage someone already ran is restored rather than run. A failed stage runs again up to
        `retries` times (its own `retries:` wins). `resources` ({"gpu": 2}) limits what the
        stages' `resources:` may hold at once, above executor.resources of the config."""
        from pivot.api import executors, running
        from pivot.executor import reporting

        request = executors.Request(jobs, force, keep_going, executor, run_cache, address, download, retries, resources)
        return running.run(self, targets, request, reporter or reporting.Reporter(), overrides=overrides, selection=selection, pull=pull)

    def plan(
        self,
        targets: Sequence[str] = (),
        *,
        force: bool = False,
        keep_going: bool = False,
        run_cache: bool = True,
        overrides: Mapping[str, Any] | None = None,
        selection: Selection | None = None,
    ) -> builtins.list[Decision]:
        """What `run` with these arguments would do, stage by stage (upstream stages included),
        without running anything: a dry run."""
        from pivot.api import running

        return running.plan(self, targets, force=force, keep_going=keep_going, run_cache=run_cache, overrides=overrides, selection=selection)

    # ------------------------------------------------------------------ status

    def status(
        self, targets: Sequence[str] = (), *, overrides: Mapping[str, Any] | None = None, selection: Selection | None = None
    ) -> builtins.list[results.StageStatus]:
        """One entry per stage TARGETS name (default: all): up to date, or will run and why
        (with `overrides`: were `run` given them)."""
        return list(self.status_report(targets, tracked=False, overrides=overrides, selection=selection).stages)

    def status_report(
        self,
        targets: Sequence[str] = (),
        *,
        tracked: bool = True,
        overrides: Mapping[str, Any] | None = None,
        selection: Selection | None = None,
    ) -> results.StatusReport:
        """`status`, plus each .pvt-tracked path (with TARGETS, those their stages depend on)."""
        from pivot.api import judging

        decisions, paths = judging.evaluate(
            self, targets, force=False, run_cache=True, with_tracked=tracked, overrides=overrides, selection=selection
        )
        return results.StatusReport(
            tuple(results.StageStatus.of(d) for d in decisions),
            tuple(results.TrackedStatus(item.path, item.pvt, state) for item, state in paths),
        )

    def explain(
        self,
        targets: Sequence[str] = (),
        *,
        force: bool = False,
        run_cache: bool = True,
        overrides: Mapping[str, Any] | None = None,
        selection: Selection | None = None,
    ) -> builtins.list[Decision]:
        """Why each stage TARGETS name will run or not, in full (what `pivot explain` prints)."""
        from pivot.api import judging

        return judging.evaluate(self, targets, force=force, run_cache=run_cache, with_tracked=False, overrides=overrides, selection=selection)[0]

    # ------------------------------------------------------------------ params and metrics (pivot.api.values)

    def params(self, targets: Sequence[str] = (), rev: str | None = None) -> dict[str, dict[str, Any]]:
        """Each stage's resolved params (params.yaml > pivot.yaml > Python defaults), nested as the
        stage receives them; at a git `rev`, as its lock files recorded them. Stages without params
        are left out."""
        from pivot.api import values

        return values.params(self, targets, rev)

    def metrics(self, rev: str | None = None) -> snapshot.Snapshot:
        """The values of every Metric output, flattened (`.metrics`), and the files that could not
        be read (`.unreadable`): in the workspace, or as committed at a git `rev`."""
        from pivot.api import values

        return values.metrics(self, rev)

    def compare(self, old_rev: str | None = None, new_rev: str | None = None, *, include_unchanged: bool = False) -> values.Comparison:
        """Params and metrics at OLD_REV (default HEAD) against NEW_REV (default: the workspace)."""
        from pivot.api import values

        return values.compare(self, old_rev, new_rev, include_unchanged=include_unchanged)

    def metrics_history(self, count: int = 10, metrics: Sequence[str] = ()) -> history.History:
        """Each metric (all, or those `metrics` names: a key or FILE:KEY) at each of the last
        `count` commits of the current branch (first parents from HEAD), newest first, read
        from git without a checkout."""
        from pivot.api import values

        return values.metrics_history(self, count, metrics)

    # ------------------------------------------------------------------ data

    def load(self, stage_or_path: str, output: str | None = None, rev: str | None = None) -> Any:
        """An output's value through its declared loader (see `pivot.api.load`)."""
        from pivot.api import data

        return data.load(self, stage_or_path, output, rev)

    def open_file(self, path: str, rev: str | None = None) -> IO[bytes]:
        """A binary file object for `path` (see `pivot.api.open`; `open` is the classmethod)."""
        from pivot.api import data

        return data.open_file(self, path, rev)

    def plots(self, targets: Sequence[str] = (), revisions: Sequence[str] = ("workspace",)) -> plots_mod.Plots:
        """Each plot TARGETS name (plot paths or stages; default: all) at each of `revisions`
        ("workspace", git revisions, experiment names), as views to draw (see docs/plots.md)."""
        from pivot.api import plots as plots_mod

        return plots_mod.plots(self, targets, revisions)

    # ------------------------------------------------------------------ remotes (pivot.api.sync)

    def push(self, targets: Sequence[str] = (), *, remote: str | None = None, jobs: int | None = None, dry_run: bool = False, progress: sync.Progress | None = None) -> sync.PushResult:
        from pivot.api import sync

        return sync.push(self.paths, targets, remote=remote, jobs=jobs, dry_run=dry_run, progress=progress)

    def fetch(self, targets: Sequence[str] = (), *, remote: str | None = None, jobs: int | None = None, progress: sync.Progress | None = None) -> sync.FetchResult:
        from pivot.api import sync

        return sync.fetch(self.paths, targets, remote=remote, jobs=jobs, progress=progress)

    def pull(self, targets: Sequence[str] = (), *, remote: str | None = None, jobs: int | None = None, force: bool = False, progress: sync.Progress | None = None) -> sync.PullResult:
        from pivot.api import sync

        return sync.pull(self.paths, targets, remote=remote, jobs=jobs, force=force, progress=progress)

    def checkout(self, targets: Sequence[str] = (), *, force: bool = False, relink: bool = False) -> sync.CheckoutResult:
        from pivot.api import sync

        return sync.checkout(self.paths, targets, force=force, relink=relink)

    def gc(
        self,
        *,
        remote: str | None = None,
        dry_run: bool = False,
        grace: str | None = None,
        drop_run_cache: bool = False,
        projects: Sequence[str | os.PathLike[str]] = (),
        revisions: references.Revisions | None = None,
    ) -> sync.GcResult:
        """Delete what nothing references (see `pivot.api.sync.gc`); `revisions` keeps what
        other commits' locks and .pvt files name too."""
        from pivot.api import sync

        return sync.gc(self.paths, remote=remote, dry_run=dry_run, grace=grace, drop_run_cache=drop_run_cache, projects=projects, revisions=revisions)

    # ------------------------------------------------------------------ remote config (pivot.api.remotes)

    def remote_add(self, name: str, url: str, *, default: bool = False, force: bool = False, local: bool = False, cwd: pathlib.Path | None = None) -> remotes_mod.RemoteChange:
        from pivot.api import remotes

        return remotes.add(self.paths, name, url, default=default, force=force, local=local, cwd=cwd)

    def remote_modify(self, name: str, key: str, value: str | None = None, *, unset: bool = False, local: bool = False, cwd: pathlib.Path | None = None) -> remotes_mod.RemoteChange:
        from pivot.api import remotes

        return remotes.modify(self.paths, name, key, value, unset=unset, local=local, cwd=cwd)

    def remote_remove(self, name: str) -> remotes_mod.RemoteChange:
        from pivot.api import remotes

        return remotes.remove(self.paths, name)

    def remotes(self) -> builtins.list[remotes_mod.RemoteInfo]:
        from pivot.api import remotes

        return remotes.list_remotes(self.paths)

    # ------------------------------------------------------------------ selection (docs/selection.md)

    def select(self, targets: Sequence[str] = (), selection: Selection | None = None) -> Chosen:
        """The stages `run` with TARGETS and `selection` would decide, and those it leaves out."""
        from pivot.api import session

        return session.choose(self.load_pipeline(), targets, selection)

    # ------------------------------------------------------------------ watch (pivot.api.watch)

    def watch(self, targets: Sequence[str] = (), *, debounce_ms: int = 300, events: watch_mod.Events | None = None, **options: Any) -> None:
        """`run(targets, **options)`, then again each time something the pipeline is built from
        changes (deps, params, pivot.yaml, its Python sources; never its outputs), `debounce_ms`
        after the last change; a change during a run is followed by one more run. Returns never:
        Ctrl-C raises KeyboardInterrupt, or `Interrupted` from inside a run."""
        from pivot.api import watch

        watch.loop(self, lambda: self.run(targets, **options), targets=targets, debounce_ms=debounce_ms, events=events)

    def import_url(self, url: str, out: str | None = None, *, force: bool = False, cwd: pathlib.Path | None = None) -> imports.Imported:
        """Fetch URL (a file or directory on S3, GCS, HTTP or disk) into OUT and track it with its
        source, as `dvc import-url` (see `pivot.api.imports`)."""
        from pivot.api import imports

        return imports.import_url(self, url, out, force=force, cwd=cwd)

    def import_repo(
        self, url: str, path: str, out: str | None = None, *, rev: str | None = None, force: bool = False, cwd: pathlib.Path | None = None
    ) -> imports.Imported:
        """Fetch PATH of another project's git repository at URL into OUT and track it with its
        source, as `dvc import` (see `pivot.api.imports`)."""
        from pivot.api import imports

        return imports.import_repo(self, url, path, out, rev=rev, force=force, cwd=cwd)

    def update(self, paths: Sequence[str] = (), *, rev: str | None = None, cwd: pathlib.Path | None = None) -> builtins.list[imports.Imported]:
        """Fetch again the imported PATHS (default: all) whose source changed, as `dvc update`;
        `rev` moves the repository imports among them to another branch, tag or commit."""
        from pivot.api import imports

        return imports.update(self, paths, rev=rev, cwd=cwd)

    def install_hooks(self) -> builtins.list[hooks.Hook]:
        """Write the git hooks that keep the data in step with git (see `pivot.api.hooks`)."""
        from pivot.api import hooks

        return hooks.install(self)

    def data_diff(
        self, old: str = "HEAD", new: str | None = None, targets: Sequence[str] = (), *, cwd: pathlib.Path | None = None
    ) -> datadiff.DataDiff:
        """Which cached outputs and tracked data differ between git revision OLD and NEW (default:
        the workspace), as `dvc diff` says it (see `pivot.api.datadiff`)."""
        from pivot.api import datadiff

        return datadiff.diff(self, old, new, targets, cwd)

    def get(self, paths: Sequence[str], rev: str, *, out: pathlib.Path | None = None, force: bool = False, cwd: pathlib.Path | None = None) -> builtins.list[getrev.Got]:
        """Write PATHS as they were at git revision REV (see `pivot.api.getrev`); the locks are never touched."""
        from pivot.api import getrev

        return getrev.get(self, paths, rev, out=out, force=force, cwd=cwd)
