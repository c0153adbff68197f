"""`pivot run --executor dask`: the same pipeline, outputs and locks as the local pool, in both data
modes (shared filesystem, remote cache through a directory and an S3 server), on a LocalCluster
of separate worker processes shared by the module; a worker killed mid-stage; Ctrl-C.

The cluster outlives each run, as a team's cluster would: that also proves a worker imports each
project's code afresh (every test has its own `stages.py`)."""

from __future__ import annotations

import hashlib
import logging
import os
import pathlib
import pickle
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import yaml
from conftest import assert_clean_error
from distributed.diagnostics.plugin import SchedulerPlugin
from test_interrupt import alive

from pivot.executor import cluster
from pivot.scaleout import offload

# The S3 server fixtures live with the remote tests; one module, one cluster, both data modes.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "remote"))
pytest_plugins = ("servers",)

DIAMOND = '''
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs


def prepare(raw: Annotated[str, outputs.Dep("data/raw.txt", loaders.Text())]) -> Annotated[str, outputs.Out("clean.txt", loaders.Text())]:
    print("preparing", len(raw.split()), "words")
    return raw.upper()


def left(clean: Annotated[str, outputs.Dep("clean.txt", loaders.Text())]) -> Annotated[list, outputs.Out("left.pkl", loaders.Pickle())]:
    return sorted(clean.split())


class RightOut(TypedDict):
    table: Annotated[pathlib.Path, outputs.Out("right", loaders.PathOnly())]


def right(clean: Annotated[str, outputs.Dep("clean.txt", loaders.Text())]) -> RightOut:
    out = pathlib.Path("right")
    (out / "nested").mkdir(parents=True)
    for i, word in enumerate(clean.split()):
        (out / "nested" / f"{i}.txt").write_text(word * 50)
    return {"table": out}


class JoinOut(TypedDict):
    summary: Annotated[str, outputs.Out("summary.txt", loaders.Text())]
    score: Annotated[dict, outputs.Metric("metrics.json")]


def join(
    words: Annotated[list, outputs.Dep("left.pkl", loaders.Pickle())],
    table: Annotated[pathlib.Path, outputs.Dep("right", loaders.PathOnly())],
) -> JoinOut:
    files = sorted(p.name for p in (table / "nested").iterdir())
    return {"summary": " ".join(words) + f" / {len(files)} files", "score": {"words": len(words)}}
'''

PIPELINE = "stages:\n" + "".join(f"  {name}:\n    python: stages.{name}\n" for name in ("prepare", "left", "right", "join"))
RAW = "the quick brown fox jumps over the lazy dog"
OUTPUTS = ("clean.txt", "left.pkl", "right", "summary.txt", "metrics.json")


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[object]:
    """Two worker processes (one thread each), with pivot's retry policy for a lost worker."""
    import dask
    import distributed

    env = {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "NO_PROXY": "127.0.0.1,localhost"}
    with dask.config.set({"distributed.scheduler.allowed-failures": cluster.ALLOWED_FAILURES}):
        local = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",  # 8787 may be taken
            silence_logs=logging.CRITICAL, env=env,
        )
    try:
        yield local
    finally:
        local.close()


@pytest.fixture
def address(dask_cluster) -> str:
    """The cluster's address once both workers are up (a test may have killed one)."""
    import distributed

    with distributed.Client(dask_cluster, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
    return dask_cluster.scheduler_address


def make_diamond(root: pathlib.Path) -> None:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "stages.py").write_text(DIAMOND)
    (root / "pivot.yaml").write_text(PIPELINE)
    (root / "data" / "raw.txt").write_text(RAW)


def set_config(root: pathlib.Path, **entries: object) -> None:
    path = root / ".pivot" / "config.yaml"
    path.parent.mkdir(exist_ok=True)
    current = yaml.safe_load(path.read_text()) if path.exists() else None
    path.write_text(yaml.safe_dump({**(current or {}), **entries}))


def snapshot(root: pathlib.Path) -> dict[str, bytes]:
    """The outputs and lock files, byte for byte."""
    found = {}
    for name in OUTPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        found.update({p.relative_to(root).as_posix(): p.read_bytes() for p in files})
    for lock in sorted((root / ".pivot" / "stages").glob("*.lock")):
        found[lock.relative_to(root).as_posix()] = lock.read_bytes()
    return found


