"""`make setup` leaves the dependencies compiled (scripts/setup.sh: uv --compile-bytecode, as pip
does). Where PYTHONDONTWRITEBYTECODE is set, as in this CI, nothing writes .pyc files later, and
every Rasa process compiled Rasa and TensorFlow again: importing Rasa took 11 s instead of 5.
`make test` lets its own processes write .pyc files (scripts/run_tests.sh), so a file that exists
is not enough: it must be older than the stamp setup.sh writes when it has installed everything."""
import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

SETUP_STAMP = Path(sys.prefix) / ".installed"


@pytest.mark.parametrize("module", ["rasa", "rasa.core.agent", "tensorflow", "sklearn", "sanic", "sqlalchemy"])
def test_installed_dependencies_are_compiled(module):
    source = importlib.import_module(module).__file__
    compiled = Path(importlib.util.cache_from_source(source))
    assert compiled.exists(), f"{module} has no .pyc: run make setup"
    assert SETUP_STAMP.exists(), f"{SETUP_STAMP} is missing: the environment was not made by make setup"
    assert compiled.stat().st_mtime <= SETUP_STAMP.stat().st_mtime, f"{module}'s .pyc was not written by make setup"
