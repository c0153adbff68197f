"""Resolve a stage's params: params.yaml over pivot.yaml `params:` over the StageParams defaults.

Validation errors name the stage, the field and the file the offending value came from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pydantic

from pivot import errors
from pivot.base import project, yamldoc
from pivot.declare.stage import base_name


@dataclasses.dataclass(frozen=True, slots=True)
class Source:
    """Values for one stage from one file, with where each key was written."""

    values: Mapping[str, Any]
    doc: yamldoc.Document
    prefix: yamldoc.Loc  # the location of the stage's mapping inside doc

    def where(self, key: str | tuple[str, ...]) -> str:
        """`file:line` of `key` (or of a nested key path) in this stage's mapping."""
        return self.doc.where((*self.prefix, *((key,) if isinstance(key, str) else key)))


def load_params_file(proj: project.Project, stage_names: list[str], shared: Collection[str] = ()) -> yamldoc.Document:
    """params.yaml, checked to be `{stage: {key: value}}` for stages that exist; a key may also be
    the base name of variants (`train` for every `train@...`), or (`shared`) one that shell stages
    read, which may hold any value."""
    doc = yamldoc.load(proj.params_file, project.PARAMS_FILE)
    if not isinstance(doc.data, dict):
        raise errors.ParamsError(
            f"{project.PARAMS_FILE}: expected a mapping of stage names to params",
            hint="write 'train:' and under it, indented, 'learning_rate: 0.01'",
        )
    known = set(stage_names) | {base_name(name) for name in stage_names}
    for name, values in doc.data.items():
        if name in shared:
            continue
        if name not in known:
            raise errors.ParamsError(
                f"{doc.where((name,))}: params for unknown stage '{name}'",
                hint=yamldoc.did_you_mean(name, known),
            )
        if values is not None and not isinstance(values, dict):  # `train:` with every key commented out is fine
            raise errors.ParamsError(
                f"{doc.where((name,))}: params for stage '{name}' must be a mapping of names to values",
                hint=f"write '{name}:' and under it, indented, one 'param: value' per line",
            )
    return doc


def file_sources(doc: yamldoc.Document, stage: str) -> list[Source]:
    """params.yaml's values for `stage`: those of its base name first, then its own on top."""
    keys = dict.fromkeys((base_name(stage), stage))
    return [Source(doc.data.get(key) or {}, doc, (key,)) for key in keys]


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
    # Errors about no value in particular (a required field nobody set) point at the stage.
    stage_where = sources[0].doc.where(sources[0].prefix) if sources else model.__name__
    return _validate(stage, model, merged, origin, stage_where)


def _validate(
    stage: str,
    model: type[pydantic.BaseModel],
    merged: dict[str, Any],
    origin: dict[str, Source],
    stage_where: str,
) -> dict[str, Any]:
    import pydantic  # the user's StageParams class already imported it

    try:
        instance = model.model_validate(merged)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(str(part) for part in err["loc"])
        field = ".".join(loc)
        source = origin.get(loc[0]) if loc else None
        if source is None and err["type"] == "missing":
            raise errors.ParamsError(
                f"{stage_where}: stage '{stage}': param '{field}' is required "
                f"({model.__name__} gives it no default)",
                hint="set it under the stage's 'params:' in pivot.yaml, or in params.yaml",
            ) from None
        where = source.where(loc) if source else stage_where
        got = f" (got {err['input']!r})" if loc and "input" in err else ""
        raise errors.ParamsError(
            f"{where}: stage '{stage}': param '{field or model.__name__}': {err['msg']}{got}",
            hint=f"fix the value, or check the field's type in {model.__name__}",
        ) from None
    return instance.model_dump(mode="json")
