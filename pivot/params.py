"""Resolve a stage's params: params.yaml over pivot.yaml `params:` over the StageParams defaults.

Validation errors name the stage, the field and the file the offending value came from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pydantic

from pivot import errors, project, yamldoc


@dataclasses.dataclass(frozen=True, slots=True)
class Source:
    """Values for one stage from one file, with where each key was written."""

    values: Mapping[str, Any]
    doc: yamldoc.Document
    prefix: tuple[str, ...]  # the location of the stage's mapping inside doc

    def where(self, key: str) -> str:
        return self.doc.where((*self.prefix, key))


def load_params_file(proj: project.Project, stage_names: list[str]) -> yamldoc.Document:
    """params.yaml, checked to be `{stage: {key: value}}` for stages that exist."""
    doc = yamldoc.load(proj.params_file, project.PARAMS_FILE)
    if not isinstance(doc.data, dict):
        raise errors.ParamsError(f"{project.PARAMS_FILE}: expected a mapping of stage names to params")
    for name, values in doc.data.items():
        if name not in stage_names:
            raise errors.ParamsError(
                f"{doc.where((name,))}: params for unknown stage '{name}'",
                hint=yamldoc.did_you_mean(name, stage_names),
            )
        if not isinstance(values, dict):
            raise errors.ParamsError(
                f"{doc.where((name,))}: params for stage '{name}' must be a mapping of names to values"
            )
    return doc


def resolve(stage: str, model: type[pydantic.BaseModel] | None, sources: list[Source]) -> dict[str, Any]:
    """The stage's params as JSON-like values; `sources` are ordered lowest precedence first."""
    given = [source for source in sources if source.values]
    if model is None:
        if given:
            first = given[0]
            key = next(iter(first.values))
            raise errors.ParamsError(
                f"{first.where(key)}: stage '{stage}' has params but its function takes no "
                "'params: <StageParams subclass>' argument",
                hint="add a StageParams parameter to the function, or remove these params",
            )
        return {}
    merged: dict[str, Any] = {}
    origin: dict[str, Source] = {}
    for source in given:
        for key, value in source.values.items():
            if key not in model.model_fields:
                raise errors.ParamsError(
                    f"{source.where(key)}: stage '{stage}': unknown param '{key}' "
                    f"(not a field of {model.__name__})",
                    hint=yamldoc.did_you_mean(key, model.model_fields),
                )
            merged[key] = value
            origin[key] = source
    return _validate(stage, model, merged, origin)


def _validate(
    stage: str, model: type[pydantic.BaseModel], merged: dict[str, Any], origin: dict[str, Source]
) -> dict[str, Any]:
    try:
        instance = model.model_validate(merged)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        source = origin.get(key)
        where = source.where(key) if source else f"{model.__module__}.{model.__name__}"
        raise errors.ParamsError(
            f"{where}: stage '{stage}': param '{key}': {err['msg']} (got {merged.get(key)!r})",
            hint=f"fix the value, or check the field's type in {model.__name__}",
        ) from None
    return instance.model_dump(mode="json")
