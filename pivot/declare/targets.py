"""Stage names from the command line: a full name, a base name (all its `base@...` variants) or a
glob (`'train@*'`), resolved the same way by every command that takes STAGE arguments; or, as
Snakemake's targets and DVC's sync targets are, an output path (`expand_paths`)."""

from __future__ import annotations

import fnmatch
import os
import pathlib
import posixpath
from collections.abc import Mapping, Sequence

from pivot import errors
from pivot.base import yamldoc
from pivot.declare.stage import VARIANT_SEPARATOR, base_name

_GLOB_CHARS = frozenset("*?[")


def resolve(patterns: Sequence[str], names: Sequence[str]) -> tuple[str, ...]:
    """The stages `patterns` name, in the order of `names` (the pipeline's), each once."""
    wanted: set[str] = set()
    for pattern in patterns:
        matched = matches(pattern, names)
        if not matched:
            raise _unknown(pattern, names)
        wanted.update(matched)
    return tuple(name for name in names if name in wanted)


def expand_paths(
    patterns: Sequence[str],
    names: Sequence[str],
    producers: Mapping[str, str],
    root: pathlib.Path,
    readers: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """`patterns` with each one that names no stage but a path replaced by the stages that write
    it: the output itself, the directory output it lies in, or every output inside it (`data/`).
    With `readers` (stage -> its deps: `--downstream`), a path no stage writes stands for the
    stages that read it, as Kedro's `--from-inputs`. A path is taken relative to the current
    directory, as the shell completes it, else to the project root. A pattern that is none of
    these stays, for `resolve` to refuse."""
    from pivot.declare.graph import ProducerIndex

    index: ProducerIndex | None = None
    expanded: list[str] = []
    for pattern in patterns:
        if matches(pattern, names) or is_glob(pattern):
            expanded.append(pattern)
            continue
        index = index or ProducerIndex(producers)
        found: set[str] = set()
        for path in project_paths(pattern, root):
            found = index.related(path) or (_reading(path, readers) if readers else set())
            if found:
                break
        expanded.extend([name for name in names if name in found] or [pattern])
    return expanded


def _reading(path: str, readers: Mapping[str, Sequence[str]]) -> set[str]:
    return {name for name, deps in readers.items() if any(dep == path or dep.startswith(path + "/") or path.startswith(dep + "/") for dep in deps)}


def project_paths(pattern: str, root: pathlib.Path) -> list[str]:
    """The project-relative paths `pattern` may mean: from the current directory, then the root."""
    found = []
    for absolute in (os.path.abspath(pattern), os.path.join(root, pattern)):
        relative = pathlib.Path(os.path.relpath(absolute, root)).as_posix()
        clean = posixpath.normpath(relative)
        if clean not in found and clean != "." and not clean.startswith("../") and clean != "..":
            found.append(clean)
    return found


def is_glob(pattern: str) -> bool:
    return bool(_GLOB_CHARS & set(pattern))


def matches(pattern: str, names: Sequence[str]) -> list[str]:
    if pattern in names:
        return [pattern]
    if _GLOB_CHARS & set(pattern):
        return [name for name in names if fnmatch.fnmatchcase(name, pattern)]
    return [name for name in names if name.startswith(pattern + VARIANT_SEPARATOR)]


def _unknown(pattern: str, names: Sequence[str]) -> errors.UnknownStageError:
    if _GLOB_CHARS & set(pattern):
        return errors.UnknownStageError(
            f"no stage matches '{pattern}'",
            hint=yamldoc.did_you_mean(pattern, names) or "the pipeline declares no stages",
        )
    choices = dict.fromkeys([*names, *(base_name(name) for name in names)])
    if "/" in pattern or "." in pattern:  # meant as a path, most likely
        return errors.UnknownStageError(
            f"no stage is named '{pattern}' and no stage writes that path",
            hint=yamldoc.did_you_mean(pattern, choices) or "'pivot list' shows each stage with its outputs",
        )
    return errors.UnknownStageError(
        f"unknown stage '{pattern}'",
        hint=yamldoc.did_you_mean(pattern, choices) or "the pipeline declares no stages",
    )
