"""`pivot install`: git hooks that keep the data in step with git, as DVC's `dvc install` does.

- post-checkout: after a branch is checked out, its outputs come back from the cache
  (`pivot checkout`), so the data matches the locks git just wrote;
- pre-commit: `pivot status` is shown, so a commit of stale locks does not go unnoticed; it never
  stops the commit;
- pre-push: the cache goes to the default remote first (`pivot push`); a failed upload stops the
  push, so no one pulls locks whose data is missing. Only with a default remote configured: else
  every `git push` would fail.

A hook file that pivot did not write is never touched: installing stops and says which. One that
pivot wrote is written again (the interpreter or the project may have moved). Each hook runs
pivot with the interpreter that installed it, or `pivot` on PATH once that one is gone.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import stat
import sys
from typing import TYPE_CHECKING

from pivot import errors
from pivot.base import atomic, git

if TYPE_CHECKING:
    import pathlib

    from pivot.api.project import Project

MARK = "# installed by `pivot install`"
# hook -> (what has to hold for it to act, the pivot command, whether its failure stops git)
_HOOKS = {
    "post-checkout": ('[ "$3" = "1" ] || exit 0  # a file checked out, not a branch: nothing to do', "checkout", False),
    "pre-commit": ("", "status", False),
    "pre-push": ("", "push", True),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Hook:
    """One git hook and what installing did with it."""

    name: str
    path: pathlib.Path
    runs: str  # the pivot command it runs
    written: bool  # False: left out (`skipped` says why)
    skipped: str = ""


def install(proj: Project) -> list[Hook]:
    """Write the hooks, or none: a hook file pivot did not write stops it before anything changes."""
    repo = git.open_repo(proj.root)  # not a repository: refused, saying so
    directory = git.hooks_dir(repo)
    has_remote = _default_remote(proj) is not None
    foreign = [directory / name for name in _HOOKS if _foreign(directory / name)]
    if foreign:
        raise errors.InputError(
            f"{foreign[0]} exists and pivot did not write it",
            hint=f"add 'pivot {_HOOKS[foreign[0].name][1]}' to it yourself, or move it away and run pivot install again",
        )
    hooks = []
    for name, (guard, command, blocking) in _HOOKS.items():
        path = directory / name
        if name == "pre-push" and not has_remote:
            hooks.append(Hook(name, path, command, False, "no default remote (pivot remote add -d NAME URL, then pivot install again)"))
            continue
        directory.mkdir(parents=True, exist_ok=True)
        atomic.write_text(path, _script(repo, guard, command, blocking))
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        hooks.append(Hook(name, path, command, True))
    return hooks


def _foreign(path: pathlib.Path) -> bool:
    try:
        return MARK not in path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return False


def _default_remote(proj: Project) -> str | None:
    from pivot.declare import config

    return config.load_project_config(proj.paths).default_remote


def _script(repo: git.Repo, guard: str, command: str, blocking: bool) -> str:
    python = shlex.quote(os.path.abspath(sys.executable))
    lines = [
        "#!/bin/sh",
        f"{MARK}: keeps the data in step with git (docs/install.md). Delete this file to stop it.",
        guard,
        f"cd {shlex.quote(repo.prefix or '.')} || exit 0  # git runs hooks at the repository's top; the project may be below it",
        f"if [ -x {python} ]; then set -- {python} -m pivot; else set -- pivot; fi",
        f'exec "$@" {command}' if blocking else f'"$@" {command}\nexit 0',
    ]
    return "\n".join(line for line in lines if line) + "\n"
