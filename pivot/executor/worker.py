"""Runs one stage inside a worker process: load deps, call the function, save its outputs.

Everything the stage prints goes to its log file at the file-descriptor level, so output from
subprocesses and C extensions is captured too. Failures come back as text, never as live objects.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import time
import traceback
from collections.abc import Iterator, Mapping
from typing import Any

import pivot
from pivot import errors, loaders
from pivot.base import diskfull, importing
from pivot.declare.stage import SINGLE_OUTPUT_NAME, OutKind, OutSpec, Returns, Shape, Stage
from pivot.executor import fdcapture, outshapes, shell, usage, warm
from pivot.executor.task import StageOutcome, StageTask

_PIVOT_DIR = os.path.dirname(os.path.abspath(pivot.__file__))


class StageContractError(Exception):
    """The stage returned something that does not match what it declared."""


THREADS_ENV = "PIVOT_THREADS"  # how many threads the stage may use: its `threads`, at most -j

# Errors whose message says all there is: their traceback would show only pivot and a parser.
_SAID_IN_FULL = (StageContractError, errors.LoaderError)


def execute(task: StageTask) -> StageOutcome:
    start = time.perf_counter()
    os.chdir(task.root)
    code_root = task.code_root or task.root
    importing.put_on_path(code_root)
    warm.ensure_fresh(code_root)  # a preloaded module that changed on disk is imported again
    if task.on_cluster:
        from pivot.executor import commit  # only here: loky workers start without it

        commit.clear_paths(pathlib.Path(task.root), outshapes.cleared_before_run(task.stage))
    try:
        with fdcapture.captured(task.log_path), _threads_said(task.threads), usage.measuring() as used:
            failure: BaseException | None = None
            try:
                _run(task.stage, pathlib.Path(task.root), used)
            except BaseException as exc:  # the user's code may raise anything, SystemExit included
                failure = exc
        importing.seal_bytecode(code_root)  # what the stage imported that no one had (a few us when nothing new)
        if failure is not None:
            return dataclasses.replace(_failed(task, failure, time.perf_counter() - start), cpu=used.cpu, peak_rss=used.peak_rss)
        return StageOutcome(task.stage.name, True, time.perf_counter() - start, worker=os.getpid(), cpu=used.cpu, peak_rss=used.peak_rss)
    except OSError as exc:  # the log could not be opened or flushed: a full disk, most likely
        return _failed(task, exc, time.perf_counter() - start)
    finally:
        if task.on_cluster:
            importing.forget(task.root)  # a long-lived worker runs the next stage's code as it is then


@contextlib.contextmanager
def _threads_said(threads: int) -> Iterator[None]:
    """PIVOT_THREADS for the stage's code and commands; as it was afterwards (workers are reused)."""
    previous = os.environ.get(THREADS_ENV)
    os.environ[THREADS_ENV] = str(threads)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(THREADS_ENV, None)
        else:
            os.environ[THREADS_ENV] = previous


def _failed(task: StageTask, exc: BaseException, duration: float) -> StageOutcome:
    if isinstance(exc, OSError) and diskfull.is_full(exc):
        # Where the write was refused, not a traceback.
        error = diskfull.from_os_error(exc, near=task.root)
        return StageOutcome(task.stage.name, False, duration, error=error.message, disk_full_hint=error.hint, worker=os.getpid())
    return StageOutcome(
        stage=task.stage.name,
        ok=False,
        duration=duration,
        error=_one_line(exc),
        traceback="" if isinstance(exc, _SAID_IN_FULL) else _user_traceback(exc),
        worker=os.getpid(),
    )


def _run(stage: Stage, root: pathlib.Path, used: usage.Measure | None = None) -> None:
    if stage.is_shell:
        problem = shell.run(stage, root, used)
        if problem:
            raise StageContractError(problem)
        return
    func = importing.import_object(stage.func)
    args: list[Any] = []
    if stage.params_class:
        args.append(importing.import_object(stage.params_class).model_validate(dict(stage.params)))
    # Relative to the cwd (the project root): what a stage records about its inputs is the same
    # on every machine.
    result = func(*args, **outshapes.arguments(stage))
    values = _returned_values(stage, result)
    _check_metrics(stage, values, root)  # before anything is saved: a bad return writes nothing
    try:
        outshapes.check(values)
    except outshapes.ShapeError as exc:
        raise StageContractError(f"stage '{stage.name}': {exc}") from None
    # Directories first: a Metric may be a file inside one, and must not be replaced by it.
    for out, value in sorted(values.items(), key=lambda item: item[0].shape is not Shape.DIRECTORY):
        if out.shape is Shape.DIRECTORY:
            outshapes.save_directory(out, value, root)
        else:
            _save(out, value, root)


