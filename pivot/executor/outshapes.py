"""Loading and saving the output shapes in the worker: lists and tuples of paths, directories as
`{relative path: value}`, and the previous value of an incremental output.

Stages without these shapes take the same steps as before: one loader call per path.
"""

from __future__ import annotations

import os
import pathlib
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pivot import loaders
from pivot.base import diskfull
from pivot.declare.stage import DepSpec, OutSpec, Shape, Stage


class ShapeError(Exception):
    """A returned value does not fit the declared shape (the worker reports it as a contract error)."""


def arguments(stage: Stage) -> dict[str, Any]:
    """The keyword arguments of the stage function: each dep loaded (a list or tuple for a
    sequence of paths, a dict for a directory), and each incremental output's previous value."""
    kwargs: dict[str, Any] = {}
    groups: dict[str, list[Any]] = {}
    for dep in stage.deps:
        value = _load_dir(dep) if dep.shape is Shape.DIRECTORY else dep.loader.load(pathlib.Path(dep.path))
        if dep.member is None:
            kwargs[dep.name] = value
        else:
            groups.setdefault(dep.member.field, []).append(value)
    for dep in stage.deps:
        if dep.member is not None and dep.member.field not in kwargs:
            values = groups[dep.member.field]
            kwargs[dep.member.field] = tuple(values) if dep.member.sequence == "tuple" else values
    for out in stage.outs:
        if out.param:
            kwargs[out.param] = _previous(out)
    return kwargs


def _load_dir(dep: DepSpec) -> dict[str, Any]:
    root = pathlib.Path(dep.path)
    if not root.is_dir():
        raise NotADirectoryError(f"dep '{dep.name}': '{dep.path}' is not a directory")
    found = sorted(path for path in root.rglob("*") if path.is_file())
    return {path.relative_to(root).as_posix(): dep.loader.load(path) for path in found}


def _previous(out: OutSpec) -> Any:
    path = pathlib.Path(out.path)
    if isinstance(out.loader, loaders.PathOnly) or os.path.lexists(path):
        return out.loader.load(path)
    return out.loader.empty()  # the first run (or the output was removed): start from nothing


def spread(stage: Stage, by_field: Mapping[str, Any]) -> dict[OutSpec, Any]:
    """Each output's value from what the stage returned per field: a sequence field is split
    over its members, after checking that it has as many items as paths."""
    values: dict[OutSpec, Any] = {}
    for out in stage.outs:
        if out.member is None:
            values[out] = by_field[out.name]
            continue
        returned = by_field[out.member.field]
        if not isinstance(returned, list | tuple):
            raise ShapeError(
                f"output '{out.member.field}' is declared as {out.member.size} paths, so the stage must "
                f"return a list or tuple of {out.member.size} values; it returned a {type(returned).__name__}"
            )
        if len(returned) != out.member.size:
            raise ShapeError(
                f"output '{out.member.field}' is declared as {out.member.size} paths but the stage "
                f"returned {len(returned)} values"
            )
        values[out] = returned[out.member.index]
    return values


def check(values: Mapping[OutSpec, Any]) -> None:
    """Refuse a directory value with bad keys before anything is saved."""
    for out, value in values.items():
        if out.shape is not Shape.DIRECTORY:
            continue
        if not isinstance(value, Mapping):
            raise ShapeError(
                f"output '{out.name}' is a DirectoryOut: return a dict of relative paths to values, "
                f"not a {type(value).__name__}"
            )
        _check_keys(out, value)


def _check_keys(out: OutSpec, value: Mapping[Any, Any]) -> None:
    folded: dict[str, str] = {}
    for key in value:
        why = _bad_key(key)
        if why:
            raise ShapeError(f"output '{out.name}' ({out.path}): key {key!r} {why}")
        # Two keys that differ only in case are one file on macOS and Windows.
        other = folded.setdefault(key.casefold(), key)
        if other != key:
            raise ShapeError(f"output '{out.name}' ({out.path}): keys {other!r} and {key!r} differ only in case")


def _bad_key(key: Any) -> str:
    if not isinstance(key, str):
        return f"is a {type(key).__name__}; keys must be relative paths (strings)"
    if not key or key.startswith("/") or "\\" in key or pathlib.PureWindowsPath(key).drive:
        return "is not a relative POSIX path (write e.g. 'part/0.json')"
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "has an empty, '.' or '..' part (write e.g. 'part/0.json')"
    return ""


def save_directory(out: OutSpec, value: Mapping[str, Any], root: pathlib.Path) -> None:
    """Write every entry into a fresh directory beside the target, then move it into place: a
    failed save leaves no half-written output."""
    target = root / out.path
    import shutil  # on first use: shutil imports bz2 and lzma (2 ms of every run's start)

    tmp = target.with_name(f".{target.name}.pivot-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with diskfull.writing(target):
            tmp.mkdir(parents=True)
            for key in sorted(value):
                path = tmp / posixpath.normpath(key)
                path.parent.mkdir(parents=True, exist_ok=True)
                out.loader.save(value[key], path)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)  # what the stage itself left there
            os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cleared_before_run(stage: Stage) -> Iterable[str]:
    """The outputs removed before a run: all but the incremental ones, which are restored."""
    return (out.path for out in stage.outs if not out.incremental)


def incremental(stage: Stage) -> Sequence[OutSpec]:
    return [out for out in stage.outs if out.incremental]
