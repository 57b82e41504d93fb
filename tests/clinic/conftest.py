"""Fixtures for the clinic profile tests: a clean environment, the domain, a second clinic."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict

import pytest
import yaml
from rasa.shared.core.domain import Domain

ROOT = Path(__file__).resolve().parents[2]

# A second clinic that differs from the demo in every field, so each value can be looked for.
OTHER_CLINIC: Dict[str, str] = {
    "name": "Riverside Therapy Collective",
    "services": "psychodynamic and psychoanalytic therapy for adults and couples, by video only",
    "service_area": "anywhere in Vermont and New Hampshire",
    "insurance": "in network with Aetna, Medicaid and Tricare; out of network for other plans",
    "self_pay": "$145 per 50-minute session, superbills on request",
    "sliding_scale": "from $40 per session for students and people on benefits",
    "wait_time": "within 10 business days",
    "hours": "Tuesday to Saturday, 8 am to 7 pm Eastern",
    "callback_time": "by the end of the next business day",
    "callback_from": "(555) 010-0199, shown as Riverside Intake",
    "privacy_url": "https://riverside.example.com/notice-of-privacy-practices",
}


@pytest.fixture(autouse=True)
def no_clinic_environment(monkeypatch):
    """Tests start from the file alone: no CLINIC_* setting of the machine leaks in."""
    for key in list(os.environ):
        if key.startswith("CLINIC_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def write_profile(path: Path, values: Dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(values, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def other_clinic_file(tmp_path) -> Path:
    return write_profile(tmp_path / "riverside.yml", OTHER_CLINIC)
