"""`run_sweep`: run a sweep's experiments in scratch trees, at most `jobs` at once, and record them.

The stages every experiment shares run once first, in this process, in a scratch tree of their
own (when any of them is stale); meanwhile each experiment's process starts in its own scratch
tree and waits at its gate, so its start-up overlaps that work. An experiment's gate opens once
the shared stages are done and the leaders it awaits (plan.Experiment.awaits) have finished the
stages it has in common with them: it then restores those from the run cache instead of running
them again. The workspace is only read; scratch trees go when the sweep ends, however it ends.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

from pivot import errors
from pivot.api import Project, session
from pivot.base import atomic, git
from pivot.base import project as project_mod
from pivot.executor import reporting
from pivot.experiments import children, record, scratch
from pivot.experiments import plan as plan_mod

SHARED = "_shared"  # the scratch tree the shared stages run in: not a valid experiment name


class Progress:
    """What a sweep tells its caller as it goes; the CLI subclasses it. Called from one thread."""

    def started(self, total_stages: int, experiments: int) -> None:
        """Before anything runs: how many stage results and experiments to expect."""

    def stage_finished(self, experiment: str, stage: str, status: str) -> None:
        """A stage of `experiment` (or of the shared run, `_shared`) ended."""

    def experiment_finished(self, rec: record.ExpRecord) -> None:
        """An experiment ended and was recorded."""


def run_sweep(proj: Project, plan: plan_mod.Plan, *, jobs: int | None = None, progress: Progress | None = None) -> list[record.ExpRecord]:
    """Run every experiment of `plan`; a failed one is recorded as failed and the rest go on."""
    progress = progress or Progress()
    jobs = jobs or os.cpu_count() or 1
    project_mod.ensure_dot_dir(proj.paths)  # a project that never ran: the records need .pivot/
    shared = _stale_shared(proj, plan)
    progress.started(len(shared) + sum(len(e.stages) for e in plan.experiments), len(plan.experiments))
    with session.project_lock(proj.paths), scratch.cleaned(proj.paths):
        _ignore_records(proj)
        sweep = _Sweep(proj, plan, jobs, progress)
        try:
            if shared:
                _run_shared(proj, shared, jobs, _Relay(progress, sweep.fill))
            sweep.shared_done = True
            sweep.fill()
            while sweep.pending or sweep.running:
                sweep.step()
                sweep.fill()
        finally:
            children.stop(sweep.running)
    return sweep.done


class _Sweep:
    """The experiments waiting, running (at most `slots` at once) and done."""

    def __init__(self, proj: Project, plan: plan_mod.Plan, jobs: int, progress: Progress) -> None:
        self.proj, self.plan, self.progress = proj, plan, progress
        self.pending = list(plan.experiments)
        self.slots = max(1, min(jobs, len(self.pending)))
        self.per_child = max(1, jobs // self.slots)
        self.running: list[children.Child] = []
        self.started: dict[str, children.Child] = {}
        self.done: list[record.ExpRecord] = []
        self.shared_done = False
        self.base = _git_head(proj)

    def fill(self) -> None:
        while self.pending and len(self.running) < self.slots:
            child = children.start(self.proj, self.pending.pop(0), self.per_child)
            self.running.append(child)
            self.started[child.name] = child

    def step(self) -> None:
        """Relay events, open the gates that may open, and record the experiments that ended."""
        for child in list(self.running):
            ended = child.ended()  # before reading: an ended child's events are all written
            children.read_events(child, self.progress.stage_finished)
            if ended:
                self.running.remove(child)
                self._record(child)
        for child in self.running:
            if self.shared_done and all(self._reached(leader, stage) for leader, stage in self._exp(child.name).awaits):
                child.open_gate()
        time.sleep(0.03)

    def _reached(self, leader: str, stage: str) -> bool:
        child = self.started.get(leader)
        return child is not None and (stage in child.finished or child.ended())

    def _exp(self, name: str) -> plan_mod.Experiment:
        return next(e for e in self.plan.experiments if e.name == name)

    def _record(self, child: children.Child) -> None:
        exp = self._exp(child.name)
        result = child.result or children.failure(child)
        rec = record.ExpRecord(
            name=exp.name,
            base=self.base,
            created=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            status=result["status"],
            error=result.get("error"),
            overrides=dict(exp.overrides),
            params=result.get("params") or {},
            metrics=result.get("metrics") or {},
            locks=result.get("locks") or {},
        )
        record.write(self.proj, rec)
        scratch.remove(child.root)  # now, while others run, rather than all at the end
        self.done.append(rec)
        self.progress.experiment_finished(rec)


class _Relay(reporting.Reporter):
    """The shared run's progress, told as the `_shared` experiment's; when its first stage
    starts, the experiments are started too (they wait at their gates)."""

    def __init__(self, progress: Progress, on_start: Any) -> None:
        self._progress = progress
        self._on_start = on_start

    def stage_started(self, name: str, decision: Any) -> None:
        self._on_start()

    def stage_finished(self, result: reporting.StageResult) -> None:
        self._progress.stage_finished(SHARED, result.name, result.status.value)


def _run_shared(proj: Project, stages: tuple[str, ...], jobs: int, reporter: reporting.Reporter) -> None:
    """Run the shared stages once in a scratch tree of their own; the run cache then holds them
    for every experiment. If they fail, each experiment runs (and reports) them itself."""
    root = scratch.create(proj.paths, SHARED)
    executor = "inprocess" if len(stages) == 1 else None  # one stage: a pool would only cost start-up
    try:
        with _noticing_ctrl_c():
            Project.open(root).run(stages, jobs=jobs, keep_going=True, executor=executor, reporter=reporter)
    except errors.Interrupted:
        raise  # Ctrl-C: the sweep ends, nothing is recorded
    except errors.PivotError:
        pass


@contextlib.contextmanager
def _noticing_ctrl_c() -> Iterator[None]:
    """Ctrl-C ends the sweep even when it lands in a stage run in this process, where the run
    takes it for that stage's failure (and, keeping going, would go on)."""
    seen: list[int] = []

    def interrupt(signum: int, frame: object) -> None:
        seen.append(signum)
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGINT, interrupt)
    except ValueError:  # not the main thread (embedded use): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if seen:
        raise KeyboardInterrupt


def _stale_shared(proj: Project, plan: plan_mod.Plan) -> tuple[str, ...]:
    """The shared stages worth running once first: only with several experiments, and only when
    one of them would run (an up-to-date stage is restored in each scratch tree anyway)."""
    if len(plan.experiments) < 2 or not plan.shared:
        return ()
    decisions = proj.plan(plan.shared, keep_going=True)
    return plan.shared if any(d.run for d in decisions) else ()


def _ignore_records(proj: Project) -> None:
    """Records are the user's, not the repository's: ignored by a .gitignore of their own, so a
    project whose .pivot/.gitignore predates them needs no change to a tracked file."""
    directory = record.exps_dir(proj)
    directory.mkdir(parents=True, exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        atomic.write_text(ignore, "*\n")


def _git_head(proj: Project) -> str | None:
    try:
        repo = git.open_repo(proj.root)
        return git.resolve(repo, "HEAD") if git.has_commits(repo) else None
    except errors.RevisionError:
        return None
