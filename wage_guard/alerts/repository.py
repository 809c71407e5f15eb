"""The queries of the alert store: alerts, their history, and the risk grades they give projects.

Every statement is set-based: a reconciliation reads a rule's alerts in one query and writes
them with bulk statements; lists of ids are sent in chunks to stay under the databases'
parameter limits. Writes by the system are guarded by ``open_key IS NOT NULL`` so that an
alert a person closed in the meantime is never touched by a scan.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement, Select

from wage_guard.alerts.orm import Alert, AlertEvent, AlertStatus
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


def open_alerts_of_rule(session: Session, *, rule_id: str) -> pd.DataFrame:
    """The rule's alerts that are not closed, one per fingerprint."""
    return _frame(
        session.execute(
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
            ).where(Alert.rule_id == rule_id, Alert.open_key.is_not(None))
        )
    )


def dismissals_of_rule(session: Session, *, rule_id: str) -> pd.DataFrame:
    """Fingerprints of the rule whose most recently closed alert was dismissed, with that
    alert's id and the arrears and workers it had when it was dismissed."""
    later = aliased(Alert)
    latest_closed = (
        sa.select(later.id)
        .where(later.fingerprint == Alert.fingerprint, later.open_key.is_(None))
        .order_by(later.closed_at.desc().nulls_last(), later.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return _frame(
        session.execute(
            sa.select(Alert.id, Alert.fingerprint, Alert.arrears, Alert.workers_affected).where(
                Alert.rule_id == rule_id,
                Alert.status == AlertStatus.DISMISSED,
                Alert.id == latest_closed,
            )
        )
    )


def insert_alerts(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new alerts in bulk; returns fingerprint -> id."""
    if not rows:
        return {}
    result = session.execute(sa.insert(Alert).returning(Alert.id, Alert.fingerprint), rows)
    return {fingerprint: alert_id for alert_id, fingerprint in result}


def mark_seen(session: Session, *, ids: Sequence[int], now: datetime) -> None:
    """Move ``last_seen`` of alerts found again and otherwise unchanged."""
    for chunk in _chunks(ids):
        session.execute(
            sa.update(Alert)
            .where(Alert.id.in_(chunk), Alert.open_key.is_not(None))
            .values(last_seen=now)
            .execution_options(**_NO_SYNC)
        )


def update_found(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk update by id of alerts found again with a new level, evidence or message."""
    if rows:
        session.execute(
            sa.update(Alert)
            .where(Alert.open_key.is_not(None))
            .execution_options(synchronize_session=None),
            rows,
        )


def resolve_by_system(session: Session, *, ids: Sequence[int], now: datetime) -> list[int]:
    """Resolve alerts whose condition is gone; returns those still open and now resolved."""
    resolved: list[int] = []
    for chunk in _chunks(ids):
        resolved.extend(
            session.execute(
                sa.update(Alert)
                .where(Alert.id.in_(chunk), Alert.open_key.is_not(None))
                .values(status=AlertStatus.RESOLVED, open_key=None, closed_at=now, until=None)
                .returning(Alert.id)
                .execution_options(**_NO_SYNC)
            ).scalars()
        )
    return resolved


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append events to the history in bulk."""
    if rows:
        session.execute(sa.insert(AlertEvent), rows)


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


def set_project_risk(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write ``risk_grade`` and ``risk_score`` of each ``{"id", "risk_grade", "risk_score"}``.

    ``updated_at`` is kept: the grade is derived from alerts, not a change to the register.
    """
    if rows:
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
