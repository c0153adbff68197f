"""`pivot push|fetch|pull|checkout`: move cache objects between the local cache and a remote, and
restore outputs from the cache. The objects are those the lock files (and tracked files) name,
plus run-cache entries and their objects (unless --no-run-cache)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence

import click

from pivot import errors
from pivot.base import project, wording
from pivot.decide import observe
from pivot.declare import discovery, targets
from pivot.worktree import gitignore, references, restore
from pivot.cli import common, console
from pivot.remote import fs, inflight, runs as runs_transfer, spec as remote_spec, transfer, trust as trust_mod
from pivot.worktree.workspace import Workspace

_SHOWN_FAILURES = 10


def _common_options(func: Callable) -> Callable:
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
    and the run-cache entries of those stages whose outputs are all in the local cache."""
    with _session(stages, remote_name) as (ws, remote, refs):
        oids = _oids(refs)
        absent = [oid for oid in oids if not ws.cache.is_complete(oid)]
        if absent:
            click.echo(f"warning: {wording.count(len(absent), 'output')} {wording.be(len(absent))} not in the local cache and skipped "
                       "(run their stages, or pivot fetch them first)", err=True)
        whole = set(oids).difference(absent)
        trust = trust_mod.resolve(ws.settings)
        runs = {} if no_run_cache else references.shareable_runs(ws.cache, ws.run_cache, list(stages) or None, complete=whole)
        if trust.mode is trust_mod.Mode.OFF and runs:
            _no_key_note(f"{len(runs)} run-cache entries are not pushed")
            runs = {}  # their outputs neither: only lock files and tracked files name what is pushed
        present = sorted(whole.union(*(e.oids() for e in runs.values())))
        if dry_run:
            missing = transfer.pending(ws.cache, remote, present, jobs=_jobs(jobs))
            entries = len(set(runs) - remote.list_runs()) if runs else 0
            click.echo(f"Would push {wording.count(len(missing), 'object')} and {_entries(entries)} to {remote.spec.name}")
            return
        # Announced before comparing: gc -r in another clone keeps what this push relies on.
        with inflight.announced(remote, ws.cache.tmp_dir, references.expand(ws.cache, present), runs, on_wait=_gc_notice(remote.name)):
            summary = transfer.push(ws.cache, remote, present, jobs=_jobs(jobs), **_progress("push"), verify=verify)
            failed = {oid for oid, _ in summary.failed}
            pushed = runs_transfer.push_runs(ws.cache, remote, runs, failed, trust, jobs=_jobs(jobs)) if runs else None
    _report_runs("Pushed", "to", remote.spec.name, pushed)
    _report("Pushed", "to", remote.spec.name, summary, "already there")


@click.command()
@_common_options
def fetch(stages: tuple[str, ...], remote_name: str | None, jobs: int | None, no_run_cache: bool) -> None:
    """Download into the local cache the objects of STAGES (default: all) that it lacks, the
    remote's run-cache entries, and the outputs of the recorded runs that `pivot run` would use."""
    with _session(stages, remote_name) as (ws, remote, refs):
        oids = _oids(refs) + _fetch_runs(ws, remote, stages, jobs, no_run_cache)
        summary = transfer.fetch(ws.cache, remote, oids, jobs=_jobs(jobs), **_progress("fetch"))
    _report("Fetched", "from", remote.spec.name, summary, "already in the cache")


@click.command()
@_common_options
@click.option("-f", "--force", is_flag=True, help="Overwrite outputs that differ and are not in the cache.")
def pull(stages: tuple[str, ...], remote_name: str | None, jobs: int | None, no_run_cache: bool, force: bool) -> None:
    """fetch, then checkout: bring the outputs of STAGES (default: all) into the workspace."""
    with _session(stages, remote_name) as (ws, remote, refs):
        for path in restore.drop_damaged(ws, refs):
            click.echo(f"warning: {path}: its cached copy was modified in place through a link; downloading it again", err=True)
        oids = _oids(refs) + _fetch_runs(ws, remote, stages, jobs, no_run_cache)
        summary = transfer.fetch(ws.cache, remote, oids, jobs=_jobs(jobs), **_progress("pull"))
        _report("Fetched", "from", remote.spec.name, summary, "already in the cache", exit_on_failure=False)
        restored = _checkout(ws, _stage_names(ws.project, stages), force)
    if not summary.ok or not restored:
        click.get_current_context().exit(1)


