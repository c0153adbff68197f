"""Discovery: `python: module.func` plus annotations become `Stage` values; pivot.yaml overrides
paths by name; stage functions stay plain functions a unit test can call."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import sys

from pivot import loaders
from pivot.base import project
from pivot.declare import discovery
from pivot.declare.stage import OutKind, Returns

STAGES = '''
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs
from pivot.stage_def import StageParams

import helpers


class TrainParams(StageParams):
    learning_rate: float = 0.01
    epochs: int = 100


class TrainOutputs(TypedDict):
    model: Annotated[str, outputs.Out("model.txt", loaders.Text())]
    metrics: Annotated[dict, outputs.Metric("metrics.json")]
    curve: Annotated[list, outputs.Plot("plots/curve.json")]


def train(
    params: TrainParams,
    data: Annotated[str, outputs.Dep("data.txt", loaders.Text())],
    extra: Annotated[pathlib.Path, outputs.Dep("extra.txt")],
) -> TrainOutputs:
    return {
        "model": helpers.shout(data) + extra.read_text() + f"@{extra.as_posix()}",
        "metrics": {"lr": params.learning_rate, "epochs": params.epochs},
        "curve": [{"step": 1, "loss": 0.5}],
    }


def single(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[str, outputs.Out("single.txt", loaders.Text())]:
    return data[::-1]


def nothing(data: Annotated[pathlib.Path, outputs.Dep("./data.txt")]) -> None:
    return None
'''

HELPERS = "def shout(text):\n    return text.strip().upper()\n"

PIPELINE = """\
stages:
  train:
    python: stages.train
  single:
    python: stages.single
  nothing:
    python: stages.nothing
"""


def _files(**extra: str) -> dict[str, str]:
    return {"stages.py": STAGES, "helpers.py": HELPERS, "data.txt": "ab\n", "extra.txt": "+", **extra}


def test_python_alone_takes_paths_from_annotations(project):
    root = project(_files(**{"pivot.yaml": PIPELINE}))
    loaded = discovery.load(project_of(root))
    assert list(loaded.stages) == ["train", "single", "nothing"]

    train = loaded.stages["train"]
    assert train.func == "stages:train"
    assert train.params_class == "stages:TrainParams"
    assert dict(train.params) == {"learning_rate": 0.01, "epochs": 100}
    assert [(d.name, d.path, type(d.loader)) for d in train.deps] == [
        ("data", "data.txt", loaders.Text),
        ("extra", "extra.txt", loaders.PathOnly),
    ]
    assert [(o.name, o.path, o.kind, o.cache) for o in train.outs] == [
        ("model", "model.txt", OutKind.OUT, True),
        ("metrics", "metrics.json", OutKind.METRIC, False),
        ("curve", "plots/curve.json", OutKind.PLOT, True),
    ]
    assert train.returns is Returns.MAPPING
    assert train.source == "pivot.yaml:2"

    single = loaded.stages["single"]
    assert single.returns is Returns.SINGLE
    assert [(o.name, o.path) for o in single.outs] == [("return", "single.txt")]

    nothing = loaded.stages["nothing"]
    assert nothing.returns is Returns.NOTHING and nothing.outs == ()
    assert nothing.dep_paths == ("data.txt",)  # './data.txt' normalized
    assert discovery.import_object(loaded.stages["single"].func)("xy") == "yx"


def test_python_alone_runs_and_writes_the_annotated_paths(project, pivot):
    root = project(_files(**{"pivot.yaml": PIPELINE}))
    result = pivot("run", "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    # PathOnly deps arrive relative to the project root, so outputs do not depend on where it lives.
    assert (root / "model.txt").read_text() == "AB+@extra.txt"
    assert json.loads((root / "metrics.json").read_text()) == {"lr": 0.01, "epochs": 100}
    assert json.loads((root / "plots/curve.json").read_text()) == [{"step": 1, "loss": 0.5}]
    assert (root / "single.txt").read_text() == "\nba"


OVERRIDES = """\
stages:
  train:
    python: stages.train
    deps:
      data: inputs/other.txt
      extra: inputs/extra2.txt
    outs:
      model: build/model.txt
    metrics:
      metrics: reports/metrics.json
    plots:
      curve: reports/curve.json
    params:
      epochs: 3
  single:
    python: stages.single
    outs:
      return: build/single.txt
