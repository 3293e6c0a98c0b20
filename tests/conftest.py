"""Shared fixtures and hypothesis profiles for the execopt test suite.

Hypothesis profiles
-------------------
``ci`` (the default): few examples, no deadline (cvxpy compile times vary), derandomised so a CI
run is reproducible bit for bit. ``dev``: many more examples, random, for local bug hunting::

    HYPOTHESIS_PROFILE=dev .venv/bin/pytest tests/test_properties.py

The cvxpy-backed property tests cap their own ``max_examples`` below the profile's (they cost a
compile each); see ``CVXPY_EXAMPLES`` in ``tests/test_properties.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

__all__: list[str] = []

#: Repository root (``tests/..``): where ``pyproject.toml`` and the import-linter contract live.
REPO_ROOT = Path(__file__).resolve().parent.parent

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=300,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, fixed-seed generator for each test (tests never share random state)."""
    return np.random.default_rng(20240611)


@pytest.fixture
def repo_root() -> Path:
    """The repository root, for tests that run tools there (import-linter)."""
    return REPO_ROOT


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """Empty the conic solvers' DPP cache before and after a test that counts cache hits."""
    from execopt.solvers.conic import clear_cache

    clear_cache()
    yield
    clear_cache()
