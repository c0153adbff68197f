"""docs/github-actions.md documents every input of ci/action.yml, and how the cache gets pushed."""

from __future__ import annotations

import re

import yaml
from conftest import REPO

DOC = REPO / "docs" / "github-actions.md"


def _input_rows() -> dict[str, tuple[str, str]]:
    """The doc's input table: name -> (default, meaning)."""
    rows = re.findall(r"^\| `([\w-]+)` \| ([^|]+) \| (.+) \|$", DOC.read_text(), re.MULTILINE)
    return {name: (default.strip(), meaning) for name, default, meaning in rows}


def test_every_input_of_the_action_is_in_the_docs_with_its_default():
    action = yaml.safe_load((REPO / "ci" / "action.yml").read_text())
    documented = _input_rows()
    for name, spec in action["inputs"].items():
        assert name in documented, f"input '{name}' of ci/action.yml is not in {DOC.name}"
        default, meaning = documented[name]
        expected = f"`{spec['default']}`" if spec.get("default") else "(empty)"
        assert default == expected, (name, default, expected)
        assert len(meaning) > 20, name
    assert set(documented) <= set(action["inputs"]), "the docs list an input the action does not have"


def test_the_docs_say_the_cache_push_needs_a_push_trigger_and_show_it():
    text = DOC.read_text()
    assert "push to the repository's default branch" in " ".join(text.split())
    example = (REPO / "docs" / "examples" / "pivot-cache.yml").read_text()
    assert example.strip() in text  # the shown workflow is the linted one (test_workflows.py lints docs/examples)
    workflow = yaml.safe_load(example)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers and triggers["push"]["branches"]
    action_step = workflow["jobs"]["report"]["steps"][1]
    assert action_step["uses"].endswith("/pivot/ci@v1") and action_step["with"]["remote"]
