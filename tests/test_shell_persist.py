"""`persist: true` on a shell stage's output (DVC's spelling of an incremental output) and the plot
options a shell stage's plots keep, as a user meets them: real commands, real files."""

from __future__ import annotations

import pathlib
import subprocess

import pytest
from conftest import assert_clean_error

PIPELINE = """
stages:
  log:
    cmd: cat item.txt >> log.txt
    deps: [item.txt]
    outs:
      - log.txt: {persist: true}
"""
RUN = ("run", "--executor", "inprocess")


def _git(root: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.mark.parametrize("cache_type", ["copy", "hardlink,copy", "symlink,copy"])
def test_a_persisted_output_builds_on_its_last_version_and_never_on_the_run_cache(project, pivot, cache_type):
    root = project({"pivot.yaml": PIPELINE, "item.txt": "a\n"})
    (root / ".pivot").mkdir()
    (root / ".pivot/config.yaml").write_text(f"cache:\n  type: {cache_type}\n")
    assert pivot(*RUN).exit_code == 0
    cached = {p: p.read_bytes() for p in (root / ".pivot/cache/files").rglob("*") if p.is_file()}
    (root / "item.txt").write_text("b\n")
    explained = pivot("explain", "log")
    assert "Run cache: not used" in explained.output, explained.output
    ran = pivot(*RUN)
    assert ran.exit_code == 0
    assert "not used" not in ran.output  # by design: explain says it, a run does not repeat it
    assert (root / "log.txt").read_text() == "a\nb\n"
    assert all(path.read_bytes() == data for path, data in cached.items())  # appending never wrote through a link
    (root / "item.txt").write_text("a\n")  # an earlier input: a run cache would bring back "a\n"
    assert pivot(*RUN).exit_code == 0
    assert (root / "log.txt").read_text() == "a\nb\na\n"


def test_a_deleted_persisted_output_comes_back_from_the_cache_before_the_command(project, pivot):
    root = project({"pivot.yaml": PIPELINE, "item.txt": "a\n"})
    assert pivot(*RUN).exit_code == 0
    (root / "log.txt").unlink()
    (root / "item.txt").write_text("b\n")
    assert pivot(*RUN).exit_code == 0
    assert (root / "log.txt").read_text() == "a\nb\n"


def test_a_persisted_output_travels_through_push_pull_and_checkout(project, pivot, tmp_path, monkeypatch):
    root = project({"pivot.yaml": PIPELINE, "item.txt": "a\n"})
    _git(root, "init", "-q")
    assert pivot(*RUN).exit_code == 0
    assert pivot("remote", "add", "-d", "origin", str(tmp_path / "remote")).exit_code == 0
    assert pivot("push").exit_code == 0
    _git(root, "add", "-A")
    _git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "run")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, capture_output=True)
    monkeypatch.chdir(clone)
    assert not (clone / "log.txt").exists()
    pulled = pivot("pull")
    assert pulled.exit_code == 0, pulled.output
    assert (clone / "log.txt").read_text() == "a\n"
    (clone / "log.txt").unlink()
    assert pivot("checkout").exit_code == 0
    assert (clone / "log.txt").read_text() == "a\n"
    (clone / "item.txt").write_text("c\n")
    assert pivot(*RUN).exit_code == 0
    assert (clone / "log.txt").read_text() == "a\nc\n"


def test_plot_options_are_accepted_on_plots_only(project, pivot):
    plots = "stages:\n  p:\n    cmd: echo x,y > p.csv\n    plots:\n      - p.csv: {x: x, y: [y], template: linear, title: T, x_label: X, y_label: Y}\n"
    project({"pivot.yaml": plots})
    ran = pivot(*RUN)
    assert ran.exit_code == 0, ran.output


@pytest.mark.parametrize(
    ("entry", "fragments"),
    [
        ("outs:\n      - log.txt: {persit: true}", ["pivot.yaml:5", "unknown option 'persit' for 'log.txt'; did you mean 'persist'?"]),
        ("outs:\n      - log.txt: {persist: sometimes}", ["pivot.yaml:5", "'persist' of 'log.txt' must be true or false"]),
        ("outs:\n      - log.txt: {x: step}", ["pivot.yaml:5", "unknown option 'x' for 'log.txt'"]),
        ("plots:\n      - log.txt: {y: 3}", ["pivot.yaml:5", "plot 'log.txt': 'y' must be a column name or a list of them"]),
        ("plots:\n      - log.txt: {tempate: simple}", ["pivot.yaml:5", "did you mean 'template'?"]),
    ],
)
def test_a_misused_output_option_is_exit_2_naming_the_line(project, pivot, entry, fragments):
    project({"pivot.yaml": f"stages:\n  log:\n    cmd: echo a > log.txt\n    {entry}\n", "item.txt": "a\n"})
    assert_clean_error(pivot(*RUN), *fragments)
