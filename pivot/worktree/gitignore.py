"""The .gitignore entries pivot keeps for what it caches: `/name` in the .gitignore beside each
cached output and tracked path, as DVC writes them, so `git add -A` never commits a model.

Only lines of that one form are ever added (or, for a file git must track, removed); every other
line of the file, its comments and its order stay as the user wrote them. Each .gitignore is read
and written (atomically) at most once per call, however many outputs it lists.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from pivot.base import git, project

if TYPE_CHECKING:  # a run with nothing to do imports this module: no stage code, no temp files
    from pivot.declare.stage import Stage

GITIGNORE = ".gitignore"


@dataclasses.dataclass(frozen=True, slots=True)
class Update:
    """What keeping the outputs out of git changed in the .gitignore files, and what it could not."""

    written: tuple[str, ...] = ()  # project-relative .gitignore files that changed
    added: int = 0
    removed: int = 0
    # (path, "where: pattern") for each file that git must track but a user's line ignores
    still_ignored: tuple[tuple[str, str], ...] = ()
    failed: tuple[tuple[str, str], ...] = ()  # (.gitignore, why it could not be written)


def split_outputs(stages: Iterable[Stage]) -> tuple[list[str], list[str]]:
    """(cached outputs and temp ones, outputs git tracks: Metrics and `cache=False` outputs) of
    `stages`."""
    cached: list[str] = []
    tracked: list[str] = []
    for stage in stages:
        for out in stage.outs:
            (cached if out.cache or out.temp else tracked).append(out.path)
    return cached, tracked


def keep(proj: project.Project, ignore: Iterable[str], show: Iterable[str] = (), early: Early | None = None) -> Update:
    """Make git ignore every path of `ignore` (cached outputs, tracked data) and stop ignoring,
    through pivot's own `/name` line, every path of `show` (files git tracks, such as metrics).

    A path git already ignores (a user's `*.pkl`, an ignored parent) gets no line. A path whose
    directory does not exist yet is left for a later command: no directory is created for it.
    `early`: git's answers asked while the stages ran, used where no ignore file changed since.
    """
    plans = _planned(proj, *_sides(ignore, show))
    shown = _sides(ignore, show)[1]
    if not plans:
        return Update(still_ignored=_ignored_by_user(proj, shown))
    ignored = _git_ignored(proj, [path for plan in plans.values() for path in plan.to_add], early)
    written, failed, added, removed = [], [], 0, 0
    for directory, plan in sorted(plans.items()):
        additions = [path for path in plan.to_add if path not in ignored]
        text = _edited(plan.text, [*(_entry(path) for path in additions), *plan.lines], plan.to_remove)
        if text == plan.text:
            continue
        target = posixpath.join(directory, GITIGNORE)
        try:
            from pivot.base import atomic

            # Not fsync'd: a line a power cut loses is written again by the next command.
            atomic.write_bytes(proj.abspath(target), text.encode("utf-8"), durable=False)
        except OSError as exc:  # the outputs are saved already: a warning, not a failed command
            failed.append((target, exc.strerror or str(exc)))
            continue
        written.append(target)
        added, removed = added + len(additions) + len(plan.lines), removed + len(plan.to_remove)
    return Update(tuple(written), added, removed, _ignored_by_user(proj, shown), tuple(failed))


def in_place(proj: project.Project, ignore: Iterable[str], show: Iterable[str] = ()) -> bool:
    """Whether `keep(proj, ignore, show)` has nothing to write or to ask git about: every line
    it would add is there, none it would remove is."""
    return not _planned(proj, *_sides(ignore, show))


def _planned(proj: project.Project, hidden: Sequence[str], shown: Sequence[str]) -> dict[str, _Plan]:
    nested = _nested(hidden, shown)
    plans = _plan(proj, hidden, shown, nested)
    _plan_nested(proj, plans, nested)
    return plans


def _sides(ignore: Iterable[str], show: Iterable[str]) -> tuple[list[str], list[str]]:
    """(paths to hide, paths to show), each once; a path in both is shown."""
    shown = list(dict.fromkeys(show))
    not_hidden = frozenset(shown)
    return [path for path in dict.fromkeys(ignore) if path not in not_hidden], shown


@dataclasses.dataclass(slots=True)
class _Plan:
    """The edits one .gitignore file needs."""

    text: str  # the .gitignore as it is ("" when absent)
    to_add: list[str] = dataclasses.field(default_factory=list)  # project-relative paths
    to_remove: list[str] = dataclasses.field(default_factory=list)  # entry lines to drop
    lines: list[str] = dataclasses.field(default_factory=list)  # lines to add as they are


def _plan(
    proj: project.Project, hidden: Sequence[str], shown: Sequence[str], nested: Mapping[str, Sequence[str]]
) -> dict[str, _Plan]:
    """Per directory, the .gitignore text and the edits it needs (directories needing none are left out)."""
    plans: dict[str, _Plan] = {}
    read: dict[str, tuple[str, frozenset[str]] | None] = {}  # directory -> (text, its lines)
    for path, wanted in [*((p, True) for p in hidden), *((p, False) for p in shown)]:
        directory = posixpath.dirname(path)
        if directory not in read:
            text = _read(proj, directory)
            read[directory] = None if text is None else (text, frozenset(line.strip() for line in text.splitlines()))
        known = read[directory]
        if known is None:
            continue
        text, lines = known
        entry = _entry(path)
        if wanted and nested.get(path):
            continue  # `_plan_nested` writes its lines
        if wanted and not lines & _equivalents(entry):
            plans.setdefault(directory, _Plan(text)).to_add.append(path)
        elif not wanted and entry in lines:
            plans.setdefault(directory, _Plan(text)).to_remove.append(entry)
    return plans


def _read(proj: project.Project, directory: str) -> str | None:
    """The .gitignore of `directory` ("" when there is none), or None when the directory is missing."""
    try:
        return proj.abspath(posixpath.join(directory, GITIGNORE)).read_text(encoding="utf-8")
    except FileNotFoundError:
        return "" if os.path.isdir(proj.abspath(directory) if directory else proj.root) else None
    except (OSError, UnicodeDecodeError):  # the parent is a file, or .gitignore is not one: left alone
        return None


def _entry(path: str) -> str:
    return "/" + _escape(posixpath.basename(path))


def _equivalents(entry: str) -> set[str]:
    """Lines of the same .gitignore that ignore exactly this name already."""
    name = entry[1:]
    # `/eval/*`: a directory output whose metric git tracks (see `_plan_nested`) is ignored too.
    return {entry, entry + "/", name, name + "/", entry + "/*"}


def _nested(hidden: Sequence[str], shown: Sequence[str]) -> dict[str, list[str]]:
    """Cached directories -> the files git tracks inside them (a stage's metric in its output
    directory). Walks each shown path's parents: no cost per pair of paths."""
    found: dict[str, list[str]] = {}
    if not shown:
        return found
    hidden_set = frozenset(hidden)
    for path in shown:
        parts = path.split("/")
        for end in range(1, len(parts)):
            parent = "/".join(parts[:end])
            if parent in hidden_set:
                found.setdefault(parent, []).append(path)
                break
    return found


def _plan_nested(proj: project.Project, plans: dict[str, _Plan], nested: Mapping[str, Sequence[str]]) -> None:
    """A cached directory holding files git tracks: git cannot re-include a file whose parent
    directory is ignored, so the directory's contents are ignored instead (`/eval/*`) and each
    tracked file, with the directories down to it, re-included (`!/eval/metrics.json`)."""
    for directory, inside in nested.items():
        parent, name = posixpath.split(directory)
        text = _read(proj, parent)
        if text is None:
            continue
        present = frozenset(line.strip() for line in text.splitlines())
        base = "/" + _escape(name)
        wanted = [base + "/*"]
        for path in inside:
            steps = path[len(directory) + 1 :].split("/")
            for depth in range(1, len(steps)):
                sub = base + "/" + "/".join(_escape(step) for step in steps[:depth])
                wanted += [f"!{sub}/", f"{sub}/*"]
            wanted.append("!" + base + "/" + "/".join(_escape(step) for step in steps))
        missing = [line for line in dict.fromkeys(wanted) if line not in present]
        if missing:
            plans.setdefault(parent, _Plan(text)).lines.extend(missing)


def _edited(text: str, additions: Sequence[str], removals: Sequence[str]) -> str:
    dropped = frozenset(removals)
    kept = [line for line in text.splitlines(keepends=True) if line.strip() not in dropped]
    result = "".join(kept)
    if additions:
        if result and not result.endswith("\n"):
            result += "\n"
        result += "".join(line + "\n" for line in dict.fromkeys(additions))
    return result


def _escape(name: str) -> str:
    escaped = "".join("\\" + char if char in "*?[]\\" else char for char in name)
    if escaped.startswith(("#", "!")):
        escaped = "\\" + escaped
    if escaped != escaped.rstrip(" "):
        escaped = escaped.rstrip(" ") + "\\ " * (len(escaped) - len(escaped.rstrip(" ")))
    return escaped


# ---------------------------------------------------------------------- asking git


class Early:
    """Which paths a later `keep` will ask git about, asked while the stages run: git takes a few
    milliseconds to start, and the run would otherwise wait for it after its last stage.

    The answer depends on the ignore files (every .gitignore from a path's directory up to the
    repository, and .git/info/exclude), so their stats are taken when git is asked; `keep` uses
    the answer only for paths it asked about and only if none of those files changed since."""

    def __init__(self, proj: project.Project, ignore: Iterable[str], show: Iterable[str] = ()) -> None:
        self._proj = proj
        self._sides = _sides(ignore, show)
        self._asked: tuple[str, ...] = ()
        self._stamps: dict[str, tuple[int, int, int] | None] = {}
        self._query: git.IgnoreQuery | None = None
        self._answer: set[str] | None = None
        self._started = False

    def start(self) -> None:
        """Ask git now (once) about the paths `keep` would add a line for as things are."""
        if self._started:
            return
        self._started = True
        self._asked = tuple(path for plan in _planned(self._proj, *self._sides).values() for path in plan.to_add)
        self._stamps = _ignore_stamps(self._proj, self._asked)
        self._query = git.check_ignore_started(self._proj.root, self._asked) if self._asked else None

    def ignored(self, paths: Sequence[str]) -> tuple[set[str], list[str]]:
        """(the paths of `paths` git ignores, as it answered; the paths it must still be asked about)."""
        if self._answer is None:
            query, self._query = self._query, None
            self._answer = _ignored_in(query.answer()) if query is not None else None
            if self._answer is not None and _ignore_stamps(self._proj, self._asked) != self._stamps:
                self._answer = None  # a stage edited an ignore file: ask git again
        if self._answer is None:
            return set(), list(paths)
        asked = frozenset(self._asked)
        return {path for path in paths if path in self._answer}, [path for path in paths if path not in asked]

    def close(self) -> None:
        """Stop git if its answer was never taken (the run failed)."""
        if self._query is not None:
            self._query.cancel()
            self._query = None


def _ignore_stamps(proj: project.Project, paths: Iterable[str]) -> dict[str, tuple[int, int, int] | None]:
    """The stats of every ignore file that decides whether git ignores `paths`: the .gitignore of
    each directory from theirs up to the repository's top (where .git is), and .git/info/exclude."""
    stamps: dict[str, tuple[int, int, int] | None] = {}
    for path in paths:
        directory = os.path.dirname(proj.abspath(path))
        while True:
            candidate = os.path.join(directory, GITIGNORE)
            if candidate in stamps:
                break  # this directory and those above it are stamped already
            stamps[candidate] = _stamp(candidate)
            dot_git = os.path.join(directory, ".git")
            parent = os.path.dirname(directory)
            if os.path.lexists(dot_git) or parent == directory:
                exclude = os.path.join(dot_git, "info", "exclude")
                stamps[exclude] = _stamp(exclude)
                break
            directory = parent
    return stamps


def _stamp(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _git_ignored(proj: project.Project, paths: Sequence[str], early: Early | None = None) -> set[str]:
    known, rest = early.ignored(paths) if early is not None else (set(), list(paths))
    return known | _ignored_in(git.check_ignore(proj.root, rest))


def _ignored_in(answers: Iterable[tuple[str, str, str, str]]) -> set[str]:
    # A pattern that starts with "!" re-includes the path: the last match decides, as git says.
    return {path for source, _, pattern, path in answers if source and not pattern.startswith("!")}


def _ignored_by_user(proj: project.Project, paths: Sequence[str]) -> tuple[tuple[str, str], ...]:
    found = []
    for source, line, pattern, path in git.check_ignore(proj.root, paths):
        if source and not pattern.startswith("!"):
            found.append((path, f"{source}:{line}: {pattern}"))
    return tuple(found)
