"""The pydantic schema of pivot.yaml and .pivot/config.yaml, and its errors with file:line.

Imported only when a file's content has not been validated before: pydantic costs a tenth of a
second to import, which a no-op run should not pay for a pivot.yaml it already checked.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Annotated, Any, Literal, TypeVar

import pydantic
import pydantic_core

from pivot import errors
from pivot.base import yamldoc
from pivot.declare import policy

M = TypeVar("M", bound=pydantic.BaseModel)


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class _Sections(_Strict):
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


def _scalar(value: Any) -> Any:
    # Names and `${dim}` use the value's text: a list or mapping has none that reads well.
    if value is None or isinstance(value, list | dict):
        raise ValueError("a matrix value must be a single string, number or boolean")
    return value


def _dimension_kind(value: Any) -> str | None:
    return "values" if isinstance(value, list) else "overrides" if isinstance(value, dict) else None


# dimension: [value, ...], or {value: overrides for the variants with that value}
Dimension = Annotated[
    Annotated[list[Annotated[Any, pydantic.AfterValidator(_scalar)]], pydantic.Tag("values")]
    | Annotated[dict[Any, _Sections | None], pydantic.Tag("overrides")],
    pydantic.Discriminator(
        _dimension_kind,
        custom_error_type="matrix_dimension",
        custom_error_message="a matrix dimension must be a list of values or a mapping of values to overrides",
    ),
]


def _mutex_groups(value: Any) -> Any:
    problem = policy.mutex_problem(value)
    if problem is not None:
        raise pydantic_core.PydanticCustomError("mutex_groups", problem)
    return value


class StageConfig(_Sections):
    python: str
    matrix: dict[str, Dimension] | None = None
    name: str | None = None  # the variants' name template, e.g. "train@{model}-{dataset}"
    # Scheduling and cache policy, for every kind of stage (pivot.declare.policy).
    mutex: Annotated[str | list[str] | None, pydantic.BeforeValidator(_mutex_groups)] = None
    always_changed: pydantic.StrictBool = False
    frozen: pydantic.StrictBool = False


class PipelineConfig(_Strict):
    stages: dict[str, StageConfig] = {}

    @pydantic.field_validator("stages", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return {} if value is None else value


class CacheSettings(_Strict):
    type: str | None = None


class ExecutorSettings(_Strict):
    kind: Literal["loky", "dask"] = "loky"
    address: str | None = None
    data: Literal["shared", "remote"] = "shared"
    remote: str | None = None


class RunCacheSettings(_Strict):
    key: str | None = None  # the team's signing key: config.local.yaml only (config.load refuses it elsewhere)
    trust_unsigned_remote: pydantic.StrictBool = False


class RemoteSettings(pydantic.BaseModel):
    # Storage options pass through to fsspec unchecked; pivot's own settings are checked here.
    model_config = pydantic.ConfigDict(extra="allow", frozen=True)
    pack: pydantic.StrictBool = True  # upload many small files of a directory as packs


class GcSettings(_Strict):
    # How long `pivot gc -r` keeps unreferenced remote objects after their upload: "1h", "30m", seconds.
    grace_period: str | float | None = None


class ProjectConfig(pydantic.BaseModel):
    # Later features (remotes, executors) add sections here; unknown top-level keys are errors.
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)
    cache: CacheSettings = CacheSettings()
    remotes: dict[str, RemoteSettings] = {}
    default_remote: str | None = None
    executor: ExecutorSettings = ExecutorSettings()
    run_cache: RunCacheSettings = RunCacheSettings()
    gc: GcSettings = GcSettings()


def validate(model: type[M], doc: yamldoc.Document) -> M:
    if not isinstance(doc.data, dict):
        raise errors.ConfigError(
            f"{doc.display}: expected a mapping at the top level, found {type(doc.data).__name__}",
            hint=f"write it as 'key: value' lines; allowed keys: {', '.join(model.model_fields)}",
        )
    try:
        return model.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        # A misspelt key is also a missing one ('pyhton' for 'python'): naming the typo says both.
        found = sorted(exc.errors(), key=lambda err: err["type"] != "extra_forbidden")
        raise _config_error(model, doc, found[0]) from None


def _config_error(model: type[pydantic.BaseModel], doc: yamldoc.Document, err: Any) -> errors.ConfigError:
    loc = tuple(err["loc"])
    if loc[:1] == ("stages",) and loc[2:3] == ("matrix",) and len(loc) > 4:
        loc = (*loc[:4], *loc[5:])  # drop the tag pydantic puts after a dimension: "values"/"overrides"
    where = doc.where(loc)
    field = ".".join(str(part) for part in loc)
    if err["type"] == "extra_forbidden":
        return _unknown_key(where, loc, _allowed_keys(model, loc))
    if err["type"] == "missing":
        return errors.ConfigError(f"{where}: '{field}' is required", hint=f"add '{loc[-1]}:' there")
    return errors.ConfigError(f"{where}: '{field}': {err['msg']}", hint=_TYPE_HINTS.get(err["type"]))


def _unknown_key(where: str, loc: tuple[Any, ...], allowed: list[str]) -> errors.ConfigError:
    """`unknown key 'pyhton' in stage 'train2'; did you mean 'python'?`: the key as typed, where it
    sits, and the closest allowed key in the message itself; every allowed key in the hint."""
    key, parent = loc[-1], loc[:-1]
    if parent[:1] == ("stages",) and len(parent) >= 2:
        inside = f" in stage '{parent[1]}'" + (f" (under '{'.'.join(map(str, parent[2:]))}')" if len(parent) > 2 else "")
    else:
        inside = f" in '{'.'.join(map(str, parent))}'" if parent else ""
    close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    suggestion = f"; did you mean '{close[0]}'?" if close else ""
    hint = f"allowed keys there: {', '.join(allowed)}" if allowed else None
    return errors.ConfigError(f"{where}: unknown key '{key}'{inside}{suggestion}", hint=hint)


_TYPE_HINTS = {
    "dict_type": "write it as a mapping: one 'name: value' per line, indented under it",
    "model_type": "write it as a mapping: one 'name: value' per line, indented under it",
    "string_type": "write a single string (quote it if YAML reads it as something else)",
    "bool_type": "write true or false",
    "list_type": "write it as a list: '- item' lines",
    "matrix_dimension": "write 'model: [small, large]', or 'model:' with one 'small: {params: ...}' per line",
    "value_error": "write one string, number or boolean per item",
    "literal_error": "write one of the values the message lists",
    "mutex_groups": "write 'mutex: gpu', or 'mutex: [gpu, disk]'; 'mutex: \"*\"' runs the stage alone",
}


def _allowed_keys(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model that owns the last part of `loc`."""
    current: list[Any] = [model]
    for part in loc[:-1]:
        inner: list[Any] = []
        for kind in _alternatives(current):
            if _is_model(kind):
                field = kind.model_fields.get(str(part))
                inner += [field.annotation] if field else []
            elif typing.get_origin(kind) is dict:  # the key is a user name; step into the value type
                inner.append(typing.get_args(kind)[1])
            elif typing.get_origin(kind) is list and isinstance(part, int):
                inner.append(typing.get_args(kind)[0])
        current = inner
    models = [kind for kind in _alternatives(current) if _is_model(kind)]
    return list(models[0].model_fields) if models else []


def _alternatives(kinds: list[Any]) -> list[Any]:
    """The types behind Optional, unions and Annotated."""
    found = []
    for kind in kinds:
        if typing.get_origin(kind) in (typing.Union, types.UnionType, typing.Annotated):
            found += _alternatives(list(typing.get_args(kind)[: 1 if typing.get_origin(kind) is typing.Annotated else None]))
        else:
            found.append(kind)
    return found


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, pydantic.BaseModel)
