"""`status --json` and `explain --json` describe a stage with one schema, documented in the README."""

from __future__ import annotations

import json
import pathlib
import re

from conftest import TRAIN_STAGES

README = pathlib.Path(__file__).parents[2] / "README.md"
PIPELINE = "stages:\n  train:\n    python: stages.train\n    params:\n      lr: 0.1\n"


def _both(pivot):
    status = json.loads(pivot("status", "--json").output)
    explained = {d["stage"]: d for d in json.loads(pivot("explain", "--json").output)}
    return status, explained


def test_status_and_explain_share_the_stage_keys_and_values(project, pivot):
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    for step in ("never run", "ran", "params changed"):
        if step == "ran":
            assert pivot("run", "--executor", "inprocess").exit_code == 0
        if step == "params changed":
            (root / "pivot.yaml").write_text(PIPELINE.replace("0.1", "0.2"))
        status, explained = _both(pivot)
        assert list(status) == list(explained) == ["train"], step
        shared = status["train"]
        detail = explained["train"]
        assert set(shared) == {"stage", "will_run", "reasons", "from_run_cache", "restore", "missing_deps", "blocked_by", "mutex", "frozen_missing"}, step
        assert set(shared) < set(detail), step  # explain adds detail, never drops a key
        assert {key: detail[key] for key in shared} == shared, step
    assert shared["will_run"] is True and shared["reasons"] == ["Parameters changed"]
    assert detail["param_changes"] == [{"key": "lr", "old": 0.1, "new": 0.2, "change": "modified"}]


def test_the_readme_documents_every_key_of_both_outputs(project, pivot):
    project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    status, explained = _both(pivot)
    documented = set(re.findall(r"`([a-z_]+)`", README.read_text().split("**JSON output.**")[1].split("\n## ")[0]))
    assert set(status["train"]) | set(explained["train"]) <= documented
