"""run -> push -> git clone -> pull -> identical outputs and nothing to run, on real remotes
configured through the CLI as a user would (credentials with --local, set again in the clone)."""

from __future__ import annotations

import pathlib
import subprocess

import pytest
from click.testing import CliRunner, Result

from pivot.base import redaction
from pivot.cli import cli

pytest_plugins = ("servers",)

STAGES = '''
import pathlib
from typing import Annotated, TypedDict
from pivot import loaders, outputs


class Made(TypedDict):
    table: Annotated[pathlib.Path, outputs.Out("tables", loaders.PathOnly())]
    model: Annotated[bytes, outputs.Out("model.bin", loaders.Pickle())]


def make(text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Made:
    out = pathlib.Path("tables")
    (out / "nested").mkdir(parents=True)
    for i, word in enumerate(text.split()):
        (out / "nested" / f"{i}.csv").write_text(f"{i},{word}\\n" * 100)
    return {"table": out, "model": text.encode() * 1000}
'''


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _configure(entry: dict, *, secrets_only: bool = False) -> None:
    for key, value in entry.items():
        if key == "url" or isinstance(value, dict):
            continue  # nested client settings stay at their defaults here
        secret = redaction.is_secret_option(key, value)
        if secrets_only and not secret:
            continue
        args = ["remote", "modify", *(["--local"] if secret else []), "origin", key, str(value)]
        assert invoke(*args).exit_code == 0


def _files(root: pathlib.Path) -> dict[str, bytes]:
    skip = {".git", ".pivot", "__pycache__"}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not skip & set(p.parts)}


def _git(root: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.mark.parametrize(
    "backend",
    # The quick subset keeps the directory remote; the servers' end-to-end runs are in the full run.
    ["dir", *(pytest.param(kind, marks=pytest.mark.slow) for kind in ("moto", "gcs", "seaweedfs"))],
    indirect=True,
)
@pytest.mark.parametrize("words", [4, 40], ids=["one-object-per-file", "packed"])
def test_a_clone_pulls_what_was_pushed_and_runs_nothing(backend, words, tmp_path, monkeypatch):
    root = backend.project_root
    (root / "stages.py").write_text(STAGES)
    (root / "pivot.yaml").write_text("stages:\n  make:\n    python: stages.make\n")
    (root / "input.txt").write_text(" ".join(f"word{i}" for i in range(words)))
    (root / ".gitignore").write_text("tables/\nmodel.bin\n")
    monkeypatch.chdir(root)
    assert invoke("run", "--executor", "inprocess").exit_code == 0
    url = backend.config["url"]
    assert invoke("remote", "add", "-d", "origin", url).exit_code == 0
    _configure(dict(backend.config))
    pushed = invoke("push")
    assert pushed.exit_code == 0, pushed.output
    assert f"Pushed {words + 2} files" in pushed.output  # the csv files, their manifest, the model
    assert bool(backend.remote().list_keys("packs/")) == (words >= 16)  # 40 small files: a pack
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "run")

    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(root), str(clone))
    monkeypatch.chdir(clone)
    if url.startswith("../"):  # a relative directory remote resolves against each project root
        assert invoke("remote", "modify", "origin", "url", str((root / url).resolve())).exit_code == 0
    _configure(dict(backend.config), secrets_only=True)  # credentials are per machine
    pulled = invoke("pull")
    assert pulled.exit_code == 0, pulled.output
    assert f"Fetched {words + 2} files" in pulled.output and "Restored 2 outputs" in pulled.output
    assert _files(clone) == _files(root)
    noop = invoke("run", "--executor", "inprocess")
    assert noop.exit_code == 0 and "0 ran, 1 skipped" in noop.output
    again = invoke("push")
    assert again.exit_code == 0 and "Pushed 0 files" in again.output
