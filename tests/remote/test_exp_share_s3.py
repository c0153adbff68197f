"""`pivot exp push` / `pivot exp pull` on real S3 servers: moto carries the whole story (a git clone
lists and applies what was pushed, and runs nothing), and a SeaweedFS server stopped in the middle
of a push never ends up holding a record whose objects it lacks."""

from __future__ import annotations

import pathlib
import subprocess
from typing import Any

import pytest
import servers
import yaml
from experiments.expsupport import make_project, record_experiment, runs
from servers import Backend

from pivot.api import Project, exp_share
from pivot.remote import layout

pytest_plugins = ("servers",)
pytestmark = pytest.mark.slow  # servers, and a clone


def _configure(root: pathlib.Path, entry: dict[str, Any]) -> None:
    """The remote as a teammate's machine has it: the whole entry (credentials too) in the
    git-ignored local config."""
    (root / ".pivot" / "config.local.yaml").write_text(yaml.safe_dump({"remotes": {"origin": entry}, "default_remote": "origin"}))


def _exps(tmp_path: pathlib.Path, entry: dict[str, Any]) -> pathlib.Path:
    root = make_project(tmp_path / "a")
    _configure(root, entry)
    record_experiment(root, "exp-1", {"train.lr": 0.5}, "2026-12-05T10:00:00Z")
    record_experiment(root, "exp-2", {"train.lr": 0.01, "train.epochs": 10}, "2026-12-05T11:00:00Z")
    return root


def test_a_clone_applies_experiments_pushed_to_s3(request, client_env, tmp_path, monkeypatch, pivot):
    backend = servers.make_backend("moto", request, tmp_path)
    root = _exps(tmp_path, dict(backend.config))
    monkeypatch.chdir(root)
    pushed = pivot("exp", "push")
    assert pushed.exit_code == 0, pushed.output
    assert "Pushed 2 experiments to origin, 0 already there" in pushed.output
    assert backend.remote().list_keys("exps/") == ["exps/exp-1.json", "exps/exp-2.json"]

    clone = tmp_path / "b"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, capture_output=True)
    _configure(clone, dict(backend.config))
    monkeypatch.chdir(clone)
    pulled = pivot("exp", "pull")
    assert pulled.exit_code == 0, pulled.output
    assert "Pulled 2 experiments from origin" in pulled.output
    before = runs(clone, "train")
    applied = pivot("exp", "apply", "exp-1")
    assert applied.exit_code == 0, applied.output
    assert (clone / "model.txt").read_text() == "model(ROWS, lr=0.5, epochs=3)"
    status = pivot("status")
    assert status.exit_code == 0 and "will run" not in status.output
    assert runs(clone, "train") == before


def test_a_server_stopped_mid_push_holds_no_record_without_its_objects(tmp_path, client_env):
    server = servers.seaweedfs(tmp_path).start()
    try:
        entry = servers.s3_config(server.endpoint, "pivot-exps", connect_timeout="1", pack=False)
        Backend("seaweedfs", entry, tmp_path).raw()[0].mkdir("pivot-exps")
        root = _exps(tmp_path, entry)
        proj = Project.open(root)
        broken = exp_share.push(proj, jobs=1, progress=_StopAfterFirstFile(server))
        assert not broken.ok and broken.pushed == ()
        assert {name for name, _ in broken.held_back} == {"exp-1", "exp-2"}

        server.start()
        remote = Backend("seaweedfs", entry, tmp_path).remote()
        assert remote.list_keys(layout.EXPS) == []  # no record went up without its objects
        resumed = exp_share.push(proj)
        assert resumed.ok and resumed.pushed == ("exp-1", "exp-2"), resumed
        assert resumed.objects is not None and resumed.objects.already >= 1  # what went up before the stop
        assert remote.list_keys(layout.EXPS) == ["exps/exp-1.json", "exps/exp-2.json"]
    finally:
        server.stop(grace=0)


class _StopAfterFirstFile:
    """A push's progress that stops the server once the first file is up."""

    def __init__(self, server: servers.Server) -> None:
        self._server = server

    def start(self, objects: int, size: int) -> None:
        pass

    def advance(self, files: int, size: int) -> None:
        if files and self._server.process is not None:
            self._server.stop()

    def waiting_for_gc(self, remote: str, age: float) -> None:
        pass

