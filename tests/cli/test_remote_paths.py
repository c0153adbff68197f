"""A directory remote typed as a relative path means what it means from where the user typed it,
is stored relative to the project root (so the committed config works in every clone), and the
directory it resolved to is printed."""

from __future__ import annotations

import yaml
from conftest import TRAIN_STAGES

PIPELINE = "stages:\n  train:\n    python: stages.train\n"


def _stored(root):
    return yaml.safe_load((root / ".pivot" / "config.yaml").read_text())["remotes"]


def test_a_relative_path_typed_in_a_subdirectory_is_resolved_from_there(project, pivot, monkeypatch):
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE, "sub/notes.txt": ""})
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    monkeypatch.chdir(root / "sub")
    added = pivot("remote", "add", "-d", "store", "../store")
    assert added.exit_code == 0, added.output
    assert added.output == f"Added remote 'store': {root / 'store'} (default)\n"
    assert _stored(root)["store"] == {"url": "store"}  # relative to the project root
    assert pivot("push").exit_code == 0
    assert (root / "store").is_dir() and not (root.parent / "store").exists()
    monkeypatch.chdir(root)
    assert pivot("push").exit_code == 0  # the same directory from the root


def test_modify_url_resolves_from_the_subdirectory_too(project, pivot, monkeypatch, tmp_path):
    root = project({"stages.py": TRAIN_STAGES, "pivot.yaml": PIPELINE, "deep/er/x.txt": ""})
    assert pivot("remote", "add", "store", "elsewhere").exit_code == 0
    assert _stored(root)["store"] == {"url": "elsewhere"}
    monkeypatch.chdir(root / "deep" / "er")
    changed = pivot("remote", "modify", "store", "url", "../../../shared")
    assert changed.exit_code == 0, changed.output
    assert changed.output == f"Set store.url = {tmp_path / 'shared'}\n"
    assert _stored(root)["store"] == {"url": "../shared"}


def test_absolute_paths_and_urls_are_stored_as_typed(project, pivot, monkeypatch, tmp_path):
    root = project({"stages.py": TRAIN_STAGES, "pivot.yaml": PIPELINE, "sub/x.txt": ""})
    monkeypatch.chdir(root / "sub")
    assert pivot("remote", "add", "abs", str(tmp_path / "abs")).output == f"Added remote 'abs': {tmp_path / 'abs'}\n"
    assert pivot("remote", "add", "bucket", "s3://bucket/prefix").output == "Added remote 'bucket': s3://bucket/prefix\n"
    assert _stored(root) == {"abs": {"url": str(tmp_path / "abs")}, "bucket": {"url": "s3://bucket/prefix"}}
