"""`python -m console` staff management: first admin, add, disable, enable, password rules."""
from __future__ import annotations

import io

from console.__main__ import main as console_cli
from console.staff import StaffDirectory, make_hasher


def run_cli(monkeypatch, settings, args, stdin=""):
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.intake_database_url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", settings.tracker_database_url)
    monkeypatch.setenv("CONSOLE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CONSOLE_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return console_cli(args)


def test_staff_lifecycle_from_the_command_line(settings, monkeypatch, capsys):
    assert run_cli(monkeypatch, settings, ["create-admin", "first.admin"], "correct-horse-battery\n") == 0
    assert run_cli(monkeypatch, settings, ["add-staff", "coord", "--role", "coordinator"], "another-long-password\n") == 0
    assert run_cli(monkeypatch, settings, ["add-staff", "coord"], "another-long-password\n") == 2  # taken
    assert run_cli(monkeypatch, settings, ["add-staff", "weak"], "short\n") == 2
    assert run_cli(monkeypatch, settings, ["add-staff", "Bad Name!"], "another-long-password\n") == 2
    assert run_cli(monkeypatch, settings, ["disable-staff", "coord"], "") == 0
    assert run_cli(monkeypatch, settings, ["disable-staff", "first.admin"], "") == 2  # the last admin stays
    out = capsys.readouterr()
    assert "created admin first.admin" in out.out and "last active admin" in out.err

    from intake.config import make_engine
    engine = make_engine(settings.intake_database_url)
    directory = StaffDirectory(engine, make_hasher(1, 1024))
    assert directory.authenticate("first.admin", "correct-horse-battery").is_admin
    assert directory.authenticate("coord", "another-long-password") is None  # disabled
    assert run_cli(monkeypatch, settings, ["enable-staff", "coord"], "") == 0
    assert directory.authenticate("coord", "another-long-password").role == "coordinator"
    with engine.connect() as conn:
        hashed = conn.exec_driver_sql("SELECT password_hash FROM staff_users WHERE username='coord'").scalar()
    assert hashed.startswith("$argon2id$") and "another-long-password" not in hashed
    engine.dispose()


def test_create_token_prints_a_token_once(settings, monkeypatch, capsys):
    assert run_cli(monkeypatch, settings, ["create-token", "clinic-emr"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("ict_") and len(token) > 40
