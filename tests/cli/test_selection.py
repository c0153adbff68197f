"""Run selection (docs/selection.md): --downstream, --single-stage, --tag/--exclude-tag,
--omit-from and --allow-missing on run, status and explain, seen through which stages ran (each appends its
letter to log.txt) and what status lists."""

from __future__ import annotations

import pathlib

from conftest import assert_clean_error

RUN = ("run", "--executor", "inprocess")
PIPELINE = """\
stages:
  prepare:
    cmd: echo p >> log.txt && echo PREP > clean.txt
    outs:
      - clean.txt
    tags: [data]
  train:
    cmd: echo t >> log.txt && cat clean.txt > model.txt
    deps:
      - clean.txt
    outs:
      - model.txt
    tags: [ml, slow]
  evaluate:
    cmd: echo e >> log.txt && cat model.txt > report.txt
    deps:
      - model.txt
    outs:
      - report.txt
    tags: [ml]
  lint:
    cmd: echo l >> log.txt && echo ok > lint.txt
    outs:
      - lint.txt
"""


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def ran(root: pathlib.Path) -> str:
    """The stages that ran since the last call, by their letters, and forget them."""
    log = root / "log.txt"
    letters = "".join(log.read_text().split()) if log.exists() else ""
    log.unlink(missing_ok=True)
    return letters


def states(out: str) -> dict[str, str]:
    """`pivot status` lines as stage -> what it says of it."""
    return dict(line.split(None, 1) for line in out.splitlines())


def edit(root: pathlib.Path, *marks: str) -> None:
    """Change the commands of the stages writing these marks (p, t, e, l): they become stale."""
    text = (root / "pivot.yaml").read_text()
    for mark in marks:
        text = text.replace(f"echo {mark} >>", f"echo {mark} >> log.txt; echo {mark} >>", 1)
    (root / "pivot.yaml").write_text(text)


def test_downstream_runs_the_stage_and_what_depends_on_it_but_not_its_upstream(project, pivot):
    root = project({"pivot.yaml": PIPELINE})
    ok(pivot(*RUN))
    ran(root)
    edit(root, "p", "t", "e")
    ok(pivot(*RUN, "--downstream", "train"))
    assert ran(root) == "ttee"  # train (edited: it logs twice) and evaluate; prepare not
    assert states(ok(pivot("status")))["prepare"].startswith("will run: Command changed")


def test_status_and_explain_with_downstream_list_the_stage_and_its_downstream(project, pivot):
    project({"pivot.yaml": PIPELINE})
    ok(pivot(*RUN))
    out = ok(pivot("status", "--downstream", "train"))
    assert [line.split()[0] for line in out.splitlines()] == ["train", "evaluate"]
    explained = ok(pivot("explain", "--downstream", "evaluate"))
    assert "Stage: evaluate" in explained and "Stage: train" not in explained


def test_single_stage_runs_only_the_named_stage(project, pivot):
    root = project({"pivot.yaml": PIPELINE})
    ok(pivot(*RUN))
    ran(root)
    edit(root, "p", "t", "e")
    assert states(ok(pivot("run", "-n", "-s", "train"))) == {"train": "will run: Command changed"}
    ok(pivot(*RUN, "-s", "train"))
    assert ran(root) == "tt"
    status = states(ok(pivot("status")))
    assert status["prepare"].startswith("will run") and status["evaluate"].startswith("will run: Command changed")


def test_single_stage_whose_dep_is_missing_exits_2_naming_it_and_its_producer(project, pivot):
    root = project({"pivot.yaml": PIPELINE})
    result = pivot(*RUN, "--single-stage", "train")
    assert result.exit_code == 2, result.output
    assert "stage 'train' needs 'clean.txt', which does not exist, and its producer 'prepare' is not selected" in result.output
    assert "--allow-missing" in result.output and "Traceback" not in result.output
    assert ran(root) == ""
    assert pivot("status", "-s", "train").exit_code == 2  # status refuses the same selection


def test_tag_selects_tagged_stages_and_their_upstream(project, pivot):
    root = project({"pivot.yaml": PIPELINE})
    ok(pivot(*RUN, "--tag", "ml"))
    assert ran(root) == "pte"  # prepare is upstream of train; lint has no tag
    assert not (root / "lint.txt").exists()
    out = ok(pivot("status", "--tag", "ml"))
    assert [line.split()[0] for line in out.splitlines()] == ["train", "evaluate"]
    out = ok(pivot("status", "--tag", "data", "--tag", "slow"))  # any of the tags
    assert [line.split()[0] for line in out.splitlines()] == ["prepare", "train"]


