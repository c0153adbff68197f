"""How `pivot status` words one stage's decision, in one place: the status line, the DAG page
(`pivot dag --html`) and anything else that shows a stage's state say it the same way."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from pivot.decide.status import Decision, Reason, frozen_text


def frozen_without_outputs(decisions: Sequence[Decision]) -> frozenset[str]:
    return frozenset(d.stage for d in decisions if d.frozen_missing)


def state_text(d: Decision, frozen: Collection[str] = ()) -> str:
    """The words after the stage name on its `pivot status` line ("up to date", "will run: ...",
    "blocked: ..."); `frozen`: the stages frozen without their outputs (`frozen_without_outputs`)."""
    state = f"will run: {d.reason_text()}" if d.run else "up to date"
    if d.frozen:
        state = "frozen" + d.reason_text().removeprefix(Reason.FROZEN.value)  # "frozen (would run ...)"
    if d.blocked:
        state = f"blocked: {blocked_text(d, frozen)}"
    elif d.from_run_cache:
        state = f"will be restored from run cache: {d.reason_text()}"
    elif not d.run and d.restore:
        state += f" (will restore {', '.join(d.restore)} from the cache)"
    return state


def blocked_text(d: Decision, frozen: Collection[str] = ()) -> str:
    """Why a stage cannot run: its own missing deps first, else the upstream stages that have
    some (or, named in `frozen`, are frozen without their outputs)."""
    if d.frozen_missing:
        return frozen_text(d)
    if d.missing_deps:
        paths = ", ".join(f"'{path}'" for path in d.missing_deps)
        verb, it = ("does", "it") if len(d.missing_deps) == 1 else ("do", "them")
        return f"needs {paths}, which {verb} not exist and no stage produces {it}"
    ups = ", ".join(f"'{up}'" for up in d.blocked_by)
    if all(up in frozen for up in d.blocked_by):
        many = len(d.blocked_by) > 1
        return f"upstream stage{'s' if many else ''} {ups} {'are' if many else 'is'} frozen without {'their' if many else 'its'} outputs"
    return f"upstream stage{'s' if len(d.blocked_by) > 1 else ''} {ups} cannot run (a dependency is missing)"