def _returned_values(stage: Stage, result: Any) -> Mapping[OutSpec, Any]:
    if stage.returns is Returns.NOTHING:
        return {}
    fields = list(dict.fromkeys(out.member.field if out.member else out.name for out in stage.outs))
    if stage.returns is Returns.SINGLE:
        return _spread(stage, {SINGLE_OUTPUT_NAME: result})
    if not isinstance(result, Mapping):
        raise StageContractError(
            f"stage '{stage.name}' must return a dict with keys {fields}, got {type(result).__name__}"
        )
    missing = [field for field in fields if field not in result]
    extra = sorted(set(result) - set(fields))
    if missing or extra:
        raise StageContractError(
            f"stage '{stage.name}' returned keys {sorted(result)}; "
            + (f"missing {missing}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"undeclared {extra}" if extra else "")
        )
    return _spread(stage, result)


def _spread(stage: Stage, by_field: Mapping[str, Any]) -> Mapping[OutSpec, Any]:
    try:
        return outshapes.spread(stage, by_field)
    except outshapes.ShapeError as exc:
        raise StageContractError(f"stage '{stage.name}': {exc}") from None


def _check_metrics(stage: Stage, values: Mapping[OutSpec, Any], root: pathlib.Path) -> None:
    """A Metric is names to values: a bare number or a list would be shown by no report. With
    PathOnly the stage wrote the file itself, so the file is what is checked."""
    for out, value in values.items():
        if out.kind is not OutKind.METRIC:
            continue
        if isinstance(out.loader, loaders.PathOnly):
            value = _written_metric(stage, out, root / out.path)
        if not isinstance(value, Mapping):
            raise StageContractError(
                f"stage '{stage.name}': metric '{out.path}' must be a dict of names to values, "
                f"got {type(value).__name__} (return e.g. {{'accuracy': 0.9}})"
            )


def _written_metric(stage: Stage, out: OutSpec, path: pathlib.Path) -> Any:
    if not path.is_file():
        return {}  # not written at all: _save says so
    kind = "YAML" if out.path.endswith((".yaml", ".yml")) else "JSON"
    try:
        # Relative, as the cwd is the root: the error names the file as the user does.
        return (loaders.YAML() if kind == "YAML" else loaders.JSON()).load(pathlib.Path(out.path))
    except errors.LoaderError as exc:  # names the file and the line
        raise StageContractError(f"stage '{stage.name}': metric {exc}") from None
    except Exception as exc:  # json's and yaml's errors differ; both name the line
        raise StageContractError(
            f"stage '{stage.name}': metric '{out.path}' is not valid {kind}: {' '.join(str(exc).split())}"
        ) from None


def _save(out: OutSpec, value: Any, root: pathlib.Path) -> None:
    target = root / out.path
    if isinstance(out.loader, loaders.PathOnly):
        if not isinstance(value, str | os.PathLike):
            raise StageContractError(
                f"output '{out.name}' uses PathOnly, so the stage must write '{out.path}' itself "
                f"and return its path; it returned a {type(value).__name__}"
            )
        if os.path.abspath(value) != os.path.abspath(target):
            raise StageContractError(
                f"output '{out.name}': the stage returned the path '{os.fspath(value)}' but the "
                f"declared output is '{out.path}' (write to the declared path, or change the "
                "declaration in pivot.yaml)"
            )
        if not os.path.lexists(target):
            raise StageContractError(f"output '{out.name}': the stage did not create '{out.path}'")
        return
    tmp = target.with_name(f".{target.name}.pivot-tmp{target.suffix}")
    try:
        with diskfull.writing(target):
            target.parent.mkdir(parents=True, exist_ok=True)
            out.loader.save(value, tmp)
            os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, _SAID_IN_FULL):
        return str(exc)
    if isinstance(exc, SystemExit):
        return f"the stage called sys.exit({exc.code!r})"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _user_traceback(exc: BaseException) -> str:
    """The traceback with pivot's own frames removed: what is left is the user's code."""
    tb = traceback.TracebackException.from_exception(exc)
    frames = [frame for frame in tb.stack if not frame.filename.startswith(_PIVOT_DIR)]
    tb.stack = traceback.StackSummary.from_list(frames)
    return "".join(tb.format())
