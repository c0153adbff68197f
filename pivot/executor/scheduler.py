"""A ready-queue scheduler over any `concurrent.futures.Executor`.

A stage starts as soon as every upstream stage it waits for has finished, with at most `jobs`
slots taken at once (a stage takes its `threads`, one by default, at most `jobs`), no more of a
named resource held than its limit, and never two of one mutex group (pivot.executor.mutex). A
ready stage that needs more slots or resources than are free waits; the ready stages behind it
that fit start meanwhile, in pipeline order. Fail-fast stops new
starts after a failure; keep-going blocks only the failed stage's dependents. When a worker dies
the pool breaks and takes every running task with it, so those tasks are run again one at a time:
the one that breaks the pool alone is the culprit.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from pivot import errors
from pivot.base import lifetime
from pivot.executor import crashes, pool
from pivot.executor import mutex as mutex_mod

AGAIN = "again"  # what `Hooks.complete` answers for a failed stage that is to run once more


class NodeState(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    BLOCKED = "blocked"  # an upstream stage failed
    NOT_STARTED = "not started"  # the run stopped first (fail-fast)


@dataclasses.dataclass(frozen=True, slots=True)
class Submission:
    """The call that runs one stage on the executor."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]


class Hooks(Protocol):
    def prepare(self, name: str) -> Submission | None:
        """What to run for `name`, or None when it is already done (skipped, restored)."""

    def complete(self, name: str, result: Any) -> bool | str:
        """Take a finished task's result; False marks the stage failed, AGAIN runs it again."""

    def crashed(self, name: str, message: str) -> None:
        """The stage's worker died; `message` says how."""

    def tick(self) -> None:
        """Called while waiting, a few times a second (e.g. to relay logs), and once before the
        first wait, when the first stages have just started."""


