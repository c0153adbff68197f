"""`pivot list` and `pivot dag` on a small diamond whose names hold '@', '.' and '-': the exact
text, JSON, Mermaid and DOT, with project-relative paths and no data needed."""

from __future__ import annotations

import json

import pytest

STAGES = '''
from typing import Annotated

from pivot import loaders, outputs


def a(raw: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Annotated[str, outputs.Out("a.txt", loaders.Text())]:
    return raw


def b(x: Annotated[str, outputs.Dep("a.txt", loaders.Text())]) -> Annotated[str, outputs.Out("b.txt", loaders.Text())]:
    return x


def d(
    left: Annotated[str, outputs.Dep("b/x.1.txt", loaders.Text())],
    right: Annotated[str, outputs.Dep("b/y-2.txt", loaders.Text())],
) -> Annotated[dict, outputs.Metric("d.json")]:
    return {"n": len(left + right)}
'''

PIPELINE = """\
stages:
  a:
    python: stages.a
    deps:
      raw: ./data/../data/in.txt
  b:
    python: stages.b
    matrix:
      v: [x.1, y-2]
    outs:
      return: b/${v}.txt
  d:
    python: stages.d
"""


@pytest.fixture
def diamond(project):
    return project({"stages.py": STAGES, "pivot.yaml": PIPELINE})  # data/in.txt does not exist yet


def test_list_text(diamond, pivot):
    assert pivot("list").output == (
        "a  (stages:a)\n"
        "  deps:    data/in.txt\n"
        "  outs:    a.txt\n"
        "b@x.1  (stages:b)\n"
        "  deps:    a.txt\n"
        "  outs:    b/x.1.txt\n"
        "b@y-2  (stages:b)\n"
        "  deps:    a.txt\n"
        "  outs:    b/y-2.txt\n"
        "d  (stages:d)\n"
        "  deps:    b/x.1.txt, b/y-2.txt\n"
        "  metrics: d.json\n"
    )


def test_list_json_paths_are_project_relative_from_a_subdirectory(diamond, pivot, monkeypatch):
    (diamond / "sub").mkdir()
    monkeypatch.chdir(diamond / "sub")
    listed = json.loads(pivot("list", "--json").output)
    assert listed[0] == {
        "name": "a",
        "function": "stages:a",
        "deps": ["data/in.txt"],
        "outs": ["a.txt"],
        "metrics": [],
        "plots": [],
    }
    assert [stage["name"] for stage in listed] == ["a", "b@x.1", "b@y-2", "d"]
    paths = [path for stage in listed for key in ("deps", "outs", "metrics", "plots") for path in stage[key]]
    assert not [path for path in paths if path.startswith("/") or ".." in path or str(diamond) in path]


def test_dag_text(diamond, pivot):
    assert pivot("dag").output == "a\nb@x.1  <- a\nb@y-2  <- a\nd      <- b@x.1, b@y-2\n"
    assert pivot("dag", "b@x.1").output == "a\nb@x.1  <- a\n"


def test_dag_mermaid(diamond, pivot):
    assert pivot("dag", "--mermaid").output == (
        "flowchart TD\n"
        '    s0["a"]\n'
        '    s1["b@x.1"]\n'
        '    s2["b@y-2"]\n'
        '    s3["d"]\n'
        "    s0 --> s1\n"
        "    s0 --> s2\n"
        "    s1 --> s3\n"
        "    s2 --> s3\n"
    )


def test_dag_dot(diamond, pivot):
    assert pivot("dag", "--dot", "b").output == (
        "digraph pipeline {\n"
        "    rankdir=TB;\n"
        '    "a";\n'
        '    "b@x.1";\n'
        '    "b@y-2";\n'
        '    "a" -> "b@x.1";\n'
        '    "a" -> "b@y-2";\n'
        "}\n"
    )


def test_dag_of_an_empty_pipeline(project, pivot):
    project({"pivot.yaml": "stages: {}\n"})
    assert pivot("dag").output == ""
    assert pivot("dag", "--mermaid").output == "flowchart TD\n"
    assert pivot("list", "--json").output == "[]\n"
