"""The one place pivot runs git: reading a project's files at a revision (with as few git
processes as we can), resolving revisions, merge-bases and shallow history for CI, whether git
tracks or ignores a path. Small typed functions over `git` subprocesses; nothing else in pivot
starts git (tests/test_layers.py checks that)."""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from pivot import errors

if TYPE_CHECKING:
    import subprocess


@dataclasses.dataclass(frozen=True, slots=True)
class Repo:
    """The git repository a project lives in, and where in it the project root is."""

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
    if (done.returncode != 0 or not done.stdout.strip()) and not has_commits(repo):
        raise errors.RevisionError(
            f"git revision '{rev}' does not exist yet: the repository has no commits",
            hint="commit the pipeline first (git add -A && git commit), then compare with it",
        )
    if done.returncode != 0 or not done.stdout.strip():
        raise errors.RevisionError(
            f"unknown git revision '{rev}'",
            hint="use a branch, tag or commit that exists here (git log --oneline); in a shallow "
            "CI checkout fetch the history first",
        )
    return done.stdout.strip()


def hooks_dir(repo: Repo) -> pathlib.Path:
    """Where git runs this repository's hooks from: `.git/hooks`, or `core.hooksPath` when set."""
    done = _git(repo.toplevel, "rev-parse", "--git-path", "hooks")
    path = pathlib.Path(done.stdout.strip())
    return path if path.is_absolute() else repo.toplevel / path


def list_files(repo: Repo, sha: str, directory: str) -> list[str]:
    """Project-relative paths of the files under `directory` at `sha`."""
    done = _git(repo.toplevel, "ls-tree", "-r", "--name-only", "-z", sha, "--", repo.prefix + directory)
    names = [name for name in done.stdout.split("\0") if name]
    return [name[len(repo.prefix) :] for name in names]


def read_files(repo: Repo, sha: str, paths: Sequence[str]) -> dict[str, bytes | None]:
    """The content of project-relative `paths` at `sha` (None where missing), from one git process."""
    return dict(zip(paths, _cat(repo, [f"{sha}:{repo.prefix}{path}" for path in paths]), strict=True))


def _parse_batch(output: bytes, count: int, kind: bytes = b"blob") -> list[bytes | None]:
    """The objects `git cat-file --batch` printed; None for one missing or not of `kind`."""
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
        contents.append(output[offset : offset + size] if header[1] == kind else None)
        offset += size + 1
    return contents


def _git(cwd: pathlib.Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    import subprocess  # on first use: most commands never run git
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check)
    except FileNotFoundError:
        raise errors.RevisionError("git is not installed", hint="install git to compare revisions") from None
    except subprocess.CalledProcessError as exc:
        raise errors.RevisionError(f"git {args[0]} failed: {exc.stderr.strip()}") from None


# ---------------------------------------------------------------------- history


@dataclasses.dataclass(frozen=True, slots=True)
class LogEntry:
    """One commit as `git log` lists it."""

    sha: str
    date: str  # the committer date, ISO 8601
    subject: str


def first_parent_log(repo: Repo, count: int) -> list[LogEntry]:
    """The last `count` commits of HEAD's first-parent history, newest first: the commits the
    current branch was at, not those of branches merged into it. [] without commits."""
    if not has_commits(repo):
        return []
    done = _git(repo.toplevel, "log", "--first-parent", f"--max-count={count}", "--format=%H%x00%cI%x00%s%x00", "HEAD")
    fields = done.stdout.split("\0")
    return [LogEntry(fields[i].strip(), fields[i + 1], fields[i + 2]) for i in range(0, len(fields) - 2, 3)]


def read_many(repo: Repo, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], bytes | None]:
    """(sha, project-relative path) -> that file's content there (None where missing), for any
    number of commits from one git process."""
    return dict(zip(wanted, _cat(repo, [f"{sha}:{repo.prefix}{path}" for sha, path in wanted]), strict=True))


