"""The alert lifecycle (RULES.md, "Lifecycle of an alert") and the project risk grade.

A completed run of a rule is reconciled with the rule's alerts; people act on alerts with
a reason; acknowledgements and snoozes expire; projects are graded from their open alerts.
Services flush, never commit: the command, request or job that calls them owns the
transaction, and rolls it back when one of them raises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
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


def _canonical(evidence: Any) -> str:
    """Evidence as canonical JSON, so that evidence read back from the database compares equal
    to the same evidence found again."""
    return json.dumps(
        evidence or {},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_json_default,
    )


def _cents(values: pd.Series) -> pd.Series:
    """Yuan (``Decimal`` or None) as nullable whole fen."""
    return pd.Series(
        [None if v is None or pd.isna(v) else int(Decimal(v) * 100) for v in values],
        index=values.index,
        dtype="Int64",
    )


def _yuan(cents: Any) -> Decimal | None:
    return None if cents is None or pd.isna(cents) else Decimal(int(cents)) / 100


def _whole(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _nullable_ints(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.astype(object), errors="raise").astype("Int64")


def _objects(values: pd.Series, *, missing: str | None = None) -> pd.Series:
    """Values as Python objects, ``missing`` where absent (no NaN that a string dtype would
    put in place of None)."""
    return pd.Series(
        [missing if v is None or pd.isna(v) else v for v in values],
        index=values.index,
        dtype=object,
    )


def _prepare(
    rule_id: str, findings: pd.DataFrame, project_codes: Mapping[int, str]
) -> pd.DataFrame:
    """The findings with their fingerprints, canonical evidence and typed numbers."""
    missing = [c for c in (*FINDING_COLUMNS, "level") if c not in findings.columns]
    if missing:
        raise ValueError(f"findings of rule {rule_id!r} have no column {missing}")
    frame = pd.DataFrame(
        {
            "project_id": findings["project_id"].astype("int64"),
            "subject": _objects(findings["subject"]),
            "level": _objects(findings["level"]),
            "arrears_cents": _nullable_ints(findings["arrears_cents"]),
            "workers": _nullable_ints(findings["workers"]),
            "evidence_json": _objects(findings["evidence"].map(_canonical)),
            "message_zh": _objects(findings["message_zh"], missing=""),
            "message_en": _objects(findings["message_en"], missing=""),
        }
    )
    unknown_levels = sorted(set(frame["level"]) - {level.value for level in Level})
    if unknown_levels:
        raise ValueError(f"findings of rule {rule_id!r} have unknown levels {unknown_levels}")
    codes = frame["project_id"].map(project_codes)
    if codes.isna().any():
        unknown = sorted(int(p) for p in frame.loc[codes.isna(), "project_id"].unique())
        raise ValueError(f"findings of rule {rule_id!r} name projects without a code: {unknown}")
    frame["fingerprint"] = pd.Series(
        [
            fingerprint(rule_id, code, subject)
            for code, subject in zip(codes, frame["subject"], strict=True)
        ],
        index=frame.index,
        dtype=object,
    )
    repeated = frame.loc[frame["fingerprint"].duplicated(), "fingerprint"]
    if not repeated.empty:
        raise ValueError(f"rule {rule_id!r} found the same subject twice: {sorted(repeated)}")
    return frame


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

    Call it only for a rule that ran to completion: a failed rule must resolve nothing.
    """
    found = _prepare(rule_id, findings, project_codes)
    existing = repository.open_alerts_of_rule(session, rule_id=rule_id).rename(
        columns=lambda c: c if c == "fingerprint" else f"old_{c}"
    )
    matched = found.merge(existing, on="fingerprint", how="inner")
    fresh = found[~found["fingerprint"].isin(existing["fingerprint"])]
    gone = existing[~existing["fingerprint"].isin(found["fingerprint"])]

    level_changed = matched["level"] != matched["old_level"]
    changed = (
        level_changed
        | (matched["message_zh"] != matched["old_message_zh"])
        | (matched["message_en"] != matched["old_message_en"])
        | (matched["evidence_json"] != matched["old_evidence"].map(_canonical))
        | (matched["arrears_cents"].fillna(-1) != _cents(matched["old_arrears"]).fillna(-1))
        | (
            matched["workers"].fillna(-1)
            != _nullable_ints(matched["old_workers_affected"]).fillna(-1)
        )
    )
    updates = matched[changed]
    repository.update_found(
        session,
        [
            {
                "id": int(row["old_id"]),
                "last_seen": now,
                "level": row["level"],
                "evidence": json.loads(row["evidence_json"]),
                "arrears": _yuan(row["arrears_cents"]),
                "workers_affected": _whole(row["workers"]),
                "queue_order": queue_order(
                    row["level"], _yuan(row["arrears_cents"]), _whole(row["workers"])
                ),
                "message_zh": row["message_zh"],
                "message_en": row["message_en"],
            }
            for row in updates.to_dict("records")
        ],
    )
    repository.mark_seen(session, ids=[int(i) for i in matched.loc[~changed, "old_id"]], now=now)
    events = [
        _event(
            int(row["old_id"]),
            at=now,
            action="level_changed",
            from_level=row["old_level"],
            to_level=row["level"],
            scan_run_id=scan_run_id,
        )
        for row in matched[level_changed].to_dict("records")
    ]

    dismissals = repository.dismissals_of_rule(session, rule_id=rule_id)
    fresh = fresh.merge(
        dismissals.rename(
            columns={
                "id": "dismissed_id",
                "arrears": "dismissed_arrears",
                "workers_affected": "dismissed_workers",
            }
        ),
        on="fingerprint",
        how="left",
    )
    held = fresh["dismissed_id"].notna() & (
        (fresh["arrears_cents"].fillna(0) <= _cents(fresh["dismissed_arrears"]).fillna(0))
        & (fresh["workers"].fillna(0) <= _nullable_ints(fresh["dismissed_workers"]).fillna(0))
    )
    created = fresh[~held]
    ids = repository.insert_alerts(
        session,
        [
            {
                "rule_id": rule_id,
                "project_id": int(row["project_id"]),
                "subject": row["subject"],
                "fingerprint": row["fingerprint"],
                "open_key": row["fingerprint"],
                "level": row["level"],
                "status": AlertStatus.OPEN,
                "first_seen": now,
                "last_seen": now,
                "closed_at": None,
                "until": None,
                "arrears": _yuan(row["arrears_cents"]),
                "workers_affected": _whole(row["workers"]),
                "evidence": json.loads(row["evidence_json"]),
                "message_zh": row["message_zh"],
                "message_en": row["message_en"],
                "version": 1,
            }
            for row in created.to_dict("records")
        ],
    )
    events += [
        _event(
            ids[row["fingerprint"]],
            at=now,
            action="created",
            to_status=AlertStatus.OPEN,
            to_level=row["level"],
            details=(
                {}
                if pd.isna(row["dismissed_id"])
                else {"fired_again_after_dismissal_of": int(row["dismissed_id"])}
            ),
            scan_run_id=scan_run_id,
        )
        for row in created.to_dict("records")
    ]

    resolved = set(
        repository.resolve_by_system(session, ids=[int(i) for i in gone["old_id"]], now=now)
    )
    events += [
        _event(
            int(row["old_id"]),
            at=now,
            action="auto_resolved",
            from_status=row["old_status"],
            to_status=AlertStatus.RESOLVED,
            scan_run_id=scan_run_id,
        )
        for row in gone.to_dict("records")
        if int(row["old_id"]) in resolved
    ]
    repository.insert_events(session, events)
    return ReconcileCounts(
        found=len(found),
        new=len(created),
        updated=len(updates),
        unchanged=int((~changed).sum()),
        resolved=len(resolved),
        held=int(held.sum()),
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
