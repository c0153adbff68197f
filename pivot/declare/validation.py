"""A file checked against its pydantic schema (`pivot.declare.config_schema`), and pydantic's
errors told as pivot's: `file:line`, the field as the user wrote it, the closest allowed key to a
misspelt one, and what to write instead.

Imported only with the schema: when a file's content was not validated before.
"""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

import pydantic

from pivot import errors
from pivot.base import yamldoc
from pivot.declare import config_schema

M = TypeVar("M", bound=pydantic.BaseModel)


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
    kind = loc[2] if loc[:1] == ("stages",) and len(loc) > 2 and loc[2] in config_schema.STAGE_KINDS else None
    if kind is not None:
        loc = (*loc[:2], *loc[3:])  # drop the tag pydantic puts after a stage: which kind it is
    if loc[:1] == ("stages",) and loc[2:3] == ("matrix",) and len(loc) > 4:
        loc = (*loc[:4], *loc[5:])  # drop the tag pydantic puts after a dimension: "values"/"overrides"
    where = doc.where(loc)
    field = ".".join(str(part) for part in loc)
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(config_schema.STAGE_KINDS[kind], loc[2:]) if kind else _allowed_keys(model, loc)
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
    import difflib  # only for a message: not on every command's path

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
    "stage_threads": "write e.g. 'threads: 4' (see docs/scheduling.md)",
    "stage_retries": "write e.g. 'retries: 2' (see docs/scheduling.md)",
    "stage_resources": "write e.g. 'resources: {gpu: 1, mem_gb: 16}' (see docs/scheduling.md)",
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
