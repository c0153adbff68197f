"""The run cache: a stale stage whose inputs match a recorded run gets that run's outputs back."""

from __future__ import annotations

import json
import os
import pathlib

from conftest import TRAIN_STAGES as STAGES
from conftest import runs

PIPELINE = "stages:\n  train:\n    python: stages.train\n"
CHAIN = PIPELINE + "  evaluate:\n    python: stages.evaluate\n"
RUN = ("run", "--executor", "inprocess")


def set_lr(root: pathlib.Path, lr: float | None, pipeline: str = PIPELINE) -> None:
    text = pipeline if lr is None else pipeline.replace(
        "python: stages.train\n", f"python: stages.train\n    params:\n      lr: {lr}\n"
    )
    (root / "pivot.yaml").write_text(text)


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def lock_of(root: pathlib.Path, stage: str = "train") -> str:
    return (root / ".pivot" / "stages" / f"{stage}.lock").read_text()


def toggled(project, pivot, pipeline: str = PIPELINE) -> tuple[pathlib.Path, dict[str, str]]:
    """Ran with lr=0.1 (A), then lr=0.5 (B), and set lr back to 0.1: A's files, lock included."""
    root = project({"stages.py": STAGES, "data.txt": "rows\n", "pivot.yaml": pipeline})
    ok(pivot(*RUN))
    made_by_a = {name: (root / name).read_text() for name in ("model.txt", "metrics.json")}
    made_by_a["lock"] = lock_of(root)
    set_lr(root, 0.5, pipeline)
    ok(pivot(*RUN))
    assert json.loads((root / "metrics.json").read_text()) == {"lr": 0.5}
    set_lr(root, None, pipeline)
    return root, made_by_a


def test_toggling_a_param_back_restores_the_first_run_instead_of_running(project, pivot):
    root, made_by_a = toggled(project, pivot)
    output = ok(pivot(*RUN))
    assert "train: restored from run cache (Parameters changed)" in output
    assert "0 ran, 0 skipped, 0 failed, 1 restored from run cache in" in output
    assert runs(root, "train") == 2  # A, B; not A again
    assert (root / "model.txt").read_text() == made_by_a["model.txt"] == "model(rows, lr=0.1)"
    assert (root / "metrics.json").read_text() == made_by_a["metrics.json"]
    assert lock_of(root) == made_by_a["lock"]  # the very lock the run itself wrote
    assert not (root / "metrics.json").is_symlink()
    assert "train: up to date" in ok(pivot(*RUN))


def test_explain_status_and_dry_run_say_restored_from_run_cache_with_the_reasons(project, pivot):
    root, _ = toggled(project, pivot)
    explained = ok(pivot("explain"))
    assert "Status: STALE, restored from run cache" in explained
    assert "Reason: Parameters changed" in explained
    assert "lr: 0.5 -> 0.1" in explained
    assert "Restored from the run cache instead of running:\n    model.txt\n    metrics.json" in explained
    detail = json.loads(ok(pivot("explain", "--json")))[0]
    assert detail["from_run_cache"] is True and detail["will_run"] is False
    assert detail["reasons"] == ["Parameters changed"]
    assert "train  will be restored from run cache: Parameters changed" in ok(pivot("status"))
    assert "will be restored from run cache" in ok(pivot("run", "-n"))
    assert json.loads((root / "metrics.json").read_text()) == {"lr": 0.5}  # nothing was touched


def test_force_runs_and_explains_as_running(project, pivot):
    root, _ = toggled(project, pivot)
    assert "Status: WILL RUN" in ok(pivot("explain", "-f"))
    output = ok(pivot(*RUN, "-f"))
    assert "train: running (Forced, Parameters changed)" in output
    assert runs(root, "train") == 3


def test_no_run_cache_runs_and_explains_as_running(project, pivot):
    root, made_by_a = toggled(project, pivot)
    assert "Status: WILL RUN" in ok(pivot("explain", "--no-run-cache"))
    assert "will run: Parameters changed" in ok(pivot("run", "-n", "--no-run-cache"))
    output = ok(pivot(*RUN, "--no-run-cache"))
    assert "train: running (Parameters changed)" in output
    assert runs(root, "train") == 3
    assert lock_of(root) == made_by_a["lock"]


