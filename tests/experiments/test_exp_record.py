"""The experiment record on disk: canonical JSON in .pivot/exps/, names, and what gc must keep."""

from __future__ import annotations

import json

import pytest

from experiments.expsupport import make_project, record_experiment
from pivot import errors
from pivot.base import project
from pivot.experiments import record


def _rec(name: str, created: str, locks=None) -> record.ExpRecord:
    return record.ExpRecord(name, None, created, "ok", None, {"train.lr": 0.5}, {"train": {"lr": 0.5}}, {}, locks or {})


def test_a_record_is_canonical_json_that_reads_back_the_same(tmp_path):
    proj = project.Project(tmp_path)
    rec = _rec("exp-1", "2026-12-05T23:59:00Z")
    record.write(proj, rec)
    text = (tmp_path / ".pivot" / "exps" / "exp-1.json").read_text()
    assert text == json.dumps(rec.to_data(), sort_keys=True, indent=1) + "\n"
    assert json.loads(text)["schema"] == 1
    assert record.read(proj, "exp-1") == rec


def test_records_list_oldest_first_and_names_count_up_from_the_highest(tmp_path):
    proj = project.Project(tmp_path)
    assert record.next_name(proj) == "exp-1"
    for name, created in [("exp-7", "2026-12-05T10:00:00Z"), ("exp-2", "2026-12-05T11:00:00Z"), ("lr-3", "2026-12-05T09:00:00Z")]:
        record.write(proj, _rec(name, created))
    assert [rec.name for rec in record.all(proj)] == ["lr-3", "exp-7", "exp-2"]
    assert record.next_name(proj) == "exp-8"
    assert record.next_name(proj, "lr") == "lr-4"
    record.remove(proj, "exp-7")
    assert record.names(proj) == ["exp-2", "lr-3"]


def test_one_sweeps_records_list_in_the_order_of_their_numbers(tmp_path):
    proj = project.Project(tmp_path)
    for name in ("exp-10", "exp-9", "exp-1"):  # created alike: a sweep's experiments
        record.write(proj, _rec(name, "2026-12-05T10:00:00Z"))
    assert [rec.name for rec in record.all(proj)] == ["exp-1", "exp-9", "exp-10"]


@pytest.mark.parametrize("name", ["-x", "a/b", "a b", "x" * 101, ""])
def test_a_bad_name_is_refused(tmp_path, name):
    with pytest.raises(errors.InputError) as caught:
        record.write(project.Project(tmp_path), _rec(name, "2026-12-05T10:00:00Z"))
    assert caught.value.exit_code == 2


def test_an_unknown_name_is_an_input_error_with_the_closest_one(tmp_path):
    proj = project.Project(tmp_path)
    record.write(proj, _rec("exp-12", "2026-12-05T10:00:00Z"))
    with pytest.raises(errors.InputError) as caught:
        record.read(proj, "exp-13")
    assert "no experiment named 'exp-13'" in str(caught.value)
    assert "did you mean 'exp-12'?" in str(caught.value)


def test_a_damaged_record_names_its_file_and_can_still_be_removed(tmp_path):
    proj = project.Project(tmp_path)
    record.write(proj, _rec("exp-1", "2026-12-05T10:00:00Z"))
    (tmp_path / ".pivot" / "exps" / "exp-1.json").write_text("{not json")
    with pytest.raises(errors.InputError) as caught:
        record.all(proj)
    assert ".pivot/exps/exp-1.json cannot be read" in str(caught.value)
    record.remove(proj, "exp-1")
    assert record.all(proj) == []


def test_referenced_oids_name_every_object_of_every_record_directories_included(tmp_path):
    proj = project.Project(tmp_path)
    lock = {
        "schema": 2,
        "outs": {"model.txt": {"hash": "a" * 32, "size": 1}, "data": {"hash": "b" * 32 + ".dir", "size": 2, "nfiles": 1}},
        "deps": {"clean.txt": {"hash": "c" * 32, "size": 3}},
    }
    record.write(proj, _rec("exp-1", "2026-12-05T10:00:00Z", {"train": lock}))
    assert record.referenced_oids(proj) == {"a" * 32, "b" * 32 + ".dir", "c" * 32}


def test_exps_are_kept_out_of_git_and_a_real_record_holds_the_metric_bytes(tmp_path):
    root = make_project(tmp_path / "proj")
    assert "/exps/\n" in (root / ".pivot" / ".gitignore").read_text()
    rec = record_experiment(root, "exp-1", {"train.lr": 0.5}, "2026-12-05T10:00:00Z")
    metric = rec.locks["train"]["outs"]["metrics.json"]
    assert metric["cache"] is False and metric["hash"] in record.referenced_oids(project.Project(root))
