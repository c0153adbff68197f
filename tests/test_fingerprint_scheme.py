"""Fingerprints hashed from a canonical text that no Python version changes, and locks written
before that scheme: an upgrade of pivot re-runs nothing, and an edit is still named exactly.

tests/data/locks_scheme1 is a project as the previous scheme left it (its locks were written by
pivot before locks recorded a scheme, under CPython 3.11): run, its outputs in place."""

from __future__ import annotations

import ast
import json
import pathlib
import shutil
import sys

import pytest
import yaml
from conftest import REPO

from pivot.code import canonical

SCHEME1 = REPO / "tests" / "data" / "locks_scheme1"
RUN = ("run", "--executor", "inprocess")
# The old scheme hashed `ast.dump`, whose text is 3.11's in these locks.
WRITTEN_BY_311 = pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the fixture's locks hash CPython 3.11's ast.dump")


def test_the_canonical_text_is_pinned():
    """Every recorded fingerprint depends on this text: changing it re-runs every project."""
    tree = ast.parse("def f(x):\n    'doc'\n    return x + 1  # a comment\n")
    assert canonical.text(tree.body[0]) == (
        "FunctionDef(args=arguments(args=[arg(arg='x')]),"
        "body=[Return(value=BinOp(left=Name(ctx=Load,id='x'),op=Add,right=Constant(value=int:1)))],name='f')"
    )


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("x = 1", "x = 1.0", False),  # constants keep their type
        ("x = 1", "x = True", False),
        ("x = 'a'", "x = b'a'", False),
        ("def f():\n    '''doc'''\n    return 1", "def f():\n    return 1", True),  # docstrings never count
        ("def f(): return (1)", "def f():\n    # why\n    return 1", True),  # nor layout and comments
        ("def f(a): return a", "def f(b): return b", False),  # renaming does
    ],
)
def test_what_the_canonical_text_keeps(a, b, same):
    assert (canonical.text(ast.parse(a)) == canonical.text(ast.parse(b))) is same


def _scheme1_project(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    root = tmp_path / "proj"
    shutil.copytree(SCHEME1, root)
    (root / "gitignore").rename(root / ".gitignore")  # kept under another name in the repo, where it would ignore the fixture
    monkeypatch.chdir(root)
    return root


def _lock(root: pathlib.Path, stage: str) -> dict:
    return yaml.safe_load((root / ".pivot" / "stages" / f"{stage}.lock").read_text())


def _explain(pivot) -> dict[str, dict]:
    result = pivot("explain", "--json")
    assert result.exit_code == 0, result.output
    return {entry["stage"]: entry for entry in json.loads(result.output)}


@WRITTEN_BY_311
def test_an_upgrade_of_pivot_reruns_nothing_and_records_the_new_scheme(tmp_path, monkeypatch, pivot):
    root = _scheme1_project(tmp_path, monkeypatch)
    before = (root / ".pivot/stages/train.lock").read_text()
    assert "scheme" not in _lock(root, "train")["code"]

    assert not any(entry["will_run"] for entry in _explain(pivot).values())
    assert (root / ".pivot/stages/train.lock").read_text() == before  # explain only reads

    ran = pivot(*RUN)
    assert ran.exit_code == 0, ran.output
    assert "0 ran, 2 skipped" in ran.output
    for stage in ("train", "evaluate"):
        assert _lock(root, stage)["code"]["scheme"] == canonical.SCHEME
    assert _lock(root, "train")["outs"] == yaml.safe_load(before)["outs"]  # only the code section changed

    again = pivot(*RUN)
    assert "0 ran, 2 skipped" in again.output


@WRITTEN_BY_311
def test_an_edit_under_an_old_lock_names_exactly_the_part_that_changed(tmp_path, monkeypatch, pivot):
    root = _scheme1_project(tmp_path, monkeypatch)
    stages = root / "stages.py"
    stages.write_text(stages.read_text().replace(".upper()", ".title()"))

    train = _explain(pivot)["train"]
    assert train["will_run"]
    assert [(c["name"], c["change"]) for c in train["code_changes"]] == [("stages.shout", "modified")]

    ran = pivot(*RUN)
    assert "train: running (Code changed)" in ran.output, ran.output
    assert (root / "model.txt").read_text() == "model(Rows!, lr=0.1)"


@WRITTEN_BY_311
def test_a_params_change_under_an_old_lock_is_only_a_params_change(tmp_path, monkeypatch, pivot):
    root = _scheme1_project(tmp_path, monkeypatch)
    config = root / "pivot.yaml"
    config.write_text(config.read_text().replace("lr: 0.1", "lr: 0.2"))

    train = _explain(pivot)["train"]
    assert train["reasons"] == ["Parameters changed"]
    assert train["code_changes"] == []


def test_a_lock_from_an_unknown_scheme_counts_as_changed_code(tmp_path, monkeypatch, pivot):
    root = _scheme1_project(tmp_path, monkeypatch)
    lock_path = root / ".pivot/stages/evaluate.lock"
    data = yaml.safe_load(lock_path.read_text())
    data["code"]["scheme"] = 99  # written by a later pivot: never trusted as the same code
    lock_path.write_text(yaml.safe_dump(data))

    evaluate = _explain(pivot)["evaluate"]
    assert evaluate["will_run"]
    assert "Code changed" in evaluate["reasons"]
