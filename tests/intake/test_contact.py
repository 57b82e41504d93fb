"""privacy.contact: one normaliser for phone numbers and email addresses, and their blind indexes."""
from __future__ import annotations

import pytest

from privacy import contact

US_NUMBER = "+16145550100"


@pytest.mark.parametrize("written", [
    "(614) 555-0100", "614-555-0100", "614.555.0100", "6145550100", "614 555 0100", "  614 555 0100 ",
    "+1 614 555 0100", "+1-614-555-0100", "+1 (614) 555-0100", "1 (614) 555-0100", "1-614-555-0100",
    "+16145550100", "16145550100", "614/555-0100",
])
def test_every_way_of_writing_a_us_number_gives_one_e164(written):
    assert contact.normalize_phone(written) == US_NUMBER


@pytest.mark.parametrize("written, e164", [
    ("+44 20 7946 0958", "+442079460958"),
    ("+44 (0)20 7946 0958", "+442079460958"),
    ("+49 30 901820", "+4930901820"),
    ("+33 1 42 68 53 00", "+33142685300"),
    ("+61 2 9374 4000", "+61293744000"),
])
def test_international_numbers(written, e164):
    assert contact.normalize_phone(written) == e164


def test_national_numbers_are_read_in_the_configured_region(monkeypatch):
    assert contact.normalize_phone("020 7946 0958", region="GB") == "+442079460958"
    monkeypatch.setenv("DEFAULT_PHONE_REGION", "gb")
    assert contact.normalize_phone("020 7946 0958") == "+442079460958"
    assert contact.normalize_phone("+1 614 555 0100") == US_NUMBER  # a country code wins over the region
    monkeypatch.setenv("DEFAULT_PHONE_REGION", "Atlantis")
    with pytest.raises(ValueError, match="DEFAULT_PHONE_REGION"):
        contact.normalize_phone("614 555 0100")


@pytest.mark.parametrize("written", [
    "", "   ", "12345", "555-0100",  # too short; local-only numbers have no E.164 form
    "+1 614 555 01009", "+1 614 555 010",  # a digit too many / too few for the US
    "614-555-0100 x12", "1-800-FLOWERS", "+1555abc0001", "whatsapp:+16145550100", "call me",
    "+999 1234 5678",  # no such country code
    "6" * 400,
])
def test_impossible_numbers_are_refused_without_echoing_them(written):
    with pytest.raises(ValueError) as error:
        contact.normalize_phone(written)
    digits = "".join(ch for ch in written if ch.isdigit())
    assert not digits or digits[-4:] not in str(error.value)


def test_valid_is_stricter_than_possible():
    # 555 is not an assigned area code: fine to look up, refused where a typo must be caught
    assert contact.normalize_phone("+1 555 010 0177") == "+15550100177"
    with pytest.raises(ValueError) as error:
        contact.normalize_phone("+1 555 010 0177", require_valid=True)
    assert "0177" not in str(error.value)
    assert contact.normalize_phone("(614) 555-0100", require_valid=True) == US_NUMBER


@pytest.mark.parametrize("written, normalized", [
    ("sam@example.com", "sam@example.com"),
    ("  Sam@Example.COM ", "Sam@example.com"),  # the domain is case-insensitive; the mailbox kept as typed
    ("zoë@example.org", "zoë@example.org"),
    ("first.last+tag@sub.example.org", "first.last+tag@sub.example.org"),
])
def test_emails_are_normalised(written, normalized):
    assert contact.normalize_email(written) == normalized


@pytest.mark.parametrize("written", ["", "sam@", "@example.com", "sam@example", "sam example.com", "sam@@example.com",
                                     "sam@exa mple.com", "sam@example..com", None, 42])
def test_invalid_emails_are_refused_without_echoing_them(written):
    with pytest.raises(ValueError) as error:
        contact.normalize_email(written)
    assert "sam" not in str(error.value) and "example" not in str(error.value)


def test_blind_index_is_the_same_for_every_format_and_reveals_nothing():
    index = contact.contact_index("phone", "(614) 555-0100")
    assert index == contact.contact_index("phone", "+1 614-555-0100") == contact.contact_index("phone", "614.555.0100")
    assert "6145550100" not in index and len(index) == 64
    assert index != contact.contact_index("phone", "(614) 555-0101")
    email = contact.contact_index("email", "Avery@Example.org")
    assert email == contact.contact_index("email", "avery@example.org") == contact.contact_index("email", " AVERY@EXAMPLE.ORG")
    with pytest.raises(ValueError):
        contact.contact_index("fax", "614 555 0100")


def test_blind_index_depends_on_the_index_key(monkeypatch):
    from cryptography.fernet import Fernet

    from intake.testing import use_test_data_keys

    before = contact.contact_index("phone", US_NUMBER)
    use_test_data_keys(monkeypatch, index_key=Fernet.generate_key())
    assert contact.contact_index("phone", US_NUMBER) != before


@pytest.mark.parametrize("text, phones, emails, expected", [
    ("you can call me at 614.555.0100 after 5", [US_NUMBER], [], True),
    ("my number is (614) 555-0100", [US_NUMBER], [], True),
    ("+1 614 555 0100!", [US_NUMBER], [], True),
    ("call 614.555.0101 instead", [US_NUMBER], [], False),
    ("I'm 34, zip 43215, since 2019", [US_NUMBER], [], False),
    ("write to Avery@Example.org, thanks.", [], ["avery@example.org"], True),
    ("write to avery@example.org.", [], ["Avery@example.org"], True),
    ("write to avery2@example.org", [], ["avery@example.org"], False),
    ("no contact here", [US_NUMBER], ["avery@example.org"], False),
])
def test_mentions_in_free_text(text, phones, emails, expected):
    assert contact.mentions(text, phones=phones, emails=emails) is expected
