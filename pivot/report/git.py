"""Reading a project's files as they were at a git revision, with as few git processes as we can."""

from __future__ import annotations

import dataclasses
import pathlib
import subprocess
from collections.abc import Sequence

from pivot import errors


@dataclasses.dataclass(frozen=True, slots=True)
class Repo:
    toplevel: pathlib.Path
    prefix: str  # the project root inside the repository: "" or "sub/dir/"


def open_repo(project_root: pathlib.Path) -> Repo:
    done = _git(project_root, "rev-parse", "--show-toplevel", "--show-prefix", check=False)
    if done.returncode != 0:
        raise errors.RevisionError(
            f"{project_root} is not inside a git repository",
            hint="diffs compare against git revisions: run 'git init' and commit your pipeline",
        )
    toplevel, _, prefix = done.stdout.partition("\n")
    return Repo(pathlib.Path(toplevel.strip()), prefix.strip())


def resolve(repo: Repo, rev: str) -> str:
    """The commit sha a revision names (a branch, tag, sha, HEAD~1 ...)."""
    done = _git(repo.toplevel, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise errors.RevisionError(
            f"unknown git revision '{rev}'",
            hint="use a branch, tag or commit that exists here (git log --oneline); in a shallow "
            "CI checkout fetch the history first",
        )
    return done.stdout.strip()


def list_files(repo: Repo, sha: str, directory: str) -> list[str]:
    """Project-relative paths of the files under `directory` at `sha`."""
    done = _git(repo.toplevel, "ls-tree", "-r", "--name-only", "-z", sha, "--", repo.prefix + directory)
    names = [name for name in done.stdout.split("\0") if name]
    return [name[len(repo.prefix) :] for name in names]


def read_files(repo: Repo, sha: str, paths: Sequence[str]) -> dict[str, bytes | None]:
    """The content of project-relative `paths` at `sha` (None where missing), from one git process."""
    if not paths:
        return {}
    request = "".join(f"{sha}:{repo.prefix}{path}\n" for path in paths).encode()
    done = subprocess.run(
        ["git", "cat-file", "--batch"], cwd=repo.toplevel, input=request, capture_output=True, check=True
    )
    return dict(zip(paths, _parse_batch(done.stdout, len(paths))))


def _parse_batch(output: bytes, count: int) -> list[bytes | None]:
    contents: list[bytes | None] = []
    offset = 0
    for _ in range(count):
        end = output.index(b"\n", offset)
        header = output[offset:end].split()
        offset = end + 1
        if len(header) < 3 or header[-1] == b"missing":
            contents.append(None)
            continue
        size = int(header[2])
        contents.append(output[offset : offset + size] if header[1] == b"blob" else None)
        offset += size + 1
    return contents


def _git(cwd: pathlib.Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check)
    except FileNotFoundError:
        raise errors.RevisionError("git is not installed", hint="install git to compare revisions") from None
    except subprocess.CalledProcessError as exc:
        raise errors.RevisionError(f"git {args[0]} failed: {exc.stderr.strip()}") from None


def merge_base(repo: Repo, a: str, b: str) -> str | None:
    done = _git(repo.toplevel, "merge-base", a, b, check=False)
    return done.stdout.strip() or None


def has_commits(repo: Repo) -> bool:
    return bool(_git(repo.toplevel, "rev-list", "-n", "1", "--all", check=False).stdout.strip())
