"""actionlint over this project's workflows and the documented user example; the composite action's shape."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import REPO

from pivot.report import plotcharts


def _find_actionlint() -> str | None:
    # The wheel installs the binary beside the interpreter, which need not be on PATH.
    beside = pathlib.Path(sys.executable).parent / "actionlint"
    return str(beside) if beside.is_file() else shutil.which("actionlint")


@pytest.fixture
def actionlint() -> str:
    found = _find_actionlint()
    if found is None:
        message = "actionlint is not installed: pip install -e '.[dev]'"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must lint the workflows, never skip them quietly
        pytest.skip(message)
    return found


def _lint(actionlint: str, *files: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [actionlint, "-no-color", *map(str, files)], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )


def test_workflows_and_the_user_example_pass_actionlint(actionlint):
    files = sorted((REPO / ".github" / "workflows").glob("*.yml")) + sorted((REPO / "docs" / "examples").glob("*.yml"))
    assert {path.name for path in files} >= {"ci.yml", "pivot-pr.yml"}

    done = _lint(actionlint, *files)

    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_really_reports_mistakes(actionlint, tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n        with:\n          fetch-dept: 0\n"
    )
    done = _lint(actionlint, broken)
    assert done.returncode == 1 and "fetch-dept" in done.stdout


def test_the_composite_action_has_its_inputs_and_steps():
    text = (REPO / "ci" / "action.yml").read_text()
    action = yaml.safe_load(text)

    assert action["runs"]["using"] == "composite"
    defaults = {name: spec.get("default") for name, spec in action["inputs"].items()}
    assert defaults == {"python-version": "3.11", "base": "", "title": "pivot", "plots-artifact": "true", "data": "false", "remote": ""}
    assert all(spec.get("description") for spec in action["inputs"].values())
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert steps[0]["with"]["python-version"] == "${{ inputs.python-version }}"
    runs = [step for step in steps if "run" in step]
    assert all(step.get("shell") == "bash" for step in runs)  # composite run steps must name a shell
    scripts = "\n".join(step["run"] for step in runs)
    assert '"${{ github.action_path }}/..[pandas,gcs,plots]"' in scripts
    assert "pivot run" in scripts and "pivot ci comment" in scripts
    names = [step.get("name") for step in steps]
    report = steps[names.index("Post the report")]
    assert report["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    # The plots page the comment links to is uploaded after it, even when the comment failed.
    assert "--plots-page pivot_plots" in report["run"]
    assert report["env"]["PIVOT_DATA"] == "${{ inputs.data }}" and 'args+=(--data)' in report["run"]  # through the environment
    upload = steps[-1]
    assert upload["uses"].startswith("actions/upload-artifact@") and upload["with"] == {"name": plotcharts.ARTIFACT, "path": "pivot_plots/"}
    assert upload["if"].startswith("always()") and "inputs.plots-artifact == 'true'" in upload["if"]
    assert "fetch-depth: 0" in text
    # With a remote: pull before the run, push after it, and only on the default branch.
    assert names.index("Pull the cache") < names.index("Run the pipeline") < names.index("Push the cache")
    push = steps[names.index("Push the cache")]
    assert "default_branch" in push["if"] and "inputs.remote != ''" in push["if"]
    assert push["run"] == 'pivot push -r "$PIVOT_REMOTE"'


def test_the_docs_show_the_example_that_is_linted():
    example = (REPO / "docs" / "examples" / "pivot-pr.yml").read_text()
    docs = (REPO / "docs" / "github-actions.md").read_text()
    assert example.strip() in docs
    workflow = yaml.safe_load(example)
    steps = workflow["jobs"]["report"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    assert steps[1]["uses"].endswith("/pivot/ci@v1")
    assert workflow["permissions"]["pull-requests"] == "write"
