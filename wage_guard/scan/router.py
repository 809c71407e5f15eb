"""The rule pack and the scan runs (``/rules``, ``/scans``): read by inspectors, a scan started
on demand (RELIABILITY 9 and 23).

Listing the rules is open to contractors too, so that they can read what is checked; runs
are the bureau's: inspectors and admins read and start them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from threading import Thread
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from wage_guard.auth.schemas import Permission
from wage_guard.auth.service import Principal
from wage_guard.deps import ContextDep, IdPath, SessionDep, StandaloneCallerDep, requires
from wage_guard.errors import ErrorBody
from wage_guard.scan.runs import (
    RuleList,
    ScanRunList,
    ScanRunRead,
    get_run,
    list_rules,
    list_runs,
    load_pack,
    select_rules,
    start_scan,
    today,
)
from wage_guard.scan.schemas import ScanSummary


@asynccontextmanager
async def _scan_threads(app: FastAPI) -> AsyncIterator[None]:
    """The scans an app starts, waited for when it stops, so that none is left running."""
    threads: set[Thread] = set()
    app.state.scan_threads = threads
    yield
    for thread in list(threads):
        await run_in_threadpool(thread.join)


router = APIRouter(tags=["scans"], lifespan=_scan_threads)

MAX_PAGE = 100

RuleReader = Annotated[Principal, Depends(requires(Permission.READ_RULES))]
ScanReader = Annotated[Principal, Depends(requires(Permission.READ_SCANS))]


def _scan_starter(principal: StandaloneCallerDep) -> Principal:
    """The caller, if its role may run scans, authenticated apart from the request's session:
    the request holds no transaction while it waits for its scan to start, which on SQLite
    needs the one write lock."""
    principal.require(Permission.RUN_SCANS)
    return principal


ScanStarter = Annotated[Principal, Depends(_scan_starter)]


class ScanRequest(BaseModel):
    """What to scan: as of which date, with which rules."""

    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(
        None,
        ge=date(2000, 1, 1),
        le=date(2099, 12, 31),
        description="Scan as of this date (YYYY-MM-DD); default today in scan.time_zone.",
    )
    rules: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="The ids of the rules to run; default every rule not disabled.",
    )


class RunPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(20, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.get("/rules", response_model=RuleList)
def rule_pack(context: ContextDep, principal: RuleReader) -> RuleList:
    """Every rule of the loaded pack: id, check, titles, mode, level ladder and parameters."""
    return list_rules(load_pack(context.settings.scan))


@router.post(
    "/scans",
    status_code=202,
    response_model=ScanRunRead,
    responses={
        409: {"model": ErrorBody, "description": "A scan is running already."},
        503: {"model": ErrorBody, "description": "The database failed or stayed locked."},
    },
)
def start(
    request: Request, context: ContextDep, principal: ScanStarter, body: ScanRequest
) -> ScanRunRead:
    """Start a scan in the background; the run is answered as soon as it is recorded as
    running. Follow it with ``GET /scans/{run_id}``."""
    scan = context.settings.scan
    rules = select_rules(load_pack(scan), body.rules)
    return start_scan(
        context.engine,
        as_of=body.as_of or today(scan),
        rules=rules,
        requested_by=principal.name,
        stale_after=timedelta(minutes=scan.lease_minutes),
        threads=request.app.state.scan_threads,
    )


@router.get("/scans", response_model=ScanRunList)
def list_(
    session: SessionDep, principal: ScanReader, page: Annotated[RunPage, Query()]
) -> ScanRunList:
    """A page of scan runs, newest first, each with its rules' counts."""
    return list_runs(session, limit=page.limit, offset=page.offset)


@router.get("/scans/{run_id}", response_model=ScanSummary)
def get(session: SessionDep, principal: ScanReader, run_id: IdPath) -> ScanSummary:
    """One scan run with every rule's counts, duration and, for a failed rule, its error."""
    return get_run(session, run_id=run_id)
