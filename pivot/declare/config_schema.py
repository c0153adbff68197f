"""The pydantic schema of pivot.yaml and .pivot/config.yaml (its errors, with file:line:
`pivot.declare.validation`).

Imported only when a file's content has not been validated before: pydantic costs a tenth of a
second to import, which a no-op run should not pay for a pivot.yaml it already checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

import pydantic
import pydantic_core

from pivot.declare import config_plain, plotopts, policy


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


def _policy_check(code: str, problem_of: Callable[[Any], str | None]) -> Callable[[Any], Any]:
    """A validator raising `code` (its hint: pivot.declare.validation) with what `problem_of` finds."""

    def check(value: Any) -> Any:
        problem = problem_of(value)
        if problem is not None:
            raise pydantic_core.PydanticCustomError(code, problem)
        return value

    return check


_stage_tags = _policy_check("stage_tags", policy.tags_problem)
_threads = _policy_check("stage_threads", policy.threads_problem)
_retries = _policy_check("stage_retries", policy.retries_problem)
_resources = _policy_check("stage_resources", policy.resources_problem)
_mutex_groups = _policy_check("mutex_groups", policy.mutex_problem)


class StageConfig(_Sections):
    python: str
    matrix: dict[str, Dimension] | None = None
    name: str | None = None  # the variants' name template, e.g. "train@{model}-{dataset}"
    # Scheduling and cache policy, for every kind of stage (pivot.declare.policy).
    mutex: Annotated[str | list[str] | None, pydantic.BeforeValidator(_mutex_groups)] = None
    threads: Annotated[int | None, pydantic.BeforeValidator(_threads)] = None  # job slots while it runs
    retries: Annotated[int | None, pydantic.BeforeValidator(_retries)] = None  # runs again after a failure
    resources: Annotated[dict[str, int] | None, pydantic.BeforeValidator(_resources)] = None  # held while it runs
    always_changed: pydantic.StrictBool = False
    frozen: pydantic.StrictBool = False
    tags: Annotated[list[str] | None, pydantic.BeforeValidator(_stage_tags)] = None  # for run selection
    desc: pydantic.StrictStr | None = None  # what the stage is for (DVC's `desc:`); shown by `pivot list`


_OUT_OPTIONS = ("cache", "persist")
_OUTS_OPTIONS = (*_OUT_OPTIONS, "temp")  # Snakemake's temp(): plain outputs only, not metrics or plots
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
            import difflib  # only for a message: not on every command's path

            close = difflib.get_close_matches(str(key), allowed, n=1)
            suggestion = f"; did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(allowed)})"
            raise pydantic_core.PydanticCustomError("shell_path", f"unknown option '{key}' for '{path}'{suggestion}")
        if key in _OUTS_OPTIONS and not isinstance(option, bool):
            raise pydantic_core.PydanticCustomError("shell_path", f"'{key}' of '{path}' must be true or false")
        what = plotopts.problem(key, option) if key not in _OUTS_OPTIONS else None
        if what is not None:
            raise pydantic_core.PydanticCustomError("shell_plot", f"plot '{path}': {what}")
    if options.get("temp") and (options.get("cache") or options.get("persist")):
        other = "cache" if options.get("cache") else "persist"
        raise pydantic_core.PydanticCustomError(
            "shell_path", f"'{path}' cannot be temp and {other}: a temp output is never cached nor kept between runs"
        )
    return value


def _shell_plot(value: Any) -> Any:
    return _shell_path(value, _PLOT_OPTIONS)


def _shell_out(value: Any) -> Any:
    return _shell_path(value, _OUTS_OPTIONS)


ShellPath = Annotated[Any, pydantic.AfterValidator(_shell_path)]
ShellOut = Annotated[Any, pydantic.AfterValidator(_shell_out)]
ShellPlot = Annotated[Any, pydantic.AfterValidator(_shell_plot)]


class ShellStageConfig(_Strict):
    """A shell stage, spelt as DVC's dvc.yaml spells one (see docs/shell-stages.md)."""

    cmd: str | list[str]
    deps: list[str] = []
    outs: list[ShellOut] = []
    metrics: list[ShellPath] = []
    plots: list[ShellPlot] = []
    params: list[str | dict[str, list[str] | None]] = []
    wdir: str | None = None
    matrix: dict[str, Dimension] | None = None
    name: str | None = None
    # The policy keys mean the same on every kind of stage (docs/scheduling.md).
    mutex: Annotated[str | list[str] | None, pydantic.BeforeValidator(_mutex_groups)] = None
    threads: Annotated[int | None, pydantic.BeforeValidator(_threads)] = None  # job slots while it runs
    retries: Annotated[int | None, pydantic.BeforeValidator(_retries)] = None  # runs again after a failure
    resources: Annotated[dict[str, int] | None, pydantic.BeforeValidator(_resources)] = None  # held while it runs
    always_changed: pydantic.StrictBool = False
    frozen: pydantic.StrictBool = False
    tags: Annotated[list[str] | None, pydantic.BeforeValidator(_stage_tags)] = None  # for run selection
    desc: pydantic.StrictStr | None = None  # what the stage is for (DVC's `desc:`); shown by `pivot list`

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
STAGE_KINDS: dict[str, type[pydantic.BaseModel]] = {"python-stage": StageConfig, "shell-stage": ShellStageConfig}


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
    resources: Annotated[dict[str, int], pydantic.BeforeValidator(_resources)] = {}
    """How much of the resource `<name>` the stages' `resources:` may hold at once (`executor.resources.gpu: 2`), as `pivot run --resources gpu=2`."""


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
