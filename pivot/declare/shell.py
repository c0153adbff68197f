"""Shell stages: a pivot.yaml entry with `cmd:` instead of `python:`, spelt as DVC's dvc.yaml.

Such a stage needs no import: its identity is its command after templating (`${key}` from matrix
values, `vars:` and params.yaml), the params keys it lists and its deps' hashes. Paths and params
files are relative to its `wdir:`, as in DVC.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

import xxhash

from pivot import errors, loaders
from pivot.base import project, yamldoc
from pivot.code import canonical, fingerprint
from pivot.declare import matrix, plotopts, policy, shellvalues
from pivot.declare.stage import DepSpec, OutKind, OutSpec, Returns, Stage

_OWNED = (project.PIPELINE_FILE, project.PYTHON_PIPELINE_FILE, project.PIVOT_DIR, ".git")


@dataclasses.dataclass(frozen=True, slots=True)
class ShellEntry:
    """One shell stage as written (a matrix entry gives one per variant, with its values)."""

    base: str  # the key under `stages:`
    raw: Mapping[str, Any]
    matrix_values: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def is_shell(entry: Mapping[str, Any]) -> bool:
    return isinstance(entry, Mapping) and "cmd" in entry


def variants(base: str, entry: Mapping[str, Any], doc: yamldoc.Document) -> list[tuple[str, ShellEntry]]:
    if "python" in entry:  # the schema says so too; this holds when validation was memoized away
        raise errors.ConfigError(
            f"{doc.where(('stages', base))}: stage '{base}' has both 'python:' and 'cmd:'",
            hint="a stage is either a Python function or a shell command: remove one of them",
        )
    if entry.get("matrix"):
        return [(name, ShellEntry(base, entry, values)) for name, values in matrix.combinations(base, entry, doc)]
    if entry.get("name") is not None:
        raise errors.ConfigError(
            f"{doc.where(('stages', base, 'name'))}: stage '{base}': 'name:' names the variants of a "
            "matrix, but the stage has no 'matrix:'",
            hint="add a 'matrix:' with the dimensions the name uses, or remove 'name:'",
        )
    return [(base, ShellEntry(base, entry))]


def param_roots(entries: Iterable[ShellEntry | None]) -> set[str]:
    """The top-level keys of params.yaml that shell stages read (params or `${...}`): params.yaml
    may hold them beside the sections of Python stages."""
    roots: set[str] = set()
    for entry in entries:
        if entry is None:
            continue
        roots.update(item.split(".")[0] for item in entry.raw.get("params") or [] if isinstance(item, str))
        text = json.dumps(entry.raw, default=str)
        roots.update(key.split(".")[0] for key in shellvalues.PLACEHOLDER.findall(text))
    return roots


def keys_read(entry: ShellEntry) -> tuple[set[str], bool]:
    """The dotted keys of the project's params.yaml the stage reads: those its `${...}` name and,
    when that file is its params file (no `wdir:`), those it lists; and whether it lists the whole
    file (`params.yaml:` without keys)."""
    keys = set(shellvalues.PLACEHOLDER.findall(json.dumps(entry.raw, default=str)))
    wdir = entry.raw.get("wdir")
    whole = False
    if wdir is None or str(wdir).strip() in ("", "."):
        for item in entry.raw.get("params") or []:
            groups = item.items() if isinstance(item, Mapping) else [(None, [item])]
            for file, listed in groups:
                if file is None or str(file) == project.PARAMS_FILE:
                    keys.update(str(key) for key in listed or [])
                    whole = whole or not listed
    return keys, whole


def reads(entry: ShellEntry, key: str) -> bool:
    """Whether the stage reads params.yaml's dotted `key`, itself or a key above or below it."""
    keys, whole = keys_read(entry)
    return whole or any(k == key or k.startswith(key + ".") or key.startswith(k + ".") for k in keys)


def passes(entry: ShellEntry, key: str) -> bool:
    """Whether a `${...}` of the stage names params.yaml's dotted `key` (or a key above or below
    it), so its command receives the value; a key it only lists, its script reads from the file."""
    keys = set(shellvalues.PLACEHOLDER.findall(json.dumps(entry.raw, default=str)))
    return any(k == key or k.startswith(key + ".") or key.startswith(k + ".") for k in keys)


def build(name: str, entry: ShellEntry, doc: yamldoc.Document, files: shellvalues.Files) -> tuple[Stage, fingerprint.Fingerprint]:
    builder = _Builder(name, entry, doc, files)
    wdir = builder.wdir()
    stage = Stage(
        name=name,
        func="",
        deps=tuple(DepSpec(path, path, loaders.PathOnly()) for path, _ in builder.paths("deps", wdir)),
        outs=builder.outs(wdir),
        returns=Returns.NOTHING,
        params=builder.params(wdir),
        source=doc.where(("stages", entry.base)),
        cmd=builder.commands(),
        wdir=wdir,
        **policy.from_entry(entry.raw),
    )
    identity = json.dumps({"cmd": list(stage.cmd), "wdir": wdir}, sort_keys=True)
    code = fingerprint.Fingerprint(
        digest=xxhash.xxh3_128_hexdigest(identity.encode()),
        manifest={},
        locations={},
        # Every values file this load read so far: the load memo watches them for changes.
        sources=dict(files.digests),
        scheme=canonical.SCHEME,
    )
    return stage, code


