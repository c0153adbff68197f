"""examples/matrix, as the README tells people to run it: six variants, then a stage reading all."""

from __future__ import annotations

import shutil

from conftest import REPO


def test_the_matrix_example_runs_and_summarizes_every_variant(tmp_path, monkeypatch, pivot):
    root = tmp_path / "matrix"
    shutil.copytree(REPO / "examples" / "matrix", root, ignore=shutil.ignore_patterns(".pivot", "models", "results", "summary.md"))
    monkeypatch.chdir(root)
    ran = pivot("run", "-j6", "--executor", "inprocess")
    assert ran.exit_code == 0, ran.output
    assert "7 ran, 0 skipped, 0 failed" in ran.output
    summary = (root / "summary.md").read_text().splitlines()
    assert summary[2:] == [
        "| large | imdb | 0.7 |",
        "| large | sst | 0.7 |",
        "| large | yelp | 0.7 |",
        "| small | imdb | 0.53 |",
        "| small | sst | 0.53 |",
        "| small | yelp | 0.53 |",
    ]
    dag = pivot("dag", "summarize").output.splitlines()
    assert dag[-1].split("<-")[1].strip().count("train@") == 6
    assert "3 ran" in pivot("run", "--executor", "inprocess", "-f", "train@large_*").output
