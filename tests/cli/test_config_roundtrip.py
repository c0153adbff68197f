"""`pivot remote add|modify|default|remove` edit the config files as a person would: every
comment, blank line, key order and quote of a hand-written file survives, only the touched key
changes, and a new key goes where a reader looks for it. The expected files are written out in
full, byte for byte."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

PIPELINE = {"pivot.yaml": "stages: {}\n"}

TRACKED = """\
# Team settings: reviewed like code.
# Credentials never go here (see config.local.yaml).

cache:
  type: copy   # reflinks where the filesystem has them

remotes:
  # the shared bucket everyone pulls from
  origin:
    url: "s3://team-bucket/cache"   # quoted on purpose
    region: eu-west-1
    connect_timeout: 30

  # nightly copies
  archive:
    url: '/mnt/archive/pivot'

# push and pull use this one unless -r is given
default_remote: origin

executor:
  kind: loky  # dask on the cluster
"""

TRACKED_AFTER = """\
# Team settings: reviewed like code.
# Credentials never go here (see config.local.yaml).

cache:
  type: copy   # reflinks where the filesystem has them

remotes:
  # the shared bucket everyone pulls from
  origin:
    url: "s3://team-bucket/v2"      # quoted on purpose
    connect_timeout: 60
  backup:
    url: gs://backup/cache
    project: team-x

# push and pull use this one unless -r is given
default_remote: backup

executor:
  kind: loky  # dask on the cluster
"""

LOCAL = """\
# This machine only (git-ignored).

remotes:
  origin:
    profile: work      # a section of ~/.aws/credentials
    region: eu-north-1

# end of file
"""

LOCAL_AFTER = """\
# This machine only (git-ignored).

remotes:
  origin:
    region: eu-north-1
    secret_access_key: wJalrXUtnFEMI
default_remote: origin

# end of file
"""


def test_tracked_config_keeps_every_comment_through_add_modify_default_remove(project, pivot):
    root = project({**PIPELINE, ".pivot/config.yaml": TRACKED})
    for args in (
        ("add", "backup", "gs://backup/cache"),
        ("modify", "origin", "url", "s3://team-bucket/v2"),
        ("modify", "origin", "connect_timeout", "60"),
        ("modify", "origin", "region", "--unset"),
        ("modify", "backup", "project", "team-x"),
        ("default", "backup"),
        ("remove", "archive"),
    ):
        result = pivot("remote", *args)
        assert result.exit_code == 0, result.output
    assert (root / ".pivot/config.yaml").read_text() == TRACKED_AFTER
    listed = pivot("remote", "list").output.splitlines()
    assert listed == ["origin\ts3://team-bucket/v2\tconnect_timeout=60", "backup\tgs://backup/cache\t(default)\tproject=team-x"]


def test_local_config_keeps_every_comment_and_remove_edits_both_files(project, pivot):
    root = project({**PIPELINE, ".pivot/config.yaml": TRACKED, ".pivot/config.local.yaml": LOCAL})
    for args in (
        ("add", "--local", "scratch", "/srv/scratch"),
        ("modify", "--local", "origin", "secret_access_key", "wJalrXUtnFEMI"),
        ("modify", "--local", "origin", "profile", "--unset"),
        ("default", "--local", "origin"),
        ("remove", "scratch"),
    ):
        result = pivot("remote", *args)
        assert result.exit_code == 0, result.output
    assert (root / ".pivot/config.local.yaml").read_text() == LOCAL_AFTER
    assert (root / ".pivot/config.yaml").read_text() == TRACKED  # remove found nothing to do there


def test_removing_the_last_remote_keeps_the_comments_of_the_rest(project, pivot):
    text = "# settings\n\nremotes:\n  origin:\n    url: /srv/cache\n\n# the copy mode\ncache:\n  type: copy\n"
    root = project({**PIPELINE, ".pivot/config.yaml": text})
    assert pivot("remote", "remove", "origin").exit_code == 0
    assert (root / ".pivot/config.yaml").read_text() == "# settings\n\n# the copy mode\ncache:\n  type: copy\n"


def test_a_new_file_says_what_it_is_for_and_uses_block_style(project, pivot):
    root = project(PIPELINE)
    assert pivot("remote", "add", "-d", "origin", "/srv/cache").exit_code == 0
    assert (root / ".pivot/config.yaml").read_text() == (
        "# pivot settings: remotes, default_remote, cache.type\n"
        "remotes:\n  origin:\n    url: /srv/cache\ndefault_remote: origin\n"
    )
    assert pivot("remote", "remove", "origin").exit_code == 0
    assert (root / ".pivot/config.yaml").read_text() == "# pivot settings: remotes, default_remote, cache.type\n{}\n"
    assert pivot("remote", "add", "origin", "/srv/cache").exit_code == 0  # `{}` must not make it flow style
    assert (root / ".pivot/config.yaml").read_text().endswith("\nremotes:\n  origin:\n    url: /srv/cache\n")


def test_a_four_space_file_stays_four_spaces(project, pivot):
    root = project({**PIPELINE, ".pivot/config.yaml": "remotes:\n    origin:\n        url: /srv/a\n"})
    assert pivot("remote", "add", "other", "/srv/b").exit_code == 0
    assert (root / ".pivot/config.yaml").read_text() == "remotes:\n    origin:\n        url: /srv/a\n    other:\n        url: /srv/b\n"


# Commands that only read the config stay on PyYAML's C loader: the round-trip library costs
# import time a no-op run should not pay.
_PROBE = """
import sys
from pivot.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="pivot")
except SystemExit as exit:
    code = exit.code
print("RUAMEL" if any(name.split(".")[0] == "ruamel" for name in sys.modules) else "NO-RUAMEL", code, file=sys.stderr)
"""


def _probe(root: pathlib.Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    return done.stderr.strip().splitlines()[-1]


@pytest.mark.slow
def test_run_and_status_do_not_import_the_round_trip_library(project):
    root = project({**PIPELINE, ".pivot/config.yaml": TRACKED})
    assert _probe(root, "run") == "NO-RUAMEL 0"
    assert _probe(root, "status") == "NO-RUAMEL 0"
    assert _probe(root, "remote", "list") == "NO-RUAMEL 0"
    assert _probe(root, "remote", "default", "archive") == "RUAMEL 0"  # the probe sees an import
