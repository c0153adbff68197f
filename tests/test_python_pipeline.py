"""pipeline.py: stages registered on a `Pipeline` in Python, found when pivot.yaml is absent,
run in real worker processes, with params.yaml and targets working as for pivot.yaml."""

from __future__ import annotations

import importlib
import json
import sys

import pytest
from conftest import assert_clean_error
from test_input_errors import expect_error

PIPELINE = '''\
from typing import Annotated

from pivot import loaders, outputs
from pivot.pipeline import Pipeline
from pivot.stage_def import StageParams


class RepeatParams(StageParams):
    times: int = 1


def shout(text: str) -> str:
    return text.upper()


def prep(raw: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Annotated[str, outputs.Out("clean.txt", loaders.Text())]:
    return shout(raw)


def repeat(
    params: RepeatParams, clean: Annotated[str, outputs.Dep("clean.txt", loaders.Text())]
) -> Annotated[str, outputs.Out("out.txt", loaders.Text())]:
    return clean.strip() * params.times


pipeline = Pipeline("demo")
pipeline.register(prep)
for times in (2, 3):
    pipeline.register(repeat, name=f"repeat@x{times}", params={"times": times}, outs={"return": f"out/{times}.txt"})
'''

RUN = ("run", "--executor", "inprocess")


@pytest.fixture
def api_project(project):
    return project({"pipeline.py": PIPELINE, "in.txt": "ab\n"})


def test_stages_registered_in_pipeline_py_run(api_project, pivot):
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert (api_project / "out/3.txt").read_text() == "ABABAB"
    listed = json.loads(pivot("list", "--json").output)
    assert [(s["name"], s["function"], s["outs"]) for s in listed] == [
        ("prep", "pipeline:prep", ["clean.txt"]),
        ("repeat@x2", "pipeline:repeat", ["out/2.txt"]),
        ("repeat@x3", "pipeline:repeat", ["out/3.txt"]),
    ]
    assert "0 ran, 3 skipped" in pivot(*RUN).output


