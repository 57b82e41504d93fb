"""The demo directory generator, loading it idempotently, and the command line."""
from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from providers.__main__ import main
from providers.db import make_engine
from providers.models import DirectoryMeta, Provider, ProviderSearchRow
from providers.seed import generate_providers, seed_directory
from providers.vocabulary import vocabulary


def test_generator_is_deterministic_and_seed_dependent():
    first = list(generate_providers(120, 11))
    assert first == list(generate_providers(120, 11))
    assert first != list(generate_providers(120, 12))
    assert [r.id for r in first] == list(range(1, 121))


def test_demo_providers_are_clearly_fictional_and_use_the_vocabulary():
    vocab = vocabulary()
    records = list(generate_providers(2000, 42))
    assert {s for r in records for s in r.licensed_states} == set(vocab["states"])  # all 50 states and DC
    assert {r.licensed_states[0] for r in records} == set(vocab["states"])  # each has providers based there
    kaiser_states = set(vocab["carrier_states"]["kaiser_permanente"])
    for r in records:
        assert r.name.endswith(" (demo)")
        assert r.booking_url.startswith("https://booking.example.com/")
        assert set(r.credentials) <= set(vocab["credentials"])
        assert set(r.insurance) <= set(vocab["carriers"])
        assert r.insurance or r.accepts_self_pay, "everyone can be paid somehow"
        assert r.offers_video or r.offers_in_person
        assert (r.office is not None) == r.offers_in_person
        assert r.languages and r.approaches and len(r.concerns) >= 2 and r.availability
        assert 1 <= r.soonest_days <= 60
        if "kaiser_permanente" in r.insurance:
            assert r.licensed_states[0] in kaiser_states
    assert sum("psychodynamic" in r.approaches for r in records) > 500
    assert sum(r.soonest_days == 1 for r in records) > 50, "some appointments as soon as the next day"


def test_seeding_is_idempotent_and_reseeds_on_change(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'dir' / 'providers.db'}")  # the folder is created
    assert seed_directory(engine, 80, 5) == "seeded"
    assert seed_directory(engine, 80, 5) == "unchanged"
    assert seed_directory(engine, 90, 5) == "seeded"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Provider.__table__)).scalar_one() == 90
        licences = sum(len(r.licensed_states) for r in generate_providers(90, 5))
        assert conn.execute(select(func.count()).select_from(ProviderSearchRow.__table__)).scalar_one() == licences
    engine.dispose()


def test_a_directory_that_is_not_a_demo_is_never_wiped_by_accident(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'real.db'}")
    seed_directory(engine, 10, 1)
    with engine.begin() as conn:
        conn.execute(DirectoryMeta.__table__.delete())  # as if loaded from a real source
        conn.execute(insert(DirectoryMeta.__table__).values(key="source", value="partner feed"))
    with pytest.raises(RuntimeError):
        seed_directory(engine, 10, 1)
    assert seed_directory(engine, 10, 1, replace=True) == "seeded"
    engine.dispose()


def test_cli_seed_twice_then_skips(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["seed", "--count", "40", "--seed", "3", "--database-url", url]) == 0
    assert capsys.readouterr().out.startswith("seeded: 40 demo providers (seed 3)")
    assert main(["seed", "--count", "40", "--seed", "3", "--database-url", url]) == 0
    assert capsys.readouterr().out.startswith("unchanged: 40 demo providers")


def test_cli_hides_database_passwords():
    from providers.__main__ import _safe_url

    assert "s3cret" not in _safe_url("postgresql://app:s3cret@db.example.com/providers")


def test_settings_default_to_a_local_sqlite_file(monkeypatch):
    from providers.settings import Settings

    monkeypatch.delenv("PROVIDERS_DATABASE_URL", raising=False)
    assert Settings.from_env().database_url == "sqlite:///var/providers.db"
    monkeypatch.setenv("PROVIDERS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    assert Settings.from_env().database_url.startswith("postgresql://")
