"""`pivot explain` (why each stage will run or not) and `pivot status` (one line per stage)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

import click

from pivot.base import wording
from pivot.cli import common, selecting
from pivot.decide import statustext
from pivot.decide.status import Change, Decision, PathChange
from pivot.decide.statustext import blocked_text, frozen_without_outputs
from pivot.declare.selection import Selection
from pivot.report import render
from pivot.worktree import restore


@click.command()
@click.argument("stages", nargs=-1)
@selecting.options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("-f", "--force", is_flag=True, help="Explain as if running with -f.")
@click.option("--no-run-cache", is_flag=True, help="Explain as if running with --no-run-cache.")
@common.set_option
def explain(
    stages: tuple[str, ...], as_json: bool, force: bool, no_run_cache: bool, sets: tuple[str, ...], selection: Selection
) -> None:
    """Explain why each of STAGES (default: all) will run or not.

    With -S, as a run given those params would find them."""
    proj = common.api()
    selecting.report_left_out(proj, stages, selection, err=as_json)
    decisions = proj.explain(stages, force=force, run_cache=not no_run_cache, overrides=common.overrides(sets), selection=selection)
    if as_json:
        click.echo(json.dumps(render.json_tree([decision_json(d) for d in decisions]), indent=2))
        return
    frozen = frozen_without_outputs(decisions)
    click.echo("\n".join(explain_block(d, frozen) for d in decisions), nl=False)


@click.command()
@click.argument("stages", nargs=-1)
@selecting.options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--explain", "detail", is_flag=True, help="The full explanation, as `pivot explain`.")
@click.option("--remote", "against_remote", is_flag=True, help="What push and pull would transfer.")
@click.option("-r", "remote_name", default=None, help="The remote for --remote (default: the default remote).")
@common.set_option
def status(
    stages: tuple[str, ...],
    as_json: bool,
    detail: bool,
    against_remote: bool,
    remote_name: str | None,
    sets: tuple[str, ...],
    selection: Selection,
) -> None:
    """One line per stage: up to date, or will run and why; then one line per tracked (.pvt)
    path: unchanged, modified or missing (with STAGES, only those the stages depend on).

    With --json, tracked paths appear as top-level keys "tracked:PATH" (a colon never occurs in a
    stage name) with {"pvt": ..., "status": ...}, and only when there are any.
    """
    overrides = common.overrides(sets)
    if against_remote or remote_name:
        if overrides:
            raise click.UsageError("-S previews a run; it does not apply to --remote")
        if not selection.plain:
            raise click.UsageError("--remote takes STAGES only, not the selection options")
        from pivot.cli import sync

        sync.remote_status(stages, remote_name, as_json)
        return
    proj = common.api()
    selecting.report_left_out(proj, stages, selection, err=as_json)
    report = proj.status_report(stages, tracked=not detail, overrides=overrides, selection=selection)
    decisions = [entry.decision for entry in report.stages]
    if detail:
        frozen = frozen_without_outputs(decisions)
        click.echo("\n".join(explain_block(d, frozen) for d in decisions), nl=False)
    elif as_json:
        payload: dict[str, Any] = {d.stage: stage_json(d) for d in decisions}
        for item in report.tracked:
            payload[f"tracked:{item.path}"] = {"pvt": item.pvt, "status": item.state.value}
        click.echo(json.dumps(render.json_tree(payload), indent=2))
    else:
        if not decisions and not report.tracked and not stages and selection.plain:
            click.echo("No stages and no tracked data here (declare stages in pivot.yaml, or track data: pivot track PATH).")
        print_status(decisions)
        width = max((wording.width(item.pvt) for item in report.tracked), default=0)
        for item in report.tracked:
            click.echo(f"{wording.ljust(item.pvt, width)}  {item.state.value}")


def print_status(decisions: Sequence[Decision]) -> None:
    width = max((wording.width(d.stage) for d in decisions), default=0)
    frozen = frozen_without_outputs(decisions)
    for d in decisions:
        state = statustext.state_text(d, frozen)
        if d.mutex:
            state += f" [{mutex_text(d)}]"
        click.echo(f"{wording.ljust(d.stage, width)}  {state}")
        for change in d.out_changes:
            if change.change is Change.EDITED:
                click.echo(f"{' ' * width}  {edited_line(change.path)}")


def explain_block(d: Decision, frozen: Collection[str] = ()) -> str:
    lines = [f"Stage: {d.stage}" + (f" ({mutex_text(d)})" if d.mutex else ""), f"  Status: {_status_word(d)}"]
    if d.blocked:
        lines.append(f"  Blocked: {blocked_text(d, frozen)}")
    elif d.run or d.from_run_cache or d.frozen:
        lines.append(f"  Reason: {d.reason_text()}")
    if d.run_cache_note:
        lines.append(f"  Run cache: {d.run_cache_note}")
    for spot in d.code_unseen:
        lines.append(f"  Code: {spot.name} uses {spot.what} ({spot.location}); edits reached through it are not detected")
    sections = [
        ("Param changes", [f"{c.key}: {fmt(c.old, c.old is None)} -> {fmt(c.new, c.new is None)}" for c in d.param_changes]),
        ("Dependency changes", [f"{c.path}: {c.change.value}" for c in d.dep_changes]),
        ("Code changes", [f"{c.name}{f' ({c.location})' if c.location else ''}: {c.change.value}" for c in d.code_changes]),
        ("Command changes", _command_change(d)),
        ("Output changes", [_out_change(c) for c in d.out_changes]),
        ("Restored from the run cache instead of running" if d.from_run_cache else "Restored from the cache instead of running", list(d.restore)),
    ]
    for title, items in sections:
        if items:
            lines += ["", f"  {title}:", *(f"    {item}" for item in items)]
    return "\n".join(lines) + "\n"


def _command_change(d: Decision) -> list[str]:
    if d.cmd_change is None:
        return []
    old, new = d.cmd_change
    return [f"was: {' && '.join(old) if old else '(no command recorded)'}", f"now: {' && '.join(new)}"]


def edited_line(path: str) -> str:
    """What run, status and explain say of a hand-edited output (checkout says it keeps it)."""
    return f"{restore.edited_note(path)}: the stage runs and replaces it; save a copy first if you need it"


def _out_change(c: PathChange) -> str:
    return edited_line(c.path) if c.change is Change.EDITED else f"{c.path}: {c.change.value}"


def _status_word(d: Decision) -> str:
    if d.blocked:
        return "BLOCKED"
    if d.from_run_cache:
        return "STALE, restored from run cache"
    if d.frozen:
        return "FROZEN"
    return "WILL RUN" if d.run else "UP TO DATE"


def mutex_text(d: Decision) -> str:
    return "runs alone" if "*" in d.mutex else f"mutex: {', '.join(d.mutex)}"


def fmt(value: Any, absent: bool = False) -> str:
    if absent:
        return "(not set)"
    if isinstance(value, str):
        return value
    return json.dumps(wording.unsigned_zero(value))


def _reason_list(d: Decision) -> list[str]:
    return [reason.value for reason in d.reasons]


def stage_json(d: Decision) -> dict[str, Any]:
    """The stage schema that `status --json` and `explain --json` share (documented in README.md)."""
    return {
        "stage": d.stage,
        "will_run": d.run,
        "reasons": _reason_list(d),
        "from_run_cache": d.from_run_cache,
        "restore": list(d.restore),
        "missing_deps": list(d.missing_deps),
        "blocked_by": list(d.blocked_by),
        "mutex": list(d.mutex),
        "frozen_missing": list(d.frozen_missing),
    }


def decision_json(d: Decision) -> dict[str, Any]:
    """`explain --json`: the shared stage schema plus what changed, in detail."""
    return {
        **stage_json(d),
        "upstream": list(d.upstream),
        "param_changes": [
            {"key": c.key, "old": c.old, "new": c.new, "change": c.change.value} for c in d.param_changes
        ],
        "dep_changes": [{"path": c.path, "change": c.change.value} for c in d.dep_changes],
        "code_changes": [
            {"name": c.name, "location": c.location, "change": c.change.value} for c in d.code_changes
        ],
        "out_changes": [{"path": c.path, "change": c.change.value} for c in d.out_changes],
        "run_cache_note": d.run_cache_note,
        "cmd_change": {"old": list(d.cmd_change[0]), "new": list(d.cmd_change[1])} if d.cmd_change else None,
        "code_unseen": [{"name": u.name, "what": u.what, "location": u.location} for u in d.code_unseen],
    }
