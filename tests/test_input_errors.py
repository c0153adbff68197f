"""Bad input: exit 2, one message naming file:line, stage or field, with a hint, no traceback,
and nothing on disk changed. Each case first runs a good pipeline, then breaks one input."""

from __future__ import annotations

import os
import pathlib
import shutil
import textwrap

import pytest
from click.testing import CliRunner
from conftest import assert_clean_error

from pivot.cli import cli

STAGES = '''
from typing import Annotated, TypedDict

from pivot import loaders, outputs
from pivot.stage_def import StageParams


class TrainParams(StageParams):
    learning_rate: float = 0.01
    epochs: int = 100


class PrepOutputs(TypedDict):
    clean: Annotated[str, outputs.Out("clean.txt", loaders.Text())]


def prep(raw: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> PrepOutputs:
    return {"clean": raw.upper()}


class TrainOutputs(TypedDict):
    model: Annotated[str, outputs.Out("model.txt", loaders.Text())]
    metrics: Annotated[dict, outputs.Metric("metrics.json")]


def train(params: TrainParams, data: Annotated[str, outputs.Dep("clean.txt", loaders.Text())]) -> TrainOutputs:
    return {"model": data * params.epochs, "metrics": {"lr": params.learning_rate}}


def plain(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> None:
    return None
'''

PIPELINE = """\
stages:
  prep:
    python: stages.prep
  train:
    python: stages.train
    params:
      learning_rate: 0.05
"""


@pytest.fixture(scope="module")
def ran_once(tmp_path_factory) -> pathlib.Path:
    """The good pipeline, run once per module (a run costs ~0.1 s; a copy ~5 ms)."""
    root = tmp_path_factory.mktemp("template")
    write(root, {"stages.py": STAGES, "data.txt": "ab\n", "pivot.yaml": PIPELINE})
    previous = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(cli, ["run", "--executor", "inprocess"], catch_exceptions=False)
    finally:
        os.chdir(previous)
    assert result.exit_code == 0, result.output
    assert (root / ".pivot/stages/train.lock").is_file()
    assert (root / "model.txt").is_file()
    return root


