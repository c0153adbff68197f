"""`run_sweep`: run a sweep's experiments in scratch trees, at most `jobs` at once, and record them.

First the shared stages run once (when any is stale), in a scratch tree of their own; then each
experiment runs in its own process and scratch tree, where the shared stages are restored from
the run cache instead of run again. The workspace is only read: the user's outputs, locks,
params and metrics stay as they were. Scratch trees go when the sweep ends, however it ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from pivot import errors
from pivot.api import Project, session
from pivot.base import atomic, git
from pivot.base import project as project_mod
from pivot.executor import reporting
from pivot.experiments import plan as plan_mod
from pivot.experiments import record, scratch

SHARED = "_shared"  # the scratch tree the shared stages run in: not a valid experiment name


class Progress:
    """What a sweep tells its caller as it goes; the CLI subclasses it. Called from one thread."""

    def started(self, total_stages: int, experiments: int) -> None:
        """Before anything runs: how many stage results and experiments to expect."""

    def stage_finished(self, experiment: str, stage: str, status: str) -> None:
        """A stage of `experiment` (or of the shared run, `_shared`) ended."""

    def experiment_finished(self, rec: record.ExpRecord) -> None:
        """An experiment ended and was recorded."""


@dataclasses.dataclass
class _Child:
    name: str
    process: subprocess.Popen[bytes]
    events: pathlib.Path
    log: pathlib.Path
    offset: int = 0
    result: dict[str, Any] | None = None


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
            sweep.fill()
            _open(sweep.gate)
            while sweep.pending or sweep.running:
                sweep.collect()
                sweep.fill()
        finally:
            _stop(sweep.running)
    return sweep.done


class _Sweep:
    """The experiments waiting, running (at most `jobs` at once) and done.

    The experiments start while the shared stages run (in this process, which has pivot imported
    already): their start-up (interpreter, imports, loading) overlaps that work, and they run
    once the gate file exists."""

    def __init__(self, proj: Project, plan: plan_mod.Plan, jobs: int, progress: Progress) -> None:
        self.proj, self.plan, self.progress = proj, plan, progress
        self.pending = list(plan.experiments)
        self.slots = max(1, min(jobs, len(self.pending)))
        self.per_child = max(1, jobs // self.slots)
        self.running: list[_Child] = []
        self.done: list[record.ExpRecord] = []
        self.gate = scratch.root_of(proj.paths) / "shared-done"
        self.base = _git_head(proj)

    def fill(self) -> None:
        while self.pending and len(self.running) < self.slots:
            exp = self.pending.pop(0)
            self.running.append(_start(self.proj, exp.name, exp.overrides, exp.stages, self.per_child, gate=self.gate))

    def collect(self) -> None:
        for child in _wait(self.running, self.progress, first=True):
            self.running.remove(child)
            rec = _record(next(e for e in self.plan.experiments if e.name == child.name), child, self.base)
            record.write(self.proj, rec)
            self.done.append(rec)
            self.progress.experiment_finished(rec)


class _Relay(reporting.Reporter):
    """The shared run's progress, told as the `_shared` experiment's; when its first stage
    starts, the experiments are started too (they wait at the gate)."""

    def __init__(self, progress: Progress, on_start: Callable[[], None]) -> None:
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
    with contextlib.suppress(errors.PivotError):
        Project.open(root).run(stages, jobs=jobs, keep_going=True, executor=executor, reporter=reporter)


def _open(gate: pathlib.Path) -> None:
    gate.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(gate, "")


def _stale_shared(proj: Project, plan: plan_mod.Plan) -> tuple[str, ...]:
    """The shared stages worth running once first: only with several experiments, and only when
    one of them would run (an up-to-date stage is restored in each scratch tree anyway)."""
    if len(plan.experiments) < 2 or not plan.shared:
        return ()
    decisions = proj.plan(plan.shared, keep_going=True)
    return plan.shared if any(d.run for d in decisions) else ()


def _start(
    proj: Project,
    name: str,
    overrides: Mapping[str, Any],
    stages: tuple[str, ...],
    jobs: int,
    *,
    gate: pathlib.Path | None = None,
) -> _Child:
    root = scratch.create(proj.paths, name)
    work = root / ".pivot" / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    spec = {
        "root": os.fspath(root),
        "events": os.fspath(work / "events.jsonl"),
        "overrides": dict(overrides),
        "targets": list(stages),
        "jobs": jobs,
        # One stage at a time: this process is isolation enough, a pool would only cost startup.
        "executor": "inprocess" if jobs == 1 else None,
        "gate": os.fspath(gate) if gate is not None else None,
    }
    spec_path = work / "spec.json"
    atomic.write_text(spec_path, json.dumps(spec))
    log = work / "child.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pivot.experiments.child", os.fspath(spec_path)],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopped as a group (its pool too) by _stop, never by a stray Ctrl-C
        )
    return _Child(name, process, work / "events.jsonl", log)


def _wait(children: list[_Child], progress: Progress, *, first: bool = False) -> list[_Child]:
    """Relay the children's events until one (`first`) or all of them ended; those that ended."""
    while True:
        ended = []
        for child in children:
            exited = child.process.poll() is not None
            _read_events(child, progress)
            if exited:
                ended.append(child)
        if ended and (first or len(ended) == len(children)):
            return ended
        time.sleep(0.05)


def _read_events(child: _Child, progress: Progress) -> None:
    try:
        with child.events.open("rb") as handle:
            handle.seek(child.offset)
            data = handle.read()
    except FileNotFoundError:
        return
    complete = data[: data.rfind(b"\n") + 1]
    child.offset += len(complete)
    for line in complete.splitlines():
        event = json.loads(line)
        if "result" in event:
            child.result = event["result"]
        else:
            progress.stage_finished(child.name, event["stage"], event["status"])


def _record(exp: plan_mod.Experiment, child: _Child, base: str | None) -> record.ExpRecord:
    result = child.result
    if result is None:  # it died before saying how it went: its output says why
        tail = child.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        result = {"status": "failed", "error": "the experiment's process ended unexpectedly: " + " | ".join(tail)}
    return record.ExpRecord(
        name=exp.name,
        base=base,
        created=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        status=result["status"],
        error=result.get("error"),
        overrides=dict(exp.overrides),
        params=result.get("params") or {},
        metrics=result.get("metrics") or {},
        locks=result.get("locks") or {},
    )


def _stop(children: list[_Child]) -> None:
    """Stop what still runs (after Ctrl-C or an error): its half-done work is not recorded."""
    for child in children:
        if child.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGTERM)
    for child in children:
        try:
            child.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()


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
