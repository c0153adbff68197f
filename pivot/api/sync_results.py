"""The values `pivot.api.sync` hands back: what push, fetch, pull, checkout, `remote status` and gc
moved, skipped or deleted, and the `Progress` a caller may pass for live news of a transfer.
Frozen dataclasses; the remote layer's summaries inside them are imported only for type checking,
so a local gc or checkout never loads fsspec."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from pivot import errors
from pivot.worktree import collect, gitignore, restore

if TYPE_CHECKING:
    from pivot.remote import collect as remote_collect
    from pivot.remote import runs as runs_transfer
    from pivot.remote import tasks
    from pivot.remote import trust as trust_mod


class Progress(Protocol):
    """Live news of a transfer, for a progress bar; None where the functions take it: silent."""

    def start(self, objects: int, size: int) -> None:
        """Once per transfer, before the first object moves: how many, and their bytes."""

    def advance(self, files: int, size: int) -> None:
        """Files and bytes moved since the last call."""

    def waiting_for_gc(self, remote: str, age: float) -> None:
        """A push waits for a gc -r on `remote` (running for `age` seconds) to finish; repeated."""


@dataclasses.dataclass(frozen=True, slots=True)
class SyncResult:
    """What every result below carries."""

    # Set when the work is done but the stat memo could not be kept because the disk is full:
    # nothing is wrong with the result; later commands hash again. The CLI ends with it (exit 1).
    memo_error: errors.PivotError | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class PushResult(SyncResult):
    remote: str = ""
    absent: tuple[str, ...] = ()  # referenced objects not in the local cache: skipped
    withheld_runs: int = 0  # run-cache entries not pushed: no run-cache key
    objects: tasks.TransferSummary | None = None  # None on a dry run
    runs: runs_transfer.RunsSummary | None = None  # None: no entries to push
    would_push: int = 0  # dry run: objects the remote lacks
    would_push_runs: int = 0  # dry run: run-cache entries the remote lacks

    @property
    def ok(self) -> bool:
        return self.objects is None or self.objects.ok


@dataclasses.dataclass(frozen=True, slots=True)
class FetchResult(SyncResult):
    remote: str = ""
    runs: runs_transfer.RunsSummary | None = None  # None: run cache left out
    unloadable: str | None = None  # why no outputs of recorded runs were fetched
    objects: tasks.TransferSummary | None = None  # None only in a default value

    @property
    def ok(self) -> bool:
        return self.objects is None or self.objects.ok


@dataclasses.dataclass(frozen=True, slots=True)
class CheckoutResult(SyncResult):
    outputs: restore.CheckoutResult = dataclasses.field(default_factory=lambda: restore.CheckoutResult(0, 0, ()))
    gitignore: gitignore.Update = dataclasses.field(default_factory=gitignore.Update)

    @property
    def ok(self) -> bool:
        return self.outputs.ok


@dataclasses.dataclass(frozen=True, slots=True)
class PullResult(SyncResult):
    damaged: tuple[str, ...] = ()  # outputs whose cached copy was edited through a link: fetched again
    fetched: FetchResult = FetchResult()
    checkout: CheckoutResult = CheckoutResult()

    @property
    def ok(self) -> bool:
        return self.fetched.ok and self.checkout.ok


@dataclasses.dataclass(frozen=True, slots=True)
class RemoteStatus:
    remote: str
    plan: Mapping[str, list[str]]  # output paths by "push", "pull" and "missing" (in neither cache)
    trust: trust_mod.Trust


@dataclasses.dataclass(frozen=True, slots=True)
class GcResult(SyncResult):
    """What gc deleted, or would (`dry_run`). Local: `local` and `dropped_runs`; on a remote
    (`remote` set): `collected`, whose plan says what went, what was kept and why, and what failed."""

    remote: str | None = None
    dry_run: bool = False
    started: bool = True  # False: the project has no .pivot/ yet, so nothing to collect
    dropped_runs: int = 0  # local run-cache entries deleted (drop_run_cache)
    local: collect.LocalPlan | None = None
    collected: remote_collect.Collected | None = None
    grace: float = 0.0
    declined: bool = False  # `confirm` said no: nothing was deleted
    failed: tuple[tuple[str, str], ...] = ()  # local objects that could not be deleted
    commits: int = 0  # commits whose locks and .pvt files were kept too (`revisions`)

    @property
    def ok(self) -> bool:
        done = self.collected
        return not self.failed and (done is None or not (done.failed or done.failed_runs))
