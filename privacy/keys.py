"""Where the data-at-rest keys come from.

Production sets them in the environment:
  DATA_ENCRYPTION_KEYS  comma-separated Fernet keys, newest first (older ones still decrypt: rotation)
  DATA_INDEX_KEY        a Fernet-format key for blind indexes (lookups by phone, email, conversation)

Without them (a laptop, `make run`) a key file is generated once outside the repository, at
DATA_KEY_FILE or ~/.local/share/pretherapy/data-keys.json (mode 0600), with a warning: losing it
makes the stored records unreadable, and anyone who can read it can read them.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

logger = logging.getLogger(__name__)

ENCRYPTION_KEYS_ENV = "DATA_ENCRYPTION_KEYS"
INDEX_KEY_ENV = "DATA_INDEX_KEY"
KEY_FILE_ENV = "DATA_KEY_FILE"
DEFAULT_KEY_FILE = Path.home() / ".local" / "share" / "pretherapy" / "data-keys.json"


class KeyConfigError(RuntimeError):
    """The configured keys are missing or malformed (the message never contains a key)."""


@dataclass(frozen=True)
class DataKeys:
    encryption_keys: tuple[bytes, ...]  # newest first
    index_key: bytes
    source: str  # "environment" or the key file's path


def _check_fernet_key(key: str, what: str) -> bytes:
    raw = key.strip().encode("ascii", "replace")
    try:
        Fernet(raw)
    except (ValueError, TypeError) as exc:
        raise KeyConfigError(f"{what} is not a Fernet key (32 url-safe base64 bytes)") from exc
    return raw


def _from_environment() -> DataKeys | None:
    encryption = os.environ.get(ENCRYPTION_KEYS_ENV, "").strip()
    index = os.environ.get(INDEX_KEY_ENV, "").strip()
    if not encryption and not index:
        return None
    if not encryption or not index:
        raise KeyConfigError(f"set both {ENCRYPTION_KEYS_ENV} and {INDEX_KEY_ENV}, or neither")
    keys = tuple(
        _check_fernet_key(part, f"{ENCRYPTION_KEYS_ENV} entry {n}")
        for n, part in enumerate(encryption.split(","), start=1) if part.strip()
    )
    return DataKeys(keys, _check_fernet_key(index, INDEX_KEY_ENV), "environment")


def _key_file_path() -> Path:
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()


def _read_key_file(path: Path) -> DataKeys:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        keys = tuple(_check_fernet_key(k, f"{path} encryption key") for k in stored["encryption_keys"])
        index = _check_fernet_key(stored["index_key"], f"{path} index key")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyConfigError(f"cannot read the data key file {path} ({type(exc).__name__})") from exc
    if not keys:
        raise KeyConfigError(f"the data key file {path} holds no encryption key")
    return DataKeys(keys, index, str(path))


def _create_key_file(path: Path) -> None:
    """Write a new key file atomically; a concurrent process that wins the race keeps its file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    content = json.dumps({
        "encryption_keys": [Fernet.generate_key().decode()],
        "index_key": Fernet.generate_key().decode(),
    })
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".data-keys-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        try:
            os.link(tmp, path)  # fails if another process created it first
            logger.warning(
                "generated a development data key file at %s: fine for a laptop; production sets %s and %s",
                path, ENCRYPTION_KEYS_ENV, INDEX_KEY_ENV,
            )
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


def load_keys() -> DataKeys:
    keys = _from_environment()
    if keys is not None:
        return keys
    path = _key_file_path()
    if not path.exists():
        _create_key_file(path)
    keys = _read_key_file(path)
    logger.warning("data keys come from the development key file %s, not the environment", path)
    return keys


def new_key() -> str:
    """A fresh key, for `python -m privacy new-key`."""
    return Fernet.generate_key().decode()
