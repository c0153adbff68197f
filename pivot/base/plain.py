"""Plain values (what YAML and JSON hold) compared and merged the same way everywhere: whether a
param or metric changed, and how one config layer lands on another."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any


def same(old: Any, new: Any) -> bool:
    """Whether `new` is `old` unchanged: equal and of the same type (1 -> 1.0 and 0 -> False are
    changes), NaN the same as NaN (float equality says a NaN differs even from itself, which
    would report a NaN metric as changed on every diff and rerun a stage with a NaN param),
    containers compared element by element under the same rules."""
    if type(old) is not type(new):
        return False
    if isinstance(old, float):
        return old == new or (math.isnan(old) and math.isnan(new))
    if isinstance(old, Mapping):
        return old.keys() == new.keys() and all(same(value, new[key]) for key, value in old.items())
    if isinstance(old, Sequence) and not isinstance(old, str | bytes):
        return len(old) == len(new) and all(same(a, b) for a, b in zip(old, new, strict=True))
    return bool(old == new)


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`extra` laid over `base`, as a new dict: mappings present in both merge key by key, at any
    depth; anything else in `extra` (a scalar, a list, a mapping over a non-mapping) replaces what
    `base` had. Neither input is changed, and the result shares no container with them, so
    merging a third layer into it cannot reach back into the first."""
    merged = {key: _copied(value) for key, value in base.items()}
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = _copied(value)
    return merged


def _copied(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _copied(inner) for key, inner in value.items()}
    return copy.deepcopy(value)
