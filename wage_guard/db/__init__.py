"""The database: the declarative base, portable types, engines and sessions."""

from wage_guard.db.base import Base, BigId, Money, UTCDateTime, utcnow
from wage_guard.db.engine import make_engine, make_session_factory, normalize_url

__all__ = [
    "Base",
    "BigId",
    "Money",
    "UTCDateTime",
    "make_engine",
    "make_session_factory",
    "normalize_url",
    "utcnow",
]