@pytest.fixture
def ran(project, ran_once) -> pathlib.Path:
    """A project whose good pipeline has run: outputs, locks and cache exist."""
    root = project({})
    shutil.copytree(ran_once, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def snapshot(root: pathlib.Path) -> dict[str, bytes]:
    """Every file the user or git could care about; `.pivot/tmp/` is pivot's scratch space (the
    memo of already-validated config files lives there) and holds nothing of the user's."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and not path.relative_to(root).as_posix().startswith(".pivot/tmp/")
    }


def write(root: pathlib.Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def expect_error(pivot, root: pathlib.Path, args: tuple[str, ...], *fragments: str, hint: bool = True) -> str:
    """Run `pivot *args`: exit 2, one message with `fragments` (and a hint), disk untouched."""
    before = snapshot(root)
    result = pivot(*args)
    assert_clean_error(result, *fragments)
    assert [line for line in result.output.splitlines() if line.startswith("error:")] == [
        result.output.splitlines()[0]
    ], result.output
    if hint:
        assert "\n  hint: " in result.output, result.output
    assert snapshot(root) == before
    return result.output


RUN = ("run", "--executor", "inprocess")


def break_input(pivot, root: pathlib.Path, files: dict[str, str], *fragments: str, args=RUN, hint: bool = True) -> str:
    write(root, files)
    return expect_error(pivot, root, args, *fragments, hint=hint)


# --- YAML syntax ---------------------------------------------------------------------------------


def test_pivot_yaml_syntax_error_names_the_line(ran, pivot):
    broken = PIPELINE.replace("python: stages.train", "python: stages.train: oops")
    assert broken.splitlines()[4].strip() == "python: stages.train: oops"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:5", "YAML syntax error")


def test_params_yaml_syntax_error_names_the_line(ran, pivot):
    break_input(pivot, ran, {"params.yaml": "train:\n  epochs: 3\n  learning_rate: [0.1\n"}, "params.yaml:", "YAML")


@pytest.mark.parametrize("args", [RUN, ("status",), ("explain",), ("params", "show")])
def test_yaml_syntax_error_in_every_command(ran, pivot, args):
    break_input(pivot, ran, {"pivot.yaml": "stages:\n  prep:\n\tpython: stages.prep\n"}, "pivot.yaml:3", args=args)


def test_pivot_yaml_top_level_not_a_mapping(ran, pivot):
    break_input(pivot, ran, {"pivot.yaml": "- prep\n- train\n"}, "pivot.yaml", "mapping", "stages")


def test_duplicate_stage_name_in_pivot_yaml(ran, pivot):
    # YAML itself keeps the last 'prep' silently; the first would vanish from the pipeline.
    broken = PIPELINE + "  prep:\n    python: stages.plain\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:8", "duplicate key 'prep'", "line 2")


def test_duplicate_param_in_params_yaml(ran, pivot):
    break_input(pivot, ran, {"params.yaml": "train:\n  epochs: 3\n  epochs: 4\n"}, "params.yaml:3", "duplicate key 'epochs'")


def test_stage_that_is_not_a_mapping(ran, pivot):
    break_input(pivot, ran, {"pivot.yaml": PIPELINE + "  extra: stages.plain\n"}, "pivot.yaml:8", "stages.extra")


def test_python_that_is_not_a_string(ran, pivot):
    break_input(pivot, ran, {"pivot.yaml": PIPELINE.replace("python: stages.train", "python: [stages.train]")}, "pivot.yaml:5", "python")


def test_recursive_yaml_alias(ran, pivot):
    break_input(pivot, ran, {"pivot.yaml": "stages: &a\n  s: *a\n"}, "pivot.yaml:", "alias")


def test_params_yaml_that_is_a_directory(ran, pivot):
    (ran / "params.yaml").mkdir()
    expect_error(pivot, ran, RUN, "params.yaml", "cannot read")


def test_yaml_anchors_and_merge_keys_still_work(ran, pivot):
    shared = PIPELINE.replace("  train:\n", "  train: &train\n") + "  train2:\n    <<: *train\n    outs:\n      model: m2.txt\n    metrics:\n      metrics: m2.json\n"
    write(ran, {"pivot.yaml": shared})
    result = pivot("params", "show", "--json")
    assert result.exit_code == 0, result.output
    assert '"train2"' in result.output


# --- unknown keys --------------------------------------------------------------------------------


def test_unknown_stage_key_suggests_the_right_one(ran, pivot):
    broken = PIPELINE + "    dep:\n      data: clean.txt\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:8", "unknown key", "dep", "did you mean 'deps'?")


def test_unknown_top_level_key_suggests_stages(ran, pivot):
    break_input(
        pivot, ran, {"pivot.yaml": PIPELINE.replace("stages:", "stage:")}, "pivot.yaml:1", "'stage'", "did you mean 'stages'?"
    )


def test_stage_without_python_key(ran, pivot):
    broken = PIPELINE.replace("    python: stages.train\n", "")
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:4", "stage 'train' has neither 'python:' nor 'cmd:'")


def test_unknown_key_in_project_config(ran, pivot):
    break_input(pivot, ran, {".pivot/config.yaml": "cahce:\n  type: copy\n"}, ".pivot/config.yaml:1", "did you mean 'cache'?")


def test_unknown_nested_key_in_project_config(ran, pivot):
    break_input(pivot, ran, {".pivot/config.yaml": "cache:\n  typ: copy\n"}, ".pivot/config.yaml:2", "did you mean 'type'?")


def test_unknown_key_in_local_config_names_that_file(ran, pivot):
    break_input(
        pivot, ran, {".pivot/config.local.yaml": "# this machine\ndefault_remot: x\n"}, ".pivot/config.local.yaml:2", "default_remote"
    )


# --- python: that does not import ----------------------------------------------------------------


def _point_train_at(ref: str) -> str:
    return PIPELINE.replace("python: stages.train", f"python: {ref}")


def test_python_module_missing(ran, pivot):
    break_input(
        pivot, ran, {"pivot.yaml": _point_train_at("nosuch.train")}, "pivot.yaml:5", "stage 'train'", "nosuch",
    )


def test_python_module_with_syntax_error(ran, pivot):
    break_input(
        pivot,
        ran,
        {"pivot.yaml": _point_train_at("broken.train"), "broken.py": "x = 1\ndef train(:\n    pass\n"},
        "pivot.yaml:5",
        "stage 'train'",
        "SyntaxError",
        "(broken.py:2)",
    )


def test_python_module_raising_at_import(ran, pivot):
    break_input(
        pivot,
        ran,
        {"pivot.yaml": _point_train_at("boom.train"), "boom.py": "import os\n\nraise RuntimeError('no config found')\n"},
        "pivot.yaml:5",
        "stage 'train'",
        "RuntimeError: no config found (boom.py:3)",
    )


def test_python_module_whose_own_import_fails(ran, pivot):
    break_input(
        pivot,
        ran,
        {"pivot.yaml": _point_train_at("needs.train"), "needs.py": "import os\nimport not_installed_anywhere\n"},
        "pivot.yaml:5",
        "No module named 'not_installed_anywhere' (needs.py:2)",
    )


def test_python_missing_function_suggests_a_near_one(ran, pivot):
    break_input(
        pivot, ran, {"pivot.yaml": _point_train_at("stages.trian")}, "pivot.yaml:5", "trian", "did you mean 'train'?"
    )


def test_python_module_exiting_at_import(ran, pivot):
    break_input(
        pivot, ran, {"pivot.yaml": _point_train_at("quits.train"), "quits.py": "import sys\nsys.exit(3)\n"},
        "pivot.yaml:5", "SystemExit: 3 (quits.py:2)",
    )


def test_python_naming_a_class(ran, pivot):
    break_input(pivot, ran, {"pivot.yaml": _point_train_at("stages.TrainParams")}, "pivot.yaml:5", "is a class")


def test_python_module_shadowed_by_an_installed_one(ran, pivot):
    # The user's json.py loses to the json pivot already imported: say so, not just "no function".
    out = break_input(
        pivot, ran, {"pivot.yaml": _point_train_at("json.train"), "json.py": STAGES}, "pivot.yaml:5", "'train'",
        "not a module of this project",
    )
    assert "did you mean" not in out


def test_python_not_module_dot_function(ran, pivot):
    break_input(pivot, ran, {"pivot.yaml": _point_train_at("stages")}, "pivot.yaml:5", "module.function")


# --- stage signatures ----------------------------------------------------------------------------


def _with_module(body: str) -> dict[str, str]:
    header = "from typing import Annotated, TypedDict\nfrom pivot import loaders, outputs\nfrom pivot.stage_def import StageParams\n"
    return {"extra.py": header + textwrap.dedent(body), "pivot.yaml": PIPELINE + "  extra:\n    python: extra.f\n"}


def test_parameter_without_dep_annotation(ran, pivot):
    files = _with_module("def f(data: str) -> None:\n    pass\n")
    break_input(pivot, ran, files, "stage 'extra'", "'data'", "no Dep annotation", "pivot.yaml:9")


def test_parameter_annotated_without_a_dep_marker(ran, pivot):
    files = _with_module("def f(data: Annotated[str, 'data.txt']) -> None:\n    pass\n")
    break_input(pivot, ran, files, "stage 'extra'", "'data'", "no Dep annotation")


def test_return_type_not_out_or_typeddict(ran, pivot):
    files = _with_module("def f(data: Annotated[str, outputs.Dep('data.txt', loaders.Text())]) -> str:\n    return data\n")
    break_input(pivot, ran, files, "stage 'extra'", "return type")


def test_typeddict_field_without_marker(ran, pivot):
    files = _with_module(
        """
        class Outs(TypedDict):
            good: Annotated[str, outputs.Out("good.txt", loaders.Text())]
            bad: str

        def f() -> Outs:
            return {"good": "x", "bad": "y"}
        """
    )
    break_input(pivot, ran, files, "stage 'extra'", "field 'bad'", "Outs", "no Out, Metric or Plot")


def test_stageparams_argument_not_first(ran, pivot):
    files = _with_module(
        """
        class P(StageParams):
            n: int = 1

        def f(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())], params: P) -> None:
            pass
        """
    )
    break_input(pivot, ran, files, "pivot.yaml:9", "stage 'extra'", "'params'", "first", "def f(params: P, ...)")


def test_params_argument_not_a_stageparams(ran, pivot):
    files = _with_module("def f(params: dict) -> None:\n    pass\n")
    break_input(pivot, ran, files, "stage 'extra'", "StageParams")


# --- params --------------------------------------------------------------------------------------


def test_unknown_param_in_pivot_yaml(ran, pivot):
    broken = PIPELINE + "      epoch: 3\n"
    break_input(
        pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:8", "stage 'train'", "'epoch'", "did you mean 'epochs'?"
    )


def test_unknown_param_in_params_yaml(ran, pivot):
    files = {"params.yaml": "train:\n  epochs: 3\n  learning_rat: 0.1\n"}
    break_input(pivot, ran, files, "params.yaml:3", "stage 'train'", "did you mean 'learning_rate'?")


def test_wrong_param_type_from_pivot_yaml_names_pivot_yaml(ran, pivot):
    broken = PIPELINE + "      epochs: many\n"
    out = break_input(pivot, ran, {"pivot.yaml": broken, "params.yaml": "train:\n  learning_rate: 0.2\n"},
                      "pivot.yaml:8", "stage 'train'", "'epochs'", "'many'")
    assert "params.yaml" not in out


def test_wrong_param_type_from_params_yaml_names_params_yaml(ran, pivot):
    broken = PIPELINE + "      epochs: 5\n"
    out = break_input(
        pivot, ran, {"pivot.yaml": broken, "params.yaml": "train:\n  epochs: lots\n"},
        "params.yaml:2", "stage 'train'", "'epochs'", "'lots'",
    )
    assert "pivot.yaml" not in out


def test_params_for_a_stage_without_stageparams(ran, pivot):
    broken = PIPELINE.replace("  train:\n", "  prep2:\n    python: stages.plain\n    params:\n      x: 1\n  train:\n")
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:7", "stage 'prep2'", "StageParams")


def test_params_yaml_for_a_stage_without_stageparams(ran, pivot):
    break_input(pivot, ran, {"params.yaml": "prep:\n  x: 1\n"}, "params.yaml:2", "stage 'prep'", "StageParams")


def test_params_yaml_section_for_unknown_stage(ran, pivot):
    break_input(pivot, ran, {"params.yaml": "trian:\n  epochs: 3\n"}, "params.yaml:1", "'trian'", "did you mean 'train'?")


def test_params_yaml_section_not_a_mapping(ran, pivot):
    break_input(pivot, ran, {"params.yaml": "train: 3\n"}, "params.yaml:1", "stage 'train'")


def test_pivot_yaml_params_not_a_mapping(ran, pivot):
    broken = PIPELINE.replace("    params:\n      learning_rate: 0.05\n", "    params: [1, 2]\n")
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:6", "params", "mapping")


def test_required_param_that_nobody_sets(ran, pivot):
    files = _with_module(
        """
        class P(StageParams):
            seed: int

        def f(params: P) -> None:
            pass
        """
    )
    break_input(pivot, ran, files, "pivot.yaml:8", "stage 'extra'", "param 'seed' is required", "params.yaml")


def test_nested_param_error_names_the_nested_key(ran, pivot):
    files = _with_module(
        """
        class Inner(StageParams):
            depth: int = 1

        class P(StageParams):
            tree: Inner = Inner()

        def f(params: P) -> None:
            pass
        """
    )
    files["params.yaml"] = "extra:\n  tree:\n    depth: deep\n"
    break_input(pivot, ran, files, "params.yaml:3", "stage 'extra'", "param 'tree.depth'", "'deep'")


@pytest.mark.parametrize("args", [("params", "show"), ("status",), ("explain", "train")])
def test_params_errors_in_read_only_commands(ran, pivot, args):
    break_input(pivot, ran, {"params.yaml": "train:\n  epochs: lots\n"}, "params.yaml:2", "'epochs'", args=args)


# --- paths outside the project -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/etc/hostname", "../outside.txt", "sub/../../outside.txt"])
def test_dep_annotation_outside_project(ran, pivot, path):
    files = _with_module(f"def f(data: Annotated[str, outputs.Dep({path!r}, loaders.Text())]) -> None:\n    pass\n")
    break_input(pivot, ran, files, "stage 'extra'", "dep 'data'", path)


@pytest.mark.parametrize("path", ["/tmp/out.txt", "../out.txt"])
def test_out_annotation_outside_project(ran, pivot, path):
    files = _with_module(f"def f() -> Annotated[str, outputs.Out({path!r}, loaders.Text())]:\n    return 'x'\n")
    break_input(pivot, ran, files, "stage 'extra'", "out", path)


@pytest.mark.parametrize("path", ["/etc/hostname", "../data.txt"])
def test_dep_override_outside_project(ran, pivot, path):
    broken = PIPELINE + f"    deps:\n      data: {path}\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:9", "stage 'train'", "dep 'data'", path)


@pytest.mark.parametrize("section,name", [("outs", "model"), ("metrics", "metrics")])
def test_out_override_outside_project(ran, pivot, section, name):
    broken = PIPELINE + f"    {section}:\n      {name}: ../{name}.out\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:9", "stage 'train'", f"'../{name}.out'")


def test_path_that_is_the_project_root(ran, pivot):
    broken = PIPELINE + "    outs:\n      model: sub/..\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:9", "stage 'train'", "project root")


@pytest.mark.parametrize("path", ["pivot.yaml", ".pivot/cache/x", ".pivot", ".git/config"])
def test_output_onto_pivot_or_git_files(ran, pivot, path):
    broken = PIPELINE + f"    outs:\n      model: {path}\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:9", "stage 'train'", "out 'model'", "belongs to pivot or git")


def test_output_annotation_onto_pivot_yaml(ran, pivot):
    files = _with_module("def f() -> Annotated[str, outputs.Out('pivot.yaml', loaders.Text())]:\n    return ''\n")
    break_input(pivot, ran, files, "pivot.yaml:9", "stage 'extra'", "belongs to pivot or git")


# --- overrides by name ---------------------------------------------------------------------------


def test_override_by_unknown_dep_name(ran, pivot):
    broken = PIPELINE + "    deps:\n      dat: clean.txt\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:9", "stage 'train'", "'dat'", "did you mean 'data'?")


def test_override_by_unknown_out_name(ran, pivot):
    broken = PIPELINE + "    outs:\n      modl: m.txt\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:9", "'modl'", "did you mean 'model'?")


def test_metric_under_outs(ran, pivot):
    broken = PIPELINE + "    outs:\n      metrics: m.json\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:9", "'metrics'", "metric", "move it under 'metrics:'")


def test_out_under_metrics(ran, pivot):
    broken = PIPELINE + "    metrics:\n      model: m.txt\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:9", "'model'", "move it under 'outs:'")


# --- graph ---------------------------------------------------------------------------------------

CYCLE_MODULE = '''
from typing import Annotated

from pivot import loaders, outputs


def a(x: Annotated[str, outputs.Dep("b.txt", loaders.Text())]) -> Annotated[str, outputs.Out("a.txt", loaders.Text())]:
    return x


def b(x: Annotated[str, outputs.Dep("a.txt", loaders.Text())]) -> Annotated[str, outputs.Out("b.txt", loaders.Text())]:
    return x


def c(x: Annotated[str, outputs.Dep("b.txt", loaders.Text())]) -> Annotated[str, outputs.Out("c.txt", loaders.Text())]:
    return x
'''


def test_cycle_names_the_cycle(ran, pivot):
    files = {"cyc.py": CYCLE_MODULE, "pivot.yaml": PIPELINE + "  a:\n    python: cyc.a\n  b:\n    python: cyc.b\n"}
    break_input(pivot, ran, files, "cycle", "a -> b -> a")


def test_cycle_through_a_third_stage(ran, pivot):
    # b reads a, c reads b, a reads c: the data flows a -> b -> c -> a
    files = {
        "cyc.py": CYCLE_MODULE,
        "pivot.yaml": PIPELINE
        + "  a:\n    python: cyc.a\n    deps:\n      x: c.txt\n  b:\n    python: cyc.b\n  c:\n    python: cyc.c\n",
    }
    out = break_input(pivot, ran, files, "cycle")
    assert "a -> b -> c -> a" in out


def test_self_dependency(ran, pivot):
    files = {"cyc.py": CYCLE_MODULE, "pivot.yaml": PIPELINE + "  a:\n    python: cyc.a\n    deps:\n      x: a.txt\n"}
    break_input(pivot, ran, files, "stage 'a'", "a.txt")


def test_two_stages_declare_one_output(ran, pivot):
    broken = PIPELINE + "  again:\n    python: stages.prep\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "'prep'", "'again'", "'clean.txt'")


def test_overlapping_outputs(ran, pivot):
    files = _with_module("def f() -> Annotated[str, outputs.Out('out', loaders.PathOnly())]:\n    pass\n")
    files["pivot.yaml"] += "    outs:\n      return: results\n  inner:\n    python: stages.prep\n    outs:\n      clean: results/clean.txt\n"
    break_input(pivot, ran, files, "'results/clean.txt'", "'results'", "'inner'", "'extra'")


def test_missing_dep_that_no_stage_produces(ran, pivot):
    broken = PIPELINE + "    deps:\n      data: nowhere.txt\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:4", "stage 'train'", "'nowhere.txt'", "does not exist")


# --- unknown stage names on the command line -----------------------------------------------------


@pytest.mark.parametrize(
    "args", [("run", "--executor", "inprocess", "trian"), ("explain", "trian"), ("status", "trian"), ("params", "show", "trian")]
)
def test_unknown_stage_on_the_command_line(ran, pivot, args):
    expect_error(pivot, ran, args, "unknown stage 'trian'", "did you mean 'train'?")


def test_unknown_stage_among_known_ones(ran, pivot):
    expect_error(pivot, ran, ("run", "--executor", "inprocess", "prep", "zzz"), "unknown stage 'zzz'", "prep", "train")


# --- stage names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["'has space'", "a/b", "'x:y'", "'../up'"])
def test_stage_name_with_invalid_characters(ran, pivot, name):
    broken = PIPELINE + f"  {name}:\n    python: stages.plain\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:8", "stage name")


def test_stage_names_differing_only_in_case(ran, pivot):
    broken = PIPELINE + "  Train:\n    python: stages.plain\n"
    break_input(pivot, ran, {"pivot.yaml": broken}, "pivot.yaml:8", "'train' and 'Train'")


def test_no_pivot_yaml(project, pivot):
    root = project({"stages.py": STAGES})
    (root / ".pivot").mkdir()
    expect_error(pivot, root, ("status",), "pivot.yaml")


def test_bad_input_in_a_fresh_project_creates_nothing(project, pivot):
    root = project({"stages.py": STAGES, "data.txt": "ab\n", "pivot.yaml": "stage:\n  prep:\n    python: stages.prep\n"})
    expect_error(pivot, root, RUN, "pivot.yaml:1", "did you mean 'stages'?")
    assert not (root / ".pivot").exists()


def test_read_only_commands_leave_an_uninitialised_project_untouched(project, pivot):
    root = project({"stages.py": STAGES, "data.txt": "ab\n", "pivot.yaml": "stages:\n  prep:\n    python: stages.prep\n"})
    for args in (("status",), ("explain",), ("params", "show")):
        assert pivot(*args).exit_code == 0
    assert not (root / ".pivot").exists()