@click.command()
@click.argument("stages", nargs=-1)
@click.option("-f", "--force", is_flag=True, help="Overwrite outputs that differ and are not in the cache.")
def checkout(stages: tuple[str, ...], force: bool) -> None:
    """Restore the outputs of STAGES (default: all) from the cache, as the lock files record them."""
    proj = common.find_project()
    names = _stage_names(proj, stages)
    project.ensure_dot_dir(proj)
    with common.project_lock(proj), common.opened(proj) as ws:
        ok = _checkout(ws, names, force)
    if not ok:
        click.get_current_context().exit(1)


@contextlib.contextmanager
def _session(
    stages: Sequence[str], remote_name: str | None
) -> Iterator[tuple[Workspace, fs.Remote, list[references.Reference]]]:
    """The workspace, the remote and the objects the selected stages reference."""
    proj = common.find_project()
    names = _stage_names(proj, stages)
    project.ensure_dot_dir(proj)
    # Held for the whole transfer: gc must not delete what is being pushed, nor a run rewrite
    # the outputs a pull is restoring.
    with common.project_lock(proj), common.opened(proj) as ws:
        remote = fs.Remote(remote_spec.resolve(ws.settings, remote_name, proj.root))
        yield ws, remote, references.referenced(proj, names)


def _gc_notice(name: str) -> Callable[[float], None]:
    told: list[bool] = []

    def notice(age: float) -> None:
        if not told:
            click.echo(f"waiting for a pivot gc -r on '{name}' (running for {age:.0f}s) to finish before comparing", err=True)
            told.append(True)

    return notice


def _oids(refs: Sequence[references.Reference]) -> list[str]:
    return sorted({ref.oid for ref in refs})


def _fetch_runs(ws: Workspace, remote: fs.Remote, stages: Sequence[str], jobs: int | None, skip: bool) -> list[str]:
    """Download the remote's run-cache entries; return the objects of those a run of STAGES would
    restore from (planned as `pivot run` would, counting entries whose objects are still remote)."""
    if skip:
        return []
    fetched = runs_transfer.fetch_runs(ws.cache, ws.run_cache, remote, trust_mod.resolve(ws.settings), jobs=_jobs(jobs))
    if fetched.withheld:
        _no_key_note(f"{fetched.withheld} run-cache entries on {remote.spec.name} are not fetched")
    else:
        _report_runs("Fetched", "from", remote.spec.name, fetched)
    if next(ws.run_cache.keys(), None) is None:
        return []  # nothing recorded anywhere: no need to import the pipeline's code
    try:
        loaded = common.load(ws.project)
        names = common.select(loaded, stages)
    except errors.InputError as exc:
        click.echo(f"warning: the pipeline cannot be loaded, so no outputs of recorded runs are fetched: {exc.message}", err=True)
        return []
    decisions = observe.predict(ws, loaded.graph, loaded.pipeline.fingerprints, names, fetchable=True)
    oids: set[str] = set()
    for decision in decisions:
        if decision.from_run_cache:
            entry = ws.run_cache.read(decision.run_cache_key)
            oids |= entry.oids() if entry is not None else set()
    return sorted(oids)


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


