"""What each stage used, as Snakemake's `benchmark:` files record it: `pivot show` gives its CPU
seconds and peak memory, measured per stage even when one worker runs several stages in turn."""

from __future__ import annotations

import json
import re
import sys

import pytest

STAGES = '''
import time
from typing import Annotated

from pivot import loaders, outputs


def big() -> Annotated[str, outputs.Out("big.txt", loaders.Text())]:
    block = bytearray(150_000_000)  # touched: resident
    for i in range(0, len(block), 4096):
        block[i] = 1
    end = time.process_time() + 0.3
    while time.process_time() < end:  # CPU, not sleep
        pass
    return "big"


def small(after: Annotated[str, outputs.Dep("big.txt", loaders.Text())]) -> Annotated[str, outputs.Out("small.txt", loaders.Text())]:
    return "small"
'''

PIPELINE = """\
stages:
  big: {python: stages.big}
  small: {python: stages.small}
  command: {cmd: 'python3 -c "b = bytearray(120_000_000); print(len(b))" > command.txt', outs: [command.txt]}
"""


@pytest.mark.slow  # 150 MB and 120 MB allocated, CPU burnt on purpose
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak memory per stage is measured on Linux only")
def test_show_gives_each_stage_its_own_cpu_and_peak_memory(project, pivot):
    project({"stages.py": STAGES, "pivot.yaml": PIPELINE})
    assert pivot("run", "-j1").exit_code == 0  # one worker runs all three, big before small
    stages = {entry["stage"]: entry for entry in json.loads(pivot("show", "--json").output)["stages"]}
    assert stages["big"]["cpu"] >= 0.25 and stages["big"]["peak_rss"] > 150_000_000
    assert stages["small"]["peak_rss"] < stages["big"]["peak_rss"] - 100_000_000  # not big's peak, carried over
    assert stages["command"]["peak_rss"] > 120_000_000  # the command's own, reaped with its usage
    big_line = next(line for line in pivot("show").output.splitlines() if "big: ran" in line)
    assert re.search(r", cpu \d+\.\d\ds, peak 1\d\d\.\d MB", big_line), big_line  # e.g. ", cpu 0.38s, peak 171.6 MB" (over 1 s on a busy machine)
