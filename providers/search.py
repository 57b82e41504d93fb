"""Provider search: SQL for the required filters and the ranking, then the details of one page of results.

Required filters: licensed in the person's state, takes their insurance (or self-pay), offers the format
(in person: an office within max_miles). Everything else ranks, unless listed in `require`:

    score = 1000 * approach match (psychodynamic first when asked for)
          +  100 * number of the person's concerns the provider treats
          +   40 * availability match + 20 * language match + 10 * gender match

and ties go to the soonest appointment, then the nearest office, then the id (stable pages). The weights follow
the order in which the assistant relaxes preferences (gender first, approach last).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Dict, List, Optional

from sqlalchemy import Float, Integer, String, and_, bindparam, case, func, literal, or_, select, union_all
from sqlalchemy.engine import Engine

from providers import geo
from providers.models import ATTRIBUTE_TABLES, Provider, ProviderSearchRow
from providers.search_index import bit, bits
from providers.params import MAX_CONCERNS, SearchQuery
from providers.vocabulary import SELF_PAY, carrier_label, label, vocabulary

WEIGHTS = {"approach": 1000, "concerns": 100, "availability": 40, "language": 20, "gender": 10}

p = Provider.__table__
s = ProviderSearchRow.__table__


MAX_CONCERN_TERMS = MAX_CONCERNS  # one score term per concern a search may give


def _any_bit(column, param: str):
    return column.op("&")(bindparam(param)) != 0


def _flag(name: str):
    """A bound 0/1 switch: `or_(_flag("x") == 0, condition)` applies `condition` only when x is on."""
    return bindparam(name, type_=Integer)


def _squared_degrees():
    """Squared equirectangular distance in degrees of latitude (no trig in SQL; see geo.distance_miles)."""
    dlat = s.c.office_lat - bindparam("lat", type_=Float)
    dlon = (s.c.office_lon - bindparam("lon", type_=Float)) * bindparam("lon_scale", type_=Float)
    return dlat * dlat + dlon * dlon


def _build_statements():
    """One ranked query and one count for every search: which filters apply and which preferences score is
    decided by bound values (a zero bit never matches; a 0 flag switches a filter off). Building a statement
    per combination of preferences instead cost a fresh SQL compilation (~4 ms) for most new searches."""
    preference = {
        "approach": _any_bit(s.c.approach_bits, "approach_bit"),
        "concerns": _any_bit(s.c.concern_bits, "concern_bits"),
        "availability": _any_bit(s.c.availability_bits, "availability_bits"),
        "language": _any_bit(s.c.language_bits, "language_bit"),
        "gender": s.c.gender == bindparam("gender", type_=String),
    }
    score = (
        case((preference["approach"], WEIGHTS["approach"]), else_=0)
        + sum(
            (case((_any_bit(s.c.concern_bits, f"concern_bit_{i}"), WEIGHTS["concerns"]), else_=0)
             for i in range(1, MAX_CONCERN_TERMS)),
            case((_any_bit(s.c.concern_bits, "concern_bit_0"), WEIGHTS["concerns"]), else_=0),
        )
        + case((preference["availability"], WEIGHTS["availability"]), else_=0)
        + case((preference["language"], WEIGHTS["language"]), else_=0)
        + case((preference["gender"], WEIGHTS["gender"]), else_=0)
    ).label("score")
    distance = _squared_degrees().label("d2")
    filters = [
        s.c.state == bindparam("state"),
        or_(and_(_flag("self_pay") == 1, s.c.accepts_self_pay.is_(True)), _any_bit(s.c.insurance_bits, "insurance_bit")),
        or_(_flag("video") == 0, s.c.offers_video.is_(True)),
        or_(_flag("in_person") == 0, and_(
            s.c.offers_in_person.is_(True),
            # the bounding box discards far offices before the arithmetic
            s.c.office_lat.between(bindparam("lat_low", type_=Float), bindparam("lat_high", type_=Float)),
            _squared_degrees() <= bindparam("radius_squared", type_=Float),
        )),
    ] + [or_(_flag(f"require_{name}") == 0, condition) for name, condition in preference.items()]
    ranked = (
        select(s.c.provider_id, score, distance).where(*filters)
        .order_by(
            score.desc(), s.c.soonest_days.asc(),
            case((and_(_flag("located") == 1, s.c.office_lat.is_(None)), 1), else_=0),  # offices before none
            distance.asc(), s.c.provider_id.asc(),
        )
        .limit(bindparam("limit")).offset(bindparam("offset"))
    )
    # A separate count is cheaper than count(*) OVER (), which makes SQLite materialise and re-read every row.
    counted = select(func.count()).select_from(s).where(*filters)
    return ranked, counted


_RANKED, _COUNTED = _build_statements()


def _values(q: SearchQuery) -> Dict[str, Any]:
    """Bound values of _RANKED/_COUNTED for one search."""
    concern_bits = [bit("concerns", c) for c in q.concerns] + [0] * (MAX_CONCERN_TERMS - len(q.concerns))
    values: Dict[str, Any] = {
        "state": q.state,
        "self_pay": int(q.insurance == SELF_PAY),
        "insurance_bit": 0 if q.insurance == SELF_PAY else bit("insurance", q.insurance),
        "video": int(q.format == "video"),
        "in_person": int(q.format == "in_person"),
        "approach_bit": bit("approaches", q.approach) if q.approach else 0,
        "concern_bits": bits("concerns", q.concerns),
        "availability_bits": bits("availability", q.availability),
        "language_bit": bit("languages", q.language) if q.language else 0,
        "gender": q.gender or "",
        "located": int(q.location is not None),
        "lat": None, "lon": None, "lon_scale": None, "lat_low": None, "lat_high": None, "radius_squared": None,
        "limit": q.page_size,
        "offset": (q.page - 1) * q.page_size,
    }
    values.update({f"concern_bit_{i}": b for i, b in enumerate(concern_bits)})
    values.update({f"require_{name}": int(name in q.require) for name in WEIGHTS})
    if q.location is not None:
        radius = q.max_miles / geo.MILES_PER_DEGREE_LAT
        values.update({"lat": q.location.lat, "lon": q.location.lon, "lon_scale": geo.lon_scale(q.location.lat),
                       "lat_low": q.location.lat - radius, "lat_high": q.location.lat + radius,
                       "radius_squared": radius * radius})
    return values


_DETAILS = select(p).where(p.c.id.in_(bindparam("ids", expanding=True)))
_ATTRIBUTES = union_all(*[
    select(table.c.provider_id, literal(name).label("kind"), table.c[column].label("value"))
    .where(table.c.provider_id.in_(bindparam("ids", expanding=True)))
    for table, column, name in ATTRIBUTE_TABLES
])


def search(engine: Engine, q: SearchQuery, today: Optional[dt.date] = None) -> Dict[str, Any]:
    """Run one search; returns the JSON-ready response body."""
    today = today or dt.date.today()
    values = _values(q)
    with engine.connect() as conn:
        page = conn.execute(_RANKED, values).all()
        if q.page == 1 and len(page) < q.page_size:
            total = len(page)  # a short first page is the whole result: no need to count
        else:
            total = conn.execute(_COUNTED, values).scalar_one()
        ids = [row.provider_id for row in page]
        details = {row["id"]: row for row in conn.execute(_DETAILS, {"ids": ids}).mappings()} if ids else {}
        attributes = _load_attributes(conn, ids)
    scores = {row.provider_id: row.score for row in page}
    results = [render_provider(details[i], attributes[i], today, q, score=scores[i]) for i in ids if i in details]
    return {
        "total": total,
        "page": q.page,
        "page_size": q.page_size,
        "pages": (total + q.page_size - 1) // q.page_size,
        "query": describe_query(q),
        "results": results,
    }


def get_provider(engine: Engine, provider_id: int, today: Optional[dt.date] = None) -> Optional[Dict[str, Any]]:
    with engine.connect() as conn:
        row = conn.execute(select(p).where(p.c.id == provider_id)).mappings().first()
        if row is None:
            return None
        attributes = _load_attributes(conn, [provider_id])
    return render_provider(row, attributes[provider_id], today or dt.date.today(), None)


def _load_attributes(conn, ids: List[int]) -> Dict[int, Dict[str, List[str]]]:
    """All multi-valued attributes of a page of providers in one round trip."""
    attributes: Dict[int, Dict[str, List[str]]] = defaultdict(lambda: defaultdict(list))
    if ids:
        for provider_id, kind, value in conn.execute(_ATTRIBUTES, {"ids": ids}).all():
            attributes[provider_id][kind].append(value)
    return attributes


def _ordered(values: List[str], kind: str) -> List[str]:
    key = {"approach": "approaches", "concern": "concerns", "availability": "availability"}[kind]
    order = list(vocabulary()[key])
    return sorted(values, key=lambda v: order.index(v) if v in order else len(order))


def render_provider(
    row, attrs: Dict[str, List[str]], today: dt.date, q: Optional[SearchQuery], score: Optional[int] = None
) -> Dict[str, Any]:
    formats = [f for f, offered in (("video", row["offers_video"]), ("in_person", row["offers_in_person"])) if offered]
    office = None
    if row["office_zip"]:
        office = {"zip": row["office_zip"], "city": row["office_city"], "state": row["office_state"]}
    distance = None
    if q is not None and q.location is not None and row["office_lat"] is not None:
        distance = round(geo.distance_miles(q.location.lat, q.location.lon, row["office_lat"], row["office_lon"]), 1)
    approaches = _ordered(attrs["approaches"], "approach")
    concerns = _ordered(attrs["concerns"], "concern")
    availability = _ordered(attrs["availability"], "availability")
    languages = sorted(attrs["languages"], key=lambda name: (name != "English", name))
    body: Dict[str, Any] = {
        "id": row["id"],
        "name": row["name"],
        "credentials": [c.strip() for c in row["credentials"].split(",") if c.strip()],
        "gender": row["gender"],
        "formats": formats,
        "office": office,
        "distance_miles": distance,
        "licensed_states": sorted(attrs["licensed_states"]),
        "insurance": [{"id": c, "label": carrier_label(c)} for c in sorted(attrs["insurance"])],
        "accepts_self_pay": bool(row["accepts_self_pay"]),
        "self_pay_rate_usd": row["self_pay_rate_usd"],
        "sliding_scale": bool(row["sliding_scale"]),
        "languages": languages,
        "approaches": [{"id": a, "label": label("approach", a)} for a in approaches],
        "concerns": [{"id": c, "label": label("concern", c)} for c in concerns],
        "availability": [{"id": a, "label": label("availability", a)} for a in availability],
        "soonest_appointment": (today + dt.timedelta(days=int(row["soonest_days"]))).isoformat(),
        "soonest_appointment_in_days": int(row["soonest_days"]),
        "booking_url": row["booking_url"],
        "fictional": bool(row["is_demo"]),
    }
    if q is not None:
        body["score"] = int(score or 0)
        body["matched"] = {
            "approach": None if not q.approach else q.approach in approaches,
            "concerns": [c for c in q.concerns if c in concerns],
            "availability": None if not q.availability else any(a in availability for a in q.availability),
            "language": None if not q.language else q.language in languages,
            "gender": None if not q.gender else q.gender == row["gender"],
        }
    return body


def describe_query(q: SearchQuery) -> Dict[str, Any]:
    """The normalised search, echoed so a caller sees how its input was understood."""
    return {
        "state": q.state,
        "insurance": q.insurance,
        "format": q.format,
        "zip": q.location.zip if q.location else None,
        "zip_resolution": q.location.resolution if q.location else None,
        "max_miles": q.max_miles if q.format == "in_person" else None,
        "language": q.language,
        "gender": q.gender,
        "approach": q.approach,
        "concerns": list(q.concerns),
        "availability": list(q.availability),
        "require": sorted(q.require),
    }
