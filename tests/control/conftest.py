"""Fixtures of the control tests: python-control, the independent oracle (test-only)."""

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def python_control():
    """python-control itself, not the repository's ``control/`` folder.

    The folder shadows the package when the repository root is on ``sys.path`` (for example
    under ``python -m pytest``), so the import runs with that entry removed.
    """
    module = sys.modules.get("control")
    if module is not None and hasattr(module, "tf"):
        return module
    sys.modules.pop("control", None)
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT]
    try:
        return importlib.import_module("control")
    finally:
        sys.path[:] = saved
