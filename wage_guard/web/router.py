"""The pages for inspectors, contractors' clerks and banks, over the API's own services.

Every page re-authenticates the session's token and asks the services with the person's
scope, so a page shows exactly what the API would: outside the scope is the 404 page, a
function the role may not use the 403 page (RELIABILITY 22, 23). The services mask ID
numbers and bank cards already; the pages show nothing else of a person (RELIABILITY 24).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import ValidationError

from wage_guard.alerts.export import defang, to_csv
from wage_guard.alerts.router import ActionRequest, AlertPage, LevelFilter
from wage_guard.alerts.schemas import Action
from wage_guard.alerts.service import act, get_alert, list_alerts
from wage_guard.auth.schemas import Permission
from wage_guard.auth.service import Principal, authenticate
from wage_guard.deps import ContextDep, IdPath
from wage_guard.errors import Conflict, InvalidInput
from wage_guard.imports.kinds import KINDS
from wage_guard.imports.router import ERROR_COLUMNS, KIND_PERMISSIONS
from wage_guard.imports.schemas import ImportReport
from wage_guard.imports.service import get_batch, list_batches
from wage_guard.imports.upload import import_upload
from wage_guard.projects.service import get_project, list_projects
from wage_guard.scan.runs import ScanRunRead, list_runs, load_pack, start_scan, today
from wage_guard.web import repository
from wage_guard.web.i18n import LANGUAGES
from wage_guard.web.render import LANG_COOKIE, PageRoute, render
from wage_guard.web.session import (
    TOKEN_KEY,
    CsrfChecked,
    PageCaller,
    PageSessionDep,
    StandalonePageCaller,
    csrf_token,
    page_role,
    safe_next,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LEVELS = [level.value for level in LevelFilter]
STATUSES = ["active", "open", "acknowledged", "snoozed", "closed", "resolved", "dismissed", "all"]
SORTS = ["risk", "level", "newest", "oldest", "last_seen"]
# What a person may do to an alert in each state (RULES.md lifecycle rule 4).
ACTIONS_OPEN = [Action.ACKNOWLEDGE, Action.SNOOZE, Action.RESOLVE, Action.DISMISS, Action.COMMENT]
ACTIONS_CLOSED = [Action.COMMENT, Action.REOPEN]
PAGE_SIZES = (20, 50, 100, 200)
OffsetQuery = Annotated[int, Query(ge=0, le=10_000_000)]

AlertReader = Annotated[Principal, page_role(Permission.READ_ALERTS)]
Triager = Annotated[Principal, page_role(Permission.TRIAGE)]
ProjectReader = Annotated[Principal, page_role(Permission.READ_PROJECTS)]
ImportReader = Annotated[Principal, page_role(Permission.READ_IMPORTS)]
ScanReader = Annotated[Principal, page_role(Permission.READ_SCANS)]


def _scope(principal: Principal) -> dict[str, Any]:
    return {
        "districts_scope": principal.districts_scope,
        "credit_codes_scope": principal.credit_codes_scope,
    }


def _paging(total: int, limit: int, offset: int) -> dict[str, Any]:
    """Where this page starts and ends, and the offsets of its neighbours."""
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "first": offset + 1 if total else 0,
        "last": min(offset + limit, total),
        "previous": max(offset - limit, 0) if offset > 0 else None,
        "next": offset + limit if offset + limit < total else None,
    }


# -- signing in and out ------------------------------------------------------------------------


@router.get("/")
def home(principal: PageCaller) -> Response:
    """The queue for those who read warnings, the imports for everyone else."""
    target = "/queue" if principal.can(Permission.READ_ALERTS) else "/imports"
    return RedirectResponse(target, status_code=303)


@router.get("/sign-in")
def sign_in_form(request: Request, next: str | None = None) -> Response:
    return render(request, "sign_in.html", {"next": safe_next(next)})


@router.post("/sign-in", dependencies=[CsrfChecked])
def sign_in(
    request: Request,
    session: PageSessionDep,
    token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Sign in with an API token; a new session (and CSRF token) begins."""
    principal = authenticate(session, token=token.strip())
    if principal is None:
        context = {"next": safe_next(next), "problem": True}
        return render(request, "sign_in.html", context, status_code=401)
    request.session.clear()
    request.session[TOKEN_KEY] = token.strip()
    csrf_token(request)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/sign-out", dependencies=[CsrfChecked])
