"""The queries of the alert store: alerts, their history, and the risk grades they give projects.

Every statement is set-based: a reconciliation reads a rule's alerts in one query and writes
them with bulk statements; lists of ids are sent in chunks to stay under the databases'
parameter limits. Writes by the system are guarded by ``open_key IS NOT NULL`` so that an
alert a person closed in the meantime is never touched by a scan.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement, Select

from wage_guard.alerts.orm import Alert, AlertEvent, AlertStatus
from wage_guard.db import UTCDateTime
from wage_guard.db.changes import ALERT_STORE, Remembered
from wage_guard.projects.orm import Enterprise, Project, scope_conditions

T = TypeVar("T")
_CHUNK = 1000

LEVEL_RANK = sa.case({"red": 3, "orange": 2, "yellow": 1}, value=Alert.level, else_=0)
GRADE_RANK = sa.case({"red": 3, "orange": 2, "yellow": 1}, value=Project.risk_grade, else_=0)

ALERT_SORTS: dict[str, tuple[Any, ...]] = {
    # ``queue_order`` packs level, arrears and workers: the order of one index, ix_alerts_queue.
    "risk": (Alert.queue_order, Alert.first_seen, Alert.id),
    "level": (LEVEL_RANK.desc(), Alert.last_seen.desc(), Alert.id.desc()),
    "newest": (Alert.first_seen.desc(), Alert.id.desc()),
    "oldest": (Alert.first_seen, Alert.id),
    "last_seen": (Alert.last_seen.desc(), Alert.id.desc()),
}
PROJECT_SORTS: dict[str, tuple[Any, ...]] = {
    "risk": (GRADE_RANK.desc(), Project.risk_score.desc(), Project.code),
    "code": (Project.code,),
}

_NO_SYNC = {"synchronize_session": False}


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _frame(result: sa.Result[Any]) -> pd.DataFrame:
    return pd.DataFrame(result.all(), columns=list(result.keys()))


# -- reconciliation of a scan -------------------------------------------------------------------

# A nightly scan reconciles each rule in a handful of statements over a handful of rows, so
# they are built once: composing a statement, and the ORM's bulk machinery, cost more than
# running it. The writes go to the tables; the first read stays on the entity, so that the
# session flushes what it holds before a reconciliation reads the alerts.
_ALERTS = cast(sa.Table, Alert.__table__)
_EVENTS = cast(sa.Table, AlertEvent.__table__)
_IS_OPEN = _ALERTS.c.open_key.is_not(None)
_IDS: sa.BindParameter[Any] = sa.bindparam("ids", expanding=True)
_NOW = sa.bindparam("now", type_=UTCDateTime())

_OPEN_OF_RULE = (
    sa.select(
        Alert.id,
        Alert.fingerprint,
        Alert.status,
        Alert.level,
        Alert.arrears,
        Alert.workers_affected,
        Alert.evidence,
        Alert.message_zh,
        Alert.message_en,
    )
    .where(Alert.rule_id == sa.bindparam("rule_id"), Alert.open_key.is_not(None))
    .order_by(Alert.id)
)
_OF_FINGERPRINTS = sa.select(
    _ALERTS.c.id,
    _ALERTS.c.rule_id,
    _ALERTS.c.fingerprint,
    _ALERTS.c.open_key,
    _ALERTS.c.status,
    _ALERTS.c.closed_at,
    _ALERTS.c.arrears,
    _ALERTS.c.workers_affected,
).where(_ALERTS.c.fingerprint.in_(sa.bindparam("fingerprints", expanding=True)))
_INSERT_ALERTS = sa.insert(_ALERTS).returning(_ALERTS.c.id, _ALERTS.c.fingerprint)
_MARK_SEEN = sa.update(_ALERTS).where(_ALERTS.c.id.in_(_IDS), _IS_OPEN).values(last_seen=_NOW)
# Each row's columns are set; its id is bound as ``alert_id``, since ``id`` would be set too.
_UPDATE_FOUND = sa.update(_ALERTS).where(_ALERTS.c.id == sa.bindparam("alert_id"), _IS_OPEN)
_RESOLVE = (
    sa.update(_ALERTS)
    .where(_ALERTS.c.id.in_(_IDS), _IS_OPEN)
    .values(status=AlertStatus.RESOLVED, open_key=None, closed_at=_NOW, until=None)
    .returning(_ALERTS.c.id)
)
_INSERT_EVENTS = sa.insert(_EVENTS)


def open_alerts_of_rule(session: Session, *, rule_id: str) -> list[sa.Row[Any]]:
    """The rule's alerts that are not closed, one per fingerprint: id, fingerprint, status,
    level, arrears, workers_affected, evidence and messages."""
    return list(session.execute(_OPEN_OF_RULE, {"rule_id": rule_id}))


def dismissals_of_rule(
    session: Session, *, rule_id: str, fingerprints: Sequence[str]
) -> list[sa.Row[Any]]:
    """Of ``fingerprints``, those whose most recently closed alert is a dismissed alert of the
    rule, with that alert's id and the arrears and workers it had when it was dismissed
    (lifecycle rule 5).

    The alerts of the fingerprints are read by their index and the latest closed one is
    picked here: asked for it in SQL (a sub-query per dismissal, or ``open_key IS NULL``),
    SQLite walks every closed alert of the store, for each fingerprint.
    """
    latest: dict[str, sa.Row[Any]] = {}
    for chunk in _chunks(fingerprints):
        rows: sa.Result[Any] = session.execute(_OF_FINGERPRINTS, {"fingerprints": chunk})
        for row in rows:
            if row.open_key is None:
                best = latest.get(row.fingerprint)
                if best is None or _closed_order(row) > _closed_order(best):
                    latest[row.fingerprint] = row
    return [
        row
        for row in latest.values()
        if row.status == AlertStatus.DISMISSED and row.rule_id == rule_id
    ]


def _closed_order(row: sa.Row[Any]) -> tuple[bool, datetime | None, int]:
    """The later closed alert sorts higher: by ``closed_at`` (a missing one lowest), then id."""
    return (row.closed_at is not None, row.closed_at, row.id)


def insert_alerts(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new alerts in bulk; returns fingerprint -> id."""
    if not rows:
        return {}
    return {
        fingerprint: alert_id for alert_id, fingerprint in session.execute(_INSERT_ALERTS, rows)
    }


