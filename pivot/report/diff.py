"""Compare two snapshots key by key; numbers get a difference, everything else just old and new."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pivot.base import plain


class _Absent:
    """A side that has no such file or key: '-' in tables, null in JSON."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    """One param or metric at two revisions."""

    group: str  # the stage (params) or the metrics file (metrics)
    key: str
    old: Any
    new: Any

    @property
    def changed(self) -> bool:
        """NaN against NaN is no change (a metric that is NaN in both revisions); NaN against a
        number is one."""
        return self.old is ABSENT or self.new is ABSENT or not plain.same(self.old, self.new)

    @property
    def delta(self) -> float | None:
        if _is_number(self.old) and _is_number(self.new):
            if not self.changed:
                return 0  # no change is 0, never 0.0, -0.0 or NaN - NaN
            delta = self.new - self.old
            return 0 if delta == 0 else delta
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def compare(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]], *, include_unchanged: bool = False
) -> list[Row]:
    """Rows in the new side's order, then what only the old side has."""
    rows = []
    for group in [*new, *(g for g in old if g not in new)]:
        before, after = old.get(group, {}), new.get(group, {})
        for key in [*after, *(k for k in before if k not in after)]:
            row = Row(group, key, before.get(key, ABSENT), after.get(key, ABSENT))
            if include_unchanged or row.changed:
                rows.append(row)
    return rows
