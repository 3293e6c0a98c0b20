"""The reference suite for validating production execution solvers.

A frozen, versioned set of instances (``data/v3``, the default, and the earlier ``data/v2`` and
``data/v1``: one compact JSON file each, checksummed in a manifest) spanning every model the
toolkit knows, transient impact and baskets of orders included, each feasible one with its
certified optimum; and the checks that tell whether another solver's schedules are feasible and
optimal.

* :mod:`.format` — the file format (documented there), loading, checksums, export;
* :mod:`.generate` — the deterministic generator behind ``scripts/make_suite.py``;
* :mod:`.validate` — schedule files or a Python callable against the suite;
* :mod:`.self_validation` — the toolkit's own methods validated with the suite.

Examples
--------
>>> from execopt.studies.suite import load_suite
>>> suite = load_suite()
>>> len(suite) >= 100
True
"""

from execopt.studies.suite.format import (
    FORMAT_VERSION,
    SUITE_VERSION,
    Instance,
    basket_from_instance,
    export_suite,
    load_instance,
    load_suite,
    packaged_suite_dir,
    problem_from_instance,
    verify_manifest,
)
from execopt.studies.suite.self_validation import (
    self_validation,
    self_validation_runs,
    summarize,
)
from execopt.studies.suite.validate import (
    Check,
    InstanceResult,
    ScheduleFormatError,
    ValidationResult,
    as_problem,
    read_schedule_csv,
    validate_callable,
    validate_schedules,
    write_schedule_csv,
)

__all__ = [
    "FORMAT_VERSION",
    "SUITE_VERSION",
    "Check",
    "Instance",
    "InstanceResult",
    "ScheduleFormatError",
    "ValidationResult",
    "as_problem",
    "basket_from_instance",
    "export_suite",
    "load_instance",
    "load_suite",
    "packaged_suite_dir",
    "problem_from_instance",
    "read_schedule_csv",
    "self_validation",
    "self_validation_runs",
    "summarize",
    "validate_callable",
    "validate_schedules",
    "verify_manifest",
    "write_schedule_csv",
]
