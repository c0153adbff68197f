"""`pivot import-dvc` on a miniature DVC project the test lays out itself (no DVC installed): the
converted pipeline makes what running its commands by hand makes, data comes from DVC's cache,
and every key pivot cannot express is listed with its reason."""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil
import subprocess

import pytest
import yaml
from conftest import assert_clean_error, write_files

DATA = "".join(f"row {i} {'r' if i % 3 == 0 else 'py'}\n" for i in range(40))

PREPARE = """
import os, sys, yaml
split = yaml.safe_load(open("params.yaml"))["prepare"]["split"]
rows = open(sys.argv[1]).read().splitlines()
cut = int(len(rows) * (1 - split))
os.makedirs("data/prepared", exist_ok=True)
open("data/prepared/train.txt", "w").write("\\n".join(rows[:cut]) + "\\n")
open("data/prepared/test.txt", "w").write("\\n".join(rows[cut:]) + "\\n")
"""
FEATURIZE = """
import sys
src, dst, tag = sys.argv[1:]
rows = open(src).read().split()
open(dst, "w").write(f"{tag} {sum(1 for w in rows if w == 'r')} {len(rows)}\\n")
"""
TRAIN = """
import sys
model, seed, lr, dst = sys.argv[1:]
feats = [open(f"features/{part}.txt").read() for part in ("train", "test")]
open(dst, "w").write(f"{model} seed={seed} lr={lr} " + " ".join(f.strip() for f in feats) + "\\n")
"""
EVALUATE = """
import json, os, sys
models = sorted(os.listdir("models"))
os.makedirs("eval/plots", exist_ok=True)
json.dump({"models": len(models)}, open("eval/metrics.json", "w"))
json.dump([{"step": i, "score": len(m)} for i, m in enumerate(models)], open("eval/plots/scores.json", "w"))
open("eval/report.txt", "w").write("".join(open(f"models/{m}").read() for m in models))
"""

DVC_YAML = """
vars:
  - tag: v1
stages:
  prepare:
    cmd: python src/prepare.py data/data.txt
    deps: [data/data.txt, src/prepare.py]
    params: [prepare.split]
    outs: [data/prepared]
  featurize:
    foreach: [train, test]
    do:
      cmd: python src/featurize.py data/prepared/${item}.txt features/${item}.txt ${tag}
      deps:
        - data/prepared
        - src/featurize.py
      outs:
        - features/${item}.txt
  train:
    matrix:
      model: [small, large]
      seed: [1, 2]
    cmd: mkdir -p models && python src/train.py ${item.model} ${item.seed} ${train.lr} models/${item.model}-${item.seed}.txt
    deps: [features, src/train.py]
    params: [train.lr]
    outs:
      - models/${item.model}-${item.seed}.txt
  evaluate:
    cmd: python src/evaluate.py
    deps: [models, src/evaluate.py]
    outs: [eval]
metrics:
  - eval/metrics.json
plots:
  - Scores:
      x: step
      y:
        eval/plots/scores.json: score
"""
PARAMS = "prepare:\n  split: 0.25\ntrain:\n  lr: 0.1\n"

# The commands of DVC_YAML in an order that respects its deps, written out by hand.
BY_HAND = [
    "python src/prepare.py data/data.txt",
    "mkdir -p features",
    "python src/featurize.py data/prepared/train.txt features/train.txt v1",
    "python src/featurize.py data/prepared/test.txt features/test.txt v1",
    *(f"mkdir -p models && python src/train.py {m} {s} 0.1 models/{m}-{s}.txt" for m in ("small", "large") for s in (1, 2)),
    "python src/evaluate.py",
]
OUTPUTS = ["data/prepared", "features", "models", "eval"]
FILES = {"dvc.yaml": DVC_YAML, "params.yaml": PARAMS, "src/prepare.py": PREPARE, "src/featurize.py": FEATURIZE, "src/train.py": TRAIN, "src/evaluate.py": EVALUATE}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _dvc_track(root: pathlib.Path, rel: str, text: str) -> None:
    """What `dvc add` leaves after the data is gone from the workspace: a .dvc file and DVC 3's cache."""
    md5 = _md5(text)
    cached = root / ".dvc/cache/files/md5" / md5[:2] / md5[2:]
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(text)
    name = pathlib.PurePosixPath(rel).name
    body = f"outs:\n- md5: {md5}\n  size: {len(text)}\n  hash: md5\n  path: {name}\n"
    write_files(root, {rel + ".dvc": body})


def _tree(root: pathlib.Path, rels: list[str]) -> dict[str, bytes]:
    found = {}
    for rel in rels:
        for path in sorted((root / rel).rglob("*")):
            if path.is_file() and path.name != ".gitignore":
                found[str(path.relative_to(root))] = path.read_bytes()
    return found