class _Builder:
    def __init__(self, name: str, entry: ShellEntry, doc: yamldoc.Document, files: shellvalues.Files) -> None:
        self._name = name
        self._entry = entry
        self._doc = doc
        self._files = files
        self._context = shellvalues.context(doc, files, entry.matrix_values)

    def _where(self, *parts: str | int) -> str:
        return self._doc.where(("stages", self._entry.base, *parts))

    def _fill(self, raw: Any, *parts: str | int) -> str:
        return self._context.fill(str(raw), self._where(*parts), self._name)

    def commands(self) -> tuple[str, ...]:
        raw = self._entry.raw["cmd"]
        listed = isinstance(raw, list)
        commands = tuple(self._fill(cmd, "cmd", index) if listed else self._fill(cmd, "cmd") for index, cmd in enumerate(raw if listed else [raw]))
        if not commands or not all(cmd.strip() for cmd in commands):
            raise errors.ConfigError(
                f"{self._where('cmd')}: stage '{self._name}': 'cmd' is empty",
                hint="write the command to run, e.g. 'cmd: python src/train.py'",
            )
        return commands

    def wdir(self) -> str:
        raw = self._entry.raw.get("wdir")
        if raw is None or str(raw).strip() in ("", "."):
            return ""
        return project.normalize(self._fill(raw, "wdir"), what=f"{self._where('wdir')}: stage '{self._name}': wdir")

    def paths(self, section: str, wdir: str) -> list[tuple[str, dict[str, Any]]]:
        """(project-relative path, its options) for each entry of `section`."""
        found = []
        for index, item in enumerate(self._entry.raw.get(section) or []):
            raw, options = next(iter(item.items())) if isinstance(item, Mapping) else (item, None)
            filled = self._fill(raw, section, index)
            what = f"{self._where(section, index)}: stage '{self._name}': {section[:-1]}"
            path = project.normalize(posixpath.join(wdir, filled.replace("\\", "/")), what=what)
            if section != "deps" and any(project.is_within(path, owned) for owned in _OWNED):
                raise errors.PathError(
                    f"{what} '{path}' belongs to pivot or git, not to a stage", hint="write outputs elsewhere in the project"
                )
            found.append((path, dict(options or {})))
        return found

    def outs(self, wdir: str) -> tuple[OutSpec, ...]:
        return tuple(_out_spec(path, kind, options) for kind in OutKind for path, options in self.paths(kind.value, wdir))

    def params(self, wdir: str) -> dict[str, Any]:
        """Each listed key's value, named `key` for params.yaml and `file:key` for another file."""
        default = posixpath.join(wdir, project.PARAMS_FILE) if wdir else project.PARAMS_FILE
        values: dict[str, Any] = {}
        for index, item in enumerate(self._entry.raw.get("params") or []):
            where = self._where("params", index)
            groups = item.items() if isinstance(item, Mapping) else [(None, [item])]
            for file, keys in groups:
                rel = default if file is None else project.normalize(posixpath.join(wdir, str(file)), what=f"{where}: params file")
                values.update(self._file_params(rel, keys, default, where))
        return values

    def _file_params(self, rel: str, keys: list[str] | None, default: str, where: str) -> dict[str, Any]:
        data = self._files.read(rel, f"{where}: stage '{self._name}': params")
        prefix = "" if rel == default else f"{rel}:"
        if not keys:  # `file.yaml:` alone: every top-level key, as DVC tracks a whole file
            return {f"{prefix}{key}": value for key, value in (data or {}).items()} if isinstance(data, Mapping) else {}
        found = {}
        for key in keys:
            value = shellvalues.lookup(data, str(key))
            if not shellvalues.found(value):
                hint = yamldoc.did_you_mean(str(key), shellvalues.dotted_keys(data))
                raise errors.ParamsError(
                    f"{where}: stage '{self._name}': param '{key}' is not in {rel}",
                    hint=hint or f"add it to {rel}, or remove it from the stage's 'params:'",
                )
            found[f"{prefix}{key}"] = value
        return found


def _out_spec(path: str, kind: OutKind, options: Mapping[str, Any]) -> OutSpec:
    # DVC's `persist: true` is an incremental output: restored by copy before each run, no run cache.
    plot = plotopts.normalized(options)  # checked by the schema (config_schema._shell_path)
    cache, persist = bool(options.get("cache", True)), bool(options.get("persist", False))
    temp = options.get("temp") is True
    return OutSpec(path, path, loaders.PathOnly(), kind, cache and not temp, incremental=persist, plot=plot, temp=temp)
