"""`pivot stage add`: DVC's `dvc stage add` options write a shell stage into pivot.yaml, keeping
the rest of the file as the user wrote it; bad input leaves pivot.yaml byte for byte as it was."""

from __future__ import annotations

import yaml
from conftest import assert_clean_error

PREPARE = 'import sys, os; os.makedirs(sys.argv[2], exist_ok=True); open(sys.argv[2] + "/t.csv", "w").write(open(sys.argv[1]).read())\n'


def test_the_dvc_tutorial_stage_is_written_and_runs(project, pivot):
    root = project({"src/prepare.py": PREPARE, "data/data.xml": "<x/>\n", "params.yaml": "prepare:\n  seed: 1\n  split: 0.2\n"})
    assert pivot("init").exit_code == 0
    args = ["-n", "prepare", "-p", "prepare.seed,prepare.split", "-d", "src/prepare.py", "-d", "data/data.xml", "-o", "data/prepared"]
    result = pivot("stage", "add", *args, "python", "src/prepare.py", "data/data.xml", "data/prepared")
    assert result.exit_code == 0, result.output
    assert "Stage 'prepare' added in pivot.yaml" in result.output
    assert yaml.safe_load((root / "pivot.yaml").read_text()) == {
        "stages": {
            "prepare": {
                "cmd": "python src/prepare.py data/data.xml data/prepared",
                "deps": ["src/prepare.py", "data/data.xml"],
                "params": ["prepare.seed", "prepare.split"],
                "outs": ["data/prepared"],
            }
        }
    }
    ran = pivot("run")
    assert ran.exit_code == 0 and "1 ran" in ran.output, ran.output
    assert (root / "data/prepared/t.csv").read_text() == "<x/>\n"


def test_every_option_and_the_users_comments_survive(project, pivot):
    original = "# our pipeline\nstages:\n  first:  # the first one\n    cmd: echo 1 > one.txt\n    outs: [one.txt]\n"
    root = project({"pivot.yaml": original, "other.yaml": "a: 1\nb: 2\n", "params.yaml": "lr: 0.1\n"})
    args = [
        "-n", "second", "-d", "one.txt", "-O", "kept.txt", "-M", "m.json", "-m", "cached.json",
        "--plots-no-cache", "loss.csv", "-p", "lr", "-p", "other.yaml:a,b", "-w", ".", "--always-changed",
    ]
    result = pivot("stage", "add", *args, "--", "sh", "-c", "make all")
    assert result.exit_code == 0, result.output
    text = (root / "pivot.yaml").read_text()
    assert text.startswith(original)  # the first stage and both comments, untouched
    assert yaml.safe_load(text)["stages"]["second"] == {
        "cmd": "sh -c make all",
        "wdir": ".",
        "deps": ["one.txt"],
        "params": ["lr", {"other.yaml": ["a", "b"]}],
        "outs": [{"kept.txt": {"cache": False}}],
        "metrics": ["cached.json", {"m.json": {"cache": False}}],
        "plots": [{"loss.csv": {"cache": False}}],
        "always_changed": True,
    }
    replaced = pivot("stage", "add", "-f", "-n", "first", "-o", "one.txt", "echo", "uno", ">", "one.txt")
    assert replaced.exit_code == 0 and "Stage 'first' replaced" in replaced.output
    data = yaml.safe_load((root / "pivot.yaml").read_text())
    assert list(data["stages"]) == ["first", "second"] and data["stages"]["first"]["cmd"] == "echo uno > one.txt"


def test_bad_input_leaves_pivot_yaml_as_it_was(project, pivot):
    original = "stages:\n  make:  # keep me\n    cmd: echo x > out.txt\n    outs: [out.txt]\n"
    root = project({"pivot.yaml": original})
    cases = [
        (("-n", "make", "echo", "again"), "stage 'make' already exists in pivot.yaml", "-f"),
        (("-n", "twin", "-o", "out.txt", "echo", "y"), "both declare the output 'out.txt'"),
        (("-n", "loop", "-d", "loop.txt", "-o", "loop.txt", "cat", "loop.txt"), "loop"),
        (("-n", "bad/name", "echo", "z"), "bad/name"),
    ]
    for args, *fragments in cases:
        assert_clean_error(pivot("stage", "add", *args), *fragments)
        assert (root / "pivot.yaml").read_text() == original


def test_a_stage_cannot_be_added_to_a_pipeline_py_project(project, pivot):
    root = project({"pipeline.py": "from pivot.pipeline import Pipeline\npipeline = Pipeline('p')\n"})
    assert_clean_error(pivot("stage", "add", "-n", "x", "echo", "hi"), "declares its stages in pipeline.py")
    assert not (root / "pivot.yaml").exists()


def test_run_runs_the_new_stage_and_a_failure_is_exit_1(project, pivot):
    root = project({".pivot/config.yaml": "{}\n"})
    ok = pivot("stage", "add", "-n", "hello", "-o", "hello.txt", "--run", "--", "echo hi > hello.txt")
    assert ok.exit_code == 0, ok.output
    assert (root / "hello.txt").read_text() == "hi\n" and "1 ran" in ok.output
    failed = pivot("stage", "add", "-n", "broken", "--run", "--", "exit 3")
    assert failed.exit_code == 1 and "exited with code 3" in failed.output
    assert "broken" in yaml.safe_load((root / "pivot.yaml").read_text())["stages"]  # added all the same


def test_freeze_and_unfreeze_set_the_key_and_keep_the_file(project, pivot):
    original = "stages:\n  make:  # keep me\n    cmd: echo x > out.txt\n    outs: [out.txt]\n  sweep:\n    matrix:\n      n: [1, 2]\n    cmd: echo ${n} > s${n}.txt\n    outs:\n      - s${n}.txt\n"
    root = project({"pivot.yaml": original})
    assert pivot("run").exit_code == 0
    frozen = pivot("freeze", "make", "sweep")
    assert frozen.exit_code == 0 and "make: frozen" in frozen.output, frozen.output
    data = yaml.safe_load((root / "pivot.yaml").read_text())
    assert data["stages"]["make"]["frozen"] is True and data["stages"]["sweep"]["frozen"] is True
    assert "# keep me" in (root / "pivot.yaml").read_text()
    assert pivot("status").output.split() == ["make", "frozen", "sweep@1", "frozen", "sweep@2", "frozen"]
    assert "make: frozen already" in pivot("freeze", "make").output
    assert pivot("unfreeze", "make", "sweep").exit_code == 0
    assert (root / "pivot.yaml").read_text() == original
    assert_clean_error(pivot("freeze", "nope"), "no stage 'nope' in pivot.yaml", "make, sweep")
    assert_clean_error(pivot("freeze", "sweep@1"), "variant of the matrix stage 'sweep'", "pivot freeze sweep")
    assert (root / "pivot.yaml").read_text() == original
