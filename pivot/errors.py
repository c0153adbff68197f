"""The one error tree of pivot, and the exit code each branch maps to.

    PivotError                      exit 1: something failed while doing the work
    ├── StageFailedError            a stage raised or its worker died
    ├── CacheError                  a cache object is missing or corrupted
    ├── TransferError               objects could not be moved to or from a remote
    ├── DiskFullError               no space left (ENOSPC, EDQUOT) where pivot was writing
    ├── LoaderError                 a file does not parse as its loader's format, or a value does not fit it
    ├── Interrupted                 exit 130: Ctrl-C / SIGTERM
    └── InputError                  exit 2: what the user gave us is wrong
        ├── ConfigError             pivot.yaml, params.yaml, .pivot/config.yaml
        ├── StageDefinitionError    a stage function's signature or annotations
        ├── ParamsError             a params value the StageParams class rejects
        ├── PathError               a path outside the project
        ├── GraphError              cycles, duplicate or overlapping outputs, missing deps
        ├── UnknownStageError       a stage name on the command line that does not exist
        ├── RevisionError           a git revision that does not exist, or no git repository
        └── ProjectBusyError        another pivot process holds the project

Messages are written for the user: they name the file, stage or field and say what to do.
"""

from __future__ import annotations

import errno


class PivotError(Exception):
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class StageFailedError(PivotError):
    pass


class CacheError(PivotError):
    pass


class TransferError(PivotError):
    pass


class DiskFullError(PivotError, OSError):
    """No space left on the file system pivot was writing to (see `pivot.base.diskfull`).

    Also an OSError with errno ENOSPC, so code that tolerates a failed write (an optional memo,
    a run-cache entry) keeps tolerating it."""

    def __init__(self, message: str, *, hint: str | None = None, path: str = "") -> None:
        super().__init__(message, hint=hint)
        self.errno = errno.ENOSPC
        self.strerror = "No space left on device"
        self.filename = path


class Interrupted(PivotError):
    exit_code = 130


class InputError(PivotError):
    exit_code = 2


class ConfigError(InputError):
    pass


class StageDefinitionError(InputError):
    pass


class ParamsError(InputError):
    pass


class PathError(InputError):
    pass


class GraphError(InputError):
    pass


class UnknownStageError(InputError):
    pass


class ProjectBusyError(InputError):
    pass


class RevisionError(InputError):
    pass


class LoaderError(PivotError):
    """A built-in loader could not read a file (the message names it, and the line where the format
    has lines) or could not save a value; it fails the stage with the message alone, as the
    traceback would show only the parser's internals."""
