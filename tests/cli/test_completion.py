"""`pivot completion SHELL` prints a script each shell accepts, and TAB after a command that takes
STAGES offers the stage names pivot.yaml declares, without importing the pipeline's code."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from click.testing import CliRunner

from pivot.cli import cli

PIPELINE = """
stages:
  prepare:
    python: stages.prepare
    outs:
      out: prepared.txt
  train:
    python: stages.train
    matrix:
      model: [small, large]
    outs:
      model: model_${model}.txt
  report:
    cmd: echo ${size} > report_${size}.txt
    matrix:
      size: [a, b]
    outs:
      - report_${size}.txt
"""
# Importing this module (which a completion must never do) leaves a marker file behind.
STAGES = """
import pathlib
pathlib.Path("imported.marker").write_text("imported")
"""


def _complete(words: str, shell: str = "bash") -> list[str]:
    """What pressing TAB after `words` offers, through click's completion protocol."""
    env = {"_PIVOT_COMPLETE": f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
    result = CliRunner().invoke(cli, [], env=env, prog_name="pivot")
    assert result.exit_code == 0, result.output
    return [line.split(",", 1)[1] for line in result.output.split()]


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F _pivot_completion pivot"), ("zsh", "compdef _pivot_completion pivot"), ("fish", "complete --no-files --command pivot")],
)
def test_completion_prints_the_shells_script(pivot, shell: str, marker: str) -> None:
    result = pivot("completion", shell)
    assert result.exit_code == 0, result.output
    assert marker in result.output
    assert "_PIVOT_COMPLETE" in result.output


def test_an_unknown_shell_is_a_usage_error(pivot) -> None:
    result = pivot("completion", "tcsh")
    assert result.exit_code == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in result.output


def test_stage_names_complete_with_variants_and_without_importing_code(project) -> None:
    root = project({"pivot.yaml": PIPELINE, "stages.py": STAGES})
    assert _complete("pivot run ") == [
        "prepare", "report", "report@a", "report@b", "train", "train@large", "train@small"
    ]
    assert _complete("pivot status tr") == ["train", "train@large", "train@small"]
    assert _complete("pivot push train@") == ["train@large", "train@small"]
    assert not (root / "imported.marker").exists()


def test_a_stage_already_given_is_not_offered_again(project) -> None:
    project({"pivot.yaml": PIPELINE})
    assert _complete("pivot run prepare p") == []
    assert _complete("pivot explain prepare r") == ["report", "report@a", "report@b"]


def test_zsh_and_fish_complete_stage_names_too(project) -> None:
    project({"pivot.yaml": PIPELINE})
    zsh = CliRunner().invoke(cli, [], env={"_PIVOT_COMPLETE": "zsh_complete", "COMP_WORDS": "pivot run pre", "COMP_CWORD": "2"}, prog_name="pivot")
    assert "prepare" in zsh.output.split()
    fish = CliRunner().invoke(cli, [], env={"_PIVOT_COMPLETE": "fish_complete", "COMP_WORDS": "pivot run pre", "COMP_CWORD": "pre"}, prog_name="pivot")
    assert "plain,prepare" in fish.output.split()


def test_pipeline_py_is_never_imported_to_complete(project) -> None:
    root = project({"pipeline.py": STAGES})
    assert _complete("pivot run ") == []
    assert not (root / "imported.marker").exists()


@pytest.mark.parametrize(
    ("text", "offered"),
    [
        ("stages: [unclosed", []),  # not YAML
        ("just text", []),  # YAML, not a mapping
        ("stages:\n  odd: 3\n", ["odd"]),  # a stage the command itself will refuse, by name
        ("stages:\n  m:\n    python: s.f\n    matrix: {k: [[1]]}\n  ok:\n    python: s.g\n", ["m", "ok"]),
    ],
)
def test_a_broken_pivot_yaml_never_makes_completion_fail(project, text: str, offered: list[str]) -> None:
    project({"pivot.yaml": text})
    assert _complete("pivot run ") == offered


def test_outside_a_project_completion_offers_no_stages(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert _complete("pivot run ") == []
    assert "run" in _complete("pivot r")


# Completion in a fresh process, printing afterwards whether pydantic was imported.
COMPLETE_AND_REPORT = """
import atexit, sys
atexit.register(lambda: sys.stderr.write("pydantic imported: %s" % ("pydantic" in sys.modules)))
from pivot.cli import main
sys.argv = ["pivot"]
main()
"""


def test_completing_stage_names_never_imports_pydantic(project) -> None:
    """TAB must stay quick: pydantic alone costs a tenth of a second."""
    root = project({"pivot.yaml": PIPELINE, "stages.py": STAGES})
    env = {**os.environ, "_PIVOT_COMPLETE": "bash_complete", "COMP_WORDS": "pivot run tr", "COMP_CWORD": "2"}
    done = subprocess.run([sys.executable, "-c", COMPLETE_AND_REPORT], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["plain,train", "plain,train@large", "plain,train@small"], done.stderr
    assert "pydantic imported: False" in done.stderr
    assert not (root / "imported.marker").exists()
