"""What a sweep will run: its experiments (names and overrides) and the stages they share.

Every experiment's overrides are validated by loading the pipeline with them before anything
runs, so bad `-S` input ends the command with nothing written. All experiments run on the same
code and data, so a stage's inputs are the same in two experiments when its params and the
inputs of every stage upstream of it are. Such a stage runs in the first experiment that has it
(its leader); in the others it waits for the leader's and is then restored from the run cache.
A stage whose inputs are the workspace's in every experiment is `shared`: it runs (at most) once.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pivot import errors
from pivot.api import Project, session
from pivot.declare import graph as graph_mod
from pivot.experiments import record, sweep


@dataclasses.dataclass(frozen=True, slots=True)
class Experiment:
    name: str
    overrides: Mapping[str, Any]
    stages: tuple[str, ...]  # what it runs: the targets and everything upstream
    loaded: session.Loaded  # the pipeline with its overrides, loaded from the workspace
    # stage -> the earlier experiment that runs it with the same inputs: this one restores it
    # from the run cache once the leader has finished it
    leaders: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    targets: tuple[str, ...]
    experiments: tuple[Experiment, ...]
    shared: tuple[str, ...]  # stages identical in every experiment, in run order


def make(proj: Project, options: Sequence[str], *, targets: Sequence[str] = (), zipped: bool = False, name: str | None = None) -> Plan:
    """The experiments of `-S` OPTIONS; `name` names the only experiment, or is the prefix of
    the names (`<name>-<n>`, default `exp`) when there are several."""
    combos = sweep.expand(options, zipped=zipped)
    return build(proj, _names(proj, name, len(combos)), combos, targets)


def build(proj: Project, names: Sequence[str], combos: Sequence[Mapping[str, Any]], targets: Sequence[str] = ()) -> Plan:
    """The experiments `names`, each with its overrides of `combos` (a queue's, or a sweep's)."""
    base = proj.load_pipeline(check_sources=False)
    keys: list[dict[str, str]] = []
    experiments = []
    for exp_name, combo in zip(names, combos, strict=True):
        combo = dict(combo)
        loaded = proj.load_pipeline(check_sources=False, overrides=combo)
        experiments.append(Experiment(exp_name, combo, tuple(session.select(loaded, targets)), loaded))
        keys.append(_input_keys(loaded.graph))
    workspace = _input_keys(base.graph)
    shared = tuple(
        stage
        for stage in base.graph.order
        if any(stage in e.stages for e in experiments) and all(k[stage] == workspace[stage] for k in keys)
    )
    return Plan(tuple(targets), tuple(_with_leaders(experiments, keys)), shared)


def _input_keys(graph: graph_mod.Graph) -> dict[str, str]:
    """Per stage, a text that is equal in two experiments when the stage's inputs are."""
    keys: dict[str, str] = {}
    for name in graph.order:
        upstream = sorted(keys[up] for up in graph.upstream[name])
        keys[name] = json.dumps([name, dict(graph.stages[name].params), upstream], sort_keys=True, default=repr)
    return keys


def _with_leaders(experiments: list[Experiment], keys: list[dict[str, str]]) -> list[Experiment]:
    first: dict[str, str] = {}  # input key -> the first experiment that runs it
    done = []
    for exp, exp_keys in zip(experiments, keys, strict=True):
        leaders = {}
        for stage in exp.stages:
            leader = first.setdefault(exp_keys[stage], exp.name)
            if leader != exp.name:
                leaders[stage] = leader
        done.append(dataclasses.replace(exp, leaders=leaders))
    return done


def _names(proj: Project, name: str | None, count: int) -> list[str]:
    if count == 1 and name is not None:
        if record.taken(proj, record.check_name(name)):
            raise errors.InputError(
                f"an experiment named '{name}' exists",
                hint="choose another --name, or remove it first ('pivot exp remove')",
            )
        return [name]
    first = record.next_name(proj, name or "exp")
    prefix, _, number = first.rpartition("-")
    return [record.check_name(f"{prefix}-{int(number) + i}") for i in range(count)]
