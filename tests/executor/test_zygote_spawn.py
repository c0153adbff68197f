"""The fork server started as a fresh interpreter as the pivot program starts a run with work (no
no-op memo yet), and forked from pivot as before once a memo exists (pivot.executor.spawning).
Each run is the real `python -m pivot` in its own process; each stage says which process its
worker was forked from."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the zygote exists on Linux only"),
]

STAGES = '''
import os
from typing import Annotated

from pivot import loaders, outputs


def first(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Annotated[str, outputs.Out("a.txt", loaders.Text())]:
    with open(f"/proc/{os.getppid()}/cmdline", "rb") as handle:  # the zygote this worker was forked from
        server = handle.read().replace(b"\\0", b" ").decode()
    return f"{src.strip()}|{server}"
'''

PIPELINE = "stages:\n  first:\n    python: stages.first\n"

# On the path of any interpreter started with the marker directory: a fresh zygote ends at once.
SITE_THAT_STOPS_A_FRESH_ZYGOTE = "import os\nif 'PIVOT_ZYGOTE' in os.environ:\n    os._exit(3)\n"


def _run(root: pathlib.Path, *args: str, site: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    env.pop("CI", None)
    return subprocess.run([sys.executable, "-m", "pivot", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120)


def _server(root: pathlib.Path) -> str:
    """The command line of the process that forked the stage's worker."""
    return (root / "a.txt").read_text().split("|", 1)[1]


def _processes_started_from(marker: pathlib.Path) -> list[int]:
    """Processes whose environment names `marker` (the zygote and its workers of one test)."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(marker).encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:  # ended meanwhile, or not ours to read
                continue
    return found


def _none_left(marker: pathlib.Path) -> list[int]:
    """Waits up to 5 s for the processes a finished command left to end; those still there."""
    deadline = time.monotonic() + 5
    while (left := _processes_started_from(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.fixture
def site(tmp_path: pathlib.Path) -> pathlib.Path:
    """An empty directory put on PYTHONPATH: it marks this test's processes."""
    path = tmp_path / "site"
    path.mkdir()
    return path


def test_a_first_run_forks_its_workers_from_a_fresh_interpreter_and_a_later_one_from_pivot(project, site):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "in.txt": "one\n"})

    first = _run(root, "run", site=site)
    assert first.returncode == 0, first.stderr
    assert (root / "a.txt").read_text().startswith("one|")
    assert "spawning.spawned()" in _server(root)  # no no-op memo: started as the program started

    (root / "in.txt").write_text("two\n")
    second = _run(root, "run", site=site)

    assert second.returncode == 0, second.stderr
    assert (root / "a.txt").read_text().startswith("two|")
    assert _server(root).endswith("-m pivot run ")  # a memo exists: forked from pivot, as before
    assert _none_left(site) == []


def test_a_fresh_interpreter_that_cannot_start_leaves_the_run_to_a_forked_one(project, site):
    (site / "sitecustomize.py").write_text(SITE_THAT_STOPS_A_FRESH_ZYGOTE)
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "in.txt": "one\n"})

    result = _run(root, "run", site=site)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # nothing of the failed start is shown
    assert (root / "a.txt").read_text().startswith("one|")
    assert _server(root).endswith("-m pivot run ")
    assert _none_left(site) == []


@pytest.mark.parametrize(
    ("pipeline", "expected"),
    [("stages:\n  first:\n    python: stages.first\n    bogus: 1\n", 2), ("stages: {}\n", 0)],
    ids=["refused-pivot-yaml", "no-stages"],
)
def test_a_run_that_starts_no_stage_leaves_no_process_behind(project, site, pipeline, expected):
    root = project({"stages.py": STAGES, "pivot.yaml": pipeline, "in.txt": "one\n"})

    result = _run(root, "run", site=site)

    assert result.returncode == expected, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert _none_left(site) == []
