"""pivot track: .pvt files, the cache, .gitignore, status lines, tracked deps, and bad input."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import assert_clean_error

from pivot import errors
from pivot.base import project
from pivot.storage import hashing
from pivot.worktree import tracking, workspace

STAGES = '''
from typing import Annotated

from pivot import loaders, outputs


def count(text: Annotated[str, outputs.Dep("data.csv", loaders.Text())]) -> Annotated[str, outputs.Out("count.txt", loaders.Text())]:
    return str(len(text.splitlines()))
'''

PIPELINE = {"stages.py": STAGES, "pivot.yaml": "stages:\n  count:\n    python: stages.count\n", "data.csv": "a\nb\n"}


def _ws(root):
    return workspace.open_workspace(project.Project(root))


def _objects(root):
    files = root / ".pivot" / "cache" / "files"
    return sorted(p.parent.name + p.name for p in files.glob("*/*")) if files.is_dir() else []


def test_track_a_file_writes_a_canonical_pvt_caches_it_and_ignores_it_in_git(project, pivot):
    root = project(PIPELINE)
    result = pivot("track", "data.csv")
    assert result.exit_code == 0, result.output
    oid = hashing.hash_bytes(b"a\nb\n")
    assert (root / "data.csv.pvt").read_text() == f"hash: {oid}\npath: data.csv\nsize: 4\n"
    assert result.output.splitlines() == [
        "Tracking data.csv (1 file, 4 B): wrote data.csv.pvt — commit it with git",
        "To commit: git add data.csv.pvt .gitignore",
    ]
    assert _objects(root) == [oid]
    assert (root / ".gitignore").read_text() == "/data.csv\n"
    assert (root / "data.csv").read_text() == "a\nb\n"  # the data stays where it is


def test_track_a_directory_records_nfiles_and_caches_members_and_manifest(project, pivot):
    root = project({**PIPELINE, "images/a.txt": "1\n", "images/sub/b.txt": "22\n"})
    (root / ".gitignore").write_text("*.pyc")  # no trailing newline: the entry still gets its own line
    result = pivot("track", "images/")
    assert result.exit_code == 0, result.output
    assert "Tracking images (2 files, 5 B): wrote images.pvt" in result.output
    tracked = tracking.read(project_of(root), "images.pvt")
    assert tracked.path == "images" and tracked.info.is_dir and tracked.info.nfiles == 2
    text = (root / "images.pvt").read_text()
    assert text == f"hash: {tracked.info.oid}\nnfiles: 2\npath: images\nsize: 5\n"
    assert text == tracking.render(tracked)  # canonical: reading and writing again changes nothing
    ws = _ws(root)
    assert ws.cache.is_complete(tracked.info.oid)
    assert {e.relpath for e in ws.cache.read_manifest(tracked.info.oid)} == {"a.txt", "sub/b.txt"}
    assert (root / ".gitignore").read_text() == "*.pyc\n/images\n"


def project_of(root):
    return project.Project(root)


def test_retrack_after_modification_updates_the_pvt_and_unchanged_says_so(project, pivot):
    root = project(PIPELINE)
    pivot("track", "data.csv")
    again = pivot("track", "data.csv")
    assert again.output == "data.csv (1 file, 4 B) is unchanged: data.csv.pvt is up to date\n"

    (root / "data.csv").write_text("a\nb\nc\n")
    updated = pivot("track", "data.csv")
    assert updated.exit_code == 0
    assert "Tracking data.csv (1 file, 6 B): updated data.csv.pvt" in updated.output
    assert "git add data.csv.pvt\n" in updated.output  # .gitignore already has it
    assert tracking.read(project_of(root), "data.csv.pvt").info.oid == hashing.hash_bytes(b"a\nb\nc\n")
    assert (root / ".gitignore").read_text() == "/data.csv\n"
    assert len(_objects(root)) == 2  # the old version stays in the cache until gc


def test_a_hand_edited_pvt_is_rewritten_canonically(project, pivot):
    root = project(PIPELINE)
    pivot("track", "data.csv")
    canonical = (root / "data.csv.pvt").read_text()
    (root / "data.csv.pvt").write_text("# mine\n" + canonical.replace(": ", ":   "))
    result = pivot("track", "data.csv")
    assert "rewrote data.csv.pvt" in result.output
    assert (root / "data.csv.pvt").read_text() == canonical


def test_track_works_in_a_project_without_a_pipeline(project, pivot):
    root = project({".pivot/config.yaml": "{}\n", "data.csv": "x\n"})
    result = pivot("track", "data.csv")
    assert result.exit_code == 0, result.output
    assert (root / "data.csv.pvt").is_file()


def test_status_of_a_project_without_a_pipeline_shows_its_tracked_data(project, pivot):
    root = project({".pivot/config.yaml": "{}\n", "data.csv": "x\n"})
    assert_clean_error(pivot("status"), "no pivot.yaml or pipeline.py")  # nothing at all: maybe a forgotten pivot.yaml
    assert pivot("track", "data.csv").exit_code == 0
    (root / "data.csv").write_text("y\n")
    result = pivot("status")
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["data.csv.pvt", "modified"]
    assert_clean_error(pivot("status", "train"), "no pivot.yaml or pipeline.py")  # a stage named where there are none
    (root / "data.csv.pvt").unlink()
    (root / "pivot.yaml").write_text("stages: {}\n")
    assert "No stages and no tracked data here" in pivot("status").output


def test_status_lists_tracked_paths_after_the_stage_lines(project, pivot):
    root = project({**PIPELINE, "images/a.txt": "1\n"})
    before = pivot("status").output
    assert pivot("track", "data.csv", "images").exit_code == 0
    assert pivot("status").output == before + "data.csv.pvt  unchanged\nimages.pvt    unchanged\n"

    (root / "data.csv").write_text("changed\n")
    (root / "images" / "a.txt").unlink()
    (root / "images").rmdir()
    assert pivot("status").output == (
        "count  will run: Never run\ndata.csv.pvt  modified\nimages.pvt    missing\n"
    )
    # With targets, only the tracked paths the targets depend on.
    assert pivot("status", "count").output == "count  will run: Never run\ndata.csv.pvt  modified\n"


def test_status_json_has_tracked_keys_only_when_there_are_tracked_paths(project, pivot):
    root = project(PIPELINE)
    plain = json.loads(pivot("status", "--json").output)
    assert list(plain) == ["count"]
    pivot("track", "data.csv")
    (root / "data.csv").unlink()
    payload = json.loads(pivot("status", "--json").output)
    assert payload["count"] == plain["count"]
    assert payload["tracked:data.csv"] == {"pvt": "data.csv.pvt", "status": "missing"}


def test_a_stage_on_a_tracked_file_runs_and_reruns_when_it_changes(project, pivot):
    root = project(PIPELINE)
    pivot("track", "data.csv")
    first = pivot("run", "--executor", "inprocess")
    assert first.exit_code == 0, first.output
    assert (root / "count.txt").read_text() == "2"
    assert "0 ran, 1 skipped" in pivot("run", "--executor", "inprocess").output

    (root / "data.csv").write_text("a\nb\nc\n")
    assert pivot("status").output == "count  will run: Dependencies changed\ndata.csv.pvt  modified\n"
    assert "1 ran" in pivot("run", "--executor", "inprocess").output
    assert (root / "count.txt").read_text() == "3"


def test_a_missing_tracked_dep_is_no_graph_error_and_restore_brings_it_back(project, pivot):
    root = project(PIPELINE)
    pivot("track", "data.csv")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    (root / "data.csv").unlink()

    shown = pivot("status")
    assert shown.exit_code == 0, shown.output
    assert shown.output == "count  will run: Dependencies changed\ndata.csv.pvt  missing\n"
    failed = pivot("run", "--executor", "inprocess")
    assert failed.exit_code == 1 and "dependency 'data.csv' is missing (it is tracked: 'pivot checkout' restores it" in failed.output

    ws = _ws(root)
    tracked = tracking.read(ws.project, "data.csv.pvt")
    assert tracking.restore(ws, tracked, force=False) is tracking.Restored.RESTORED
    assert (root / "data.csv").read_text() == "a\nb\n"
    assert "0 ran, 1 skipped" in pivot("run", "--executor", "inprocess").output


def test_a_missing_untracked_dep_is_still_a_graph_error(project, pivot):
    # Issue 13: status shows the blocked stage (it used to refuse); run is refused before starting.
    root = project(PIPELINE)
    (root / "data.csv").unlink()
    assert pivot("status").output == "count  blocked: needs 'data.csv', which does not exist and no stage produces it\n"
    assert_clean_error(pivot("run"), "depends on 'data.csv', which does not exist")


def test_restore_keeps_modified_data_unless_forced_or_cached(project, pivot):
    root = project(PIPELINE)
    pivot("track", "data.csv")
    ws = _ws(root)
    tracked = tracking.read(ws.project, "data.csv.pvt")
    assert tracking.restore(ws, tracked, force=False) is tracking.Restored.UNCHANGED

    (root / "data.csv").write_text("precious edit\n")
    assert tracking.state(ws, tracked) is tracking.State.MODIFIED
    assert tracking.restore(ws, tracked, force=False) is tracking.Restored.KEPT
    assert (root / "data.csv").read_text() == "precious edit\n"
    assert tracking.restore(ws, tracked, force=True) is tracking.Restored.RESTORED
    assert (root / "data.csv").read_text() == "a\nb\n"
    assert tracking.state(ws, tracked) is tracking.State.UNCHANGED


def test_restore_a_directory_and_a_missing_object_is_a_cache_error(project, pivot):
    root = project({**PIPELINE, "images/a.txt": "1\n", "images/sub/b.txt": "22\n"})
    pivot("track", "images")
    ws = _ws(root)
    tracked = tracking.read(ws.project, "images.pvt")
    (root / "images" / "sub" / "b.txt").unlink()
    assert tracking.state(ws, tracked) is tracking.State.MODIFIED
    assert tracking.restore(ws, tracked, force=True) is tracking.Restored.RESTORED
    assert (root / "images" / "sub" / "b.txt").read_text() == "22\n"

    for obj in (root / ".pivot" / "cache" / "files").glob("*/*"):
        obj.unlink()
    (root / "images" / "a.txt").unlink()
    with pytest.raises(errors.CacheError, match="not in the cache"):
        tracking.restore(ws, tracked, force=True)


def test_tracking_a_stage_output_is_an_input_error_that_changes_nothing(project, pivot):
    root = project({**PIPELINE, "count.txt": "old\n"})
    result = pivot("track", "data.csv", "count.txt")
    assert_clean_error(result, "cannot track 'count.txt'", "output 'count.txt' of stage 'count'", "pivot.yaml:2")
    assert not (root / "data.csv.pvt").exists() and not (root / "count.txt.pvt").exists()
    assert not (root / ".gitignore").exists()
    assert _objects(root) == []


def test_tracking_outside_the_project_is_an_input_error(project, pivot, tmp_path):
    root = project(PIPELINE)
    (tmp_path / "outside.csv").write_text("x\n")
    assert_clean_error(pivot("track", "../outside.csv"), "'../outside.csv' is outside the project")
    assert_clean_error(pivot("track", str(tmp_path / "outside.csv")), "is outside the project")
    assert_clean_error(pivot("track", "."), "the project root itself")
    assert not list(root.glob("*.pvt")) and not list(tmp_path.glob("*.pvt"))


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("nope.csv",), ("cannot track 'nope.csv': no such file or directory",)),
        ((".pivot/config.yaml",), ("belongs to pivot or git",)),
        (("pivot.yaml",), ("belongs to pivot or git",)),
        (("dangling",), ("cannot track 'dangling': no such file or directory",)),
        (("images", "images/a.txt"), ("cannot track both 'images' and 'images/a.txt'",)),
    ],
)
def test_bad_track_arguments_are_input_errors(project, pivot, args, fragments):
    root = project({**PIPELINE, "images/a.txt": "1\n", ".pivot/config.yaml": "{}\n"})
    (root / "dangling").symlink_to(root / "gone")
    assert_clean_error(pivot("track", *args), *fragments)


def test_tracking_inside_a_tracked_directory_or_around_one_is_refused(project, pivot):
    project({**PIPELINE, "images/a.txt": "1\n", "images/sub/b.txt": "2\n"})
    assert pivot("track", "images/sub").exit_code == 0
    assert_clean_error(pivot("track", "images"), "contains images/sub.pvt")
    assert_clean_error(pivot("track", "images/sub/b.txt"), "lies inside 'images/sub', tracked by images/sub.pvt")


def test_a_stage_output_that_is_tracked_is_a_graph_error(project, pivot):
    root = project({**PIPELINE, "count.txt": "2"})
    (root / "pivot.yaml").write_text("stages: {}\n")
    assert pivot("track", "count.txt").exit_code == 0
    (root / "pivot.yaml").write_text(PIPELINE["pivot.yaml"])
    assert_clean_error(pivot("status"), "output 'count.txt' of stage 'count' is tracked data (count.txt.pvt)")


def test_a_damaged_pvt_is_reported_by_name(project, pivot):
    root = project(PIPELINE)
    pivot("track", "data.csv")
    (root / "data.csv.pvt").write_text("hash: not-a-hash\npath: data.csv\nsize: 4\n")
    assert_clean_error(pivot("status"), "data.csv.pvt: 'hash' is not a pivot object id", "pivot track data.csv")
    (root / "data.csv.pvt").write_text("<<<<<<< HEAD\nhash: x\n=======\n")
    assert_clean_error(pivot("status"), "data.csv.pvt: not valid YAML")
    (root / "data.csv.pvt").write_text("hash: 00000000000000000000000000000000\npath: ../../etc\nsize: 4\n")
    assert_clean_error(pivot("status"), "data.csv.pvt: 'path' must be a relative path")
    # Tracking again repairs it.
    assert pivot("track", "data.csv").exit_code == 0
    assert pivot("status").exit_code == 0


def test_track_from_a_subdirectory_takes_paths_relative_to_it(project, pivot, monkeypatch):
    root = project({**PIPELINE, "raw/in.csv": "x\n"})
    monkeypatch.chdir(root / "raw")
    result = pivot("track", "in.csv")
    assert result.exit_code == 0, result.output
    assert "wrote raw/in.csv.pvt" in result.output
    assert "To commit: git add in.csv.pvt .gitignore" in result.output
    assert (root / "raw" / "in.csv.pvt").is_file()
    assert (root / "raw" / ".gitignore").read_text() == "/in.csv\n"


def test_no_gitignore_entry_when_git_already_ignores_the_path(project, pivot):
    root = project(PIPELINE)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("*.csv\n")
    result = pivot("track", "data.csv")
    assert result.exit_code == 0
    assert (root / ".gitignore").read_text() == "*.csv\n"
    assert "To commit: git add data.csv.pvt\n" in result.output


def test_a_file_already_committed_to_git_gets_a_warning(project, pivot):
    root = project(PIPELINE)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "data.csv"], cwd=root, check=True, env=env)
    result = pivot("track", "data.csv")
    assert result.exit_code == 0
    assert "git rm -r --cached data.csv" in result.output


def test_find_skips_pivot_git_venvs_site_packages_and_tracked_directories(project, pivot):
    root = project(
        {
            **PIPELINE,
            "images/a.txt": "1\n",
            "env/pyvenv.cfg": "home = /usr\n",
            "env/data.pvt": "junk",
            ".venv/x.pvt": "junk",
            ".git/y.pvt": "junk",
            "lib/site-packages/z.pvt": "junk",
            "node_modules/w.pvt": "junk",
        }
    )
    pivot("track", "images", "data.csv")
    (root / "images" / "inner.pvt").write_text("junk")  # inside tracked data: not a .pvt of ours
    found = tracking.find(project_of(root))
    assert [(t.path, t.pvt) for t in found] == [("data.csv", "data.csv.pvt"), ("images", "images.pvt")]