def test_a_damaged_entry_is_a_miss_said_so_and_the_stage_runs(project, pivot):
    root, made_by_a = toggled(project, pivot)
    for entry in (root / ".pivot" / "cache" / "runs").glob("*/*"):
        entry.write_text(entry.read_text()[:-20])  # truncated
    explained = ok(pivot("explain"))
    assert "Status: WILL RUN" in explained
    assert "Run cache: run-cache entry" in explained and "is damaged" in explained
    output = ok(pivot(*RUN))
    assert "train: running (Parameters changed)" in output and "is damaged" in output
    assert runs(root, "train") == 3
    assert (root / "model.txt").read_text() == made_by_a["model.txt"]
    # The run recorded A afresh; B's entry is still damaged, so B runs, and A is restored.
    set_lr(root, 0.5)
    assert "train: running (Parameters changed)" in ok(pivot(*RUN))
    set_lr(root, None)
    assert "train: restored from run cache" in ok(pivot(*RUN))
    assert runs(root, "train") == 4


def test_an_entry_whose_inputs_were_edited_is_refused(project, pivot):
    root, _ = toggled(project, pivot)
    for entry in (root / ".pivot" / "cache" / "runs").glob("*/*"):
        data = json.loads(entry.read_text())
        data["inputs"]["params"]["lr"] = 0.1 if data["inputs"]["params"]["lr"] == 0.5 else 0.5
        entry.write_text(json.dumps(data))
    explained = ok(pivot("explain"))
    assert "Status: WILL RUN" in explained and "its inputs hash to" in explained


def test_an_entry_whose_objects_are_gone_is_a_miss_and_the_stage_runs(project, pivot):
    root, made_by_a = toggled(project, pivot)
    _model_object(root, made_by_a["lock"]).unlink()
    explained = ok(pivot("explain"))
    assert "Status: WILL RUN" in explained
    assert "1 of its objects is not in the local cache (pivot fetch brings them)" in explained
    output = ok(pivot(*RUN))
    assert "train: running (Parameters changed)" in output
    assert runs(root, "train") == 3
    assert lock_of(root) == made_by_a["lock"]


def test_a_corrupted_object_behind_an_entry_makes_the_stage_run(project, pivot):
    root, made_by_a = toggled(project, pivot)
    obj = _model_object(root, made_by_a["lock"])
    os.chmod(obj, 0o644)
    obj.write_text("not the model")
    output = ok(pivot(*RUN))
    assert "train: running (Parameters changed)" in output
    assert "restoring from the run cache failed" in output and "corrupted" in output
    assert runs(root, "train") == 3
    assert (root / "model.txt").read_text() == made_by_a["model.txt"]
    assert lock_of(root) == made_by_a["lock"]


def _model_object(root: pathlib.Path, lock_text: str) -> pathlib.Path:
    import yaml

    oid = yaml.safe_load(lock_text)["outs"]["model.txt"]["hash"]
    return root / ".pivot" / "cache" / "files" / oid[:2] / oid[2:]


def test_a_chain_restores_downstream_from_the_run_cache_too_and_explain_predicts_it(project, pivot):
    root, made_by_a = toggled(project, pivot, CHAIN)
    report_a = "report of model(rows, lr=0.1)"
    explained = ok(pivot("explain"))
    blocks = explained.split("Stage: ")
    assert "STALE, restored from run cache" in blocks[1] and "Parameters changed" in blocks[1]
    # evaluate's dep is compared with the model the run cache will restore, not today's file
    assert blocks[2].startswith("evaluate") and "STALE, restored from run cache" in blocks[2]
    assert "Reason: Dependencies changed" in blocks[2]
    output = ok(pivot(*RUN))
    assert "train: restored from run cache (Parameters changed)" in output
    assert "evaluate: restored from run cache (Dependencies changed)" in output
    assert "2 restored from run cache" in output
    assert runs(root, "train") == 2 and runs(root, "evaluate") == 2
    assert (root / "report.txt").read_text() == report_a
    assert lock_of(root) == made_by_a["lock"]


