"""pivot.yaml and .pivot/config.yaml as validated values; errors carry file:line and a hint."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic

from pivot import errors, project, yamldoc

M = TypeVar("M", bound=pydantic.BaseModel)
STAGE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class StageConfig(_Strict):
    python: str
    deps: dict[str, str] = {}
    outs: dict[str, str] = {}
    metrics: dict[str, str] = {}
    plots: dict[str, str] = {}
    params: dict[str, Any] = {}

    @pydantic.field_validator("deps", "outs", "metrics", "plots", "params", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # `params:` with every line commented out reads as null: treat it as empty.
        return {} if value is None else value


class PipelineConfig(_Strict):
    stages: dict[str, StageConfig] = {}

    @pydantic.field_validator("stages", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return {} if value is None else value


class CacheSettings(_Strict):
    type: str | None = None


class ProjectConfig(pydantic.BaseModel):
    # Later features (remotes, executors) add sections here; unknown top-level keys are errors.
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)
    cache: CacheSettings = CacheSettings()
    remotes: dict[str, dict[str, Any]] = {}
    default_remote: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Pipeline:
    stages: Mapping[str, StageConfig]
    doc: yamldoc.Document


def load_pipeline(proj: project.Project) -> Pipeline:
    if not proj.pipeline_file.is_file():
        raise errors.ConfigError(
            f"no {project.PIPELINE_FILE} in {proj.root}",
            hint="create pivot.yaml with a 'stages:' mapping (see the README)",
        )
    doc = yamldoc.load(proj.pipeline_file, project.PIPELINE_FILE)
    config = validate(PipelineConfig, doc)
    folded: dict[str, str] = {}
    for name in config.stages:
        if not STAGE_NAME.match(name):
            raise errors.ConfigError(
                f"{doc.where(('stages', name))}: stage name '{name}' has characters other than "
                "letters, digits, '_', '.' and '-'",
                hint="rename the stage",
            )
        # Lock files are named after stages: on macOS and Windows 'Train' and 'train' collide.
        other = folded.setdefault(name.casefold(), name)
        if other != name:
            raise errors.ConfigError(
                f"{doc.where(('stages', name))}: stage names '{other}' and '{name}' differ only in case",
                hint="rename one of them",
            )
    return Pipeline(config.stages, doc)


def load_project_config(proj: project.Project) -> ProjectConfig:
    merged: dict[str, Any] = {}
    docs = []
    for path, display in (
        (proj.config_file, ".pivot/config.yaml"),
        (proj.local_config_file, ".pivot/config.local.yaml"),
    ):
        doc = yamldoc.load(path, display)
        docs.append(doc)
        validate(ProjectConfig, doc)  # each file on its own, so errors name the right one
        _deep_merge(merged, doc.data)
    return ProjectConfig.model_validate(merged)


def _deep_merge(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def validate(model: type[M], doc: yamldoc.Document) -> M:
    if not isinstance(doc.data, dict):
        raise errors.ConfigError(
            f"{doc.display}: expected a mapping at the top level, found {type(doc.data).__name__}",
            hint=f"write it as 'key: value' lines; allowed keys: {', '.join(model.model_fields)}",
        )
    try:
        return model.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        raise _config_error(model, doc, exc.errors()[0]) from None


def _config_error(model: type[pydantic.BaseModel], doc: yamldoc.Document, err: Any) -> errors.ConfigError:
    loc = tuple(err["loc"])
    where = doc.where(loc)
    field = ".".join(str(part) for part in loc)
    if err["type"] == "extra_forbidden":
        hint = yamldoc.did_you_mean(loc[-1], _allowed_keys(model, loc))
        return errors.ConfigError(f"{where}: unknown key '{field}'", hint=hint)
    if err["type"] == "missing":
        return errors.ConfigError(f"{where}: '{field}' is required", hint=f"add '{loc[-1]}:' there")
    return errors.ConfigError(f"{where}: '{field}': {err['msg']}", hint=_TYPE_HINTS.get(err["type"]))


_TYPE_HINTS = {
    "dict_type": "write it as a mapping: one 'name: value' per line, indented under it",
    "model_type": "write it as a mapping: one 'name: value' per line, indented under it",
    "string_type": "write a single string (quote it if YAML reads it as something else)",
    "bool_type": "write true or false",
    "list_type": "write it as a list: '- item' lines",
}


def _allowed_keys(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model that owns the last part of `loc`."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(current, type) and issubclass(current, pydantic.BaseModel):
            field = current.model_fields.get(str(part))
            current = field.annotation if field else None
        else:
            # dict[str, Model]: the key is a user name; step into the value type.
            args = getattr(current, "__args__", ())
            current = args[-1] if args else None
    if isinstance(current, type) and issubclass(current, pydantic.BaseModel):
        return list(current.model_fields)
    return []
