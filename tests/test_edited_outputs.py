"""An output edited by hand (present, not what the lock records, and not in the cache) is the
user's own bytes: `pivot run` never restores the cached version over it silently; the stage
reruns by design, and status, explain and the run say so. `pivot checkout` keeps it unless -f.
Both judge an output with one library function, so they never disagree."""

from __future__ import annotations

import json

import pytest
from conftest import COUNT_RUNS, TRAIN_STAGES, runs

PIPELINE = "stages:\n  train:\n    python: stages.train\n  evaluate:\n    python: stages.evaluate\n"
NOTE = "model.txt was edited by hand (its content is not in the cache)"


@pytest.fixture
def trained(project, pivot):
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    assert pivot("run").exit_code == 0
    return root


def test_status_and_explain_say_the_edited_output_will_be_replaced_by_a_run(trained, pivot):
    (trained / "model.txt").write_text("my hand-tuned model")
    status = pivot("status")
    assert status.exit_code == 0
    lines = status.output.splitlines()
    assert lines[0] == "train     will run: Outputs missing or modified"
    assert lines[1].strip() == f"{NOTE}: the stage runs and replaces it; save a copy first if you need it"
    explained = pivot("explain", "train").output
    assert "Status: WILL RUN" in explained
    assert f"  Output changes:\n    {NOTE}: the stage runs and replaces it" in explained
    as_json = json.loads(pivot("explain", "train", "--json").output)[0]
    assert as_json["out_changes"] == [{"path": "model.txt", "change": "edited"}]
    assert as_json["restore"] == []
    assert (trained / "model.txt").read_text() == "my hand-tuned model"  # looking changed nothing


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_checkout_keeps_the_edit_with_the_same_words_and_overwrites_it_with_f(trained, pivot):
    (trained / "model.txt").write_text("my hand-tuned model")
    refused = pivot("checkout")
    assert refused.exit_code == 1
    assert f"{NOTE}: kept; 'pivot checkout -f' overwrites it" in refused.output
    assert (trained / "model.txt").read_text() == "my hand-tuned model"
    forced = pivot("checkout", "-f")
    assert forced.exit_code == 0
    assert (trained / "model.txt").read_text() == "model(rows, lr=0.1)"


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_run_reruns_the_stage_instead_of_restoring_over_the_edit(trained, pivot):
    (trained / "model.txt").write_text("my hand-tuned model")
    result = pivot("run")
    assert result.exit_code == 0, result.output
    assert "train: running (Outputs missing or modified)" in result.output
    assert f"train: {NOTE}: the stage replaces it" in result.output
    # a recorded run has these very inputs, but restoring it would be the silent overwrite again
    assert "restored from run cache" not in result.output
    assert runs(trained, "train") == 2
    assert (trained / "model.txt").read_text() == "model(rows, lr=0.1)"
    assert runs(trained, "evaluate") == 1  # identical bytes again: downstream stays up to date
    assert pivot("status").output.splitlines() == ["train     up to date", "evaluate  up to date"]


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_hand_edited_metric_is_reported_and_rerun_too(trained, pivot):
    (trained / "metrics.json").write_text('{"lr": 99}')
    explained = pivot("explain", "train").output
    assert "metrics.json was edited by hand (its content is not in the cache): the stage runs" in explained
    assert pivot("run").exit_code == 0
    assert json.loads((trained / "metrics.json").read_text()) == {"lr": 0.1}


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_an_output_the_cache_holds_is_restored_by_run_and_checkout_alike(trained, pivot):
    """Not an edit: an older version of the output, which the cache keeps, is put back by both
    commands without running and without -f, since nothing is lost."""
    old_model = (trained / "model.txt").read_text()
    (trained / "data.txt").write_text("more rows\n")
    assert pivot("run").exit_code == 0
    for command in (("run",), ("checkout",)):
        (trained / "model.txt").write_text(old_model)
        result = pivot(*command)
        assert result.exit_code == 0, result.output
        assert (trained / "model.txt").read_text() == "model(more rows, lr=0.1)"
    assert runs(trained, "train") == 2


SPLIT = '''
import pathlib
from typing import Annotated

from pivot import loaders, outputs
''' + COUNT_RUNS + '''


def split(raw: Annotated[str, outputs.Dep("raw.txt", loaders.Text())]) -> Annotated[pathlib.Path, outputs.Out("parts", loaders.PathOnly())]:
    _count("split")
    out = pathlib.Path("parts")
    out.mkdir(exist_ok=True)
    for i, word in enumerate(raw.split()):
        (out / f"{i}.txt").write_text(word)
    return out
'''


@pytest.fixture
def split(project, pivot):
    root = project({"stages.py": SPLIT, "raw.txt": "alpha beta", "pivot.yaml": "stages:\n  split:\n    python: stages.split\n"})
    assert pivot("run").exit_code == 0
    return root


def test_a_directory_with_a_file_deleted_is_restored_by_run_and_checkout_alike(split, pivot):
    for command in (("run",), ("checkout",)):
        (split / "parts" / "1.txt").unlink()
        result = pivot(*command)
        assert result.exit_code == 0, result.output
        assert (split / "parts" / "1.txt").read_text() == "beta"
    assert runs(split, "split") == 1


def test_a_directory_with_a_file_added_by_hand_is_an_edit(split, pivot):
    (split / "parts" / "notes.txt").write_text("my notes")
    assert "parts was edited by hand (its content is not in the cache): the stage runs" in pivot("status").output
    refused = pivot("checkout")
    assert refused.exit_code == 1 and "parts was edited by hand" in refused.output
    assert (split / "parts" / "notes.txt").read_text() == "my notes"
    assert pivot("run").exit_code == 0
    assert runs(split, "split") == 2 and not (split / "parts" / "notes.txt").exists()
