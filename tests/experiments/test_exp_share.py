"""`pivot exp push` / `pivot exp pull` through the CLI with a directory remote: a fresh git clone
lists the pushed experiments and applies them without running anything; names that differ on the
two sides are never replaced silently; a damaged record on the remote is skipped, the others come;
`pivot gc -r` keeps what the remote's records name."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest
from conftest import assert_clean_error

from experiments.expsupport import commit, git, make_project, project_paths, record_experiment, runs
from pivot.experiments import record
from pivot.worktree import workspace


@pytest.fixture
def origin(tmp_path, monkeypatch, pivot):
    """A committed project with two experiments and a directory remote, in the project's directory."""
    root = make_project(tmp_path / "a")
    monkeypatch.chdir(root)
    assert pivot("remote", "add", "-d", "origin", str(tmp_path / "shared")).exit_code == 0
    commit(root, "remote")
    record_experiment(root, "exp-1", {"train.lr": 0.5}, "2026-12-05T10:00:00Z")
    record_experiment(root, "exp-2", {"train.lr": 0.01, "train.epochs": 10}, "2026-12-05T11:00:00Z")
    return root


def _clone(root: pathlib.Path, dest: pathlib.Path) -> pathlib.Path:
    subprocess.run(["git", "clone", "-q", str(root), str(dest)], check=True, capture_output=True)
    (dest / "counts").mkdir(exist_ok=True)
    return dest


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_a_fresh_clone_pulls_lists_and_applies_pushed_experiments_without_running(origin, pivot, tmp_path, monkeypatch):
    pushed = pivot("exp", "push")
    assert pushed.exit_code == 0, pushed.output
    assert "Pushed 2 experiments to origin, 0 already there" in pushed.output
    assert sorted(p.name for p in (tmp_path / "shared" / "exps").iterdir()) == ["exp-1.json", "exp-2.json"]

    clone = _clone(origin, tmp_path / "b")
    monkeypatch.chdir(clone)
    assert "exp-1" not in pivot("exp", "show").output
    pulled = pivot("exp", "pull")
    assert pulled.exit_code == 0, pulled.output
    assert "Pulled 2 experiments from origin, 0 already here" in pulled.output
    shown = pivot("exp", "show")
    assert [line.split()[0] for line in shown.output.splitlines()[1:]] == ["workspace", "HEAD", "exp-1", "exp-2"]
    assert (clone / ".pivot" / "exps" / "exp-2.json").read_bytes() == (origin / ".pivot" / "exps" / "exp-2.json").read_bytes()

    before = {stage: runs(clone, stage) for stage in ("prepare", "train")}
    applied = pivot("exp", "apply", "exp-2")
    assert applied.exit_code == 0, applied.output
    assert (clone / "model.txt").read_text() == "model(ROWS, lr=0.01, epochs=10)"
    status = pivot("status")
    assert status.exit_code == 0 and "will run" not in status.output and status.output.count("up to date") == 2
    assert {stage: runs(clone, stage) for stage in ("prepare", "train")} == before  # nothing ran in the clone


def test_push_and_pull_again_move_nothing(origin, pivot):
    assert pivot("exp", "push").exit_code == 0
    again = pivot("exp", "push")
    assert again.exit_code == 0
    assert again.output == "Pushed 0 experiments to origin, 2 already there\n"
    pulled = pivot("exp", "pull")
    assert pulled.exit_code == 0
    assert "Pulled 0 experiments from origin, 2 already here" in pulled.output


def test_push_sends_only_named_and_failed_ones_only_when_named(origin, pivot, tmp_path):
    paths = project_paths(origin)
    failed = record.ExpRecord("exp-3", None, "2026-12-05T12:00:00Z", "failed", "train: boom", {"train.lr": 9.0}, {}, {}, {})
    record.write(paths, failed)
    assert "Pushed 2 experiments" in pivot("exp", "push").output  # exp-3 failed: not by default
    assert not (tmp_path / "shared" / "exps" / "exp-3.json").exists()
    named = pivot("exp", "push", "exp-3")
    assert named.exit_code == 0 and "Pushed 1 experiment to origin" in named.output
    assert (tmp_path / "shared" / "exps" / "exp-3.json").exists()


