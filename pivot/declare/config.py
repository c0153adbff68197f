"""pivot.yaml and .pivot/config.yaml as validated values; errors carry file:line and a hint.

Validation (pydantic, in config_schema) runs only for content not seen before: a memo of the
content hashes that passed lives in `.pivot/tmp/valid/`, so an unchanged pipeline loads fast.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import xxhash

import pivot
from pivot import errors
from pivot.base import plain, project, yamldoc
from pivot.declare import config_plain, matrix, policy, shell
from pivot.declare.stage import VARIANT_SEPARATOR, base_name
from pivot.pipeline import Registration

STAGE_NAME = re.compile(r"[A-Za-z0-9_.-]+")  # always fullmatch: `$` would let a trailing newline through
_NAME_CHARS = "letters, digits, '_', '.' and '-'"


@dataclasses.dataclass(frozen=True, slots=True)
class StageConfig:
    """One stage as pivot.yaml (or pipeline.py) declares it; a matrix entry gives one per variant."""

    python: str
    deps: Mapping[str, str | Sequence[str]] = dataclasses.field(default_factory=dict)
    outs: Mapping[str, str | Sequence[str]] = dataclasses.field(default_factory=dict)
    metrics: Mapping[str, str | Sequence[str]] = dataclasses.field(default_factory=dict)
    plots: Mapping[str, str | Sequence[str]] = dataclasses.field(default_factory=dict)
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # merged over param_layers
    origin: str = ""  # the key under `stages:` it came from (a matrix stage's base name)
    locs: Mapping[tuple[str, str], yamldoc.Loc] = dataclasses.field(default_factory=dict)
    param_layers: tuple[matrix.ParamLayer, ...] = ()  # pivot.yaml's params, lowest precedence first
    shell: shell.ShellEntry | None = None  # a `cmd:` stage (python is "" then): see pivot.declare.shell
    mutex: tuple[str, ...] = ()  # the policy keys (pivot.declare.policy)
    threads: int = 1
    retries: int | None = None
    resources: tuple[tuple[str, int], ...] = ()  # what it holds while it runs, by name
    always_changed: bool = False
    frozen: bool = False
    tags: tuple[str, ...] = ()  # for run selection: `--tag` / `--exclude-tag` (docs/selection.md)
    desc: str = ""  # what the stage is for, as DVC's `desc:` (shown by `pivot list`)
    # `plots: {loss: {path: loss.csv, x: step}}`: the drawing options of each plot so written, by key
    # (its path is in `plots`), checked by the schema.
    plot_options: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_data(cls, name: str, data: Mapping[str, Any]) -> StageConfig:
        # Empty sections (every line commented out) read as null: they count as empty.
        sections: dict[str, Any] = {key: dict(data.get(key) or {}) for key in (*matrix.PATH_SECTIONS, "params")}
        layers = ((sections["params"], ("stages", name, "params")),)
        sections["plots"], options = _split_plots(sections["plots"])
        return cls(
            python=data["python"], origin=name, param_layers=layers, plot_options=options, **sections, **policy.from_entry(data)
        )

    @classmethod
    def from_variant(cls, base: str, variant: matrix.Variant, entry: Mapping[str, Any]) -> StageConfig:
        params: dict[str, Any] = {}
        for values, _ in variant.param_layers:
            params.update(values)
        sections: dict[str, Any] = {section: dict(paths) for section, paths in variant.paths.items()}
        sections["plots"], options = _split_plots(sections.get("plots") or {})
        return cls(
            python=variant.python,
            params=params,
            origin=base,
            locs=variant.locs,
            param_layers=variant.param_layers,
            plot_options=options,
            **sections,
            **policy.from_entry(entry),  # every variant has the matrix entry's policy
        )

    def loc(self, *parts: str) -> yamldoc.Loc:
        """Where a part of this stage was written: `loc("deps", "data")`, `loc("python")`, `loc()`."""
        if len(parts) == 2 and parts in self.locs:
            return self.locs[parts]
        return ("stages", self.origin, *parts)


def _split_plots(plots: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """`{key: path}` and `{key: options}` from entries that are a path or `{path: ..., x: ...}`."""
    paths = {key: entry["path"] if isinstance(entry, Mapping) else entry for key, entry in plots.items()}
    options = {key: {k: v for k, v in entry.items() if k != "path"} for key, entry in plots.items() if isinstance(entry, Mapping)}
    return paths, options


@dataclasses.dataclass(frozen=True, slots=True)
class ExecutorConfig:
    """`executor:` in .pivot/config.yaml: where stages run, and how their data gets there."""

    kind: str = "loky"  # "loky": the local process pool; "dask": a Dask cluster
    address: str | None = None  # a Dask scheduler; None: a LocalCluster sized by -j
    data: str = "shared"  # "shared": workers see the project; "remote": through the remote cache
    remote: str | None = None  # the remote for data: remote (None: the default remote)
    resources: Mapping[str, int] = dataclasses.field(default_factory=dict)  # limits: `run --resources`


@dataclasses.dataclass(frozen=True, slots=True)
class RunCacheConfig:
    """`run_cache:`: how far entries from a remote are trusted (see pivot.remote.trust)."""

    key: str | None = dataclasses.field(default=None, repr=False)  # from config.local.yaml only
    trust_unsigned_remote: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class ProjectConfig:
    """.pivot/config.yaml merged with .pivot/config.local.yaml."""

    cache_type: str | Sequence[str] | None = None
    cache_dir: str | None = None  # `cache.dir`; where it points: pivot.worktree.workspace.cache_root
    remotes: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    default_remote: str | None = None
    executor: ExecutorConfig = ExecutorConfig()
    run_cache: RunCacheConfig = RunCacheConfig()
    gc_grace_period: str | float | None = None  # `gc: grace_period:`; None: the default (1h)
    runs_keep: int = 100  # `runs: keep:`: run records kept in .pivot/runs/


@dataclasses.dataclass(frozen=True, slots=True)
class Pipeline:
    """pivot.yaml, validated: each stage's config and the document it came from."""

    stages: Mapping[str, StageConfig]
    doc: yamldoc.Document


