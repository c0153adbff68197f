"""The one place that decides whether a stage runs, and why: `decide(...) -> Decision`.

Pure: it compares the lock file with facts gathered elsewhere (hashes, fingerprint, params).
`run`, `status` and `explain` all call it, so they can never disagree; each calls it once per
stage. The run cache is consulted through the lookup it is given, and only for a stage that would
run. A restore that fails afterwards turns the decision into a run (`restore_failed`) without
deciding again.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pivot.decide import changes
from pivot.decide.changes import Change as Change
from pivot.decide.changes import CodeChange as CodeChange
from pivot.decide.changes import ParamChange as ParamChange
from pivot.decide.changes import PathChange as PathChange

if TYPE_CHECKING:  # types only: a run with nothing to do makes Decisions without loading these
    from pivot.code.fingerprint import Fingerprint, Unseen
    from pivot.declare.stage import Stage
    from pivot.storage.hashing import HashInfo
    from pivot.storage.lock import StageLock
    from pivot.storage.runcache import Lookup, RunEntry


# Why an incremental stage (IncrementalOut, or a shell `persist: true` output) never uses the run
# cache: by design, so `explain` says it and a run does not repeat it on every start.
INCREMENTAL_NOTE = "not used: the stage has an incremental output, so each run builds on the one before"


class Reason(enum.Enum):
    NEVER_RUN = "Never run"
    FORCED = "Forced"
    CODE = "Code changed"
    PARAMS = "Parameters changed"
    DEPS = "Dependencies changed"
    OUTS_DECLARED = "Output declarations changed"
    OUTS = "Outputs missing or modified"
    UPSTREAM = "Upstream stage will run"
    CMD = "Command changed"  # a shell stage's command (its code), after templating
    ALWAYS_CHANGED = "Always changed"  # `always_changed: true`: it runs every time
    FROZEN = "Frozen"  # `frozen: true`: it never runs; the reasons after it say what changed
    TEMP_NEEDED = "Temp output needed"  # a stage that must run reads its temp output, removed since


@dataclasses.dataclass(frozen=True, slots=True)
class Facts:
    """What is true now, gathered by `observe`; everything `decide` needs besides the lock."""

    fingerprint: Fingerprint
    params: Mapping[str, Any]
    deps: Mapping[str, HashInfo | None]  # None: the dep is missing
    outs: Mapping[str, HashInfo | None]  # None: the output is missing
    restorable: frozenset[str] = frozenset()  # outputs whose locked version the cache holds
    # output -> its locked object, found damaged (content no longer matches its name): the stage
    # runs, and the run stores the object again
    damaged: Mapping[str, str] = dataclasses.field(default_factory=dict)
    edited: frozenset[str] = frozenset()  # outputs edited by hand: never restored over, the stage runs
    unknown_deps: frozenset[str] = frozenset()  # deps an upstream stage is about to rewrite


@dataclasses.dataclass(frozen=True, slots=True)
class Decision:
    """Whether a stage runs, every reason it does, and what it restores instead of running."""

    stage: str
    run: bool
    reasons: tuple[Reason, ...] = ()
    upstream: tuple[str, ...] = ()  # upstream stages that will run, when that is a reason
    param_changes: tuple[ParamChange, ...] = ()
    dep_changes: tuple[PathChange, ...] = ()
    code_changes: tuple[CodeChange, ...] = ()
    out_changes: tuple[PathChange, ...] = ()
    restore: tuple[str, ...] = ()  # outputs to restore from the cache instead of running
    # Stale, but a recorded run had the same inputs: `restore` (every output) comes from it.
    from_run_cache: bool = False
    run_cache_key: str = ""  # the entry, when from_run_cache
    # The entry itself, when from_run_cache: what restoring it writes, and what explain predicts.
    run_cache_entry: RunEntry | None = dataclasses.field(default=None, compare=False, repr=False)
    run_cache_note: str = ""  # an entry was found but not used, and why
    # Where the stage's code reaches code the fingerprint cannot follow (eval, computed getattr):
    # edits there are not detected, and explain says so instead of guessing.
    code_unseen: tuple[Unseen, ...] = ()
    # It cannot run: these deps do not exist and no stage produces them, or (blocked_by) an
    # upstream stage has such deps. Set by `observe.predict`, which knows the graph.
    missing_deps: tuple[str, ...] = ()
    blocked_by: tuple[str, ...] = ()
    # A shell stage's command as the lock records it and as it is now, when it changed.
    cmd_change: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    mutex: tuple[str, ...] = ()  # the stage's mutex groups, for the reader
    # Frozen, with these outputs missing and not in the cache: it cannot provide them.
    frozen_missing: tuple[str, ...] = ()
    needed_by: tuple[str, ...] = ()  # the stages that will run and read its removed temp outputs

    @property
    def blocked(self) -> bool:
        return bool(self.missing_deps or self.blocked_by or self.frozen_missing)

    @property
    def frozen(self) -> bool:
        return Reason.FROZEN in self.reasons

    def reason_text(self) -> str:
        parts = []
        for reason in self.reasons:
            if reason is Reason.UPSTREAM:
                parts.append(f"{reason.value} ({', '.join(self.upstream)})")
            elif reason is Reason.TEMP_NEEDED:
                parts.append(f"{reason.value} (by {', '.join(self.needed_by)})")
            elif reason is not Reason.FROZEN:
                parts.append(reason.value)
        if self.frozen:
            return Reason.FROZEN.value + (f" (would run otherwise: {', '.join(parts)})" if parts else "")
        return ", ".join(parts)


def decide(
    stage: Stage,
    lock: StageLock | None,
    facts: Facts,
    *,
    forced: bool = False,
    upstream_running: tuple[str, ...] = (),
    run_cache: Callable[[], Lookup | None] | None = None,
) -> Decision:
    """`run_cache`: looks the stage's inputs up (None: not keyable), called only for a stage that
    would run, is not forced, and has no hand-edited output (that reruns by design, as explain
    says, never a silent restore)."""
    decision = _decide(stage, lock, facts, forced=forced, upstream_running=upstream_running)
    if stage.frozen:
        decision = _frozen(stage, lock, facts, decision)
    if stage.mutex:
        decision = dataclasses.replace(decision, mutex=stage.mutex)
    if facts.fingerprint.unseen:
        decision = dataclasses.replace(decision, code_unseen=facts.fingerprint.unseen)
    if not decision.run or forced or run_cache is None or facts.edited:
        return decision
    from pivot.storage.runcache import LookupState

    lookup = run_cache()
    if lookup is None:
        return decision
    if lookup.state is not LookupState.HIT or lookup.entry is None:
        return dataclasses.replace(decision, run_cache_note=lookup.note)
    # The reasons stay: they say why the stage is stale; the run cache says why it need not run.
    return dataclasses.replace(
        decision,
        run=False,
        from_run_cache=True,
        run_cache_key=lookup.key,
        run_cache_entry=lookup.entry,
        restore=stage.out_paths,
    )


def current(stage: Stage, lock: StageLock | None, facts: Facts) -> bool:
    """Whether the stage is up to date with nothing to restore and nothing explain would add: the
    check the no-op memo makes after a run (`pivot.api.noop`). It decides nothing, so it never
    consults the run cache."""
    decision = _decide(stage, lock, facts, forced=False, upstream_running=())
    return not (decision.run or decision.restore or facts.fingerprint.unseen)


def run_cache_failed(decision: Decision, note: str) -> Decision:
    """The stage runs after all: restoring its run-cache entry failed (a damaged object).
    What deciding without the run cache would have said, with the failure as the note."""
    return dataclasses.replace(
        decision,
        run=True,
        from_run_cache=False,
        run_cache_key="",
        run_cache_entry=None,
        restore=(),
        run_cache_note=note,
    )


def temp_needed(decision: Decision, by: tuple[str, ...]) -> Decision:
    """A stage up to date whose temp output was removed after use runs again: `by` will run and
    read it. (A frozen stage still never runs: `by` then finds its dep missing.)"""
    if decision.frozen or decision.run:
        return decision
    return dataclasses.replace(decision, run=True, reasons=(*decision.reasons, Reason.TEMP_NEEDED), needed_by=by, restore=())


def restore_failed(stage: Stage, decision: Decision, facts: Facts, note: str) -> Decision:
    """The stage runs after all: an output it was to restore from the cache turned out damaged.
    Its outputs to restore are changed outputs instead, as if the cache had never held them."""
    restoring = set(decision.restore)
    if decision.frozen:  # it still never runs: the outputs it could not get back are missing
        missing = (*decision.frozen_missing, *(path for path in stage.out_paths if path in restoring))
        return dataclasses.replace(decision, restore=(), frozen_missing=missing, run_cache_note=note)
    changed = tuple(PathChange(out.path, changes.changed(out.path, facts)) for out in stage.outs if out.path in restoring)
    return dataclasses.replace(
        decision,
        run=True,
        reasons=(*decision.reasons, Reason.OUTS) if Reason.OUTS not in decision.reasons else decision.reasons,
        out_changes=(*decision.out_changes, *changed),
        restore=(),
        run_cache_note=note,
    )


def _decide(
    stage: Stage,
    lock: StageLock | None,
    facts: Facts,
    *,
    forced: bool,
    upstream_running: tuple[str, ...],
) -> Decision:
    if lock is None:
        return Decision(stage.name, True, (Reason.NEVER_RUN,))
    reasons: list[Reason] = [Reason.FORCED] if forced else []
    code = changes.code_changes(lock, facts.fingerprint)
    params = changes.param_changes(lock.params, facts.params)
    deps = changes.dep_changes(lock.deps, facts)
    declared = changes.declarations_changed(stage, lock)
    outs, restore = changes.out_changes(stage, lock, facts) if not declared else ((), ())
    code_changed = bool(code) or lock.code_fingerprint != facts.fingerprint.digest
    for reason, present in (
        (Reason.CODE, code_changed and not stage.is_shell),
        (Reason.CMD, code_changed and stage.is_shell),
        (Reason.PARAMS, params),
        (Reason.DEPS, deps),
        (Reason.OUTS_DECLARED, declared),
        (Reason.OUTS, outs),
        (Reason.UPSTREAM, upstream_running),
        (Reason.ALWAYS_CHANGED, stage.always_changed),
    ):
        if present:
            reasons.append(reason)
    run = bool(reasons)
    return Decision(
        stage=stage.name,
        run=run,
        reasons=tuple(reasons),
        upstream=tuple(upstream_running),
        param_changes=params,
        dep_changes=deps,
        code_changes=code,
        out_changes=outs,
        restore=() if run else restore,
        cmd_change=(lock.cmd, stage.cmd) if code_changed and stage.is_shell else None,
    )


def _frozen(stage: Stage, lock: StageLock | None, facts: Facts, would: Decision) -> Decision:
    """A frozen stage never runs, even forced (as in DVC): its reasons say so first, then why it
    would run otherwise. Missing outputs come back from the cache when it holds them, as
    `pivot checkout` would bring them; those it does not hold, the stage cannot provide."""
    restore = changes.out_changes(stage, lock, facts)[1] if lock is not None else ()
    missing = tuple(path for path in stage.out_paths if facts.outs.get(path) is None and path not in restore)
    reasons = (Reason.FROZEN, *would.reasons)
    return dataclasses.replace(would, run=False, reasons=reasons, restore=restore, frozen_missing=missing)


def frozen_text(decision: Decision) -> str:
    """Why a frozen stage cannot provide its outputs, and what to do."""
    many = len(decision.frozen_missing) > 1
    paths = ", ".join(f"'{path}'" for path in decision.frozen_missing)
    missing = f"output{'s' if many else ''} {paths} {'are' if many else 'is'} missing"
    if Reason.NEVER_RUN in decision.reasons:
        return f"frozen, has never run, and its {missing}: remove 'frozen: true' to run it once"
    return (
        f"frozen, and its {missing} and not in the cache: 'pivot pull' fetches what a remote has, "
        "or remove 'frozen: true' to run the stage"
    )
