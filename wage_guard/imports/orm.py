"""Import batches: one per file received, with its error report and what it replaced."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wage_guard.db import Base, BigId, UTCDateTime, utcnow


class ImportBatch(Base):
    """A file received: its kind, digest, outcome, counts and every error found in it.

    ``status`` is ``imported`` or ``rejected``; a rejected batch wrote no data, only this
    report. The same file (same kind and SHA-256) is imported at most once.
    """

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    file_name: Mapped[str] = mapped_column(sa.String(255))
    file_sha256: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(12))
    rows: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    replaced: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    submitted_by: Mapped[str | None] = mapped_column(sa.String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_import_batches_kind_sha", "kind", "file_sha256"),
        sa.CheckConstraint("status IN ('imported', 'rejected')", name="status"),
    )


class ImportReplacement(Base):
    """A stored row that a later file replaced (a corrected payroll): its key and old values."""

    __tablename__ = "import_replacements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batches.id"), index=True)
    row_number: Mapped[int]
    natural_key: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    previous: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
