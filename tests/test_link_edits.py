"""With `cache.type: hardlink` or `symlink` the workspace output is the cache object: an edit written
in place (root ignores the read-only bit) reaches the object. pivot sees it by content, never
restores or links to the damaged object, reruns the stage and stores the object anew."""

from __future__ import annotations

import os
import pathlib

import pytest
from conftest import TRAIN_STAGES, runs

from pivot.storage import hashing

PIPELINE = "stages:\n  train:\n    python: stages.train\n  evaluate:\n    python: stages.evaluate\n"
RUN = ("run", "--executor", "inprocess")
MODEL = "model(rows, lr=0.1)"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="only root can write through a read-only link")


@pytest.fixture(params=["hardlink", "symlink"])
def linked(request, project, pivot) -> pathlib.Path:
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    assert pivot("init").exit_code == 0
    (root / ".pivot/config.yaml").write_text(f"cache:\n  type: {request.param}\n")
    ok(pivot(*RUN))
    model = root / "model.txt"
    assert model.is_symlink() if request.param == "symlink" else model.stat().st_nlink == 2
    return root


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def every_object_matches_its_name(root: pathlib.Path) -> None:
    for obj in (root / ".pivot/cache/files").glob("*/*"):
        oid = obj.parent.name + obj.name
        data = obj.read_bytes()
        actual = hashing.hash_bytes(data) + (hashing.DIR_SUFFIX if oid.endswith(hashing.DIR_SUFFIX) else "")
        assert actual == oid, f"{obj} holds {data!r}"


def append(path: pathlib.Path, text: str) -> None:
    with open(path, "a") as handle:  # in place: through the hardlink or symlink
        handle.write(text)


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_an_edit_through_the_link_is_seen_and_the_stage_reruns(linked, pivot):
    append(linked / "model.txt", " edited")
    status = ok(pivot("status"))
    assert "train     will run: Outputs missing or modified" in status
    explained = ok(pivot("explain", "train"))
    assert "model.txt: modified in place through its link into the cache (the cached copy is damaged)" in explained
    assert "restored" not in explained.lower()

    ran = ok(pivot(*RUN))
    assert "train: ran" in ran and "FAILED" not in ran
    assert runs(linked, "train") == 2
    assert (linked / "model.txt").read_text() == MODEL
    every_object_matches_its_name(linked)
    assert "up to date" in ok(pivot("status"))


def test_the_same_size_edit_is_seen_too(linked, pivot):
    with open(linked / "model.txt", "r+b") as handle:  # no size change: only the content says so
        handle.write(b"M")
    assert "will run" in ok(pivot("status", "train"))
    ok(pivot(*RUN))
    assert (linked / "model.txt").read_text() == MODEL
    every_object_matches_its_name(linked)


def test_an_edited_then_deleted_output_is_rerun_not_restored_from_the_damaged_object(linked, pivot):
    append(linked / "model.txt", " edited")
    (linked / "model.txt").unlink()
    assert "train     will run: Outputs missing or modified" in ok(pivot("status"))
    ran = ok(pivot(*RUN))
    assert "train: ran" in ran
    assert (linked / "model.txt").read_text() == MODEL
    every_object_matches_its_name(linked)


def test_checkout_drops_the_damaged_object_and_keeps_the_edit(linked, pivot):
    append(linked / "model.txt", " edited")
    refused = pivot("checkout", "-f")
    assert refused.exit_code == 1
    assert "model.txt: its cached copy was modified in place through a hardlink or symlink" in refused.output
    assert "removed from the cache and your edited file kept" in refused.output
    model = linked / "model.txt"
    assert model.read_text() == MODEL + " edited" and not model.is_symlink()
    every_object_matches_its_name(linked)

    ok(pivot(*RUN))
    assert model.read_text() == MODEL
    every_object_matches_its_name(linked)


def test_checkout_f_restores_an_output_replaced_rather_than_edited(linked, pivot):
    model = linked / "model.txt"
    model.unlink()
    model.write_text("my own model")  # a new file: the object is untouched
    kept = pivot("checkout")
    assert kept.exit_code == 1 and "'pivot checkout -f' overwrites it" in kept.output
    assert model.read_text() == "my own model"
    ok(pivot("checkout", "-f"))
    assert model.read_text() == MODEL
    every_object_matches_its_name(linked)
    assert runs(linked, "train") == 1


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_a_run_cache_entry_naming_a_damaged_object_is_a_miss(linked, pivot):
    pipeline = linked / "pivot.yaml"
    with_lr = PIPELINE.replace("python: stages.train\n", "python: stages.train\n    params:\n      lr: 0.5\n")
    pipeline.write_text(with_lr)
    ok(pivot(*RUN))
    pipeline.write_text(PIPELINE)
    assert "train: restored from run cache" in ok(pivot(*RUN))  # model.txt is lr=0.1's object again
    append(linked / "model.txt", " edited")
    pipeline.write_text(with_lr)
    ok(pivot(*RUN))  # lr=0.5's object is intact: restored
    pipeline.write_text(PIPELINE)
    ran = ok(pivot(*RUN))  # lr=0.1's entry names the damaged object: the stage runs instead
    assert "train: ran" in ran
    assert (linked / "model.txt").read_text() == MODEL
    every_object_matches_its_name(linked)


DIR_STAGES = '''
import pathlib
from typing import Annotated
from pivot import loaders, outputs


def split(text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Annotated[pathlib.Path, outputs.Out("parts", loaders.PathOnly())]:
    out = pathlib.Path("parts")
    out.mkdir()
    for i, word in enumerate(text.split()):
        (out / f"{i}.txt").write_text(word)
    return out
'''


@pytest.mark.parametrize("cache_type", ["hardlink", "symlink"])
def test_an_edit_inside_a_directory_output_is_seen_and_rerun(project, pivot, cache_type):
    root = project({"stages.py": DIR_STAGES, "input.txt": "alpha beta", "pivot.yaml": "stages:\n  split:\n    python: stages.split\n"})
    assert pivot("init").exit_code == 0
    (root / ".pivot/config.yaml").write_text(f"cache:\n  type: {cache_type}\n")
    ok(pivot(*RUN))
    append(root / "parts/1.txt", " edited")
    assert "split  will run: Outputs missing or modified" in ok(pivot("status"))
    ok(pivot(*RUN))
    assert (root / "parts/1.txt").read_text() == "beta"
    every_object_matches_its_name(root)


def test_checkout_of_an_edited_then_deleted_output_names_the_damage_not_an_edit(linked, pivot):
    append(linked / "model.txt", " edited")
    (linked / "model.txt").unlink()
    refused = pivot("checkout")
    assert refused.exit_code == 1
    assert "model.txt: its cached copy was modified in place through a hardlink or symlink" in refused.output
    assert "edited file kept" not in refused.output and not (linked / "model.txt").exists()
    every_object_matches_its_name(linked)


def test_pull_downloads_again_an_object_damaged_through_the_link(linked, pivot, tmp_path):
    ok(pivot("remote", "add", "-d", "origin", str(tmp_path / "remote")))
    ok(pivot("push"))
    append(linked / "model.txt", " edited")
    kept = pivot("pull")
    assert kept.exit_code == 1  # the edit is not in the cache: kept, as checkout keeps it
    assert "model.txt: its cached copy was modified in place through a link; downloading it again" in kept.output
    assert "'pivot checkout -f' overwrites it" in kept.output
    assert (linked / "model.txt").read_text() == MODEL + " edited"
    ok(pivot("pull", "-f"))
    assert (linked / "model.txt").read_text() == MODEL
    every_object_matches_its_name(linked)
    assert runs(linked, "train") == 1
