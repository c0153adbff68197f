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
from pivot.declare import config_plain, plotopts, policy

M = TypeVar("M", bound=pydantic.BaseModel)


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


def _path_or_paths(value: Any) -> Any:
    # One error for both forms: a union would report each alternative under its own name.
    if isinstance(value, str) or (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        return value
    raise pydantic_core.PydanticCustomError("path_type", "expected a path, or a list of paths for a dep or output declared as a list")


# A path, or a list of paths for an output or dep the stage declares as a list.
PathValue = Annotated[Any, pydantic.AfterValidator(_path_or_paths)]


def _plot_entry(value: Any) -> Any:
    """A plot's path alone, or `{path: loss.csv, x: step, y: [loss]}` with its drawing options."""
    if not isinstance(value, dict):
        return _path_or_paths(value)
    if "path" not in value:
        raise pydantic_core.PydanticCustomError("plot_entry", "a plot written as a mapping needs 'path:'")
    _path_or_paths(value["path"])
    bad = plotopts.first_problem({key: option for key, option in value.items() if key != "path"})
    if bad is not None:
        raise pydantic_core.PydanticCustomError("plot_entry", bad[1])
    return value


PlotValue = Annotated[Any, pydantic.AfterValidator(_plot_entry)]


class _Sections(_Strict):
    deps: dict[str, PathValue] = {}
    outs: dict[str, PathValue] = {}
    metrics: dict[str, PathValue] = {}
    plots: dict[str, PlotValue] = {}
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


def _stage_tags(value: Any) -> Any:
    problem = policy.tags_problem(value)
    if problem is not None:
        raise pydantic_core.PydanticCustomError("stage_tags", problem)
    return value


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
    tags: Annotated[list[str] | None, pydantic.BeforeValidator(_stage_tags)] = None  # for run selection


_OUT_OPTIONS = ("cache", "persist")
# A plot's options as DVC spells them: kept on the stage for rendering, which reads them later.
_PLOT_OPTIONS = (*_OUT_OPTIONS, *plotopts.KEYS)


def _shell_path(value: Any, allowed: tuple[str, ...] = _OUT_OPTIONS) -> Any:
    """`- path`, or DVC's `- path: {cache: false}`; checked by hand, so that an error names the
    path and the option rather than the branches of a union."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or len(value) != 1 or not isinstance(next(iter(value)), str):
        raise pydantic_core.PydanticCustomError("shell_path", "each entry is a path, or one 'path: {cache: false}'")
    path, options = next(iter(value.items()))
    if options is None:
        return value
    if not isinstance(options, dict):
        raise pydantic_core.PydanticCustomError("shell_path", "the options of '{path}' must be a mapping", {"path": path})
    for key, option in options.items():
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            suggestion = f"; did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(allowed)})"
            raise pydantic_core.PydanticCustomError("shell_path", f"unknown option '{key}' for '{path}'{suggestion}")
        if key in _OUT_OPTIONS and not isinstance(option, bool):
            raise pydantic_core.PydanticCustomError("shell_path", f"'{key}' of '{path}' must be true or false")
        what = plotopts.problem(key, option) if key not in _OUT_OPTIONS else None
        if what is not None:
            raise pydantic_core.PydanticCustomError("shell_plot", f"plot '{path}': {what}")
    return value


def _shell_plot(value: Any) -> Any:
    return _shell_path(value, _PLOT_OPTIONS)


ShellPath = Annotated[Any, pydantic.AfterValidator(_shell_path)]
ShellPlot = Annotated[Any, pydantic.AfterValidator(_shell_plot)]


class ShellStageConfig(_Strict):
    """A shell stage, spelt as DVC's dvc.yaml spells one (see docs/shell-stages.md)."""

    cmd: str | list[str]
    deps: list[str] = []
    outs: list[ShellPath] = []
    metrics: list[ShellPath] = []
    plots: list[ShellPlot] = []
    params: list[str | dict[str, list[str] | None]] = []
    wdir: str | None = None
    matrix: dict[str, Dimension] | None = None
    name: str | None = None
    # The policy keys mean the same on every kind of stage (docs/scheduling.md).
    mutex: Annotated[str | list[str] | None, pydantic.BeforeValidator(_mutex_groups)] = None
    always_changed: pydantic.StrictBool = False
    frozen: pydantic.StrictBool = False
    tags: Annotated[list[str] | None, pydantic.BeforeValidator(_stage_tags)] = None  # for run selection

    @pydantic.field_validator("deps", "outs", "metrics", "plots", "params", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return [] if value is None else value


def _stage_kind(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "python-stage"  # the model's own error says a mapping is expected
    has_python, has_cmd = "python" in value, "cmd" in value
    if has_python and has_cmd:
        return None
    return "shell-stage" if has_cmd else "python-stage"  # neither: the Python stage's errors name typos


AnyStage = Annotated[
    Annotated[StageConfig, pydantic.Tag("python-stage")] | Annotated[ShellStageConfig, pydantic.Tag("shell-stage")],
    pydantic.Discriminator(
        _stage_kind,
        custom_error_type="stage_kind",
        custom_error_message="a stage has either 'python:' (a function) or 'cmd:' (a shell command), not both",
    ),
]
_STAGE_TAGS: dict[str, type[pydantic.BaseModel]] = {"python-stage": StageConfig, "shell-stage": ShellStageConfig}


class PipelineConfig(_Strict):
    stages: dict[str, AnyStage] = {}

    @pydantic.field_validator("stages", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return {} if value is None else value

    vars: list[str | dict[str, Any]] = []  # templating values for `${key}` in shell stages, as DVC's


def _cache_type(value: Any) -> Any:
    if not config_plain.cache_type_ok(value):
        raise pydantic_core.PydanticCustomError(
            "cache_type", "expected link types from {allowed}, in order of preference", {"allowed": ", ".join(config_plain.CACHE_TYPES)}
        )
    return value


# Each setting's docstring is its description in docs/config.md and `pivot config list --all`:
# the reference is generated from these classes (pivot.api.configkeys), so it cannot drift.
_DOCUMENTED = pydantic.ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class CacheSettings(_Strict):
    model_config = _DOCUMENTED
    type: Annotated[str | list[str] | None, pydantic.AfterValidator(_cache_type)] = None
    """How outputs come back from the cache: link types tried in order, as DVC's `cache.type`
    (`reflink,copy` when unset; `hardlink` or `symlink` make the workspace file the read-only object)."""
    dir: str | None = None
    """Where the cache lives (default `.pivot/cache`); relative to the project root. Several clones
    may share one; the `PIVOT_CACHE_DIR` environment variable (an absolute path) overrides it."""


class ExecutorSettings(_Strict):
    model_config = _DOCUMENTED
    kind: Literal["loky", "dask"] = "loky"
    """Where stages run: `loky` (a local process pool) or `dask` (a Dask cluster)."""
    address: str | None = None
    """The Dask scheduler's address; unset: a local cluster sized by `-j`."""
    data: Literal["shared", "remote"] = "shared"
    """How data reaches workers: `shared` (they see the project) or `remote` (through the remote cache)."""
    remote: str | None = None
    """The remote used with `data: remote` (unset: the default remote)."""


class RunCacheSettings(_Strict):
    model_config = _DOCUMENTED
    key: str | None = None  # config.load refuses it outside config.local.yaml
    """The team's key that signs run-cache entries; only in `.pivot/config.local.yaml` (or `PIVOT_RUN_CACHE_KEY`)."""
    trust_unsigned_remote: pydantic.StrictBool = False
    """Use unsigned run-cache entries from a remote (see docs/security.md)."""


class RemoteSettings(pydantic.BaseModel):
    # Storage options pass through to fsspec unchecked; pivot's own settings are checked here.
    model_config = pydantic.ConfigDict(extra="allow", frozen=True, use_attribute_docstrings=True)
    url: str | None = None
    """Where the remote is: `s3://bucket/prefix`, `gs://bucket/prefix`, a directory, any fsspec URL."""
    pack: pydantic.StrictBool = True
    """Upload many small files of a directory as packs."""


class GcSettings(_Strict):
    model_config = _DOCUMENTED
    grace_period: str | float | None = None
    """How long `pivot gc -r` keeps unreferenced remote objects after their upload: `1h` (default), `30m`, seconds."""


class RunsSettings(_Strict):
    model_config = _DOCUMENTED
    keep: Annotated[pydantic.StrictInt, pydantic.Field(ge=1)] = 100
    """How many run records `pivot history` keeps in `.pivot/runs/` (the oldest are deleted)."""


class ProjectConfig(pydantic.BaseModel):
    # Later features (remotes, executors) add sections here; unknown top-level keys are errors.
    model_config = _DOCUMENTED
    cache: CacheSettings = CacheSettings()
    remotes: dict[str, RemoteSettings] = {}
    """Remotes by name (`pivot remote add`); options other than these pass through to the storage library."""
    default_remote: str | None = None
    """The remote `push`, `pull` and `fetch` use without `-r`."""
    executor: ExecutorSettings = ExecutorSettings()
    run_cache: RunCacheSettings = RunCacheSettings()
    gc: GcSettings = GcSettings()
    runs: RunsSettings = RunsSettings()


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
        # A stage with neither 'python:' nor 'cmd:' is checked as a Python stage: say what it lacks first.
        found = sorted(exc.errors(), key=lambda err: (err["type"] != "extra_forbidden", not _lacks_kind(err)))
        raise _config_error(model, doc, found[0]) from None


def _lacks_kind(err: Any) -> bool:
    return err["type"] == "missing" and tuple(err["loc"])[2:] == ("python-stage", "python")


def _config_error(model: type[pydantic.BaseModel], doc: yamldoc.Document, err: Any) -> errors.ConfigError:
    loc = tuple(err["loc"])
    kind = loc[2] if loc[:1] == ("stages",) and len(loc) > 2 and loc[2] in _STAGE_TAGS else None
    if kind is not None:
        loc = (*loc[:2], *loc[3:])  # drop the tag pydantic puts after a stage: which kind it is
    if loc[:1] == ("stages",) and loc[2:3] == ("matrix",) and len(loc) > 4:
        loc = (*loc[:4], *loc[5:])  # drop the tag pydantic puts after a dimension: "values"/"overrides"
    where = doc.where(loc)
    field = ".".join(str(part) for part in loc)
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(_STAGE_TAGS[kind], loc[2:]) if kind else _allowed_keys(model, loc)
        return _unknown_key(where, loc, allowed)
    if err["type"] == "missing" and len(loc) == 3 and loc[2] == "python":
        return errors.ConfigError(
            f"{where}: stage '{loc[1]}' has neither 'python:' nor 'cmd:'", hint=_TYPE_HINTS["stage_kind"]
        )
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
    "path_type": "write 'name: path/to/file', or 'name: [a.csv, b.csv]' for a list (quote a path YAML reads as something else)",
    "shell_path": "write '- data/out.csv', or '- data/out.csv: {cache: false}' for a file git tracks",
    "shell_plot": "write '- loss.csv: {x: step, y: [loss, val_loss], template: linear}' (see docs/plots.md)",
    "plot_entry": "write 'loss: loss.csv', or 'loss: {path: loss.csv, x: step, y: [loss], template: linear}' (see docs/plots.md)",
    "stage_kind": "give the stage 'python: module.function', or 'cmd: <shell command>' (see docs/shell-stages.md)",
    "stage_tags": "write 'tags: [train, gpu]': a list of names (see docs/selection.md)",
    "cache_type": "write e.g. 'reflink,copy' or 'hardlink,copy' (tried in that order)",
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
