"""`pivot plots show|diff --json`: what a script gets, from the workspace, git revisions and
experiments, as a user runs the commands in a real project with a real git history."""

from __future__ import annotations

import base64
import shutil

import pytest

from tests.plots.conftest import as_json, git, run_and_commit


def _by_id(output: str) -> dict[str, dict]:
    return {plot["id"]: plot for plot in as_json(output)["plots"]}


def test_show_json_gives_every_plot_resolved_as_the_workspace_has_it(plots_project, pivot):
    result = pivot("plots", "show", "--json")
    assert result.exit_code == 0, result.output
    plots = _by_id(result.stdout)
    assert list(plots) == ["train:loss.csv", "train:confusion.csv", "train:curve.png"]

    loss = plots["train:loss.csv"]
    assert loss["kind"] == "data"
    assert loss["spec"] | {} == {
        "path": "loss.csv", "template": "linear", "x": "epoch", "y": ["loss", "val_loss"],
        "title": "Loss", "x_label": None, "y_label": None, "stage": "train",
    }
    (series,) = loss["series"]
    assert series["revision"] == "workspace" and series["error"] is None
    assert series["rows"][0] == {"epoch": 0, "loss": 1.0, "val_loss": 1.1}  # numbers, not text
    assert len(series["rows"]) == 4

    confusion = plots["train:confusion.csv"]
    assert (confusion["spec"]["x"], confusion["spec"]["y"]) == ("actual", ["predicted"])
    assert confusion["series"][0]["rows"][1] == {"actual": "cat", "predicted": "dog"}

    image = plots["train:curve.png"]
    assert image["kind"] == "image"
    picture = image["series"][0]["image"]
    assert base64.b64decode(picture["base64"]).startswith(b"\x89PNG") and picture["size"] == (plots_project / "curve.png").stat().st_size


def test_targets_are_plot_paths_or_stages_and_an_unknown_one_is_a_clear_error(plots_project, pivot):
    assert list(_by_id(pivot("plots", "show", "loss.csv", "--json").stdout)) == ["train:loss.csv"]
    assert len(_by_id(pivot("plots", "show", "train", "--json").stdout)) == 3
    result = pivot("plots", "show", "los.csv", "--json")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "'los.csv' is neither a plot file nor a stage" in result.output and "did you mean 'loss.csv'" in result.output


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_diff_overlays_an_older_revision_and_the_workspace_in_the_order_asked(plots_project, pivot):
    run_and_commit(plots_project, "2.0", "second")
    (plots_project / "data.txt").write_text("4.0\n")
    assert pivot("run").exit_code == 0

    result = pivot("plots", "diff", "HEAD~1", "--json", "-t", "loss.csv")
    assert result.exit_code == 0, result.output
    (loss,) = as_json(result.stdout)["plots"]
    assert [s["revision"] for s in loss["series"]] == ["HEAD~1", "workspace"]
    assert [s["rows"][0]["loss"] for s in loss["series"]] == [1.0, 4.0]

    default = as_json(pivot("plots", "diff", "--json", "-t", "train").stdout)["plots"]
    assert [s["revision"] for s in default[0]["series"]] == ["HEAD", "workspace"]
    assert [s["rows"][0]["loss"] for s in default[0]["series"]] == [2.0, 4.0]
    assert all(s["error"] is None for plot in default for s in plot["series"])

    both = as_json(pivot("plots", "diff", "HEAD", "HEAD~1", "--json", "-t", "loss.csv").stdout)["plots"]
    assert [s["rows"][0]["loss"] for s in both[0]["series"]] == [2.0, 1.0]