@pytest.fixture
def dvc_project(project) -> pathlib.Path:
    root = project(FILES)
    (root / ".dvc").mkdir()
    _dvc_track(root, "data/data.txt", DATA)
    return root


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_the_converted_pipeline_makes_what_its_commands_make_by_hand(dvc_project, pivot, tmp_path):
    by_hand = tmp_path / "by_hand"
    shutil.copytree(dvc_project, by_hand)
    (by_hand / "data/data.txt").write_text(DATA)
    for command in BY_HAND:
        subprocess.run(["/bin/sh", "-c", command], cwd=by_hand, check=True)

    imported = pivot("import-dvc")
    assert imported.exit_code == 0, imported.output
    assert "Wrote pivot.yaml (4 stages)" in imported.output
    assert (dvc_project / "data/data.txt").read_text() == DATA  # laid out from .dvc/cache
    assert yaml.safe_load((dvc_project / "data/data.txt.pvt").read_text())["size"] == len(DATA)
    ran = pivot("run", "-j", "2")
    assert ran.exit_code == 0, ran.output
    assert "8 ran" in ran.output
    assert _tree(dvc_project, OUTPUTS) == _tree(by_hand, OUTPUTS)
    assert sorted(p.name for p in (dvc_project / "models").glob("*.txt")) == ["large-1.txt", "large-2.txt", "small-1.txt", "small-2.txt"]

    status = pivot("status")
    assert status.exit_code == 0 and "data/data.txt" in status.output and "unchanged" in status.output, status.output
    (dvc_project / "params.yaml").write_text(PARAMS.replace("0.1", "0.2"))
    explained = pivot("explain", "train@small-1")
    assert "Parameters changed" in explained.output and "train.lr: 0.1 -> 0.2" in explained.output, explained.output
    assert "featurize@train" in pivot("list").output


def test_the_converted_text_keeps_dvc_names_and_places_metrics_and_plots(dvc_project, pivot):
    pivot("import-dvc")
    stages = yaml.safe_load((dvc_project / "pivot.yaml").read_text())["stages"]
    assert stages["featurize"]["matrix"] == {"item": ["train", "test"]}
    assert stages["train"]["name"] == "train@{model}-{seed}"
    assert stages["evaluate"]["metrics"] == [{"eval/metrics.json": {"cache": False}}]
    assert stages["evaluate"]["plots"] == [{"eval/plots/scores.json": {"cache": False, "x": "step", "y": "score"}}]


def test_every_key_pivot_cannot_express_is_listed_with_its_reason(project, pivot):
    project(
        {
            "dvc.yaml": """
            artifacts:
              model: {path: model.pkl}
            params: [params.yaml]
            stages:
              train:
                desc: trains it
                meta: {owner: me}
                frozen: true
                always_changed: true
                cmd: python train.py
                outs:
                  - model.pkl: {desc: the model, remote: s3, push: false, persist: true}
                  - log.txt: {checkpoint: true}
              each:
                foreach:
                  a: {n: 1}
                  b: {n: 2}
                do:
                  cmd: echo ${item.n} > out-${key}.txt
                  outs:
                    - out-${key}.txt
            metrics: [nowhere.json]
            """,
        }
    )
    result = pivot("import-dvc", "--dry-run")
    assert result.exit_code == 0, result.output
    notes = result.output.split("Not converted")[1]
    for expected in (
        "dvc.yaml:1: dvc.yaml: `artifacts` (DVC's model registry) has no pivot equivalent, dropped",
        "top-level `params`",
        "stage 'train': `meta` has no pivot equivalent, dropped",
        "stage 'train': out 'model.pkl': `desc` has no pivot equivalent, dropped",
        "out 'model.pkl': `remote` dropped: pivot pushes every cached output",
        "out 'model.pkl': `push` dropped: pivot pushes every cached output",
        "out 'log.txt': `checkpoint`",
        "`foreach` over mappings became the stages each_a, each_b",
        "metric 'nowhere.json': no stage writes it",
    ):
        assert expected in notes, f"{expected!r} not in:\n{notes}"
    stages = yaml.safe_load(result.output.split("Not converted")[0])["stages"]
    assert "stage 'train': `desc`" not in notes and stages["train"]["desc"] == "trains it"  # kept: pivot list shows it
    assert stages["train"]["frozen"] is True and stages["train"]["always_changed"] is True
    assert stages["train"]["outs"] == [{"model.pkl": {"persist": True}}, "log.txt"]
    assert stages["each_b"] == {"cmd": "echo 2 > out-b.txt", "outs": ["out-b.txt"]}


