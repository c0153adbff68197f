"""`run_pipeline`: decide each stage when it becomes ready, restore or run it, and commit it."""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import os
import pathlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from pivot import errors
from pivot.base import atomic, diskfull
from pivot.decide import observe, rescheme, status
from pivot.declare.discovery import LoadedPipeline
from pivot.declare.graph import Graph
from pivot.declare.stage import Stage
from pivot.executor import commit, pool, temps, warm
from pivot.executor import task as task_mod
from pivot.executor.logs import LogTail, append_failure
from pivot.executor.reporting import Reporter, RunSummary, StageResult, StageStatus
from pivot.executor.scheduler import AGAIN, NodeState, Scheduler, Submission
from pivot.executor.task import StageOutcome, StageTask
from pivot.storage.lock import StageLock
from pivot.worktree import tracking
from pivot.worktree.workspace import Workspace


class Offload(Protocol):
    """Remote-cache mode: stages run where the workspace is not (implemented in pivot.scaleout)."""

    def adjust(self, stage: Stage, facts: status.Facts) -> status.Facts:
        """The facts as the remote knows them (outputs left there by --no-download)."""

    def submission(self, task: StageTask, facts: status.Facts) -> Submission:
        """Put the stage's deps where its worker can fetch them; what to submit."""

    def settle(self, stage: Stage, outcome: StageOutcome) -> None:
        """Bring a finished stage's outputs into the workspace (or leave them on the remote)."""


@dataclasses.dataclass(frozen=True, slots=True)
class RunOptions:
    """How a run goes: how many stages at once, on which executor, with which policies."""

    jobs: int
    force: bool = False
    keep_going: bool = False
    executor: str = "loky"  # or "inprocess"
    run_cache: bool = True  # restore stale stages from a matching recorded run
    retries: int = 0  # a failed stage without its own `retries` runs again this many times
    resources: Mapping[str, int] = dataclasses.field(default_factory=dict)  # limits, by name
    # Dask (set by the CLI): the executor to use instead of a local pool of `executor`, and, in
    # remote-cache mode, how each stage's data travels.
    pool_factory: Callable[[], concurrent.futures.Executor] | None = None
    offload: Offload | None = None
    # Work for this process once the first stages run (it only waits for them then), called once.
    meanwhile: Callable[[], None] | None = None


def run_pipeline(
    ws: Workspace,
    pipeline: LoadedPipeline,
    graph: Graph,
    names: Sequence[str],
    options: RunOptions,
    reporter: Reporter | None = None,
) -> RunSummary:
    reporter = reporter or Reporter()
    _check_resources(graph, names, options.resources)
    start = time.perf_counter()
    hooks = StageHooks(ws, pipeline, graph, options, reporter)
    hooks.temps_needed = temps_to_remake(ws, pipeline, graph, names, options)
    workers = max(1, min(options.jobs, len(names)))
    # (a pool whose workers were forked before the first decision is handed out at once)
    early = options.executor != "inprocess" and not warm.has_prespawned() and pool.first_stages_run(
        ws.project.lock_file, graph.upstream, names, options.jobs, force=options.force
    )
    reporter.run_started(len(names), options.jobs)
    scheduler = Scheduler(
        names,
        graph.upstream,
        hooks,
        jobs=options.jobs,
        keep_going=options.keep_going,
        # no more workers than stages: a default -j of 64 cores must not start 64 interpreters
        make_executor=options.pool_factory or (lambda: pool.LazyExecutor(lambda: pool.create(workers, options.executor), early=early)),
        mutex={name: graph.stages[name].mutex for name in names if graph.stages[name].mutex},
        threads={name: graph.stages[name].threads for name in names if graph.stages[name].threads > 1},
        resources={name: dict(graph.stages[name].resources) for name in names if graph.stages[name].resources},
        limits=options.resources,
    )
    states = scheduler.run()
    for name, state in states.items():
        if state in (NodeState.BLOCKED, NodeState.NOT_STARTED):
            hooks.record(StageResult(name, StageStatus(state.value)))
    summary = RunSummary(tuple(hooks.results[name] for name in names), time.perf_counter() - start, tuple(hooks.removed_temps))
    reporter.run_finished(summary)
    if hooks.disk_full is not None:
        # After the summary, so the user sees which stages finished (their results are kept),
        # then the one thing to fix: the command ends as any other command does on a full disk.
        raise hooks.disk_full
    return summary


