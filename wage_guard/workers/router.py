"""The reveal of one worker's full ID number and bank cards (RELIABILITY 24): an inspector
granted reveal, or an admin, naming a reason that the access log keeps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from wage_guard.auth.schemas import Permission
from wage_guard.auth.service import Principal
from wage_guard.deps import SessionDep, requires
from wage_guard.errors import ErrorBody
from wage_guard.projects.router import CodePath
from wage_guard.workers.schemas import RevealRequest, WorkerIdentity
from wage_guard.workers.service import reveal_worker

router = APIRouter(tags=["workers"])

Revealer = Annotated[Principal, Depends(requires(Permission.REVEAL))]


@router.post(
    "/projects/{code}/workers/reveal",
    response_model=WorkerIdentity,
    responses={409: {"model": ErrorBody, "description": "More than one worker fits."}},
)
def reveal(
    session: SessionDep, principal: Revealer, code: CodePath, body: RevealRequest
) -> WorkerIdentity:
    """A worker of the project in full, found by masked ID number and name; logged."""
    return reveal_worker(
        session,
        project_code=code,
        id_number_masked=body.id_number_masked,
        name=body.name,
        reason=body.reason,
        principal=principal,
    )
