"""`pivot stage remove` (as `dvc remove STAGE`): the entry leaves pivot.yaml with the user's comments
kept, its locks and .gitignore lines go, its outputs stay as plain files (never links into the
cache) unless --outs; bad input changes nothing."""

from __future__ import annotations

import os

from conftest import assert_clean_error

from pivot.base import project as project_mod
from pivot.worktree import workspace

PIPELINE = """\
# the team's pipeline
stages:
  prepare:  # cleans the rows
    cmd: tr a-z A-Z < raw.txt > clean.txt
    deps: [raw.txt]
    outs: [clean.txt]
  train:
    matrix:
      lr: [1, 2]
    cmd: (echo ${lr}; cat clean.txt) > model-${lr}.txt
    deps: [clean.txt]
    outs:
      - model-${lr}.txt
"""


def test_a_stage_goes_with_its_locks_and_ignore_lines_and_its_outputs_stay_plain(project, pivot):
    root = project({"pivot.yaml": PIPELINE, "raw.txt": "rows\n", ".pivot/config.yaml": "cache:\n  type: [hardlink, copy]\n"})
    assert pivot("run").exit_code == 0
    cached = workspace.cache_root(project_mod.Project(root))
    assert any(os.path.samefile(root / "model-1.txt", p) for p in cached.rglob("*") if p.is_file())  # a hard link at first

    result = pivot("stage", "remove", "train")
    assert result.exit_code == 0, result.output
    assert "Removed train@1, train@2 from pivot.yaml" in result.output
    assert (root / "pivot.yaml").read_text() == PIPELINE.split("  train:")[0]  # comments kept
    assert sorted(p.name for p in (root / ".pivot/stages").iterdir()) == ["prepare.lock"]
    assert "/model-1.txt" not in (root / ".gitignore").read_text()
    (root / "model-1.txt").write_text("edited\n")  # a plain file now: the cached object is untouched
    assert all(p.read_text() != "edited\n" for p in cached.rglob("*") if p.is_file())
    assert pivot("status").output.split() == ["prepare", "up", "to", "date"]


def test_outs_deletes_them_and_a_reader_of_them_keeps_reading_the_path(project, pivot):
    root = project({"pivot.yaml": PIPELINE, "raw.txt": "rows\n"})
    assert pivot("run").exit_code == 0
    result = pivot("stage", "remove", "prepare", "--outs")
    assert result.exit_code == 0 and "Outputs deleted: clean.txt" in result.output, result.output
    assert not (root / "clean.txt").exists()
    assert "needs 'clean.txt', which does not exist" in pivot("status").output  # now a source file, missing


def test_bad_input_changes_nothing(project, pivot):
    root = project({"pivot.yaml": PIPELINE, "raw.txt": "rows\n"})
    assert pivot("run").exit_code == 0
    before = sorted(str(p) for p in root.rglob("*"))
    assert_clean_error(pivot("stage", "remove", "trian"), "no stage 'trian' in pivot.yaml", "prepare, train")
    assert_clean_error(pivot("stage", "remove", "train@1"), "'train@1' is a variant of the matrix stage 'train'")
    assert_clean_error(pivot("stage", "remove", "prepare", "nope"), "no stage 'nope'")  # every name checked first
    assert (root / "pivot.yaml").read_text() == PIPELINE and sorted(str(p) for p in root.rglob("*")) == before


def test_a_pipeline_py_project_is_told_where_its_stages_are(project, pivot):
    project({"pipeline.py": "from pivot.pipeline import Pipeline\npipeline = Pipeline('p')\n"})
    assert_clean_error(pivot("stage", "remove", "x"), "declares its stages in pipeline.py", "Pipeline.register call")