def test_a_stage_without_a_lock_is_restored_from_the_run_cache(project, pivot):
    root, made_by_a = toggled(project, pivot)
    (root / ".pivot" / "stages" / "train.lock").unlink()
    (root / "model.txt").unlink()
    output = ok(pivot(*RUN))
    assert "train: restored from run cache (Never run)" in output
    assert runs(root, "train") == 2
    assert lock_of(root) == made_by_a["lock"]


def test_with_symlink_cache_type_metrics_come_back_as_plain_files(project, pivot):
    root, made_by_a = toggled(project, pivot)
    (root / ".pivot" / "config.yaml").write_text("cache:\n  type: symlink\n")
    assert "restored from run cache" in ok(pivot(*RUN))
    assert (root / "model.txt").is_symlink()
    assert not (root / "metrics.json").is_symlink()
    (root / "metrics.json").write_text("{}")  # still the user's file to edit, not a cache object
    assert (root / "model.txt").read_text() == made_by_a["model.txt"]


SIDE_EFFECT = '''
import pathlib

from pivot.stage_def import StageParams


class Params(StageParams):
    target: str = "a"


def deploy(params: Params) -> None:
    with open("deployed", "a") as handle:
        handle.write(params.target)
'''


def test_a_stage_without_outputs_is_never_skipped_by_the_run_cache(project, pivot):
    root = project({"stages.py": SIDE_EFFECT, "pivot.yaml": "stages:\n  deploy:\n    python: stages.deploy\n"})
    for target in ("a", "b", "a"):
        params = "" if target == "a" else "    params:\n      target: b\n"
        (root / "pivot.yaml").write_text("stages:\n  deploy:\n    python: stages.deploy\n" + params)
        assert "deploy: running" in ok(pivot(*RUN))
    assert (root / "deployed").read_text() == "aba"
    assert not (root / ".pivot" / "cache" / "runs").exists()


def test_an_entry_that_files_an_output_under_the_wrong_kind_is_ignored(project, pivot):
    root, _ = toggled(project, pivot)
    for entry in (root / ".pivot" / "cache" / "runs").glob("*/*"):
        data = json.loads(entry.read_text())
        data["outs"], data["metrics"] = data["metrics"], data["outs"]  # inputs intact: the key still matches
        entry.write_text(json.dumps(data))
    explained = ok(pivot("explain"))
    assert "Status: WILL RUN" in explained and "does not list this stage's outputs" in explained
    assert "train: running (Parameters changed)" in ok(pivot(*RUN))


def test_explain_compares_downstream_deps_with_outputs_the_cache_will_restore(project, pivot):
    root = project({"stages.py": STAGES, "data.txt": "rows\n", "pivot.yaml": CHAIN})
    ok(pivot(*RUN))
    (root / "model.txt").unlink()  # train will restore it from the cache; evaluate then is current
    statuses = ok(pivot("status")).splitlines()
    assert statuses == ["train     up to date (will restore model.txt from the cache)", "evaluate  up to date"]
    output = ok(pivot(*RUN))
    assert "evaluate: up to date" in output and runs(root, "evaluate") == 1


def test_a_run_cache_that_cannot_be_written_or_read_breaks_nothing(project, pivot):
    root = project({"stages.py": STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    (root / ".pivot" / "cache").mkdir(parents=True)
    (root / ".pivot" / "cache" / "runs").write_text("not a directory")
    ok(pivot(*RUN))
    set_lr(root, 0.5)
    ok(pivot(*RUN))
    set_lr(root, None)
    assert "Status: WILL RUN" in ok(pivot("explain"))
    assert "train: running (Parameters changed)" in ok(pivot(*RUN))
    assert runs(root, "train") == 3
    assert ok(pivot("gc")).startswith("Removed ")
