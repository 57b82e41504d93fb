"""Deterministic generator of a clearly fictional demo directory, and loading it into the database.

The same (count, seed) always yields the same providers with the same ids, so tests can recompute expected
search results from `generate_providers` and a demo on any laptop shows the same people.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional

from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Engine

from providers import geo
from providers.db import create_schema
from providers.models import ATTRIBUTE_TABLES, DirectoryMeta, Provider, ProviderSearchRow
from providers.search_index import rebuild_search_index
from providers.vocabulary import vocabulary

log = logging.getLogger(__name__)

GENERATOR_VERSION = "1"
BOOKING_URL = "https://booking.example.com/demo/providers/{id}"
MAX_SOONEST_DAYS = 60


@dataclass
class ProviderRecord:
    id: int
    name: str
    credentials: List[str]
    gender: str
    licensed_states: List[str]
    insurance: List[str]
    accepts_self_pay: bool
    self_pay_rate_usd: Optional[int]
    sliding_scale: bool
    offers_video: bool
    offers_in_person: bool
    office: Optional[Dict[str, object]]
    languages: List[str]
    approaches: List[str]
    concerns: List[str]
    availability: List[str]
    soonest_days: int
    booking_url: str = field(default="")


def _pick_shares(rng: random.Random, shares: Dict[str, float]) -> List[str]:
    return [key for key, share in shares.items() if rng.random() < share]


def generate_providers(count: int, seed: int) -> Iterator[ProviderRecord]:
    """Yield `count` fictional providers; every state (and DC) gets some before the population-weighted rest."""
    vocab = vocabulary()
    rng = random.Random(seed)
    states = list(vocab["states"])
    state_weights = [vocab["state_weights"].get(s, vocab["default_state_weight"]) for s in states]
    offices_by_state: Dict[str, list] = {}
    for office in geo.office_zips():
        offices_by_state.setdefault(office["state"], []).append(office)
    credentials = vocab["credentials"]
    credential_codes = list(credentials)
    credential_weights = [c["weight"] for c in credentials.values()]
    genders, gender_weights = zip(*vocab["genders"].items())
    first_names, last_names = vocab["demo_names"]["first"], vocab["demo_names"]["last"]
    approach_shares = {k: v["share"] for k, v in vocab["approaches"].items()}
    concern_shares = {k: v["share"] for k, v in vocab["concerns"].items()}
    availability_shares = {k: v["share"] for k, v in vocab["availability"].items()}
    carrier_states = {k: set(v) for k, v in vocab["carrier_states"].items()}
    self_pay = vocab["self_pay"]

    for provider_id in range(1, count + 1):
        primary = states[provider_id - 1] if provider_id <= len(states) else rng.choices(states, state_weights)[0]
        licensed = [primary]
        extra = rng.random()
        neighbors = list(vocab["neighbors"][primary])
        if neighbors and extra < 0.33:
            licensed += rng.sample(neighbors, k=min(len(neighbors), 2 if extra < 0.08 else 1))
        if rng.random() < 0.03:  # a few hold a licence far from home (e.g. moved, or an interstate compact)
            far = rng.choice(states)
            if far not in licensed:
                licensed.append(far)

        creds = [rng.choices(credential_codes, credential_weights)[0]]
        if rng.random() < 0.1:
            second = rng.choices(credential_codes, credential_weights)[0]
            if second not in creds:
                creds.append(second)
        doctor = any(credentials[c]["doctor"] for c in creds)
        name = "{}{} {}. {} (demo)".format(
            "Dr. " if doctor else "", rng.choice(first_names), chr(ord("A") + rng.randrange(26)), rng.choice(last_names)
        )

        fmt = rng.random()
        offers_video, offers_in_person = (True, True) if fmt < 0.55 else (True, False) if fmt < 0.9 else (False, True)
        office = None
        if offers_in_person:
            base = rng.choice(offices_by_state[primary])
            office = {
                "zip": base["zip"], "city": base["city"], "state": base["state"],
                # spread offices around the city centroid (about +-5 miles) so distances differ
                "lat": round(base["lat"] + rng.uniform(-0.07, 0.07), 5),
                "lon": round(base["lon"] + rng.uniform(-0.09, 0.09), 5),
            }

        insurance = [
            c for c, share in vocab["carrier_acceptance"].items()
            if rng.random() < share and (c not in carrier_states or primary in carrier_states[c])
        ]
        accepts_self_pay = rng.random() < self_pay["acceptance"] or not insurance
        rate = 5 * rng.randint(self_pay["rate_min_usd"] // 5, self_pay["rate_max_usd"] // 5) if accepts_self_pay else None

        languages = [lang for lang, share in vocab["languages"].items() if rng.random() < share] or ["English"]
        approaches = _pick_shares(rng, approach_shares) or [rng.choice(["psychodynamic", "cbt"])]
        if len(approaches) > 4:
            approaches = rng.sample(approaches, 4)
        concerns = _pick_shares(rng, concern_shares)
        while len(concerns) < 2:
            extra_concern = rng.choice(list(concern_shares))
            if extra_concern not in concerns:
                concerns.append(extra_concern)
        availability = _pick_shares(rng, availability_shares) or ["weekday_daytime"]
        soonest = min(MAX_SOONEST_DAYS, 1 + int(rng.expovariate(1 / 9)))

        yield ProviderRecord(
            id=provider_id, name=name, credentials=creds, gender=rng.choices(genders, gender_weights)[0],
            licensed_states=licensed, insurance=insurance, accepts_self_pay=accepts_self_pay,
            self_pay_rate_usd=rate, sliding_scale=accepts_self_pay and rng.random() < 0.3,
            offers_video=offers_video, offers_in_person=offers_in_person, office=office,
            languages=languages, approaches=sorted(approaches, key=list(approach_shares).index),
            concerns=sorted(concerns, key=list(concern_shares).index),
            availability=sorted(availability, key=list(availability_shares).index),
            soonest_days=soonest, booking_url=BOOKING_URL.format(id=provider_id),
        )


def _rows(records: List[ProviderRecord]):
    providers, attributes = [], {name: [] for _, _, name in ATTRIBUTE_TABLES}
    for r in records:
        office = r.office or {}
        providers.append({
            "id": r.id, "name": r.name, "credentials": ", ".join(r.credentials), "gender": r.gender,
            "offers_video": r.offers_video, "offers_in_person": r.offers_in_person,
            "office_zip": office.get("zip"), "office_city": office.get("city"), "office_state": office.get("state"),
            "office_lat": office.get("lat"), "office_lon": office.get("lon"), "soonest_days": r.soonest_days,
            "accepts_self_pay": r.accepts_self_pay, "self_pay_rate_usd": r.self_pay_rate_usd,
            "sliding_scale": r.sliding_scale, "booking_url": r.booking_url, "is_demo": True,
        })
        for _table, column, name in ATTRIBUTE_TABLES:
            attributes[name].extend({"provider_id": r.id, column: value} for value in getattr(r, name))
    return providers, attributes


def _meta(engine: Engine) -> Dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(DirectoryMeta.key, DirectoryMeta.value)).all())


def seed_directory(engine: Engine, count: int, seed: int, *, replace: bool = False, batch: int = 5000) -> str:
    """Load the demo directory for (count, seed). Returns "unchanged" when it is already loaded, else "seeded".

    A different demo directory is replaced; a directory that is not a demo (no seed recorded) is only
    replaced with replace=True, so a real directory is never wiped by accident.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    create_schema(engine)
    wanted = {"demo_count": str(count), "demo_seed": str(seed), "generator_version": GENERATOR_VERSION}
    meta = _meta(engine)
    if all(meta.get(k) == v for k, v in wanted.items()) and meta.get("complete") == "yes":
        return "unchanged"
    with engine.connect() as conn:
        existing = conn.execute(select(func.count()).select_from(Provider.__table__)).scalar_one()
    if existing and "demo_seed" not in meta and not replace:
        raise RuntimeError("the database holds a provider directory that is not a demo; pass replace=True to wipe it")

    with engine.begin() as conn:
        conn.execute(delete(ProviderSearchRow.__table__))
        for table, _column, _name in ATTRIBUTE_TABLES:
            conn.execute(delete(table))
        conn.execute(delete(Provider.__table__))
        conn.execute(delete(DirectoryMeta.__table__))
        records: List[ProviderRecord] = []
        for record in generate_providers(count, seed):
            records.append(record)
            if len(records) >= batch:
                _insert(conn, records)
                records = []
        if records:
            _insert(conn, records)
        rebuild_search_index(conn)
        conn.execute(DirectoryMeta.__table__.insert(), [{"key": k, "value": v} for k, v in {**wanted, "complete": "yes"}.items()])
    if engine.dialect.name == "postgresql":
        # ids were given explicitly; move the sequence past them so later inserts do not collide
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('providers', 'id'), :n)"), {"n": count})
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))  # fresh planner statistics: the state index should drive every search
    log.info("seeded demo provider directory: %d providers (seed %d)", count, seed)
    return "seeded"


def _insert(conn, records: List[ProviderRecord]) -> None:
    providers, attributes = _rows(records)
    conn.execute(Provider.__table__.insert(), providers)
    for table, _column, name in ATTRIBUTE_TABLES:
        if attributes[name]:
            conn.execute(table.insert(), attributes[name])


def provider_count(engine: Engine) -> int:
    create_schema(engine)
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Provider.__table__)).scalar_one()
