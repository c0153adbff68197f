"""The settings of `.pivot/config.yaml` as dotted keys (`cache.type`, `remotes.<name>.url`), read
from its pydantic schema (`pivot.declare.config_schema.ProjectConfig`): what `pivot config` accepts,
how it checks a value, and the reference table in docs/config.md. A setting added to the schema
is a key here, documented by its docstring, with nothing else to update."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator
from typing import Any, Literal

import pydantic

from pivot import errors
from pivot.base import yamldoc
from pivot.declare import config_schema

NAME = "<name>"  # a part of a key the user chooses: the remote's name, a resource's


@dataclasses.dataclass(frozen=True, slots=True)
class Key:
    """One setting: `path` as in the file, with `NAME` where a user's name goes."""

    path: tuple[str, ...]
    model: type[pydantic.BaseModel]  # the section that holds it, which validates its value
    expected: str  # the value it takes, in words
    default: Any
    description: str
    entry_of: str | None = None  # one entry of this mapping field (`executor.resources.<name>`)

    @property
    def name(self) -> str:
        return ".".join(self.path)


def all_keys() -> list[Key]:
    """Every setting the schema knows, in the schema's order."""
    return list(_walk(config_schema.ProjectConfig, ()))


def _walk(model: type[pydantic.BaseModel], prefix: tuple[str, ...]) -> Iterator[Key]:
    for field_name, field in model.model_fields.items():
        kind: Any = field.annotation
        if _is_model(kind):
            yield from _walk(kind, (*prefix, field_name))
        elif typing.get_origin(kind) is dict and _is_model(typing.get_args(kind)[1]):
            yield from _walk(typing.get_args(kind)[1], (*prefix, field_name, NAME))
        elif typing.get_origin(_bare(kind)) is dict:  # a mapping of plain values: one key per entry
            value = typing.get_args(_bare(kind))[1]
            yield Key((*prefix, field_name, NAME), model, _expected(value), None, " ".join((field.description or "").split()), field_name)
        else:
            default = None if field.is_required() else field.get_default(call_default_factory=True)
            yield Key((*prefix, field_name), model, _expected(kind), default, " ".join((field.description or "").split()))


def find(name: str) -> tuple[Key, tuple[str, ...]]:
    """The setting `name` is, and its path in the file (`remotes.origin.url` -> the remote's
    `url`, path ("remotes", "origin", "url")). Any option of a remote is accepted: remotes pass
    their other options through to the storage library. Unknown keys: `ConfigError` naming the
    closest and listing every key."""
    parts = tuple(name.split("."))
    known = all_keys()
    for key in known:
        if len(key.path) == len(parts) and all(k in (p, NAME) for k, p in zip(key.path, parts, strict=True)):
            return key, parts
    if len(parts) == 3 and parts[0] == "remotes" and all(parts):
        extra = Key(("remotes", NAME, parts[2]), config_schema.RemoteSettings, "any value", None, "an option of the storage library")
        return extra, parts
    names = [key.name for key in known]
    close = yamldoc.did_you_mean(name, names)
    suggestion = f"; {close}" if close and close.startswith("did you mean") else ""
    raise errors.ConfigError(
        f"unknown config key '{name}'{suggestion}",
        hint="valid keys: " + ", ".join(names) + " (see docs/config.md)",
    )


def check_value(key: Key, value: Any, path: tuple[str, ...] = ()) -> None:
    """Raise a `ConfigError` saying what `key` (at `path` in the file) expects unless `value` is
    one of those."""
    if key.path[0] == "remotes" and key.path[-1] not in key.model.model_fields:
        return  # a storage option: the storage library judges it when the remote is used
    try:
        key.model.model_validate({key.entry_of: {(path or key.path)[-1]: value}} if key.entry_of else {key.path[-1]: value})
    except pydantic.ValidationError as exc:
        why = exc.errors()[0]["msg"]
        raise errors.ConfigError(
            f"'{key.name}': {value!r} is not valid: {why}",
            hint=f"'{key.name}' expects {key.expected}",
        ) from None


def _bare(kind: Any) -> Any:
    return typing.get_args(kind)[0] if typing.get_origin(kind) is typing.Annotated else kind


def _expected(kind: Any) -> str:
    """A field's type in words: `one of loky, dask`, `true or false`, `a string or a number`."""
    if typing.get_origin(kind) is typing.Annotated:
        return _expected(typing.get_args(kind)[0])
    if typing.get_origin(kind) is Literal:
        return "one of " + ", ".join(str(arg) for arg in typing.get_args(kind))
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        words = [_expected(arg) for arg in typing.get_args(kind) if arg is not type(None)]
        return " or ".join(dict.fromkeys(words))
    if typing.get_origin(kind) is list:
        return "a list of " + _expected(typing.get_args(kind)[0]).removeprefix("a ") + "s"
    return _WORDS.get(kind, getattr(kind, "__name__", str(kind)))


_WORDS: dict[Any, str] = {str: "a string", bool: "true or false", float: "a number", int: "a whole number"}


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, pydantic.BaseModel)


def reference() -> str:
    """The Markdown table of every key, as docs/config.md holds it between its markers."""
    rows = ["| key | value | default | what it does |", "|---|---|---|---|"]
    for key in all_keys():
        default = "" if key.default is None else f"`{str(key.default).lower() if isinstance(key.default, bool) else key.default}`"
        rows.append(f"| `{key.name}` | {key.expected} | {default} | {key.description} |")
    return "\n".join(rows) + "\n"
