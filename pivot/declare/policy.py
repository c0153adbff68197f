"""The scheduling and cache policy keys every stage may have: `mutex`, `threads`, `resources`,
`retries`, `always_changed`, `frozen`, and the selection key `tags` (docs/selection.md).

They follow DVC's meaning (docs/scheduling.md). Read from a pivot.yaml entry the schema has
accepted, or from a `Pipeline.register` call that checked its own arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KEYS = ("mutex", "threads", "resources", "retries", "always_changed", "frozen", "tags", "desc")


def from_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The keys as `StageConfig` fields: `mutex: gpu` is the list `[gpu]`, written once."""
    mutex = entry.get("mutex")
    groups = (mutex,) if isinstance(mutex, str) else tuple(mutex or ())
    return {
        "mutex": tuple(dict.fromkeys(groups)),
        "threads": entry.get("threads") or 1,
        "retries": entry.get("retries"),  # None: `pivot run --retries` (default 0)
        "resources": tuple(sorted(dict(entry.get("resources") or {}).items())),
        "always_changed": bool(entry.get("always_changed")),
        "frozen": bool(entry.get("frozen")),
        "tags": tuple(dict.fromkeys(entry.get("tags") or ())),
        "desc": str(entry.get("desc") or ""),
    }


def tags_problem(value: Any) -> str | None:
    """What is wrong with a `tags` value, or None: a list of non-empty names without ','."""
    if not isinstance(value, list | tuple) or not all(isinstance(tag, str) for tag in value):
        return "must be a list of tag names"
    if not all(tag.strip() and "," not in tag for tag in value):
        return "a tag name must not be empty nor contain ','"
    return None


def threads_problem(value: Any) -> str | None:
    """What is wrong with a `threads` value, or None: a whole number, at least 1."""
    if type(value) is not int or value < 1:
        return "must be a whole number of at least 1: the job slots of -j the stage takes while it runs"
    return None


def retries_problem(value: Any) -> str | None:
    """What is wrong with a `retries` value, or None: a whole number, 0 or more."""
    if type(value) is not int or value < 0:
        return "must be a whole number, 0 or more: how many times a failed run of the stage is run again"
    return None


def resources_problem(value: Any) -> str | None:
    """What is wrong with a `resources` value (a stage's needs, or a run's limits), or None: a
    mapping of names to whole numbers, 0 or more."""
    if not isinstance(value, dict) or not all(isinstance(name, str) and name.strip() for name in value):
        return "must map resource names to amounts, e.g. {gpu: 1, mem_gb: 16}"
    wrong = next((name for name, amount in value.items() if type(amount) is not int or amount < 0), None)
    if wrong is not None:
        return f"the amount of '{wrong}' must be a whole number, 0 or more, got {value[wrong]!r}"
    return None


def mutex_problem(value: Any) -> str | None:
    """What is wrong with a `mutex` value, or None: a group name or a list of them."""
    groups = [value] if isinstance(value, str) else value
    if not isinstance(groups, list | tuple) or not all(isinstance(group, str) for group in groups):
        return "must be a group name or a list of group names"
    if not all(group.strip() for group in groups):
        return "a group name must not be empty"
    return None