@pytest.fixture
def reference(tmp_path_factory) -> dict[str, bytes]:
    """The diamond as the local process pool runs it (in its own directory: the cwd stays)."""
    root = tmp_path_factory.mktemp("local-pool") / "proj"
    make_diamond(root)
    result = subprocess.run([sys.executable, "-m", "pivot", "run", "-j2"], cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return snapshot(root)


# --------------------------------------------------------------------------- shared filesystem


@pytest.mark.slow
def test_shared_filesystem_mode_matches_the_local_pool(project, pivot, address, reference):
    root = project({})
    make_diamond(root)
    result = pivot("run", "--executor", "dask", "--address", address)
    assert result.exit_code == 0, result.output
    assert f"Running on the Dask scheduler at {address}; data: shared filesystem" in result.output
    assert "4 ran, 0 skipped, 0 failed" in result.output
    assert snapshot(root) == reference
    assert "[prepare] preparing 9 words" in result.output
    assert "preparing 9 words" in (root / ".pivot" / "logs" / "prepare.log").read_text()
    again = pivot("run", "--address", address)
    assert "0 ran, 4 skipped, 0 failed" in again.output


@pytest.mark.slow
@pytest.mark.parametrize("data", ["shared", "remote"])
def test_the_run_cache_serves_dask_runs_too(project, pivot, address, data):
    """Raw text A -> B -> A: the third run restores A's outputs and locks instead of running."""
    root = project({})
    make_diamond(root)
    if data == "remote":
        remote_mode(root, {"url": "../shared-cache"}, address)
    else:
        set_config(root, executor={"kind": "dask", "address": address})
    assert pivot("run").exit_code == 0
    first = snapshot(root)
    (root / "data" / "raw.txt").write_text(RAW + " twice")
    assert "4 ran" in pivot("run").output
    (root / "data" / "raw.txt").write_text(RAW)
    back = pivot("run")
    assert back.exit_code == 0, back.output
    assert "prepare: restored from run cache" in back.output
    assert "0 ran" in back.output
    assert snapshot(root) == first


@pytest.mark.slow
def test_workers_import_the_code_as_it_is_now(project, pivot, address):
    """A long-lived worker must not keep last run's module: an edited stage runs its new code."""
    root = project({})
    make_diamond(root)
    set_config(root, executor={"kind": "dask", "address": address})
    assert pivot("run").exit_code == 0
    (root / "stages.py").write_text(DIAMOND.replace("raw.upper()", "raw.title()"))
    result = pivot("run", "prepare")
    assert result.exit_code == 0, result.output
    assert (root / "clean.txt").read_text() == RAW.title()


@pytest.mark.slow
def test_a_failing_stage_fails_fast_or_blocks_its_dependents_with_k(project, pivot, address):
    root = project({})
    make_diamond(root)
    (root / "stages.py").write_text(DIAMOND.replace("    return sorted(clean.split())", "    raise ValueError('no words today')"))
    result = pivot("run", "-k", "--executor", "dask", "--address", address)
    assert result.exit_code == 1, result.output
    assert "left: FAILED: ValueError: no words today" in result.output
    assert "raise ValueError('no words today')" in result.output  # the user's traceback came back
    assert "3 ran" not in result.output and "2 ran, 0 skipped, 1 failed, 1 blocked" in result.output
    assert (root / "right").is_dir() and not (root / ".pivot" / "stages" / "left.lock").exists()


CUSTOM_LOADER = '''
import dataclasses
import pathlib
from typing import Annotated

from pivot import loaders, outputs


@dataclasses.dataclass(frozen=True)
class Shout(loaders.Loader):
    def load(self, path):
        return pathlib.Path(path).read_text().upper()

    def save(self, value, path):
        pathlib.Path(path).write_text(value + "!")


def shout(text: Annotated[str, outputs.Dep("data/raw.txt", Shout())]) -> Annotated[str, outputs.Out("loud.txt", Shout())]:
    return text
'''


@pytest.mark.slow
@pytest.mark.parametrize("data", ["shared", "remote"])
def test_a_loader_defined_in_the_project_works_on_the_workers(project, pivot, address, data):
    """The stage (with its loader's class) reaches a worker that has not imported the project."""
    root = project({"stages.py": CUSTOM_LOADER, "pivot.yaml": "stages:\n  shout:\n    python: stages.shout\n", "data/raw.txt": "hello"})
    set_config(root, remotes={"origin": {"url": "../shared-cache"}}, executor={"kind": "dask", "address": address, "data": data})
    result = pivot("run")
    assert result.exit_code == 0, result.output
    assert (root / "loud.txt").read_text() == "HELLO!"


# --------------------------------------------------------------------------- remote cache


def remote_mode(root: pathlib.Path, remote: dict, address: str) -> None:
    set_config(root, remotes={"origin": remote}, default_remote="origin", executor={"kind": "dask", "address": address, "data": "remote"})


@pytest.mark.slow
def test_remote_cache_mode_with_a_directory_remote_matches_the_local_pool(project, pivot, address, reference):
    root = project({})
    make_diamond(root)
    remote_mode(root, {"url": "../shared-cache"}, address)
    result = pivot("run")
    assert result.exit_code == 0, result.output
    assert "data: remote cache 'origin'" in result.output and "outputs downloaded into the workspace" in result.output
    assert "Remote cache 'origin': workers fetched" in result.output
    assert snapshot(root) == reference
    # the log was captured on the worker and written here
    assert "[prepare] preparing 9 words" in result.output
    assert "preparing 9 words" in (root / ".pivot" / "logs" / "prepare.log").read_text()
    assert "0 ran, 4 skipped" in pivot("run").output
    # outputs gone from the workspace and the local cache: restored from the remote, not rerun
    shutil.rmtree(root / ".pivot" / "cache")
    shutil.rmtree(root / "right")
    (root / "clean.txt").unlink()
    again = pivot("run")
    assert "0 ran, 4 skipped" in again.output and "restored right from the cache" in again.output, again.output
    assert snapshot(root) == reference


@pytest.mark.slow
def test_remote_cache_mode_fails_a_stage_whose_deps_cannot_be_uploaded(project, pivot, address):
    root = project({})
    make_diamond(root)
    (root.parent / "in-the-way").write_text("a file where the remote's directory should be")
    remote_mode(root, {"url": "../in-the-way"}, address)
    result = pivot("run")
    assert result.exit_code == 1, result.output
    assert "prepare: FAILED: cannot upload dependencies to remote 'origin'" in result.output, result.output
    assert "0 ran, 0 skipped, 1 failed, 3 not started" in result.output
    assert not (root / ".pivot" / "stages").exists() or not any((root / ".pivot" / "stages").iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["moto"], indirect=True)
def test_remote_cache_mode_on_s3_with_no_download_then_pull(backend, pivot, address, reference, monkeypatch):
    root = backend.project_root
    make_diamond(root)
    monkeypatch.chdir(root)
    remote_mode(root, dict(backend.config), address)
    result = pivot("run", "--no-download")
    assert result.exit_code == 0, result.output
    assert "outputs left on the remote (pivot pull)" in result.output
    assert not (root / "clean.txt").exists() and not (root / "right").exists()
    assert (root / "metrics.json").exists()  # metrics are git-tracked: always written here
    assert "0 ran, 4 skipped" in pivot("run", "--no-download").output  # the remote holds them
    pulled = pivot("pull")
    assert pulled.exit_code == 0, pulled.output
    assert snapshot(root) == reference


# --------------------------------------------------------------------------- the code, once per worker


FANOUT = 6  # more stages than the cluster has workers
STEP = """

def step{i}(raw: Annotated[str, outputs.Dep("data/raw.txt", loaders.Text())]) -> Annotated[str, outputs.Out("out{i}.txt", loaders.Text())]:
    return helpers.VERSION + " " + str(len(helpers.BULK)) + " " + raw
"""


def write_fanout(root: pathlib.Path, version: str) -> None:
    """Stages that all import `helpers`, a module of ~100 kB of constants: a code bundle that
    would outweigh every task if it travelled with each."""
    bulk = [hashlib.sha256(f"{version}-{i}".encode()).hexdigest() for i in range(1500)]
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "raw.txt").write_text(RAW)
    (root / "helpers.py").write_text(f"VERSION = {version!r}\nBULK = {bulk!r}\n")
    header = "from typing import Annotated\n\nimport helpers\nfrom pivot import loaders, outputs\n"
    (root / "stages.py").write_text(header + "".join(STEP.format(i=i) for i in range(FANOUT)))
    (root / "pivot.yaml").write_text("stages:\n" + "".join(f"  step{i}:\n    python: stages.step{i}\n" for i in range(FANOUT)))


