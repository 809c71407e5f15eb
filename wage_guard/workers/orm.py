"""Workers: one row per resident ID number, the key the roster and payroll refer to."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wage_guard.db import Base, UTCDateTime, utcnow


class Worker(Base):
    """A worker, identified by the 18-character resident ID (GB 11643-1999)."""

    __tablename__ = "workers"

    id_number: Mapped[str] = mapped_column(sa.String(18), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
