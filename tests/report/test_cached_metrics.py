"""A metrics file the cache holds (`metrics: [metrics.json]` of a shell stage, DVC's default) is
gitignored, so a commit has only its lock: metrics diff, metrics history, exp show and the PR
report read its values at a revision from the cache, by the hash that lock records. A clone
without the object says so and names the fix; after `pivot pull` the values are there."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

PIPELINE = """
stages:
  train:
    cmd: python train.py
    deps: [train.py]
    params: [lr]
    metrics: [metrics.json]
"""
TRAIN = """
import json, yaml
lr = yaml.safe_load(open("params.yaml"))["lr"]
json.dump({"acc": lr * 2}, open("metrics.json", "w"))
"""
GIT_ENV = ["-c", "user.email=t@example.com", "-c", "user.name=t"]


def git(root, *args):
    return subprocess.run(["git", *GIT_ENV, *args], cwd=root, check=True, capture_output=True, text=True).stdout


def _two_commits(project, pivot, tmp_path):
    """Run and commit at lr 0.1, then at lr 0.2; the metrics file is never committed."""
    root = project({"pivot.yaml": PIPELINE, "train.py": TRAIN, "params.yaml": "lr: 0.1\n"})
    assert pivot("init").exit_code == 0
    assert pivot("remote", "add", "-d", "store", str(tmp_path / "store")).exit_code == 0
    git(root, "init", "-q")
    for lr in ("0.1", "0.2"):
        (root / "params.yaml").write_text(f"lr: {lr}\n")
        assert pivot("run").exit_code == 0
        git(root, "add", "-A")
        git(root, "commit", "-qm", f"lr {lr}")
    assert "metrics.json" not in git(root, "ls-files")  # cached, so gitignored
    return root


@pytest.mark.slow  # four commands that read revisions, a second in all
def test_diff_history_and_exp_show_read_a_cached_metric_at_a_revision(project, pivot, tmp_path):
    root = _two_commits(project, pivot, tmp_path)
    (root / "params.yaml").write_text("lr: 0.3\n")
    assert pivot("run").exit_code == 0

    diff = pivot("metrics", "diff", "--json")
    assert diff.exit_code == 0, diff.output
    assert json.loads(diff.stdout)["metrics.json"]["acc"] == {"old": 0.4, "new": 0.6, "diff": 0.19999999999999996}
    assert diff.stderr == ""
    older = pivot("metrics", "diff", "HEAD~1", "HEAD", "--json")
    assert json.loads(older.stdout)["metrics.json"]["acc"] == {"old": 0.2, "new": 0.4, "diff": 0.2}

    history = pivot("metrics", "history", "--json")
    assert history.exit_code == 0, history.output
    assert [entry["metrics"] for entry in json.loads(history.stdout)] == [{"metrics.json": {"acc": 0.4}}, {"metrics.json": {"acc": 0.2}}]

    shown = pivot("exp", "show", "--csv")
    assert [line.split(",")[4:] for line in shown.stdout.splitlines()[:3]] == [["lr", "metrics.json:acc"], ["0.3", "0.6"], ["0.2", "0.4"]]

    report = pivot("ci", "comment", "--dry-run", "--base", "HEAD")
    assert "| metrics.json | acc | 0.4 | 0.6 |" in report.stdout, report.stdout


def test_a_clone_without_the_object_says_how_to_get_it_and_pull_brings_it(project, pivot, tmp_path, monkeypatch):
    root = _two_commits(project, pivot, tmp_path)
    assert pivot("push").exit_code == 0
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(root), str(clone))
    shutil.copy(root / ".pivot" / "config.yaml", clone / ".pivot" / "config.yaml")  # (committed in a real project)
    monkeypatch.chdir(clone)

    missing = pivot("metrics", "diff", "HEAD~1", "HEAD", "--json")
    assert missing.exit_code == 1
    assert json.loads(missing.stdout)["metrics.json"]["error"]["old"] == "not committed at HEAD~1 nor in the cache, though its lock lists it"
    assert "'pivot fetch' at that commit to bring the cached ones" in missing.stderr

    assert pivot("pull").exit_code == 0  # HEAD's objects
    now = pivot("metrics", "diff", "HEAD~1", "HEAD", "--json")
    assert json.loads(now.stdout)["metrics.json"]["acc"]["new"] == 0.4
    assert json.loads(now.stdout)["metrics.json"]["error"]["old"].startswith("not committed at HEAD~1")
