"""The ``bibkit`` command's entry point: a replay where one answers (``bibkit.replay``), else
the command line (``bibkit.cli``), which is only imported then."""

from __future__ import annotations

import os
import sys


def run() -> None:
    """The ``bibkit`` command, then out of the process without tearing it down.

    Freeing every imported module's objects at exit took 40-60 ms; ``os._exit`` skips that.
    What exit would still do is done first: the atexit handlers run (coverage, logging) and the
    standard streams are flushed. Files are closed by the code that writes them, never left to
    the interpreter's exit. Under a profiler or a tracer (cProfile, coverage, a debugger), which
    may write what it found after ``main`` returns, the exit is Python's own.
    """
    import atexit

    if sys.getprofile() is not None or sys.gettrace() is not None:
        _command()
        return
    try:
        _command()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (bibkit export | head), a closed stream
            code = code or 2
    os._exit(code)


def _command() -> None:
    from bibkit.replay import answer

    status = answer(sys.argv, os.environ)
    if status is not None:
        raise SystemExit(status)
    from bibkit.cli import main

    main()
