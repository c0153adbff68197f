"""The parts of s3fs that `pivot.remote.s3io` uses beyond its public API exist on the installed s3fs,
and the installed version is one pyproject allows: an s3fs upgrade that drops them fails here, by
name, rather than in a user's `pivot push`. (tests/remote/test_s3io.py checks what they do.)"""

from __future__ import annotations

import asyncio
import inspect
import pathlib
import tomllib
from importlib import metadata

import pytest
import s3fs
from packaging.requirements import Requirement

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def fs() -> s3fs.S3FileSystem:
    # Nothing listens on port 9: creating the filesystem and its client sends no request.
    return s3fs.S3FileSystem(anon=True, endpoint_url="http://127.0.0.1:9", skip_instance_cache=True)


def test_call_s3_is_a_coroutine_taking_the_operation_and_its_parameters() -> None:
    call = s3fs.S3FileSystem._call_s3
    assert inspect.iscoroutinefunction(call)
    params = list(inspect.signature(call).parameters.values())
    assert [p.name for p in params[:2]] == ["self", "method"]  # _call_s3("get_object", Bucket=..., ...)
    assert params[-1].kind is inspect.Parameter.VAR_KEYWORD


def test_the_filesystem_has_the_loop_the_client_and_the_path_split_s3io_uses(fs: s3fs.S3FileSystem) -> None:
    assert isinstance(fs.loop, asyncio.AbstractEventLoop) and fs.loop.is_running()  # fsspec's IO thread
    assert fs.split_path("bucket/a/b.bin") == ("bucket", "a/b.bin", None)
    assert isinstance(fs.max_concurrency, int) and fs.max_concurrency > 0  # `max_parts` by default
    fs.connect()
    config = fs.s3.meta.config  # the client behind _call_s3: its checksum setting
    assert config.request_checksum_calculation in {"when_supported", "when_required"}


def test_the_installed_s3fs_is_within_the_bound_pyproject_gives() -> None:
    """A newer s3fs in the environment than the bound allows means the bound moved without
    this check: run these tests on it, then raise the bound in pyproject.toml."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (s3fs_requirement,) = [Requirement(d) for d in dependencies if Requirement(d).name == "s3fs"]
    assert any(spec.operator == "<" for spec in s3fs_requirement.specifier)  # an upper bound
    assert s3fs_requirement.specifier.contains(metadata.version("s3fs")), (metadata.version("s3fs"), str(s3fs_requirement))