def temps_to_remake(ws: Workspace, pipeline: LoadedPipeline, graph: Graph, names: Sequence[str], options: RunOptions) -> dict[str, tuple[str, ...]]:
    """The stages to run again because a stage that will run reads their temp outputs, removed
    after use, and which stages those are: planned as `explain` plans it (pivot.executor.temps)."""
    if not graph.temps or not observe.removed_temps(ws, graph):
        return {}
    predicted = observe.predict(ws, graph, pipeline.fingerprints, names, force=options.force, use_run_cache=options.run_cache)
    return {d.stage: d.needed_by for d in predicted if d.needed_by}


def _check_resources(graph: Graph, names: Sequence[str], limits: Mapping[str, int]) -> None:
    """Before anything starts: no stage may need more of a resource than the run has of it."""
    for name in names:
        for resource, amount in graph.stages[name].resources:
            if resource in limits and amount > limits[resource]:
                raise errors.ConfigError(
                    f"stage '{name}' needs {resource}={amount}, more than the {limits[resource]} this run has",
                    hint=f"raise the limit (pivot run --resources {resource}={amount}, or executor.resources in "
                    ".pivot/config.local.yaml), or lower the stage's resources",
                )


class StageHooks:
    """The scheduler's hooks for one workspace's stages: decide, restore or submit, commit.
    `code_root`: where workers import the stages' code from, when not the workspace itself (an
    experiment's scratch tree runs the project's code)."""

    def __init__(
        self,
        ws: Workspace,
        pipeline: LoadedPipeline,
        graph: Graph,
        options: RunOptions,
        reporter: Reporter,
        code_root: str | None = None,
    ) -> None:
        self._ws = ws
        self._code_root = code_root
        self._pipeline = pipeline
        self._graph = graph
        self._options = options
        self._reporter = reporter
        self._running: dict[str, tuple[status.Facts, status.Decision, LogTail]] = {}
        self.results: dict[str, StageResult] = {}
        self.disk_full: errors.DiskFullError | None = None  # the first write that found no space
        self._failures: dict[str, int] = {}  # failed runs of each stage so far (`retries`)
        self.temps_needed: Mapping[str, tuple[str, ...]] = {}  # stage -> the stages that need its temp outputs made again
        self.removed_temps: list[str] = []
        self._meanwhile = options.meanwhile

    def _note(self, exc: errors.PivotError) -> errors.PivotError:
        if isinstance(exc, errors.DiskFullError) and self.disk_full is None:
            self.disk_full = exc
        return exc

    def record(self, result: StageResult) -> None:
        self.results[result.name] = result
        if result.status not in (StageStatus.BLOCKED, StageStatus.NOT_STARTED):
            self._reporter.stage_finished(result)
        if self._graph.temps:  # a temp output every reader now has is removed at once
            self.removed_temps += temps.remove_read(self._ws.project, self._graph, self.results, result.name)

    def prepare(self, name: str) -> Submission | None:
        try:
            return self._prepare(name)
        except errors.PivotError as exc:
            if name not in self.results:  # every failure is reported once, as the stage's
                self.record(StageResult(name, StageStatus.FAILED, error=exc.message))
            raise self._note(exc) from None
        except OSError as exc:  # e.g. an output's parent directory is a file: the stage fails
            failure = _from_os_error(exc, "cannot prepare the stage", self._ws.project.root)
            self.record(StageResult(name, StageStatus.FAILED, error=failure.message))
            raise self._note(failure) from None

    def _prepare(self, name: str) -> Submission | None:
        stage = self._graph.stages[name]
        code = self._pipeline.fingerprints[name]
        written = self._ws.read_lock(name)
        lock = rescheme.current(stage, written, code, str(self._ws.project.root))
        removed = observe.removed_deps(self._ws, self._graph, stage) if self._graph.temps else {}
        facts, decision = observe.decide(
            self._ws,
            stage,
            code,
            lock,
            force=self._options.force,
            use_run_cache=self._options.run_cache,
            known=removed or None,
            adjust=self._options.offload.adjust if self._options.offload is not None else None,
        )
        if name in self.temps_needed:  # a stage that runs reads its temp output, removed after use
            decision = status.temp_needed(decision, self.temps_needed[name])
        if decision.run and removed:  # its stage is not in this run to make it again
            dep = next(iter(removed))
            message = f"dependency '{dep}' is a temp output, removed after use: run its stage '{self._graph.temps[dep]}' with this one"
            self.record(StageResult(name, StageStatus.FAILED, decision=decision, error=message))
            raise errors.StageFailedError(message)
        decision = self._restore(stage, lock, facts, decision)
        if decision.frozen_missing:  # its downstream stages would read outputs that are not there
            message = status.frozen_text(decision)
            self.record(StageResult(name, StageStatus.FAILED, decision=decision, error=message))
            raise errors.StageFailedError(message)
        if not decision.run:
            if rescheme.carried_over(written, lock) and not decision.from_run_cache and lock is not None:
                commit.record_scheme(self._ws, stage, lock)
            return None
        missing = [path for path, info in facts.deps.items() if info is None]
        if missing:
            message = f"dependency '{missing[0]}' is missing"
            if missing[0] in self._graph.missing.get(name, ()):
                message = f"dependency '{missing[0]}' does not exist and no stage produces it"
            elif tracking.is_source(self._ws.project, missing[0]):
                message += " (it is tracked: 'pivot checkout' restores it from the cache, 'pivot pull' from the remote)"
            self.record(StageResult(name, StageStatus.FAILED, decision=decision, error=message))
            raise errors.StageFailedError(message)
        commit.clear_outputs(self._ws, stage, facts.damaged.values(), lock)
        log_path = self._log_path(name)
        tail = LogTail(log_path, lambda line: self._reporter.stage_output(name, line))
        task = StageTask(
            stage,
            str(self._ws.project.root),
            str(log_path),
            on_cluster=self._options.pool_factory is not None,
            code_root=self._code_root,
            threads=min(stage.threads, max(1, self._options.jobs)),
        )
        # Remote-cache mode uploads the deps here: a failure fails the stage before it counts as running.
        offload = self._options.offload
        submission = offload.submission(task, facts) if offload else Submission(task_mod.run, (task,))
        self._running[name] = (facts, decision, tail)
        self._reporter.stage_started(name, decision)
        return submission

    def _restore(
        self, stage: Stage, lock: StageLock | None, facts: status.Facts, decision: status.Decision
    ) -> status.Decision:
        """Restore what the decision says to, and record the stage; if an object turns out
        damaged, the decision becomes a run (amended, not made again) and nothing is recorded."""
        entry = decision.run_cache_entry
        if decision.from_run_cache and entry is not None:
            try:
                commit.restore_run(self._ws, stage, entry, basis_of(stage, facts))
            except errors.CacheError as exc:  # a damaged object behind the entry: a miss after all
                decision = status.run_cache_failed(decision, f"restoring from the run cache failed: {exc.message}")
            else:
                self.record(StageResult(stage.name, StageStatus.RUN_CACHE, decision=decision))
                return decision
        if not decision.run and decision.restore and lock is not None:
            try:
                commit.restore(self._ws, stage, lock, decision.restore)
            except errors.CacheError as exc:  # the object was damaged (and removed): the stage runs
                decision = status.restore_failed(stage, decision, facts, exc.message)
        if not decision.run and not decision.frozen_missing:  # (a frozen stage's failure: _prepare)
            kind = StageStatus.RESTORED if decision.restore else StageStatus.SKIPPED
            kind = StageStatus.FROZEN if decision.frozen else kind
            self.record(StageResult(stage.name, kind, decision=decision))
        return decision

    def complete(self, name: str, outcome: StageOutcome) -> bool | str:
        facts, decision, tail = self._running.pop(name)
        if outcome.log is not None:  # captured where the workspace is not: relayed from here
            atomic.write_text(self._log_path(name), outcome.log)
        tail.close()
        if not outcome.ok and self._again(name, outcome):
            return AGAIN
        if not outcome.ok:
            if outcome.disk_full_hint is not None:
                self._note(errors.DiskFullError(outcome.error, hint=outcome.disk_full_hint))
            # After the tail is closed: the console shows the traceback once, from the result.
            append_failure(self._log_path(name), outcome.traceback or f"error: {outcome.error}")
            self.record(
                StageResult(
                    name, StageStatus.FAILED, outcome.duration, decision, outcome.error, outcome.traceback, outcome.worker, outcome.cpu, outcome.peak_rss
                )
            )
            return False
        try:
            stage = self._graph.stages[name]
            if outcome.produced is None:
                commit.commit(self._ws, stage, basis_of(stage, facts))
            else:
                self._options.offload.settle(stage, outcome)  # type: ignore[union-attr]
                commit.commit_produced(self._ws, stage, basis_of(stage, facts), outcome.produced)
        except errors.PivotError as exc:
            message = self._note(exc).message
            append_failure(self._log_path(name), f"error: {message}")
            self.record(StageResult(name, StageStatus.FAILED, outcome.duration, decision, message))
            return False
        except OSError as exc:  # e.g. permissions in the cache: no lock, the stage failed
            failure = _from_os_error(exc, "cannot save its outputs to the cache", self._ws.project.root)
            message = self._note(failure).message
            append_failure(self._log_path(name), f"error: {message}")
            self.record(StageResult(name, StageStatus.FAILED, outcome.duration, decision, message))
            return False
        self.record(StageResult(name, StageStatus.RAN, outcome.duration, decision, worker=outcome.worker, cpu=outcome.cpu, peak_rss=outcome.peak_rss))
        return True

    def _again(self, name: str, outcome: StageOutcome) -> bool:
        """Whether the failed stage runs again (its `retries`, else the run's, not used up; never
        after a full disk). Its log is kept as `<stage>.attempt-N.log`, the next run writes anew."""
        stage = self._graph.stages[name]
        allowed = self._options.retries if stage.retries is None else stage.retries
        failed = self._failures.get(name, 0) + 1
        if failed > allowed or outcome.disk_full_hint is not None:
            return False
        self._failures[name] = failed
        log = self._log_path(name)
        append_failure(log, outcome.traceback or f"error: {outcome.error}")
        with contextlib.suppress(OSError):  # a log that cannot be kept must not stop the retry
            os.replace(log, log.with_name(f"{name}.attempt-{failed}.log"))
        self._reporter.stage_retrying(name, failed, allowed + 1, outcome.error)
        return True

    def crashed(self, name: str, message: str) -> None:
        _, decision, tail = self._running.pop(name)
        tail.close()
        append_failure(self._log_path(name), f"error: {message}")
        self.record(StageResult(name, StageStatus.FAILED, decision=decision, error=message))

    def _log_path(self, name: str) -> pathlib.Path:
        return self._ws.project.logs_dir / f"{name}.log"

    def tick(self) -> None:
        meanwhile, self._meanwhile = self._meanwhile, None
        if meanwhile is not None:  # once, as the first stages run
            meanwhile()
            commit.prepare(self._ws, (observe.run_inputs(self._graph.stages[name], facts) for name, (facts, _, _) in self._running.items()))
        for _, _, tail in self._running.values():
            tail.poll()


def basis_of(stage: Stage, facts: status.Facts) -> commit.Basis:
    """What the lock records beside the outputs, from the facts the decision was made on (also
    what `pivot commit` records for outputs made outside a run)."""
    return commit.Basis(
        code_fingerprint=facts.fingerprint.digest,
        code_manifest=facts.fingerprint.manifest,
        code_scheme=facts.fingerprint.scheme,
        params=facts.params,
        deps={path: info for path, info in facts.deps.items() if info is not None},
        run_inputs=observe.run_inputs(stage, facts),
    )


def _from_os_error(exc: OSError, doing: str, root: pathlib.Path) -> errors.PivotError:
    if diskfull.is_full(exc):
        return diskfull.from_os_error(exc, near=root)
    return errors.StageFailedError(f"{doing}: {exc}")