class Scheduler:
    def __init__(
        self,
        order: Sequence[str],
        upstream: Mapping[str, frozenset[str]],
        hooks: Hooks,
        *,
        jobs: int,
        keep_going: bool,
        make_executor: Callable[[], concurrent.futures.Executor],
        mutex: Mapping[str, Sequence[str]] | None = None,
        threads: Mapping[str, int] | None = None,
        resources: Mapping[str, Mapping[str, int]] | None = None,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        members = set(order)
        self._hooks = hooks
        self._jobs = max(1, jobs)
        self._keep_going = keep_going
        self._make_executor = make_executor
        self._waiting_on = {name: set(upstream[name]) & members for name in order}
        self._downstream: dict[str, set[str]] = {name: set() for name in order}
        for name, ups in self._waiting_on.items():
            for up in ups:
                self._downstream[up].add(name)
        self.state = {name: NodeState.PENDING for name in order}
        self._position = {name: i for i, name in enumerate(order)}
        self._ready = collections.deque(name for name in order if not self._waiting_on[name])
        self._running: dict[concurrent.futures.Future[Any], str] = {}
        self._suspects: collections.deque[str] = collections.deque()
        self._stopping = False
        self._waited = False
        self._mutex = mutex_mod.Mutex(mutex or {})  # stages of one group never run at once
        self._slots = {name: min(n, self._jobs) for name, n in (threads or {}).items() if n > 1}  # else 1
        self._taken = 0
        # Only resources with a limit are counted; more than the limit is all of it (as threads are
        # at most jobs), so that a stage always fits once nothing else runs.
        self._limits = dict(limits or {})
        self._needs = {
            name: {r: min(n, self._limits[r]) for r, n in need.items() if r in self._limits and n} for name, need in (resources or {}).items()
        }
        self._held = dict.fromkeys(self._limits, 0)

    def run(self) -> Mapping[str, NodeState]:
        executor = self._make_executor()
        try:
            while self._start_what_we_can(executor) or self._running:
                if self._running:
                    executor = self._collect(executor)
        except KeyboardInterrupt:
            pool.shutdown(executor, kill=True)
            raise errors.Interrupted("interrupted: no new stages started, running stages stopped") from None
        except BaseException:
            pool.shutdown(executor, kill=True)  # never leave workers running behind an error
            raise
        pool.shutdown(executor)
        for name, state in self.state.items():
            if state is NodeState.PENDING:
                self.state[name] = NodeState.NOT_STARTED
        return self.state

    def _start_what_we_can(self, executor: concurrent.futures.Executor) -> bool:
        """Start stages up to the limit; True while something could still start later."""
        while True:
            if self._suspects:
                if self._running:
                    return True
                self._start(executor, self._suspects.popleft())
                continue
            if self._stopping or not self._ready or self._taken >= self._jobs:
                return bool(self._ready) and not self._stopping
            name = self._next_fitting()
            if name is None:  # every ready stage needs more slots than are free: wait for some
                return True
            self._start(executor, name)

    def _next_fitting(self) -> str | None:
        """The first ready stage whose slots are free, taken out of the queue."""
        free = self._jobs - self._taken
        for index, name in enumerate(self._ready):
            if self._slots.get(name, 1) <= free and self._resources_free(name):
                del self._ready[index]
                return name
        return None

    def _resources_free(self, name: str) -> bool:
        return all(self._held[r] + n <= self._limits[r] for r, n in self._needs.get(name, {}).items())

    def _start(self, executor: concurrent.futures.Executor, name: str) -> None:
        if self._mutex and not self._mutex.acquire(name, len(self._running)):
            return  # parked until its group is free; the next ready stage goes ahead
        try:
            submission = self._hooks.prepare(name)
        except errors.PivotError:
            self._release(name)
            self._fail(name)
            return
        if submission is None:
            self._release(name)
            self._finish(name)
            return
        self.state[name] = NodeState.RUNNING
        self._running[executor.submit(submission.fn, *submission.args)] = name
        self._taken += self._slots.get(name, 1)
        for resource, amount in self._needs.get(name, {}).items():
            self._held[resource] += amount

    def _collect(self, executor: concurrent.futures.Executor) -> concurrent.futures.Executor:
        if not self._waited:
            self._waited = True
            self._hooks.tick()
        done, _ = concurrent.futures.wait(
            list(self._running), timeout=0.1, return_when=concurrent.futures.FIRST_COMPLETED
        )
        lifetime.stages_started()  # (after the first wait: the stages just sent need the CPUs first)
        self._hooks.tick()
        broken: list[tuple[str, BaseException]] = []
        for future in done:
            name = self._stopped(future)
            error = future.exception()
            if error is not None and crashes.is_broken(error):
                broken.append((name, error))
            elif error is not None:
                self._hooks.crashed(name, crashes.crash_text(error))
                self._fail(name)
            else:
                self._judge(name, self._hooks.complete(name, future.result()))
        if broken:
            executor = self._after_break(executor, broken)
        return executor

    def _after_break(
        self, executor: concurrent.futures.Executor, broken: list[tuple[str, BaseException]]
    ) -> concurrent.futures.Executor:
        # The dead pool fails every task it held; gather them all before deciding who is to blame.
        for future in concurrent.futures.as_completed(list(self._running)):
            name = self._stopped(future)
            error = future.exception()
            if error is None:  # finished just before the pool broke
                self._judge(name, self._hooks.complete(name, future.result()))
            else:
                broken.append((name, error))
        pool.shutdown(executor, kill=True)
        if len(broken) == 1:
            name, error = broken[0]
            self._hooks.crashed(name, crashes.describe_crash(error))
            self._fail(name)
        else:
            self._suspects.extend(name for name, _ in broken)
        return self._make_executor()

    def _judge(self, name: str, verdict: bool | str) -> None:
        if verdict == AGAIN:  # first in line: it was ready before the rest (a stopping run never starts it)
            self.state[name] = NodeState.PENDING
            self._ready.appendleft(name)
        elif verdict and verdict != AGAIN:
            self._finish(name)
        else:
            self._fail(name)

    def _stopped(self, future: concurrent.futures.Future[Any]) -> str:
        """The stage of a finished (or failed, or lost) task: its slots and groups are free again."""
        name = self._running.pop(future)
        self._taken -= self._slots.get(name, 1)
        for resource, amount in self._needs.get(name, {}).items():
            self._held[resource] -= amount
        self._release(name)
        return name

    def _release(self, name: str) -> None:
        if self._mutex:  # stages that waited for its groups go first, in the order they came
            self._ready.extendleft(reversed(self._mutex.release(name, len(self._running))))

    def _finish(self, name: str) -> None:
        self.state[name] = NodeState.DONE
        for down in sorted(self._downstream[name], key=self._position.__getitem__):
            self._waiting_on[down].discard(name)
            if not self._waiting_on[down] and self.state[down] is NodeState.PENDING:
                self._ready.append(down)

    def _fail(self, name: str) -> None:
        self.state[name] = NodeState.FAILED
        if not self._keep_going:
            self._stopping = True
            return
        todo = list(self._downstream[name])
        while todo:
            down = todo.pop()
            if self.state[down] is NodeState.PENDING:
                self.state[down] = NodeState.BLOCKED
                todo.extend(self._downstream[down])