def test_tag_narrows_the_named_stages(project, pivot):
    project({"pivot.yaml": PIPELINE})
    out = ok(pivot("status", "train", "evaluate", "--tag", "slow"))
    assert [line.split()[0] for line in out.splitlines()] == ["train"]


def test_exclude_tag_leaves_out_stages_even_upstream_ones(project, pivot):
    root = project({"pivot.yaml": PIPELINE})
    ok(pivot(*RUN))
    ran(root)
    edit(root, "p", "t", "e", "l")
    ok(pivot(*RUN, "--exclude-tag", "slow"))
    assert ran(root) == "ppeell"  # train stays as it was: its output is there for evaluate
    assert states(ok(pivot("status")))["train"] == "will run: Command changed"


def test_omit_from_leaves_out_a_stage_and_everything_downstream_of_it(project, pivot):
    root = project({"pivot.yaml": PIPELINE})
    ok(pivot(*RUN))
    ran(root)
    edit(root, "p", "t", "e", "l")
    ok(pivot(*RUN, "--omit-from", "train"))  # as Snakemake's --omit-from: train and evaluate stay
    assert ran(root) == "ppll"
    assert list(states(ok(pivot("status", "--omit-from", "model.txt")))) == ["prepare", "lint"]  # by its output too
    assert ok(pivot("dag", "--omit-from", "prepare")).split() == ["lint"]
    assert_clean_error(pivot(*RUN, "--omit-from", "trian"), "unknown stage 'trian'", "did you mean 'train'?")


def test_allow_missing_skips_with_a_line_what_cannot_run_and_runs_the_rest(project, pivot):
    root = project({"pivot.yaml": PIPELINE})
    refused = pivot(*RUN, "--exclude-tag", "slow")  # evaluate needs model.txt, which only train makes
    assert refused.exit_code == 2, refused.output
    assert "stage 'evaluate' needs 'model.txt'" in refused.output
    out = ok(pivot(*RUN, "--exclude-tag", "slow", "--allow-missing"))
    assert "evaluate  skipped: needs 'model.txt', missing and not produced by a selected stage" in out
    assert ran(root) == "pl"


def test_allow_missing_skips_a_stage_whose_source_is_missing_and_its_downstream(project, pivot):
    pipeline = PIPELINE.replace("echo PREP > clean.txt", "cat raw.txt > clean.txt").replace(
        "    outs:\n      - clean.txt", "    deps:\n      - raw.txt\n    outs:\n      - clean.txt"
    )
    root = project({"pivot.yaml": pipeline})
    assert pivot(*RUN).exit_code == 2  # raw.txt: nothing makes it
    out = ok(pivot(*RUN, "--allow-missing"))
    assert "prepare  skipped: needs 'raw.txt', missing and not produced by a selected stage" in out
    assert "train  skipped: needs stage 'prepare', which is skipped" in out
    assert "evaluate  skipped: needs stage 'train', which is skipped" in out
    assert ran(root) == "l"
    listed = ok(pivot("status", "--allow-missing")).splitlines()
    assert listed[:3] == [
        "prepare  skipped: needs 'raw.txt', missing and not produced by a selected stage",
        "train  skipped: needs stage 'prepare', which is skipped",
        "evaluate  skipped: needs stage 'train', which is skipped",
    ]
    assert states("\n".join(listed[3:])) == {"lint": "up to date"}


def test_an_unknown_tag_exits_2_and_suggests_one(project, pivot):
    project({"pivot.yaml": PIPELINE})
    result = pivot("run", "--tag", "mll")
    assert result.exit_code == 2, result.output
    assert "no stage has the tag 'mll'" in result.output and "'ml'" in result.output


def test_downstream_and_single_stage_together_exit_2(project, pivot):
    project({"pivot.yaml": PIPELINE})
    result = pivot("status", "--downstream", "-s", "train")
    assert result.exit_code == 2, result.output
    assert "--downstream and --single-stage" in result.output


