"""`pivot push|fetch|pull|checkout`: parse the arguments, call `pivot.api.sync`, and print what it
did. The objects are those the lock files (and tracked files) name, plus run-cache entries and
their objects (unless --no-run-cache)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from pivot.api import sync
from pivot.base import wording
from pivot.cli import common, console, verbosity
from pivot.remote import runs as runs_transfer
from pivot.remote import tasks
from pivot.remote import trust as trust_mod

_SHOWN_FAILURES = 10


def _common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--no-run-cache", is_flag=True, help="Leave run-cache entries (and their outputs) out.")(func)
    func = click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Transfers at once (default: 4x CPUs).")(func)
    func = click.option("-r", "--remote", "remote_name", default=None, help="Remote name (default: the default remote).")(func)
    return click.argument("stages", nargs=-1)(func)


@click.command()
@_common_options
@click.option("-n", "--dry-run", is_flag=True, help="Say what would be uploaded, upload nothing.")
@click.option("--verify", is_flag=True, help="Check every file of a directory on the remote, not only its manifest.")
def push(
    stages: tuple[str, ...], remote_name: str | None, jobs: int | None, no_run_cache: bool, dry_run: bool, verify: bool
) -> None:
    """Upload the cached outputs of STAGES (default: all) and tracked files that the remote lacks,
    and the run-cache entries of those stages whose outputs are all in the local cache. A path
    (an output or tracked data) in place of a stage: that data alone."""
    result = sync.push(
        common.find_project(), stages, remote=remote_name, jobs=jobs, dry_run=dry_run,
        progress=Progress("push"), run_cache=not no_run_cache, verify=verify, on_plan=_report_skipped,
    )
    _defer(result)
    if result.objects is None:
        click.echo(f"Would push {wording.count(result.would_push, 'object')} and {_entries(result.would_push_runs)} to {result.remote}")
        return
    _report_runs("Pushed", "to", result.remote, result.runs)
    _report("Pushed", "to", result.remote, result.objects, "already there")


def _report_skipped(planned: sync.PushResult) -> None:
    """Before anything moves (a push may then wait for a gc, or fail half-way): what it leaves out."""
    if planned.absent:
        n = len(planned.absent)
        click.echo(f"warning: {wording.count(n, 'output')} {wording.be(n)} not in the local cache and skipped "
                   "(run their stages, or pivot fetch them first)", err=True)
    if planned.withheld_runs:
        n = planned.withheld_runs
        _no_key_note(f"{wording.count(n, 'run-cache entry', 'run-cache entries')} {wording.be(n)} not pushed")


@click.command()
@_common_options
def fetch(stages: tuple[str, ...], remote_name: str | None, jobs: int | None, no_run_cache: bool) -> None:
    """Download into the local cache the objects of STAGES (default: all) that it lacks, the
    remote's run-cache entries, and the outputs of the recorded runs that `pivot run` would use."""
    result = sync.fetch(
        common.find_project(), stages, remote=remote_name, jobs=jobs, progress=Progress("fetch"), run_cache=not no_run_cache
    )
    _defer(result)
    _report_fetched(result, exit_on_failure=True)


@click.command()
@_common_options
@click.option("-f", "--force", is_flag=True, help="Overwrite outputs that differ and are not in the cache.")
def pull(stages: tuple[str, ...], remote_name: str | None, jobs: int | None, no_run_cache: bool, force: bool) -> None:
    """fetch, then checkout: bring the outputs of STAGES (default: all) into the workspace. A path
    (an output or tracked data, as `dvc pull PATH`) in place of a stage: that data alone."""
    result = sync.pull(
        common.find_project(), stages, remote=remote_name, jobs=jobs, force=force,
        progress=Progress("pull"), run_cache=not no_run_cache, on_fetched=_report_pulled,
    )
    _defer(result)
    _report_checkout(result.checkout)
    if not result.ok:
        click.get_current_context().exit(1)


def _report_pulled(fetched: sync.PullResult) -> None:
    """What the fetch half of a pull did, shown before the checkout starts (it may fail)."""
    for path in fetched.damaged:
        click.echo(f"warning: {path}: its cached copy was modified in place through a link; downloading it again", err=True)
    _report_fetched(fetched.fetched, exit_on_failure=False)


@click.command()
@click.argument("stages", nargs=-1)
@click.option("-f", "--force", is_flag=True, help="Overwrite outputs that differ and are not in the cache.")
@click.option("--relink", is_flag=True, help="Place the outputs already in place again, linked as cache.type says now.")
def checkout(stages: tuple[str, ...], force: bool, relink: bool) -> None:
    """Restore the outputs of STAGES (default: all) from the cache, as the lock files record them.
    A path (an output or tracked data) in place of a stage: that data alone."""
    result = sync.checkout(common.find_project(), stages, force=force, relink=relink)
    _defer(result)
    _report_checkout(result)
    if not result.ok:
        click.get_current_context().exit(1)


