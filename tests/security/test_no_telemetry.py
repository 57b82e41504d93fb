"""Rasa's telemetry (usage to Segment, errors to Sentry) is off wherever this project starts Rasa:
bot/rasa_cli.py for Rasa itself, tests/support/servers.py for the plain `rasa run actions` it
starts, the Makefile for every `make` command. Rasa's first run records "enabled: true" in the
user's global configuration, so a fresh home directory is what a new machine looks like."""
import os
import subprocess
import sys

from tests.support import servers


def _without_the_variable(home) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "RASA_TELEMETRY_ENABLED"}
    env["HOME"] = str(home)
    return env


def test_rasa_started_by_the_project_reports_nothing_on_a_new_machine(tmp_path):
    shown = subprocess.run([sys.executable, "-m", "bot.rasa_cli", "telemetry"], cwd=servers.ROOT,
                           env=_without_the_variable(tmp_path), capture_output=True, text=True, timeout=120)
    assert "Telemetry reporting is currently disabled" in shown.stdout, shown.stdout + shown.stderr
    # Rasa's own default on such a machine is the opposite: what this entry point is for
    plain = subprocess.run([servers.RASA, "telemetry"], cwd=servers.ROOT, env=_without_the_variable(tmp_path / "plain"),
                           capture_output=True, text=True, timeout=120)
    assert "Telemetry reporting is currently enabled" in plain.stdout, plain.stdout + plain.stderr


def test_servers_the_tests_start_have_it_off_unless_the_environment_says_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv("RASA_TELEMETRY_ENABLED", raising=False)
    assert servers.action_server(tmp_path).env["RASA_TELEMETRY_ENABLED"] == "false"
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "true")  # an explicit choice is kept
    assert servers.action_server(tmp_path).env["RASA_TELEMETRY_ENABLED"] == "true"
