"""Params overrides for one run (`Project.run(overrides={"train.lr": 0.1})`): the highest
precedence, validated by the stage's StageParams, never written to params.yaml."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pivot import errors
from pivot.base import importing, yamldoc
from pivot.declare import discovery
from pivot.declare.stage import Stage, base_name


def apply(pipeline: discovery.LoadedPipeline, overrides: Mapping[str, Any]) -> discovery.LoadedPipeline:
    """The pipeline with each `STAGE.KEY: value` set. STAGE is a stage's full name
    (`train@small`) or its base name (every variant of `train`); KEY may be dotted into a
    nested param (`train.optimizer.lr`)."""
    changed: dict[str, dict[str, Any]] = {}
    given: dict[str, list[str]] = {}  # stage -> the overrides that set it, for error messages
    for spec, value in overrides.items():
        stage_part, key = _split(spec, pipeline)
        for name in _stages(pipeline, stage_part, spec):
            params = changed.setdefault(name, _copy(pipeline.stages[name].params))
            _set(params, key.split("."), value)
            given.setdefault(name, []).append(spec)
    stages = dict(pipeline.stages)
    for name, params in changed.items():
        stages[name] = _validated(stages[name], params, ", ".join(f"'{spec}'" for spec in given[name]))
    return dataclasses.replace(pipeline, stages=stages)


def _split(spec: str, pipeline: discovery.LoadedPipeline) -> tuple[str, str]:
    """(stage, key): the longest prefix before a '.' that names a stage or a base name, since a
    variant's name may hold dots itself (`train@lr0.1.epochs`); else the part before the first."""
    dots = [i for i, char in enumerate(spec) if char == "." and 0 < i < len(spec) - 1]
    if not dots:
        raise errors.ParamsError(
            f"params override '{spec}': expected STAGE.KEY", hint="e.g. {'train.lr': 0.01} or {'train@small.lr': 0.01}"
        )
    bases = {base_name(name) for name in pipeline.stages}
    for dot in reversed(dots):
        if spec[:dot] in pipeline.stages or spec[:dot] in bases:
            return spec[:dot], spec[dot + 1 :]
    return spec[: dots[0]], spec[dots[0] + 1 :]


def _stages(pipeline: discovery.LoadedPipeline, stage: str, spec: str) -> list[str]:
    if stage in pipeline.stages:
        return [stage]
    variants = [name for name in pipeline.stages if base_name(name) == stage]
    if not variants:
        raise errors.ParamsError(
            f"params override '{spec}': no stage named '{stage}'",
            hint=yamldoc.did_you_mean(stage, list(pipeline.stages)) or "run 'pivot list' to see the stages",
        )
    return variants


def _copy(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _copy(value) if isinstance(value, Mapping) else value for key, value in params.items()}


def _set(params: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        inner = params.get(key)
        params[key] = inner = _copy(inner) if isinstance(inner, Mapping) else {}
        params = inner
    params[keys[-1]] = value


def _validated(stage: Stage, params: dict[str, Any], given: str) -> Stage:
    import pydantic

    if stage.params_class is None:
        raise errors.ParamsError(
            f"params override {given}: stage '{stage.name}' takes no params",
            hint="override only stages whose function takes 'params: <StageParams subclass>'",
        )
    model = importing.import_object(stage.params_class)
    unknown = [key for key in params if key not in model.model_fields]
    if unknown:
        raise errors.ParamsError(
            f"params override {given}: stage '{stage.name}' has no param '{unknown[0]}' (not a field of {model.__name__})",
            hint=yamldoc.did_you_mean(unknown[0], model.model_fields),
        )
    try:
        values = model.model_validate(params).model_dump(mode="json")
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(part) for part in err["loc"])
        raise errors.ParamsError(
            f"params override {given}: stage '{stage.name}': param '{field}': {err['msg']} (got {err.get('input')!r})",
            hint=f"give a value {model.__name__} accepts",
        ) from None
    return dataclasses.replace(stage, params=values)
