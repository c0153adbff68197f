"""pivot.api.sync called directly, as a library user would: a real project in tmp_path, run
through the CLI, a directory remote, and the current directory elsewhere."""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest

from pivot import errors
from pivot.api import sync
from pivot.base.project import Project

STAGES = '''
import pathlib
from typing import Annotated, TypedDict
from pivot import loaders, outputs

Text = loaders.Text()


class Words(TypedDict):
    total: Annotated[dict, outputs.Metric("total.json")]
    parts: Annotated[pathlib.Path, outputs.Out("parts", loaders.PathOnly())]


def split(text: Annotated[str, outputs.Dep("input.txt", Text)]) -> Words:
    words = text.split()
    pathlib.Path("parts").mkdir()
    [pathlib.Path("parts", f"{number}.txt").write_text(word) for number, word in enumerate(words)]
    return {"total": {"words": len(words)}, "parts": pathlib.Path("parts")}


def shout(first: Annotated[str, outputs.Dep("parts/0.txt", Text)]) -> Annotated[str, outputs.Out("loud.txt", Text)]:
    return first.upper()
'''

PIPELINE = "stages:\n  split:\n    python: stages.split\n  shout:\n    python: stages.shout\n"
# parts/ (three files and its manifest), loud.txt, and total.json: a metric is kept in git, and
# its object in the cache for the run cache
OBJECTS = 6


def remote_objects(shared: pathlib.Path) -> set[str]:
    return {p.name for p in (shared / "files").rglob("*") if p.is_file()}


@pytest.fixture
def ran(project, pivot, tmp_path, monkeypatch):
    """A project that ran, with a directory remote 'origin'; the cwd is then outside it."""
    monkeypatch.setenv("PIVOT_RUN_CACHE_KEY", "the-team-key-0123456789")  # run-cache entries travel too
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "input.txt": "alpha beta gamma"})
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    assert pivot("remote", "add", "-d", "origin", str(tmp_path / "shared")).exit_code == 0
    monkeypatch.chdir(tmp_path)  # nothing below may depend on the current directory
    return Project(root)


def test_push_says_what_it_would_send_then_sends_it_once(ran, tmp_path):
    dry = sync.push(ran, dry_run=True)
    assert (dry.remote, dry.would_push, dry.would_push_runs, dry.objects) == ("origin", OBJECTS, 2, None)
    assert not (tmp_path / "shared" / "files").exists()

    first = sync.push(ran)
    assert first.ok and first.objects is not None and first.runs is not None
    assert (first.objects.transferred, first.objects.already, first.runs.transferred) == (OBJECTS, 0, 2)
    assert len(remote_objects(tmp_path / "shared")) == OBJECTS

    again = sync.push(ran, remote="origin")
    assert again.objects is not None and again.runs is not None
    assert (again.objects.transferred, again.objects.already, again.runs.already) == (0, OBJECTS, 2)


def test_push_of_one_stage_skips_what_the_local_cache_lacks(ran):
    shutil.rmtree(ran.cache_dir / "files")
    result = sync.push(ran, ["shout"], run_cache=False)
    assert len(result.absent) == 1  # loud.txt's object
    assert result.objects is not None and result.objects.transferred == 0
    assert result.runs is None


def test_fetch_checkout_and_pull_bring_the_outputs_back(ran):
    sync.push(ran)
    shutil.rmtree(ran.cache_dir)
    shutil.rmtree(ran.root / "parts")
    (ran.root / "loud.txt").unlink()

    fetched = sync.fetch(ran)
    assert fetched.ok and fetched.objects is not None and fetched.runs is not None
    assert (fetched.objects.transferred, fetched.runs.transferred, fetched.unloadable) == (OBJECTS, 2, None)
    restored = sync.checkout(ran, ["split"])
    assert (restored.outputs.restored, restored.outputs.current, restored.ok) == (1, 0, True)
    assert sorted(os.listdir(ran.root / "parts")) == ["0.txt", "1.txt", "2.txt"]
    assert not (ran.root / "loud.txt").exists()

    pulled = sync.pull(ran)
    assert pulled.ok and pulled.fetched.objects is not None
    assert pulled.fetched.objects.transferred == 0 and pulled.fetched.objects.already >= OBJECTS - 1
    assert (pulled.checkout.outputs.restored, pulled.checkout.outputs.current) == (1, 1)
    assert (ran.root / "loud.txt").read_text() == "ALPHA"


def test_pull_reports_what_it_could_not_restore(ran):
    sync.push(ran, run_cache=False)
    shutil.rmtree(ran.cache_dir)
    (ran.root / "loud.txt").write_text("edited by hand")  # differs, and is in no cache
    pulled = sync.pull(ran, run_cache=False)
    assert pulled.fetched.ok and not pulled.checkout.ok and not pulled.ok
    assert [line.split()[0] for line in pulled.checkout.outputs.problems] == ["loud.txt"]
    assert (ran.root / "loud.txt").read_text() == "edited by hand"
    assert sync.pull(ran, force=True, run_cache=False).ok
    assert (ran.root / "loud.txt").read_text() == "ALPHA"


