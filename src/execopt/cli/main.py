"""The ``execopt`` command line: a registry of subcommands, one module each.

Adding a command
----------------
1. Write ``src/execopt/cli/<name>.py`` with two functions::

       def register(subparsers) -> None:   # add_parser(<name>, help=...) and its options
       def run(args) -> int:               # do the work; return an exit code below

   Keep heavy imports (cvxpy, scipy.optimize, pandas, matplotlib) *inside* ``run`` so that
   ``execopt --help`` stays fast; use :mod:`execopt.cli.render` for tables and ``--json`` output,
   and :mod:`execopt.cli._args` for option types that refuse bad values at parse time.
2. Add one line to :data:`COMMANDS`: ``"<name>": "execopt.cli.<name>"``.

``register`` must call ``subparsers.add_parser(name, ...)`` itself (so it owns its help text);
:func:`build_parser` attaches ``run`` as the parser's handler and adds the options every command
has: ``--wide`` (every table column), ``--quiet`` (no progress bars) and ``--debug``.

Exit codes (:data:`EXIT_OK` ...)
--------------------------------
0 success; 1 a check failed (``certify`` found the schedule infeasible or suboptimal,
``validate`` found failing instances); 2 usage, input or I/O error (bad options, unknown stock,
malformed or missing file, a method that does not apply, a file that cannot be written, an
unreachable Dask scheduler); 3 a solver failed or returned an answer that did not converge or
is not certified (``solve --allow-uncertified`` accepts such answers); 4 an internal error (a
bug); 130/143 interrupted by SIGINT/SIGTERM. Commands return 0, 1 or 3; every exception is
mapped to its code in one place, :data:`EXIT_CODES`, and printed as one red ``error:`` line on
stderr without a traceback; with ``--json`` an error object ``{"error": {"type": ...,
"message": ..., "exit_code": ...}}`` is also printed on stdout. ``--debug`` (or
``EXECOPT_DEBUG=1``) re-raises instead, with the traceback, for developers.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

__all__ = [
    "COMMANDS",
    "DEBUG_ENV",
    "EXIT_CHECK_FAILED",
    "EXIT_CODES",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SOLVER",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "Terminated",
    "UsageError",
    "build_parser",
    "exit_code_for",
    "main",
]

#: Subcommand name -> module exposing ``register(subparsers)`` and ``run(args) -> int``.
COMMANDS: dict[str, str] = {
    "solve": "execopt.cli.solve",
    "certify": "execopt.cli.certify",
    "fit": "execopt.cli.fit",
    "backtest": "execopt.cli.backtest",
    "study": "execopt.cli.study",
    "suite": "execopt.cli.suite",
    "validate": "execopt.cli.validate",
    "basket": "execopt.cli.basket",
}

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_SOLVER = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM
#: Environment variable that, set to 1, makes every error re-raise with its traceback.
DEBUG_ENV = "EXECOPT_DEBUG"

EPILOG = (
    "Exit codes: 0 ok, 1 a check failed (certify, validate), 2 usage, input or I/O error, "
    "3 solver failure or uncertified answer, 4 internal error. --debug (or EXECOPT_DEBUG=1) "
    "shows tracebacks. Run 'execopt <command> --help' for a command's options."
)


class UsageError(Exception):
    """Bad command-line usage found by argparse (unknown option, invalid value)."""


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM, so that clean-up runs as for Ctrl-C."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises :class:`UsageError` instead of printing and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def exit_code_table() -> tuple[tuple[type[BaseException], int], ...]:
    """Exception class -> exit code, first match wins (see :data:`EXIT_CODES`)."""
    from execopt.errors import (
        DataError,
        ExecoptError,
        InputError,
        NotSupportedError,
        OutputError,
        SolverError,
    )

    return (
        (UsageError, EXIT_USAGE),
        (Terminated, EXIT_TERMINATED),
        (KeyboardInterrupt, EXIT_INTERRUPTED),
        (SolverError, EXIT_SOLVER),
        (InputError, EXIT_USAGE),
        (DataError, EXIT_USAGE),
        (NotSupportedError, EXIT_USAGE),
        (OutputError, EXIT_USAGE),
        (ExecoptError, EXIT_USAGE),
        (OSError, EXIT_USAGE),  # missing or unreadable file, disk full, unreachable host
        (UnicodeError, EXIT_USAGE),  # a binary file where text was expected
        (MemoryError, EXIT_USAGE),  # an input too large for this machine
        (Exception, EXIT_INTERNAL),
    )


#: The one table from exception classes to exit codes (documented in the module docstring).
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = ()


def exit_code_for(exc: BaseException) -> int:
    """The exit code of an exception (see :data:`EXIT_CODES`)."""
    global EXIT_CODES
    if not EXIT_CODES:
        EXIT_CODES = exit_code_table()
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return EXIT_INTERNAL


def _message(exc: BaseException, code: int) -> str:
    """One line saying what went wrong and what to do."""
    from execopt.errors import ExecoptError

    if isinstance(exc, Terminated):
        return "terminated (SIGTERM); no file was left half-written."
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (SIGINT); no file was left half-written."
    if isinstance(exc, (UsageError, ExecoptError)):
        return str(exc)
    if isinstance(exc, OSError):
        return _os_message(exc)
    if isinstance(exc, UnicodeError):
        return (
            f"a file is not text in the expected encoding ({' '.join(str(exc).split())[:160]}); "
            "check that each path names the right file."
        )
    if isinstance(exc, MemoryError):
        return (
            "out of memory: the problem is too large for this machine; make it smaller "
            "(fewer periods, draws or files)."
        )
    text = " ".join(str(exc).split())[:300]
    return (
        f"internal error ({type(exc).__name__}: {text}); this is a bug in execopt: run again "
        f"with --debug (or {DEBUG_ENV}=1) for the traceback and report it."
    )


def _os_message(exc: OSError) -> str:
    from execopt._atomic import _REASONS

    reason, fix = _REASONS.get(exc.errno or -1, ("", "check the path"))
    reason = reason or (exc.strerror or str(exc) or type(exc).__name__).lower()
    where = exc.filename if exc.filename is not None else None
    if where is None:
        return f"{reason}; {fix}."
    return f"{where}: {reason}; {fix}."


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    from execopt import __version__

    parser = _Parser(
        prog="execopt",
        description="Optimal order execution: solve, compare solvers and certify schedules.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"execopt {__version__}")
    parser.add_argument(
        "--debug",
        dest="debug_all",
        action="store_true",
        help=f"on an error, show the traceback instead of one line (also {DEBUG_ENV}=1)",
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for name, module_path in COMMANDS.items():
        module = importlib.import_module(module_path)
        before = set(sub.choices)
        module.register(sub)
        added = set(sub.choices) - before
        if name not in added:  # pragma: no cover - a programming error in a new command
            raise RuntimeError(f"{module_path}.register() did not add the {name!r} subcommand.")
        sub.choices[name].set_defaults(_run=module.run)
        _add_common_options(sub.choices[name])
    return parser


def _add_common_options(p: argparse.ArgumentParser) -> None:
    """``--wide``, ``--quiet`` and ``--debug`` on every leaf parser (nested actions too)."""
    nested = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
    if nested:
        for child in nested[0].choices.values():
            _add_common_options(child)
        return
    g = p.add_argument_group("display")
    g.add_argument(
        "--wide",
        action="store_true",
        help="show every table column (default: the columns that fit 80 characters)",
    )
    g.add_argument(
        "--quiet", action="store_true", help="no progress bars (they go to stderr, TTY only)"
    )
    g.add_argument(
        "--debug",
        action="store_true",
        help=f"on an error, show the traceback instead of one line (also {DEBUG_ENV}=1)",
    )


def _wants_json(argv: Sequence[str], args: argparse.Namespace | None) -> bool:
    if args is not None and getattr(args, "json", False):
        return True
    return "--json" in argv


def _debug(argv: Sequence[str], args: argparse.Namespace | None) -> bool:
    if os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    if args is not None:
        return bool(getattr(args, "debug", False) or getattr(args, "debug_all", False))
    return "--debug" in argv


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While running a command, SIGTERM raises :class:`Terminated` (clean-up runs)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def report_error(exc: BaseException, *, as_json: bool) -> int:
    """Print ``exc`` as one red ``error:`` line (and a JSON error object); return its code."""
    from execopt.cli.render import error

    code = exit_code_for(exc)
    message = _message(exc, code)
    error(message)
    if as_json:
        doc = {"error": {"type": type(exc).__name__, "message": message, "exit_code": code}}
        try:
            sys.stdout.write(json.dumps(doc) + "\n")
            sys.stdout.flush()
        except OSError:  # pragma: no cover - stdout closed
            pass
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``execopt`` with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args: argparse.Namespace | None = None
    try:
        with _sigterm_raises():
            try:
                parser = build_parser()
                args = parser.parse_args(argv)
            except SystemExit as exc:  # --help or --version (usage errors raise UsageError)
                return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
            from execopt.cli import render

            render.configure(wide=bool(getattr(args, "wide", False)))
            run: Callable[[Any], int] = args._run
            return int(run(args))
    except BrokenPipeError:  # `execopt ... | head`: the reader left; not an error of ours
        _silence_stdout()
        return 141
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            raise
        if _debug(argv, args):
            raise
        return report_error(exc, as_json=_wants_json(argv, args))
    finally:
        from execopt.cli import render

        render.configure(wide=False)  # display options last one run


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # pragma: no cover - pytest's capture
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
