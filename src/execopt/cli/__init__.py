"""The ``execopt`` command line (top layer): ``execopt solve``, ``execopt certify``.

The entry point is :func:`execopt.cli.main.main`; commands are registered in
:data:`execopt.cli.main.COMMANDS` (see that module for how to add one). This package imports
nothing heavy at start-up: cvxpy, SciPy's optimisers and matplotlib load inside the commands.
"""

__all__: list[str] = []
