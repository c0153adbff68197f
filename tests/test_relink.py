"""`pivot checkout --relink` (as `dvc checkout --relink`): after `cache.type` changed, the outputs
already in place are placed again, linked the new way; without it they are left as they are."""

from __future__ import annotations

import os

from conftest import TRAIN_STAGES

PIPELINE = "stages:\n  train:\n    python: stages.train\n"


def test_relink_places_current_outputs_again_with_the_new_link_type(project, pivot):
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    assert pivot("init").exit_code == 0
    (root / ".pivot/config.yaml").write_text("cache:\n  type: copy\n")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    model = root / "model.txt"
    assert model.stat().st_nlink == 1  # a copy

    (root / ".pivot/config.yaml").write_text("cache:\n  type: hardlink\n")
    plain = pivot("checkout")
    assert plain.exit_code == 0 and "0 outputs, 1 already up to date" in plain.output and model.stat().st_nlink == 1
    relinked = pivot("checkout", "--relink")
    assert relinked.exit_code == 0 and "Restored 1 output," in relinked.output, relinked.output
    assert model.stat().st_nlink == 2 and model.read_text() == "model(rows, lr=0.1)"  # now the cached object itself

    (root / ".pivot/config.yaml").write_text("cache:\n  type: copy\n")
    assert pivot("checkout", "--relink", "model.txt").exit_code == 0
    assert model.stat().st_nlink == 1 and not os.path.islink(model)
    assert pivot("status").output.split() == ["train", "up", "to", "date"]
