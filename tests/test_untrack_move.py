"""`pivot untrack` and `pivot move` (DVC's `dvc remove` and `dvc move`): the .pvt files and
pivot's .gitignore lines follow the data, the data ends as plain files, and bad input changes
nothing."""

from __future__ import annotations

import os

import pytest
from conftest import assert_clean_error

from pivot.storage import hashing

PIPELINE = {
    "pivot.yaml": "stages:\n  copy:\n    cmd: cp data/a.csv out.csv\n    deps: [data/a.csv]\n    outs: [out.csv]\n",
    "data/a.csv": "a\n",
    "data/imgs/1.png": "one",
    "data/imgs/2.png": "two",
}


def _object(root, text: str):
    oid = hashing.hash_bytes(text.encode())
    return root / ".pivot/cache/files" / oid[:2] / oid[2:]


@pytest.fixture
def tracked(project, pivot):
    root = project(PIPELINE)
    for args in (("init",), ("track", "data/a.csv", "data/imgs")):
        assert pivot(*args).exit_code == 0
    return root


@pytest.mark.parametrize("kind", ["hardlink", "symlink"])
def test_untrack_leaves_plain_files_that_an_edit_cannot_take_into_the_cache(project, pivot, kind):
    root = project(PIPELINE)
    for args in (("init",), ("config", "set", "cache.type", kind), ("track", "data/a.csv", "data/imgs")):
        assert pivot(*args).exit_code == 0  # tracking makes the data links into the cache
    assert os.path.islink(root / "data/a.csv") or os.stat(root / "data/a.csv").st_nlink == 2
    result = pivot("untrack", "data/a.csv.pvt", "data/imgs")  # the .pvt's name or the data's
    assert result.exit_code == 0, result.output
    assert "Untracked data/a.csv: the data stays" in result.output
    assert "To commit: git add data/a.csv.pvt data/imgs.pvt data/.gitignore" in result.output
    assert not (root / "data/a.csv.pvt").exists() and not (root / "data/imgs.pvt").exists()
    assert (root / "data/.gitignore").read_text().strip() == ""
    for path in ("data/a.csv", "data/imgs/1.png"):
        assert not os.path.islink(root / path) and os.stat(root / path).st_nlink == 1
    (root / "data/a.csv").write_text("edited\n")
    assert _object(root, "a\n").read_text() == "a\n"  # the cached object is as it was
    status = pivot("status").output
    assert "data/a.csv.pvt" not in status and "data/imgs.pvt" not in status


def test_untrack_refuses_untracked_paths_before_changing_anything(tracked, pivot):
    root = tracked
    assert_clean_error(pivot("untrack", "data/a.csv", "data/b.csv"), "data/b.csv is not tracked data: there is no data/b.csv.pvt")
    assert_clean_error(pivot("untrack", "out.csv"), "out.csv is not tracked data")  # a stage's output has no .pvt
    assert (root / "data/a.csv.pvt").is_file()
    assert "/a.csv" in (root / "data/.gitignore").read_text()


def test_move_takes_the_pvt_and_the_gitignore_line_along(tracked, pivot):
    root = tracked
    result = pivot("move", "data/a.csv", "raw/")  # a trailing slash: into that directory
    assert result.exit_code == 0, result.output
    assert "Moved data/a.csv to raw/a.csv" in result.output
    assert (root / "raw/a.csv").read_text() == "a\n" and not (root / "data/a.csv").exists()
    assert (root / "raw/a.csv.pvt").is_file() and not (root / "data/a.csv.pvt").exists()
    assert (root / "raw/.gitignore").read_text() == "/a.csv\n" and "/a.csv" not in (root / "data/.gitignore").read_text()
    assert pivot("move", "data/imgs", "images").exit_code == 0  # a directory, to a new name
    assert sorted(p.name for p in (root / "images").iterdir()) == ["1.png", "2.png"]
    assert (root / "images.pvt").is_file() and "/images" in (root / ".gitignore").read_text()
    status = pivot("status").output
    assert "raw/a.csv.pvt  unchanged" in status and "images.pvt" in status


def test_move_keeps_a_relative_import_source_pointing_at_the_same_place(project, pivot, tmp_path):
    root = project({".pivot/config.yaml": "{}\n"})
    (tmp_path / "source.csv").write_text("s\n")
    assert pivot("import-url", "../source.csv", "in.csv").exit_code == 0
    assert pivot("move", "in.csv", "deep/er/in.csv").exit_code == 0
    assert "url: ../../../source.csv" in (root / "deep/er/in.csv.pvt").read_text()
    assert "up to date" in pivot("update").output  # found from its new place


def test_move_refuses_a_taken_destination_or_a_stage_output(tracked, pivot):
    root = tracked
    (root / "taken.csv").write_text("mine\n")
    assert_clean_error(pivot("move", "data/a.csv", "taken.csv"), "taken.csv exists")
    assert_clean_error(pivot("move", "data/a.csv", "out.csv"), "the output 'out.csv' of stage 'copy'")
    assert_clean_error(pivot("move", "data/a.csv", ".pivot/a.csv"), "belongs to pivot or git")
    assert_clean_error(pivot("move", "nothing.csv", "x.csv"), "nothing.csv is not tracked data")
    assert (root / "data/a.csv").read_text() == "a\n" and (root / "data/a.csv.pvt").is_file()
    assert (root / "taken.csv").read_text() == "mine\n"
