"""privacy/: keys, the cipher with rotation, blind indexes, conversation ids and the log scrubber."""
import json
import logging
import os

import pytest
from cryptography.fernet import Fernet

from privacy import crypto, keys
from privacy.identifiers import rest_conversation_id, sms_conversation_id, web_conversation_id
from privacy.logs import REDACTED, install, scrub


@pytest.fixture
def fresh_keys(monkeypatch, tmp_path):
    def use(encryption, index=None):
        monkeypatch.setenv(keys.ENCRYPTION_KEYS_ENV, ",".join(encryption))
        monkeypatch.setenv(keys.INDEX_KEY_ENV, index or INDEX)
        crypto.reset_cipher()
        return crypto.cipher()
    yield use
    crypto.reset_cipher()


INDEX = Fernet.generate_key().decode()
A, B = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_encrypts_rotates_and_reads_legacy_plain_values(fresh_keys):
    stored = fresh_keys([A]).encrypt("I feel low")
    assert stored.startswith("enc1:") and "feel" not in stored
    rotated_cipher = fresh_keys([B, A])
    assert rotated_cipher.decrypt(stored) == "I feel low"
    rotated = rotated_cipher.rotate(stored)
    assert fresh_keys([B]).decrypt(rotated) == "I feel low"
    with pytest.raises(crypto.DecryptionError):
        fresh_keys([B]).decrypt(stored)
    assert fresh_keys([B]).decrypt('{"event": "user"}') == '{"event": "user"}'


def test_blind_index_is_keyed_and_stable(fresh_keys):
    first = fresh_keys([A]).index("phone", "+16145550100")
    assert first == fresh_keys([B]).index("phone", "+16145550100")  # not tied to the rotating keys
    assert first != fresh_keys([A]).index("email", "+16145550100")
    assert first != fresh_keys([A], Fernet.generate_key().decode()).index("phone", "+16145550100")


def test_keys_from_the_environment_must_be_complete_and_valid(monkeypatch):
    monkeypatch.setenv(keys.ENCRYPTION_KEYS_ENV, A)
    monkeypatch.delenv(keys.INDEX_KEY_ENV, raising=False)
    with pytest.raises(keys.KeyConfigError, match="both"):
        keys.load_keys()
    monkeypatch.setenv(keys.INDEX_KEY_ENV, "not-a-key")
    with pytest.raises(keys.KeyConfigError) as error:
        keys.load_keys()
    assert "not-a-key" not in str(error.value)


def test_without_environment_a_key_file_is_generated_once_outside_the_repo(monkeypatch, tmp_path, caplog):
    monkeypatch.delenv(keys.ENCRYPTION_KEYS_ENV, raising=False)
    monkeypatch.delenv(keys.INDEX_KEY_ENV, raising=False)
    path = tmp_path / "keys" / "data-keys.json"
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(path))
    with caplog.at_level(logging.WARNING):
        first = keys.load_keys()
    assert "generated a development data key file" in caplog.text
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert keys.load_keys() == first
    assert set(json.loads(path.read_text())) == {"encryption_keys", "index_key"}


def test_conversation_ids_are_namespaced_and_sms_ids_hide_the_number(fresh_keys):
    fresh_keys([A])
    assert rest_conversation_id("abc") == "rest:abc"
    assert web_conversation_id("k") == "web:k"
    sms = sms_conversation_id("+16145550100")
    assert sms.startswith("sms:") and "6145550100" not in sms and sms == sms_conversation_id("+16145550100")
    assert rest_conversation_id("x" * 1000).__len__() < 255


@pytest.mark.parametrize("line, kept", [
    ('{"text": "I want to die", "event": "rest.message.received.failure"}', ["rest.message.received.failure"]),
    ("Received user message 'kms' with intent 'express_risk'", ["Received user message", "express_risk"]),
    ("[SQL: INSERT INTO x VALUES (?)]\n[parameters: ('+16145550100',)]", ["INSERT INTO x"]),
    ("callback to a.person@example.com or (614) 555-0100 saved", ["callback to", "saved"]),
    ("risk event recorded: category=suicidal level=high channel=rest", ["category=suicidal level=high"]),
    ("Starting at 2026-11-28 23:59:01 on 127.0.0.1:5005", ["2026-11-28 23:59:01", "127.0.0.1:5005"]),
])
def test_scrub_removes_personal_content_and_keeps_what_happened(line, kept):
    cleaned = scrub(line)
    for word in ("I want to die", "kms", "+16145550100", "a.person@example.com", "555-0100"):
        assert word not in cleaned
    for word in kept:
        assert word in cleaned


def test_scrub_bounds_huge_messages():
    assert len(scrub("x" * 5_000_000)) < 2100


@pytest.fixture
def scrubbed_logging():
    """Install the scrubber for one test and take it away again (other tests read raw logs)."""
    import privacy.logs

    before = logging.getLogRecordFactory()
    install()
    yield
    logging.setLogRecordFactory(before)
    privacy.logs._installed = False


def test_installed_scrubber_covers_every_logger_and_tracebacks(caplog, scrubbed_logging):
    with caplog.at_level(logging.INFO):
        logging.getLogger("sqlalchemy.engine").info("params %s", ("me@example.org",))
        try:
            raise ValueError("bad value 'call me on 614 555 0100'")
        except ValueError:
            logging.getLogger("rasa.core.processor").exception("failed for message %r", "I feel hopeless today")
    text = caplog.text
    assert "me@example.org" not in text and "I feel hopeless" not in text and "614 555 0100" not in text
    assert REDACTED in text and "ValueError" in text
