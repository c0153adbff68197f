"""Shell stages (`cmd:` in pivot.yaml) through run, status, explain and the run cache, as a user
meets them: real scripts under src/, run by /bin/sh, in a project in tmp_path."""

from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from pivot.storage import lock as lock_mod

PREPARE_PY = """
import sys
src, dst, split = sys.argv[1:]
with open(dst, "w") as out:
    out.write(open(src).read().upper() + "split=" + split + "\\n")
"""

TRAIN_PY = """
import json, sys
src, dst = sys.argv[1:3]
with open(dst, "w") as out:
    out.write("model of " + open(src).read())
json.dump({"rows": 1}, open("metrics.json", "w"))
print("trained on", src)
print("a warning", file=sys.stderr)
"""

PIPELINE = """
stages:
  prepare:
    cmd: python src/prepare.py data.txt prepared.txt ${prepare.split}
    deps: [src/prepare.py, data.txt]
    params: [prepare.split, seed]
    outs: [prepared.txt]
  train:
    cmd:
      - echo x >> counts
      - python src/train.py prepared.txt model.txt
    deps: [src/, prepared.txt]
    params: [train.lr, seed]
    outs: [model.txt]
    metrics:
      - metrics.json: {cache: false}
"""

PARAMS = "seed: 1\nprepare:\n  split: 0.2\ntrain:\n  lr: 0.1\n"
FILES = {"pivot.yaml": PIPELINE, "params.yaml": PARAMS, "data.txt": "hello\n", "src/prepare.py": PREPARE_PY, "src/train.py": TRAIN_PY}
RUN = ("run", "--executor", "inprocess")


def runs(root: pathlib.Path) -> int:
    path = root / "counts"
    return len(path.read_text().split()) if path.exists() else 0


