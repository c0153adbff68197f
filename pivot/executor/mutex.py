"""Mutex groups: stages that share a group (`mutex: [gpu]`) never run at the same time.

The group `*` is exclusive: a stage in it starts only when nothing else runs, and nothing else
starts while it runs, nor while it waits for the running stages to finish (else a steady stream
of other ready stages could keep it waiting to the end of the run). A ready stage whose group is
busy is parked under that group, and the scheduler moves on to the next ready stage (no
head-of-line blocking); when the group is free again the first of its parked stages goes back
to the front of the ready queue.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping

ALONE = "*"
_IDLE = ""  # what an exclusive stage waits for: nothing running at all


class Mutex:
    def __init__(self, groups: Mapping[str, Iterable[str]]) -> None:
        self._groups = {name: tuple(found) for name, found in groups.items() if found}
        self._held: set[str] = set()
        self._parked: dict[str, collections.deque[str]] = collections.defaultdict(collections.deque)

    def __bool__(self) -> bool:
        """False when no stage has a group: the scheduler then skips every check."""
        return bool(self._groups)

    def acquire(self, name: str, running: int) -> bool:
        """Take `name`'s groups if they are all free (and, for `*`, nothing runs); otherwise park
        it and say False. `running`: how many stages run now."""
        busy = self._busy(name, running)
        if busy is not None:
            self._parked[busy].append(name)
            return False
        self._held.update(self._groups.get(name, ()))
        return True

    def release(self, name: str, running: int) -> list[str]:
        """`name` stopped (finished, failed or skipped): free its groups. Returns the parked
        stages that may start now, in the order they were parked: for a named group only the
        first that can take it (waking all of them would only park the rest again, at a cost
        that grows with the queue)."""
        freed = [group for group in self._groups.get(name, ()) if group in self._held]
        self._held.difference_update(freed)
        woken: list[str] = []
        if running == 0:
            woken += self._parked.pop(_IDLE, ())
        for group in freed:
            woken += self._parked.pop(ALONE, ()) if group == ALONE else self._next(group)
        return woken

    def _next(self, group: str) -> list[str]:
        """The first stage parked under the free `group` whose other groups are free too; those
        ahead of it that wait for another group as well move to that group's queue."""
        queue = self._parked.get(group)
        while queue:
            name = queue.popleft()
            other = next((held for held in self._groups[name] if held in self._held), None)
            if other is None:
                return [name]
            self._parked[other].append(name)
        return []

    def _busy(self, name: str, running: int) -> str | None:
        """The group that keeps `name` from starting now, or None."""
        if ALONE in self._held:
            return ALONE
        if self._parked.get(_IDLE):  # an exclusive stage waits: start nothing new until it ran
            return _IDLE
        groups = self._groups.get(name, ())
        if ALONE in groups and running:
            return _IDLE
        return next((group for group in groups if group in self._held), None)
