"""`pivot import-url s3://...` against a real S3 server (moto) on 127.0.0.1: the endpoint and the
credentials come from the environment, as they would for the AWS CLI; `pivot update` notices an
object rewritten at the source (its ETag) and fetches only that."""

from __future__ import annotations

import pytest
import servers
from conftest import assert_clean_error

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


def test_remote_urls_read_with_the_remotes_settings_and_keep_them_out_of_the_pvt(request, client_env, tmp_path, project, pivot):
    """`remote://NAME/PATH`, as DVC writes it: the endpoint and the credentials are the remote's,
    from the project's config (the secrets in config.local.yaml), none in the environment."""
    backend = servers.make_backend("moto", request, tmp_path)
    raw, root = backend.raw()
    bucket = root.split("/")[0]
    raw.pipe(f"{bucket}/team/cache/datasets/train.csv", b"x,y\n1,2\n")
    proj = project({"pivot.yaml": "stages: {}\n"})
    assert pivot("init").exit_code == 0
    assert pivot("remote", "add", "store", backend.config["url"]).exit_code == 0
    for key in ("endpoint_url", "region", "access_key_id", "secret_access_key"):
        local = ["--local"] if "key" in key else []
        assert pivot("remote", "modify", *local, "store", key, str(backend.config[key])).exit_code == 0

    listed = pivot("ls-url", "remote://store/datasets")
    assert listed.exit_code == 0 and "train.csv" in listed.output, listed.output
    imported = pivot("import-url", "remote://store/datasets/train.csv", "data/train.csv")
    assert imported.exit_code == 0, imported.output
    assert (proj / "data/train.csv").read_text() == "x,y\n1,2\n"
    pvt = (proj / "data/train.csv.pvt").read_text()
    assert "url: remote://store/datasets/train.csv" in pvt and servers.S3_SECRET not in pvt and "127.0.0.1" not in pvt
    raw.pipe(f"{bucket}/team/cache/datasets/train.csv", b"x,y\n3,4\n")
    assert "data/train.csv: fetched from" in pivot("update").output
    assert (proj / "data/train.csv").read_text() == "x,y\n3,4\n"
    assert pivot("get-url", "remote://store/datasets/train.csv", "copy.csv").exit_code == 0
    assert (proj / "copy.csv").read_text() == "x,y\n3,4\n"


def test_a_remote_url_naming_no_remote_is_exit_2(project, pivot, tmp_path, monkeypatch):
    project({"pivot.yaml": "stages: {}\n"})
    assert pivot("init").exit_code == 0
    assert pivot("remote", "add", "store", str(tmp_path / "store")).exit_code == 0
    assert_clean_error(pivot("import-url", "remote://stor/x.csv"), "no remote named 'stor'", "did you mean 'store'?")
    assert_clean_error(pivot("import-url", "remote:///x.csv"), "remote:///x.csv: no remote named")
    monkeypatch.chdir(tmp_path)  # outside the project
    assert_clean_error(pivot("ls-url", "remote://store/x"), "run pivot from your project directory")  # whose remotes it names