@pytest.mark.slow
def test_worker_processes_import_functions_from_pipeline_py(api_project, pivot_proc):
    result = pivot_proc("run", "-j2", "--executor", "loky", cwd=api_project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 ran" in result.stdout
    assert (api_project / "out/2.txt").read_text() == "ABAB"


def test_register_only_records_and_returns_the_function(api_project):
    sys.path.insert(0, str(api_project))
    try:
        module = importlib.import_module("pipeline")
        stages = module.pipeline.stages
        assert [(s.name, s.python, dict(s.params), dict(s.outs)) for s in stages] == [
            ("prep", "pipeline.prep", {}, {}),
            ("repeat@x2", "pipeline.repeat", {"times": 2}, {"return": "out/2.txt"}),
            ("repeat@x3", "pipeline.repeat", {"times": 3}, {"return": "out/3.txt"}),
        ]
        assert module.pipeline.register(module.shout, name="extra") is module.shout
        module.pipeline.register(module.repeat, name="typed", params=module.RepeatParams(times=7))
        assert dict(module.pipeline.stages[-1].params) == {"times": 7}
        assert module.prep("x") == "X"  # still a plain function
        assert module.repeat(module.RepeatParams(times=2), "ab") == "abab"
        assert not (api_project / ".pivot").exists()
    finally:
        sys.path.remove(str(api_project))
        sys.modules.pop("pipeline", None)


def test_params_yaml_and_targets_apply_to_registered_variants(api_project, pivot):
    (api_project / "params.yaml").write_text("repeat:\n  times: 4\nrepeat@x3:\n  times: 5\n")
    result = pivot(*RUN, "repeat")
    assert result.exit_code == 0, result.output
    assert ((api_project / "out/2.txt").read_text(), (api_project / "out/3.txt").read_text()) == ("AB" * 4, "AB" * 5)
    assert json.loads(pivot("params", "show", "--json", "repeat@*").output) == {
        "repeat@x2": {"times": 4},
        "repeat@x3": {"times": 5},
    }


def test_editing_a_stage_function_in_pipeline_py_reruns_only_its_stages(api_project, pivot):
    assert pivot(*RUN).exit_code == 0
    edited = PIPELINE.replace("clean.strip() * params.times", "clean.strip().lower() * params.times")
    (api_project / "pipeline.py").write_text(edited)
    explained = json.loads(pivot("explain", "--json").output)
    assert {d["stage"]: d["will_run"] for d in explained} == {"prep": False, "repeat@x2": True, "repeat@x3": True}
    assert explained[1]["reasons"] == ["Code changed"]


def test_editing_a_helper_in_pipeline_py_reruns_the_stage_that_calls_it(api_project, pivot):
    assert pivot(*RUN).exit_code == 0
    (api_project / "pipeline.py").write_text(PIPELINE.replace("return text.upper()", "return text.title()"))
    explained = {d["stage"]: d["will_run"] for d in json.loads(pivot("explain", "--json").output)}
    assert explained["prep"] is True


def test_pivot_yaml_wins_over_pipeline_py(api_project, pivot):
    (api_project / "pivot.yaml").write_text("stages:\n  prep:\n    python: pipeline.prep\n")
    assert [s["name"] for s in json.loads(pivot("list", "--json").output)] == ["prep"]


def test_without_pivot_yaml_or_pipeline_py_the_error_names_both(project, pivot):
    root = project({"in.txt": "x"})
    (root / ".pivot").mkdir()
    assert_clean_error(pivot("list"), "no pivot.yaml or pipeline.py", "Pipeline")


def test_pipeline_py_marks_the_project_root(api_project, pivot, monkeypatch):
    (api_project / "sub").mkdir()
    monkeypatch.chdir(api_project / "sub")
    assert pivot("list").exit_code == 0


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [
        ('pipeline = Pipeline("demo")', 'pipeline = Pipeline("demo")\n1 / 0', ("pipeline.py", "ZeroDivisionError", "pipeline.py:27")),
        ('pipeline = Pipeline("demo")', 'pipeline = other = None\npipeline = Pipeline("demo")\nother = Pipeline("b")', ("found 2",)),
        ("pipeline.register(prep)", "pipeline.register(prep)\npipeline.register(prep)", ("pipeline.py:28", "registered twice", "line 27")),
        ("pipeline.register(prep)", "pipeline.register(prep, name='pre p')", ("pipeline.py:27", "'pre p'", "characters")),
        ('name=f"repeat@x{times}"', 'name=f"repeat@x/{times}"', ("pipeline.py:29", "'repeat@x/2'", "after its '@'")),
        ("pipeline.register(prep)", "pipeline.register(prep, deps=['in.txt'])", ("pipeline.py:27", "TypeError", "deps must map")),
        ("pipeline.register(prep)", "pipeline.register(prep, name='repeat')", ("'repeat@x2' is a variant of 'repeat'",)),
        ("pipeline.register(prep)", "pipeline.register(prep, params={'x': 1})", ("pipeline.py:27", "'prep' has params")),
        ("pipeline.register(prep)", "pipeline.register(prep, threads=0)", ("pipeline.py:27", "threads must be a whole number")),
        ("pipeline.register(prep)", "pipeline.register(prep, resources={'gpu': 0.5})", ("pipeline.py:27", "resources must map names")),
    ],
)
def test_mistakes_in_pipeline_py_are_exit_2(api_project, pivot, old, new, fragments):
    assert pivot(*RUN).exit_code == 0
    assert old in PIPELINE
    (api_project / "pipeline.py").write_text(PIPELINE.replace(old, new))
    expect_error(pivot, api_project, RUN, *fragments)


def test_a_pipeline_py_without_a_pipeline_is_exit_2(project, pivot):
    root = project({"pipeline.py": "x = 1\n"})
    expect_error(pivot, root, ("list",), "pipeline.py", "found 0", "Pipeline(")
