"""The values shell stages read: params files (YAML, JSON, TOML, as DVC reads them), `vars:` for
templating, and `${key}` filled in from them.

A key is a dotted path into a file's nested mappings (`train.lr`). Params files are read once per
load however many stages list keys of theirs; each one read is reported with its content hash so
the load memo knows when to look again.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
from collections.abc import Mapping
from typing import Any

from pivot import errors
from pivot.base import project, yamldoc
from pivot.code.source import file_digest

PLACEHOLDER = re.compile(r"\$\{\s*([^}]*?)\s*\}")
_MISSING = object()


def lookup(data: Any, key: str) -> Any:
    """The value at dotted `key` in nested mappings (a list index may be a number); _MISSING if none."""
    value = data
    for part in key.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def found(value: Any) -> bool:
    return value is not _MISSING


def with_values(data: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of nested mappings `data` with each dotted key of `values` set (a missing or
    non-mapping level becomes a mapping); `data` itself is left as it is."""
    copied = _copy(data)
    for key, value in values.items():
        *parents, last = key.split(".")
        nest = copied
        for part in parents:
            inner = nest.get(part)
            nest[part] = inner = inner if isinstance(inner, dict) else {}
            nest = inner
        nest[last] = value
    return copied


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _copy(value) if isinstance(value, Mapping) else value for key, value in data.items()}


def dotted_keys(data: Any, prefix: str = "") -> list[str]:
    """Every key path in `data` (mappings only), for did-you-mean suggestions."""
    keys = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            path = f"{prefix}{key}"
            keys += [path, *dotted_keys(value, path + ".")]
    return keys


class Files:
    """Params and vars files of one load, read once each; `digests` lists what was read.
    `overrides` ({"train.lr": 0.2}) are dotted keys of the project's params.yaml set for this load
    only (`pivot run -S`): templating and the stages' recorded params both see them."""

    def __init__(self, root: pathlib.Path, overrides: Mapping[str, Any] | None = None) -> None:
        self.root = root
        self._data: dict[str, Any] = {}
        self.digests: dict[str, str] = {}
        self._overrides = dict(overrides or {})

    def read(self, rel: str, where: str) -> Any:
        """The parsed file `rel` (project-relative); a missing or broken one is a ConfigError at `where`."""
        if rel not in self._data:
            if self._overrides and rel == project.PARAMS_FILE:
                data = self._parse(rel, where) if (self.root / rel).is_file() else {}
                self._data[rel] = with_values(data if isinstance(data, Mapping) else {}, self._overrides)
            else:
                self._data[rel] = self._parse(rel, where)
        return self._data[rel]

    def has(self, rel: str) -> bool:
        """Whether `rel` is there to read: a params.yaml that overrides fill in counts as there."""
        return (self.root / rel).is_file() or (bool(self._overrides) and rel == project.PARAMS_FILE)

    def _parse(self, rel: str, where: str) -> Any:
        path = self.root / rel
        try:
            self.digests[rel] = file_digest(str(path))
            if rel.endswith(".json"):
                return json.loads(path.read_text(encoding="utf-8"))
            if rel.endswith(".toml"):
                import tomllib  # only a shell stage reading a .toml params file pays for it

                return tomllib.loads(path.read_text(encoding="utf-8"))
            return yamldoc.load(path, rel).data
        except FileNotFoundError:
            raise errors.ConfigError(f"{where}: file '{rel}' does not exist", hint="create it, or fix the file name") from None
        except (OSError, ValueError, errors.PivotError) as exc:  # json, toml and YAML errors
            raise errors.ConfigError(
                f"{where}: cannot read '{rel}': {' '.join(str(exc).split())}",
                hint="params files are YAML, JSON (.json) or TOML (.toml) mappings",
            ) from None


@dataclasses.dataclass(frozen=True, slots=True)
class Context:
    """What `${key}` can name: matrix values first, then `vars:`, then params.yaml."""

    values: Mapping[str, Any]
    # The stage's matrix values by dimension: `${item.dim}` names one even when `${item}`, with a
    # single dimension, is the value itself (DVC writes both).
    dims: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def fill(self, raw: str, where: str, stage: str) -> str:
        def substitute(match: re.Match[str]) -> str:
            return _text(self._value(match.group(1), where, stage), match.group(1), where, stage)

        filled = PLACEHOLDER.sub(substitute, raw)
        if "${" in PLACEHOLDER.sub("", raw):
            raise errors.ConfigError(
                f"{where}: stage '{stage}': '{raw}' has a '${{' without its closing '}}'",
                hint="write '${key}' with a key of params.yaml or of 'vars:'",
            )
        return filled

    def _value(self, key: str, where: str, stage: str) -> Any:
        value = lookup(self.values, key)
        if not found(value) and key.startswith("item."):
            value = lookup(self.dims, key.removeprefix("item."))
        if not found(value):
            hint = yamldoc.did_you_mean(key, dotted_keys(self.values))
            raise errors.ConfigError(
                f"{where}: stage '{stage}': unknown key '${{{key}}}': it is in no matrix dimension, "
                "'vars:' entry or params.yaml",
                hint=hint or "define it in params.yaml or under 'vars:' at the top of pivot.yaml",
            )
        return value


def _text(value: Any, key: str, where: str, stage: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, Mapping | list):
        raise errors.ConfigError(
            f"{where}: stage '{stage}': '${{{key}}}' is {'null' if value is None else 'a ' + type(value).__name__}, "
            "not a single value to write into text",
            hint="name a key that holds a string or a number, e.g. '${train.lr}'",
        )
    return str(value)


def context(doc: yamldoc.Document, files: Files, matrix_values: Mapping[str, Any]) -> Context:
    """The templating values for one stage: params.yaml (when it exists), `vars:` in order over it,
    then the stage's matrix values (`${dim}`, and `${item.dim}` as DVC writes them)."""
    merged: dict[str, Any] = {}
    if files.has(project.PARAMS_FILE):
        data = files.read(project.PARAMS_FILE, project.PARAMS_FILE)
        merged.update(data if isinstance(data, Mapping) else {})
    entries = doc.data.get("vars") or [] if isinstance(doc.data, Mapping) else []
    for index, entry in enumerate(entries):
        merged.update(_vars_entry(entry, f"{doc.where(('vars', index))}: 'vars'", files))
    item = dict(matrix_values)
    if len(item) == 1:  # one dimension: `${item}` is its value, as DVC's foreach
        merged["item"] = next(iter(item.values()))
    else:
        merged["item"] = item
    merged.update(item)
    return Context(merged, item)


def _vars_entry(entry: Any, where: str, files: Files) -> Mapping[str, Any]:
    if isinstance(entry, Mapping):
        return entry
    name, _, keys = str(entry).partition(":")
    rel = project.normalize(name, what=f"{where}: 'vars' file")
    data = files.read(rel, where)
    if not isinstance(data, Mapping):
        raise errors.ConfigError(f"{where}: '{rel}' is not a mapping of names to values", hint="write 'key: value' lines")
    if not keys:
        return data
    picked: dict[str, Any] = {}
    for key in (k.strip() for k in keys.split(",")):
        value = lookup(data, key)
        if not found(value):
            raise errors.ConfigError(
                f"{where}: '{rel}' has no key '{key}'", hint=yamldoc.did_you_mean(key, dotted_keys(data))
            )
        # `config.json:train` keeps the key: `${train.lr}`, as DVC writes it.
        *parents, last = key.split(".")
        nest = picked
        for part in parents:
            nest = nest.setdefault(part, {})
        nest[last] = value
    return picked
