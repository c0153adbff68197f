"""pivot.yaml and .pivot/config.yaml as JSON Schema, derived from the pydantic models that
validate them (pivot.declare.config_schema), for editors that check YAML as it is typed.

The schema is the models' own, so it cannot drift from what pivot accepts; checks the models make
in code (a path's shape, a matrix value being a scalar) appear as permissive `{}` entries, and
pivot itself still reports those with file:line."""

from __future__ import annotations

from typing import Any

from pivot.declare import config_schema

DIALECT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("pipeline", "config")


def schema(kind: str = "pipeline") -> dict[str, Any]:
    """The JSON Schema of pivot.yaml (`pipeline`) or of .pivot/config.yaml (`config`)."""
    if kind == "pipeline":
        model: Any = config_schema.PipelineConfig
        title, about = "pivot.yaml", "A pivot pipeline: its stages (Python functions or shell commands) and vars."
    elif kind == "config":
        model = config_schema.ProjectConfig
        title, about = ".pivot/config.yaml", "pivot's project settings: cache, remotes, executor, run cache, gc."
    else:
        raise ValueError(f"unknown schema {kind!r}; one of {', '.join(KINDS)}")
    generated = model.model_json_schema()
    if kind == "pipeline":
        # `stages:` with every stage commented out reads as null, and pivot takes it as empty.
        generated["properties"]["stages"] = {"anyOf": [generated["properties"]["stages"], {"type": "null"}]}
    return {"$schema": DIALECT, **generated, "title": title, "description": about}
