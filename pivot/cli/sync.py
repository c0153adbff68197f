"""`pivot push|fetch|pull|checkout`: move cache objects between the local cache and a remote, and
restore outputs from the cache. The objects are those the lock files (and tracked files) name."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence

import click

from pivot import config, errors, project, references, restore, yamldoc
from pivot.cli import common
from pivot.remote import fs, spec as remote_spec, transfer
from pivot.workspace import Workspace

_SHOWN_FAILURES = 10


def _common_options(func: Callable) -> Callable:
    func = click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Transfers at once (default: 4x CPUs).")(func)
    func = click.option("-r", "--remote", "remote_name", default=None, help="Remote name (default: the default remote).")(func)
    return click.argument("stages", nargs=-1)(func)


@click.command()
@_common_options
@click.option("-n", "--dry-run", is_flag=True, help="Say what would be uploaded, upload nothing.")
@click.option("--verify", is_flag=True, help="Check every file of a directory on the remote, not only its manifest.")
def push(stages: tuple[str, ...], remote_name: str | None, jobs: int | None, dry_run: bool, verify: bool) -> None:
    """Upload the cached outputs of STAGES (default: all) and tracked files that the remote lacks."""
    with _session(stages, remote_name) as (ws, remote, refs):
        oids = _oids(refs)
        absent = [oid for oid in oids if not ws.cache.is_complete(oid)]
        if absent:
            click.echo(f"warning: {len(absent)} outputs are not in the local cache and are skipped "
                       "(run their stages, or pivot fetch them first)", err=True)
        present = [oid for oid in oids if oid not in absent]
        if dry_run:
            missing = transfer.pending(ws.cache, remote, present, jobs=_jobs(jobs))
            click.echo(f"Would push {len(missing)} objects to {remote.spec.name}")
            return
        summary = transfer.push(ws.cache, remote, present, jobs=_jobs(jobs), **_progress("push"), verify=verify)
    _report("Pushed", "to", remote.spec.name, summary, "already there")


@click.command()
@_common_options
def fetch(stages: tuple[str, ...], remote_name: str | None, jobs: int | None) -> None:
    """Download into the local cache the objects of STAGES (default: all) that it lacks."""
    with _session(stages, remote_name) as (ws, remote, refs):
        summary = transfer.fetch(ws.cache, remote, _oids(refs), jobs=_jobs(jobs), **_progress("fetch"))
    _report("Fetched", "from", remote.spec.name, summary, "already in the cache")


@click.command()
@_common_options
@click.option("-f", "--force", is_flag=True, help="Overwrite outputs that differ and are not in the cache.")
def pull(stages: tuple[str, ...], remote_name: str | None, jobs: int | None, force: bool) -> None:
    """fetch, then checkout: bring the outputs of STAGES (default: all) into the workspace."""
    with _session(stages, remote_name) as (ws, remote, refs):
        summary = transfer.fetch(ws.cache, remote, _oids(refs), jobs=_jobs(jobs), **_progress("pull"))
        _report("Fetched", "from", remote.spec.name, summary, "already in the cache", exit_on_failure=False)
        restored = _checkout(ws, stages, force)
    if not summary.ok or not restored:
        click.get_current_context().exit(1)


@click.command()
@click.argument("stages", nargs=-1)
@click.option("-f", "--force", is_flag=True, help="Overwrite outputs that differ and are not in the cache.")
def checkout(stages: tuple[str, ...], force: bool) -> None:
    """Restore the outputs of STAGES (default: all) from the cache, as the lock files record them."""
    proj = common.find_project()
    _check_stage_names(proj, stages)
    project.ensure_dot_dir(proj)
    with common.project_lock(proj), common.opened(proj) as ws:
        ok = _checkout(ws, stages, force)
    if not ok:
        click.get_current_context().exit(1)


@contextlib.contextmanager
def _session(
    stages: Sequence[str], remote_name: str | None
) -> Iterator[tuple[Workspace, fs.Remote, list[references.Reference]]]:
    """The workspace, the remote and the objects the selected stages reference."""
    proj = common.find_project()
    _check_stage_names(proj, stages)
    project.ensure_dot_dir(proj)
    # Held for the whole transfer: gc must not delete what is being pushed, nor a run rewrite
    # the outputs a pull is restoring.
    with common.project_lock(proj), common.opened(proj) as ws:
        remote = fs.Remote(remote_spec.resolve(ws.settings, remote_name, proj.root))
        yield ws, remote, references.referenced(proj, list(stages) or None)


def _oids(refs: Sequence[references.Reference]) -> list[str]:
    return sorted({ref.oid for ref in refs})


def remote_status(stages: Sequence[str], remote_name: str | None, as_json: bool) -> None:
    """What `push` would upload and `pull` would download, by output path."""
    with _session(stages, remote_name) as (ws, remote, refs):
        plan = transfer.plan(ws.cache, remote, refs, jobs=_jobs(None))
    if as_json:
        click.echo(json.dumps({"remote": remote.spec.name, **plan}, indent=2))
        return
    click.echo(
        f"Remote {remote.spec.name}: {len(plan['push'])} to push, {len(plan['pull'])} to pull"
        + (f", {len(plan['missing'])} in neither cache" if plan["missing"] else "")
    )
    for key, label in (("push", "to push"), ("pull", "to pull"), ("missing", "in neither cache (run the stage)")):
        for path in plan[key]:
            click.echo(f"  {label}: {path}")


def _check_stage_names(proj: project.Project, stages: Sequence[str]) -> None:
    if not stages:
        return
    known = config.load_pipeline(proj).stages
    for name in stages:
        if name not in known:
            raise errors.UnknownStageError(f"unknown stage '{name}'", hint=yamldoc.did_you_mean(name, known))


def _checkout(ws: Workspace, stages: Sequence[str], force: bool) -> bool:
    result = restore.checkout(ws, references.referenced(ws.project, list(stages) or None), force=force)
    click.echo(f"Restored {result.restored} outputs, {result.current} already up to date")
    for problem in result.problems[:_SHOWN_FAILURES]:
        click.echo(f"  {problem}", err=True)
    if len(result.problems) > _SHOWN_FAILURES:
        click.echo(f"  ... and {len(result.problems) - _SHOWN_FAILURES} more", err=True)
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
        self._bar.set_postfix_str(_size(self._moved), refresh=False)
        self._bar.update(files)


def _progress(verb: str) -> dict[str, Callable[[int, int], None]]:
    """Keyword arguments for a transfer: progress callbacks, or none off a terminal (CI, pipes)."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return {}
    bar = _Bar(verb)
    return {"progress": bar.advance, "on_start": bar.start}


def _report(verb: str, direction: str, name: str, summary: transfer.TransferSummary, already: str, *, exit_on_failure: bool = True) -> None:
    click.echo(
        f"{verb} {summary.transferred} files ({_size(summary.bytes)}) {direction} {name} "
        f"in {summary.seconds:.1f}s, {summary.already} {already}"
    )
    if summary.failed:
        click.echo(f"{len(summary.failed)} objects failed:", err=True)
        for what, message in summary.failed[:_SHOWN_FAILURES]:
            click.echo(f"  {what}: {message}", err=True)
        if len(summary.failed) > _SHOWN_FAILURES:
            click.echo(f"  ... and {len(summary.failed) - _SHOWN_FAILURES} more", err=True)
        if exit_on_failure:
            click.get_current_context().exit(1)


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"
