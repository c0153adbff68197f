"""Temp outputs (`temp: true`, as Snakemake's temp()): never cached, removed once every stage that
reads them is up to date, their stage up to date without them, and made again first when a stage
reading them must run."""

from __future__ import annotations

import json

import pytest
from conftest import assert_clean_error

PIPELINE = """
stages:
  align:
    cmd: (echo aligned; cat raw.txt) > mid.txt
    deps: [raw.txt]
    outs:
      - mid.txt: {temp: true}
  sort:
    cmd: (echo sorted; cat mid.txt) > sorted.txt
    deps: [mid.txt]
    params: [sort.k]
    outs:
      - sorted.txt: {temp: true}
  call:
    cmd: (echo called; cat sorted.txt) > calls.txt
    deps: [sorted.txt]
    outs: [calls.txt]
"""


@pytest.fixture
def chain(project, pivot):
    root = project({"pivot.yaml": PIPELINE, "raw.txt": "reads\n", "params.yaml": "sort:\n  k: 1\n"})
    assert pivot("init").exit_code == 0
    return root


def ran(pivot, *args: str) -> dict[str, str]:
    result = pivot("run", "--jsonl", *args)
    events = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    return {e["stage"]: e["status"] for e in events if e.get("event") in ("stage_finished", "stage_skipped", "stage_failed")}


def reasons(pivot) -> dict[str, list[str]]:
    return {d["stage"]: d["reasons"] for d in json.loads(pivot("explain", "--json").output)}


def test_temps_are_removed_once_read_never_cached_and_their_stages_stay_up_to_date(chain, pivot):
    assert ran(pivot) == {"align": "ran", "sort": "ran", "call": "ran"}
    assert sorted(p.name for p in chain.iterdir() if p.suffix == ".txt") == ["calls.txt", "raw.txt"]
    assert (chain / "calls.txt").read_text() == "called\nsorted\naligned\nreads\n"
    assert sum(1 for p in (chain / ".pivot/cache/files").rglob("*") if p.is_file()) == 1  # calls.txt alone
    assert "/mid.txt" in (chain / ".gitignore").read_text().splitlines()  # never committed either
    assert "temp: true" in (chain / ".pivot/stages/align.lock").read_text()
    assert pivot("status").output.split() == ["align", "up", "to", "date", "sort", "up", "to", "date", "call", "up", "to", "date"]
    assert ran(pivot) == {"align": "skipped", "sort": "skipped", "call": "skipped"}
    assert pivot("checkout").exit_code == 0 and not (chain / "mid.txt").exists()


def test_a_reader_that_must_run_has_its_temps_made_again_from_the_start_of_the_chain(chain, pivot):
    assert ran(pivot)
    (chain / "pivot.yaml").write_text(PIPELINE.replace("echo called;", "echo called again;"))
    assert reasons(pivot) == {"align": ["Temp output needed"], "sort": ["Temp output needed"], "call": ["Command changed"]}
    assert "align  will run: Temp output needed (by sort)" in pivot("status").output
    assert ran(pivot) == {"align": "ran", "sort": "ran", "call": "ran"}
    assert (chain / "calls.txt").read_text() == "called again\nsorted\naligned\nreads\n"
    assert not (chain / "mid.txt").exists() and not (chain / "sorted.txt").exists()
    (chain / "params.yaml").write_text("sort:\n  k: 2\n")  # sort must run: align makes mid.txt for it
    assert ran(pivot) == {"align": "ran", "sort": "ran", "call": "skipped"}  # the same sorted.txt


def test_a_temp_is_kept_while_a_reader_is_not_up_to_date(chain, pivot):
    assert ran(pivot, "sort") == {"align": "ran", "sort": "ran"}  # call, which reads sorted.txt, is not in this run
    assert (chain / "sorted.txt").exists() and not (chain / "mid.txt").exists()
    (chain / "pivot.yaml").write_text(PIPELINE.replace("echo called;", "exit 3;"))
    assert ran(pivot)["call"] == "failed"
    assert (chain / "sorted.txt").exists()  # still needed: its reader failed


def test_a_reader_run_on_its_own_asks_for_the_stage_of_its_removed_temp(chain, pivot):
    assert ran(pivot)
    assert ran(pivot, "-s", "call") == {"call": "skipped"}  # up to date without sorted.txt
    (chain / "pivot.yaml").write_text(PIPELINE.replace("echo called;", "echo again;"))
    result = pivot("run", "-s", "call")
    assert result.exit_code == 1
    assert "dependency 'sorted.txt' is a temp output, removed after use: run its stage 'sort' with this one" in result.output


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("- mid.txt: {temp: yes please}", "'temp' of 'mid.txt' must be true or false"),
        ("- mid.txt: {temp: true, cache: true}", "'mid.txt' cannot be temp and cache"),
        ("- mid.txt: {temp: true, persist: true}", "'mid.txt' cannot be temp and persist"),
        ("- mid.txt: {tmp: true}", "unknown option 'tmp' for 'mid.txt'; did you mean 'temp'?"),
    ],
)
def test_a_bad_temp_option_is_exit_2_naming_the_output(chain, pivot, entry, message):
    text = PIPELINE.replace("- mid.txt: {temp: true}", entry)
    (chain / "pivot.yaml").write_text(text)
    assert_clean_error(pivot("run"), message)
    assert (chain / "pivot.yaml").read_text() == text and not (chain / ".pivot/stages/align.lock").exists()