"""


def test_overrides_by_name_change_the_paths(project, pivot):
    root = project(_files(**{"pivot.yaml": OVERRIDES, "inputs/other.txt": "cd\n", "inputs/extra2.txt": "!"}))
    loaded = discovery.load(project_of(root))
    train = loaded.stages["train"]
    assert train.dep_paths == ("inputs/other.txt", "inputs/extra2.txt")
    assert train.out_paths == ("build/model.txt", "reports/metrics.json", "reports/curve.json")
    assert [o.kind for o in train.outs] == [OutKind.OUT, OutKind.METRIC, OutKind.PLOT]
    assert loaded.stages["single"].out_paths == ("build/single.txt",)

    result = pivot("run", "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    # PathOnly deps receive the overridden path; other loaders get the overridden file's content.
    assert (root / "build/model.txt").read_text() == "CD!@inputs/extra2.txt"
    assert json.loads((root / "reports/metrics.json").read_text()) == {"lr": 0.01, "epochs": 3}
    assert (root / "reports/curve.json").is_file()
    assert (root / "build/single.txt").read_text() == "\nba"
    for default in ("model.txt", "metrics.json", "plots", "single.txt"):
        assert not (root / default).exists()


def test_paths_are_normalized_to_project_relative_posix(project):
    root = project(
        _files(**{"pivot.yaml": "stages:\n  single:\n    python: stages.single\n    deps:\n      data: ./sub//../data.txt\n    outs:\n      return: out\\\\x.txt\n"})
    )
    stage = discovery.load(project_of(root)).stages["single"]
    assert stage.dep_paths == ("data.txt",)
    assert stage.out_paths == ("out/x.txt",)


def test_python_forms_package_and_colon(project):
    root = project(
        {
            "pkg/__init__.py": "",
            "pkg/sub.py": STAGES.replace("import helpers\n", "from pkg import helpers\n"),
            "pkg/helpers.py": HELPERS,
            "data.txt": "x",
            "extra.txt": "y",
            "pivot.yaml": "stages:\n  a:\n    python: pkg.sub.single\n  b:\n    python: pkg.sub:nothing\n",
        }
    )
    loaded = discovery.load(project_of(root))
    assert loaded.stages["a"].func == "pkg.sub:single"
    assert loaded.stages["b"].func == "pkg.sub:nothing"


def test_two_projects_in_one_process_each_get_their_own_module(tmp_path, monkeypatch):
    # A long-lived process (this test session, a notebook) must not reuse project one's `stages`.
    roots = []
    for name, out in (("one", "one.txt"), ("two", "two.txt")):
        root = tmp_path / name
        root.mkdir()
        (root / "stages.py").write_text(
            "from typing import Annotated\nfrom pivot import loaders, outputs\n"
            f"def s() -> Annotated[str, outputs.Out({out!r}, loaders.Text())]:\n    return {name!r}\n"
        )
        (root / "pivot.yaml").write_text("stages:\n  s:\n    python: stages.s\n")
        roots.append(root)
    monkeypatch.chdir(roots[0])
    assert discovery.load(project_of(roots[0])).stages["s"].out_paths == ("one.txt",)
    monkeypatch.chdir(roots[1])
    loaded = discovery.load(project_of(roots[1]))
    assert loaded.stages["s"].out_paths == ("two.txt",)
    assert discovery.import_object(loaded.stages["s"].func)() == "two"
    assert str(roots[0]) not in sys.path


def test_edited_module_is_reloaded(project):
    root = project(_files(**{"pivot.yaml": "stages:\n  single:\n    python: stages.single\n"}))
    assert discovery.load(project_of(root)).stages["single"].out_paths == ("single.txt",)
    (root / "stages.py").write_text(STAGES.replace('"single.txt"', '"renamed.txt"'))
    assert discovery.load(project_of(root)).stages["single"].out_paths == ("renamed.txt",)


def test_an_edited_module_whose_name_starts_with_pivot_is_reloaded_too(project):
    """Only pivot's own package is kept between loads, not a user module like `pivotal`."""
    root = project({
        "pivotal.py": 'OUT = "one.txt"\n',
        "stages.py": "from typing import Annotated\nfrom pivot import loaders, outputs\nimport pivotal\n"
        "def s() -> Annotated[str, outputs.Out(pivotal.OUT, loaders.Text())]:\n    return 'x'\n",
        "pivot.yaml": "stages:\n  s:\n    python: stages.s\n",
    })
    assert discovery.load(project_of(root)).stages["s"].out_paths == ("one.txt",)
    (root / "pivotal.py").write_text('OUT = "two.txt"\n')
    assert discovery.load(project_of(root)).stages["s"].out_paths == ("two.txt",)


def test_loading_writes_nothing(project):
    root = project(_files(**{"pivot.yaml": PIPELINE}))
    before = sorted(p.relative_to(root) for p in root.rglob("*") if "__pycache__" not in p.parts)
    discovery.load(project_of(root))
    after = sorted(p.relative_to(root) for p in root.rglob("*") if "__pycache__" not in p.parts)
    assert after == before


# --- the tutorial's unit-test pattern ------------------------------------------------------------


def test_stage_functions_are_plain_functions(tmp_path, monkeypatch):
    """Import a stage module like any module and call it with plain values: no pivot machinery."""
    (tmp_path / "helpers.py").write_text(HELPERS)
    (tmp_path / "my_stages.py").write_text(STAGES)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    spec = importlib.util.spec_from_file_location("my_stages", tmp_path / "my_stages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    extra = tmp_path / "extra_in_test.txt"
    extra.write_text("?")
    params = module.TrainParams(learning_rate=0.5, epochs=10)
    result = module.train(params, "hello", extra)
    assert result["metrics"] == {"lr": 0.5, "epochs": 10}
    assert result["model"].startswith("HELLO?")
    assert module.train(module.TrainParams(), data="x", extra=extra)["metrics"]["epochs"] == 100
    assert module.single("abc") == "cba"
    assert module.nothing(pathlib.Path("anything")) is None
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__") == [
        "extra_in_test.txt",
        "helpers.py",
        "my_stages.py",
    ]


def project_of(root: pathlib.Path) -> project.Project:
    return project.Project(root)
