"""The ``execopt`` command line: a registry of subcommands, one module each.

Adding a command
----------------
1. Write ``src/execopt/cli/<name>.py`` with two functions::

       def register(subparsers) -> None:   # add_parser(<name>, help=...) and its options
       def run(args) -> int:               # do the work; return an exit code below

   Keep heavy imports (cvxpy, scipy.optimize, pandas, matplotlib) *inside* ``run`` so that
   ``execopt --help`` stays fast; use :mod:`execopt.cli.render` for tables and ``--json`` output.
2. Add one line to :data:`COMMANDS`: ``"<name>": "execopt.cli.<name>"``.

``register`` must call ``subparsers.add_parser(name, ...)`` itself (so it owns its help text);
:func:`build_parser` attaches ``run`` as the parser's handler.

Exit codes (:data:`EXIT_OK` ...)
--------------------------------
0 success; 1 a check failed (e.g. ``certify`` found the schedule infeasible or suboptimal);
2 usage or input error (bad options, unknown stock, malformed file, a method that does not apply:
``InputError``, ``DataError``, ``NotSupportedError``), printed as one red ``error:`` line on
stderr without a traceback; 3 a solver failed (``SolverError``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "COMMANDS",
    "EXIT_CHECK_FAILED",
    "EXIT_OK",
    "EXIT_SOLVER",
    "EXIT_USAGE",
    "build_parser",
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


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    from execopt import __version__

    parser = argparse.ArgumentParser(
        prog="execopt",
        description="Optimal order execution: solve, compare solvers and certify schedules.",
        epilog="Exit codes: 0 ok, 1 a check failed, 2 usage or input error, 3 solver failure. "
        "Run 'execopt <command> --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"execopt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for name, module_path in COMMANDS.items():
        module = importlib.import_module(module_path)
        before = set(sub.choices)
        module.register(sub)
        added = set(sub.choices) - before
        if name not in added:  # pragma: no cover - a programming error in a new command
            raise RuntimeError(f"{module_path}.register() did not add the {name!r} subcommand.")
        sub.choices[name].set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``execopt`` with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    from execopt.errors import (
        DataError,
        ExecoptError,
        InputError,
        NotSupportedError,
        SolverError,
    )

    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # --help, --version, or a usage error argparse already printed
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    run: Callable[[Any], int] = args._run
    from execopt.cli.render import error

    try:
        return int(run(args))
    except (InputError, DataError, NotSupportedError) as exc:
        error(str(exc))
        return EXIT_USAGE
    except SolverError as exc:
        error(str(exc))
        return EXIT_SOLVER
    except ExecoptError as exc:  # pragma: no cover - every subclass is handled above
        error(str(exc))
        return EXIT_SOLVER
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        error("interrupted.")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
