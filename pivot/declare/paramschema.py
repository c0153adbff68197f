"""A StageParams class as plain data, so an edit of params.yaml is resolved without importing the
user's module (pandas, torch) again.

Only classes whose every field is a plain `int`, `float`, `str` or `bool` with a scalar default
(or none) and that have no validators, serializers, aliases, constraints or computed fields are
described; and only values that such a field takes as they are (an int for an int, an int or a
float for a float, ...) are resolved here. Anything else, including every value pydantic would
reject, returns None: the caller imports the class and resolves as before, so error messages stay
exactly pydantic's and pivot's own.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pivot.declare import params

_SCALARS = {int: "int", float: "float", str: "str", bool: "bool"}
_REQUIRED = "required"


@dataclasses.dataclass(frozen=True, slots=True)
class Schema:
    """A StageParams class's fields as recorded, so params can be resolved without importing it."""

    fields: tuple[tuple[str, str, Any], ...]  # (name, scalar type, default or _REQUIRED), in order


def describe(model: Any) -> Schema | None:
    """The schema of a StageParams subclass, or None when it is not plain data (see the docstring)."""
    if model is None or not _plain(model):
        return None
    fields = []
    for name, info in model.model_fields.items():
        kind = _SCALARS.get(info.annotation)
        if kind is None or info.alias is not None or info.metadata or info.default_factory is not None:
            return None
        default = _REQUIRED if info.is_required() else info.default
        if default is not _REQUIRED and not _fits(kind, default):
            return None
        fields.append((name, kind, _REQUIRED if default is _REQUIRED else _as(kind, default)))
    return Schema(tuple(fields))


def resolve(schema: Schema, sources: Sequence[params.Source]) -> dict[str, Any] | None:
    """The stage's params from `sources` (lowest precedence first), as `params.resolve` gives them;
    None when anything needs the class itself (an unknown key, a value to coerce or reject)."""
    kinds = {name: kind for name, kind, _ in schema.fields}
    merged: dict[str, Any] = {}
    for source in sources:
        for key, value in (source.values or {}).items():
            if key not in kinds or not _fits(kinds[key], value):
                return None
            merged[key] = _as(kinds[key], value)
    result = {}
    for name, _, default in schema.fields:
        if name not in merged and default is _REQUIRED:
            return None
        result[name] = merged.get(name, default)
    return result


def _plain(model: Any) -> bool:
    decorators = model.__pydantic_decorators__
    hooks = (
        decorators.validators, decorators.field_validators, decorators.root_validators,
        decorators.model_validators, decorators.field_serializers, decorators.model_serializers,
        decorators.computed_fields,
    )
    # Any setting beyond StageParams' own (strict, str_strip_whitespace, ...) may change a value.
    config: Mapping[str, Any] = model.model_config
    return not any(hooks) and set(config) <= {"extra"}


def _fits(kind: str, value: Any) -> bool:
    if kind == "float":
        # inf and nan are dumped as null: leave them to pydantic
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return type(value).__name__ == kind  # exactly: a bool is no int here, pydantic would coerce 1 to True


def _as(kind: str, value: Any) -> Any:
    return float(value) if kind == "float" else value