def test_unknown_names_and_no_remote_are_clean_errors(origin, pivot, tmp_path, monkeypatch):
    assert_clean_error(pivot("exp", "push", "exp-11"), "no experiment named 'exp-11'", "did you mean 'exp-1'?")
    assert pivot("exp", "push", "exp-1").exit_code == 0
    assert_clean_error(pivot("exp", "pull", "exp-12"), "no experiment named 'exp-12' on remote 'origin'", "did you mean 'exp-1'?")
    bare = make_project(tmp_path / "bare")
    monkeypatch.chdir(bare)
    for command in ("pull", "push"):  # the message `pivot push` gives
        assert_clean_error(pivot("exp", command), "no remote configured", "pivot remote add -d origin")


def test_a_record_that_differs_is_never_replaced_silently(origin, pivot, tmp_path, monkeypatch):
    assert pivot("exp", "push").exit_code == 0
    clone = _clone(origin, tmp_path / "b")
    monkeypatch.chdir(clone)
    record_experiment(clone, "exp-1", {"train.lr": 0.2}, "2026-12-06T09:00:00Z")  # the teammate's own exp-1
    mine = (clone / ".pivot" / "exps" / "exp-1.json").read_bytes()

    refused = pivot("exp", "pull")
    assert_clean_error(refused, "experiment 'exp-1' differs between remote 'origin' and this project", "--force")
    assert (clone / ".pivot" / "exps" / "exp-1.json").read_bytes() == mine
    assert not (clone / ".pivot" / "exps" / "exp-2.json").exists()  # nothing was changed
    assert_clean_error(pivot("exp", "push", "exp-1"), "'exp-1' differs between here and remote 'origin'")
    assert pivot("exp", "pull", "exp-2").exit_code == 0  # the others can still come by name

    forced = pivot("exp", "pull", "--force", "exp-1")
    assert forced.exit_code == 0, forced.output
    assert (clone / ".pivot" / "exps" / "exp-1.json").read_bytes() == (origin / ".pivot" / "exps" / "exp-1.json").read_bytes()


def test_a_damaged_record_on_the_remote_is_skipped_and_the_others_come(origin, pivot, tmp_path, monkeypatch):
    assert pivot("exp", "push").exit_code == 0
    (tmp_path / "shared" / "exps" / "exp-1.json").write_text("{not json")
    clone = _clone(origin, tmp_path / "b")
    monkeypatch.chdir(clone)
    pulled = pivot("exp", "pull")
    assert pulled.exit_code == 0, pulled.output
    assert "warning: exp-1 on origin skipped: not a readable experiment record" in pulled.output
    assert "Pulled 1 experiment from origin" in pulled.output
    assert record.names(project_paths(clone)) == ["exp-2"]


def test_pull_without_objects_then_apply_names_the_command_that_fetches_them(origin, pivot, tmp_path, monkeypatch):
    assert pivot("exp", "push").exit_code == 0
    clone = _clone(origin, tmp_path / "b")
    monkeypatch.chdir(clone)
    assert pivot("exp", "pull", "--no-objects").exit_code == 0
    refused = pivot("exp", "apply", "exp-2")
    assert refused.exit_code == 1
    assert "'pivot exp pull exp-2' fetches them" in refused.output
    pulled = pivot("exp", "pull", "exp-2")
    assert pulled.exit_code == 0 and "Pulled 0 experiments from origin, 1 already here" in pulled.output
    assert pivot("exp", "apply", "exp-2").exit_code == 0
    assert (clone / "model.txt").read_text() == "model(ROWS, lr=0.01, epochs=10)"


def test_push_holds_back_a_record_whose_outputs_are_not_in_the_cache(origin, pivot, tmp_path):
    model = record.read(project_paths(origin), "exp-1").locks["train"]["outs"]["model.txt"]["hash"]
    (origin / ".pivot" / "cache" / "files" / model[:2] / model[2:]).unlink()
    result = pivot("exp", "push")
    assert result.exit_code == 1
    assert "warning: exp-1 not pushed: 1 of its outputs are not in the local cache" in result.output
    assert "Pushed 1 experiment to origin" in result.output
    assert not (tmp_path / "shared" / "exps" / "exp-1.json").exists()


def test_remote_gc_keeps_what_the_remote_records_name(origin, pivot, tmp_path, monkeypatch):
    assert pivot("exp", "push").exit_code == 0
    shared = tmp_path / "shared"
    model = record.read(project_paths(origin), "exp-2").locks["train"]["outs"]["model.txt"]["hash"]
    remote_object = shared / "files" / model[:2] / model[2:]
    assert remote_object.exists()
    # A clone that never pulled the experiments: only the remote's records protect their objects.
    clone = _clone(origin, tmp_path / "b")
    monkeypatch.chdir(clone)
    gc = pivot("gc", "-r", "origin", "--grace", "0", "-y")
    assert gc.exit_code == 0, gc.output
    assert remote_object.exists()
    # Once the record is gone from the remote, its objects are garbage.
    (shared / "exps" / "exp-2.json").unlink()
    (shared / "exps" / "exp-1.json").unlink()
    gc = pivot("gc", "-r", "origin", "--grace", "0", "-y")
    assert gc.exit_code == 0, gc.output
    assert not remote_object.exists()


