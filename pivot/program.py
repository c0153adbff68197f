"""The `pivot` program (the console script and `python -m pivot`): what it starts before its
command line is parsed, then the command-line interface (pivot.cli).

A cold `pivot run` reaches this point 25 ms in, then imports the CLI and click and loads the
pipeline on one core for 70 ms more before its first stage is sent; its fork server needs 50 ms
to be ready. So it is started first, on the other core (pivot.executor.spawning), when the
command line is a `pivot run` of a project with no no-op memo: a first run, a fresh clone, CI.
With a memo the run may well be a no-op (a spawn would cost it 3 ms), and its fork server is
forked once it is known to have work, as before. Nothing but `os` comes before the start (pivot's
own package imports nothing yet: pivot.base.codecache): each import would delay it.
"""

from __future__ import annotations

import os
import sys

from pivot.base import lifetime


def main() -> None:
    runs = _runs_stages(sys.argv[1:])
    lifetime.collect_rarely(until_stages=runs)  # before the imports below and the CLI's make most of the objects it keeps
    if runs and _has_no_noop_memo():
        from pivot.executor import spawning

        spawning.spawn()
    from pivot.base import lazyregex

    lazyregex.install()  # before click, logging and PyYAML are imported
    from pivot.cli import main as cli_main

    cli_main()


def _runs_stages(args: list[str]) -> bool:
    """Whether the command line is a `pivot run` (or `repro`) that may run stages."""
    command = next((arg for arg in args if not arg.startswith("-")), None)
    return command in ("run", "repro") and not {"-h", "--help", "-n", "--dry-run"} & set(args)


def _has_no_noop_memo() -> bool:
    """Whether the project the program was started in has never recorded a no-op memo (False
    outside a project: the command says so)."""
    from pivot.base import rootdir

    try:
        root = rootdir.nearest(os.getcwd())
    except OSError:
        return False
    return root is not None and not os.path.exists(os.path.join(root, *rootdir.NOOP_MEMO))