def test_dry_run_prints_the_pipeline_and_touches_nothing(dvc_project, pivot):
    before = sorted(str(p) for p in dvc_project.rglob("*"))
    result = pivot("import-dvc", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "cmd: python src/prepare.py data/data.txt" in result.output
    assert "Would track data/data.txt (from .dvc/cache) for data/data.txt.dvc" in result.output
    assert sorted(str(p) for p in dvc_project.rglob("*")) == before


def test_an_existing_pivot_yaml_is_kept_unless_forced(dvc_project, pivot):
    (dvc_project / "pivot.yaml").write_text("stages: {}\n")
    refused = pivot("import-dvc")
    assert_clean_error(refused, "pivot.yaml already exists", "--force")
    assert (dvc_project / "pivot.yaml").read_text() == "stages: {}\n"
    assert not (dvc_project / "data/data.txt").exists()
    assert pivot("import-dvc", "--force").exit_code == 0
    assert "prepare:" in (dvc_project / "pivot.yaml").read_text()


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("stages:\n  train:\n    cmd: [a\n", ["dvc.yaml:", "YAML syntax error"]),
        ("stages:\n  train:\n    cmd: x\n    deps: data.txt\n", ["dvc.yaml:4: stage 'train': 'deps' must be a list"]),
        ("stages:\n  train:\n    cmd: x\n    dep: [a]\n", ["dvc.yaml:4: stage 'train': unknown key 'dep'", "did you mean 'deps'?"]),
        ("stages:\n  train:\n    cmd: 3\n", ["dvc.yaml:3: stage 'train': 'cmd' must be a command"]),
        ("stages:\n  train:\n    cmd: x\n    outs:\n      - m.pkl: {cahce: false}\n", ["dvc.yaml:5: stage 'train': unknown option 'cahce'", "did you mean 'cache'?"]),
        ("stages:\n  train:\n    cmd: x\n    frozen: yes please\n", ["dvc.yaml:4: stage 'train': 'frozen' must be true or false"]),
        ("stagse:\n  train: {cmd: x}\n", ["dvc.yaml:1: unknown top-level key 'stagse'", "did you mean 'stages'?"]),
    ],
)
def test_a_bad_dvc_yaml_is_exit_2_naming_the_line(project, pivot, text, fragments):
    root = project({"dvc.yaml": text})
    assert_clean_error(pivot("import-dvc"), *fragments)
    assert not (root / "pivot.yaml").exists()


def test_a_project_without_dvc_files_is_exit_2(project, pivot):
    project({"README.md": "hi\n"})
    assert_clean_error(pivot("import-dvc"), "no dvc.yaml and no .dvc files")


def test_a_tracked_directory_comes_from_dvcs_cache_file_by_file(project, pivot):
    root = project({"dvc.yaml": "stages: {}\n"})
    files = {"a.txt": "alpha\n", "sub/b.txt": "beta\n"}
    listing = [{"md5": _md5(text), "relpath": rel} for rel, text in files.items()]
    manifest = json.dumps(listing)
    dir_md5 = _md5(manifest) + ".dir"
    for text in [*files.values()]:
        md5 = _md5(text)
        write_files(root, {f".dvc/cache/files/md5/{md5[:2]}/{md5[2:]}": text})
    write_files(root, {f".dvc/cache/files/md5/{dir_md5[:2]}/{dir_md5[2:]}": manifest})
    write_files(root, {"images.dvc": f"outs:\n- md5: {dir_md5}\n  nfiles: 2\n  path: images\n"})
    result = pivot("import-dvc", "--force")
    assert result.exit_code == 0, result.output
    assert (root / "images/sub/b.txt").read_text() == "beta\n"
    assert yaml.safe_load((root / "images.pvt").read_text())["nfiles"] == 2


def test_a_damaged_dvc_cache_copy_is_refused(dvc_project, pivot):
    md5 = _md5(DATA)
    (dvc_project / ".dvc/cache/files/md5" / md5[:2] / md5[2:]).write_text("tampered\n")
    result = pivot("import-dvc")
    assert result.exit_code == 1
    assert "damaged" in result.output and not (dvc_project / "data/data.txt").exists()


def test_data_is_tracked_even_when_the_converted_pipeline_does_not_load_yet(dvc_project, pivot):
    (dvc_project / "params.yaml").unlink()  # the stages list params of a file not written yet
    result = pivot("import-dvc")
    assert result.exit_code == 0, result.output
    assert (dvc_project / "data/data.txt.pvt").is_file()
    assert_clean_error(pivot("run"), "params.yaml' does not exist")


def test_a_dvc_import_url_file_is_tracked_and_says_how_to_keep_its_source(project, pivot):
    root = project({"dvc.yaml": "stages: {}\n"})
    text = "id,label\n"
    md5 = _md5(text)
    write_files(root, {f".dvc/cache/files/md5/{md5[:2]}/{md5[2:]}": text})
    body = f"md5: abc\nfrozen: true\ndeps:\n- etag: '0x1'\n  path: https://example.com/labels.csv\nouts:\n- md5: {md5}\n  size: {len(text)}\n  path: labels.csv\n"
    write_files(root, {"data/labels.csv.dvc": body})
    result = pivot("import-dvc", "--force")
    assert result.exit_code == 0, result.output
    assert (root / "data/labels.csv").read_text() == text
    assert "pivot import-url -f https://example.com/labels.csv data/labels.csv" in result.output
