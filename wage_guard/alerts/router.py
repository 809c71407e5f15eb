"""The warning queue for inspectors: list, detail, actions and export (``/alerts``).

Every query is limited to the caller's scope; an alert outside it is 404 (RELIABILITY 22).
Acting on alerts and exporting them are inspectors' functions (RELIABILITY 23).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from wage_guard.alerts import export
from wage_guard.alerts.schemas import Action, AlertDetail, AlertList, AlertSummary
from wage_guard.alerts.service import act, get_alert, list_alerts
from wage_guard.auth.schemas import Permission
from wage_guard.auth.service import Principal
from wage_guard.db.changes import ALERT_STORE, Remembered
from wage_guard.deps import (
    NO_NUL,
    BigIdPath,
    ContextDep,
    PendingCaller,
    QueryModel,
    SessionDep,
    pending_caller,
    requires,
)
from wage_guard.errors import ErrorBody, TooLarge

router = APIRouter(prefix="/alerts", tags=["alerts"])

MAX_PAGE = 500
# The most alerts one export holds; a larger selection is refused with a hint to filter.
MAX_EXPORT = 100_000
_EXPORT_PAGE = 1000
_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
# Pages of the queue as sent, remembered while the alert store is unchanged (up to 32 MB):
# inspectors reload the same few queues again and again.
_QUEUE_PAGES: Remembered[bytes] = Remembered(ALERT_STORE, capacity=32 << 20, weigh=len)

Reader = Annotated[Principal, Depends(requires(Permission.READ_ALERTS))]
# The queue is the API's most asked route: its caller is authenticated in its own thread.
QueueReader = Annotated[PendingCaller, Depends(pending_caller(Permission.READ_ALERTS))]
Triager = Annotated[Principal, Depends(requires(Permission.TRIAGE))]
Exporter = Annotated[Principal, Depends(requires(Permission.EXPORT))]


class StatusFilter(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"
    ALL = "all"
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class LevelFilter(StrEnum):
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"


class AlertSort(StrEnum):
    RISK = "risk"
    LEVEL = "level"
    NEWEST = "newest"
    OLDEST = "oldest"
    LAST_SEEN = "last_seen"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class AlertFilters(BaseModel):
    """What the queue and the export select by; every filter is optional."""

    model_config = ConfigDict(extra="forbid")

    status: list[StatusFilter] = Field(
        default_factory=lambda: [StatusFilter.ACTIVE],
        description="Statuses, or a group: active (not closed, the default), closed, all.",
    )
    level: list[LevelFilter] = Field(default_factory=list)
    rule: str | None = Field(None, max_length=100, pattern=NO_NUL)
    project: str | None = Field(
        None, max_length=64, pattern=NO_NUL, description="A project's code."
    )
    district: str | None = Field(None, max_length=64, pattern=NO_NUL)
    month_from: str | None = Field(None, pattern=_MONTH, description="First wage month, YYYY-MM.")
    month_to: str | None = Field(None, pattern=_MONTH, description="Last wage month, YYYY-MM.")
    q: str | None = Field(
        None,
        max_length=100,
        pattern=NO_NUL,
        description="Text in the message or the project's name or code.",
    )
    sort: AlertSort = AlertSort.RISK


class ExportQuery(AlertFilters):
    format: ExportFormat = ExportFormat.CSV


class AlertPage(AlertFilters):
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=10_000_000)


class ActionRequest(BaseModel):
    """A person's action on an alert, with the version of the alert they saw."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    reason: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*[^\s\x00][^\x00]*$")
    version: int = Field(ge=1, le=2**31, description="The alert's version the caller acted on.")
    until: datetime | None = Field(
        None,
        description="Snooze or acknowledgement until then (a date or a time; without a time "
        "zone, the scan's).",
    )


def _query(filters: AlertFilters, principal: Principal) -> dict[str, Any]:
    return {
        "status": [s.value for s in filters.status],
        "level": [lv.value for lv in filters.level] or None,
        "rule": filters.rule,
        "project": filters.project,
        "district": filters.district,
        "month_from": filters.month_from,
        "month_to": filters.month_to,
        "text": filters.q,
        "sort": filters.sort.value,
        "districts_scope": principal.districts_scope,
        "credit_codes_scope": principal.credit_codes_scope,
    }


