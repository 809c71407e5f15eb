"""The alert lifecycle (RULES.md, "Lifecycle of an alert") and the project risk grade.

A completed run of a rule is reconciled with the rule's alerts; people act on alerts with
a reason; acknowledgements and snoozes expire; projects are graded from their open alerts.
Services flush, never commit: the command, request or job that calls them owns the
transaction, and rolls it back when one of them raises.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wage_guard.alerts import repository
from wage_guard.alerts.orm import Alert, AlertStatus, Level, queue_order
from wage_guard.alerts.schemas import (
    ACKNOWLEDGE_DAYS,
    MAX_SNOOZE_DAYS,
    Action,
    AlertDetail,
    AlertEventRead,
    AlertRead,
    AlertSummary,
)
from wage_guard.db import utcnow
from wage_guard.errors import Conflict, InvalidInput, NotFound
from wage_guard.scan.model import FINDING_COLUMNS

# The most alerts or projects one page may hold.
MAX_PAGE = 1000
SYSTEM_ACTOR = "system"

NOT_CLOSED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SNOOZED)
CLOSED = (AlertStatus.RESOLVED, AlertStatus.DISMISSED)
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "active": NOT_CLOSED,
    "closed": CLOSED,
    "all": NOT_CLOSED + CLOSED,
}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# The whole numbers a BIGINT holds.
_INT64 = range(-(1 << 63), 1 << 63)


# The history entry each action writes.
EVENT_OF = {
    Action.ACKNOWLEDGE: "acknowledged",
    Action.SNOOZE: "snoozed",
    Action.RESOLVE: "resolved",
    Action.DISMISS: "dismissed",
    Action.COMMENT: "commented",
    Action.REOPEN: "reopened",
}


def fingerprint(rule_id: str, project_code: str, subject: str | None) -> str:
    """An alert's identity: rule id, project code and subject (RULES.md, "Subjects and
    identity"); ``-`` stands for the project itself."""
    return f"{rule_id}:{project_code}:{subject or '-'}"


@dataclass
class ReconcileCounts:
    """What reconciling one rule's findings did: ``found`` = new + updated + unchanged + held."""

    found: int
    new: int
    updated: int
    unchanged: int
    resolved: int
    held: int


def _event(
    alert_id: int,
    *,
    at: datetime,
    action: str,
    actor: str = SYSTEM_ACTOR,
    from_status: str | None = None,
    to_status: str | None = None,
    from_level: str | None = None,
    to_level: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    scan_run_id: int | None = None,
) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "at": at,
        "actor": actor,
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "from_level": from_level,
        "to_level": to_level,
        "reason": reason,
        "details": details or {},
        "scan_run_id": scan_run_id,
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"evidence holds a {type(value).__name__}, which JSON cannot store")


# ``json.dumps`` with these options, without building an encoder for every call.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default
)


def _canonical(evidence: Any) -> str:
    """Evidence as canonical JSON, so that evidence read back from the database compares equal
    to the same evidence found again."""
    return _CANONICAL.encode(evidence or {})


def _absent(value: Any) -> bool:
    """None, NaN or NA (a string, the usual value, is never absent)."""
    return type(value) is not str and (value is None or bool(pd.isna(value)))


def _present(values: pd.Series, *, missing: str | None = None) -> list[Any]:
    """A column's values as Python objects, ``missing`` where absent."""
    return [missing if _absent(value) else value for value in values.tolist()]


