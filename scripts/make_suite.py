#!/usr/bin/env python
"""Regenerate execopt's reference suite deterministically (fixed seeds); ``--help`` for options.

Writes ``src/execopt/studies/suite/data/v3/*.json``, the specification documents and
``MANIFEST.json`` (a few minutes; the cross-checks run Clarabel, SCS and OSQP on every feasible
instance, the basket solvers on every basket). ``--docs`` only refreshes ``FORMAT.md``, the JSON
Schema and the manifest. ``--only ID ...`` rewrites a
few instances without touching the manifest; the bytes are those a full run writes.

    .venv/bin/python scripts/make_suite.py
    .venv/bin/python scripts/make_suite.py --out /tmp/suite --only q-frog-n390 inf-n1
"""

import sys

from execopt.studies.suite.generate import main

if __name__ == "__main__":
    sys.exit(main())
