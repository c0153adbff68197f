"""Shared fixtures: a project in tmp_path, the real CLI through CliRunner, and a subprocess runner."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping

import pytest
from click.testing import CliRunner, Result

from pivot.cli import cli

REPO = pathlib.Path(__file__).resolve().parents[1]

# A suite started in the background of a non-interactive shell (`bash .ci/run &`) inherits SIGINT
# ignored, and so would every `pivot` the tests start: the Ctrl-C tests would then wait for a stop
# that never comes. An ignored signal stays ignored across exec, a handled one is reset to the
# default; so handling it here gives the programs under test the disposition of a terminal.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Stage code that counts its runs: `_count("train")` appends an "x" to counts/train, and `runs`
# reads the count back.
COUNT_RUNS = '''
def _count(name):
    counts = pathlib.Path("counts")
    counts.mkdir(exist_ok=True)
    with open(counts / name, "a") as handle:
        handle.write("x")
'''


def runs(root: pathlib.Path, name: str) -> int:
    path = root / "counts" / name
    return len(path.read_text()) if path.exists() else 0


# A stage with a param, an output and a metric, and a stage downstream of it (the run-cache tests);
# each run appends an "x" to counts/<stage>.
TRAIN_STAGES = '''
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs
from pivot.stage_def import StageParams

''' + COUNT_RUNS + '''


class TrainParams(StageParams):
    lr: float = 0.1


class Trained(TypedDict):
    model: Annotated[str, outputs.Out("model.txt", loaders.Text())]
    score: Annotated[dict, outputs.Metric("metrics.json")]


def train(params: TrainParams, data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Trained:
    _count("train")
    return {"model": f"model({data.strip()}, lr={params.lr})", "score": {"lr": params.lr}}


def evaluate(model: Annotated[str, outputs.Dep("model.txt", loaders.Text())]) -> Annotated[str, outputs.Out("report.txt", loaders.Text())]:
    _count("evaluate")
    return f"report of {model}"
'''


def write_files(root: pathlib.Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


@pytest.fixture
def project(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Mapping[str, str]], pathlib.Path]:
    """Write `{relative path: text}` into a fresh project directory and make it the cwd."""
    root = tmp_path / "proj"
    root.mkdir()
    monkeypatch.chdir(root)

    def make(files: Mapping[str, str]) -> pathlib.Path:
        write_files(root, files)
        return root

    return make


@pytest.fixture
def pivot() -> Callable[..., Result]:
    """Invoke the CLI in-process, as a user would type it, in the current directory."""

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def pivot_proc() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `python -m pivot` in a subprocess (for signals, locks and real process exits)."""

    def run(*args: str, cwd: pathlib.Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("CI", None)
        return subprocess.run(
            [sys.executable, "-m", "pivot", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


def assert_hidden(result: Result, root: pathlib.Path, *secrets: str) -> None:
    """No secret in what the command printed (stdout and stderr), nor in any file `git add -A`
    would commit in project `root`."""
    for secret in secrets:
        assert secret not in result.output, result.output
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True, text=True).stdout
    for path in filter(None, tracked.split("\0")):
        content = (root / path).read_bytes().decode(errors="replace")
        leaked = [secret for secret in secrets if secret in content]
        assert not leaked, f"{path} holds a secret"


def assert_clean_error(result: Result, *fragments: str) -> None:
    """Exit 2, every fragment in the message, and no Python traceback."""
    text = result.output
    assert result.exit_code == 2, text
    assert "Traceback" not in text, text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


# The quick subset (-m "not slow" -n 2) runs the transfer and pack suites on the local kinds of remote
# only: their logic is the same on every backend, and the contract suite keeps S3 (moto) in the
# quick subset. The full run has every backend.
_QUICK_LOCAL_ONLY = ("test_transfer.py", "test_packs.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "moto" and item.path.name in _QUICK_LOCAL_ONLY:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Headless Chromium, offline (tests/browser.py); skipped, saying why, where none can be had."""
    import browser as browser_mod

    path = browser_mod.find()
    if path is None:
        pytest.skip("no Chromium here, and it cannot be installed (not root, or no apt-get)")
    return browser_mod.Browser(path, tmp_path_factory.mktemp("browser"))
