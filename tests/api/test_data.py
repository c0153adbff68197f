"""pivot.api.load and pivot.api.open: an output from the workspace, else the cache, else the
remote, and at a git revision through the lock committed there; a clear error otherwise."""

from __future__ import annotations

import json
import shutil

import pytest

import pivot.api
from pivot import errors
from pivot.api import Project, load
from pivot.api import open as api_open
from tests.api.conftest import commit_all, git


def test_load_reads_the_workspace_through_the_declared_loader(make_project):
    a = make_project("a", tag="A")
    Project.open(a).run(executor="inprocess")
    (a / "model.json").write_text(json.dumps({"edited": True}))  # the workspace wins, as in dvc.api
    assert pivot.api.load("train", output="model", project=a) == {"edited": True}
    assert pivot.api.load("model.json", project=a) == {"edited": True}
    assert pivot.api.load("train", output="metrics.json", project=a) == {"lr": 0.1, "epochs": 3}


def test_load_and_open_fall_back_to_the_cache_when_the_workspace_file_is_gone(make_project):
    a = make_project("a", tag="A")
    Project.open(a).run(executor="inprocess")
    (a / "out.txt").unlink()
    (a / "model.json").unlink()
    assert pivot.api.load("make", project=a) == "A:hello"
    assert pivot.api.load("train", "model", project=a)["made"] == "A:hello"
    with pivot.api.open("out.txt", project=a) as handle:
        assert handle.read() == b"A:hello"
    assert not (a / "out.txt").exists()  # reading restores nothing into the workspace


def test_load_and_open_at_a_git_revision_read_what_that_revision_recorded(make_project):
    a = make_project("a", tag="A", data="one\n")
    proj = Project.open(a)
    proj.run(executor="inprocess")
    commit_all(a, "first")
    first = git(a, "rev-parse", "HEAD").strip()
    (a / "data.txt").write_text("two\n")
    proj.run(executor="inprocess", overrides={"train.lr": 0.5})
    commit_all(a, "second")

    assert pivot.api.load("make", project=a) == "A:two"
    assert pivot.api.load("make", rev=first, project=a) == "A:one"  # from the cache, by the old lock
    assert pivot.api.load("train", "score", rev=first, project=a) == {"lr": 0.1, "epochs": 3}  # git-tracked metric
    with pivot.api.open("out.txt", rev=first, project=a) as handle:
        assert handle.read() == b"A:one"
    with pivot.api.open("data.txt", rev=first, project=a) as handle:  # a plain file git has
        assert handle.read() == b"one\n"
    with pivot.api.open("data.txt", project=a) as handle:
        assert handle.read() == b"two\n"
    assert proj.params(rev=first) == {"train": {"lr": 0.1, "epochs": 3}}
    assert proj.metrics(rev=first).metrics == {"metrics.json": {"lr": 0.1, "epochs": 3}}
    assert proj.metrics().metrics == {"metrics.json": {"lr": 0.5, "epochs": 3}}


def test_load_fetches_from_the_default_remote_when_the_cache_lacks_the_object(make_project, tmp_path, monkeypatch, pivot):
    a = make_project("a", tag="A")
    (a / ".pivot").mkdir()
    (a / ".pivot" / "config.yaml").write_text(f"remotes:\n  store:\n    url: {tmp_path / 'store'}\n")
    Project.open(a).run(executor="inprocess")
    monkeypatch.chdir(a)
    assert pivot("push").exit_code == 0
    shutil.rmtree(a / ".pivot" / "cache")
    (a / "out.txt").unlink()
    assert load("make", project=a) == "A:hello"
    with api_open("out.txt", project=a) as handle:
        assert handle.read() == b"A:hello"


def test_a_missing_output_or_unknown_name_is_a_clear_input_error(make_project):
    a = make_project("a", tag="A")
    with pytest.raises(errors.InputError, match=r"'out.txt' \(stage 'make'\) is not in the workspace.*never run") as caught:
        pivot.api.load("make", project=a)
    assert "pivot run make" in (caught.value.hint or "")
    with pytest.raises(errors.InputError, match="'nope' is neither a stage nor the output of one"):
        pivot.api.load("nope", project=a)
    with pytest.raises(errors.InputError, match="stage 'train' has 2 outputs"):
        pivot.api.load("train", project=a)
    with pytest.raises(errors.InputError, match="stage 'train' has no output 'modle'") as caught:
        pivot.api.load("train", output="modle", project=a)
    assert "model" in (caught.value.hint or "")
    with pytest.raises(errors.PathError, match=r"'absent\.txt' does not exist in the workspace"):
        pivot.api.open("absent.txt", project=a)


def test_a_removed_object_with_no_remote_says_what_to_do(make_project):
    a = make_project("a", tag="A")
    Project.open(a).run(executor="inprocess")
    (a / "out.txt").unlink()
    shutil.rmtree(a / ".pivot" / "cache")
    with pytest.raises(errors.InputError, match="neither in the workspace nor in the cache, and no remote can supply it"):
        pivot.api.load("make", project=a)


def test_open_reads_a_file_inside_a_directory_output_from_the_cache(make_project):
    a = make_project("a", tag="A")
    with open(a / "stages.py", "a") as handle:
        handle.write(
            "\n\ndef shards(made: Annotated[str, outputs.Dep('out.txt', loaders.Text())]) -> "
            "Annotated[pathlib.Path, outputs.Out('shards', loaders.PathOnly())]:\n"
            "    pathlib.Path('shards/sub').mkdir(parents=True, exist_ok=True)\n"
            "    pathlib.Path('shards/sub/one.txt').write_text(made + '!')\n"
            "    return pathlib.Path('shards')\n"
        )
    (a / "pivot.yaml").write_text((a / "pivot.yaml").read_text() + "  shards:\n    python: stages.shards\n")
    assert Project.open(a).run(executor="inprocess").ok
    shutil.rmtree(a / "shards")
    with api_open("shards/sub/one.txt", project=a) as handle:
        assert handle.read() == b"A:hello!"
    with pytest.raises(errors.PathError, match="'shards' is a directory"):
        api_open("shards", project=a)
    loaded = load("shards", project=a)  # PathOnly: a path to a copy of the directory
    assert (loaded / "sub" / "one.txt").read_text() == "A:hello!"
