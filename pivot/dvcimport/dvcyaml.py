"""dvc.yaml as pivot.yaml: `vars`, each stage (`foreach`/`do` and `matrix` included), and the
top-level `metrics` and `plots` placed on the stages that write their files.

`foreach` over a list of values and `matrix` become pivot matrices, named as DVC names them
(`train@small`, `train@small-1`). `foreach` over a mapping, or over a list of mappings, has no
pivot spelling (a matrix takes single values): each item becomes a stage of its own,
`${item.x}` and `${key}` filled in, named `base_key` since a pivot.yaml stage key cannot hold '@'.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
from collections.abc import Mapping
from typing import Any

from pivot import errors
from pivot.base import yamldoc
from pivot.declare import shellvalues
from pivot.dvcimport import dvcstage, toplevel
from pivot.dvcimport.notes import Note

DVC_FILE = "dvc.yaml"
TOP_KEYS = ("stages", "vars", "params", "metrics", "plots", "artifacts", "datasets")
DROPPED_TOP = {
    "params": "top-level `params` (files for `dvc params diff`) dropped: `pivot params` shows the params stages list",
    "artifacts": "`artifacts` (DVC's model registry) has no pivot equivalent, dropped",
    "datasets": "`datasets` has no pivot equivalent, dropped",
}
_ITEM = re.compile(r"\$\{\s*(item(?:\.[^}\s]+)?|key)\s*\}")


@dataclasses.dataclass(frozen=True, slots=True)
class Converted:
    pipeline: Mapping[str, Any]  # pivot.yaml's content: `vars` (when any) and `stages`
    notes: tuple[Note, ...]


def load(root: pathlib.Path) -> yamldoc.Document | None:
    """dvc.yaml at `root` with its lines; None when there is none."""
    path = root / DVC_FILE
    if not path.is_file():
        return None
    return yamldoc.load(path, DVC_FILE)


def convert(doc: yamldoc.Document, root: pathlib.Path) -> Converted:
    data = doc.data
    if not isinstance(data, Mapping):
        raise errors.ConfigError(f"{DVC_FILE}: expected a mapping with 'stages:', found {type(data).__name__}", hint="is this DVC's dvc.yaml?")
    notes: list[Note] = []
    for key in data:
        if key not in TOP_KEYS:
            raise errors.ConfigError(
                f"{doc.where((key,))}: unknown top-level key '{key}', which DVC does not accept either",
                hint=yamldoc.did_you_mean(str(key), TOP_KEYS) or "remove it",
            )
        if key in DROPPED_TOP:
            notes.append(Note(doc.where((key,)), DVC_FILE, DROPPED_TOP[key]))
    pipeline: dict[str, Any] = {}
    if data.get("vars"):
        pipeline["vars"] = _vars(doc, data["vars"])
    stages = _Stages(doc, root, notes)
    raw_stages = data.get("stages") or {}
    if not isinstance(raw_stages, Mapping):
        raise errors.ConfigError(f"{doc.where(('stages',))}: 'stages' must be a mapping of stage names to stages", hint="write 'stages:' with one 'name:' per stage")
    for name, body in raw_stages.items():
        stages.add(str(name), body)
    placer = toplevel.Placer(stages.converted, notes)
    placer.metrics(doc, data.get("metrics") or [])
    placer.plots(doc, data.get("plots") or [])
    pipeline["stages"] = stages.converted
    return Converted(pipeline, tuple(notes))


def _vars(doc: yamldoc.Document, raw: Any) -> list[Any]:
    if not isinstance(raw, list) or not all(isinstance(item, str | Mapping) for item in raw):
        raise errors.ConfigError(f"{doc.where(('vars',))}: 'vars' must be a list of files and mappings", hint="write '- params.yaml' or '- {name: value}' lines")
    return [dict(item) if isinstance(item, Mapping) else item for item in raw]


class _Stages:
    def __init__(self, doc: yamldoc.Document, root: pathlib.Path, notes: list[Note]) -> None:
        self.doc = doc
        self.root = root
        self.converter = dvcstage.StageConverter(doc, notes)
        self.converted: dict[str, dict[str, Any]] = {}
        self._values: Mapping[str, Any] | None = None

    def add(self, name: str, body: Any) -> None:
        loc: yamldoc.Loc = ("stages", name)
        body = self.converter.check_keys(name, body, loc)
        if "foreach" in body:
            self._foreach(name, body, loc)
        elif "matrix" in body:
            self._matrix(name, body, loc)
        else:
            self.converted[name] = self.converter.convert(name, body, loc)

    def _resolve(self, raw: Any, loc: yamldoc.Loc, name: str) -> Any:
        """A `foreach`/matrix value written as `${key}`: the value of `key` in vars or params.yaml."""
        match = shellvalues.PLACEHOLDER.fullmatch(raw.strip()) if isinstance(raw, str) else None
        if match is None:
            return raw
        if self._values is None:
            self._values = shellvalues.context(self.doc, shellvalues.Files(self.root), {}).values
        value = shellvalues.lookup(self._values, match.group(1))
        if not shellvalues.found(value):
            hint = yamldoc.did_you_mean(match.group(1), shellvalues.dotted_keys(self._values))
            raise self.converter.error(loc, name, f"'{raw}' names no key of 'vars' or params.yaml", hint or "define it in params.yaml")
        return value

    def _foreach(self, name: str, body: Mapping[str, Any], loc: yamldoc.Loc) -> None:
        items = self._resolve(body["foreach"], (*loc, "foreach"), name)
        do = self.converter.check_keys(f"{name}.do", body.get("do"), (*loc, "do"))
        if isinstance(items, list) and items and all(_scalar(item) for item in items):
            self.converted[name] = {"matrix": {"item": list(items)}, **self.converter.convert(name, do, (*loc, "do"))}
            return
        if isinstance(items, list) and items and all(isinstance(item, Mapping) for item in items):
            pairs: list[tuple[str, Any]] = [(str(index), item) for index, item in enumerate(items)]
        elif isinstance(items, Mapping) and items:
            pairs = [(str(key), item) for key, item in items.items()]
        else:
            raise self.converter.error((*loc, "foreach"), name, "'foreach' must be a non-empty list or mapping", "write 'foreach: [a, b]'")
        names = [f"{name}_{key}" for key, _ in pairs]
        for (key, item), stage_name in zip(pairs, names, strict=True):
            filled = _fill_items(do, key, item)
            self.converted[stage_name] = self.converter.convert(stage_name, filled, (*loc, "do"))
        self.converter.note(
            (*loc, "foreach"), f"stage '{name}'",
            f"`foreach` over mappings became the stages {', '.join(names)} (DVC's {name}@<key>): "
            "a pivot matrix takes single values and a pivot.yaml stage key cannot hold '@'",
        )

    def _matrix(self, name: str, body: Mapping[str, Any], loc: yamldoc.Loc) -> None:
        raw = body["matrix"]
        if not isinstance(raw, Mapping) or not raw:
            raise self.converter.error((*loc, "matrix"), name, "'matrix' must map dimension names to lists of values", "write 'matrix: {model: [a, b]}'")
        dims: dict[str, list[Any]] = {}
        for dim, values in raw.items():
            values = self._resolve(values, (*loc, "matrix", dim), name)
            if not isinstance(values, list) or not values:
                raise self.converter.error((*loc, "matrix", dim), name, f"matrix dimension '{dim}' must be a non-empty list", f"write '{dim}: [a, b]'")
            if not all(_scalar(value) for value in values):
                self.converter.note((*loc, "matrix", dim), f"stage '{name}'", "matrix values that are lists or mappings have no pivot equivalent: stage not converted")
                return
            dims[str(dim)] = list(values)
        rest = {key: value for key, value in body.items() if key != "matrix"}
        stage: dict[str, Any] = {"matrix": dims}
        if len(dims) > 1:  # DVC joins the values with '-', pivot with '_' unless told
            stage["name"] = f"{name}@" + "-".join(f"{{{dim}}}" for dim in dims)
        self.converted[name] = {**stage, **self.converter.convert(name, rest, loc)}


def _scalar(value: Any) -> bool:
    return value is not None and not isinstance(value, Mapping | list)


def _fill_items(body: Any, key: str, item: Any) -> Any:
    """`body` with `${key}`, `${item}` and `${item.x}` replaced; every other `${...}` kept for pivot."""
    if isinstance(body, Mapping):
        return {_fill_items(k, key, item): _fill_items(v, key, item) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill_items(v, key, item) for v in body]
    if not isinstance(body, str):
        return body

    def value(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref == "key":
            return key
        found = shellvalues.lookup({"item": item}, ref)
        if not shellvalues.found(found) or isinstance(found, Mapping | list):
            return match.group(0)  # left for pivot, which names the key in its error
        return json.dumps(found) if isinstance(found, bool) else str(found)

    return _ITEM.sub(value, body)
