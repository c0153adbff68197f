"""`run_sweep`: every experiment of a sweep in ONE scheduler run, and each recorded as it ends.

The scheduler's graph holds one node per (experiment, stage). A stage whose inputs are the same
in several experiments (plan.Experiment.leaders) runs once, in the first of them; in the others
its node waits for that one and is then restored from the run cache, so the sweep pays for it
once. Every other node runs as soon as its upstream nodes are done, up to `jobs` at once, in the
experiment's scratch tree (a copy of the workspace) on the project's own code. The workspace is
only read; scratch trees go when the sweep ends, however it ends.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Mapping
from typing import Any

from pivot.api import Project, executors, exp_show, session
from pivot.base import atomic
from pivot.base import project as project_mod
from pivot.executor import pool, reporting
from pivot.executor.run import RunOptions, StageHooks, temps_to_remake
from pivot.executor.scheduler import NodeState, Scheduler, Submission
from pivot.executor.task import StageOutcome
from pivot.experiments import apply, outcome, record, scratch
from pivot.experiments import plan as plan_mod
from pivot.worktree.workspace import Workspace

SEPARATOR = "/"  # between the experiment and the stage in a node's name: in neither of them


class Progress:
    """What a sweep tells its caller as it goes; the CLI subclasses it. Called from one thread."""

    def started(self, total_stages: int, experiments: int) -> None:
        """Before anything runs: how many stage results and experiments to expect."""

    def stage_finished(self, experiment: str, stage: str, status: str) -> None:
        """A stage of `experiment` ended (ran, restored, failed...)."""

    def experiment_finished(self, rec: record.ExpRecord) -> None:
        """An experiment ended and was recorded."""


def run_sweep(
    proj: Project,
    plan: plan_mod.Plan,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    retries: int = 0,
    resources: Mapping[str, int] | None = None,
) -> list[record.ExpRecord]:
    """Run every experiment of `plan`; a failed one is recorded as failed and the rest go on.
    `retries` and `resources` mean what they mean to `pivot run` (the limits over the config's)."""
    progress = progress or Progress()
    jobs = jobs or pool.default_jobs()
    project_mod.ensure_dot_dir(proj.paths)  # a project that never ran: the records need .pivot/
    kind = executors.choose(executors.Request(), None)  # a local pool: scratch trees are local
    options = RunOptions(jobs, keep_going=True, executor=kind, retries=retries)
    with session.project_lock(proj.paths), scratch.cleaned(proj.paths), contextlib.ExitStack() as stack:
        record.keep_out_of_git(proj.paths)  # records are the user's, not the repository's
        sweep = _Sweep(proj, plan, progress)
        for exp in plan.experiments:
            here = Project.open(scratch.create(proj.paths, exp.name))
            _write_params(here, exp)
            sweep.add(exp, stack.enter_context(session.opened(here.paths)), options)
        if kind == "forkserver":
            from pivot.executor import warm

            warm.expect(str(proj.root), sweep.modules())  # the server holds the stages' modules
        progress.started(len(sweep.order), len(plan.experiments))
        workers = max(1, min(jobs, len(sweep.order)))
        scheduler = Scheduler(
            sweep.order,
            sweep.upstream,
            sweep,
            jobs=jobs,
            keep_going=True,
            make_executor=lambda: pool.LazyExecutor(lambda: pool.create(workers, kind)),
            mutex=sweep.mutex(),
            threads=sweep.threads(),
            resources=sweep.resources(),
            limits={**sweep.limits(), **(resources or {})},
        )
        with executors.sigterm_as_interrupt():
            states = scheduler.run()
        sweep.finish(states)
    return sweep.done


class _Member:
    """One experiment in the sweep: its scratch workspace, its hooks and what it has left."""

    def __init__(self, exp: plan_mod.Experiment, hooks: StageHooks, ws: Workspace) -> None:
        self.exp, self.hooks, self.ws = exp, hooks, ws
        self.left = set(exp.stages)
        self.recorded = False


class _Sweep:
    """The scheduler's hooks over every experiment's stages: a node `exp/stage` is the stage
    `stage` of experiment `exp`, decided, run and committed by that experiment's own hooks."""

    def __init__(self, proj: Project, plan: plan_mod.Plan, progress: Progress) -> None:
        self.proj, self.plan, self.progress = proj, plan, progress
        self.members: dict[str, _Member] = {}
        self.done: list[record.ExpRecord] = []
        self.base = record.git_head(proj.root)
        # Every experiment of a sweep is created when the sweep starts, as a queued one would be.
        self.created = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        stages = plan.experiments[0].loaded.graph.order if plan.experiments else ()
        self.order = [_node(e.name, s) for s in stages for e in plan.experiments if s in e.stages]
        self.upstream: dict[str, frozenset[str]] = {}
        for exp in plan.experiments:
            graph = exp.loaded.graph
            for stage in exp.stages:
                ups = {_node(exp.name, up) for up in graph.upstream[stage] if up in exp.stages}
                if stage in exp.leaders:  # restored from the leader's run, once it has one
                    ups.add(_node(exp.leaders[stage], stage))
                self.upstream[_node(exp.name, stage)] = frozenset(ups)

    def add(self, exp: plan_mod.Experiment, ws: Workspace, options: RunOptions) -> None:
        loaded = exp.loaded
        hooks = StageHooks(ws, loaded.pipeline, loaded.graph, options, _Relay(self, exp.name), code_root=str(self.proj.root))
        hooks.temps_needed = temps_to_remake(ws, loaded.pipeline, loaded.graph, exp.stages, options)
        self.members[exp.name] = _Member(exp, hooks, ws)

    def modules(self) -> set[str]:
        graph = self.plan.experiments[0].loaded.graph
        return {stage.func.partition(":")[0] for stage in graph.stages.values() if stage.func}

    def mutex(self) -> dict[str, tuple[str, ...]]:
        return {node: tuple(groups) for node, groups in self._policy("mutex").items()}

    def threads(self) -> dict[str, int]:
        return {node: n for node, n in self._policy("threads").items() if n > 1}

    def resources(self) -> dict[str, dict[str, int]]:
        return {node: dict(amounts) for node, amounts in self._policy("resources").items()}

    def _policy(self, key: str) -> dict[str, Any]:
        """Each experiment's stages' value of a policy key (`mutex`, `threads`...), where set."""
        return {
            _node(exp.name, stage): value
            for exp in self.plan.experiments
            for stage in exp.stages
            if (value := getattr(exp.loaded.graph.stages[stage], key))
        }

    def limits(self) -> dict[str, int]:
        """The config's executor.resources (every scratch tree has the project's config)."""
        return dict(next(iter(self.members.values())).ws.settings.executor.resources) if self.members else {}

    # ----------------------------------------------------------- the scheduler's hooks

    def prepare(self, name: str) -> Submission | None:
        member, stage = self._split(name)
        return member.hooks.prepare(stage)

    def complete(self, name: str, result: StageOutcome) -> bool | str:
        member, stage = self._split(name)
        return member.hooks.complete(stage, result)

    def crashed(self, name: str, message: str) -> None:
        member, stage = self._split(name)
        member.hooks.crashed(stage, message)

    def tick(self) -> None:
        for member in self.members.values():
            member.hooks.tick()

    def _split(self, name: str) -> tuple[_Member, str]:
        exp, _, stage = name.partition(SEPARATOR)
        return self.members[exp], stage

    # ----------------------------------------------------------- records

    def stage_ended(self, exp: str, result: reporting.StageResult) -> None:
        member = self.members[exp]
        self.progress.stage_finished(exp, result.name, result.status.value)
        member.left.discard(result.name)
        if not member.left:
            self._record(member)

    def finish(self, states: Mapping[str, NodeState]) -> None:
        """After the run: the stages that never started, then every experiment not yet recorded."""
        for name, state in states.items():
            if state in (NodeState.BLOCKED, NodeState.NOT_STARTED):
                member, stage = self._split(name)
                member.hooks.record(reporting.StageResult(stage, reporting.StageStatus(state.value)))
        for member in self.members.values():
            if not member.recorded:
                self._record(member)

    def _record(self, member: _Member) -> None:
        exp = member.exp
        results = [member.hooks.results[s] for s in exp.stages if s in member.hooks.results]
        found = outcome.collect(member.ws, exp.loaded.pipeline, results, exp.leaders)
        rec = record.ExpRecord(
            name=exp.name,
            base=self.base,
            created=self.created,
            status=found.status,
            error=found.error,
            overrides=dict(exp.overrides),
            params=found.params,
            metrics=found.metrics,
            locks=found.locks,
        )
        record.write(self.proj, rec)
        member.recorded = True
        self.done.append(rec)
        self.progress.experiment_finished(rec)


class _Relay(reporting.Reporter):
    """One experiment's stage results, passed on to the sweep."""

    def __init__(self, sweep: _Sweep, exp: str) -> None:
        self._sweep, self._exp = sweep, exp

    def stage_finished(self, result: reporting.StageResult) -> None:
        self._sweep.stage_ended(self._exp, result)


def _node(exp: str, stage: str) -> str:
    return f"{exp}{SEPARATOR}{stage}"


def _write_params(here: Project, exp: plan_mod.Experiment) -> None:
    """The experiment's values in its scratch tree's params.yaml too, as `exp apply` would write
    them: a shell stage's script that reads params.yaml itself (as DVC's do) sees them."""
    if exp.overrides:
        params = exp_show.param_paths(exp.loaded.pipeline, exp.overrides)
        atomic.write_text(here.paths.params_file, apply.params_yaml(here.paths, params))