def _plain_int(value: Any) -> bool:
    """An int or a whole float that fits a 64-bit column (a bool is not a number here)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value.is_integer() and int(value) in _INT64
    return isinstance(value, int | np.integer) and int(value) in _INT64


def _whole_numbers(values: pd.Series) -> list[int | None]:
    """A column of counts or amounts in fen as ints, None where absent (None, NaN or NA).

    Ints and whole floats, what the checks return, are read here; a column holding anything
    else (strings, Decimals, fractions) is read as pandas reads it, or refused as pandas
    refuses it.
    """
    numbers: list[int | None] = []
    for value in values.tolist():
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            numbers.append(None)
        elif _plain_int(value):
            numbers.append(int(value))
        else:
            whole = pd.to_numeric(values.astype(object), errors="raise").astype("Int64")
            return [None if number is pd.NA else int(number) for number in whole.tolist()]
    return numbers


def _fen(amount: Decimal | None) -> int | None:
    """An amount of yuan as whole fen."""
    return None if amount is None else int(Decimal(amount) * 100)


def _yuan(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents) / 100


class _Finding(NamedTuple):
    """One finding of a rule in plain Python values, with its fingerprint."""

    fingerprint: str
    project_id: int
    subject: str | None
    level: str
    arrears_cents: int | None
    workers: int | None
    evidence_json: str
    message_zh: str
    message_en: str


def _prepare(
    rule_id: str, findings: pd.DataFrame, project_codes: Mapping[int, str]
) -> list[_Finding]:
    """The findings, read column by column into plain records with their fingerprints,
    canonical evidence and typed numbers."""
    missing = [c for c in (*FINDING_COLUMNS, "level") if c not in findings.columns]
    if missing:
        raise ValueError(f"findings of rule {rule_id!r} have no column {missing}")
    ids = findings["project_id"]
    # ``astype`` costs tens of microseconds even to the dtype the column already has.
    project_ids: list[int] = (ids if ids.dtype == np.int64 else ids.astype("int64")).tolist()
    subjects = _present(findings["subject"])
    levels = _present(findings["level"])
    arrears = _whole_numbers(findings["arrears_cents"])
    workers = _whole_numbers(findings["workers"])
    evidence = [_canonical(value) for value in findings["evidence"].tolist()]
    messages_zh = _present(findings["message_zh"], missing="")
    messages_en = _present(findings["message_en"], missing="")
    unknown_levels = sorted(set(levels) - {level.value for level in Level})
    if unknown_levels:
        raise ValueError(f"findings of rule {rule_id!r} have unknown levels {unknown_levels}")
    codes: list[Any] = [project_codes.get(project_id) for project_id in project_ids]
    unknown = sorted({p for p, code in zip(project_ids, codes, strict=True) if _absent(code)})
    if unknown:
        raise ValueError(f"findings of rule {rule_id!r} name projects without a code: {unknown}")
    fingerprints = [
        fingerprint(rule_id, code, subject) for code, subject in zip(codes, subjects, strict=True)
    ]
    if len(set(fingerprints)) < len(fingerprints):
        repeated = sorted(k for k, times in Counter(fingerprints).items() for _ in range(times - 1))
        raise ValueError(f"rule {rule_id!r} found the same subject twice: {repeated}")
    columns = (subjects, levels, arrears, workers, evidence, messages_zh, messages_en)
    return list(map(_Finding._make, zip(fingerprints, project_ids, *columns, strict=True)))


def _found_columns(finding: _Finding) -> dict[str, Any]:
    """The columns of an alert that its finding sets, on creation and when found changed."""
    arrears = _yuan(finding.arrears_cents)
    return {
        "level": finding.level,
        "evidence": json.loads(finding.evidence_json),
        "arrears": arrears,
        "workers_affected": finding.workers,
        "queue_order": queue_order(finding.level, arrears, finding.workers),
        "message_zh": finding.message_zh,
        "message_en": finding.message_en,
    }


def _changed(finding: _Finding, alert: Row[Any]) -> bool:
    """Whether an open alert found again differs from its finding in more than ``last_seen``."""
    return (
        finding.level != alert.level
        or finding.message_zh != alert.message_zh
        or finding.message_en != alert.message_en
        or finding.arrears_cents != _fen(alert.arrears)
        or finding.workers != alert.workers_affected
        or finding.evidence_json != _canonical(alert.evidence)
    )


def _held(finding: _Finding, dismissed: Row[Any]) -> bool:
    """Lifecycle rule 5: neither the arrears nor the number of workers grew beyond those of
    the dismissed alert (an absent number counts as 0)."""
    arrears_then = _fen(dismissed.arrears) or 0
    workers_then = dismissed.workers_affected or 0
    return (finding.arrears_cents or 0) <= arrears_then and (finding.workers or 0) <= workers_then


def reconcile(
    session: Session,
    *,
    rule_id: str,
    findings: pd.DataFrame,
    project_codes: Mapping[int, str],
    scan_run_id: int | None,
    now: datetime,
) -> ReconcileCounts:
    """Bring a rule's alerts in line with what a completed run of the rule found.

    Lifecycle rule 1: a finding with no open alert creates one; one already open gets
    ``last_seen`` and, only when they changed, its level, evidence, amounts and messages (a
    level change is an event). Nothing else moves, not even ``version``, which counts human
    changes. Rule 2: the rule's open alerts it no longer finds are resolved by the system.
    Rule 3: a condition back after resolution opens a new alert. Rule 5: a finding whose
    latest closed alert was dismissed is held (nothing written) unless its arrears or its
    number of workers grew beyond those at dismissal.

    The findings frame is read once into plain records and matched to the alerts by
    fingerprint in dicts: a rule's run is mostly a handful of rows, too few for pandas to pay.
    Call it only for a rule that ran to completion: a failed rule must resolve nothing.
    """
    found = _prepare(rule_id, findings, project_codes)
    open_alerts = {
        alert.fingerprint: alert
        for alert in repository.open_alerts_of_rule(session, rule_id=rule_id)
    }
    found_keys = {finding.fingerprint for finding in found}
    gone = [alert for key, alert in open_alerts.items() if key not in found_keys]
    fresh = [finding for finding in found if finding.fingerprint not in open_alerts]

    updates: list[dict[str, Any]] = []
    seen: list[int] = []
    events: list[dict[str, Any]] = []
    for finding in found:
        alert = open_alerts.get(finding.fingerprint)
        if alert is None:
            continue
        if not _changed(finding, alert):
            seen.append(alert.id)
            continue
        updates.append({"id": alert.id, "last_seen": now, **_found_columns(finding)})
        if finding.level != alert.level:
            events.append(
                _event(
                    alert.id,
                    at=now,
                    action="level_changed",
                    from_level=alert.level,
                    to_level=finding.level,
                    scan_run_id=scan_run_id,
                )
            )
    repository.update_found(session, updates)
    repository.mark_seen(session, ids=seen, now=now)

    dismissals = {
        row.fingerprint: row
        for row in repository.dismissals_of_rule(
            session, rule_id=rule_id, fingerprints=[finding.fingerprint for finding in fresh]
        )
    }
    created: list[tuple[_Finding, Row[Any] | None]] = []
    for finding in fresh:
        dismissed = dismissals.get(finding.fingerprint)
        if dismissed is None or not _held(finding, dismissed):
            created.append((finding, dismissed))
    rows = [
        {
            "rule_id": rule_id,
            "project_id": finding.project_id,
            "subject": finding.subject,
            "fingerprint": finding.fingerprint,
            "open_key": finding.fingerprint,
            "status": AlertStatus.OPEN,
            "first_seen": now,
            "last_seen": now,
            "closed_at": None,
            "until": None,
            "version": 1,
            **_found_columns(finding),
        }
        for finding, _ in created
    ]
    ids = repository.insert_alerts(session, rows)
    events += [
        _event(
            ids[finding.fingerprint],
            at=now,
            action="created",
            to_status=AlertStatus.OPEN,
            to_level=finding.level,
            details=({} if dismissed is None else {"fired_again_after_dismissal_of": dismissed.id}),
            scan_run_id=scan_run_id,
        )
        for finding, dismissed in created
    ]

    resolved = set(repository.resolve_by_system(session, ids=[a.id for a in gone], now=now))
    events += [
        _event(
            alert.id,
            at=now,
            action="auto_resolved",
            from_status=alert.status,
            to_status=AlertStatus.RESOLVED,
            scan_run_id=scan_run_id,
        )
        for alert in gone
        if alert.id in resolved
    ]
    repository.insert_events(session, events)
    return ReconcileCounts(
        found=len(found),
        new=len(created),
        updated=len(updates),
        unchanged=len(seen),
        resolved=len(resolved),
        held=len(fresh) - len(created),
    )


def _check_until(until: datetime, now: datetime) -> None:
    if until.tzinfo is None:
        raise InvalidInput("until must carry a time zone")
    if until <= now:
        raise InvalidInput("until must be in the future")
    if until > now + timedelta(days=MAX_SNOOZE_DAYS):
        raise InvalidInput(f"until may be at most {MAX_SNOOZE_DAYS} days ahead")


def _transition(
    alert: Alert, action: Action, *, until: datetime | None, now: datetime
) -> dict[str, Any]:
    """The columns ``action`` changes on ``alert``, or the reason it may not be done."""
    closed = alert.status in CLOSED
    if until is not None and action not in (Action.ACKNOWLEDGE, Action.SNOOZE):
        raise InvalidInput(f"until applies only to acknowledge and snooze, not {action}")
    if action is Action.COMMENT:
        return {}
    if action is Action.REOPEN:
        if not closed:
            raise Conflict(f"alert {alert.id} is {alert.status}; only a closed alert is reopened")
        return {
            "status": AlertStatus.OPEN,
            "open_key": alert.fingerprint,
            "closed_at": None,
            "until": None,
        }
    if closed:
        raise Conflict(f"alert {alert.id} is {alert.status}; reopen it first to {action} it")
    if action is Action.ACKNOWLEDGE:
        until = until or now + timedelta(days=ACKNOWLEDGE_DAYS)
        _check_until(until, now)
        return {"status": AlertStatus.ACKNOWLEDGED, "until": until}
    if action is Action.SNOOZE:
        if until is None:
            raise InvalidInput("a snooze needs a date until which it lasts")
        _check_until(until, now)
        return {"status": AlertStatus.SNOOZED, "until": until}
    status = AlertStatus.RESOLVED if action is Action.RESOLVE else AlertStatus.DISMISSED
    return {"status": status, "open_key": None, "closed_at": now, "until": None}


def act(
    session: Session,
    *,
    alert_id: int,
    action: str,
    reason: str,
    actor: str,
    until: datetime | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Alert:
    """A person acknowledges, snoozes, resolves (销号), dismisses, comments on or reopens an
    alert (lifecycle rules 4 and 6).

    Each action needs a reason, bumps ``version`` and appends an event naming the actor. An
    acknowledgement lasts ``ACKNOWLEDGE_DAYS`` unless ``until`` is given; a snooze needs
    ``until``; neither reaches beyond ``MAX_SNOOZE_DAYS``. A closed alert takes only a comment
    or a reopen, and is reopened only when no other alert of its fingerprint is open.
    ``expected_version`` other than the alert's, or a change by anyone between reading the
    alert and writing it, raises ``Conflict``.
    """
    now = now or utcnow()
    try:
        verb = Action(action)
    except ValueError:
        raise InvalidInput(
            f"unknown action {action!r}; one of {', '.join(a.value for a in Action)}"
        ) from None
    if not reason or not reason.strip():
        raise InvalidInput("a reason is required")
    if not actor or not actor.strip():
        raise InvalidInput("the person acting must be named")
    alert = repository.get(session, alert_id=alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    if expected_version is not None and expected_version != alert.version:
        raise Conflict(
            f"alert {alert_id} is at version {alert.version}, not {expected_version}: "
            "someone changed it; reload it and try again"
        )
    values = _transition(alert, verb, until=until, now=now)
    if verb is Action.REOPEN:
        other = repository.open_alert_id(session, fingerprint=alert.fingerprint)
        if other is not None:
            raise Conflict(f"alert {other} is already open for {alert.fingerprint}")
    try:
        applied = repository.update_if_unchanged(
            session, alert_id=alert_id, version=alert.version, status=alert.status, values=values
        )
    except IntegrityError:
        raise Conflict(f"another alert was opened for {alert.fingerprint} meanwhile") from None
    if not applied:
        raise Conflict(f"alert {alert_id} was changed meanwhile; reload it and try again")
    details: dict[str, Any] = {"version": alert.version + 1}
    if values.get("until") is not None:
        details["until"] = values["until"].isoformat()
    repository.insert_events(
        session,
        [
            _event(
                alert_id,
                at=now,
                action=EVENT_OF[verb],
                actor=actor.strip(),
                from_status=alert.status,
                to_status=values.get("status", alert.status),
                reason=reason.strip(),
                details=details,
            )
        ],
    )
    session.refresh(alert)
    return alert


def expire_holds(session: Session, *, now: datetime) -> int:
    """Acknowledgements and snoozes whose ``until`` has passed go back to open, each with an
    ``expired`` event by the system (lifecycle rule 4); returns how many."""
    events = [
        _event(alert_id, at=now, action="expired", from_status=status, to_status=AlertStatus.OPEN)
        for status in (AlertStatus.ACKNOWLEDGED, AlertStatus.SNOOZED)
        for alert_id in repository.expire(session, status=status, now=now)
    ]
    repository.insert_events(session, events)
    return len(events)


def refresh_project_risk(session: Session, *, now: datetime) -> None:
    """Grade every project from its open (open, acknowledged, snoozed) alerts (RULES.md,
    "Project risk grade"): red if any is red, else orange, else yellow, else green.

    The score ranks projects inside a grade::

        score = arrears / 1000 + 10 * workers + days

    ``arrears``: open arrears in yuan, counted once (the largest total any one rule reports,
    since several rules report the same money); ``workers``: the most workers affected by one
    open alert; ``days``: whole days since the oldest open alert was first seen. A project
    without open alerts is green with score 0. One aggregate query, one update of the projects
    that have no open alert left, and a bulk update of those whose grade or score changed.
    """
    repository.clear_project_risk(session)
    risk = repository.open_alert_aggregates(session)
    if risk.empty:
        return
    grade = risk["level_rank"].map({3: "red", 2: "orange", 1: "yellow"})
    oldest = pd.to_datetime(risk["oldest"], utc=True)
    days = ((pd.Timestamp(now) - oldest).dt.total_seconds() // 86400).clip(lower=0)
    score = (
        risk["arrears"].astype(float) / 1000 + 10 * risk["workers"].astype(float) + days
    ).round(2)
    changed = (grade != risk["risk_grade"]) | (score != risk["risk_score"])
    repository.set_project_risk(
        session,
        [
            {"id": int(project_id), "risk_grade": g, "risk_score": float(s)}
            for project_id, g, s in zip(
                risk.loc[changed, "project_id"], grade[changed], score[changed], strict=True
            )
        ],
    )


def _choices(value: str | Sequence[str] | None, allowed: Sequence[str], name: str) -> list[str]:
    chosen = [value] if isinstance(value, str) else list(value or [])
    wrong = [v for v in chosen if v not in allowed]
    if wrong:
        raise InvalidInput(f"unknown {name} {', '.join(wrong)}; one of {', '.join(allowed)}")
    return chosen


def validate_page(*, limit: int, offset: int) -> None:
    """Refuse a page size outside 1..``MAX_PAGE`` or a negative offset."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    if offset < 0:
        raise InvalidInput("offset must not be negative")


