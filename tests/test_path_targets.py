"""A path where a STAGE argument goes, as Snakemake takes target files (`snakemake out/report.txt`)
and DVC's sync commands take paths (`dvc pull data/a.txt`): run, status, explain and dag act on
the stage that writes it; push, fetch, pull and checkout on that data alone, tracked data too."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import assert_clean_error

PIPELINE = """
stages:
  split:
    cmd: mkdir -p data && cp raw.txt data/a.txt && echo b > data/b.txt
    deps: [raw.txt]
    outs: [data/a.txt, data/b.txt]
  report:
    cmd: mkdir -p out && (echo report; cat data/a.txt) > out/report.txt
    deps: [data/a.txt]
    outs: [out/report.txt]
"""


@pytest.fixture
def shop(project, pivot):
    root = project({"pivot.yaml": PIPELINE, "raw.txt": "rows\n", "notes/read.me": "hello\n"})
    assert pivot("init").exit_code == 0
    return root


def decided(pivot, *args: str) -> list[str]:
    result = pivot("explain", "--json", *args)
    assert result.exit_code == 0, result.output
    return [d["stage"] for d in json.loads(result.output)]


def test_an_output_path_names_the_stage_that_writes_it(shop, pivot, monkeypatch):
    assert decided(pivot, "data/a.txt") == ["split"]
    assert decided(pivot, "./out/report.txt") == ["report"]
    assert decided(pivot, "data") == ["split"]  # a directory holding outputs
    ran = pivot("run", "out/report.txt")  # as `snakemake out/report.txt`: it and what it needs
    assert ran.exit_code == 0 and "2 ran" in ran.output, ran.output
    assert (shop / "out/report.txt").read_text() == "report\nrows\n"
    monkeypatch.chdir(shop / "notes")  # relative to where the user stands, as the shell completes it
    assert decided(pivot, "../data/b.txt") == ["split"]
    assert "split" in pivot("status", "../data/b.txt").output
    assert "0 ran" in pivot("run", "../data/b.txt").output  # and the no-op memo records it
    assert "0 ran" in pivot("run", "../data/b.txt").output
    (shop / "notes/deep").mkdir()
    monkeypatch.chdir(shop / "notes/deep")  # the same words name another path here: not the memo's answer
    assert_clean_error(pivot("run", "../data/b.txt"), "no stage is named '../data/b.txt'")


@pytest.mark.parametrize("command", ["run", "status", "explain", "dag", "checkout", "pull"])
def test_a_path_no_stage_writes_is_exit_2_naming_it(shop, pivot, command):
    assert_clean_error(pivot(command, "data/c.txt"), "no stage is named 'data/c.txt' and no stage writes that path")


def test_pull_push_and_checkout_by_path_move_that_data_alone(shop, pivot, tmp_path):
    assert pivot("remote", "add", "-d", "store", str(tmp_path / "store")).exit_code == 0
    (shop / "big").mkdir()
    (shop / "big/table.csv").write_text("a,b\n1,2\n")
    assert pivot("track", "big").exit_code == 0
    assert pivot("run").exit_code == 0

    pushed = pivot("push", "data/a.txt")
    assert pushed.exit_code == 0, pushed.output
    assert sum(1 for p in (tmp_path / "store").rglob("*") if p.is_file()) == 1  # one file, one object
    assert pivot("push").exit_code == 0

    for path in ("data", "out", "big", ".pivot/cache"):
        shutil.rmtree(shop / path)
    pulled = pivot("pull", "data/b.txt")
    assert pulled.exit_code == 0, pulled.output
    assert sorted(p.name for p in shop.rglob("*.txt") if ".pivot" not in p.parts) == ["b.txt", "raw.txt"]
    assert pivot("pull", "big/table.csv").exit_code == 0  # a file inside tracked data: the directory
    assert (shop / "big/table.csv").read_text() == "a,b\n1,2\n"
    shutil.rmtree(shop / "big")
    assert pivot("checkout", "big.pvt").exit_code == 0  # its .pvt file, as `dvc checkout big.dvc`
    assert (shop / "big/table.csv").exists()
    assert not (shop / "out/report.txt").exists()
    missing = pivot("checkout", "out")  # not fetched yet
    assert "out/report.txt: not in the local cache" in missing.output and "data/a.txt" not in missing.output
    assert not (shop / "out/report.txt").exists()
    assert pivot("pull", "out/report.txt").exit_code == 0
    assert (shop / "out/report.txt").read_text() == "report\nrows\n"
    assert not (shop / "data/a.txt").exists()  # the rest of split's outputs were never asked for


def test_status_of_tracked_data_by_path_as_dvc_status_of_a_dvc_file(shop, pivot):
    (shop / "big").mkdir()
    (shop / "big/table.csv").write_text("a,b\n")
    (shop / "small.csv").write_text("x\n")
    assert pivot("track", "big", "small.csv").exit_code == 0
    (shop / "big/table.csv").write_text("a,b\n1,2\n")
    assert pivot("status", "big").output == "big.pvt  modified\n"
    assert pivot("status", "big/table.csv").output == "big.pvt  modified\n"  # a file inside it
    assert pivot("status", "small.csv.pvt").output == "small.csv.pvt  unchanged\n"
    both = pivot("status", "split", "small.csv").output.splitlines()
    assert both[0].startswith("split  will run") and both[-1] == "small.csv.pvt  unchanged"
    assert_clean_error(pivot("status", "nowhere/x.csv"), "no stage is named 'nowhere/x.csv'")


def test_status_by_path_in_a_project_of_tracked_data_alone(project, pivot):
    root = project({"data/a.csv": "1\n", "data/b.csv": "2\n"})
    assert pivot("init").exit_code == 0
    assert pivot("track", "data/a.csv", "data/b.csv").exit_code == 0
    (root / "data/b.csv").write_text("3\n")
    assert pivot("status", "data/b.csv").output == "data/b.csv.pvt  modified\n"
    assert pivot("status", "data").output.splitlines() == ["data/a.csv.pvt  unchanged", "data/b.csv.pvt  modified"]


def test_downstream_of_a_source_file_is_every_stage_that_reads_it_and_what_follows(shop, pivot):
    """As Kedro's --from-inputs: after editing a source, run what depends on it."""
    assert pivot("run").exit_code == 0
    (shop / "raw.txt").write_text("new rows\n")
    assert decided(pivot, "--downstream", "raw.txt") == ["split", "report"]
    assert ran_names(pivot("run", "--downstream", "raw.txt", "--jsonl")) == ["split", "report"]
    assert_clean_error(pivot("status", "raw.txt"), "no stage is named 'raw.txt' and no stage writes that path")  # without --downstream


def ran_names(result) -> list[str]:
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    return [e["stage"] for e in events if e.get("event") == "stage_finished"]
