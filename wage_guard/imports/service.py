"""The import of one file: read, validate, write, in one transaction of its own.

An import is a boundary, so it owns its transactions (FORMATS.md "Errors" and
"Idempotency"; RELIABILITY.md items 14-17):

- the batch row is written first, so data rows can carry its id, and the whole file goes
  in one transaction: a process killed half-way leaves nothing;
- chunks are validated and written while no error has been seen; after the first error
  the rest is still validated, to list every error, but nothing more is written;
- a file with any error is rolled back whole, then recorded as a ``rejected`` batch with
  its errors in a short transaction of its own;
- a file already imported (same kind and SHA-256) writes nothing and answers with the
  first import's id;
- a dry run validates everything, references included, and writes nothing.

Imports run one at a time: SQLite allows one writer, and on PostgreSQL an advisory lock
does the same, so that two files cannot race for the same rows or workers. Recorded
batches are read back with ``get_batch`` and ``list_batches``.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from wage_guard.config import ImportSettings
from wage_guard.db import utcnow
from wage_guard.db.bulk import bulk_load
from wage_guard.errors import NotFound
from wage_guard.imports.kinds import KINDS, Kind
from wage_guard.imports.orm import ImportBatch
from wage_guard.imports.reader import FileRefused, Table, open_table
from wage_guard.imports.schemas import ImportReport, ImportStatus, RowError
from wage_guard.imports.validate import NaturalKeys, RowErrors, validate_chunk
from wage_guard.imports.writers import WRITERS, Counts

IMPORT_LOCK = zlib.crc32(b"wage_guard.imports")  # the PostgreSQL advisory lock of imports
HEADER_REFUSALS = {"missing_column", "duplicate_column"}


def import_file(
    engine: sa.Engine,
    *,
    kind: str,
    path: Path,
    limits: ImportSettings,
    file_name: str | None = None,
    dry_run: bool = False,
    submitted_by: str | None = None,
    contractor_credit_codes: set[str] | None = None,
    bank_names: set[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import ``path`` as a file of ``kind`` and answer with what became of it.

    ``file_name`` is the name to record (an upload's own name), ``submitted_by`` who sent
    it, ``contractor_credit_codes`` the contractors the submitter may write for (None: any),
    ``bank_names`` the banks whose wage accounts it may send statements for (None: any),
    and ``progress`` is called with the number of rows read after each chunk.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    name = (file_name or path.name)[:255]
    errors = RowErrors(spec)
    try:
        table = open_table(path, spec, limits)
    except FileRefused as refused:
        _refusal(errors, refused)
        reported = errors.report()
        batch_id = None
        if not dry_run:
            digest = _digest(path, limits)
            batch_id = _record_rejection(engine, spec, name, digest, 0, reported, [], submitted_by)
        return _report(batch_id, ImportStatus.REJECTED, spec, name, 0, Counts(), reported, [])
    warnings = _warnings(table)
    counts = Counts()
    rows = 0
    with engine.connect() as connection, bulk_load(connection):
        transaction = connection.begin()
        try:
            batch_id = None
            if not dry_run:
                # The lock, then the batch row (SQLite's write lock), then the look for an
                # earlier import of the file: no other import can slip in between.
                if connection.dialect.name == "postgresql":
                    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(IMPORT_LOCK)))
                batch_id = _start_batch(connection, spec, name, table.sha256, submitted_by)
            first = _imported_before(connection, spec, table.sha256, batch_id)
            if first is not None:
                transaction.rollback()
                return _report(first, ImportStatus.DUPLICATE, spec, name, 0, counts, [], warnings)
            writer = WRITERS[spec.name](connection, scope=contractor_credit_codes, banks=bank_names)
            keys = NaturalKeys(spec)
            try:
                for chunk in table.chunks(limits.chunk_rows):
                    clean = validate_chunk(spec, chunk.frame, errors, chunk.numeric_cells)
                    resolved = writer.resolve(clean, errors)
                    keys.check(writer.keys(resolved), errors)
                    rows += len(clean)
                    if not errors:
                        counts += writer.store(resolved, batch_id=batch_id)
                    if progress is not None:
                        progress(rows)
            except FileRefused as refused:
                _refusal(errors, refused)
            if errors or batch_id is None:
                transaction.rollback()
            else:
                _finish_batch(connection, batch_id, rows, counts, warnings)
                transaction.commit()
        finally:
            if transaction.is_active:
                transaction.rollback()
    if errors:
        reported = errors.report()
        batch_id = None
        if not dry_run:
            batch_id = _record_rejection(
                engine, spec, name, table.sha256, rows, reported, warnings, submitted_by
            )
        return _report(
            batch_id, ImportStatus.REJECTED, spec, name, rows, Counts(), reported, warnings
        )
    status = ImportStatus.VALID if dry_run else ImportStatus.IMPORTED
    return _report(batch_id, status, spec, name, rows, counts, [], warnings)


def _report(
    batch_id: int | None,
    status: ImportStatus,
    spec: Kind,
    name: str,
    rows: int,
    counts: Counts,
    errors: list[RowError],
    warnings: list[str],
) -> ImportReport:
    return ImportReport(
        batch_id=batch_id,
        status=status,
        kind=spec.name,
        file=name,
        rows=rows,
        inserted=counts.inserted,
        replaced=counts.replaced,
        unchanged=counts.unchanged,
        errors=errors,
        warnings=warnings,
    )


def _refusal(errors: RowErrors, refused: FileRefused) -> None:
    """A refused file as one error: on row 1 when the header is at fault."""
    row = 1 if refused.code in HEADER_REFUSALS else None
    errors.add_file_error(row, refused.column, refused.code, refused.message)


def _warnings(table: Table) -> list[str]:
    if not table.ignored_headers:
        return []
    return [f"columns not imported: {', '.join(table.ignored_headers)}"]


def _digest(path: Path, limits: ImportSettings) -> str:
    """The SHA-256 of a refused file, when it is readable and within the size limit."""
    try:
        if path.stat().st_size > limits.max_file_mb * 1024 * 1024:
            return ""
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return ""


def _start_batch(
    connection: sa.Connection, spec: Kind, name: str, digest: str, submitted_by: str | None
) -> int:
    """The batch row, written first so that the data rows can refer to it."""
    insert = (
        sa.insert(ImportBatch)
        .values(
            kind=spec.name,
            file_name=name,
            file_sha256=digest,
            status=ImportStatus.IMPORTED.value,
            submitted_by=submitted_by,
            started_at=utcnow(),
        )
        .returning(ImportBatch.id)
    )
    return int(connection.execute(insert).scalar_one())


def _imported_before(
    connection: sa.Connection, spec: Kind, digest: str, batch_id: int | None
) -> int | None:
    """The first batch that imported the same file (same kind and SHA-256), if any."""
    query = sa.select(sa.func.min(ImportBatch.id)).where(
        ImportBatch.kind == spec.name,
        ImportBatch.file_sha256 == digest,
        ImportBatch.status == ImportStatus.IMPORTED.value,
    )
    if batch_id is not None:
        query = query.where(ImportBatch.id != batch_id)
    return connection.execute(query).scalar_one_or_none()


def _finish_batch(
    connection: sa.Connection, batch_id: int, rows: int, counts: Counts, warnings: list[str]
) -> None:
    connection.execute(
        sa.update(ImportBatch)
        .where(ImportBatch.id == batch_id)
        .values(
            rows=rows,
            inserted=counts.inserted,
            replaced=counts.replaced,
            unchanged=counts.unchanged,
            warnings=warnings,
            finished_at=utcnow(),
        )
    )


def _record_rejection(
    engine: sa.Engine,
    spec: Kind,
    name: str,
    digest: str,
    rows: int,
    reported: list[RowError],
    warnings: list[str],
    submitted_by: str | None,
) -> int:
    """A rejected batch with every error, so that the report can be read again later."""
    now = utcnow()
    with engine.begin() as connection:
        insert = (
            sa.insert(ImportBatch)
            .values(
                kind=spec.name,
                file_name=name,
                file_sha256=digest,
                status=ImportStatus.REJECTED.value,
                rows=rows,
                error_count=len(reported),
                errors=[error.model_dump() for error in reported],
                warnings=warnings,
                submitted_by=submitted_by,
                started_at=now,
                finished_at=now,
            )
            .returning(ImportBatch.id)
        )
        return int(connection.execute(insert).scalar_one())


def get_batch(session: Session, *, batch_id: int, submitted_by: str | None = None) -> ImportBatch:
    """One recorded batch; ``NotFound`` when there is none or, with ``submitted_by``, when
    someone else sent it (another's import answers as if it did not exist)."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None or (submitted_by is not None and batch.submitted_by != submitted_by):
        raise NotFound(f"no import {batch_id}")
    return batch


def list_batches(
    session: Session,
    *,
    kind: str | None = None,
    status: str | None = None,
    submitted_by: str | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[list[ImportBatch], int]:
    """A page of recorded batches, newest first, and how many match in all; without their
    error lists, which only one batch's report needs."""
    statement = sa.select(ImportBatch)
    if kind is not None:
        statement = statement.where(ImportBatch.kind == kind)
    if status is not None:
        statement = statement.where(ImportBatch.status == status)
    if submitted_by is not None:
        statement = statement.where(ImportBatch.submitted_by == submitted_by)
    total = session.execute(
        sa.select(sa.func.count()).select_from(statement.subquery())
    ).scalar_one()
    page = session.scalars(
        statement.options(defer(ImportBatch.errors))
        .order_by(ImportBatch.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(page), int(total)
