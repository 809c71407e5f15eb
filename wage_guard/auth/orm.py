"""Users, their tokens and the log of every reveal of personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wage_guard.db import Base, BigId, UTCDateTime, utcnow


class User(Base):
    """A person or system calling wage_guard: admin, inspector, contractor or bank.

    ``districts`` scopes an inspector (empty: all), ``credit_codes`` a contractor, ``banks``
    a bank; ``can_reveal`` allows the one endpoint that shows a full ID number.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    districts: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    credit_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    banks: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    can_reveal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'inspector', 'contractor', 'bank')", name="role"),
    )


class ApiToken(Base):
    """An API token, kept only as its SHA-256 digest; shown once at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccessLog(Base):
    """Who saw which personal data, when and why (every reveal of an ID or card)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(50))
    object_type: Mapped[str] = mapped_column(sa.String(50))
    object_id: Mapped[str] = mapped_column(sa.String(100))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