def list_alerts(
    session: Session,
    *,
    status: str | Sequence[str] | None = None,
    level: str | Sequence[str] | None = None,
    rule: str | None = None,
    project: str | None = None,
    district: str | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
    text: str | None = None,
    sort: str = "risk",
    limit: int = 50,
    offset: int = 0,
    districts_scope: Sequence[str] | None = None,
    credit_codes_scope: Sequence[str] | None = None,
    with_evidence: bool = True,
) -> tuple[list[AlertSummary], int]:
    """A page of alerts, riskiest first by default, and how many match in all.

    ``status`` is one or more statuses or a group (``active``: not closed, the default;
    ``closed``; ``all``). ``month_from``/``month_to`` keep alerts about wage months in that
    range. ``text`` searches the messages and the project's name and code. A scope of None
    does not limit; a list keeps only projects in those districts or of those contractors.
    Each alert is an ``AlertRead`` with its evidence, or only its summary without it.
    """
    groups = _choices(status or "active", [*STATUS_GROUPS, *NOT_CLOSED, *CLOSED], "status")
    statuses = sorted({s for g in groups for s in STATUS_GROUPS.get(g, (g,))})
    levels = _choices(level, [lv.value for lv in Level], "level") if level else None
    for month in (month_from, month_to):
        if month is not None and not _MONTH.match(month):
            raise InvalidInput(f"a month is written YYYY-MM, not {month!r}")
    if sort not in repository.ALERT_SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; one of {', '.join(repository.ALERT_SORTS)}")
    validate_page(limit=limit, offset=offset)
    rows, total = repository.list_alerts(
        session,
        statuses=statuses,
        levels=levels,
        rule=rule,
        project=project,
        district=district,
        month_from=month_from,
        month_to=month_to,
        text=text,
        sort=sort,
        limit=limit,
        offset=offset,
        districts_scope=districts_scope,
        credit_codes_scope=credit_codes_scope,
        with_evidence=with_evidence,
    )
    model = AlertRead if with_evidence else AlertSummary
    return [model.model_validate(dict(row)) for row in rows], total


def get_alert(
    session: Session,
    *,
    alert_id: int,
    districts_scope: Sequence[str] | None = None,
    credit_codes_scope: Sequence[str] | None = None,
) -> AlertDetail:
    """One alert with its full history; ``NotFound`` when it does not exist or lies outside
    the caller's scope (RELIABILITY 22)."""
    row = repository.get_row(
        session,
        alert_id=alert_id,
        districts_scope=districts_scope,
        credit_codes_scope=credit_codes_scope,
    )
    if row is None:
        raise NotFound(f"alert {alert_id} not found")
    events = repository.events_of(session, alert_id=alert_id)
    return AlertDetail(
        **dict(row), events=[AlertEventRead.model_validate(event) for event in events]
    )