def sign_out(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/sign-in", status_code=303)


@router.get("/language/{lang}")
def switch_language(request: Request, lang: str, next: str | None = None) -> Response:
    """Chinese or English from now on (a cookie of a year)."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


# -- the warning queue ---------------------------------------------------------------------------


def _queue_filters(request: Request) -> AlertPage:
    """The queue's filters from the query; an empty field is no filter."""
    query = request.query_params
    values: dict[str, Any] = {}
    for name in ("status", "level"):
        chosen = [value for value in query.getlist(name) if value]
        if chosen:
            values[name] = chosen
    for name in ("rule", "project", "district", "month_from", "month_to", "q", "sort"):
        value = query.get(name, "").strip()
        if value:
            values[name] = value
    for name in ("limit", "offset"):
        if query.get(name):
            values[name] = query[name]
    try:
        return AlertPage.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise InvalidInput(f"{where}: {error['msg']}") from None


@router.get("/queue")
def queue(request: Request, session: PageSessionDep, principal: AlertReader) -> Response:
    """预警工作台: counts by level, a chart by district and level, the riskiest projects and
    one page of warnings with the API's filters."""
    filters = _queue_filters(request)
    scope = _scope(principal)
    items, total = list_alerts(
        session,
        status=[s.value for s in filters.status],
        level=[lv.value for lv in filters.level] or None,
        rule=filters.rule,
        project=filters.project,
        district=filters.district,
        month_from=filters.month_from,
        month_to=filters.month_to,
        text=filters.q,
        sort=filters.sort.value,
        limit=filters.limit,
        offset=filters.offset,
        with_evidence=False,
        **scope,
    )
    counts = repository.active_counts(session, **scope)
    by_level = {level: 0 for level in LEVELS}
    districts: dict[str, dict[str, int]] = {}
    for district, level, count in counts:
        by_level[level] = by_level.get(level, 0) + count
        districts.setdefault(district, dict.fromkeys(LEVELS, 0))[level] = count
    projects: list[Any] = []
    if principal.can(Permission.READ_PROJECTS):
        projects, _ = list_projects(session, sort="risk", limit=10, **scope)
    chart = {
        "districts": list(districts),
        "series": [
            {"level": level, "values": [districts[d][level] for d in districts]} for level in LEVELS
        ],
    }
    return render(
        request,
        "queue.html",
        {
            "filters": filters,
            "items": items,
            "paging": _paging(total, filters.limit, filters.offset),
            "by_level": by_level,
            "districts": districts,
            "chart": chart,
            "projects": [p for p in projects if p.risk_grade != "green"],
            "levels": LEVELS,
            "statuses": STATUSES,
            "sorts": SORTS,
            "page_sizes": PAGE_SIZES,
        },
    )


# -- one warning ---------------------------------------------------------------------------------


def _evidence_parts(evidence: dict[str, Any]) -> tuple[list[tuple[str, Any]], list[Any]]:
    """The evidence as a list of facts and a list of tables (one per list of records)."""
    facts: list[tuple[str, Any]] = []
    tables: list[dict[str, Any]] = []
    for key, value in evidence.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(column for row in value for column in row))
            rows = [[row.get(column) for column in columns] for row in value]
            tables.append({"name": key, "columns": columns, "rows": rows})
        else:
            facts.append((key, value))
    return facts, tables


def _alert_page(
    request: Request,
    session: PageSessionDep,
    principal: Principal,
    alert_id: int,
    *,
    status_code: int = 200,
    problem: str | None = None,
    reason: str = "",
) -> Response:
    alert = get_alert(session, alert_id=alert_id, **_scope(principal))
    facts, tables = _evidence_parts(alert.evidence)
    actions = ACTIONS_CLOSED if alert.status in ("resolved", "dismissed") else ACTIONS_OPEN
    return render(
        request,
        "alert.html",
        {
            "alert": alert,
            "facts": facts,
            "tables": tables,
            "actions": [a.value for a in actions],
            "may_act": principal.can(Permission.TRIAGE),
            "problem": problem,
            "reason": reason,
            "done": request.query_params.get("done"),
        },
        status_code=status_code,
    )


