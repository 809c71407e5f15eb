"""What an import answers: its outcome, counts and every row error (FORMATS.md, "Errors")."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from wage_guard.imports.orm import ImportBatch


class ImportStatus(StrEnum):
    """How an import ended: written, refused, already done, or validated only (dry run)."""

    IMPORTED = "imported"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    VALID = "valid"


class RowError(BaseModel):
    """One problem in a file: its spreadsheet row (the header is row 1), column, code, the
    offending value (ID numbers and bank cards masked) and a message in plain English.

    ``row`` is None for a problem with the whole file.
    """

    model_config = ConfigDict(extra="forbid")

    row: int | None
    column: str | None
    code: str
    value: str | None
    message: str


class ImportReport(BaseModel):
    """The answer to an import, exactly as ``wage-guard import --json`` prints it.

    ``batch_id`` is the batch recorded for this file: the new one when imported or
    rejected, the first import's when the file is a duplicate, None for a dry run.
    """

    model_config = ConfigDict(extra="forbid")

    batch_id: int | None
    status: ImportStatus
    kind: str
    file: str
    rows: int = 0
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    errors: list[RowError] = []
    warnings: list[str] = []

    @classmethod
    def from_batch(cls, batch: ImportBatch) -> ImportReport:
        """The report of a recorded batch, as it was answered when the file came in."""
        return cls(
            batch_id=batch.id,
            status=ImportStatus(batch.status),
            kind=batch.kind,
            file=batch.file_name,
            rows=batch.rows,
            inserted=batch.inserted,
            replaced=batch.replaced,
            unchanged=batch.unchanged,
            errors=[RowError.model_validate(error) for error in batch.errors],
            warnings=list(batch.warnings),
        )


class ImportBatchRead(BaseModel):
    """A recorded batch as a list shows it: what came in, from whom, and what became of it
    (the row errors only counted; the batch's report lists them)."""

    batch_id: int
    status: ImportStatus
    kind: str
    file: str
    rows: int
    inserted: int
    replaced: int
    unchanged: int
    error_count: int
    submitted_by: str | None
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_batch(cls, batch: ImportBatch) -> ImportBatchRead:
        return cls(
            batch_id=batch.id,
            status=ImportStatus(batch.status),
            kind=batch.kind,
            file=batch.file_name,
            rows=batch.rows,
            inserted=batch.inserted,
            replaced=batch.replaced,
            unchanged=batch.unchanged,
            error_count=batch.error_count,
            submitted_by=batch.submitted_by,
            started_at=batch.started_at,
            finished_at=batch.finished_at,
        )


class ImportBatchList(BaseModel):
    """One page of recorded batches, newest first, and how many match in all."""

    items: list[ImportBatchRead]
    total: int
    limit: int
    offset: int
