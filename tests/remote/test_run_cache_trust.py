"""The remote run cache's trust model, on a directory remote and on a real S3 server (moto): clone
A runs lr=0.1 then lr=0.5, pushing after each; clone B goes back to lr=0.1 and pulls. Entries
signed with the team's key restore; forged, altered, replayed or foreign-signed ones are refused
with one warning line and the stage runs; without a key nothing is shared unless opted in."""

from __future__ import annotations

import json
import pathlib
import subprocess
from collections.abc import Callable

import pytest
import yaml
from conftest import TRAIN_STAGES, assert_clean_error, runs

from pivot.declare import config
from pivot.remote import trust
from pivot.storage import hashing, runcache

pytest_plugins = ("servers",)

KEY = "the-team-key-0123456789"
ATTACKER_KEY = "the-attackers-key-9876543210"
RUN = ("run", "--executor", "inprocess")
# A real S3 server costs a few seconds a test: its runs are in the full suite, the directory's in both.
REMOTES = pytest.mark.parametrize("backend", ["dir", pytest.param("moto", marks=pytest.mark.slow)], indirect=True)
GENUINE_01 = "model(rows, lr=0.1)"


def git(root: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def set_lr(root: pathlib.Path, lr: float) -> None:
    (root / "pivot.yaml").write_text(f"stages:\n  train:\n    python: stages.train\n    params:\n      lr: {lr}\n")


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


class Team:
    """Clone A (pushes two runs), clone B (back at lr=0.1), and raw access to the remote."""

    def __init__(self, backend, pivot, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.backend, self.pivot, self.tmp_path, self.monkeypatch = backend, pivot, tmp_path, monkeypatch
        self.fs, root = backend.raw()
        self.root = root.rstrip("/")
        self.a = backend.project_root

    def configure(self, root: pathlib.Path, **run_cache: object) -> None:
        """The remote (and `run_cache:` settings) in the clone's git-ignored config.local.yaml."""
        remote = {**self.backend.config, "url": self.backend.spec().url}
        data = {"remotes": {"origin": remote}, "default_remote": "origin", **({"run_cache": run_cache} if run_cache else {})}
        (root / ".pivot").mkdir(exist_ok=True)
        (root / ".pivot" / "config.local.yaml").write_text(yaml.safe_dump(data))

    def env_key(self, key: str | None) -> None:
        if key is None:
            self.monkeypatch.delenv(trust.ENV_VAR, raising=False)
        else:
            self.monkeypatch.setenv(trust.ENV_VAR, key)

    def run_a(self, env_key: str | None = KEY, **run_cache: object) -> str:
        """A runs and pushes lr=0.1, then lr=0.5, commits; returns the key of the lr=0.1 entry."""
        self.env_key(env_key)
        root = self.a
        for name, text in {"stages.py": TRAIN_STAGES, "data.txt": "rows\n", ".gitignore": "model.txt\ncounts/\n"}.items():
            (root / name).write_text(text)
        set_lr(root, 0.1)
        self.monkeypatch.chdir(root)
        git(root, "init", "-q")
        ok(self.pivot(*RUN))
        self.configure(root, **run_cache)
        ok(self.pivot("push"))
        (first,) = [p.parent.name + p.name for p in (root / ".pivot/cache/runs").glob("*/*")]
        set_lr(root, 0.5)
        ok(self.pivot(*RUN))
        ok(self.pivot("push"))
        git(root, "add", "-A")
        git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "lr 0.5")
        return first

    def clone_b(self, env_key: str | None = KEY, **run_cache: object) -> pathlib.Path:
        self.env_key(env_key)
        other = self.tmp_path / "clone"
        git(self.tmp_path, "clone", "-q", str(self.a), str(other))
        self.monkeypatch.chdir(other)
        self.configure(other, **run_cache)
        set_lr(other, 0.1)
        return other

    def entry_path(self, key: str) -> str:
        return f"{self.root}/runs/{key[:2]}/{key[2:]}"

    def object_path(self, oid: str) -> str:
        return f"{self.root}/files/{oid[:2]}/{oid[2:]}"

    def plant(self, data: bytes) -> str:
        """Upload `data` as a well-formed object (named by its true hash); returns its oid."""
        oid = hashing.hash_bytes(data)
        self.fs.pipe(self.object_path(oid), data)
        return oid


@pytest.fixture
def team(backend, pivot, tmp_path, monkeypatch) -> Team:
    return Team(backend, pivot, tmp_path, monkeypatch)


def _forged_body(team: Team, key: str) -> dict:
    """The genuine entry under `key`, its model swapped for the attacker's (whose object is on
    the remote too, so only trust stands between it and clone B)."""
    envelope = json.loads(team.fs.cat(team.entry_path(key)))
    body = envelope["entry"]
    evil = b"model(attacker)"
    body["outs"]["model.txt"] = {"hash": team.plant(evil), "size": len(evil)}
    return body


def _unsigned(team: Team, key: str, _: str) -> bytes:
    return runcache.canonical(_forged_body(team, key))


def _altered(team: Team, key: str, _: str) -> bytes:
    envelope = json.loads(team.fs.cat(team.entry_path(key)))  # a genuine signature, kept
    return runcache.canonical({**envelope, "entry": _forged_body(team, key)})


def _other_key(team: Team, key: str, _: str) -> bytes:
    entry = runcache.parse(runcache.canonical(_forged_body(team, key)), key)
    attacker = trust.resolve(config.ProjectConfig(), {trust.ENV_VAR: ATTACKER_KEY})
    return trust.seal(entry, attacker)


def _replayed(team: Team, key: str, genuine_05: str) -> bytes:
    return team.fs.cat(team.entry_path(genuine_05))  # a real signed entry, under another run's name


FORGERIES: dict[str, tuple[Callable[[Team, str, str], bytes], str]] = {
    "unsigned": (_unsigned, "claims stage 'train' but is not signed: ignored"),
    "altered": (_altered, "claims stage 'train' but has a signature that does not match its content"),
    "other-key": (_other_key, f"claims stage 'train' but is signed with another key (key id {trust.key_id_of(ATTACKER_KEY.encode())}"),
    "replayed": (_replayed, "claims stage 'train' but its inputs do not hash to its name: ignored"),
}


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
@REMOTES
@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_forged_entry_on_the_remote_is_refused_by_name_and_the_stage_runs(team, pivot, forgery):
    key = team.run_a()
    (genuine_05,) = {p.parent.name + p.name for p in (team.a / ".pivot/cache/runs").glob("*/*")} - {key}
    forge, why = FORGERIES[forgery]
    team.fs.pipe(team.entry_path(key), forge(team, key, genuine_05))  # the attacker overwrites it
    other = team.clone_b()

    pulled = pivot("pull")
    assert pulled.exit_code == 0, pulled.output
    warnings = [line for line in pulled.output.splitlines() if key in line]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: run-cache entry {key}: "), pulled.output
    assert why in warnings[0], warnings[0]
    assert not (other / ".pivot/cache/runs" / key[:2] / key[2:]).exists()  # never stored
    assert "train: running (Parameters changed)" in ok(pivot(*RUN))
    assert (other / "model.txt").read_text() == GENUINE_01
    assert runs(other, "train") == 1


@REMOTES
def test_a_teammates_signed_entry_restores_and_status_remote_names_the_key(team, pivot):
    team.run_a()
    other = team.clone_b(env_key=None, key=KEY)  # B keeps the key in config.local.yaml, A in the environment
    status = ok(pivot("status", "--remote"))
    key_id = trust.key_id_of(KEY.encode())
    assert f"Run cache: entries signed and checked with key id {key_id} (key from .pivot/config.local.yaml)" in status
    assert KEY not in status
    assert "Fetched 2 run-cache entries from origin, 0 already there" in ok(pivot("pull"))
    assert "train: restored from run cache (Parameters changed)" in ok(pivot(*RUN))
    assert (other / "model.txt").read_text() == GENUINE_01
    assert runs(other, "train") == 0


@REMOTES
def test_without_a_key_entries_are_neither_pushed_nor_fetched_and_status_remote_says_so(team, pivot):
    team.run_a(env_key=None)
    assert not team.fs.exists(f"{team.root}/runs")  # A had no key: nothing to sign with
    team.env_key(KEY)
    pushed = ok(pivot("push"))  # A sets a key: its two entries go up, signed
    assert "Pushed 2 run-cache entries to origin" in pushed
    other = team.clone_b(env_key=None)
    status = ok(pivot("status", "--remote"))
    assert "Run cache: off: no run-cache key, so entries on origin are not fetched and none are pushed" in status
    assert json.loads(ok(pivot("status", "--remote", "--json")))["run_cache"] == {"mode": "off", "key_id": None, "source": None}
    pulled = ok(pivot("pull"))
    assert "note: 2 run-cache entries on origin are not fetched: no run-cache key" in pulled
    assert not list((other / ".pivot/cache/runs").glob("*/*"))
    assert "train: running (Parameters changed)" in ok(pivot(*RUN))
    assert runs(other, "train") == 1


@REMOTES
def test_opting_in_shares_unsigned_entries_and_status_remote_says_so(team, pivot):
    team.run_a(env_key=None, trust_unsigned_remote=True)
    other = team.clone_b(env_key=None, trust_unsigned_remote=True)
    assert "Run cache: unsigned entries trusted (run_cache.trust_unsigned_remote: true)" in ok(pivot("status", "--remote"))
    assert "Fetched 2 run-cache entries from origin" in ok(pivot("pull"))
    assert "train: restored from run cache (Parameters changed)" in ok(pivot(*RUN))
    assert (other / "model.txt").read_text() == GENUINE_01


@REMOTES
def test_with_a_key_the_opt_in_is_moot_and_the_environment_wins_over_the_local_config(team, pivot):
    team.run_a(env_key=None, trust_unsigned_remote=True)  # A shares unsigned entries
    team.clone_b(env_key=KEY, key=ATTACKER_KEY, trust_unsigned_remote=True)
    status = ok(pivot("status", "--remote"))
    assert f"key id {trust.key_id_of(KEY.encode())} (key from PIVOT_RUN_CACHE_KEY)" in status
    pulled = ok(pivot("pull"))
    assert pulled.count("claims stage 'train' but is not signed: ignored, never stored") == 2, pulled
    assert "train: running (Parameters changed)" in ok(pivot(*RUN))


@REMOTES
def test_an_object_that_does_not_match_its_hash_behind_a_signed_entry_is_refused_and_the_stage_runs(team, pivot):
    key = team.run_a()
    oid = json.loads(team.fs.cat(team.entry_path(key)))["entry"]["outs"]["model.txt"]["hash"]
    team.fs.pipe(team.object_path(oid), b"model(attacker)")  # right name, other bytes
    other = team.clone_b()
    pulled = pivot("pull")
    assert pulled.exit_code == 1 and f"object {oid} from remote 'origin' is corrupted" in pulled.output
    assert "train: running (Parameters changed)" in ok(pivot(*RUN))
    assert (other / "model.txt").read_text() == GENUINE_01


def test_a_key_in_the_committed_config_is_refused_and_never_shown(project, pivot):
    project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n"})
    set_lr(pathlib.Path.cwd(), 0.1)
    (pathlib.Path.cwd() / ".pivot").mkdir()
    (pathlib.Path.cwd() / ".pivot/config.yaml").write_text(f"cache:\n  type: copy\nrun_cache:\n  key: {KEY}\n")
    for command in (("status",), RUN, ("push",)):
        result = pivot(*command)
        assert_clean_error(result, ".pivot/config.yaml:4: 'run_cache.key' must not be in this committed file", "PIVOT_RUN_CACHE_KEY", "config.local.yaml")
        assert KEY not in result.output


def test_a_short_key_is_refused_with_how_to_make_one(project, pivot, monkeypatch, tmp_path):
    project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n"})
    set_lr(pathlib.Path.cwd(), 0.1)
    ok(pivot(*RUN))
    ok(pivot("remote", "add", "-d", "origin", str(tmp_path / "shared")))
    monkeypatch.setenv(trust.ENV_VAR, "short")
    result = pivot("push")
    assert_clean_error(result, "the run-cache key in PIVOT_RUN_CACHE_KEY is 5 characters long: it needs at least 16", "secrets.token_hex")
    assert not (tmp_path / "shared" / "runs").exists()
