"""A really full file system (a small tmpfs holding the project): every command ends with
`error: no space left on <path>` and a hint, never a traceback; what was stored before is intact,
and once space is freed the next command works and reruns only what did not finish.

Mounting needs root: skipped elsewhere, except under CI=true (CI runs as root), where it fails.
"""

from __future__ import annotations

import errno
import os
import pathlib
import subprocess
from collections.abc import Iterator

import pytest
from conftest import COUNT_RUNS, runs, write_files

from pivot.storage.state import StateDB

pytestmark = pytest.mark.slow

MB = 1024 * 1024

STAGES = '''
import pathlib
from typing import Annotated

from pivot import loaders, outputs
from pivot.stage_def import StageParams

''' + COUNT_RUNS + '''


class FirstParams(StageParams):
    version: int = 1


class BigParams(StageParams):
    size: int = 1


def first(params: FirstParams) -> Annotated[str, outputs.Out("first.txt", loaders.Text())]:
    _count("first")
    return f"first v{params.version}"


def big(
    params: BigParams, first: Annotated[str, outputs.Dep("first.txt", loaders.Text())]
) -> Annotated[str, outputs.Out("big.txt", loaders.Text())]:
    _count("big")
    return "b" * params.size


def after(big: Annotated[str, outputs.Dep("big.txt", loaders.Text())]) -> Annotated[str, outputs.Out("after.txt", loaders.Text())]:
    _count("after")
    return f"{len(big)} bytes"
'''

PIPELINE = """
stages:
  first:
    python: stages.first
  big:
    python: stages.big
  after:
    python: stages.after
"""


def params(version: int, size: int) -> str:
    return f"first:\n  version: {version}\nbig:\n  size: {size}\n"


