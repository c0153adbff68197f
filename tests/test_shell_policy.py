"""The policy keys (mutex, always_changed, frozen) on shell stages mean what they mean on Python
stages (docs/scheduling.md)."""

from __future__ import annotations

RUN = ("run", "--executor", "inprocess")
PIPELINE = """\
stages:
  stamp:
    cmd: echo x >> runs.txt && cp runs.txt stamp.txt
    outs:
      - stamp.txt
    always_changed: true
    mutex: gpu
  copy:
    cmd: echo y >> copies.txt && cp stamp.txt copy.txt
    deps:
      - stamp.txt
    outs:
      - copy.txt
    frozen: FROZEN
"""


def test_always_changed_and_mutex_on_a_shell_stage(project, pivot):
    root = project({"pivot.yaml": PIPELINE.replace("FROZEN", "false")})
    assert pivot(*RUN).exit_code == 0
    status = pivot("status")
    assert "stamp  will run: Always changed [mutex: gpu]" in status.output, status.output
    again = pivot(*RUN)
    assert again.exit_code == 0, again.output
    assert (root / "runs.txt").read_text() == "x\nx\n"  # it ran again with nothing changed
    assert (root / "copies.txt").read_text() == "y\ny\n"  # and its output changed, so copy ran


def test_a_frozen_shell_stage_never_runs(project, pivot):
    root = project({"pivot.yaml": PIPELINE.replace("FROZEN", "false")})
    assert pivot(*RUN).exit_code == 0
    (root / "pivot.yaml").write_text(PIPELINE.replace("FROZEN", "true"))
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert (root / "copies.txt").read_text() == "y\n"  # stamp ran again, copy stayed frozen
    explain = pivot("explain", "copy")
    assert "FROZEN" in explain.output, explain.output


def test_a_misused_policy_key_on_a_shell_stage_names_it(project, pivot):
    project({"pivot.yaml": PIPELINE.replace("FROZEN", "sometimes")})
    result = pivot("status")
    assert result.exit_code == 2, result.output
    assert "pivot.yaml:14: 'stages.copy.frozen'" in result.output, result.output
    assert "Traceback" not in result.output
