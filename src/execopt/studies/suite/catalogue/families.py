"""The table of objective families (kept here by name; it lives in
:mod:`execopt.studies.suite.families`, which the file format reads without the catalogue).
"""

from __future__ import annotations

from execopt.studies.suite.families import *  # noqa: F403
from execopt.studies.suite.families import __all__  # noqa: F401
