"""`pivot import-url URL [PATH]`, `pivot import REPO PATH` and `pivot update [PATH...]`: data from
outside the project (an object store, a web server, another directory, another project's git
repository), tracked like `pivot track` data with where it came from, as DVC's `dvc import-url`,
`dvc import` and `dvc update` do.

The `.pvt` file records the URL and a checksum of the source as it was when fetched (each file's
name, size and etag or modification time: `pivot.remote.sources.checksum`). `update` asks the
source again and fetches only when that checksum changed. A download goes to a temp directory in
`.pivot/tmp` and replaces the data only once it is whole, so a failed one leaves the data and its
`.pvt` as they were. A repository import records the path in it, the revision asked for and the
commit fetched (pivot.api.getrepo); `update` asks the repository which commit that revision
names now, without cloning it, and fetches only when it moved.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import posixpath
import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pivot import errors
from pivot.base import project as project_mod
from pivot.worktree import tracking

if TYPE_CHECKING:
    from pivot.api.project import Project
    from pivot.worktree.tracker import TrackReport


@dataclasses.dataclass(frozen=True, slots=True)
class Imported:
    """One imported path: fetched (or found unchanged at its source), and the files to commit."""

    path: str  # project-relative
    url: str
    fetched: bool  # False: the source had not changed (`pivot update`), or the fetch failed
    to_add: tuple[str, ...] = ()  # the .pvt and .gitignore files to `git add`
    failure: errors.PivotError | None = None  # `update` only: this source failed, the others went on
    repo_path: str | None = None  # a repository import: the path in the repository at `url`
    commit: str | None = None  # a repository import: the commit the data is from


def import_url(proj: Project, url: str, out: str | None = None, *, force: bool = False, cwd: pathlib.Path | None = None) -> Imported:
    """Fetch `url` into `out` (relative to `cwd`; default: the URL's last name there) and track it
    with its source. An existing `out` is replaced only with `force`."""
    here = cwd or proj.root
    path = _relative(proj, out or posixpath.basename(url.rstrip("/")), here, url)
    target = proj.paths.abspath(path)
    if os.path.lexists(target) and not force:
        raise errors.PathError(f"{path} exists", hint=f"import to another PATH, or replace it: pivot import-url -f {url} {path}")
    _check_trackable(proj, path)
    return _fetch(proj, path, _recorded(proj, path, url, here))


def import_repo(
    proj: Project, url: str, path: str, out: str | None = None, *, rev: str | None = None, force: bool = False, cwd: pathlib.Path | None = None
) -> Imported:
    """Fetch `path` (relative to the root of the repository at `url`, at `rev`: default its default
    branch) into `out` (relative to `cwd`; default: the path's last name there) and track it with
    its source, as `dvc import`. An existing `out` is replaced only with `force`."""
    here = cwd or proj.root
    try:
        path = project_mod.normalize(path, what=f"pivot import {url} {path}")
    except errors.PathError:
        raise errors.PathError(
            f"pivot import {url} {path}: PATH must be a path inside the repository, relative to its root", hint="e.g. data/train.csv"
        ) from None
    dest = _relative(proj, out or posixpath.basename(path), here, path)
    if os.path.lexists(proj.paths.abspath(dest)) and not force:
        raise errors.PathError(f"{dest} exists", hint=f"import to another OUT, or replace it: pivot import -f {url} {path} -o {dest}")
    _check_trackable(proj, dest)
    from pivot.api import getrepo

    recorded = _recorded(proj, dest, url, here) if getrepo.is_local(url) else url
    return _fetch_repo(proj, dest, tracking.Source(recorded, "", path, rev))


def get_url(url: str, out: str | None = None, *, force: bool = False, cwd: pathlib.Path, proj: project_mod.Project | None = None) -> pathlib.Path:
    """Download `url` (a file or directory) to `out` (relative to `cwd`; default: the URL's last
    name there), tracking nothing, as `dvc get-url`; works outside any project. The download lands
    beside `out` and replaces it only once whole; an existing `out` is replaced only with `force`."""
    from pivot.remote import sources

    target = cwd / (out or posixpath.basename(url.rstrip("/")) or "download")
    if os.path.lexists(target) and not force:
        raise errors.PathError(f"{target} exists", hint=f"download to another PATH, or replace it: pivot get-url -f {url} {out or ''}".rstrip())
    target.parent.mkdir(parents=True, exist_ok=True)
    landing = pathlib.Path(_fresh_dir(target.parent)) / "data"
    try:
        where, options = source(proj, url)
        sources.fetch(_located_url(where, cwd), landing, options)
        _replace(landing, target)
    finally:
        shutil.rmtree(landing.parent, ignore_errors=True)
    return target


def _located_url(url: str, cwd: pathlib.Path) -> str:
    return url if "://" in url or os.path.isabs(url) else os.path.normpath(os.path.join(cwd, url))


REMOTE_SCHEME = "remote://"


def source(proj: project_mod.Project | None, url: str) -> tuple[str, dict[str, Any]]:
    """The URL to read and its storage options: `remote://NAME/PATH` (as DVC writes it) is PATH
    under remote NAME's URL, read with that remote's endpoint and credentials from the project's
    config, so that they never go into a `.pvt`; any other URL as given, its credentials from the
    environment."""
    if not url.startswith(REMOTE_SCHEME):
        return url, {}
    name, _, rest = url[len(REMOTE_SCHEME) :].partition("/")
    if not name:
        raise errors.InputError(f"{url}: no remote named", hint="write remote://NAME/PATH, NAME one of 'pivot remote list'")
    if proj is None:
        raise errors.InputError(f"{url} names a remote of a project's config", hint="run the command inside that project")
    from pivot.declare import config
    from pivot.remote import spec as remote_spec

    spec = remote_spec.resolve(config.load_project_config(proj), name, proj.root)
    return (spec.url.rstrip("/") + "/" + rest.lstrip("/") if rest else spec.url), dict(spec.options)


def list_url(url: str, *, recursive: bool = False, proj: project_mod.Project | None = None) -> list[tuple[str, int | None, bool]]:
    """What `import_url` would fetch from `url`: (name, size, is a directory) per entry, or per
    file below it with `recursive` (see `pivot.remote.sources.listing`)."""
    from pivot.remote import sources

    where, options = source(proj, url)
    return sources.listing(where, recursive=recursive, options=options)


def update(proj: Project, paths: Sequence[str] = (), *, rev: str | None = None, cwd: pathlib.Path | None = None) -> list[Imported]:
    """Fetch again each imported path of `paths` (default: every imported path) whose source
    changed since, or that is missing here; the others are left as they are. `rev` moves the
    repository imports among `paths` to that branch, tag or commit. A source that fails (gone,
    unreachable) is reported in its `Imported.failure` and the rest go on; a full disk stops
    them all."""
    here = cwd or proj.root
    if paths:
        chosen = [_imported(proj, _relative(proj, raw, here, raw)) for raw in paths]  # every name checked first
    else:
        chosen = [t for t in tracking.find(proj.paths) if t.source is not None]
    if rev is not None:
        _check_rev_targets(paths, chosen)
    done = []
    for tracked in chosen:
        source = tracked.source
        if source is None:  # every chosen path has one (see _imported)
            continue
        try:
            done.append(_update_one(proj, tracked.path, source, rev))
        except (errors.TransferError, errors.PathError, errors.RevisionError) as exc:
            done.append(Imported(tracked.path, source.url, fetched=False, failure=exc, repo_path=source.path))
    return done


def _update_one(proj: Project, path: str, source: tracking.Source, rev: str | None) -> Imported:
    present = os.path.lexists(proj.paths.abspath(path))
    if source.is_repo:
        from pivot.base import git

        wanted = source.rev if rev is None else rev
        now = git.remote_commit(_located_repo(proj, path, source.url), wanted)
        if now is None and wanted and source.checksum.startswith(wanted.lower()):  # a short commit id: pinned
            now = source.checksum
        if now is None:
            raise errors.RevisionError(f"the repository '{source.url}' has no branch or tag '{wanted}'", hint="pass another: pivot update --rev REV PATH")
        if present and now == source.checksum and wanted == source.rev:
            return Imported(path, source.url, fetched=False, repo_path=source.path, commit=now)
        return _fetch_repo(proj, path, dataclasses.replace(source, rev=wanted))
    from pivot.remote import sources

    if present and sources.checksum(*source_of(proj, path, source.url)) == source.checksum:
        return Imported(path, source.url, fetched=False)
    return _fetch(proj, path, source.url)


def _check_rev_targets(paths: Sequence[str], chosen: Sequence[tracking.Tracked]) -> None:
    if not paths:
        raise errors.InputError("--rev moves named repository imports only", hint="name them: pivot update --rev REV PATH...")
    for tracked in chosen:
        if tracked.source is not None and not tracked.source.is_repo:
            raise errors.InputError(
                f"{tracked.path} was imported from a URL, which has no revisions",
                hint="leave it out of pivot update --rev, or update it on its own: pivot update " + tracked.path,
            )


def _recorded(proj: Project, path: str, url: str, cwd: pathlib.Path) -> str:
    """The URL as the .pvt keeps it: a relative local path is made relative to the .pvt's own
    directory (as DVC keeps it), so `update` finds it from any directory, on any clone laid out
    alike; anything else as given."""
    if "://" in url or os.path.isabs(url):
        return url
    absolute = os.path.normpath(os.path.join(cwd, url))
    return os.path.relpath(absolute, proj.paths.abspath(posixpath.dirname(path) or ".")).replace(os.sep, "/")


def _located(proj: Project, path: str, url: str) -> str:
    """Where a recorded URL is to read from (see `_recorded`)."""
    if "://" in url or os.path.isabs(url):
        return url
    return os.path.normpath(os.path.join(proj.paths.abspath(posixpath.dirname(path) or "."), url))


def source_of(proj: Project, path: str, url: str) -> tuple[str, dict[str, Any]]:
    """Where the recorded `url` of the import at `path` is read from, and how (see `source`)."""
    return source(proj.paths, _located(proj, path, url))


def _fetch(proj: Project, path: str, url: str) -> Imported:
    """Download the recorded `url` beside the project, put it at `path` once whole, and track it."""
    from pivot.remote import sources
    from pivot.worktree import tracker

    where, options = source_of(proj, path, url)
    checksum = sources.checksum(where, options)  # before the download: a source changing meanwhile is fetched again next time
    project_mod.ensure_dot_dir(proj.paths)
    scratch = proj.paths.tmp_dir / "imports"
    scratch.mkdir(parents=True, exist_ok=True)
    landing = pathlib.Path(_fresh_dir(scratch)) / "data"
    try:
        sources.fetch(where, landing, options)
        target = proj.paths.abspath(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace(landing, target)
    finally:
        shutil.rmtree(landing.parent, ignore_errors=True)
    report: TrackReport = tracker.track(proj.paths, [path], sources={path: tracking.Source(url, checksum)})
    return Imported(path, url, fetched=True, to_add=report.to_add)


def _fetch_repo(proj: Project, path: str, source: tracking.Source) -> Imported:
    """Fetch `source.path` of its repository at `source.rev` beside the project, put it at `path`
    once whole, and track it with the commit it came from."""
    from pivot.api import getrepo
    from pivot.worktree import tracker

    assert source.path is not None
    project_mod.ensure_dot_dir(proj.paths)
    scratch = proj.paths.tmp_dir / "imports"
    scratch.mkdir(parents=True, exist_ok=True)
    landing = pathlib.Path(_fresh_dir(scratch)) / "data"
    try:
        from pivot.worktree import workspace

        cache = workspace.cache_root(proj.paths)
        commit = getrepo.fetch(_located_repo(proj, path, source.url), source.path, source.rev, landing, cache)
        target = proj.paths.abspath(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace(landing, target)
    finally:
        shutil.rmtree(landing.parent, ignore_errors=True)
    recorded = dataclasses.replace(source, checksum=commit)
    report: TrackReport = tracker.track(proj.paths, [path], sources={path: recorded})
    return Imported(path, source.url, fetched=True, to_add=report.to_add, repo_path=source.path, commit=commit)


def _located_repo(proj: Project, path: str, url: str) -> str:
    """Where a recorded repository is: a local one relative to the .pvt's directory (see
    `_recorded`), else the URL as recorded."""
    from pivot.api import getrepo

    return _located(proj, path, url) if getrepo.is_local(url) else url


def _replace(new: pathlib.Path, target: pathlib.Path) -> None:
    """Put `new` at `target`: a file by one rename, a directory after the old one is gone."""
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif os.path.lexists(target) and new.is_dir():
        target.unlink()
    os.replace(new, target)


def _fresh_dir(parent: pathlib.Path) -> str:
    import tempfile

    return tempfile.mkdtemp(dir=parent, prefix="fetch-")


def _check_trackable(proj: Project, path: str) -> None:
    stages = proj.load_pipeline(check_sources=False, code=False).pipeline.stages if proj.paths.has_pipeline() else {}
    tracking.check_trackable(proj.paths, path, stages, must_exist=False)


def _imported(proj: Project, path: str) -> tracking.Tracked:
    try:
        tracked = tracking.read(proj.paths, tracking.pvt_of(path))
    except errors.PathError:
        raise errors.PathError(
            f"{path} is not imported data (no {tracking.pvt_of(path)})", hint="import it first: pivot import-url URL PATH, or pivot import REPO PATH"
        ) from None
    if tracked.source is None:
        raise errors.PathError(
            f"{path} is tracked data, not imported: it has no source to update from", hint=f"track a new version by hand: pivot track {path}"
        )
    return tracked


def _relative(proj: Project, raw: str, cwd: pathlib.Path, what: str) -> str:
    return project_mod.from_user(proj.root, raw, cwd, what=f"pivot import-url {what}")
