"""Encryption at rest and blind indexes, with one cipher per process.

Stored values are "enc1:" + a Fernet token (AES-128-CBC with HMAC-SHA256, from `cryptography`).
MultiFernet decrypts with any configured key and `rotate` re-encrypts under the newest, so keys
rotate without downtime. A value without the prefix was written before encryption and is read
as it is (and re-encrypted by `python -m privacy rotate`).

Blind indexes (HMAC-SHA256 under a separate key) let deletion and lookups find a phone number,
an email or an SMS conversation without storing or decrypting it.
"""
from __future__ import annotations

import hashlib
import hmac
import threading

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from privacy.keys import DataKeys, load_keys

PREFIX = "enc1:"


class DecryptionError(ValueError):
    """A stored value could not be decrypted with any configured key."""


class DataCipher:
    def __init__(self, keys: DataKeys):
        self._fernet = MultiFernet([Fernet(k) for k in keys.encryption_keys])
        self._index_key = keys.index_key
        self.source = keys.source

    def encrypt(self, text: str) -> str:
        return PREFIX + self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise DecryptionError("stored value does not decrypt with the configured keys") from exc

    def encrypt_optional(self, text: str | None) -> str | None:
        return None if text is None else self.encrypt(text)

    def decrypt_optional(self, stored: str | None) -> str | None:
        return None if stored is None else self.decrypt(stored)

    def rotate(self, stored: str) -> str:
        """The same value encrypted under the newest key (plain values get encrypted)."""
        if not stored.startswith(PREFIX):
            return self.encrypt(stored)
        token = self._fernet.rotate(stored[len(PREFIX):].encode("ascii"))
        return PREFIX + token.decode("ascii")

    def index(self, kind: str, value: str) -> str:
        """Keyed hash of a normalised value; `kind` separates phone, email and so on."""
        message = kind.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()


_cipher: DataCipher | None = None
_lock = threading.Lock()


def cipher() -> DataCipher:
    """The process's cipher, built from `privacy.keys.load_keys` on first use."""
    global _cipher
    if _cipher is None:
        with _lock:
            if _cipher is None:
                _cipher = DataCipher(load_keys())
    return _cipher


def reset_cipher() -> None:
    """Forget the cached cipher (after the environment's keys changed)."""
    global _cipher
    with _lock:
        _cipher = None