def test_a_revision_missing_a_plot_or_its_object_says_what_to_do_and_the_rest_still_draw(plots_project, pivot):
    run_and_commit(plots_project, "2.0", "second")
    shutil.rmtree(plots_project / ".pivot" / "cache")  # HEAD~1's cached plots are gone
    result = pivot("plots", "diff", "HEAD~1", "--json")
    assert result.exit_code == 0, result.output
    plots = _by_id(result.stdout)
    old, now = plots["train:loss.csv"]["series"]
    assert old["error"] == "loss.csv at HEAD~1: not in the cache: run 'pivot pull' (or 'pivot fetch')"
    assert now["error"] is None and now["rows"][0]["loss"] == 2.0
    assert "warning: loss.csv at HEAD~1: not in the cache" in result.stderr
    old, now = plots["train:confusion.csv"]["series"]  # git tracks it: read from git, no cache needed
    assert (len(old["rows"]), len(now["rows"])) == (3, 4)

    unknown = pivot("plots", "diff", "no-such-rev", "--json")
    assert unknown.exit_code == 2 and "unknown git revision 'no-such-rev'" in unknown.output


def test_diff_fetches_missing_plot_files_from_the_remote_first(plots_project, pivot, tmp_path):
    (plots_project / ".pivot" / "config.yaml").write_text(f"remotes:\n  store:\n    url: {tmp_path / 'store'}\n")
    assert pivot("push").exit_code == 0
    run_and_commit(plots_project, "2.0", "second")
    shutil.rmtree(plots_project / ".pivot" / "cache")

    result = pivot("plots", "diff", "HEAD~1", "--json", "-t", "loss.csv")
    assert result.exit_code == 0, result.output
    (loss,) = as_json(result.stdout)["plots"]
    old, now = loss["series"]
    assert old["error"] is None and old["rows"][0]["loss"] == 1.0
    assert now["error"] is None and now["rows"][0]["loss"] == 2.0  # the workspace file, as it is
    assert "fetched 1 plot file(s) from remote 'store'" in result.stderr


def test_an_unreachable_remote_becomes_the_series_error(plots_project, pivot, tmp_path):
    run_and_commit(plots_project, "2.0", "second")
    shutil.rmtree(plots_project / ".pivot" / "cache")
    (plots_project / ".pivot" / "config.yaml").write_text(f"remotes:\n  store:\n    url: {tmp_path / 'nothing-here'}\n")
    result = pivot("plots", "diff", "HEAD~1", "--json", "-t", "loss.csv")
    assert result.exit_code == 0, result.output
    old = as_json(result.stdout)["plots"][0]["series"][0]
    assert old["error"].startswith("loss.csv at HEAD~1: not in the cache, and remote 'store' could not supply it")


def test_a_plot_not_made_at_a_revision_says_so(plots_project, pivot):
    git(plots_project, "rm", "-q", "--cached", ".pivot/stages/train.lock")
    git(plots_project, "commit", "-q", "-m", "forget the lock")
    result = pivot("plots", "diff", "HEAD", "--json", "-t", "loss.csv")
    old = as_json(result.stdout)["plots"][0]["series"][0]
    assert old["error"] == "loss.csv is not at HEAD: stage 'train' had not made it there (its lock does not list it)"


@pytest.mark.slow  # an experiment runs in its own scratch workspace, through the process pool
def test_diff_draws_an_experiment_beside_the_workspace(plots_project, pivot):
    assert pivot("exp", "run", "-S", "train.factor=3", "--name", "triple").exit_code == 0
    result = pivot("plots", "diff", "triple", "--json", "-t", "loss.csv")
    assert result.exit_code == 0, result.output
    (loss,) = as_json(result.stdout)["plots"]
    assert [s["revision"] for s in loss["series"]] == ["triple", "workspace"]
    assert [s["rows"][0]["loss"] for s in loss["series"]] == [3.0, 1.0]


def test_a_cached_plot_missing_from_the_workspace_is_drawn_from_the_cache(plots_project, pivot):
    (plots_project / "loss.csv").unlink()  # as in a clone that fetched but did not check out
    (plots_project / "confusion.csv").unlink()  # git tracks it: no cache copy to fall back on
    plots = _by_id(pivot("plots", "show", "--json").stdout)
    assert plots["train:loss.csv"]["series"][0]["rows"][0]["loss"] == 1.0
    assert plots["train:confusion.csv"]["series"][0]["error"] == "confusion.csv is not in the workspace: run 'pivot run train' (or 'pivot pull')"
    assert not (plots_project / "loss.csv").exists()  # reading restores nothing