def list_dirs(repo: Repo, shas: Sequence[str], directory: str) -> dict[str, list[str]]:
    """sha -> the project-relative paths of the files directly in `directory` there, for any
    number of commits from one git process (`ls-tree` would take one per commit)."""
    spec = repo.prefix + directory.rstrip("/")
    trees = _cat(repo, [f"{sha}:{spec}" for sha in shas], b"tree")
    return {sha: [directory.rstrip("/") + "/" + name for name in _tree_files(tree, len(sha) // 2)] for sha, tree in zip(shas, trees, strict=True)}


def _tree_files(tree: bytes | None, hash_size: int) -> list[str]:
    """The names of a raw tree object's file entries: `MODE NAME\\0` then the binary hash."""
    names, offset = [], 0
    while tree and offset < len(tree):
        end = tree.index(b"\0", offset)
        mode, _, name = tree[offset:end].partition(b" ")
        if not mode.startswith(b"4"):  # 40000: a directory
            names.append(os.fsdecode(name))
        offset = end + 1 + hash_size
    return names


def _cat(repo: Repo, specs: Sequence[str], kind: bytes = b"blob") -> list[bytes | None]:
    import subprocess  # on first use: most commands never run git
    if not specs:
        return []
    request = "".join(spec + "\n" for spec in specs).encode()
    done = subprocess.run(["git", "cat-file", "--batch"], cwd=repo.toplevel, input=request, capture_output=True, check=True)
    return _parse_batch(done.stdout, len(specs), kind)


def commits(repo: Repo, revs: Sequence[str] = (), *, branches: bool = False, tags: bool = False, every: bool = False) -> list[str]:
    """The commits `revs` name, those at the tip of every branch and every tag, or every commit
    of the repository (`every`), each once."""
    shas = [resolve(repo, rev) for rev in revs]
    if every:
        shas += _git(repo.toplevel, "rev-list", "--all").stdout.split()
    refs = [pattern for wanted, pattern in ((branches, "refs/heads"), (tags, "refs/tags")) if wanted]
    if refs and not every:  # %(*objectname): an annotated tag's commit
        shas += [line.split()[-1] for line in _git(repo.toplevel, "for-each-ref", "--format=%(objectname) %(*objectname)", *refs).stdout.splitlines()]
    return list(dict.fromkeys(shas))


def blobs_in(repo: Repo, shas: Sequence[str], wanted: Callable[[str], bool]) -> list[tuple[str, bytes]]:
    """(project-relative path, content) of each version of each file `wanted` picks in the trees
    of `shas`: one pair per distinct content, under the first path it was seen at. Two git
    processes, however many commits."""
    import subprocess  # on first use: most commands never run git

    if not shas:
        return []
    done = subprocess.run(
        ["git", "rev-list", "--objects", "--no-walk", "--stdin"], cwd=repo.toplevel, input="\n".join(shas) + "\n",
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:  # a shallow or damaged clone lacks some commit's trees
        raise errors.RevisionError(
            f"git cannot list the files of every commit asked for: {_last_line(done.stderr, 'git rev-list failed')}",
            hint="in a shallow clone, fetch the history first (git fetch --unshallow), or name fewer commits",
        )
    listing = done.stdout
    picked: dict[str, str] = {}  # blob -> path
    for line in listing.splitlines():
        blob, _, name = line.partition(" ")
        if name.startswith(repo.prefix) and wanted(name[len(repo.prefix) :]):
            picked.setdefault(blob, name[len(repo.prefix) :])
    contents = _cat(repo, list(picked))
    return [(path, data) for path, data in zip(picked.values(), contents, strict=True) if data is not None]


def commit_files(repo: Repo, base: str, files: Mapping[str, bytes], message: str) -> str:
    """A commit on `base` whose tree is base's with `files` (project-relative path -> content)
    written in; the working tree, the index and HEAD stay as they are (a temp index file)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="pivot-commit-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": os.path.join(tmp, "index")}

        def run(*args: str, feed: str | None = None) -> str:
            try:
                done = subprocess.run(["git", *args], cwd=repo.toplevel, env=env, input=feed, capture_output=True, text=True, check=True)
            except subprocess.CalledProcessError as exc:
                raise errors.RevisionError(f"git {args[0]} failed: {_last_line(exc.stderr, 'no message')}") from None
            return done.stdout.strip()

        run("read-tree", base)
        names = [os.path.join(tmp, str(i)) for i in range(len(files))]
        for name, data in zip(names, files.values(), strict=True):
            pathlib.Path(name).write_bytes(data)
        blobs = run("hash-object", "-w", "--", *names).split() if names else []
        run("update-index", "--index-info", feed="".join(f"100644 {blob}\t{repo.prefix}{path}\n" for path, blob in zip(files, blobs, strict=True)))
        return run("commit-tree", run("write-tree"), "-p", base, "-m", message)


def create_branch(repo: Repo, name: str, sha: str) -> None:
    """Make branch `name` point at `sha`; an invalid name, or a branch that exists, is refused."""
    if _quiet(repo.toplevel, "check-ref-format", "--branch", name).returncode != 0:
        raise errors.RevisionError(f"'{name}' is not a valid branch name", hint="use letters, digits, '-', '_', '/' and '.' (git check-ref-format)")
    if _quiet(repo.toplevel, "update-ref", f"refs/heads/{name}", sha, "0" * len(sha)).returncode != 0:  # zeros: only a new one
        raise errors.RevisionError(f"branch '{name}' already exists", hint=f"pick another name, or delete it first: git branch -D {name}")


def merge_base(repo: Repo, a: str, b: str) -> str | None:
    done = _git(repo.toplevel, "merge-base", a, b, check=False)
    return done.stdout.strip() or None


def has_commits(repo: Repo) -> bool:
    return bool(_git(repo.toplevel, "rev-list", "-n", "1", "--all", check=False).stdout.strip())


# ---------------------------------------------------------------------- CI checkouts


def has_commit(repo: Repo, rev: str) -> bool:
    return _quiet(repo.toplevel, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode == 0


def is_shallow(repo: Repo) -> bool:
    return _quiet(repo.toplevel, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def fetch_branch(repo: Repo, remote: str, branch: str) -> str | None:
    """Fetch `branch` of `remote` into refs/remotes/<remote>/<branch>; None, or why it failed.
    The explicit refspec makes the ref exist whatever remote.<name>.fetch says."""
    done = _quiet(repo.toplevel, "fetch", "--no-tags", remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}")
    if done.returncode == 0:
        return None
    return (done.stderr.strip().splitlines()[-1:] or ["git fetch failed"])[0]


def _quiet(cwd: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    import subprocess  # on first use: most commands never run git
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # a fetch must fail, not wait for a password
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


# ---------------------------------------------------------------------- other repositories


_SHA = frozenset("0123456789abcdef")


def is_commit_id(rev: str) -> bool:
    """A full commit id (it names one commit forever), not a branch or tag that may move."""
    return len(rev) in (40, 64) and set(rev) <= _SHA


def clone(url: str, dest: pathlib.Path, rev: str | None) -> str:
    """Copy the repository at `url` (a URL git takes, or an absolute local path) into `dest`, checked out
    at `rev` (default: its default branch); the commit it holds. A branch or tag comes alone,
    one commit deep; anything else (a commit id) needs the whole history."""
    shallow = ["--depth", "1", *(["--branch", rev] if rev else [])]
    if (rev is not None and is_commit_id(rev)) or _quiet(dest.parent, "clone", "--quiet", *shallow, "--", url, str(dest)).returncode != 0:
        import shutil

        shutil.rmtree(dest, ignore_errors=True)
        done = _quiet(dest.parent, "clone", "--quiet", "--no-checkout", "--", url, str(dest))
        if done.returncode != 0:
            raise errors.RevisionError(
                f"cannot clone the repository '{url}': {_last_line(done.stderr, 'git clone failed')}",
                hint="check the URL or path, and that `git clone` can reach it (credentials come from git's own setup)",
            )
        if _quiet(dest, "checkout", "--quiet", "--detach", rev or "HEAD", "--").returncode != 0:
            raise errors.RevisionError(
                f"unknown git revision '{rev}' in '{url}'",
                hint=f"use a branch, tag or commit that exists there (git ls-remote {url} lists the branches and tags)",
            )
    return _quiet(dest, "rev-parse", "HEAD").stdout.strip()


def remote_commit(url: str, rev: str | None) -> str | None:
    """The commit that branch or tag `rev` (default: the default branch) of the repository at
    `url` (a URL git takes, or an absolute local path) names now, asked without cloning; a
    commit id is its own answer; None when there is no such branch or tag. A repository that cannot be reached is a RevisionError."""
    if rev is not None and is_commit_id(rev):
        return rev
    done = _quiet(pathlib.Path(os.sep), "ls-remote", "--", url, *(() if rev is None else (rev, f"{rev}^{{}}")))
    if done.returncode != 0:
        raise errors.RevisionError(
            f"cannot reach the repository '{url}': {_last_line(done.stderr, 'git ls-remote failed')}",
            hint="check the URL or path, and that `git ls-remote` can reach it",
        )
    refs: dict[str, str] = {}
    for line in done.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        refs[ref] = sha
    if rev is None:
        return refs.get("HEAD")
    for ref in (f"refs/heads/{rev}", f"refs/tags/{rev}^{{}}", f"refs/tags/{rev}"):  # a tag's commit, not the tag object
        if ref in refs:
            return refs[ref]
    return None


def _last_line(text: str, default: str) -> str:
    return (text.strip().splitlines()[-1:] or [default])[0]


# ---------------------------------------------------------------------- the working tree


def tracks(root: pathlib.Path, path: str) -> bool:
    """Whether git tracks `path` (or files in it); False without git, outside a repository, or
    when git hangs."""
    import subprocess  # on first use: most commands never run git
    try:
        done = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", path], cwd=root, capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


_CHECK_IGNORE = ("git", "check-ignore", "--no-index", "-v", "-n", "-z", "--stdin")
# What a pipe holds before its reader reads (16 KiB on macOS, 64 KiB on Linux): paths up to this
# size are written to a git started in the background without waiting on it.
_PIPE_HOLDS = 16 * 1024


def check_ignore(root: pathlib.Path, paths: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """`git check-ignore -v -n` for `paths` in one call: (source, line, pattern, path) each; []
    without git or outside a repository."""
    if not paths:  # (before the import: a run's end asks about no path at all, most often)
        return []
    import subprocess  # on first use: most commands never run git

    try:
        done = subprocess.run(_CHECK_IGNORE, cwd=root, input=_nul_joined(paths), capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return _ignore_answers(done.returncode, done.stdout)


class IgnoreQuery:
    """`check_ignore` started by `check_ignore_started`: git works while the caller does."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    def answer(self) -> list[tuple[str, str, str, str]]:
        """What `check_ignore` answers (waits for git if it has not finished)."""
        assert self._process.stdout is not None
        with self._process.stdout as out:  # git's stdin is closed: it ends once it has answered
            answers = out.read()
        return _ignore_answers(self._process.wait(), answers)

    def cancel(self) -> None:
        """Stop git if it still runs (the answer is no longer wanted)."""
        if self._process.poll() is None:
            self._process.kill()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process.wait()


def check_ignore_started(root: pathlib.Path, paths: Sequence[str]) -> IgnoreQuery | None:
    """`check_ignore` for `paths`, started now and answered later; None when git cannot start or
    the paths do not fit in the pipe at once (writing them would wait on git: ask `check_ignore`)."""
    import subprocess

    data = _nul_joined(paths)
    if not paths or len(data) > _PIPE_HOLDS:
        return None
    try:
        process = subprocess.Popen(_CHECK_IGNORE, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return None
    query = IgnoreQuery(process)
    assert process.stdin is not None
    try:
        with process.stdin as feed:
            feed.write(data)
    except OSError:  # git ended before reading (not a repository): asked again the usual way
        query.cancel()
        return None
    return query


def _nul_joined(paths: Sequence[str]) -> bytes:
    return b"".join(os.fsencode(path) + b"\0" for path in paths)


def _ignore_answers(returncode: int, out: bytes) -> list[tuple[str, str, str, str]]:
    if returncode not in (0, 1):  # 128: not a git repository
        return []
    fields = [os.fsdecode(field) for field in out.split(b"\0")[:-1]]
    return [(fields[i], fields[i + 1], fields[i + 2], fields[i + 3]) for i in range(0, len(fields) - 3, 4)]


def unchanged(root: pathlib.Path, pathspecs: Sequence[str]) -> bool:
    """Whether the files matching `pathspecs` are as the checked-out commit has them: none
    modified, staged, deleted or untracked. False without git, outside a repository, or when git hangs."""
    import subprocess  # on first use: most commands never run git
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "--", *pathspecs],
            cwd=root, capture_output=True, timeout=30, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and not done.stdout.strip()