@router.get("/alerts/{alert_id}")
def alert_page(
    request: Request, session: PageSessionDep, principal: AlertReader, alert_id: IdPath
) -> Response:
    """A warning: message, evidence as tables (workers masked), history and actions."""
    return _alert_page(request, session, principal, alert_id)


@router.post("/alerts/{alert_id}/actions", dependencies=[CsrfChecked])
def alert_action(
    request: Request,
    context: ContextDep,
    session: PageSessionDep,
    principal: Triager,
    alert_id: IdPath,
    action: Annotated[str, Form(max_length=20)],
    version: Annotated[int, Form(ge=1, le=2**31)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    until: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """An action on a warning, with the version the person saw: a stale version shows the
    conflict and changes nothing."""
    get_alert(session, alert_id=alert_id, **_scope(principal))
    try:
        body = ActionRequest.model_validate(
            {"action": action, "reason": reason, "version": version, "until": until or None}
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        request.state.page_failed = True
        problem = f"{where}: {error['msg']}"
        return _alert_page(
            request, session, principal, alert_id, status_code=422, problem=problem, reason=reason
        )
    moment: datetime | None = body.until
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(context.settings.scan.time_zone))
    try:
        act(
            session,
            alert_id=alert_id,
            action=body.action.value,
            reason=body.reason,
            actor=principal.name,
            until=moment,
            expected_version=body.version,
        )
    except Conflict as exc:
        request.state.page_failed = True
        return render(
            request,
            "conflict.html",
            {"alert_id": alert_id, "message": exc.message, "reason": reason},
            status_code=409,
        )
    except InvalidInput as exc:
        request.state.page_failed = True
        return _alert_page(
            request,
            session,
            principal,
            alert_id,
            status_code=422,
            problem=exc.message,
            reason=reason,
        )
    return RedirectResponse(f"/alerts/{alert_id}?done={body.action.value}", status_code=303)


# -- projects ------------------------------------------------------------------------------------


@router.get("/projects")
def projects_page(
    request: Request,
    session: PageSessionDep,
    principal: ProjectReader,
    offset: OffsetQuery = 0,
) -> Response:
    """The projects in the person's scope, riskiest first, a page at a time."""
    limit = 50
    items, total = list_projects(
        session, sort="risk", limit=limit, offset=offset, **_scope(principal)
    )
    context = {"items": items, "paging": _paging(total, limit, offset)}
    return render(request, "projects.html", context)


@router.get("/projects/{code}")
def project_page(
    request: Request,
    session: PageSessionDep,
    principal: ProjectReader,
    code: Annotated[str, Path(max_length=64)],
) -> Response:
    """A project: parties, wage account, guarantee, rights board, its months as charts, its
    open and closed warnings and its imports."""
    scope = _scope(principal)
    project = get_project(session, code=code, **scope)
    closed, closed_total = list_alerts(
        session,
        project=code,
        status="closed",
        sort="newest",
        limit=20,
        with_evidence=False,
        **scope,
    )
    batches = repository.project_batches(
        session, project_id=project.id, submitted_by=principal.imports_submitter, limit=20
    )
    months = project.months
    chart = {
        "months": [m.month for m in months],
        "payable": [str(m.wages_payable) for m in months],
        "paid": [str(m.wages_paid) for m in months],
        "attended": [m.workers_attended for m in months],
        "paid_workers": [m.workers_paid for m in months],
        "deposits": [str(m.labor_cost_in) for m in months],
        "balance": [None if m.balance is None else str(m.balance) for m in months],
    }
    context = {
        "project": project,
        "chart": chart,
        "closed": closed,
        "closed_total": closed_total,
        "batches": batches,
    }
    return render(request, "project.html", context)


# -- imports -------------------------------------------------------------------------------------


def _upload_kinds(principal: Principal) -> list[str]:
    return [kind for kind in KINDS if principal.can(KIND_PERMISSIONS[kind])]


@router.get("/imports")
def imports_page(
    request: Request, session: PageSessionDep, principal: ImportReader, offset: OffsetQuery = 0
) -> Response:
    """The upload form for the kinds the person may send, and the imports they may read."""
    limit = 50
    batches, total = list_batches(
        session, submitted_by=principal.imports_submitter, limit=limit, offset=offset
    )
    context = {
        "batches": batches,
        "paging": _paging(total, limit, offset),
        "kinds": _upload_kinds(principal),
    }
    return render(request, "imports.html", context)


@router.post("/imports", dependencies=[CsrfChecked])
def upload(
    request: Request,
    context: ContextDep,
    principal: StandalonePageCaller,
    kind: Annotated[str, Form(max_length=20)],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Import one file as the person (a contractor only for its own projects, a bank only
    for its own accounts) and show what became of it."""
    principal.require(Permission.READ_IMPORTS)
    if kind not in KIND_PERMISSIONS:
        raise InvalidInput(f"unknown kind {kind!r}; one of {', '.join(KIND_PERMISSIONS)}")
    principal.require(KIND_PERMISSIONS[kind])
    report = import_upload(context, kind=kind, upload=file, principal=principal)
    if report.batch_id is None:
        return render(request, "import_result.html", {"report": report, "duplicate": False})
    suffix = "?duplicate=1" if report.status == "duplicate" else ""
    return RedirectResponse(f"/imports/{report.batch_id}{suffix}", status_code=303)


def _batch(session: PageSessionDep, principal: Principal, batch_id: int) -> ImportReport:
    batch = get_batch(session, batch_id=batch_id, submitted_by=principal.imports_submitter)
    return ImportReport.from_batch(batch)


@router.get("/imports/{batch_id}")
def import_result(
    request: Request, session: PageSessionDep, principal: ImportReader, batch_id: IdPath
) -> Response:
    """What became of a file: counts, or the row errors pointing at row and column."""
    report = _batch(session, principal, batch_id)
    duplicate = request.query_params.get("duplicate") == "1"
    return render(request, "import_result.html", {"report": report, "duplicate": duplicate})


def _error_rows(report: ImportReport) -> Iterator[list[str]]:
    yield list(ERROR_COLUMNS)
    for error in report.errors:
        cells = (error.row, error.column, error.code, error.value, error.message)
        yield ["" if cell is None else defang(str(cell)) for cell in cells]


@router.get("/imports/{batch_id}/errors.csv")
def import_errors_csv(
    session: PageSessionDep, principal: ImportReader, batch_id: IdPath
) -> Response:
    """A refused file's row errors as CSV (values masked, formulas defanged)."""
    report = _batch(session, principal, batch_id)
    name = f"import-{batch_id}-errors.csv"
    return StreamingResponse(
        to_csv(_error_rows(report)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- scans ---------------------------------------------------------------------------------------


def _run_row(run: ScanRunRead) -> dict[str, Any]:
    """A scan run with its counts summed over its rules."""
    counts = run.rule_counts.values()
    totals = {
        name: sum(getattr(c, name) for c in counts)
        for name in ("found", "new", "updated", "resolved")
    }
    return {"run": run, "rules": len(run.rule_counts), **totals}


def _scans_page(
    request: Request,
    session: PageSessionDep,
    principal: Principal,
    offset: int,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    limit = 50
    runs = list_runs(session, limit=limit, offset=offset)
    context = {
        "runs": [_run_row(run) for run in runs.items],
        "paging": _paging(runs.total, limit, offset),
        "may_run": principal.can(Permission.RUN_SCANS),
        "started": request.query_params.get("started"),
        "problem": problem,
    }
    return render(request, "scans.html", context, status_code=status_code)


@router.get("/scans")
def scans_page(
    request: Request, session: PageSessionDep, principal: ScanReader, offset: OffsetQuery = 0
) -> Response:
    """The scans run so far, newest first, with durations and counts."""
    return _scans_page(request, session, principal, offset)


@router.post("/scans", dependencies=[CsrfChecked])
def run_scan_now(
    request: Request, context: ContextDep, principal: StandalonePageCaller
) -> Response:
    """Start a scan as of today in the background; while one runs, say so (409)."""
    principal.require(Permission.RUN_SCANS)
    scan = context.settings.scan
    try:
        start_scan(
            context.engine,
            as_of=today(scan),
            rules=load_pack(scan),
            requested_by=principal.name,
            stale_after=timedelta(minutes=scan.lease_minutes),
        )
    except Conflict as exc:
        request.state.page_failed = True
        with context.transaction() as session:
            return _scans_page(request, session, principal, 0, problem=exc.message, status_code=409)
    return RedirectResponse("/scans?started=1", status_code=303)
