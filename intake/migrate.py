"""Alembic wiring: migrations ship inside the package, configured programmatically (no alembic.ini)."""
from __future__ import annotations

import logging
import threading

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

_upgrade_lock = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "intake:migrations")
    if connection is not None:
        # env.py runs on this connection; the URL never goes through configparser ('%' in passwords)
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _upgrade_lock, engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with _upgrade_lock, engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def ensure_schema(engine: Engine) -> None:
    """Apply pending migrations; cheap when the database is already at head."""
    if current_revision(engine) == head_revision():
        return
    logger.info("Applying intake database migrations")
    upgrade(engine)
