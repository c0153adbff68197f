"""Stage names from the command line: a full name, a base name (all its `base@...` variants) or a
glob (`'train@*'`), resolved the same way by every command that takes STAGE arguments."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

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
    return errors.UnknownStageError(
        f"unknown stage '{pattern}'",
        hint=yamldoc.did_you_mean(pattern, choices) or "the pipeline declares no stages",
    )
