"""`pivot history` and `pivot show`: every `pivot run` leaves a record in .pivot/runs/, listed
newest first and shown stage by stage, slowest first."""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Callable, Mapping

import pytest
from click.testing import Result

from pivot.api import runlog
from pivot.base import project as project_mod
from tests.conftest import assert_clean_error

# `slow` sleeps long enough to be the slowest stage whatever the machine's load.
PIPELINE = """
stages:
  quick:
    cmd: python -c "open('quick.txt', 'w').write(open('data.txt').read())"
    deps: [data.txt]
    outs: [quick.txt]
  slow:
    cmd: python -c "import time; time.sleep(0.5); open('slow.txt', 'w').write(open('quick.txt').read())"
    deps: [quick.txt]
    outs: [slow.txt]
  broken:
    cmd: python -c "raise SystemExit(3)"
    deps: [data.txt]
    outs: [never.txt]
"""
FILES = {"pivot.yaml": PIPELINE, "data.txt": "one\n"}
RUN = ("run", "--executor", "inprocess")


def _json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_each_run_is_listed_newest_first_with_its_counts(
    project: Callable[[Mapping[str, str]], pathlib.Path], pivot: Callable[..., Result]
) -> None:
    root = project(FILES)
    assert pivot(*RUN, "quick", "slow").exit_code == 0
    assert pivot(*RUN, "quick", "slow").exit_code == 0  # nothing to do: recorded all the same
    assert pivot(*RUN, "-k").exit_code == 1  # broken fails

    runs = _json(pivot("history", "--json"))
    assert isinstance(runs, list) and len(runs) == 3
    newest, noop, first = runs
    assert [s["status"] for s in first["stages"]] == ["ran", "ran"]
    assert first["targets"] == ["quick", "slow"]
    assert [s["status"] for s in noop["stages"]] == ["skipped", "skipped"]
    assert {s["stage"]: s["status"] for s in newest["stages"]} == {"quick": "skipped", "slow": "skipped", "broken": "failed"}
    assert first["id"] < noop["id"] < newest["id"]  # ids sort by time

    lines = pivot("history").output.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(newest["id"]) and "0 ran, 0 restored, 2 skipped, 1 failed" in lines[0]
    assert lines[2].startswith(first["id"]) and "2 ran, 0 restored, 0 skipped, 0 failed" in lines[2]
    assert len(pivot("history", "-n", "1").output.splitlines()) == 1
    assert (root / ".pivot" / "runs" / f"{first['id']}.json").is_file()


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_show_lists_stages_slowest_first_with_reasons_and_errors(
    project: Callable[[Mapping[str, str]], pathlib.Path], pivot: Callable[..., Result]
) -> None:
    project(FILES)
    assert pivot(*RUN, "-k").exit_code == 1
    shown = _json(pivot("show", "--json"))
    assert isinstance(shown, dict)
    assert shown["stages"][0]["stage"] == "slow"
    durations = [s["duration"] for s in shown["stages"]]
    assert durations == sorted(durations, reverse=True)
    by_stage = {s["stage"]: s for s in shown["stages"]}
    assert by_stage["quick"]["reason"] == "Never run"
    assert by_stage["broken"]["status"] == "failed" and "3" in by_stage["broken"]["error"]

    text = pivot("show").output.splitlines()
    assert text[0].startswith(f"Run {shown['id']}: all stages")
    assert "slow: ran [pid " in text[1] and text[1].endswith("(Never run)")  # the process that ran it
    # An id's unique start names it, as the whole id does.
    assert _json(pivot("show", shown["id"][:-2], "--json")) == shown


def test_show_without_runs_or_with_an_unknown_id_names_the_fix(
    project: Callable[[Mapping[str, str]], pathlib.Path], pivot: Callable[..., Result]
) -> None:
    project(FILES)
    assert_clean_error(pivot("show"), "no run is recorded yet", "pivot run")
    assert "No run is recorded yet" in pivot("history").output
    assert pivot(*RUN, "quick").exit_code == 0
    assert_clean_error(pivot("show", "19990101"), "'19990101' is not a recorded run", "pivot history")


def test_a_run_whose_pipeline_does_not_load_records_nothing(
    project: Callable[[Mapping[str, str]], pathlib.Path], pivot: Callable[..., Result]
) -> None:
    root = project({**FILES, "pivot.yaml": "stages:\n  bad:\n    cmd: [\n"})
    assert pivot(*RUN).exit_code == 2
    assert not (root / ".pivot" / "runs").exists() or not any((root / ".pivot" / "runs").iterdir())


def test_only_the_newest_records_are_kept(
    project: Callable[[Mapping[str, str]], pathlib.Path], pivot: Callable[..., Result]
) -> None:
    root = project(FILES)
    assert pivot(*RUN, "quick").exit_code == 0
    report = runlog.history(project_mod.Project(root))
    folder = root / ".pivot" / "runs"
    # Older records than any run writes, as if left by earlier runs.
    for n in range(runlog.KEEP + 5):
        (folder / f"2000{n:04d}T000000.000-0000.json").write_text("{}")
    assert pivot(*RUN, "quick").exit_code == 0
    names = sorted(path.stem for path in folder.glob("*.json"))
    assert len(names) == runlog.KEEP
    assert names[-2] == report[0].id  # the real records are the newest, so they stay
    # Unreadable records are left out of the listing, never an error.
    assert len(_json(pivot("history", "-n", "1000", "--json"))) == 2  # type: ignore[arg-type]


def test_runs_keep_in_the_config_sets_how_many_stay(
    project: Callable[[Mapping[str, str]], pathlib.Path], pivot: Callable[..., Result]
) -> None:
    root = project({**FILES, ".pivot/config.yaml": "runs:\n  keep: 2\n"})
    for _ in range(3):
        assert pivot(*RUN, "quick").exit_code == 0
    assert len(list((root / ".pivot" / "runs").glob("*.json"))) == 2
    (root / ".pivot" / "config.yaml").write_text("runs:\n  keep: 0\n")
    assert_clean_error(pivot(*RUN, "quick"), "keep")


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_dag_html_still_colours_the_failed_stage(
    project: Callable[[Mapping[str, str]], pathlib.Path], pivot: Callable[..., Result]
) -> None:
    root = project(FILES)
    assert pivot(*RUN, "-k").exit_code == 1
    last = json.loads((root / ".pivot" / "tmp" / "last_run.json").read_text())
    assert list(last["failed"]) == ["broken"]


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_each_stage_that_ran_names_the_process_that_ran_it(
    project: Callable[[Mapping[str, str]], pathlib.Path], pivot: Callable[..., Result]
) -> None:
    project({"pivot.yaml": PIPELINE.split("  broken:")[0], "data.txt": "one\n"})
    assert pivot("run", "-j", "2").exit_code == 0  # a pool of worker processes
    first = _json(pivot("show", "--json"))
    assert isinstance(first, dict)
    workers = {s["stage"]: s["worker"] for s in first["stages"]}
    assert all(isinstance(pid, int) and pid not in (0, os.getpid()) for pid in workers.values()), workers
    assert pivot("run").exit_code == 0  # nothing to do: no stage ran, no process to name
    again = _json(pivot("show", "--json"))
    assert isinstance(again, dict)
    assert [s["worker"] for s in again["stages"]] == [None, None]
