"""Work done under one Python version is reused under the others: the same code fingerprints on
CPython 3.11, 3.12 and 3.13, a project run under one is up to date under the others, and a run
cache pushed from one restores under another.

Each other interpreter gets a virtual environment with pivot installed from this checkout (made
once with uv and kept under ~/.cache, keyed by pyproject.toml). An interpreter that cannot be
found is a skip on a developer's machine and a failure under CI=true, where both are installed."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest
from conftest import REPO, TRAIN_STAGES, runs, write_files
from test_code_gaps import GAPS

pytestmark = pytest.mark.slow

OTHERS = ("3.12", "3.13")
CORPUS = REPO / "tests" / "fingerprint_corpus"
SYNTAX_TOUR = ("fstrings", "arguments", "flow", "matching", "groups", "scopes", "Point.make", "Point")
KEY = "the-team-key-0123456789"


def _find_interpreter(version: str) -> str | None:
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python"), reverse=True)
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


@contextlib.contextmanager
def _locked(path: pathlib.Path) -> Iterator[None]:
    """One builder at a time (pytest-xdist workers share the cache directory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _venv_for(version: str) -> pathlib.Path:
    interpreter = _find_interpreter(version)
    if interpreter is None:
        message = f"no CPython {version} found (on PATH as python{version} or under pyenv)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": CI must have it to check fingerprints across versions")
        pytest.skip(message)
    stamp = hashlib.sha256((REPO / "pyproject.toml").read_bytes() + str(REPO).encode() + interpreter.encode()).hexdigest()[:12]
    venv = pathlib.Path.home() / ".cache" / "pivot-tests" / f"py{version}-{stamp}"
    python = venv / "bin" / "python"
    uv = shutil.which("uv", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("uv")
    assert uv is not None, "uv is a development dependency: pip install -e '.[dev]'"
    with _locked(venv.parent / f"{venv.name}.lock"):
        if not (venv / "ready").exists():
            _prune(venv.parent, version)
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([uv, "venv", "-q", "-p", interpreter, str(venv)], check=True)
            subprocess.run([uv, "pip", "install", "-q", "-p", str(python), "-e", f"{REPO}[pandas]"], check=True)
            (venv / "ready").write_text("")
    return python


def _prune(cache: pathlib.Path, version: str) -> None:
    """Before building a venv: drop this version's venvs of checkouts that are gone, and those of
    this checkout that an older pyproject.toml keyed (every clone and every dependency change
    gets its own, and nothing else ever removes them)."""
    for other in cache.glob(f"py{version}-*"):
        if other.suffix == ".lock" or not other.is_dir():
            continue
        source = _editable_source(other)
        if source is not None and (not source.exists() or source == REPO):
            shutil.rmtree(other, ignore_errors=True)
            (cache / f"{other.name}.lock").unlink(missing_ok=True)


def _editable_source(venv: pathlib.Path) -> pathlib.Path | None:
    """The checkout a venv has pivot installed from in editable mode (PEP 610's direct_url.json)."""
    for record in venv.glob("lib/python*/site-packages/pivot-*.dist-info/direct_url.json"):
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            url = json.loads(record.read_text())["url"]
            if url.startswith("file://"):
                return pathlib.Path(url.removeprefix("file://")).resolve()
    return None


@pytest.fixture(scope="session", params=OTHERS)
def other_python(request: pytest.FixtureRequest) -> pathlib.Path:
    return _venv_for(request.param)


def _pivot(python: pathlib.Path | str, root: pathlib.Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env[trust_env()] = KEY
    done = subprocess.run([str(python), "-m", "pivot", *args], cwd=root, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{python} pivot {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def trust_env() -> str:
    from pivot.remote import trust

    return trust.ENV_VAR


def _corpus(tmp_path: pathlib.Path) -> pathlib.Path:
    """The tutorial, every project of the code-gap suite, and a tour of the syntax, as a spec for compute.py."""
    items = []
    tutorial = tmp_path / "tutorial"
    shutil.copytree(REPO / "examples" / "tutorial", tutorial, ignore=shutil.ignore_patterns(".pivot", "*.parquet", "*.pkl"))
    items += [{"root": str(tutorial), "ref": f"stages:{name}"} for name in ("preprocess", "train")]
    for index, gap in enumerate(g for g in GAPS if g.ref):  # (a ref-less gap declares its stages in pipeline.py)
        root = tmp_path / f"gap{index}"
        write_files(root, gap.files)
        module, _, name = gap.ref.rpartition(".")
        items.append({"root": str(root), "ref": f"{module}:{name}"})
    items += [{"root": str(CORPUS), "ref": f"syntax_tour:{name}"} for name in SYNTAX_TOUR]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(items))
    return spec


def _fingerprints(python: pathlib.Path | str, spec: pathlib.Path) -> dict[str, dict]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout's pivot, whatever the script's directory
    done = subprocess.run([str(python), str(CORPUS / "compute.py"), str(spec)], capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_corpus_has_the_same_fingerprints_under_every_python(other_python, tmp_path):
    spec = _corpus(tmp_path)
    here = _fingerprints(sys.executable, spec)
    there = _fingerprints(other_python, spec)
    assert len(here) == len(json.loads(spec.read_text()))
    differing = sorted(key for key in here if here[key] != there.get(key))
    assert not differing, f"fingerprints differ under {other_python}: {differing}"


def _train_project(root: pathlib.Path) -> None:
    write_files(root, {"stages.py": TRAIN_STAGES, "data.txt": "rows\n", ".gitignore": "counts/\n"})
    (root / "pivot.yaml").write_text("stages:\n  train:\n    python: stages.train\n    params:\n      lr: 0.1\n  evaluate:\n    python: stages.evaluate\n")


def test_a_project_run_under_311_is_up_to_date_under_the_others(other_python, tmp_path):
    root = tmp_path / "proj"
    _train_project(root)
    assert "2 ran" in _pivot(sys.executable, root, "run")
    locks = {p.name: p.read_text() for p in (root / ".pivot/stages").iterdir()}

    output = _pivot(other_python, root, "run")
    assert "0 ran, 2 skipped" in output, output
    assert (runs(root, "train"), runs(root, "evaluate")) == (1, 1)
    assert {p.name: p.read_text() for p in (root / ".pivot/stages").iterdir()} == locks  # nothing to record anew
    assert "0 ran, 2 skipped" in _pivot(sys.executable, root, "run")  # and back again


def _git(root: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=root, check=True, capture_output=True)


def test_a_run_cache_pushed_under_311_restores_under_the_others(other_python, tmp_path):
    """Clone A runs lr=0.1 and pushes, then moves on to lr=0.5 and commits; clone B goes back to
    lr=0.1 under another Python and pulls: both stages come from the run cache, none executes."""
    remote, a, b = tmp_path / "remote", tmp_path / "a", tmp_path / "b"
    _train_project(a)
    _git(a, "init", "-q")
    local = f"remotes:\n  origin:\n    url: {remote}\ndefault_remote: origin\n"
    (a / ".pivot").mkdir()
    (a / ".pivot/config.local.yaml").write_text(local)
    _pivot(sys.executable, a, "run")
    _pivot(sys.executable, a, "push")
    (a / "pivot.yaml").write_text((a / "pivot.yaml").read_text().replace("lr: 0.1", "lr: 0.5"))
    _pivot(sys.executable, a, "run")
    _pivot(sys.executable, a, "push")
    _git(a, "add", "-A")
    _git(a, "commit", "-q", "-m", "lr 0.5")

    subprocess.run(["git", "clone", "-q", str(a), str(b)], check=True)
    (b / ".pivot/config.local.yaml").write_text(local)
    (b / "pivot.yaml").write_text((b / "pivot.yaml").read_text().replace("lr: 0.5", "lr: 0.1"))
    _pivot(other_python, b, "pull")
    output = _pivot(other_python, b, "run")
    assert "0 ran" in output, output
    assert (runs(b, "train"), runs(b, "evaluate")) == (0, 0)
    assert (b / "model.txt").read_text() == "model(rows, lr=0.1)"