def mark_seen(session: Session, *, ids: Sequence[int], now: datetime) -> None:
    """Move ``last_seen`` of alerts found again and otherwise unchanged."""
    for chunk in _chunks(ids):
        session.execute(_MARK_SEEN, {"ids": chunk, "now": now})


def update_found(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk update by id of alerts found again with a new level, evidence or message."""
    if rows:
        session.execute(
            _UPDATE_FOUND,
            [
                {"alert_id" if key == "id" else key: value for key, value in row.items()}
                for row in rows
            ],
        )


def resolve_by_system(session: Session, *, ids: Sequence[int], now: datetime) -> list[int]:
    """Resolve alerts whose condition is gone; returns those still open and now resolved."""
    resolved: list[int] = []
    for chunk in _chunks(ids):
        resolved.extend(session.execute(_RESOLVE, {"ids": chunk, "now": now}).scalars())
    return resolved


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append events to the history in bulk."""
    if rows:
        session.execute(_INSERT_EVENTS, rows)


def expire(session: Session, *, status: str, now: datetime) -> list[int]:
    """Put alerts held in ``status`` whose ``until`` has passed back to open; returns their
    ids."""
    return list(
        session.execute(
            sa.update(Alert)
            .where(Alert.status == status, Alert.until <= now)
            .values(status=AlertStatus.OPEN, until=None)
            .returning(Alert.id)
            .execution_options(**_NO_SYNC)
        ).scalars()
    )


# -- human actions ------------------------------------------------------------------------------


def get(session: Session, *, alert_id: int) -> Alert | None:
    """The alert as the database has it now (not a copy cached in the session)."""
    return session.get(Alert, alert_id, populate_existing=True)


def update_if_unchanged(
    session: Session, *, alert_id: int, version: int, status: str, values: dict[str, Any]
) -> bool:
    """Apply ``values`` and bump the version, only if the alert still has ``version`` and
    ``status``; False when someone (or a scan) changed it first."""
    changed = session.execute(
        sa.update(Alert)
        .where(Alert.id == alert_id, Alert.version == version, Alert.status == status)
        .values(version=Alert.version + 1, **values)
        .returning(Alert.id)
        .execution_options(**_NO_SYNC)
    ).first()
    return changed is not None


def open_alert_id(session: Session, *, fingerprint: str) -> int | None:
    """The id of the alert open under ``fingerprint``, if any."""
    return session.execute(
        sa.select(Alert.id).where(Alert.open_key == fingerprint)
    ).scalar_one_or_none()


# -- reading ------------------------------------------------------------------------------------


def _scoped(
    statement: Select[*tuple[Any, ...]],
    *,
    districts_scope: Sequence[str] | None,
    credit_codes_scope: Sequence[str] | None,
) -> Select[*tuple[Any, ...]]:
    """Only the projects of the caller's districts and contractors (None: no limit)."""
    return statement.where(
        *scope_conditions(districts_scope=districts_scope, credit_codes_scope=credit_codes_scope)
    )


def _alerts_select(*, with_evidence: bool = True) -> Select[*tuple[Any, ...]]:
    evidence = (Alert.evidence,) if with_evidence else ()
    return sa.select(
        Alert.id,
        Alert.rule_id.label("rule"),
        Alert.level,
        Alert.status,
        Alert.project_id,
        Project.code.label("project_code"),
        Project.name.label("project_name"),
        Project.district,
        Alert.subject,
        Alert.fingerprint,
        Alert.first_seen,
        Alert.last_seen,
        Alert.closed_at,
        Alert.until,
        Alert.arrears,
        Alert.workers_affected,
        Alert.message_zh,
        Alert.message_en,
        *evidence,
        Alert.version,
    ).join(Project, Project.id == Alert.project_id)


def list_alerts(
    session: Session,
    *,
    statuses: Sequence[str],
    levels: Sequence[str] | None,
    rule: str | None,
    project: str | None,
    district: str | None,
    month_from: str | None,
    month_to: str | None,
    text: str | None,
    sort: str,
    limit: int,
    offset: int,
    districts_scope: Sequence[str] | None,
    credit_codes_scope: Sequence[str] | None,
    with_evidence: bool = True,
) -> tuple[list[sa.RowMapping], int]:
    """One page of alerts matching every filter given, and how many match in all.

    Conditions on the project are sub-queries on ``alerts.project_id``, so that the count
    reads the alerts alone and the page walks the queue's index, joining only its rows.
    """
    conditions: list[ColumnElement[bool]] = [Alert.status.in_(list(statuses))]
    if levels is not None:
        conditions.append(Alert.level.in_(list(levels)))
    if rule is not None:
        conditions.append(Alert.rule_id == rule)
    if month_from is not None:
        conditions.append(Alert.subject >= month_from)
    if month_to is not None:
        conditions.append(Alert.subject <= month_to)
    project_conditions = scope_conditions(
        districts_scope=districts_scope, credit_codes_scope=credit_codes_scope
    )
    if project is not None:
        project_conditions.append(Project.code == project)
    if district is not None:
        project_conditions.append(Project.district == district)
    if project_conditions:
        conditions.append(Alert.project_id.in_(sa.select(Project.id).where(*project_conditions)))
    if text:
        named = sa.select(Project.id).where(
            sa.or_(
                Project.name.icontains(text, autoescape=True),
                Project.code.icontains(text, autoescape=True),
            )
        )
        conditions.append(
            sa.or_(
                Alert.message_zh.icontains(text, autoescape=True),
                Alert.message_en.icontains(text, autoescape=True),
                Alert.project_id.in_(named),
            )
        )
    total = _count(session, sa.select(sa.func.count()).select_from(Alert).where(*conditions))
    page = (
        sa.select(Alert.id)
        .where(*conditions)
        .order_by(*ALERT_SORTS[sort])
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    statement = (
        _alerts_select(with_evidence=with_evidence)
        .join(page, page.c.id == Alert.id)
        .order_by(*ALERT_SORTS[sort])
    )
    return list(session.execute(statement).mappings()), total


# How many alerts match a query, remembered while the alert store is unchanged: counting a
# queue of 100,000 alerts costs more than the page itself, and inspectors ask for the same
# few queues again and again.
_TOTALS: Remembered[int] = Remembered(ALERT_STORE, capacity=1024)


def _count(session: Session, statement: Select[Any]) -> int:
    """The statement's count, remembered by its SQL and parameters."""
    bind = session.get_bind()
    compiled = statement.compile(bind)
    params = tuple(
        (name, tuple(value) if isinstance(value, list) else value)
        for name, value in sorted(compiled.params.items())
    )
    return _TOTALS.get(
        session, (str(compiled), params), lambda: int(session.execute(statement).scalar_one())
    )


def get_row(
    session: Session,
    *,
    alert_id: int,
    districts_scope: Sequence[str] | None,
    credit_codes_scope: Sequence[str] | None,
) -> sa.RowMapping | None:
    """One alert with its project, if the caller's scope includes it."""
    statement = _scoped(
        _alerts_select().where(Alert.id == alert_id),
        districts_scope=districts_scope,
        credit_codes_scope=credit_codes_scope,
    )
    return session.execute(statement).mappings().one_or_none()


def events_of(session: Session, *, alert_id: int) -> list[AlertEvent]:
    """An alert's history, oldest first."""
    return list(
        session.execute(
            sa.select(AlertEvent)
            .where(AlertEvent.alert_id == alert_id)
            .order_by(AlertEvent.at, AlertEvent.id)
        ).scalars()
    )


# -- project risk -------------------------------------------------------------------------------


def open_alert_aggregates(session: Session) -> pd.DataFrame:
    """Per project with open alerts: its current grade and score, the highest level open
    (3 red, 2 orange, 1 yellow), the arrears counted once (the largest total of any one rule,
    since several rules report the same money), the most workers of one alert, and when the
    oldest open alert was first seen."""
    per_rule = (
        sa.select(
            Alert.project_id,
            sa.func.max(LEVEL_RANK).label("level_rank"),
            sa.func.coalesce(sa.func.sum(Alert.arrears), 0).label("arrears"),
            sa.func.coalesce(sa.func.max(Alert.workers_affected), 0).label("workers"),
            sa.func.min(Alert.first_seen).label("oldest"),
        )
        .where(Alert.open_key.is_not(None))
        .group_by(Alert.project_id, Alert.rule_id)
        .subquery()
    )
    return _frame(
        session.execute(
            sa.select(
                per_rule.c.project_id,
                Project.risk_grade,
                Project.risk_score,
                sa.func.max(per_rule.c.level_rank).label("level_rank"),
                sa.func.max(per_rule.c.arrears).label("arrears"),
                sa.func.max(per_rule.c.workers).label("workers"),
                sa.func.min(per_rule.c.oldest).label("oldest"),
            )
            .join(Project, Project.id == per_rule.c.project_id)
            .group_by(per_rule.c.project_id, Project.risk_grade, Project.risk_score)
        )
    )


# PostgreSQL: every project's grade in one statement. There an update a row (SQLite's way,
# sent in one executemany) costs a round trip and a firing of the change token's trigger
# (migration 0004) each.
_SET_PROJECT_RISK_PG = sa.text(
    """
    UPDATE projects SET risk_grade = v.risk_grade, risk_score = v.risk_score
    FROM unnest(CAST(:ids AS integer[]), CAST(:grades AS text[]),
                CAST(:scores AS double precision[])) AS v(id, risk_grade, risk_score)
    WHERE projects.id = v.id
    """
)


def set_project_risk(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write ``risk_grade`` and ``risk_score`` of each ``{"id", "risk_grade", "risk_score"}``.

    ``updated_at`` is kept: the grade is derived from alerts, not a change to the register.
    """
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            _SET_PROJECT_RISK_PG,
            {
                "ids": [row["id"] for row in rows],
                "grades": [row["risk_grade"] for row in rows],
                "scores": [row["risk_score"] for row in rows],
            },
        )
    else:
        session.execute(
            sa.update(Project)
            .values(updated_at=Project.updated_at)
            .execution_options(synchronize_session=None),
            rows,
        )


def clear_project_risk(session: Session) -> None:
    """Grade green, score 0, every project without an open alert that is not so already."""
    session.execute(
        sa.update(Project)
        .where(
            sa.or_(Project.risk_grade != "green", Project.risk_score != 0),
            Project.id.not_in(sa.select(Alert.project_id).where(Alert.open_key.is_not(None))),
        )
        .values(risk_grade="green", risk_score=0.0, updated_at=Project.updated_at)
        .execution_options(**_NO_SYNC)
    )


def list_project_risk(
    session: Session,
    *,
    district: str | None,
    grade: str | None,
    sort: str,
    limit: int,
    offset: int,
    districts_scope: Sequence[str] | None,
    credit_codes_scope: Sequence[str] | None,
    text: str | None = None,
) -> tuple[list[sa.RowMapping], int]:
    """One page of projects with grade, score and open alerts counted by level; ``text``
    keeps those whose code or name contains it."""
    counts = (
        sa.select(
            Alert.project_id,
            *(
                sa.func.sum(sa.case((Alert.level == level, 1), else_=0)).label(f"open_{level}")
                for level in ("red", "orange", "yellow")
            ),
        )
        .where(Alert.open_key.is_not(None))
        .group_by(Alert.project_id)
        .subquery()
    )
    contractor = aliased(Enterprise)
    statement = (
        sa.select(
            Project.id,
            Project.code,
            Project.name,
            Project.district,
            contractor.name.label("contractor"),
            Project.risk_grade,
            Project.risk_score,
            *(
                sa.func.coalesce(counts.c[f"open_{level}"], 0).label(f"open_{level}")
                for level in ("red", "orange", "yellow")
            ),
        )
        .join(contractor, contractor.id == Project.contractor_id)
        .outerjoin(counts, counts.c.project_id == Project.id)
    )
    if district is not None:
        statement = statement.where(Project.district == district)
    if grade is not None:
        statement = statement.where(Project.risk_grade == grade)
    if text:
        statement = statement.where(
            sa.or_(
                Project.code.icontains(text, autoescape=True),
                Project.name.icontains(text, autoescape=True),
            )
        )
    statement = _scoped(
        statement, districts_scope=districts_scope, credit_codes_scope=credit_codes_scope
    )
    total = session.execute(
        sa.select(sa.func.count()).select_from(statement.subquery())
    ).scalar_one()
    rows = session.execute(statement.order_by(*PROJECT_SORTS[sort]).limit(limit).offset(offset))
    return list(rows.mappings()), total
