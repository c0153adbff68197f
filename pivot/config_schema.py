"""The pydantic schema of pivot.yaml and .pivot/config.yaml, and its errors with file:line.

Imported only when a file's content has not been validated before: pydantic costs a tenth of a
second to import, which a no-op run should not pay for a pivot.yaml it already checked.
"""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic

from pivot import errors, yamldoc

M = TypeVar("M", bound=pydantic.BaseModel)


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


class RemoteSettings(pydantic.BaseModel):
    # Storage options pass through to fsspec unchecked; pivot's own settings are checked here.
    model_config = pydantic.ConfigDict(extra="allow", frozen=True)
    pack: pydantic.StrictBool = True  # upload many small files of a directory as packs


class ProjectConfig(pydantic.BaseModel):
    # Later features (remotes, executors) add sections here; unknown top-level keys are errors.
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)
    cache: CacheSettings = CacheSettings()
    remotes: dict[str, RemoteSettings] = {}
    default_remote: str | None = None


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