def load_pipeline(proj: project.Project) -> Pipeline:
    if not proj.pipeline_file.is_file():
        raise errors.ConfigError(
            f"no {project.PIPELINE_FILE} or {project.PYTHON_PIPELINE_FILE} in {proj.root}",
            hint="create pivot.yaml with a 'stages:' mapping, or pipeline.py with a pivot.pipeline.Pipeline "
            "(see the README)",
        )
    doc = yamldoc.load(proj.pipeline_file, project.PIPELINE_FILE)
    _validated(proj, doc, "PipelineConfig")
    stages: dict[str, StageConfig] = {}
    for key, entry in (doc.data.get("stages") or {}).items():
        _check_key(key, doc)
        if shell.is_shell(entry):
            stages.update((name, StageConfig("", origin=key, shell=e, **policy.from_entry(entry))) for name, e in shell.variants(key, entry, doc))
        elif entry.get("matrix"):
            stages.update((v.name, StageConfig.from_variant(key, v, entry)) for v in matrix.expand(key, entry, doc))
        else:
            matrix.check_plain(key, entry, doc)
            stages[key] = StageConfig.from_data(key, entry)
    _check_stage_names(stages, doc)
    return Pipeline(stages, doc)


def pipeline_from_registrations(registrations: Sequence[Registration], display: str) -> Pipeline:
    """pipeline.py's stages as pivot.yaml would declare them; errors point at each `register` line."""
    lines: dict[yamldoc.Loc, int] = {}
    stages: dict[str, StageConfig] = {}
    doc = yamldoc.Document(pathlib.Path(display), display, {}, lines)
    for reg in registrations:
        if reg.name in stages:
            raise errors.ConfigError(
                f"{display}:{reg.line}: stage '{reg.name}' is registered twice (first at line "
                f"{lines[('stages', reg.name)]})",
                hint="give one of them another name: register(func, name=...)",
            )
        lines[("stages", reg.name)] = reg.line
        base, _, variant = reg.name.partition(VARIANT_SEPARATOR)
        _check_key(base, doc, reg.name, hint="rename the stage; variants of one stage are named 'base@variant'")
        if variant and not matrix.VARIANT.fullmatch(variant):
            raise errors.ConfigError(
                f"{display}:{reg.line}: stage name '{reg.name}' has characters other than {_NAME_CHARS} "
                "after its '@'",
                hint="rename the stage",
            )
        data = {section: getattr(reg, section) for section in (*matrix.PATH_SECTIONS, "params", *policy.KEYS)}
        stages[reg.name] = StageConfig.from_data(reg.name, {**data, "python": reg.python})
    _check_stage_names(stages, doc)
    return Pipeline(stages, doc)


