"""`frozen: true`: the stage never runs, even changed or forced (as in DVC); explain and status say
it is frozen and what changed; its outputs are still restored, checked out, pushed and pulled; a
frozen stage that cannot provide its outputs blocks its downstream with a message saying why."""

from __future__ import annotations

import shutil
import subprocess

from conftest import TRAIN_STAGES, runs

from pivot.api import Outcome, Project

PIPELINE = "stages:\n  train:\n    python: stages.train\n  evaluate:\n    python: stages.evaluate\n"
FROZEN = PIPELINE.replace("stages.train\n", "stages.train\n    frozen: true\n")
RUN = ("run", "--executor", "inprocess")


def _ran_then_frozen(project, pivot):
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    assert pivot(*RUN).exit_code == 0
    (root / "pivot.yaml").write_text(FROZEN)
    return root


def test_a_frozen_stage_with_changed_deps_is_not_run_even_forced(project, pivot):
    root = _ran_then_frozen(project, pivot)
    (root / "data.txt").write_text("other rows\n")
    assert pivot("status").output.splitlines() == [
        "train     frozen (would run otherwise: Dependencies changed)",
        "evaluate  up to date",
    ]
    explained = pivot("explain", "train").output
    assert "  Status: FROZEN\n  Reason: Frozen (would run otherwise: Dependencies changed)\n" in explained
    assert "data.txt: modified" in explained
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert "train: not run: Frozen (would run otherwise: Dependencies changed)" in result.output
    assert "0 ran, 2 skipped, 0 failed" in result.output
    forced = pivot(*RUN, "-f")
    assert forced.exit_code == 0, forced.output
    assert "train: not run: Frozen (would run otherwise: Forced, Dependencies changed)" in forced.output
    assert (runs(root, "train"), runs(root, "evaluate")) == (1, 2)  # -f ran evaluate only
    assert (root / "model.txt").read_text() == "model(rows, lr=0.1)"


def test_an_unchanged_frozen_stage_says_frozen_and_unfreezing_runs_it(project, pivot):
    root = _ran_then_frozen(project, pivot)
    assert pivot("status").output.splitlines()[0] == "train     frozen"
    (root / "data.txt").write_text("other rows\n")
    (root / "pivot.yaml").write_text(PIPELINE)
    assert pivot(*RUN).exit_code == 0
    assert runs(root, "train") == 2 and (root / "model.txt").read_text() == "model(other rows, lr=0.1)"


def test_missing_outputs_of_a_frozen_stage_come_back_from_the_cache(project, pivot):
    root = _ran_then_frozen(project, pivot)
    (root / "model.txt").unlink()
    assert "will restore model.txt from the cache" in pivot("status").output
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert "restored model.txt from the cache" in result.output
    assert runs(root, "train") == 1 and (root / "model.txt").read_text() == "model(rows, lr=0.1)"


def test_a_frozen_stage_that_never_ran_blocks_its_downstream(project, pivot):
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": FROZEN})
    message = "frozen, has never run, and its outputs 'model.txt', 'metrics.json' are missing: remove 'frozen: true' to run it once"
    assert pivot("status").output.splitlines() == [
        f"train     blocked: {message}",
        "evaluate  blocked: upstream stage 'train' is frozen without its outputs",
    ]
    assert f"  Status: BLOCKED\n  Blocked: {message}\n" in pivot("explain").output
    result = pivot(*RUN, "--keep-going")
    assert result.exit_code == 1
    assert f"train: FAILED: {message}" in result.output
    assert "0 ran, 0 skipped, 1 failed, 1 blocked" in result.output
    assert runs(root, "train") == runs(root, "evaluate") == 0


def test_a_frozen_stage_whose_outputs_are_gone_from_the_cache_fails_and_says_to_pull(project, pivot):
    root = _ran_then_frozen(project, pivot)
    shutil.rmtree(root / ".pivot" / "cache")
    (root / "model.txt").unlink()
    result = pivot(*RUN)
    assert result.exit_code == 1
    assert "train: FAILED: frozen, and its output 'model.txt' is missing and not in the cache: 'pivot pull'" in result.output
    assert runs(root, "train") == 1


def test_a_frozen_stage_is_pushed_pulled_and_checked_out(project, pivot, tmp_path, monkeypatch):
    root = _ran_then_frozen(project, pivot)
    assert pivot("remote", "add", "-d", "origin", str(tmp_path / "remote")).exit_code == 0
    pushed = pivot("push", "train")
    assert pushed.exit_code == 0 and "Pushed 1 file" in pushed.output, pushed.output
    (root / "model.txt").unlink()
    assert pivot("checkout", "train").exit_code == 0
    assert (root / "model.txt").read_text() == "model(rows, lr=0.1)"
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "frozen"], cwd=root, check=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
    assert not (clone / "model.txt").exists()  # git ignores cached outputs
    monkeypatch.chdir(clone)
    pulled = pivot("pull", "train")
    assert pulled.exit_code == 0, pulled.output
    assert (clone / "model.txt").read_text() == "model(rows, lr=0.1)"
    assert pivot("status", "train").output.splitlines() == ["train  frozen"]


def test_the_python_api_reports_a_frozen_stage_and_why(project, pivot):
    root = _ran_then_frozen(project, pivot)
    (root / "data.txt").write_text("other rows\n")
    proj = Project.open(root)
    status = {entry.stage: entry for entry in proj.status()}
    assert status["train"].will_run is False
    assert status["train"].reason == "Frozen (would run otherwise: Dependencies changed)"
    report = proj.run(executor="inprocess")
    assert report.ok and report.outcomes == {"train": Outcome.FROZEN, "evaluate": Outcome.SKIPPED}
    assert report["train"].reason == "Frozen (would run otherwise: Dependencies changed)"
