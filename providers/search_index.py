"""The derived search table (models.ProviderSearchRow): term-to-bit mapping and rebuilding it from the source tables."""
from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Dict, Iterable

from sqlalchemy import delete, select

from providers.models import ATTRIBUTE_TABLES, Provider, ProviderSearchRow
from providers.vocabulary import vocabulary

# attribute name in ATTRIBUTE_TABLES -> (bit-set column, vocabulary section whose order assigns the bits)
BIT_SETS = {
    "insurance": ("insurance_bits", "carriers"),
    "languages": ("language_bits", "languages"),
    "approaches": ("approach_bits", "approaches"),
    "concerns": ("concern_bits", "concerns"),
    "availability": ("availability_bits", "availability"),
}


@lru_cache(maxsize=None)
def _bit_table(section: str) -> Dict[str, int]:
    terms = list(vocabulary()[section])
    if len(terms) > 62:  # BigInteger holds 63 bits; a longer vocabulary needs another representation
        raise ValueError(f"vocabulary section {section} has too many terms for a bit set")
    return {term: 1 << i for i, term in enumerate(terms)}


def bit(attribute: str, term: str) -> int:
    """The bit of `term` in the bit set of `attribute` (e.g. bit("languages", "Spanish"))."""
    return _bit_table(BIT_SETS[attribute][1])[term]


def bits(attribute: str, terms: Iterable[str]) -> int:
    table = _bit_table(BIT_SETS[attribute][1])
    value = 0
    for term in terms:
        value |= table.get(term, 0)
    return value


def rebuild_search_index(conn, batch: int = 20000) -> int:
    """Regenerate provider_search_index from the source tables inside the caller's transaction."""
    p = Provider.__table__
    attributes: Dict[int, Dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for table, column, name in ATTRIBUTE_TABLES:
        for provider_id, value in conn.execute(select(table.c.provider_id, table.c[column])):
            attributes[provider_id][name].append(value)
    conn.execute(delete(ProviderSearchRow.__table__))
    rows, written = [], 0
    columns = (p.c.id, p.c.soonest_days, p.c.gender, p.c.offers_video, p.c.offers_in_person,
               p.c.office_lat, p.c.office_lon, p.c.accepts_self_pay)
    for provider in conn.execute(select(*columns)).mappings():
        attrs = attributes.get(provider["id"], {})
        common = {
            "provider_id": provider["id"], "soonest_days": provider["soonest_days"], "gender": provider["gender"],
            "offers_video": provider["offers_video"], "offers_in_person": provider["offers_in_person"],
            "office_lat": provider["office_lat"], "office_lon": provider["office_lon"],
            "accepts_self_pay": provider["accepts_self_pay"],
        }
        for name, (column, _section) in BIT_SETS.items():
            common[column] = bits(name, attrs.get(name, ()))
        for state in set(attrs.get("licensed_states", ())):
            rows.append({**common, "state": state})
        if len(rows) >= batch:
            conn.execute(ProviderSearchRow.__table__.insert(), rows)
            written += len(rows)
            rows = []
    if rows:
        conn.execute(ProviderSearchRow.__table__.insert(), rows)
        written += len(rows)
    return written
