"""`pivot doctor`: an OK or FAIL line per check with a fix under each FAIL, every check run
whatever failed before it, exit 1 when any failed; remotes that do not answer are cut short."""

from __future__ import annotations

import pathlib
import re
import socket
import subprocess

import pytest

PIPELINE = "stages:\n  hello:\n    cmd: echo hi > hello.txt\n    outs: [hello.txt]\n"


def _lines(output: str) -> dict[str, str]:
    """{check name: its status and detail}, from the OK/FAIL lines."""
    found = {}
    for line in output.splitlines():
        match = re.match(r"(OK|FAIL)\s+(\S+(?: \S+)?)\s{2,}(.*)", line)
        if match:
            found[match[2]] = f"{match[1]} {match[3]}"
    return found


@pytest.fixture
def healthy(project) -> pathlib.Path:
    root = project({"pivot.yaml": PIPELINE})
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def test_a_healthy_project_is_all_ok(healthy: pathlib.Path, pivot) -> None:
    pivot("remote", "add", "store", str(healthy.parent / "store"))
    result = pivot("doctor")
    assert result.exit_code == 0, result.output
    checks = _lines(result.output)
    assert list(checks) == ["python", "git", "project", "git repository", "pipeline", "config", "cache", "remote store"]
    assert all(status.startswith("OK ") for status in checks.values()), result.output
    assert checks["pipeline"] == "OK pivot.yaml: 1 stage"
    assert "fix:" not in result.output


def test_a_broken_pivot_yaml_fails_with_its_line_and_the_rest_still_runs(healthy: pathlib.Path, pivot) -> None:
    (healthy / "pivot.yaml").write_text("stages:\n  hello:\n    cmd: echo\n    outz: [x]\n")
    result = pivot("doctor")
    assert result.exit_code == 1
    checks = _lines(result.output)
    assert checks["pipeline"].startswith("FAIL pivot.yaml:4"), result.output
    assert "outz" in checks["pipeline"]
    assert checks["cache"].startswith("OK ")
    assert "fix:" in result.output


def test_a_bad_config_fails_config_and_skips_remotes(healthy: pathlib.Path, pivot) -> None:
    (healthy / ".pivot").mkdir(exist_ok=True)
    (healthy / ".pivot" / "config.yaml").write_text("executor:\n  kind: spark\n")
    result = pivot("doctor")
    assert result.exit_code == 1
    assert _lines(result.output)["config"].startswith("FAIL .pivot/config.yaml:2")


def test_outside_a_project(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, pivot) -> None:
    monkeypatch.chdir(tmp_path)
    result = pivot("doctor")
    assert result.exit_code == 1
    checks = _lines(result.output)
    assert checks["project"].startswith("FAIL no pivot.yaml")
    assert "pipeline" not in checks
    assert "fix: run pivot from your project directory" in result.output


def test_not_a_git_repository(project, pivot) -> None:
    project({"pivot.yaml": PIPELINE})
    result = pivot("doctor")
    assert result.exit_code == 1
    assert _lines(result.output)["git repository"].startswith("FAIL ")


def test_a_cache_that_cannot_be_written(healthy: pathlib.Path, pivot) -> None:
    """A file where the cache directory should be (any user, root included, is refused)."""
    pivot("init")
    (healthy / ".pivot" / "cache").write_text("not a directory")
    result = pivot("doctor")
    assert result.exit_code == 1
    assert _lines(result.output)["cache"].startswith(f"FAIL cannot write in {healthy / '.pivot' / 'cache'}")


def test_the_cache_checked_is_the_one_cache_dir_names(healthy: pathlib.Path, pivot, monkeypatch) -> None:
    pivot("init")
    (healthy.parent / "shared").write_text("not a directory")
    assert pivot("config", "set", "cache.dir", "../shared").exit_code == 0
    result = pivot("doctor")
    assert result.exit_code == 1
    assert _lines(result.output)["cache"].startswith(f"FAIL cannot write in {healthy / '..' / 'shared'}")
    monkeypatch.setenv("PIVOT_CACHE_DIR", "relative/cache")
    assert "is not an absolute path" in _lines(pivot("doctor").output)["cache"]


def test_a_directory_remote_under_a_file_fails(healthy: pathlib.Path, pivot) -> None:
    (healthy.parent / "a_file").write_text("x")
    pivot("remote", "add", "store", str(healthy.parent / "a_file" / "store"))
    result = pivot("doctor")
    assert result.exit_code == 1
    assert _lines(result.output)["remote store"] == f"FAIL {healthy.parent / 'a_file'} is not a directory"


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_remote_that_never_answers_is_cut_short(healthy: pathlib.Path, pivot, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that accepts the connection and says nothing: doctor stops waiting at --timeout."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        pivot("remote", "add", "s3", "s3://bucket/prefix")
        pivot("remote", "modify", "s3", "endpoint_url", endpoint)
        result = pivot("doctor", "--timeout", "0.5")
    assert result.exit_code == 1
    assert _lines(result.output)["remote s3"] == "FAIL no answer from s3://bucket/prefix in 0.5s"


def test_quiet_shows_only_the_failures(healthy: pathlib.Path, pivot) -> None:
    (healthy / "pivot.yaml").write_text("stages: [")
    result = pivot("-q", "doctor")
    assert result.exit_code == 1
    assert list(_lines(result.output)) == ["pipeline"]


def test_without_git_on_path_both_git_checks_fail_with_a_fix(healthy: pathlib.Path, pivot, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = healthy.parent / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = pivot("doctor")
    assert result.exit_code == 1
    checks = _lines(result.output)
    assert checks["git"] == "FAIL git is not on PATH"
    assert checks["git repository"] == "FAIL git is not installed"
    assert checks["cache"].startswith("OK ")
    assert "fix: install git" in result.output


def test_a_pipeline_whose_code_fails_to_import(healthy: pathlib.Path, pivot) -> None:
    (healthy / "pivot.yaml").write_text("stages:\n  train:\n    python: stages.train\n")
    (healthy / "stages.py").write_text("raise RuntimeError('no GPU here')\n")
    result = pivot("doctor")
    assert result.exit_code == 1
    assert _lines(result.output)["pipeline"].startswith("FAIL ")
    assert "no GPU here" in result.output
    assert "Traceback" not in result.output