def test_local_gc_plans_then_deletes_what_nothing_references(ran, pivot, monkeypatch):
    monkeypatch.chdir(ran.root)
    (ran.root / "input.txt").write_text("delta epsilon")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    monkeypatch.chdir(ran.root.parent)

    dry = sync.gc(ran, dry_run=True, drop_run_cache=True)
    assert dry.local is not None and dry.dropped_runs == 0
    # Every object of the first run: no word, total or shout is the same.
    doomed = {obj.oid for obj in dry.local.victims}
    assert len(doomed) >= OBJECTS and dry.local.size > 0
    assert all((ran.cache_dir / "files" / oid[:2] / oid[2:]).exists() for oid in doomed)

    done = sync.gc(ran, drop_run_cache=True)
    assert done.ok and done.dropped_runs == 4 and done.local is not None
    assert {obj.oid for obj in done.local.victims} == doomed
    assert not any((ran.cache_dir / "files" / oid[:2] / oid[2:]).exists() for oid in doomed)
    assert sync.gc(ran).local.victims == ()  # type: ignore[union-attr]


def test_remote_gc_asks_before_deleting_and_keeps_what_is_referenced(ran, pivot, tmp_path, monkeypatch):
    sync.push(ran)
    monkeypatch.chdir(ran.root)
    (ran.root / "input.txt").write_text("delta epsilon")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    monkeypatch.chdir(tmp_path)
    sync.push(ran)
    shared = tmp_path / "shared"
    before = remote_objects(shared)

    recent = sync.gc(ran, remote="origin", drop_run_cache=True)  # within the default hour of grace
    assert recent.collected is not None and recent.collected.plan.victims == ()
    referenced = recent.collected.plan.referenced  # the second run's parts/ and loud.txt
    assert referenced == 4 and recent.collected.plan.recent == len(before) - referenced

    asked: list[int] = []
    declined = sync.gc(ran, remote="origin", grace="0", drop_run_cache=True, confirm=lambda plan: asked.append(len(plan.victims)) or False)
    assert declined.declined and asked == [len(before) - referenced]
    assert remote_objects(shared) == before

    done = sync.gc(ran, remote="origin", grace="0", drop_run_cache=True)
    assert done.ok and done.collected is not None
    assert len(done.collected.plan.victims) == len(before) - referenced and len(done.collected.plan.stray_runs) == 4
    assert len(remote_objects(shared)) == referenced


def test_gc_before_anything_exists_and_with_a_bad_grace(tmp_path):
    (tmp_path / "pivot.yaml").write_text("stages: {}\n")
    assert sync.gc(Project(tmp_path)).started is False
    (tmp_path / ".pivot").mkdir()
    with pytest.raises(errors.ConfigError, match="--grace"):
        sync.gc(Project(tmp_path), remote="origin", grace="soon")


def test_a_push_waits_for_a_remote_gc_and_tells_its_progress(ran, tmp_path):
    class Seen:
        def __init__(self) -> None:
            self.started: list[tuple[int, int]] = []
            self.files = 0

        def start(self, objects: int, size: int) -> None:
            self.started.append((objects, size))

        def advance(self, files: int, size: int) -> None:
            self.files += files

        def waiting_for_gc(self, remote: str, age: float) -> None:
            raise AssertionError("no gc is running")

    seen = Seen()
    assert sync.push(ran, progress=seen).ok
    assert seen.started[0][0] == OBJECTS and seen.started[0][1] > 0
    assert seen.files == OBJECTS


def test_two_projects_in_one_process_share_a_remote(ran, tmp_path):
    """A second clone, opened by path beside the first: what one pushes the other pulls."""
    clone = tmp_path / "clone"
    for rel in ("stages.py", "pivot.yaml", "input.txt", "total.json", ".pivot/config.yaml", ".pivot/stages"):
        source, dest = ran.root / rel, clone / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, dest) if source.is_dir() else shutil.copy(source, dest)
    other = Project(clone)
    assert sync.pull(other).fetched.objects is not None and not sync.pull(other).ok  # nothing pushed yet

    assert sync.push(ran).ok
    pulled = sync.pull(other)
    assert pulled.ok and pulled.checkout.outputs.restored == 2
    assert (clone / "loud.txt").read_text() == "ALPHA"
    assert sorted(os.listdir(clone / "parts")) == ["0.txt", "1.txt", "2.txt"]
    assert sync.checkout(ran).outputs.current == 2  # the first project is untouched