# The queue's filters, validated once per distinct query string.
_QUEUE_QUERY = QueryModel(AlertPage)


@router.get("", response_model=AlertList, openapi_extra=_QUEUE_QUERY.openapi)
async def list_(caller: QueueReader, page: Annotated[AlertPage, Depends(_QUEUE_QUERY)]) -> Response:
    """The warning queue: a page of alerts, riskiest first by default, and the total."""

    def key(principal: Principal) -> tuple[Any, ...]:
        query = _query(page, principal)
        return (*((name, _hashable(v)) for name, v in query.items()), page.limit, page.offset)

    body = await caller.remembered(_QUEUE_PAGES, key)
    if body is None:
        body = await run_in_threadpool(_read_queue_page, caller, page, key)
    return Response(body, media_type="application/json")


def _read_queue_page(
    caller: PendingCaller, page: AlertPage, key: Callable[[Principal], tuple[Any, ...]]
) -> bytes:
    with caller.reading() as (session, principal):

        def answer() -> bytes:
            items, total = list_alerts(
                session,
                **_query(page, principal),
                limit=page.limit,
                offset=page.offset,
                with_evidence=False,
            )
            # Built from validated models: serialized once, not validated again.
            body = AlertList(items=items, total=total, limit=page.limit, offset=page.offset)
            return body.model_dump_json().encode()

        return _QUEUE_PAGES.get(session, key(principal), answer)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
            "description": "The alerts, masked, formulas defanged.",
        },
        413: {"model": ErrorBody, "description": "More alerts than one export holds."},
    },
)
def export_(
    context: ContextDep,
    session: SessionDep,
    principal: Exporter,
    filters: Annotated[ExportQuery, Query()],
) -> Response:
    """The alerts the queue's filters select, as CSV or XLSX."""
    query = _query(filters, principal)
    first, total = list_alerts(
        session,
        **query,
        limit=_EXPORT_PAGE,
        offset=0,
        with_evidence=False,
    )
    if total > MAX_EXPORT:
        raise TooLarge(f"{total} alerts match; an export holds at most {MAX_EXPORT}: filter more")
    alerts: list[AlertSummary] = list(first)
    for offset in range(_EXPORT_PAGE, total, _EXPORT_PAGE):
        page, _ = list_alerts(
            session,
            **query,
            limit=_EXPORT_PAGE,
            offset=offset,
            with_evidence=False,
        )
        alerts.extend(page)
    table = export.rows(alerts, ZoneInfo(context.settings.scan.time_zone))
    stamp = datetime.now(ZoneInfo(context.settings.scan.time_zone)).strftime("%Y%m%d-%H%M")
    if filters.format is ExportFormat.XLSX:
        return Response(
            export.to_xlsx(table),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="alerts-{stamp}.xlsx"'},
        )
    return StreamingResponse(
        export.to_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="alerts-{stamp}.csv"'},
    )


@router.get("/{alert_id}", response_model=AlertDetail)
def get(session: SessionDep, principal: Reader, alert_id: BigIdPath) -> AlertDetail:
    """One alert with its evidence and full history."""
    return get_alert(
        session,
        alert_id=alert_id,
        districts_scope=principal.districts_scope,
        credit_codes_scope=principal.credit_codes_scope,
    )


@router.post(
    "/{alert_id}/actions",
    response_model=AlertDetail,
    responses={409: {"model": ErrorBody, "description": "The alert changed since version."}},
)
def post_action(
    context: ContextDep,
    session: SessionDep,
    principal: Triager,
    alert_id: BigIdPath,
    body: ActionRequest,
) -> AlertDetail:
    """Acknowledge, snooze, resolve (销号), dismiss, comment on or reopen an alert."""
    scope = {
        "districts_scope": principal.districts_scope,
        "credit_codes_scope": principal.credit_codes_scope,
    }
    get_alert(session, alert_id=alert_id, **scope)
    until = body.until
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=ZoneInfo(context.settings.scan.time_zone))
    act(
        session,
        alert_id=alert_id,
        action=body.action.value,
        reason=body.reason,
        actor=principal.name,
        until=until,
        expected_version=body.version,
    )
    return get_alert(session, alert_id=alert_id, **scope)