@pytest.mark.slow  # each experiment runs in a process of its own
def test_a_real_sweep_pushed_is_applied_in_a_clone(sweep_project, pivot, tmp_path, monkeypatch, counts):
    root = sweep_project
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x")
    assert pivot("remote", "add", "-d", "origin", str(tmp_path / "shared")).exit_code == 0
    commit(root, "remote")
    ran = pivot("exp", "run", "-S", "train.lr=0.01,0.5")
    assert ran.exit_code == 0, ran.output
    assert "Pushed 2 experiments" in pivot("exp", "push").output
    clone = tmp_path / "b"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, capture_output=True)
    monkeypatch.chdir(clone)
    assert pivot("exp", "pull").exit_code == 0
    before = {p.name: p.read_text() for p in counts.iterdir()}
    applied = pivot("exp", "apply", "exp-2")
    assert applied.exit_code == 0, applied.output
    status = pivot("status")
    assert status.exit_code == 0 and "will run" not in status.output
    assert {p.name: p.read_text() for p in counts.iterdir()} == before  # nothing ran
    shutil.rmtree(root / ".pivot" / "exps")


def test_an_object_that_fails_to_upload_holds_back_only_the_records_naming_it(origin, pivot, tmp_path):
    model = record.read(project_paths(origin), "exp-1").locks["train"]["outs"]["model.txt"]["hash"]
    (tmp_path / "shared" / "files" / model[:2] / model[2:]).mkdir(parents=True)  # in the way of the upload
    result = pivot("exp", "push")
    assert result.exit_code == 1
    assert "warning: exp-1 not pushed: 1 of its objects failed to upload" in result.output
    assert "Pushed 1 experiment to origin" in result.output
    assert sorted(p.name for p in (tmp_path / "shared" / "exps").iterdir()) == ["exp-2.json"]


def test_pulled_records_stay_out_of_git_where_the_dot_dir_ignore_predates_them(origin, pivot, tmp_path, monkeypatch):
    assert pivot("exp", "push").exit_code == 0
    clone = _clone(origin, tmp_path / "b")
    ignore = clone / ".pivot" / ".gitignore"
    ignore.write_text("".join(line + "\n" for line in ignore.read_text().splitlines() if "exps" not in line))
    commit(clone, "an older .pivot/.gitignore")
    monkeypatch.chdir(clone)
    assert pivot("exp", "pull").exit_code == 0
    assert (clone / ".pivot" / "exps" / "exp-1.json").exists()
    assert git(clone, "status", "--porcelain") == ""


def test_remote_gc_keeps_the_files_of_a_directory_a_remote_record_names(origin, pivot, tmp_path, monkeypatch):
    """The clone never saw the directory: only its manifest on the remote says which files to keep."""
    table = tmp_path / "table"
    table.mkdir()
    for i in range(3):
        (table / f"{i}.csv").write_text(f"{i},row\n")
    ws = workspace.open_workspace(project_paths(origin))
    try:
        hashed = ws.hasher.hash_path(table)
        ws.cache.add(table, hashed, copy=True)
    finally:
        ws.close()
    lock = {"outs": {"table": {"hash": hashed.info.oid, "cache": True}}, "deps": {}, "params": {}}
    rec = record.ExpRecord("exp-dir", None, "2026-12-05T12:00:00Z", "ok", None, {}, {}, {}, {"split": lock})
    record.write(project_paths(origin), rec)
    assert pivot("exp", "push", "exp-dir").exit_code == 0
    shared = tmp_path / "shared" / "files"
    members = [shared / e.oid[:2] / e.oid[2:] for e in hashed.entries or ()]
    assert len(members) == 3 and all(path.exists() for path in members)
    monkeypatch.chdir(_clone(origin, tmp_path / "b"))
    gc = pivot("gc", "-r", "origin", "--grace", "0", "-y")
    assert gc.exit_code == 0, gc.output
    assert all(path.exists() for path in members)
    assert (shared / hashed.info.oid[:2] / hashed.info.oid[2:]).exists()
