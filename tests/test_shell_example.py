"""The complete example of docs/shell-stages.md runs as written, with small scripts under src/,
and explains a params edit as the document shows."""

from __future__ import annotations

import re

import pytest
from conftest import REPO

PREPARE_PY = """
import os, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
with open(os.path.join(dst, "rows.csv"), "w") as out:
    out.write(open(src).read())
"""
FEATURIZE_PY = """
import os, sys
with open(sys.argv[2], "w") as out:
    out.write(open(os.path.join(sys.argv[1], "rows.csv")).read())
"""
TRAIN_PY = """
import json, os, sys
with open(sys.argv[2], "w") as out:
    out.write("model, lr " + sys.argv[4])
json.dump({"rows": len(open(sys.argv[1]).readlines())}, open("metrics.json", "w"))
os.makedirs("plots", exist_ok=True)
open("plots/loss.csv", "w").write("step,loss\\n1,0.5\\n")
"""


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_the_documented_pipeline_runs_and_explains_a_param_edit(project, pivot):
    doc = (REPO / "docs/shell-stages.md").read_text()
    blocks = re.findall(r"```(?:yaml|json)\n(.*?)```", doc, re.S)
    pipeline, params, config = blocks[:3]
    root = project({
        "pivot.yaml": pipeline, "params.yaml": params, "config.json": config, "data/raw.csv": "a,b\n1,2\n",
        "src/prepare.py": PREPARE_PY, "src/featurize.py": FEATURIZE_PY, "src/train.py": TRAIN_PY,
    })
    result = pivot("run", "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    assert (root / "models/model.pkl").read_text() == "model, lr 0.01"
    assert (root / "metrics.json").read_text() == '{"rows": 2}'

    (root / "params.yaml").write_text(params.replace("lr: 0.01", "lr: 0.02"))
    explained = pivot("explain", "train").output
    documented = re.search(r"```\n(Stage: train\n.*?)```", doc, re.S)
    assert documented is not None
    for line in filter(None, documented.group(1).splitlines()):
        assert line in explained
    assert "UP TO DATE" in pivot("explain", "featurize").output
