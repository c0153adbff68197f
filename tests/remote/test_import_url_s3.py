"""`pivot import-url s3://...` against a real S3 server (moto) on 127.0.0.1: the endpoint and the
credentials come from the environment, as they would for the AWS CLI; `pivot update` notices an
object rewritten at the source (its ETag) and fetches only that."""

from __future__ import annotations

import pytest
import servers

pytest_plugins = ("servers",)
pytestmark = pytest.mark.slow  # a server, and three commands against it


def test_a_prefix_and_an_object_are_imported_and_updated_from_s3(request, client_env, tmp_path, monkeypatch, project, pivot):
    backend = servers.make_backend("moto", request, tmp_path)
    raw, root = backend.raw()
    bucket = root.split("/")[0]
    raw.pipe(f"{bucket}/datasets/train.csv", b"x,y\n1,2\n")
    raw.pipe(f"{bucket}/datasets/images/a.png", b"\x89PNG a")
    for name, value in (
        ("AWS_ENDPOINT_URL", backend.config["endpoint_url"]),
        ("AWS_ACCESS_KEY_ID", servers.S3_KEY),
        ("AWS_SECRET_ACCESS_KEY", servers.S3_SECRET),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
    ):
        monkeypatch.setenv(name, value)
    proj = project({"pivot.yaml": "stages: {}\n"})
    for args in (("init",), ("import-url", f"s3://{bucket}/datasets", "data"), ("import-url", f"s3://{bucket}/datasets/train.csv")):
        result = pivot(*args)
        assert result.exit_code == 0, result.output
    assert (proj / "data" / "images" / "a.png").read_bytes() == b"\x89PNG a"
    assert (proj / "train.csv").read_text() == "x,y\n1,2\n"
    raw.pipe(f"{bucket}/datasets/train.csv", b"x,y\n3,4\n")
    out = pivot("update").output
    assert "data: fetched from" in out and "train.csv: fetched from" in out  # both list the rewritten object
    assert (proj / "train.csv").read_text() == "x,y\n3,4\n"
    assert pivot("update").output.count("up to date") == 2