def remote_status(stages: Sequence[str], remote_name: str | None, as_json: bool) -> None:
    """What `push` would upload and `pull` would download, by output path."""
    found = sync.status(common.find_project(), stages, remote=remote_name)
    trust, plan, name = found.trust, found.plan, found.remote
    if as_json:
        mode = {"mode": trust.mode.value, "key_id": trust.key_id or None, "source": trust.source or None}
        click.echo(json.dumps({"remote": name, **plan, "run_cache": mode}, indent=2))
        return
    click.echo(
        f"Remote {name}: {len(plan['push'])} to push, {len(plan['pull'])} to pull"
        + (f", {len(plan['missing'])} in neither cache" if plan["missing"] else "")
    )
    for key, label in (("push", "to push"), ("pull", "to pull"), ("missing", "in neither cache (run the stage)")):
        for path in plan[key]:
            click.echo(f"  {label}: {path}")
    click.echo(f"Run cache: {_trust_text(trust, name)}")


def _defer(result: sync.PushResult | sync.FetchResult | sync.PullResult | sync.CheckoutResult) -> None:
    if result.memo_error is not None:
        common.defer(result.memo_error)


def _report_fetched(result: sync.FetchResult, *, exit_on_failure: bool) -> None:
    if result.runs is not None and result.runs.withheld:
        _no_key_note(f"{result.runs.withheld} run-cache entries on {result.remote} are not fetched")
    else:
        _report_runs("Fetched", "from", result.remote, result.runs)
    if result.unloadable is not None:
        click.echo(f"warning: the pipeline cannot be loaded, so no outputs of recorded runs are fetched: {result.unloadable}", err=True)
    if result.objects is not None:
        _report("Fetched", "from", result.remote, result.objects, "already in the cache", exit_on_failure=exit_on_failure)


def _report_checkout(result: sync.CheckoutResult) -> None:
    outputs = result.outputs
    click.echo(f"Restored {wording.count(outputs.restored, 'output')}, {outputs.current} already up to date")
    _problems(outputs.problems)
    console.report_gitignore(result.gitignore)


def _problems(lines: Sequence[str]) -> None:
    for line in lines[:_SHOWN_FAILURES]:
        click.echo(f"  {line}", err=True)
    if len(lines) > _SHOWN_FAILURES:
        click.echo(f"  ... and {len(lines) - _SHOWN_FAILURES} more", err=True)


def _report_runs(verb: str, direction: str, name: str, summary: runs_transfer.RunsSummary | None) -> None:
    if summary is None:
        return
    click.echo(f"{verb} {_entries(summary.transferred)} {direction} {name}, {summary.already} already there")
    for key, message in summary.skipped[:_SHOWN_FAILURES]:
        click.echo(f"warning: run-cache entry {key}: {message}", err=True)
    if len(summary.skipped) > _SHOWN_FAILURES:
        click.echo(f"warning: ... and {len(summary.skipped) - _SHOWN_FAILURES} more run-cache entries", err=True)


def _no_key_note(what: str) -> None:
    # One line on every push/pull: the team may simply not share its run cache.
    click.echo(f"note: {what}: no run-cache key to sign and check them with (set {trust_mod.ENV_VAR} "
               f"or run_cache.key in {trust_mod.LOCAL_CONFIG}; see README 'Security')", err=True)


def _trust_text(trust: trust_mod.Trust, name: str) -> str:
    if trust.mode is trust_mod.Mode.SIGNED:
        return f"entries signed and checked with key id {trust.key_id} (key from {trust.source})"
    if trust.mode is trust_mod.Mode.UNSIGNED:
        return (f"unsigned entries trusted ({trust.source}: true): whoever can write to {name} "
                "chooses what a matching run restores")
    return (f"off: no run-cache key, so entries on {name} are not fetched and none are pushed "
            f"(set {trust_mod.ENV_VAR} or run_cache.key in {trust_mod.LOCAL_CONFIG})")


class Progress:
    """A tqdm bar over objects with the bytes moved alongside, on a terminal only (not in CI or
    pipes); and one line when a push waits for a gc -r elsewhere, everywhere."""

    def __init__(self, verb: str) -> None:
        self._verb = verb
        self._bar: Any = None
        self._moved = 0
        self._told = False
        self._shown = sys.stderr.isatty() and not os.environ.get("CI") and not verbosity.quiet()

    def start(self, objects: int, size: int) -> None:
        if not self._shown:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(unit=" files", desc=self._verb, leave=False)
        self._bar.reset(total=objects)

    def advance(self, files: int, size: int) -> None:
        if self._bar is None:
            return
        self._moved += size
        self._bar.set_postfix_str(wording.size(self._moved), refresh=False)
        self._bar.update(files)

    def waiting_for_gc(self, remote: str, age: float) -> None:
        if not self._told:
            click.echo(f"waiting for a pivot gc -r on '{remote}' (running for {age:.0f}s) to finish before comparing", err=True)
            self._told = True


def _report(verb: str, direction: str, name: str, summary: tasks.TransferSummary, already: str, *, exit_on_failure: bool = True) -> None:
    click.echo(
        f"{verb} {wording.count(summary.transferred, 'file')} ({wording.size(summary.bytes)}) {direction} {name} "
        f"in {summary.seconds:.1f}s, {summary.already} {already}"
    )
    if summary.failed:
        click.echo(f"{wording.count(len(summary.failed), 'object')} failed:", err=True)
        _problems([f"{what}: {message}" for what, message in summary.failed])
        if exit_on_failure:
            click.get_current_context().exit(1)


def _entries(n: int) -> str:
    return wording.count(n, "run-cache entry", "run-cache entries")