class Disk:
    """The tmpfs and the project on it; `fill` leaves `leave` bytes free, `free` undoes it."""

    def __init__(self, mount: pathlib.Path, root: pathlib.Path) -> None:
        self.mount = mount
        self.root = root
        self.filler = mount / "filler"

    def fill(self, leave: int = 0) -> None:
        chunk = b"\0" * 65536
        with open(self.filler, "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
        # Smaller writes to fill the last partial chunk, so that nothing at all is left.
        with open(self.filler, "ab", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 512)
            except OSError:
                pass
        if leave:
            os.truncate(self.filler, max(0, self.filler.stat().st_size - leave))

    def free(self) -> None:
        self.filler.unlink()

    def available(self) -> int:
        st = os.statvfs(self.mount)
        return st.f_bavail * st.f_frsize


@pytest.fixture
def disk(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Disk]:
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("the full-disk tests mount a tmpfs and must run as root in CI")
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "mnt"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", os.fspath(mount)], check=True)
    try:
        root = mount / "proj"
        root.mkdir()
        # The run counters live off the tmpfs: counting a run must not be what fills it.
        (tmp_path / "counts").mkdir()
        (root / "counts").symlink_to(tmp_path / "counts")
        monkeypatch.chdir(root)
        yield Disk(mount, root)
    finally:
        os.chdir(tmp_path)
        # Lazy: a pool worker may still have its cwd there for a moment.
        subprocess.run(["umount", "-l", os.fspath(mount)], check=False)


def make_project(disk: Disk, pivot_proc, size: int = MB) -> None:
    write_files(disk.root, {"stages.py": STAGES, "pivot.yaml": PIPELINE, "params.yaml": params(1, size)})
    result = pivot_proc("run", cwd=disk.root)
    assert result.returncode == 0, result.stdout + result.stderr


def snapshot(root: pathlib.Path, under: str) -> dict[str, bytes]:
    base = root / under
    return {os.fspath(p.relative_to(root)): p.read_bytes() for p in base.rglob("*") if p.is_file()}


def assert_clean_full(output: str, code: int, path: str) -> None:
    assert code == 1, output
    assert "Traceback" not in output, output
    assert f"error: no space left on {path}" in output, output
    assert "hint: free some space on" in output, output


def leftovers(root: pathlib.Path) -> list[str]:
    """Temp files a failed write could have left: in the cache, or next to an output."""
    found = [p.name for p in (root / ".pivot" / "cache" / "tmp").glob("*")]
    found += [os.fspath(p) for p in root.rglob(".*pivot-*") if ".git" not in p.parts]
    found += [os.fspath(p) for p in (root / ".pivot").rglob(".*.tmp")]
    return found


# --------------------------------------------------------------------------- run


@pytest.mark.parametrize(
    ("size", "leave", "path"),
    [
        pytest.param(3 * MB, MB // 4, "big.txt", id="output-write"),
        pytest.param(3 * MB // 2, MB, ".pivot/cache/files/", id="cache-write"),
    ],
)
def test_run_on_a_full_disk_fails_cleanly_and_the_next_run_finishes_the_rest(disk, pivot_proc, size, leave, path):
    make_project(disk, pivot_proc)
    root = disk.root
    write_files(root, {"params.yaml": params(2, size)})  # both `first` and `big` are stale now
    cache_before = snapshot(root, ".pivot/cache/files")
    locks_before = snapshot(root, ".pivot/stages")
    disk.fill(leave)

    result = pivot_proc("run", "-j", "1", cwd=root)

    output = result.stdout + result.stderr
    assert_clean_full(output, result.returncode, path)
    assert f"big: FAILED: no space left on {path}" in result.stdout
    assert "first: ran" in result.stdout  # it finished before the disk filled: its result is kept
    assert snapshot(root, ".pivot/cache/files").items() >= cache_before.items()
    locks_after = snapshot(root, ".pivot/stages")
    assert locks_after[".pivot/stages/big.lock"] == locks_before[".pivot/stages/big.lock"]
    assert locks_after[".pivot/stages/after.lock"] == locks_before[".pivot/stages/after.lock"]
    assert locks_after[".pivot/stages/first.lock"] != locks_before[".pivot/stages/first.lock"]
    assert leftovers(root) == []

    disk.free()
    result = pivot_proc("run", cwd=root)

    assert result.returncode == 0, result.stdout + result.stderr
    assert (runs(root, "first"), runs(root, "big"), runs(root, "after")) == (2, 3, 2)
    assert (root / "big.txt").stat().st_size == size
    assert (root / "after.txt").read_text() == f"{size} bytes"


def test_a_run_answered_from_the_no_op_memo_writes_nothing_and_works_on_a_full_disk(disk, pivot_proc):
    make_project(disk, pivot_proc)
    root = disk.root
    disk.fill()

    result = pivot_proc("run", cwd=root)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 ran, 3 skipped" in result.stdout and result.stderr == ""


def test_a_run_with_nothing_to_do_works_on_a_full_disk(disk, pivot_proc):
    """Only the stat memo (.pivot/state.db) would be written: the run does its work without it,
    then says the disk is full (exit 1), since the next write anywhere will fail too."""
    make_project(disk, pivot_proc)
    root = disk.root
    assert (root / ".pivot" / "state.db").is_file()  # opening it needs space for its -shm file
    os.utime(root / "params.yaml")  # the same bytes, a new stamp: decided again, not answered
    disk.fill()

    result = pivot_proc("run", cwd=root)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "0 ran, 3 skipped" in result.stdout
    assert result.stderr.startswith("error: no space left on .pivot/state.db\n  hint: what pivot showed and did above is complete")
    assert (runs(root, "first"), runs(root, "big"), runs(root, "after")) == (1, 1, 1)


# --------------------------------------------------------------------------- status


def test_status_shows_everything_on_a_full_disk_then_says_it_is_full(disk, pivot_proc, pivot):
    make_project(disk, pivot_proc)
    root = disk.root
    # Closed as any caller but the pivot program closes it (that one leaves its WAL and -shm file
    # for the next command): opening it again needs space for a new -shm file.
    with StateDB(root / ".pivot" / "state.db") as memo:
        memo.get(root / "params.yaml", (root / "params.yaml").stat())  # (opened, then closed last)
    assert (root / ".pivot" / "state.db").is_file() and not (root / ".pivot" / "state.db-shm").exists()
    write_files(root, {"params.yaml": params(1, 2 * MB)})
    disk.fill()

    result = pivot("status")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "error: no space left on .pivot/state.db\n  hint: " in result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "up to date" in lines["first"]
    assert "will run" in lines["big"]
    assert "will run" in lines["after"]


# --------------------------------------------------------------------------- track


def test_track_on_a_full_disk_fails_cleanly_and_works_once_space_is_freed(disk, pivot):
    root = disk.root
    write_files(root, {"pivot.yaml": "stages: {}\n"})
    data = os.urandom(2 * MB)
    (root / "data.bin").write_bytes(data)
    disk.fill(MB // 4)

    result = pivot("track", "data.bin")

    assert_clean_full(result.output, result.exit_code, ".pivot/cache/files/")
    assert not (root / "data.bin.pvt").exists()
    assert (root / "data.bin").read_bytes() == data
    assert leftovers(root) == []

    disk.free()
    result = pivot("track", "data.bin")
    assert result.exit_code == 0, result.output
    assert (root / "data.bin.pvt").exists()
    assert pivot("status").exit_code == 0


# --------------------------------------------------------------------------- pull


def test_pull_on_a_full_disk_fails_cleanly_and_works_once_space_is_freed(disk, pivot_proc, pivot, tmp_path):
    make_project(disk, pivot_proc, size=2 * MB)
    root = disk.root
    remote = tmp_path / "remote"  # off the tmpfs: only the local side is full
    assert pivot("remote", "add", "-d", "origin", os.fspath(remote)).exit_code == 0
    assert pivot("push").exit_code == 0
    big = (root / "big.txt").read_bytes()
    locks = snapshot(root, ".pivot/stages")
    subprocess.run(["rm", "-rf", os.fspath(root / ".pivot" / "cache"), os.fspath(root / "big.txt")], check=True)
    disk.fill(MB // 4)

    result = pivot("pull")

    assert_clean_full(result.output, result.exit_code, ".pivot/cache/")
    assert snapshot(root, ".pivot/stages") == locks
    assert not (root / "big.txt").exists()
    assert leftovers(root) == []

    disk.free()
    result = pivot("pull")
    assert result.exit_code == 0, result.output
    assert (root / "big.txt").read_bytes() == big

    # Everything is in the cache now: only the checkout into the workspace needs space.
    (root / "big.txt").unlink()
    disk.fill(MB // 4)
    result = pivot("pull")
    assert_clean_full(result.output, result.exit_code, "big.txt")
    assert "Fetched 0 files (0 B) from origin" in result.stdout  # the half that worked is still told
    assert leftovers(root) == []
    disk.free()
    assert pivot("pull").exit_code == 0
    assert (root / "big.txt").read_bytes() == big


# --------------------------------------------------------------------------- gc


def test_gc_frees_space_on_a_full_disk(disk, pivot_proc, pivot):
    """gc only deletes, so it works on a full disk: it is how the user makes room."""
    make_project(disk, pivot_proc)
    root = disk.root
    write_files(root, {"params.yaml": params(1, MB + 1)})
    assert pivot_proc("run", cwd=root).returncode == 0  # the 1 MB object is garbage now
    (root / ".pivot" / "run.lock").unlink()  # created again on the full disk
    disk.fill()
    assert disk.available() == 0

    result = pivot("gc", "--drop-run-cache")

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "Removed" in result.output
    assert disk.available() >= MB
    assert pivot("status").exit_code == 0


RAW = '''
import pathlib
from typing import Annotated

from pivot import loaders, outputs


def raw() -> Annotated[pathlib.Path, outputs.Out("raw.bin", loaders.PathOnly())]:
    with open("raw.bin", "wb") as handle:  # the stage's own write: the OSError names no file
        handle.write(b"r" * (3 * 1024 * 1024))
    return pathlib.Path("raw.bin")
'''


def test_a_stage_whose_own_write_finds_no_space_names_the_file_system(disk, pivot_proc):
    write_files(disk.root, {"stages.py": RAW, "pivot.yaml": "stages:\n  raw:\n    python: stages.raw\n"})
    disk.fill(MB // 4)

    result = pivot_proc("run", cwd=disk.root)

    assert_clean_full(result.stdout + result.stderr, result.returncode, os.fspath(disk.mount))
    assert f"raw: FAILED: no space left on {disk.mount}" in result.stdout
    assert not (disk.root / ".pivot" / "stages" / "raw.lock").exists()
    disk.free()
    assert pivot_proc("run", cwd=disk.root).returncode == 0


def test_a_first_run_on_a_full_disk_leaves_no_half_written_project_files(disk, pivot_proc):
    write_files(disk.root, {"stages.py": STAGES, "pivot.yaml": PIPELINE, "params.yaml": params(1, MB)})
    disk.fill()

    result = pivot_proc("run", cwd=disk.root)

    assert_clean_full(result.stdout + result.stderr, result.returncode, ".pivot/")
    disk.free()
    result = pivot_proc("run", cwd=disk.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/cache/" in (disk.root / ".pivot" / ".gitignore").read_text().splitlines()
    assert (runs(disk.root, "first"), runs(disk.root, "big"), runs(disk.root, "after")) == (1, 1, 1)