def remote_status(stages: Sequence[str], remote_name: str | None, as_json: bool) -> None:
    """What `push` would upload and `pull` would download, by output path."""
    with _session(stages, remote_name) as (ws, remote, refs):
        trust = trust_mod.resolve(ws.settings)
        plan = transfer.plan(ws.cache, remote, refs, jobs=_jobs(None))
    if as_json:
        mode = {"mode": trust.mode.value, "key_id": trust.key_id or None, "source": trust.source or None}
        click.echo(json.dumps({"remote": remote.spec.name, **plan, "run_cache": mode}, indent=2))
        return
    click.echo(
        f"Remote {remote.spec.name}: {len(plan['push'])} to push, {len(plan['pull'])} to pull"
        + (f", {len(plan['missing'])} in neither cache" if plan["missing"] else "")
    )
    for key, label in (("push", "to push"), ("pull", "to pull"), ("missing", "in neither cache (run the stage)")):
        for path in plan[key]:
            click.echo(f"  {label}: {path}")
    click.echo(f"Run cache: {_trust_text(trust, remote.spec.name)}")


def _trust_text(trust: trust_mod.Trust, name: str) -> str:
    if trust.mode is trust_mod.Mode.SIGNED:
        return f"entries signed and checked with key id {trust.key_id} (key from {trust.source})"
    if trust.mode is trust_mod.Mode.UNSIGNED:
        return (f"unsigned entries trusted ({trust.source}: true): whoever can write to {name} "
                "chooses what a matching run restores")
    return (f"off: no run-cache key, so entries on {name} are not fetched and none are pushed "
            f"(set {trust_mod.ENV_VAR} or run_cache.key in {trust_mod.LOCAL_CONFIG})")


def _stage_names(proj: project.Project, stages: Sequence[str]) -> list[str] | None:
    """The stages STAGES name (None: all); pivot.yaml's names need none of the user's code."""
    if not stages:
        return None
    return list(targets.resolve(stages, list(discovery.declared(proj).stages)))


def _checkout(ws: Workspace, stages: Sequence[str] | None, force: bool) -> bool:
    refs = references.referenced(ws.project, stages)
    result = restore.checkout(ws, refs, force=force)
    click.echo(f"Restored {wording.count(result.restored, 'output')}, {result.current} already up to date")
    for problem in result.problems[:_SHOWN_FAILURES]:
        click.echo(f"  {problem}", err=True)
    if len(result.problems) > _SHOWN_FAILURES:
        click.echo(f"  ... and {len(result.problems) - _SHOWN_FAILURES} more", err=True)
    console.report_gitignore(gitignore.keep(ws.project, [ref.path for ref in refs]))
    return result.ok


def _jobs(jobs: int | None) -> int:
    return jobs or 4 * (os.cpu_count() or 1)


class _Bar:
    """A tqdm bar over objects with the bytes moved alongside, on a terminal only."""

    def __init__(self, verb: str) -> None:
        from tqdm import tqdm

        self._bar = tqdm(unit=" files", desc=verb, leave=False)
        self._moved = 0

    def start(self, objects: int, size: int) -> None:
        self._bar.reset(total=objects)

    def advance(self, files: int, size: int) -> None:
        self._moved += size
        self._bar.set_postfix_str(wording.size(self._moved), refresh=False)
        self._bar.update(files)


def _progress(verb: str) -> dict[str, Callable[[int, int], None]]:
    """Keyword arguments for a transfer: progress callbacks, or none off a terminal (CI, pipes)."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return {}
    bar = _Bar(verb)
    return {"progress": bar.advance, "on_start": bar.start}


def _report(verb: str, direction: str, name: str, summary: transfer.TransferSummary, already: str, *, exit_on_failure: bool = True) -> None:
    click.echo(
        f"{verb} {wording.count(summary.transferred, 'file')} ({wording.size(summary.bytes)}) {direction} {name} "
        f"in {summary.seconds:.1f}s, {summary.already} {already}"
    )
    if summary.failed:
        click.echo(f"{wording.count(len(summary.failed), 'object')} failed:", err=True)
        for what, message in summary.failed[:_SHOWN_FAILURES]:
            click.echo(f"  {what}: {message}", err=True)
        if len(summary.failed) > _SHOWN_FAILURES:
            click.echo(f"  ... and {len(summary.failed) - _SHOWN_FAILURES} more", err=True)
        if exit_on_failure:
            click.get_current_context().exit(1)


def _entries(n: int) -> str:
    return wording.count(n, "run-cache entry", "run-cache entries")