class TaskSizes(SchedulerPlugin):
    """The pickled size of each stage's task as the scheduler received it: what a submission carries."""

    name = "test-task-sizes"

    def __init__(self) -> None:
        self.sizes: dict[str, int] = {}

    def update_graph(self, scheduler, *, keys, **kwargs) -> None:
        for key in keys:
            if str(key).startswith("pivot-"):
                self.sizes[str(key)] = len(pickle.dumps(scheduler.tasks[key].run_spec))


def receipts(client, digest: str, count: int) -> list[dict]:
    """The workers' reports of receiving the code bundle `digest`, once `count` are in (a report
    travels apart from the task results, so it may land after the run ended)."""
    deadline = time.monotonic() + 30
    while True:
        found = [msg for _, msg in client.get_events(cluster.EVENT_TOPIC) if msg["received"] == digest]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.mark.slow
def test_the_code_goes_to_each_worker_once_per_run_and_anew_when_it_changes(project, pivot, address, dask_cluster):
    import distributed

    root = project({})
    write_fanout(root, "v1")
    remote_mode(root, {"url": "../shared-cache"}, address)
    v1 = offload.bundle_code(root).digest
    with distributed.Client(address, set_as_default=False) as client:
        workers = sorted(client.scheduler_info()["workers"])
        client.register_plugin(TaskSizes())
        try:
            result = pivot("run")
            assert result.exit_code == 0, result.output
            assert f"{FANOUT} ran" in result.output
            assert "The project's code (" in result.output and "went to each worker once" in result.output
            first = receipts(client, v1, len(workers))
            sizes = dask_cluster.scheduler.plugins[TaskSizes.name].sizes
        finally:
            client.unregister_scheduler_plugin(TaskSizes.name)
        # One copy per worker, not one per stage, and each task far smaller than the code.
        assert sorted(msg["worker"] for msg in first) == workers
        bundle = first[0]["bytes"]
        assert len(sizes) == FANOUT and max(sizes.values()) < bundle / 4, (sizes, bundle)
        assert (root / "out0.txt").read_text() == f"v1 1500 {RAW}"

        # New code: a new bundle under a new digest, and the stages run with it.
        write_fanout(root, "v2")
        v2 = offload.bundle_code(root).digest
        again = pivot("run")
        assert again.exit_code == 0, again.output
        assert f"{FANOUT} ran" in again.output
        assert v2 != v1 and sorted(msg["worker"] for msg in receipts(client, v2, len(workers))) == workers
        assert len(receipts(client, v1, len(workers))) == len(workers)  # the old one was not sent again
        assert all((root / f"out{i}.txt").read_text() == f"v2 1500 {RAW}" for i in range(FANOUT))
    # Each run took its copy away with it.
    assert not [name for name in dask_cluster.scheduler.worker_plugins if name.startswith("pivot-")]


