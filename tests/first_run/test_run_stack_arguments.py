"""`make run` (scripts/run_stack.py) hands Rasa a fresh API token each start: Rasa's own command line
must read every such token as the token, also one that starts with "-" (one urlsafe token in 64)."""
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run_stack():
    spec = importlib.util.spec_from_file_location("run_stack", ROOT / "scripts" / "run_stack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("token", ["-_6_v9bIL24i9Q2YGLAh", "--looks-like-an-option", "plainToken123"])
def test_rasa_reads_any_generated_token_as_the_token(token):
    from rasa.__main__ import create_argument_parser

    arguments = _run_stack().rasa_run_arguments(token, Path("models/x.tar.gz"), "endpoints.yml", 5005)
    parsed = create_argument_parser().parse_args(arguments)
    assert parsed.auth_token == token
    assert parsed.enable_api and parsed.interface == "127.0.0.1" and parsed.port == 5005
