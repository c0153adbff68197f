"""`pivot run --jsonl`: every line of stdout is one JSON event a program can follow (docs/events.md)."""

from __future__ import annotations

import json

from conftest import assert_clean_error

STAGES = '''
from typing import Annotated

from pivot import loaders, outputs


def prepare(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[str, outputs.Out("prepared.txt", loaders.Text())]:
    print("preparing")
    return data.upper()


def train(prepared: Annotated[str, outputs.Dep("prepared.txt", loaders.Text())]) -> Annotated[str, outputs.Out("model.txt", loaders.Text())]:
    raise ValueError("no convergence")


def report(model: Annotated[str, outputs.Dep("model.txt", loaders.Text())]) -> Annotated[str, outputs.Out("report.txt", loaders.Text())]:
    return model
'''

PIPELINE = """
stages:
  prepare:
    python: stages.prepare
  train:
    python: stages.train
  report:
    python: stages.report
"""


def events_of(output: str) -> list[dict]:
    """Each stdout line parsed: a line that is not a JSON object fails the test."""
    events = [json.loads(line) for line in output.splitlines()]
    assert all(isinstance(event, dict) and event["schema"] == 1 and event["time"].endswith("Z") for event in events), output
    return events


def by_stage(events: list[dict], kind: str) -> dict[str, dict]:
    return {event["stage"]: event for event in events if event["event"] == kind}


def test_a_run_reports_started_finished_failed_blocked_and_the_summary(project, pivot):
    project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "data.txt": "abc"})
    result = pivot("run", "--jsonl", "-k")  # workers: what a stage prints is relayed as events
    assert result.exit_code == 1, result.output
    events = events_of(result.stdout)

    assert events[0]["event"] == "run_started" and events[0]["stages"] == 3
    started = by_stage(events, "stage_started")
    assert started["prepare"]["reason"] == "Never run"
    assert {"stage": "prepare", "line": "preparing"}.items() <= by_stage(events, "stage_output")["prepare"].items()
    finished = by_stage(events, "stage_finished")["prepare"]
    assert finished["status"] == "ran" and isinstance(finished["duration"], float)
    failed = by_stage(events, "stage_failed")["train"]
    assert "ValueError: no convergence" in failed["error"] and "no convergence" in failed["traceback"]
    blocked = by_stage(events, "stage_skipped")["report"]
    assert blocked["status"] == "blocked" and blocked["reason"] == "an upstream stage failed"

    summary = events[-1]
    assert summary["event"] == "run_finished" and summary["ok"] is False
    assert {"ran": 1, "failed": 1, "blocked": 1, "skipped": 0}.items() <= summary["counts"].items()
    assert {event["run"] for event in events} == {1}


def test_an_up_to_date_stage_is_skipped_with_its_reason(project, pivot):
    project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "data.txt": "abc"})
    assert pivot("run", "prepare", "--executor", "inprocess").exit_code == 0
    for _ in range(2):  # decided in full, then answered from the no-op memo: the same events
        result = pivot("run", "prepare", "--jsonl", "--executor", "inprocess")
        assert result.exit_code == 0, result.output
        events = events_of(result.stdout)
        assert [event["event"] for event in events] == ["run_started", "stage_skipped", "run_finished"]
        assert {"stage": "prepare", "status": "skipped", "reason": "up to date"}.items() <= events[1].items()
        assert events[2]["ok"] is True and events[2]["counts"]["skipped"] == 1


def test_the_schema_version_is_on_every_event_and_documented(project, pivot):
    project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "data.txt": "abc"})
    result = pivot("run", "prepare", "--jsonl")
    kinds = {event["event"] for event in events_of(result.stdout)}
    from conftest import REPO

    doc = (REPO / "docs" / "events.md").read_text()
    for kind in kinds | {"stage_failed", "stage_skipped", "watch_waiting", "watch_changed", "error"}:
        assert f"`{kind}`" in doc, kind


def test_jsonl_with_a_dry_run_is_refused(project, pivot):
    project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "data.txt": "abc"})
    assert_clean_error(pivot("run", "-n", "--jsonl"), "--dry-run", "pivot status --json")
    assert_clean_error(pivot("run", "-n", "--watch"), "--dry-run")
