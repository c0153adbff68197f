"""The project's modules are imported once per run, in the fork server the workers are forked
from, and a module that changed on disk is never served stale from it (the Python API keeps the
fork server across runs in one process)."""

from __future__ import annotations

import os
import pathlib

import pytest

from pivot.api import Outcome, Project

# Each import of the stage module appends the importing process's pid: the stand-in for a module
# that is slow to import (scikit-learn), whose cost is the number of times it is imported.
CHAIN = '''
import os
import pathlib
from typing import Annotated

import helper
from pivot import loaders, outputs

with open(pathlib.Path(__file__).with_name("imports.log"), "a") as log:
    log.write(f"{os.getpid()}\\n")


def s0() -> Annotated[str, outputs.Out("d0.txt", loaders.Text())]:
    return helper.TAG + f"@{os.getpid()}"


def s1(src: Annotated[str, outputs.Dep("d0.txt", loaders.Text())]) -> Annotated[str, outputs.Out("d1.txt", loaders.Text())]:
    return helper.TAG + f"@{os.getpid()}"


def s2(src: Annotated[str, outputs.Dep("d1.txt", loaders.Text())]) -> Annotated[str, outputs.Out("d2.txt", loaders.Text())]:
    return helper.TAG + f"@{os.getpid()}"


def s3(src: Annotated[str, outputs.Dep("d2.txt", loaders.Text())]) -> Annotated[str, outputs.Out("d3.txt", loaders.Text())]:
    return helper.TAG + f"@{os.getpid()}"
'''

PIPELINE = "stages:\n" + "".join(f"  s{i}:\n    python: stages.s{i}\n" for i in range(4))


def _imports(root: pathlib.Path) -> list[int]:
    return [int(line) for line in (root / "imports.log").read_text().split()]


@pytest.mark.slow
def test_a_chain_on_two_workers_imports_the_stage_module_once_outside_the_caller(project, pivot):
    root = project({"stages.py": CHAIN, "helper.py": 'TAG = "v1"\n', "pivot.yaml": PIPELINE})

    result = pivot("run", "-j2", "--executor", "forkserver")

    assert result.exit_code == 0, result.output
    workers = {int((root / f"d{i}.txt").read_text().split("@")[1]) for i in range(4)}
    assert os.getpid() not in workers  # the stages really ran in worker processes
    outside = [pid for pid in _imports(root) if pid != os.getpid()]
    assert len(outside) == 1, f"imported by {outside}, stages ran in {workers}"
    assert not workers & set(outside)  # imported by the fork server, before any worker existed


@pytest.mark.slow
def test_a_helper_edited_between_two_runs_in_one_process_is_imported_again(project):
    root = project({"stages.py": CHAIN, "helper.py": 'TAG = "v1"\n', "pivot.yaml": PIPELINE})
    proj = Project.open(root)

    first = proj.run(jobs=2, executor="forkserver")
    assert first.outcomes == {f"s{i}": Outcome.RAN for i in range(4)}
    assert (root / "d3.txt").read_text().startswith("v1@")

    # Same size, same second: only the content and the nanosecond mtime tell the edit apart.
    (root / "helper.py").write_text('TAG = "v2"\n')
    second = proj.run(jobs=2, executor="forkserver", force=True)

    assert second.outcomes == {f"s{i}": Outcome.RAN for i in range(4)}
    assert [(root / f"d{i}.txt").read_text().split("@")[0] for i in range(4)] == ["v2"] * 4


@pytest.mark.slow
def test_a_worker_from_a_stale_fork_server_imports_the_module_as_it_is_now(project):
    """Even when the fork server kept the old code (it was started before the edit), the worker
    checks the files before each stage and imports the edited module."""
    from pivot.executor import warm

    root = project({"stages.py": CHAIN, "helper.py": 'TAG = "v1"\n', "pivot.yaml": PIPELINE})
    proj = Project.open(root)
    assert proj.run(jobs=1, executor="forkserver").ok

    (root / "helper.py").write_text('TAG = "v3"\n')
    served = warm._served
    warm._served = None if served is None else (served[0], warm._snapshot(str(root), served[1]))  # looks current
    try:
        second = proj.run(jobs=1, executor="forkserver", force=True)
    finally:
        warm._served = None
    assert second.ok
    assert (root / "d0.txt").read_text().startswith("v3@")


SLOW_IMPORT = '''
import os
import pathlib
import time
from typing import Annotated

from pivot import loaders, outputs

_start = time.time()
time.sleep(1.0)  # the stand-in for importing scikit-learn
with open(pathlib.Path(__file__).with_name("imports.log"), "a") as log:
    log.write(f"{os.getpid()} {_start} {time.time()}\\n")


def only() -> Annotated[str, outputs.Out("out.txt", loaders.Text())]:
    return str(os.getpid())
'''


@pytest.mark.slow
def test_the_fork_server_imports_the_stage_module_while_pivot_loads_it(project, pivot_proc):
    root = project({"stages.py": SLOW_IMPORT, "pivot.yaml": "stages:\n  only:\n    python: stages.only\n"})

    result = pivot_proc("run", "-j2", cwd=root)

    assert result.returncode == 0, result.stdout + result.stderr
    imports = [line.split() for line in (root / "imports.log").read_text().splitlines()]
    assert len(imports) == 2, imports  # pivot's own load, and the fork server: not the worker
    starts, ends = [float(line[1]) for line in imports], [float(line[2]) for line in imports]
    assert max(starts) < min(ends), "one import began only after the other had ended"