def test_metrics_and_plots_cannot_be_temp(chain, pivot):
    (chain / "pivot.yaml").write_text(PIPELINE.replace("outs: [calls.txt]", "metrics:\n      - calls.txt: {temp: true}"))
    assert_clean_error(pivot("status"), "unknown option 'temp' for 'calls.txt'")


STAGES = """
from typing import Annotated

from pivot import loaders, outputs


def make(raw: Annotated[str, outputs.Dep("raw.txt", loaders.Text())]) -> Annotated[str, outputs.Out("mid.txt", loaders.Text(), temp=True)]:
    return raw.upper()


def use(mid: Annotated[str, outputs.Dep("mid.txt", loaders.Text())]) -> Annotated[str, outputs.Out("out.txt", loaders.Text())]:
    return mid + "!"
"""


def test_a_python_stage_declares_one_with_out_temp(project, pivot):
    root = project({"stages.py": STAGES, "raw.txt": "a", "pivot.yaml": "stages:\n  make:\n    python: stages.make\n  use:\n    python: stages.use\n"})
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    assert (root / "out.txt").read_text() == "A!" and not (root / "mid.txt").exists()
    assert "0 ran, 2 skipped" in pivot("run", "--executor", "inprocess").output
    bad = STAGES.replace('outputs.Out("mid.txt", loaders.Text(), temp=True)', 'outputs.IncrementalOut("mid.txt", loaders.Text(), temp=True)')
    (root / "stages.py").write_text(bad)
    assert_clean_error(pivot("status"), "IncrementalOut with temp=True")


@pytest.mark.slow  # a pool of workers for the sweep
def test_an_experiment_makes_the_removed_temps_it_needs_again(chain, pivot):
    import subprocess

    assert ran(pivot)
    env = ["-c", "user.email=t@example.com", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "-A"], [*env, "commit", "-qm", "chain"]):
        subprocess.run(["git", *args], cwd=chain, check=True, capture_output=True)
    swept = pivot("exp", "run", "-S", "sort.k=5,6")
    assert swept.exit_code == 0 and "2 experiments: 2 ok, 0 failed" in swept.output, swept.output
    assert "exp-1: align: ran" in swept.output  # made again in the experiment's tree for sort
    assert sum(1 for p in (chain / ".pivot/cache/files").rglob("*") if p.is_file()) == 1  # still calls.txt alone
    assert pivot("exp", "apply", "exp-1").exit_code == 0
    assert not (chain / "mid.txt").exists() and "sort   up to date" in pivot("status").output


@pytest.mark.parametrize(
    ("dep", "message"),
    [("work/mid.txt", "reads 'work/mid.txt', which lies inside temp output 'work'"), ("work", None)],
)
def test_a_temp_directory_is_read_whole(project, pivot, dep, message):
    stages = f"""
stages:
  unpack:
    cmd: mkdir -p work && cp raw.txt work/mid.txt
    deps: [raw.txt]
    outs:
      - work: {{temp: true}}
  count:
    cmd: wc -c < {dep}{"/mid.txt" if dep == "work" else ""} > n.txt
    deps: [{dep}]
    outs: [n.txt]
"""
    root = project({"pivot.yaml": stages, "raw.txt": "abc\n"})
    if message:
        assert_clean_error(pivot("run"), message, "read 'work' itself, or make it not temp")
        return
    assert ran(pivot) == {"unpack": "ran", "count": "ran"}
    assert not (root / "work").exists() and (root / "n.txt").read_text().strip() == "4"
    assert ran(pivot) == {"unpack": "skipped", "count": "skipped"}


def test_a_directory_holding_a_temp_output_cannot_be_read(chain, pivot):
    text = PIPELINE.replace("(echo aligned; cat raw.txt) > mid.txt", "mkdir -p work && cat raw.txt > work/mid.txt").replace("- mid.txt: {temp: true}", "- work/mid.txt: {temp: true}")
    text = text.replace("cat mid.txt) > sorted.txt", "cat work/mid.txt) > sorted.txt").replace("deps: [mid.txt]", "deps: [work]")
    (chain / "pivot.yaml").write_text(text)
    assert_clean_error(pivot("status"), "stage 'sort' reads 'work', which holds temp output 'work/mid.txt' of stage 'align'")


def test_commit_and_verify_take_a_removed_temp_as_its_lock_records_it(chain, pivot):
    assert ran(pivot)
    committed = pivot("commit")
    assert committed.exit_code == 0 and "Nothing to commit" in committed.output, committed.output
    verified = pivot("verify")
    assert verified.exit_code == 0 and "Verified" in verified.output, verified.output
    (chain / "raw.txt").write_text("other reads\n")  # align is stale now: its output must be there to commit
    assert_clean_error(pivot("commit", "align"), "cannot commit stage 'align': its output 'mid.txt' is missing")


def test_a_temp_goes_as_soon_as_its_last_reader_has_run_and_the_run_says_so(chain, pivot):
    """As Snakemake frees the disk: mid.txt is gone before call (which does not read it) starts."""
    text = PIPELINE.replace("(echo called; cat sorted.txt) > calls.txt", "(test -e mid.txt && echo mid-present || echo mid-gone; cat sorted.txt) > calls.txt")
    (chain / "pivot.yaml").write_text(text)
    result = pivot("run", "-j", "1")
    assert result.exit_code == 0, result.output
    assert (chain / "calls.txt").read_text().splitlines()[0] == "mid-gone"
    assert "Removed temp outputs, read by every stage that needs them: mid.txt, sorted.txt" in result.output
    (chain / "raw.txt").write_text("more reads\n")
    assert "Removed temp outputs" not in pivot("run", "-q").output  # -q: errors and results only
