"""Settings of the provider directory service, read once from the environment with laptop-safe defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///var/providers.db"
DEFAULT_DEMO_COUNT = 2000
DEFAULT_DEMO_SEED = 42


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 5060
    demo_count: int = DEFAULT_DEMO_COUNT
    demo_seed: int = DEFAULT_DEMO_SEED

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        return cls(
            database_url=env.get("PROVIDERS_DATABASE_URL") or DEFAULT_DATABASE_URL,
            host=env.get("PROVIDERS_HOST") or "127.0.0.1",
            port=int(env.get("PROVIDERS_PORT") or 5060),
            demo_count=int(env.get("PROVIDERS_DEMO_COUNT") or DEFAULT_DEMO_COUNT),
            demo_seed=int(env.get("PROVIDERS_DEMO_SEED") or DEFAULT_DEMO_SEED),
        )