def _check_key(
    key: str, doc: yamldoc.Document, name: str | None = None, hint: str = "rename the stage; for variants of one stage use 'matrix:'"
) -> None:
    if not isinstance(key, str) or not STAGE_NAME.fullmatch(key):
        raise errors.ConfigError(
            f"{doc.where(('stages', name or key))}: stage name '{name or key}' has characters other than "
            f"{_NAME_CHARS}",
            hint=hint,
        )


def _check_stage_names(stages: Mapping[str, StageConfig], doc: yamldoc.Document) -> None:
    folded: dict[str, str] = {}
    for name in stages:
        # Lock files are named after stages: on macOS and Windows 'Train' and 'train' collide.
        other = folded.setdefault(name.casefold(), name)
        if other != name:
            raise errors.ConfigError(
                f"{doc.where(('stages', name))}: stage names '{other}' and '{name}' differ only in case",
                hint="rename one of them",
            )
    # `train` as a target means every `train@...`: a plain stage of that name would be ambiguous.
    for name in stages:
        base = base_name(name)
        if base != name and base in stages:
            raise errors.ConfigError(
                f"{doc.where(('stages', name))}: stage '{name}' is a variant of '{base}', which is also a stage",
                hint=f"rename '{base}', or make it a variant too",
            )


def load_project_config(proj: project.Project) -> ProjectConfig:
    merged: dict[str, Any] = {}
    for path, display in (
        (proj.config_file, ".pivot/config.yaml"),
        (proj.local_config_file, ".pivot/config.local.yaml"),
    ):
        doc = yamldoc.load(path, display)
        _validated(proj, doc, "ProjectConfig")  # each file on its own, so errors name the right one
        if path == proj.config_file:
            _refuse_tracked_key(doc)
        merged = plain.deep_merge(merged, doc.data)
    cache = merged.get("cache") or {}
    return ProjectConfig(
        cache_type=cache.get("type"),
        cache_dir=cache.get("dir"),
        remotes={name: dict(options or {}) for name, options in (merged.get("remotes") or {}).items()},
        default_remote=merged.get("default_remote"),
        executor=ExecutorConfig(**(merged.get("executor") or {})),
        run_cache=RunCacheConfig(**(merged.get("run_cache") or {})),
        gc_grace_period=(merged.get("gc") or {}).get("grace_period"),
        runs_keep=(merged.get("runs") or {}).get("keep", 100),
    )


def _refuse_tracked_key(doc: yamldoc.Document) -> None:
    # Everyone who can read the repository could sign run-cache entries with a key committed there.
    section = doc.data.get("run_cache") if isinstance(doc.data, dict) else None
    if isinstance(section, dict) and section.get("key") is not None:
        raise errors.ConfigError(
            f"{doc.where(('run_cache', 'key'))}: 'run_cache.key' must not be in this committed file: "
            "whoever can read the repository could sign run-cache entries with it",
            hint="remove it there, and put it in the git-ignored .pivot/config.local.yaml "
            "('run_cache: {key: ...}') or in the PIVOT_RUN_CACHE_KEY environment variable",
        )


def _validated(proj: project.Project, doc: yamldoc.Document, model: str) -> None:
    """Validate `doc` against the named schema model, unless this exact content passed before."""
    if not doc.text:
        return
    key = xxhash.xxh3_128_hexdigest(f"{pivot.__version__}\0{model}\0{doc.text}".encode())
    memo = proj.tmp_dir / "valid" / key
    if memo.exists():
        return
    if not config_plain.valid(model, doc.data):  # the usual shapes need no pydantic
        from pivot.declare import config_schema, validation

        validation.validate(getattr(config_schema, model), doc)
    if proj.dot_dir.is_dir():  # read-only commands in an uninitialised project write nothing
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            memo.touch()
        except OSError:
            pass  # a memo only saves time: a read-only or damaged .pivot/tmp must not stop anyone
