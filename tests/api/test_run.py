"""Project.run: a RunReport with each stage's outcome, reason and duration; params overrides for
one run only; a reporter that hears the run; silence by default."""

from __future__ import annotations

import json

import pytest

from pivot import errors
from pivot.api import Outcome, Project
from pivot.executor.reporting import Reporter


def test_a_run_report_says_per_stage_what_happened_why_and_how_long(make_project):
    a = make_project("a", tag="A")
    proj = Project.open(a)
    first = proj.run(executor="inprocess")
    assert first.ok
    assert [(s.stage, s.outcome) for s in first.stages] == [("make", Outcome.RAN), ("train", Outcome.RAN)]
    assert all(s.reason and s.duration > 0 for s in first.stages)
    second = proj.run(executor="inprocess")
    assert second.outcomes == {"make": Outcome.SKIPPED, "train": Outcome.SKIPPED}
    assert [s.reason for s in second.stages] == ["", ""]
    (a / "data.txt").write_text("changed\n")
    third = proj.run(["make"], executor="inprocess")  # a target: only it and its upstream
    assert third.outcomes == {"make": Outcome.RAN}
    assert "data.txt" in third["make"].reason or "dep" in third["make"].reason.lower()


def test_a_failing_stage_is_in_the_report_not_raised(make_project):
    a = make_project("a", tag="A")
    (a / "stages.py").write_text((a / "stages.py").read_text().replace('return f"{TAG}', 'raise ValueError("bad data")\n    return f"{TAG}'))
    report = Project.open(a).run(executor="inprocess", keep_going=True)
    assert not report.ok
    assert report["make"].outcome is Outcome.FAILED
    assert report["make"].error == "ValueError: bad data"
    assert "raise ValueError" in report["make"].traceback
    assert report["train"].outcome is Outcome.BLOCKED


def test_the_run_is_silent_by_default_and_a_reporter_hears_it(make_project, capsys):
    a = make_project("a", tag="A")
    heard: list[str] = []

    class Listener(Reporter):
        def stage_started(self, name, decision):
            heard.append(f"start {name}")

        def stage_finished(self, result):
            heard.append(f"{result.name} {result.status.value}")

    Project.open(a).run(executor="inprocess", reporter=Listener())
    assert heard == ["start make", "make ran", "start train", "train ran"]
    Project.open(a).run(executor="inprocess", force=True)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_overrides_apply_to_one_run_and_are_never_written(make_project):
    a = make_project("a", tag="A", extra={"params.yaml": "train:\n  epochs: 5\n"})
    proj = Project.open(a)
    report = proj.run(executor="inprocess", overrides={"train.lr": 0.5})
    assert report.ok
    assert json.loads((a / "metrics.json").read_text()) == {"lr": 0.5, "epochs": 5}  # params.yaml still counts
    assert (a / "params.yaml").read_text() == "train:\n  epochs: 5\n"
    assert proj.params() == {"train": {"lr": 0.1, "epochs": 5}}  # what the files say
    # Without the override the params differ from the last run's: train runs again.
    assert {s.stage: s.will_run for s in proj.status()} == {"make": False, "train": True}
    assert proj.run(executor="inprocess").outcomes["train"] is Outcome.RAN
    assert json.loads((a / "metrics.json").read_text()) == {"lr": 0.1, "epochs": 5}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"trian.lr": 0.5}, "params override 'trian.lr': no stage named 'trian'"),
        ({"train.rate": 0.5}, "params override 'train.rate': stage 'train' has no param 'rate'"),
        ({"train.epochs": "many"}, "params override 'train.epochs': stage 'train': param 'epochs'"),
        ({"make.lr": 0.5}, "params override 'make.lr': stage 'make' takes no params"),
        ({"train": 0.5}, "params override 'train': expected STAGE.KEY"),
    ],
)
def test_bad_overrides_are_params_errors_naming_them_and_nothing_runs(make_project, overrides, message):
    a = make_project("a", tag="A")
    with pytest.raises(errors.ParamsError) as caught:
        Project.open(a).run(executor="inprocess", overrides=overrides)
    assert message in caught.value.message
    assert caught.value.exit_code == 2
    assert not (a / "out.txt").exists()


def test_an_override_by_base_name_sets_every_variant_and_by_full_name_one(make_project):
    a = make_project("a", tag="A")
    (a / "pivot.yaml").write_text(
        "stages:\n  make:\n    python: stages.make\n  train:\n    python: stages.train\n"
        "    matrix:\n      size: [small, big]\n"
        "    outs:\n      model: models/${size}.json\n    metrics:\n      score: scores/${size}.json\n"
    )
    proj = Project.open(a)
    assert proj.run(executor="inprocess", overrides={"train.lr": 0.3}).ok
    assert [json.loads((a / f"scores/{size}.json").read_text())["lr"] for size in ("small", "big")] == [0.3, 0.3]
    report = proj.run(executor="inprocess", overrides={"train.lr": 0.3, "train@big.epochs": 9})
    assert report.outcomes == {"make": Outcome.SKIPPED, "train@small": Outcome.SKIPPED, "train@big": Outcome.RAN}
    assert json.loads((a / "scores/big.json").read_text()) == {"lr": 0.3, "epochs": 9}
