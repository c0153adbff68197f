"""Data of another project's git repository (a data registry): `pivot get --repo URL PATH...`
and the fetch behind `pivot import URL PATH`, as DVC's `dvc get URL PATH` and `dvc import`.

The repository is cloned into a temp directory (one commit deep for a branch or tag), and what
its commit records for PATH is found as `pivot get --rev` finds it here (pivot.api.getrev): a
stage's output, tracked data, a file inside either, or git's own file. Cached content comes from
that project's default remote, through a cache inside the temp clone that goes with it: nothing
is written to the other project or its remote, and credentials come from the environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from pivot import errors
from pivot.base import project as project_mod

if TYPE_CHECKING:
    from pivot.api.getrev import Got
    from pivot.api.project import Project


def get(
    url: str, paths: Sequence[str], rev: str | None = None, *, out: pathlib.Path | None = None, force: bool = False, cwd: pathlib.Path
) -> list[Got]:
    """Write each of `paths` (relative to the repository's root) as commit `rev` (default: the
    default branch) of the repository at `url` records it, to `out` (relative to `cwd`; default:
    each path's name in `cwd`; with several paths, a directory)."""
    from pivot.api import getrev

    with cloned(located(url, cwd), rev) as (other, _):
        return getrev.get(other, paths, "HEAD", out=out, force=force, cwd=other.root, dest_cwd=cwd, repo=url)


def fetch(url: str, path: str, rev: str | None, landing: pathlib.Path, cache: pathlib.Path | None = None) -> str:
    """Write `path` of the repository at `url` (as `located` made it) at `rev` to `landing`, which
    must not exist; the commit it came from. With `cache` (the importing project's), the clone
    fetches into it: the objects the import then tracks are there already, fetched once."""
    from pivot.api import getrev

    with cloned(url, rev, landing.parent, cache) as (other, sha):
        getrev.get(other, [path], "HEAD", out=landing, cwd=other.root, dest_cwd=landing.parent, repo=url)
    return sha


def is_local(url: str) -> bool:
    """A path on this machine, not a URL (`https://...`, `ssh://...`, git's `host:repo`)."""
    return "://" not in url and re.match(r"[^/]*:", url) is None


def located(url: str, cwd: pathlib.Path | str) -> str:
    """A local repository's path made absolute (git runs elsewhere); a URL as given."""
    return os.path.abspath(os.path.join(cwd, url)) if is_local(url) else url


@contextlib.contextmanager
def cloned(url: str, rev: str | None, scratch: pathlib.Path | None = None, cache: pathlib.Path | None = None) -> Iterator[tuple[Project, str]]:
    """The project in the repository at `url`, cloned at `rev` into a temp directory (in
    `scratch`, default the system's), and the commit it holds; the clone is deleted afterwards.
    Its cache is `cache` when given (set in the clone's own config.local.yaml), else its own."""
    from pivot.api.project import Project
    from pivot.base import git

    parent = tempfile.mkdtemp(prefix="pivot-repo-", dir=scratch)
    try:
        root = pathlib.Path(parent) / "repo"
        sha = git.clone(url, root, rev)
        if not (root / project_mod.PIVOT_DIR).is_dir() and not (root / project_mod.PIPELINE_FILE).is_file():
            raise errors.PathError(
                f"the repository '{url}' is not a pivot project: it has no {project_mod.PIVOT_DIR} directory at its root",
                hint="name the repository that holds the data, whose root has .pivot/ (pivot init made it)",
            )
        if cache is not None:  # every object written once: the caller's cache takes what is fetched
            (root / project_mod.PIVOT_DIR).mkdir(exist_ok=True)
            (root / project_mod.PIVOT_DIR / "config.local.yaml").write_text(json.dumps({"cache": {"dir": str(cache)}}) + "\n")
        yield Project(project_mod.Project(root)), sha
    finally:
        shutil.rmtree(parent, ignore_errors=True)
