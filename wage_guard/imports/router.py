"""File imports over HTTP (``/imports``): send a file of one kind, read the batches back.

An upload answers the import's own report, the same as ``wage-guard import --json``: 201
imported, 200 valid (a dry run) or already imported, 422 rejected with every row error
(FORMATS.md, "Errors"). The register (projects, minimum wages) needs IMPORT_REGISTER, roster
and payroll IMPORT_PAYROLL, statements IMPORT_STATEMENTS (RELIABILITY 23); a contractor
writes only for its own projects and a bank only for the wage accounts it holds, anything
else being an ``out_of_scope`` row error. A batch is read by whoever sent it, or by any
admin or inspector; another's batch is 404 (RELIABILITY 22).
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from wage_guard.alerts.export import defang, to_csv
from wage_guard.auth.schemas import Permission
from wage_guard.auth.service import Principal
from wage_guard.deps import ContextDep, IdPath, SessionDep, StandaloneCallerDep, requires
from wage_guard.errors import ErrorBody, NotFound
from wage_guard.imports.kinds import KINDS, Kind
from wage_guard.imports.schemas import (
    ImportBatchList,
    ImportBatchRead,
    ImportReport,
    ImportStatus,
    RowError,
)
from wage_guard.imports.service import get_batch, list_batches
from wage_guard.imports.upload import import_upload

router = APIRouter(prefix="/imports", tags=["imports"])

MAX_PAGE = 500
# Which permission sending each kind of file needs.
KIND_PERMISSIONS: dict[str, Permission] = {
    "projects": Permission.IMPORT_REGISTER,
    "minimum-wages": Permission.IMPORT_REGISTER,
    "roster": Permission.IMPORT_PAYROLL,
    "payroll": Permission.IMPORT_PAYROLL,
    "escrow": Permission.IMPORT_STATEMENTS,
}
# The answer's status for each outcome of an import.
STATUS_CODES = {
    ImportStatus.IMPORTED: 201,
    ImportStatus.VALID: 200,
    ImportStatus.DUPLICATE: 200,
    ImportStatus.REJECTED: 422,
}
ERROR_COLUMNS = ("row", "column", "code", "value", "message")

Reader = Annotated[Principal, Depends(requires(Permission.READ_IMPORTS))]


class KindFilter(StrEnum):
    PROJECTS = "projects"
    ROSTER = "roster"
    PAYROLL = "payroll"
    ESCROW = "escrow"
    MINIMUM_WAGES = "minimum-wages"


class BatchStatus(StrEnum):
    IMPORTED = "imported"
    REJECTED = "rejected"


class BatchPage(BaseModel):
    """What the list of batches selects by, and the page."""

    model_config = ConfigDict(extra="forbid")

    kind: KindFilter | None = None
    status: BatchStatus | None = None
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=10_000_000)


def import_kind(
    kind: Annotated[
        str,
        Path(
            description='The kind of file (FORMATS.md, "The five kinds"); any other is 404.',
            json_schema_extra={"enum": list(KINDS)},
        ),
    ],
) -> Kind:
    """The kind a path names, or 404: an unknown kind is a resource that does not exist."""
    spec = KINDS.get(kind)
    if spec is None:
        raise NotFound(f"no such kind of import; one of {', '.join(KINDS)}")
    return spec


@router.post(
    "/{kind}",
    response_model=ImportReport,
    status_code=201,
    response_description="Imported: the report with the new batch's counts.",
    responses={
        200: {
            "model": ImportReport,
            "description": "Valid (a dry run: nothing written), or a file already imported "
            "(its first batch; nothing written).",
        },
        404: {"model": ErrorBody, "description": "No such kind of import file."},
        413: {"model": ErrorBody, "description": "The upload is over `imports.max_file_mb`."},
        422: {
            "model": ImportReport | ErrorBody,
            "description": "Rejected: the report with every row error, nothing imported; "
            "or no file or an invalid parameter (the error shape).",
        },
    },
)
def upload(
    context: ContextDep,
    principal: StandaloneCallerDep,
    spec: Annotated[Kind, Depends(import_kind)],
    file: Annotated[UploadFile, File(description="The .csv or .xlsx file.")],
    response: Response,
    dry_run: Annotated[bool, Query(description="Validate everything, write nothing.")] = False,
) -> ImportReport:
    """Import one file of ``kind``: all of it, or nothing and every error (FORMATS.md)."""
    principal.require(KIND_PERMISSIONS[spec.name])
    report = import_upload(
        context, kind=spec.name, upload=file, principal=principal, dry_run=dry_run
    )
    response.status_code = STATUS_CODES[report.status]
    return report


@router.get("", response_model=ImportBatchList)
def list_(
    session: SessionDep, principal: Reader, page: Annotated[BatchPage, Query()]
) -> ImportBatchList:
    """Recorded batches, newest first: every one for admins and inspectors, else the
    caller's own."""
    batches, total = list_batches(
        session,
        kind=page.kind.value if page.kind is not None else None,
        status=page.status.value if page.status is not None else None,
        submitted_by=principal.imports_submitter,
        limit=page.limit,
        offset=page.offset,
    )
    return ImportBatchList(
        items=[ImportBatchRead.from_batch(batch) for batch in batches],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{batch_id}", response_model=ImportReport)
def get(session: SessionDep, principal: Reader, batch_id: IdPath) -> ImportReport:
    """One batch's report, as it was answered when the file came in."""
    batch = get_batch(session, batch_id=batch_id, submitted_by=principal.imports_submitter)
    return ImportReport.from_batch(batch)


def _error_rows(errors: list[RowError]) -> Iterator[list[str]]:
    yield list(ERROR_COLUMNS)
    for error in errors:
        cells = (error.row, error.column, error.code, error.value, error.message)
        yield ["" if cell is None else defang(str(cell)) for cell in cells]


@router.get(
    "/{batch_id}/errors.csv",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The batch's row errors (row, column, code, value, message), "
            "masked, formulas defanged.",
        }
    },
)
def errors_csv(session: SessionDep, principal: Reader, batch_id: IdPath) -> Response:
    """A batch's row errors as CSV for a spreadsheet (UTF-8 with a byte-order mark)."""
    batch = get_batch(session, batch_id=batch_id, submitted_by=principal.imports_submitter)
    report = ImportReport.from_batch(batch)
    return StreamingResponse(
        to_csv(_error_rows(report.errors)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{batch_id}-errors.csv"'},
    )
