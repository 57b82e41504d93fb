"""`make setup` leaves the dependencies compiled (scripts/setup.sh: uv --compile-bytecode, as pip
does). Where PYTHONDONTWRITEBYTECODE is set, as in this CI, nothing writes .pyc files later, and
every Rasa process compiled Rasa and TensorFlow again: importing Rasa took 11 s instead of 5."""
import importlib
import importlib.util
from pathlib import Path

import pytest


@pytest.mark.parametrize("module", ["rasa", "rasa.core.agent", "tensorflow", "sklearn", "sanic", "sqlalchemy"])
def test_installed_dependencies_are_compiled(module):
    source = importlib.import_module(module).__file__
    assert Path(importlib.util.cache_from_source(source)).exists(), f"{module} has no .pyc: run make setup"
