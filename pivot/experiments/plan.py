"""What a sweep will run: its experiments (names and overrides) and the stages they share.

Every experiment's overrides are validated by loading the pipeline with them before anything
runs, so bad `-S` input ends the command with nothing written. A stage is shared when its params
are the workspace's in every experiment and every stage upstream of it is shared: its inputs
are then the same everywhere, so it runs once and the others restore it from the run cache.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from pivot import errors
from pivot.api import Project, session
from pivot.experiments import record, sweep


@dataclasses.dataclass(frozen=True, slots=True)
class Experiment:
    name: str
    overrides: Mapping[str, Any]
    stages: tuple[str, ...]  # what it runs: the targets and everything upstream


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    targets: tuple[str, ...]
    experiments: tuple[Experiment, ...]
    shared: tuple[str, ...]  # stages identical in every experiment, in run order


def make(proj: Project, options: Sequence[str], *, targets: Sequence[str] = (), zipped: bool = False, name: str | None = None) -> Plan:
    """The experiments of `-S` OPTIONS; `name` names the only experiment, or is the prefix of
    the names (`<name>-<n>`, default `exp`) when there are several."""
    combos = sweep.expand(options, zipped=zipped)
    names = _names(proj, name, len(combos))
    base = proj.load_pipeline(check_sources=False)
    experiments = []
    loaded_params: list[Mapping[str, Mapping[str, Any]]] = []
    for exp_name, combo in zip(names, combos, strict=True):
        loaded = proj.load_pipeline(check_sources=False, overrides=combo)
        selected = tuple(session.select(loaded, targets))
        experiments.append(Experiment(exp_name, combo, selected))
        loaded_params.append({n: s.params for n, s in loaded.pipeline.stages.items()})
    shared: list[str] = []
    for stage in base.graph.order:
        same = all(params[stage] == base.pipeline.stages[stage].params for params in loaded_params)
        if same and base.graph.upstream[stage] <= set(shared) and any(stage in e.stages for e in experiments):
            shared.append(stage)
    return Plan(tuple(targets), tuple(experiments), tuple(shared))


def _names(proj: Project, name: str | None, count: int) -> list[str]:
    if count == 1 and name is not None:
        if (record.exps_dir(proj) / f"{record.check_name(name)}.json").exists():
            raise errors.InputError(
                f"an experiment named '{name}' exists",
                hint="choose another --name, or remove it first ('pivot exp remove')",
            )
        return [name]
    first = record.next_name(proj, name or "exp")
    prefix, _, number = first.rpartition("-")
    return [record.check_name(f"{prefix}-{int(number) + i}") for i in range(count)]