def test_tags_that_are_not_a_list_of_names_exit_2_naming_the_key(project, pivot):
    project({"pivot.yaml": PIPELINE.replace("tags: [ml, slow]", "tags: ml")})
    result = pivot("status")
    assert result.exit_code == 2, result.output
    assert "'stages.train.tags'" in result.output and "tags: [train, gpu]" in result.output
    project({"pivot.yaml": PIPELINE.replace("tags: [ml, slow]", "tags: [ml, 3]")})
    result = pivot("status")
    assert result.exit_code == 2, result.output
    assert "'stages.train.tags'" in result.output


def test_python_stages_take_tags_too(project, pivot):
    from conftest import TRAIN_STAGES

    project(
        {
            "stages.py": TRAIN_STAGES,
            "data.txt": "rows\n",
            "pivot.yaml": "stages:\n  train:\n    python: stages.train\n    tags: [model]\n"
            "  evaluate:\n    python: stages.evaluate\n",
        }
    )
    out = ok(pivot("status", "--tag", "model"))
    assert [line.split()[0] for line in out.splitlines()] == ["train"]
    out = ok(pivot("status", "--exclude-tag", "model", "--allow-missing"))
    assert "evaluate  skipped: needs 'model.txt'" in out


def test_run_pull_restores_a_stale_stage_from_the_remote_run_cache_instead_of_running(project, pivot, tmp_path, monkeypatch):
    import shutil

    from conftest import TRAIN_STAGES, runs

    monkeypatch.setenv("PIVOT_RUN_CACHE_KEY", "the-team-key-0123456789")

    def set_lr(at: pathlib.Path, lr: float) -> None:
        (at / "pivot.yaml").write_text(f"stages:\n  train:\n    python: stages.train\n    params:\n      lr: {lr}\n")

    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n"})
    set_lr(root, 0.1)
    ok(pivot(*RUN))
    ok(pivot("remote", "add", "-d", "origin", str(tmp_path / "shared")))
    ok(pivot("push"))
    set_lr(root, 0.5)
    ok(pivot(*RUN))  # the lock now records lr=0.5; the lr=0.1 run is only on the remote's run cache

    def clone(name: str) -> pathlib.Path:
        # A fresh clone: the committed files and locks, no cache, no outputs.
        other = tmp_path / name
        shutil.copytree(root, other, ignore=shutil.ignore_patterns("cache", "tmp", "state.db", "counts", "*.txt", "*.json"))
        shutil.copy(root / "data.txt", other / "data.txt")
        set_lr(other, 0.1)
        monkeypatch.chdir(other)
        return other

    pulled = clone("pulled")
    out = ok(pivot(*RUN, "--pull"))
    assert "train: restored from run cache" in out, out
    assert runs(pulled, "train") == 0
    assert (pulled / "model.txt").read_text() == "model(rows, lr=0.1)"

    plain = clone("plain")  # without --pull the same clone runs the stage
    ok(pivot(*RUN))
    assert runs(plain, "train") == 1


def test_run_pull_without_a_remote_exits_2_naming_the_fix(project, pivot):
    root = project({"pivot.yaml": PIPELINE})
    result = pivot(*RUN, "--pull")
    assert result.exit_code == 2, result.output
    assert "remote" in result.output and "Traceback" not in result.output
    assert ran(root) == ""


def test_pipeline_py_registers_tags(project, pivot):
    from test_python_pipeline import PIPELINE as REGISTERED

    project({"pipeline.py": REGISTERED.replace("pipeline.register(prep)", "pipeline.register(prep, tags=['data'])"), "in.txt": "ab\n"})
    out = ok(pivot("status", "--tag", "data"))
    assert [line.split()[0] for line in out.splitlines()] == ["prep"]
    out = ok(pivot("status", "--downstream", "--tag", "data", "--exclude-tag", "data", "--allow-missing"))
    # The tagged stage is excluded; its downstream needs what only it makes: all skipped.
    assert out.splitlines() == [
        f"repeat@x{n}  skipped: needs 'clean.txt', missing and not produced by a selected stage" for n in (2, 3)
    ]


def test_register_refuses_tags_that_are_not_a_list_of_names():
    import pytest

    from pivot.pipeline import Pipeline

    def stage() -> None: ...

    stage.__qualname__ = "stage"
    with pytest.raises(TypeError, match="tags must be a list of tag names"):
        Pipeline("p").register(stage, tags="ml")
