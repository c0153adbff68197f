"""Where a pipeline's plot files are at a revision: the workspace's files; at a git revision, what
the lock files committed there record (a file git tracks read from git, a cached one from the
cache by its hash); in an experiment, what its record's locks name (always in the cache).

`locate` only finds where each file is, so the library can fetch the cache objects that are
missing before `read` turns each into a `Series`; nothing is ever an exception: a file that
cannot be had becomes the series' error, saying what to do."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pivot.base import git
from pivot.base import project as project_mod
from pivot.experiments import record
from pivot.plots import data
from pivot.plots.model import PlotSpec, Series
from pivot.storage import lock as lock_mod
from pivot.storage.cache import Cache

WORKSPACE = "workspace"
NOT_CACHED = "not in the cache: run 'pivot pull' (or 'pivot fetch')"


@dataclasses.dataclass(frozen=True, slots=True)
class Located:
    """One plot file at one revision: its bytes, or the cache object holding them, or why neither."""

    data: bytes | None = None
    oid: str | None = None
    error: str | None = None


Locations = Mapping[str, Located]  # PlotSpec.path -> where it is


def kind_of(proj: project_mod.Project, revision: str) -> str:
    """"workspace", "experiment" (a record of that name exists) or "git"."""
    if revision == WORKSPACE:
        return WORKSPACE
    return "experiment" if revision in record.names(proj) else "git"


def locate(proj: project_mod.Project, specs: Sequence[PlotSpec], revision: str) -> dict[str, Located]:
    """Where each of `specs`' files is at `revision` (see `kind_of`); an unknown git revision is
    a RevisionError: the user mistyped it, no chart can say so better."""
    kind = kind_of(proj, revision)
    if kind == WORKSPACE:
        return {spec.path: _in_workspace(proj, spec) for spec in specs}
    if kind == "experiment":
        return _in_experiment(proj, specs, revision)
    return _at_git_revision(proj, specs, revision)


def _in_workspace(proj: project_mod.Project, spec: PlotSpec) -> Located:
    """The file as it is; when it is not there, what the stage's lock records (a fresh clone
    that fetched but did not check out still draws), else what to do."""
    path = proj.abspath(spec.path)
    try:
        return Located(data=path.read_bytes())
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        return Located(error=_directory(spec))
    lock = lock_mod.read(proj.lock_file(spec.stage)) if spec.stage else None
    out = lock.outputs.get(spec.path) if lock is not None else None
    if out is not None and out.cache and not out.info.is_dir:
        return Located(oid=out.info.oid)
    todo = f"run 'pivot run {spec.stage}' (or 'pivot pull')" if spec.stage else "create it"
    return Located(error=f"{spec.path} is not in the workspace: {todo}")


def _directory(spec: PlotSpec) -> str:
    return f"{spec.path} is a directory: declare each plot file in it as a Plot of its own"


def _at_git_revision(proj: project_mod.Project, specs: Sequence[PlotSpec], rev: str) -> dict[str, Located]:
    repo = git.open_repo(proj.root)
    if rev == "HEAD" and not git.has_commits(repo):
        return {spec.path: Located(error=f"{spec.path} is not at HEAD: the repository has no commits yet") for spec in specs}
    sha = git.resolve(repo, rev)
    locks = lock_mod.committed(repo, sha)
    found: dict[str, Located] = {}
    from_git: list[str] = []
    for spec in specs:
        out = locks[spec.stage].outputs.get(spec.path) if spec.stage in locks else None
        if out is None:
            found[spec.path] = Located(error=f"{spec.path} is not at {rev}: stage '{spec.stage}' had not made it there (its lock does not list it)")
        elif out.info.is_dir:
            found[spec.path] = Located(error=_directory(spec))
        elif out.cache:
            found[spec.path] = Located(oid=out.info.oid)
        else:
            from_git.append(spec.path)
    for path, blob in git.read_files(repo, sha, from_git).items():
        missing = f"{path} is not at {rev}: its lock lists it, but it was not committed (commit plot files git tracks with their locks)"
        found[path] = Located(data=blob) if blob is not None else Located(error=missing)
    return found


def _in_experiment(proj: project_mod.Project, specs: Sequence[PlotSpec], name: str) -> dict[str, Located]:
    rec = record.read(proj, name)
    found = {}
    for spec in specs:
        entry = _recorded(rec.locks.get(spec.stage) or {}, spec.path)
        oid = entry.get("hash") if entry is not None else None
        if not isinstance(oid, str):
            found[spec.path] = Located(error=f"{spec.path} is not in experiment '{name}': stage '{spec.stage}' did not make it there")
        elif oid.endswith(".dir"):
            found[spec.path] = Located(error=_directory(spec))
        else:
            found[spec.path] = Located(oid=oid)
    return found


def _recorded(lock_data: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    for section in record.OUTPUTS:  # a record keeps its locks' data as the lock files hold it
        entries = lock_data.get(section)
        entry = entries.get(path) if isinstance(entries, Mapping) else None
        if isinstance(entry, Mapping):
            return entry
    return None


def missing_objects(cache: Cache, located: Iterable[Located]) -> set[str]:
    """The cache objects the located files need and the cache lacks."""
    return {one.oid for one in located if one.oid is not None and not cache.exists(one.oid)}


def read(cache: Cache, spec: PlotSpec, revision: str, where: Located, not_cached: str = NOT_CACHED) -> Series:
    """The file's content at `revision` as a series: rows, an image's bytes, or the error
    (`not_cached` saying why a cache object is missing)."""
    content = where.data
    if content is None and where.oid is not None:
        path = cache.object_path(where.oid)
        content = path.read_bytes() if path.is_file() else None
        if content is None:
            return Series(revision, error=f"{spec.path} at {revision}: {not_cached}")
    if content is None:
        return Series(revision, error=where.error or f"{spec.path}: no content at {revision}")
    if data.is_image(spec.path):
        return Series(revision, image=content)
    try:
        return Series(revision, rows=data.parse(spec.path, content))
    except data.Unreadable as exc:
        return Series(revision, error=f"{exc} (at {revision})")
