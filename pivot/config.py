"""pivot.yaml and .pivot/config.yaml as validated values; errors carry file:line and a hint.

Validation (pydantic, in config_schema) runs only for content not seen before: a memo of the
content hashes that passed lives in `.pivot/tmp/valid/`, so an unchanged pipeline loads fast.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

import xxhash

import pivot
from pivot import errors, project, yamldoc

STAGE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclasses.dataclass(frozen=True, slots=True)
class StageConfig:
    """One entry under `stages:` in pivot.yaml."""

    python: str
    deps: Mapping[str, str] = dataclasses.field(default_factory=dict)
    outs: Mapping[str, str] = dataclasses.field(default_factory=dict)
    metrics: Mapping[str, str] = dataclasses.field(default_factory=dict)
    plots: Mapping[str, str] = dataclasses.field(default_factory=dict)
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> StageConfig:
        # Empty sections (every line commented out) read as null: they count as empty.
        sections = {key: dict(data.get(key) or {}) for key in ("deps", "outs", "metrics", "plots", "params")}
        return cls(python=data["python"], **sections)


@dataclasses.dataclass(frozen=True, slots=True)
class ExecutorConfig:
    """`executor:` in .pivot/config.yaml: where stages run, and how their data gets there."""

    kind: str = "loky"  # "loky": the local process pool; "dask": a Dask cluster
    address: str | None = None  # a Dask scheduler; None: a LocalCluster sized by -j
    data: str = "shared"  # "shared": workers see the project; "remote": through the remote cache
    remote: str | None = None  # the remote for data: remote (None: the default remote)


@dataclasses.dataclass(frozen=True, slots=True)
class ProjectConfig:
    """.pivot/config.yaml merged with .pivot/config.local.yaml."""

    cache_type: str | None = None
    remotes: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    default_remote: str | None = None
    executor: ExecutorConfig = ExecutorConfig()


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
    _validated(proj, doc, "PipelineConfig")
    stages = {name: StageConfig.from_data(entry) for name, entry in (doc.data.get("stages") or {}).items()}
    _check_stage_names(stages, doc)
    return Pipeline(stages, doc)


def _check_stage_names(stages: Mapping[str, StageConfig], doc: yamldoc.Document) -> None:
    folded: dict[str, str] = {}
    for name in stages:
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


def load_project_config(proj: project.Project) -> ProjectConfig:
    merged: dict[str, Any] = {}
    for path, display in (
        (proj.config_file, ".pivot/config.yaml"),
        (proj.local_config_file, ".pivot/config.local.yaml"),
    ):
        doc = yamldoc.load(path, display)
        _validated(proj, doc, "ProjectConfig")  # each file on its own, so errors name the right one
        _deep_merge(merged, doc.data)
    cache = merged.get("cache") or {}
    return ProjectConfig(
        cache_type=cache.get("type"),
        remotes={name: dict(options or {}) for name, options in (merged.get("remotes") or {}).items()},
        default_remote=merged.get("default_remote"),
        executor=ExecutorConfig(**(merged.get("executor") or {})),
    )


def _deep_merge(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def _validated(proj: project.Project, doc: yamldoc.Document, model: str) -> None:
    """Validate `doc` against the named schema model, unless this exact content passed before."""
    if not doc.text:
        return
    key = xxhash.xxh3_128_hexdigest(f"{pivot.__version__}\0{model}\0{doc.text}".encode())
    memo = proj.tmp_dir / "valid" / key
    if memo.exists():
        return
    from pivot import config_schema

    config_schema.validate(getattr(config_schema, model), doc)
    if proj.dot_dir.is_dir():  # read-only commands in an uninitialised project write nothing
        memo.parent.mkdir(parents=True, exist_ok=True)
        memo.touch()