def edit(root: pathlib.Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def ran(project, pivot) -> pathlib.Path:
    root = project(FILES)
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    return root


def test_a_shell_pipeline_runs_logs_its_output_and_is_then_up_to_date(ran, pivot):
    assert (ran / "prepared.txt").read_text() == "HELLO\nsplit=0.2\n"
    assert (ran / "model.txt").read_text() == "model of HELLO\nsplit=0.2\n"
    log = (ran / ".pivot/logs/train.log").read_text()
    assert "trained on prepared.txt" in log and "a warning" in log
    lock = yaml.safe_load((ran / ".pivot/stages/train.lock").read_text())
    assert lock["cmd"] == ["echo x >> counts", "python src/train.py prepared.txt model.txt"]
    assert lock["params"] == {"seed": 1, "train.lr": 0.1}
    assert set(lock["deps"]) == {"src", "prepared.txt"}
    assert yaml.safe_load((ran / ".pivot/stages/prepare.lock").read_text())["cmd"] == "python src/prepare.py data.txt prepared.txt 0.2"

    status = pivot("status")
    assert status.exit_code == 0 and "prepare  up to date" in status.output and "train    up to date" in status.output
    assert pivot(*RUN).exit_code == 0
    assert runs(ran) == 1


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_command_edit_reruns_explained_with_both_commands_and_a_revert_comes_from_the_run_cache(ran, pivot):
    edit(ran, "pivot.yaml", "python src/train.py prepared.txt", "python src/train.py  prepared.txt")

    explained = pivot("explain", "train")
    assert "Reason: Command changed" in explained.output
    assert "was: echo x >> counts && python src/train.py prepared.txt model.txt" in explained.output
    assert "now: echo x >> counts && python src/train.py  prepared.txt model.txt" in explained.output
    assert "Code changed" not in explained.output
    as_json = json.loads(pivot("explain", "train", "--json").output)[0]
    assert as_json["reasons"] == ["Command changed"]
    assert as_json["cmd_change"]["new"][1] == "python src/train.py  prepared.txt model.txt"
    assert pivot(*RUN).exit_code == 0
    assert runs(ran) == 2

    edit(ran, "pivot.yaml", "python src/train.py  prepared.txt", "python src/train.py prepared.txt")
    result = pivot(*RUN)
    assert "train: restored from run cache (Command changed)" in result.output
    assert runs(ran) == 2
    assert (ran / "model.txt").read_text() == "model of HELLO\nsplit=0.2\n"


def test_a_listed_param_change_reruns_naming_the_key_and_a_shared_key_reruns_every_stage_that_lists_it(ran, pivot):
    edit(ran, "params.yaml", "lr: 0.1", "lr: 0.5")
    explained = pivot("explain")
    assert "prepare\n  Status: UP TO DATE" in explained.output.replace("Stage: ", "")
    assert "train.lr: 0.1 -> 0.5" in explained.output

    edit(ran, "params.yaml", "seed: 1", "seed: 2")
    status = pivot("status")
    assert "prepare  will run: Parameters changed" in status.output
    assert "train    will run: Parameters changed" in status.output


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_the_templated_value_is_part_of_the_command(ran, pivot):
    edit(ran, "params.yaml", "split: 0.2", "split: 0.3")
    explained = pivot("explain", "prepare")
    assert "Reason: Command changed, Parameters changed" in explained.output
    assert "now: python src/prepare.py data.txt prepared.txt 0.3" in explained.output
    assert pivot(*RUN).exit_code == 0
    assert (ran / "prepared.txt").read_text().endswith("split=0.3\n")


def test_an_edit_in_a_source_directory_dep_is_a_dependency_change(ran, pivot):
    (ran / "src/helper.py").write_text("X = 1\n")
    explained = pivot("explain", "train")
    assert "Dependency changes:\n    src: modified" in explained.output
    assert "UP TO DATE" in pivot("explain", "prepare").output


def test_a_failing_command_stops_the_list_fails_the_stage_and_writes_no_lock(project, pivot):
    files = {**FILES, "pivot.yaml": PIPELINE.replace("- echo x >> counts", "- exit 3").replace("      - python src/train.py", "      - echo never >> counts; python src/train.py")}
    root = project(files)
    result = pivot(*RUN)
    assert result.exit_code != 0
    assert "command ('exit 3') exited with code 3" in result.output
    assert not (root / "counts").exists()
    assert not (root / ".pivot/stages/train.lock").exists()
    assert (root / ".pivot/stages/prepare.lock").exists()
    assert "command ('exit 3') exited with code 3" in (root / ".pivot/logs/train.log").read_text()


def test_a_declared_output_the_command_did_not_create_fails_naming_it(project, pivot):
    root = project({**FILES, "pivot.yaml": PIPELINE.replace("outs: [prepared.txt]", "outs: [prepared.txt, extra.txt]")})
    result = pivot(*RUN)
    assert result.exit_code != 0
    assert "did not create its output 'extra.txt'" in result.output
    assert not (root / ".pivot/stages/prepare.lock").exists()


def test_a_command_runs_in_its_wdir_with_paths_params_and_outputs_relative_to_it(project, pivot):
    pipeline = """
    stages:
      count:
        wdir: sub
        cmd: wc -c < in.txt > ../counted.txt && echo ${n} >> ../counted.txt
        deps: [in.txt]
        params: [n]
        outs: [../counted.txt]
    """
    root = project({"pivot.yaml": pipeline, "sub/in.txt": "abc", "sub/params.yaml": "n: 7\n", "params.yaml": "n: 5\n"})
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert (root / "counted.txt").read_text().split() == ["3", "5"]
    lock = lock_mod.read(root / ".pivot/stages/count.lock")
    assert lock is not None
    assert set(lock.deps) == {"sub/in.txt"}
    assert lock.params == {"n": 7}  # params.yaml of the wdir, as in DVC; templating reads the project's


def test_vars_params_files_and_templated_paths(project, pivot):
    pipeline = """
    vars:
      - config.json:model
      - {suffix: v1}
    stages:
      fit:
        cmd: echo ${model.name} ${model.depth} > out/${model.name}-${suffix}.txt
        params:
          - depth
          - config.json: [model.name]
          - extra.toml: [limits.max]
        outs:
          - out/${model.name}-${suffix}.txt
    """
    files = {
        "pivot.yaml": pipeline,
        "params.yaml": "depth: 3\n",
        "config.json": '{"model": {"name": "tree", "depth": 4}, "other": 1}',
        "extra.toml": "[limits]\nmax = 9\n",
    }
    root = project(files)
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert (root / "out/tree-v1.txt").read_text() == "tree 4\n"
    lock = lock_mod.read(root / ".pivot/stages/fit.lock")
    assert lock is not None
    assert lock.params == {"depth": 3, "config.json:model.name": "tree", "extra.toml:limits.max": 9}

    (root / "extra.toml").write_text("[limits]\nmax = 10\n")
    explained = pivot("explain", "fit")
    assert "extra.toml:limits.max: 9 -> 10" in explained.output


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_matrix_fills_dimensions_in_commands_and_paths(project, pivot):
    pipeline = """
    stages:
      size:
        matrix:
          word: [one, three]
          times: [1, 2]
        cmd: python -c "print('${word}' * ${item.times})" > sizes/${word}-${times}.txt
        outs:
          - sizes/${word}-${item.times}.txt
    """
    root = project({"pivot.yaml": pipeline})
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert (root / "sizes/three-2.txt").read_text() == "threethree\n"
    assert sorted(p.name for p in (root / "sizes").glob("*.txt")) == ["one-1.txt", "one-2.txt", "three-1.txt", "three-2.txt"]
    assert "size@one_2    up to date" in pivot("status").output


def test_status_and_run_of_a_shell_pipeline_import_no_user_module(project, pivot):
    marker = 'if __name__ != "__main__":\n    open("IMPORTED", "a").write("x")\n'
    root = project({**FILES, "src/prepare.py": marker + PREPARE_PY, "src/train.py": marker + TRAIN_PY, "src/__init__.py": marker})
    for args in (RUN, ("status",), ("explain",)):
        assert pivot(*args).exit_code == 0
    assert (root / "model.txt").exists()
    assert not (root / "IMPORTED").exists()


def test_a_whole_params_file_and_a_single_dimension_item(project, pivot):
    pipeline = """
    stages:
      echo:
        matrix:
          word: [hi, ho]
        cmd: echo ${item} > said-${item.word}.txt
        params:
          - opts.yaml:
        outs:
          - said-${word}.txt
    """  # ${item}: the value of the one dimension; ${item.word}: the same, as DVC's matrix writes it
    root = project({"pivot.yaml": pipeline, "opts.yaml": "a: 1\nb: {c: 2}\n"})
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert (root / "said-ho.txt").read_text() == "ho\n"
    lock = lock_mod.read(root / ".pivot/stages/echo@hi.lock")
    assert lock is not None and lock.params == {"opts.yaml:a": 1, "opts.yaml:b": {"c": 2}}
    (root / "opts.yaml").write_text("a: 1\nb: {c: 3}\nd: 4\n")
    explained = pivot("explain", "echo@hi").output
    assert "opts.yaml:b: {\"c\": 2} -> {\"c\": 3}" in explained and "opts.yaml:d: (not set) -> 4" in explained


def test_a_python_stage_lock_has_no_cmd_key_beside_a_shell_stage(project, pivot):
    stages = (
        "from typing import Annotated\nfrom pivot import loaders, outputs\n\n\n"
        "def shout(text: Annotated[str, outputs.Dep('copied.txt', loaders.Text())]) -> Annotated[str, outputs.Out('loud.txt', loaders.Text())]:\n"
        "    return text.upper()\n"
    )
    pipeline = "stages:\n  copy:\n    cmd: cp in.txt copied.txt\n    deps: [in.txt]\n    outs: [copied.txt]\n  shout:\n    python: stages.shout\n"
    root = project({"pivot.yaml": pipeline, "stages.py": stages, "in.txt": "quiet\n"})
    assert pivot(*RUN).exit_code == 0
    assert (root / "loud.txt").read_text() == "QUIET\n"
    assert "cmd" not in yaml.safe_load((root / ".pivot/stages/shout.lock").read_text())
    assert yaml.safe_load((root / ".pivot/stages/copy.lock").read_text())["cmd"] == "cp in.txt copied.txt"
