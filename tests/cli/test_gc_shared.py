"""`pivot gc` on a cache several clones share: it refuses until told which clones use the cache,
then keeps what each of them references and holds their locks while it deletes."""

from __future__ import annotations

import pytest
from cli.test_cache_dir import FILES, _committed_clone, _objects
from conftest import assert_clean_error

from pivot.base import project as project_mod

RUN = ("run", "--executor", "inprocess")
pytestmark = pytest.mark.slow  # two clones, each run


@pytest.fixture
def clones(project, pivot, monkeypatch):
    """Two clones on one cache.dir: `first` ran on its data, `second` on other data."""
    first = project(FILES)
    assert pivot("config", "set", "cache.dir", "../shared-cache").exit_code == 0
    assert pivot(*RUN).exit_code == 0
    second = first.parent / "second"
    _committed_clone(first, second)
    monkeypatch.chdir(second)
    (second / "data.txt").write_text("the second clone's rows\n")
    assert pivot(*RUN).exit_code == 0
    monkeypatch.chdir(first)
    return first, second, first.parent / "shared-cache"


def test_gc_of_a_shared_cache_refuses_until_the_clones_are_named(clones, pivot):
    shared = clones[2]
    before = _objects(shared)
    assert_clean_error(pivot("gc"), "is set by cache.dir or PIVOT_CACHE_DIR", "pivot gc --projects")
    assert _objects(shared) == before  # nothing deleted
    assert pivot("gc", "--projects", "../nowhere").exit_code == 2


def test_what_the_named_clones_reference_is_kept(clones, pivot, monkeypatch):
    first, second, shared = clones
    (first / "data.txt").write_text("newer rows\n")  # first's old outputs are now unreferenced
    assert pivot(*RUN).exit_code == 0
    before = _objects(shared)

    result = pivot("gc", "--projects", str(second), "--drop-run-cache")

    assert result.exit_code == 0, result.output
    assert len(_objects(shared)) < len(before)  # first's old outputs went
    monkeypatch.chdir(second)  # second's outputs stayed: its checkout finds every object
    (second / "report.txt").unlink()
    assert pivot("checkout").exit_code == 0
    assert (second / "report.txt").read_text().startswith("report")


def test_a_named_clone_that_is_running_stops_the_gc(clones, pivot):
    _, second, shared = clones
    before = _objects(shared)
    with project_mod.project_lock(project_mod.Project(second)):  # a run in progress there
        assert_clean_error(pivot("gc", "--projects", str(second)), "is running in", str(second))
    assert _objects(shared) == before
