"""`pivot run --watch`: run, wait for a change to something the pipeline is built from, run again.

What is watched (`watched`): every stage's deps (a directory dep: anything below it), params.yaml,
pivot.yaml, pipeline.py, the project's config files, and every Python file the pipeline was built
from (the modules loading imported and each file a code fingerprint went through). Outputs never
count, so the files a run writes never start the next one; neither does anything under `.pivot/`
but its config. The set is taken again after each run: a helper module a stage starts to import is
watched from then on. While the pipeline does not load (a syntax error being fixed), any Python
file of the project counts too, since the one being fixed may not be known yet.

The loop (`loop`): changes are collected by a watcher thread from before the first run on, so none
is lost while a run is in progress. A run is never cut short by a change: it finishes, and if
anything watched changed meanwhile, exactly one more run follows (however many changes came).
Otherwise the loop waits for a change, then for `debounce` quiet milliseconds (an editor's save or
a `git checkout` of many files is one batch), and runs again. A run that cannot start (bad input,
the project busy) is reported through `Events.error` and the loop waits for the fix; Ctrl-C
(KeyboardInterrupt, or `Interrupted` from inside a run) ends it. watchfiles (Rust's notify: inotify,
FSEvents, kqueue, ReadDirectoryChanges) is the only file watcher pivot uses.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import queue
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pivot import errors
from pivot.base import project as project_mod

if TYPE_CHECKING:
    from pivot.api.project import Project
    from pivot.api.results import RunReport

# Directories whose changes never matter, besides `.pivot/` (tools' caches and other checkouts).
_IGNORED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".venv", "node_modules"})
_ALWAYS = (project_mod.PIPELINE_FILE, project_mod.PARAMS_FILE, project_mod.PYTHON_PIPELINE_FILE)
_CONFIG = (".pivot/config.yaml", ".pivot/config.local.yaml")


@dataclasses.dataclass(frozen=True, slots=True)
class Watched:
    """Root-relative paths whose change makes the next run worth doing."""

    paths: frozenset[str]  # files and directories (a change anywhere below a directory counts)
    outputs: frozenset[str]  # never a trigger, even inside a watched directory
    loaded: bool = True  # False: the pipeline did not load; any project Python file counts

    def triggers(self, rel: str) -> bool:
        chain = list(_self_and_parents(rel))
        if any(part in self.outputs for part in chain):
            return False
        if any(part in self.paths for part in chain):
            return True
        return not self.loaded and rel.endswith(".py") and not rel.startswith(".pivot/")

    def __or__(self, other: Watched) -> Watched:
        return Watched(self.paths | other.paths, self.outputs | other.outputs, self.loaded and other.loaded)


class Events:
    """What the loop tells its caller (the CLI prints it); every method is called from the main
    thread. The null object: a library caller may override what it wants."""

    def ran(self, report: RunReport) -> None:
        """A run ended (its stages were reported by the run's own reporter)."""

    def waiting(self, watched: Watched) -> None:
        pass

    def changed(self, paths: tuple[str, ...]) -> None:
        pass

    def error(self, error: errors.PivotError) -> None:
        pass


def watched(proj: Project, targets: Sequence[str] = ()) -> Watched:
    """What the stages TARGETS select (default: all), as the pipeline loads now, are built from
    (see the module docstring); when it does not load, the files that always count, and any
    Python file."""
    from pivot.api import session

    base = {*_ALWAYS, *_CONFIG}
    try:
        loaded = proj.load_pipeline(check_sources=False)
        names = session.select(loaded, targets)
    except errors.PivotError:
        return Watched(frozenset(base), frozenset(), loaded=False)
    stages = [loaded.graph.stages[name] for name in names]
    # Every stage's outputs: a file another stage writes is never the user's change.
    outputs = frozenset(path for stage in loaded.graph.stages.values() for path in stage.out_paths)
    paths = {*base, *loaded.pipeline.inputs}
    paths.update(path for stage in stages for path in stage.dep_paths)
    paths.update(rel for name in names for rel in loaded.pipeline.fingerprints[name].sources)
    return Watched(frozenset(p.replace(os.sep, "/") for p in paths) - outputs, outputs)


def loop(proj: Project, run: Callable[[], RunReport], *, targets: Sequence[str] = (), debounce_ms: int, events: Events | None = None) -> None:
    """Run, then run again after each batch of changes, until KeyboardInterrupt or `Interrupted`
    (which propagate: the caller ends with exit 130). `run` does one run (`Project.run`)."""
    events = events or Events()
    # A first run creates .pivot/config.yaml: made before the watch starts, it is no change.
    project_mod.ensure_dot_dir(proj.paths)
    with _Feed(proj.root) as feed:
        _drain(feed)  # the first run sees whatever is there now
        previous: Watched | None = None
        while True:
            _run_once(run, events)
            current = watched(proj, targets)
            # What changed during the run is judged against both sets: a file the run stopped
            # depending on was still an input of the run that just ended.
            seen = current if previous is None else current | previous
            previous = current
            pending = [rel for rel in _drain(feed) if seen.triggers(rel)]
            if not pending:
                events.waiting(current)
                pending = _wait(feed, current, debounce_ms)
            events.changed(tuple(sorted(set(pending))))


def _run_once(run: Callable[[], RunReport], events: Events) -> None:
    try:
        report = run()
    except errors.Interrupted:
        raise
    except errors.PivotError as exc:  # bad input, the project busy: wait for the fix
        events.error(exc)
    else:
        events.ran(report)


def _wait(feed: _Feed, watched: Watched, debounce_ms: int) -> list[str]:
    """Block until a watched path changes, then until the tree has been quiet for `debounce_ms`;
    the watched paths that changed."""
    found: list[str] = []
    while not found:
        found = [rel for rel in feed.next_batch(None) if watched.triggers(rel)]
    while True:
        batch = feed.next_batch(debounce_ms / 1000)
        if not batch:
            return found
        found.extend(rel for rel in batch if watched.triggers(rel))


def _drain(feed: _Feed) -> list[str]:
    found: list[str] = []
    while batch := feed.next_batch(0):
        found.extend(batch)
    return found


def _self_and_parents(rel: str) -> Iterator[str]:
    while rel:
        yield rel
        rel = rel.rpartition("/")[0]


class _Feed:
    """A watcher thread over the whole project tree: batches of root-relative paths that changed,
    in a queue the main thread reads (so a change is kept while a run is in progress)."""

    def __init__(self, root: pathlib.Path) -> None:
        self._root = str(root)
        self._queue: queue.Queue[list[str]] = queue.Queue()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="pivot-watch", daemon=True)
        self._failure: BaseException | None = None

    def __enter__(self) -> _Feed:
        # The thread (and the notify threads it starts) inherit a mask with SIGINT blocked: a
        # Ctrl-C is then taken by the main thread only, when its mask allows, as without a watch
        # (the executor holds it while workers start: pivot.executor.pool.sigint_held).
        held = hasattr(signal, "pthread_sigmask")
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if held else None
        try:
            self._thread.start()
        finally:
            if previous is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        self._ready.wait()
        if self._failure is not None:
            raise self._failure
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)  # a daemon: a watcher slow to stop never holds the exit

    def next_batch(self, timeout: float | None) -> list[str]:
        """The next batch of changed paths; [] when none came within `timeout` seconds (0: now)."""
        try:
            return self._queue.get(timeout=timeout) if timeout != 0 else self._queue.get_nowait()
        except queue.Empty:
            return []

    def _watch(self) -> None:
        import watchfiles

        try:
            changes = watchfiles.watch(
                self._root, watch_filter=self._wanted, debounce=50, step=20, stop_event=self._stop, rust_timeout=500, yield_on_timeout=True, raise_interrupt=False
            )
            for batch in _started(changes, self._ready):
                if batch:
                    self._queue.put(sorted({os.path.relpath(path, self._root).replace(os.sep, "/") for _, path in batch}))
        except Exception as exc:  # e.g. no more inotify watches: say so instead of waiting forever
            self._failure = errors.PivotError(
                f"cannot watch {self._root} for changes: {exc}",
                hint="on Linux each directory takes an inotify watch: raise fs.inotify.max_user_watches (sysctl)",
            )
        finally:
            self._ready.set()

    def _wanted(self, change: object, path: str) -> bool:
        rel = os.path.relpath(path, self._root).replace(os.sep, "/")
        if rel.startswith(".pivot/"):
            return rel in _CONFIG
        return not any(part in _IGNORED_DIRS for part in rel.split("/"))


def _started(changes: Iterator[set[tuple[Any, str]]], ready: threading.Event) -> Iterable[set[tuple[Any, str]]]:
    """`changes`, with `ready` set once the watch is in place (its first timeout, or first batch):
    a change made after the first run starts is never missed."""
    for batch in changes:
        ready.set()
        yield batch
