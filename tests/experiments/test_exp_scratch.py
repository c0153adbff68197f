"""The scratch tree an experiment runs in: a copy whose stat memo starts with the hashes the
project's memo holds, so unchanged data is not read again, and never with a hash the original
no longer has."""

from __future__ import annotations

import os
import pathlib

from pivot.base import project as project_mod
from pivot.experiments import scratch
from pivot.storage import state


def _memo_oid(root: pathlib.Path, rel: str) -> str | None:
    path = root / rel
    with state.StateDB(project_mod.Project(root).state_db) as memo:
        return memo.get(path, os.stat(path))


def _settled(root: pathlib.Path, pivot, *rels: str) -> None:
    """Files written a moment ago are not memoized (their mtime could still hide an edit): age
    them, then have status hash them into the memo."""
    for rel in rels:
        os.utime(root / rel, ns=(os.stat(root / rel).st_atime_ns, os.stat(root / rel).st_mtime_ns - 10**10))
    assert pivot("status").exit_code == 0


def test_the_copy_holds_the_projects_hashes_of_unchanged_files(sweep_project, pivot):
    _settled(sweep_project, pivot, "data.txt", "clean.txt")
    proj = project_mod.Project(sweep_project)
    copy = scratch.create(proj, "probe")
    try:
        for rel in ("data.txt", "clean.txt"):
            assert _memo_oid(sweep_project, rel) is not None  # the run hashed them
            assert _memo_oid(copy, rel) == _memo_oid(sweep_project, rel)
        assert (copy / "data.txt").read_text() == "hello\n"
        assert os.stat(copy / "data.txt").st_ino != os.stat(sweep_project / "data.txt").st_ino  # a copy, not a link
    finally:
        scratch.remove(copy)


def test_a_file_edited_since_it_was_hashed_gets_no_hash_in_the_copy(sweep_project, pivot):
    _settled(sweep_project, pivot, "data.txt")
    assert _memo_oid(sweep_project, "data.txt") is not None
    (sweep_project / "data.txt").write_text("world\n")
    copy = scratch.create(project_mod.Project(sweep_project), "probe")
    try:
        assert _memo_oid(copy, "data.txt") is None  # hashed afresh when a stage needs it
        assert (copy / "data.txt").read_text() == "world\n"
    finally:
        scratch.remove(copy)


def test_an_experiment_runs_on_a_dep_edited_after_the_last_run(sweep_project, pivot, counts):
    _settled(sweep_project, pivot, "data.txt")  # the memo holds the old content's hash
    (sweep_project / "data.txt").write_text("world\n")
    result = pivot("exp", "run", "-S", "train.lr=0.2")
    assert result.exit_code == 0, result.output
    assert (counts / "prepare").read_text() == "x"  # the edit was seen: prepare ran on it
    assert (sweep_project / "data.txt").read_text() == "world\n"
