"""SQL schema of the provider directory (SQLAlchemy 1.4 declarative, used 2.0-style).

The source of truth is `providers` plus one narrow (provider_id, value) table per multi-valued attribute
(licences, insurance, languages, ...). Searching joins of those costs one index probe per candidate and
attribute (about 15 ms for a large state at 50,000 providers on SQLite), so searches read a derived table
instead, `provider_search_index`: one row per (licensed state, provider) clustered by state, with the
multi-valued attributes folded into integer bit sets. A search is then a single range scan of one state's rows
(a few ms). `providers.search_index.rebuild_search_index` regenerates it from the source tables.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class DirectoryMeta(Base):
    """Key/value facts about the loaded directory (e.g. which demo seed and size generated it)."""

    __tablename__ = "directory_meta"
    key = Column(String(40), primary_key=True)
    value = Column(String(200), nullable=False)


class Provider(Base):
    __tablename__ = "providers"

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(120), nullable=False)
    credentials = Column(String(60), nullable=False)  # display list, e.g. "PhD, LMFT"; never filtered on
    gender = Column(String(12), nullable=False)
    offers_video = Column(Boolean, nullable=False, default=True)
    offers_in_person = Column(Boolean, nullable=False, default=False)
    office_zip = Column(String(5))
    office_city = Column(String(60))
    office_state = Column(String(2))
    office_lat = Column(Float)
    office_lon = Column(Float)
    # Days from today to the first open appointment. Kept relative so a demo directory never goes stale;
    # a live directory would refresh it from its scheduling system.
    soonest_days = Column(SmallInteger, nullable=False)
    accepts_self_pay = Column(Boolean, nullable=False, default=True)
    self_pay_rate_usd = Column(SmallInteger)
    sliding_scale = Column(Boolean, nullable=False, default=False)
    booking_url = Column(String(200), nullable=False)
    is_demo = Column(Boolean, nullable=False, default=True)

    licenses = relationship("ProviderLicense", cascade="all, delete-orphan", passive_deletes=True)
    insurance = relationship("ProviderInsurance", cascade="all, delete-orphan", passive_deletes=True)
    languages = relationship("ProviderLanguage", cascade="all, delete-orphan", passive_deletes=True)
    approaches = relationship("ProviderApproach", cascade="all, delete-orphan", passive_deletes=True)
    concerns = relationship("ProviderConcern", cascade="all, delete-orphan", passive_deletes=True)
    availability = relationship("ProviderAvailability", cascade="all, delete-orphan", passive_deletes=True)


def _provider_fk():
    return Column(Integer, ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True)


class ProviderLicense(Base):
    __tablename__ = "provider_licenses"
    provider_id = _provider_fk()
    state = Column(String(2), primary_key=True)


class ProviderInsurance(Base):
    __tablename__ = "provider_insurance"
    provider_id = _provider_fk()
    carrier = Column(String(40), primary_key=True)


class ProviderLanguage(Base):
    __tablename__ = "provider_languages"
    provider_id = _provider_fk()
    language = Column(String(40), primary_key=True)


class ProviderApproach(Base):
    __tablename__ = "provider_approaches"
    provider_id = _provider_fk()
    approach = Column(String(40), primary_key=True)


class ProviderConcern(Base):
    __tablename__ = "provider_concerns"
    provider_id = _provider_fk()
    concern = Column(String(40), primary_key=True)


class ProviderAvailability(Base):
    __tablename__ = "provider_availability"
    provider_id = _provider_fk()
    slot = Column(String(20), primary_key=True)


class ProviderSearchRow(Base):
    """Derived search index: what ranking needs, one row per licensed state of each provider.

    Bit sets map vocabulary terms to bits in vocabulary order (see providers.search_index.bit); a term outside
    the vocabulary cannot be searched for, so it needs no bit.
    """

    __tablename__ = "provider_search_index"
    state = Column(String(2), primary_key=True)
    provider_id = Column(Integer, ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True)
    soonest_days = Column(SmallInteger, nullable=False)
    gender = Column(String(12), nullable=False)
    offers_video = Column(Boolean, nullable=False)
    offers_in_person = Column(Boolean, nullable=False)
    office_lat = Column(Float)
    office_lon = Column(Float)
    accepts_self_pay = Column(Boolean, nullable=False)
    insurance_bits = Column(BigInteger, nullable=False)
    language_bits = Column(BigInteger, nullable=False)
    approach_bits = Column(BigInteger, nullable=False)
    concern_bits = Column(BigInteger, nullable=False)
    availability_bits = Column(BigInteger, nullable=False)
    # rows of one state are stored together on SQLite, so a search reads a contiguous range
    __table_args__ = {"sqlite_with_rowid": False}


# (table, value column, API name) for every multi-valued attribute, in the order results list them.
ATTRIBUTE_TABLES = (
    (ProviderLicense.__table__, "state", "licensed_states"),
    (ProviderInsurance.__table__, "carrier", "insurance"),
    (ProviderLanguage.__table__, "language", "languages"),
    (ProviderApproach.__table__, "approach", "approaches"),
    (ProviderConcern.__table__, "concern", "concerns"),
    (ProviderAvailability.__table__, "slot", "availability"),
)