def test_the_code_bundle_is_named_by_its_content(tmp_path):
    """Same code, same digest (whatever else changes); any edit or rename, a new one."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "stages.py").write_text("import pkg.util\n")
    (tmp_path / "pkg" / "util.py").write_text("X = 1\n")
    first = offload.bundle_code(tmp_path).digest
    (tmp_path / "data.csv").write_text("a,b\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "site.py").write_text("# not the project's\n")
    assert offload.bundle_code(tmp_path).digest == first
    (tmp_path / "pkg" / "util.py").write_text("X = 2\n")
    edited = offload.bundle_code(tmp_path).digest
    (tmp_path / "pkg" / "util.py").rename(tmp_path / "pkg" / "other.py")
    renamed = offload.bundle_code(tmp_path).digest
    assert len({first, edited, renamed}) == 3


# --------------------------------------------------------------------------- failures


KILLER = '''
import os
import signal
from typing import Annotated

from pivot import loaders, outputs


def doomed() -> Annotated[str, outputs.Out("doomed.txt", loaders.Text())]:
    os.kill(os.getpid(), signal.SIGKILL)


def fine() -> Annotated[str, outputs.Out("fine.txt", loaders.Text())]:
    return "fine"
'''


@pytest.mark.slow
def test_a_worker_killed_mid_stage_fails_that_stage_only(project, pivot, address):
    root = project({"stages.py": KILLER, "pivot.yaml": "stages:\n  doomed:\n    python: stages.doomed\n  fine:\n    python: stages.fine\n"})
    result = pivot("run", "-k", "--executor", "dask", "--address", address)
    assert result.exit_code == 1, result.output
    tries = cluster.ALLOWED_FAILURES + 1
    assert f"doomed: FAILED: WorkerLost: the Dask worker running it died ({tries} attempts" in result.output
    assert "1 ran, 0 skipped, 1 failed" in result.output
    assert (root / "fine.txt").read_text() == "fine"
    assert not (root / ".pivot" / "stages" / "doomed.lock").exists()


SLEEPER = '''
import os
import pathlib
import time
from typing import Annotated

from pivot import loaders, outputs


def sleeper() -> Annotated[str, outputs.Out("slept.txt", loaders.Text())]:
    pathlib.Path("sleeper.pid.tmp").write_text(str(os.getpid()))
    os.replace("sleeper.pid.tmp", "sleeper.pid")  # whole, once it exists
    time.sleep(60)
    return "slept"
'''


@pytest.mark.slow
def test_ctrl_c_cancels_the_stage_and_stops_the_local_cluster(project):
    root = project({"stages.py": SLEEPER, "pivot.yaml": "stages:\n  sleeper:\n    python: stages.sleeper\n"})
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(root.parent / "run.out", "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pivot", "run", "--executor", "dask", "-j1"],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    worker = 0
    try:
        deadline = time.monotonic() + 60
        while not (root / "sleeper.pid").exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, (root.parent / "run.out").read_text()
        worker = int((root / "sleeper.pid").read_text())
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: pivot and its workers
        assert proc.wait(timeout=30) == 130, (root.parent / "run.out").read_text()
        deadline = time.monotonic() + 30
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(worker), "the worker running the stage outlived pivot"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if worker and alive(worker):
            os.kill(worker, signal.SIGKILL)
    output = (root.parent / "run.out").read_text()
    assert "interrupted" in output and "Traceback" not in output, output
    assert not (root / "slept.txt").exists() and not (root / ".pivot" / "stages" / "sleeper.lock").exists()



# --------------------------------------------------------------------------- input errors (exit 2)


ONE_STAGE = {"stages.py": SLEEPER.replace("time.sleep(60)", "pass"), "pivot.yaml": "stages:\n  sleeper:\n    python: stages.sleeper\n"}


def test_without_distributed_installed_the_hint_says_how_to_install_it(project, tmp_path):
    root = project(ONE_STAGE)
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "distributed.py").write_text("raise ImportError('No module named distributed (blocked by the test)')\n")
    env = {**os.environ, "PYTHONPATH": str(shim)}
    result = subprocess.run([sys.executable, "-m", "pivot", "run", "--executor", "dask"], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "the Dask executor needs the 'distributed' package" in result.stderr
    assert "pip install 'pivot[dask]'" in result.stderr and "Traceback" not in result.stderr
    assert not (root / "slept.txt").exists()


def test_an_unknown_executor_kind_in_the_config_names_the_file_line_and_field(project, pivot):
    root = project(ONE_STAGE)
    set_config(root, executor={"kind": "spark"})
    result = pivot("run")
    assert_clean_error(result, ".pivot/config.yaml:2", "executor.kind", "'loky' or 'dask'")


@pytest.mark.parametrize(
    ("address", "says"),
    [("tcp://127.0.0.1:1", "Connection refused"), ("nonsense", "missing port number"), ("foo://host:1", "unknown address scheme")],
)
def test_a_bad_scheduler_address_is_an_input_error(project, pivot, address, says):
    root = project(ONE_STAGE)
    result = pivot("run", "--address", address)
    assert_clean_error(result, f"cannot connect to the Dask scheduler at '{address}'", says, "hint: check --address")
    assert not (root / "slept.txt").exists()


def test_dask_options_without_the_dask_executor_are_input_errors(project, pivot):
    project(ONE_STAGE)
    assert_clean_error(pivot("run", "--executor", "loky", "--address", "tcp://127.0.0.1:8786"), "--address applies to the Dask executor only")
    assert_clean_error(pivot("run", "--no-download"), "--no-download applies to the Dask executor only")


def test_remote_cache_mode_needs_a_remote_and_no_download_needs_remote_cache_mode(project, pivot):
    root = project(ONE_STAGE)
    set_config(root, executor={"kind": "dask", "data": "shared"})
    assert_clean_error(pivot("run", "--no-download"), "--no-download applies to the remote-cache mode only", "executor.data: remote")
    set_config(root, executor={"kind": "dask", "data": "remote"})
    assert_clean_error(pivot("run"), "no remote configured", "pivot remote add")


INCREMENTAL = '''
from typing import Annotated
from pivot import loaders, outputs

LOG = outputs.IncrementalOut("log.json", loaders.JSON())


def collect(item: Annotated[str, outputs.Dep("item.txt", loaders.Text())], log: Annotated[dict, LOG]) -> Annotated[dict, LOG]:
    return {**log, item: len(log)}
'''


@pytest.mark.slow
def test_an_incremental_output_builds_on_its_last_version_in_remote_cache_mode(project, pivot, address):
    root = project({"stages.py": INCREMENTAL, "pivot.yaml": "stages:\n  collect:\n    python: stages.collect\n", "item.txt": "a"})
    remote_mode(root, {"url": "../shared-cache"}, address)
    assert pivot("run").exit_code == 0
    (root / "item.txt").write_text("b")
    ran = pivot("run")
    assert ran.exit_code == 0, ran.output
    assert yaml.safe_load((root / "log.json").read_text()) == {"a": 0, "b": 1}
