"""One dvc.yaml stage body (`cmd`, `deps`, `outs`, ...) as a pivot.yaml shell stage.

pivot.yaml spells shell stages as dvc.yaml does, so most keys carry over as they are; the keys and
output options pivot has no equivalent for are dropped with a note, and a key DVC itself would
refuse (a typo, a wrong type) stops the import naming dvc.yaml's line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pivot import errors
from pivot.base import yamldoc
from pivot.dvcimport.notes import Note

PATH_SECTIONS = ("outs", "metrics", "plots")
# In the order pivot.yaml lists them; `matrix`, `foreach` and `do` are handled by dvcyaml.
KEPT = ("desc", "cmd", "wdir", "deps", "params", *PATH_SECTIONS, "frozen", "always_changed")
DROPPED = {
    "meta": "`meta` has no pivot equivalent, dropped",
    "vars": "stage-level `vars` have no pivot equivalent, dropped: move them to the top-level `vars:`",
}
STAGE_KEYS = (*KEPT, *DROPPED, "foreach", "do", "matrix")

OUT_OPTIONS = ("cache", "persist")
PLOT_OPTIONS = ("x", "y", "template", "title", "x_label", "y_label")
DROPPED_OPTIONS = {
    "desc": "has no pivot equivalent, dropped",
    "type": "has no pivot equivalent, dropped",
    "labels": "has no pivot equivalent, dropped",
    "meta": "has no pivot equivalent, dropped",
    "remote": "dropped: pivot pushes every cached output to the remote `pivot push` names",
    "push": "dropped: pivot pushes every cached output",
    "checkpoint": "dropped: DVC's checkpoints have no pivot equivalent",
    "header": "dropped: pivot reads a CSV plot's header from the file itself",
}


class StageConverter:
    """Converts stage bodies of one dvc.yaml, collecting notes on what was dropped."""

    def __init__(self, doc: yamldoc.Document, notes: list[Note]) -> None:
        self.doc = doc
        self.notes = notes

    def error(self, loc: yamldoc.Loc, stage: str, problem: str, hint: str) -> errors.ConfigError:
        return errors.ConfigError(f"{self.doc.where(loc)}: stage '{stage}': {problem}", hint=hint)

    def note(self, loc: yamldoc.Loc, what: str, reason: str) -> None:
        self.notes.append(Note(self.doc.where(loc), what, reason))

    def check_keys(self, name: str, body: Any, loc: yamldoc.Loc) -> Mapping[str, Any]:
        if not isinstance(body, Mapping):
            raise self.error(loc, name, f"expected a mapping of keys (cmd, deps, outs, ...), found {_kind(body)}", "write the stage as 'key: value' lines")
        for key in body:
            if key not in STAGE_KEYS:
                raise self.error(
                    (*loc, key), name, f"unknown key '{key}', which DVC does not accept either",
                    yamldoc.did_you_mean(str(key), STAGE_KEYS) or "remove it",
                )
        return body

    def convert(self, name: str, body: Mapping[str, Any], loc: yamldoc.Loc) -> dict[str, Any]:
        """The pivot.yaml entry of one stage body (without `foreach`, `do` and `matrix`)."""
        for key, reason in DROPPED.items():
            if key in body:
                self.note((*loc, key), f"stage '{name}'", reason)
        if "cmd" not in body:
            raise self.error(loc, name, "has no 'cmd'", "every dvc.yaml stage runs a command: add 'cmd:'")
        stage: dict[str, Any] = {}
        if body.get("desc") is not None:
            if not isinstance(body["desc"], str):
                raise self.error((*loc, "desc"), name, f"desc must be text, found {_kind(body['desc'])}", "write it as one line of text")
            stage["desc"] = body["desc"]
        stage["cmd"] = self._cmd(name, body["cmd"], (*loc, "cmd"))
        if body.get("wdir") is not None:
            stage["wdir"] = self._text(name, body["wdir"], (*loc, "wdir"), "wdir")
        if body.get("deps"):
            stage["deps"] = [self._text(name, dep, (*loc, "deps", i), "a dep") for i, dep in enumerate(self._list(name, body, loc, "deps"))]
        if body.get("params"):
            stage["params"] = [self._param(name, item, (*loc, "params", i)) for i, item in enumerate(self._list(name, body, loc, "params"))]
        for section in PATH_SECTIONS:
            if body.get(section):
                items = self._list(name, body, loc, section)
                stage[section] = [self._path(name, section, item, (*loc, section, i)) for i, item in enumerate(items)]
        for flag in ("frozen", "always_changed"):
            if flag in body:
                if not isinstance(body[flag], bool):
                    raise self.error((*loc, flag), name, f"'{flag}' must be true or false, found {_kind(body[flag])}", f"write '{flag}: true'")
                if body[flag]:
                    stage[flag] = True
        return stage

    def _cmd(self, name: str, raw: Any, loc: yamldoc.Loc) -> str | list[str]:
        if isinstance(raw, str) and raw.strip():
            return raw
        if isinstance(raw, list) and raw and all(isinstance(item, str) and item.strip() for item in raw):
            return list(raw)
        raise self.error(loc, name, f"'cmd' must be a command or a list of commands, found {_kind(raw)}", "write 'cmd: python src/train.py'")

    def _list(self, name: str, body: Mapping[str, Any], loc: yamldoc.Loc, key: str) -> list[Any]:
        value = body[key]
        if not isinstance(value, list):
            raise self.error((*loc, key), name, f"'{key}' must be a list, found {_kind(value)}", f"write '{key}:' with one '- item' per line")
        return value

    def _text(self, name: str, raw: Any, loc: yamldoc.Loc, what: str) -> str:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise self.error(loc, name, f"{what} must be a path, found {_kind(raw)}", "write the path as a string")
        return str(raw)

    def _param(self, name: str, item: Any, loc: yamldoc.Loc) -> str | dict[str, list[str] | None]:
        if isinstance(item, str):
            return item
        if isinstance(item, Mapping) and all(isinstance(f, str) for f in item):
            for file, keys in item.items():
                if keys is not None and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
                    raise self.error((*loc, file), name, f"the keys of params file '{file}' must be a list of names", f"write '- {file}: [key1, key2]'")
            return {str(file): None if keys is None else list(keys) for file, keys in item.items()}
        raise self.error(loc, name, f"a params entry must be a key or 'file: [keys]', found {_kind(item)}", "write '- train.lr' or '- config.yaml: [lr]'")

    def _path(self, name: str, section: str, item: Any, loc: yamldoc.Loc) -> str | dict[str, Any]:
        if isinstance(item, str):
            return item
        if not (isinstance(item, Mapping) and len(item) == 1 and isinstance(next(iter(item)), str)):
            raise self.error(loc, name, f"each '{section}' entry must be a path or 'path: {{options}}', found {_kind(item)}", "write '- data/out.csv' or '- data/out.csv: {cache: false}'")
        path, options = next(iter(item.items()))
        if options is None:
            return str(path)
        if not isinstance(options, Mapping):
            raise self.error((*loc, path), name, f"the options of '{path}' must be a mapping", "write '- path: {cache: false}'")
        allowed = OUT_OPTIONS + (PLOT_OPTIONS if section == "plots" else ())
        kept: dict[str, Any] = {}
        for key, value in options.items():
            if key in allowed:
                kept[key] = value
            elif key in DROPPED_OPTIONS or key in PLOT_OPTIONS:
                reason = DROPPED_OPTIONS.get(key, f"dropped: it is an option of plots, not of {section}")
                self.note((*loc, path, key), f"stage '{name}': {section[:-1]} '{path}'", f"`{key}` {reason}")
            else:
                raise self.error(
                    (*loc, path, key), name, f"unknown option '{key}' of '{path}', which DVC does not accept either",
                    yamldoc.did_you_mean(str(key), allowed) or "remove it",
                )
        return {str(path): kept} if kept else str(path)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(type(value), type(value).__name__)
