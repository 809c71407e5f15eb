"""The rule pack and scan runs over HTTP: who may read and start them, a scan started in the
background, one scan at a time decided in the database, and abandoned runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.conftest import WORLD, World, add_users
from tests.scan.builders import load
from wage_guard.config import ScanSettings
from wage_guard.db import make_session_factory, utcnow
from wage_guard.errors import Conflict
from wage_guard.scan.model import Check, CheckParams, LadderStep, Rule, empty_findings
from wage_guard.scan.orm import ScanRun
from wage_guard.scan.rules import LoadedRule, load_rules
from wage_guard.scan.runs import ScanNotStarted, ScanRunRead, start_scan

AS_OF = "2026-03-01"
# How long a test waits for a background scan to end.
SCAN_DEADLINE = 60.0
LEASE = timedelta(minutes=ScanSettings().lease_minutes)


@pytest.fixture
def unscanned(engine: sa.Engine) -> World:
    """The API's world before any scan: data and users, no alert yet."""
    projects = load(engine, WORLD)
    with make_session_factory(engine)() as session, session.begin():
        tokens = add_users(session)
    return World(projects=projects, alerts={}, tokens=tokens)


def add_run(engine: sa.Engine, *, status: str, started_at: datetime, **values: Any) -> int:
    """A scan run recorded as if another process had run it."""
    with engine.begin() as conn:
        return int(
            conn.execute(
                sa.insert(ScanRun)
                .values(
                    as_of=date(2026, 3, 1),
                    trigger="scheduled",
                    status=status,
                    started_at=started_at,
                    rules=[],
                    rule_stats={},
                    **values,
                )
                .returning(ScanRun.id)
            ).scalar_one()
        )


def run_status(engine: sa.Engine, run_id: int) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(ScanRun.status, ScanRun.error).where(ScanRun.id == run_id)
        ).one()
    return row.status, row.error


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + SCAN_DEADLINE
    while not condition():
        assert time.monotonic() < deadline, "the scan did not end in time"
        time.sleep(0.05)


def finished(client: TestClient, run_id: int, headers: dict[str, str]) -> dict[str, Any]:
    """The run once it is no longer running, polled through the API."""
    answers: list[dict[str, Any]] = []

    def done() -> bool:
        answer = client.get(f"/api/v1/scans/{run_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())
        return bool(answers[-1]["status"] != "running")

    wait_until(done)
    return answers[-1]


def test_roles(client: TestClient, world: World) -> None:
    body = {"as_of": AS_OF}
    assert client.post("/api/v1/scans", json=body).status_code == 401
    refused = client.post("/api/v1/scans", json=body, headers=world.headers("contractor1"))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    for path in ("/api/v1/rules", "/api/v1/scans", "/api/v1/scans/1"):
        assert client.get(path, headers=world.headers("bank1")).status_code == 403
    assert client.get("/api/v1/scans", headers=world.headers("contractor1")).status_code == 403
    assert client.get("/api/v1/rules", headers=world.headers("contractor1")).status_code == 200


def test_rules_lists_the_loaded_pack(client: TestClient, world: World) -> None:
    answer = client.get("/api/v1/rules", headers=world.headers("inspector"))
    assert answer.status_code == 200
    listing = answer.json()
    assert [item["id"] for item in listing["items"]] == [rule.id for rule in load_rules()]
    assert listing["total"] == len(listing["items"])
    unpaid = next(item for item in listing["items"] if item["id"] == "wages_unpaid")
    assert unpaid["check"] and unpaid["title_zh"] and unpaid["title_en"]
    assert unpaid["mode"] == "active"
    assert unpaid["ladder"] and unpaid["ladder"][0]["level"] in {"yellow", "orange", "red"}
    assert isinstance(unpaid["params"], dict)


def test_a_scan_runs_in_the_background_and_raises_alerts(
    client: TestClient, unscanned: World
) -> None:
    headers = unscanned.headers("inspector")
    assert client.get("/api/v1/alerts", headers=headers).json()["total"] == 0
    answer = client.post("/api/v1/scans", json={"as_of": AS_OF}, headers=headers)
    assert answer.status_code == 202, answer.text
    run = answer.json()
    assert run["status"] == "running"
    assert (run["trigger"], run["requested_by"], run["as_of"]) == ("api", "inspector", AS_OF)
    assert run["finished_at"] is None and run["duration_seconds"] is None
    summary = finished(client, run["id"], headers)
    assert summary["status"] == "succeeded"
    assert set(summary["rules"]) == {rule.id for rule in load_rules()}
    raised = sum(stats["new"] for stats in summary["rules"].values())
    assert raised > 0
    assert client.get("/api/v1/alerts", headers=headers).json()["total"] == raised
    listed = client.get("/api/v1/scans", headers=headers).json()["items"][0]
    assert listed["id"] == run["id"] and listed["status"] == "succeeded"
    assert listed["duration_seconds"] >= 0
    assert sum(counts["new"] for counts in listed["rule_counts"].values()) == raised


def test_a_scan_of_chosen_rules(client: TestClient, unscanned: World) -> None:
    headers = unscanned.headers("admin")
    body = {"as_of": AS_OF, "rules": ["wages_unpaid"]}
    answer = client.post("/api/v1/scans", json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    assert answer.json()["rules"] == ["wages_unpaid"]
    summary = finished(client, answer.json()["id"], headers)
    assert list(summary["rules"]) == ["wages_unpaid"]
    assert summary["rules"]["wages_unpaid"]["new"] > 0


@pytest.mark.parametrize(
    "body",
    [
        {"rules": ["no_such_rule"]},
        {"rules": []},
        {"as_of": "2026-02-30"},
        {"as_of": AS_OF, "dry_run": True},
    ],
)
def test_a_wrong_request_is_422(
    client: TestClient, world: World, engine: sa.Engine, body: dict[str, Any]
) -> None:
    answer = client.post("/api/v1/scans", json=body, headers=world.headers("inspector"))
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_input"
    if body.get("rules"):
        assert "no_such_rule" in answer.json()["error"]["message"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ScanRun)).scalar_one() == 1


def test_a_second_scan_while_one_runs_is_409(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    running = add_run(engine, status="running", started_at=utcnow() - timedelta(minutes=5))
    answer = client.post("/api/v1/scans", json={"as_of": AS_OF}, headers=world.headers("admin"))
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "conflict"
    assert f"scan run {running}" in error["message"]
    with engine.connect() as conn:
        statuses = conn.execute(sa.select(ScanRun.status).order_by(ScanRun.id)).scalars().all()
    assert statuses == ["succeeded", "running"]


def test_an_abandoned_run_does_not_block_the_next(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    crashed = add_run(engine, status="running", started_at=utcnow() - LEASE - timedelta(minutes=1))
    headers = world.headers("inspector")
    answer = client.post("/api/v1/scans", json={"as_of": AS_OF}, headers=headers)
    assert answer.status_code == 202, answer.text
    status, error = run_status(engine, crashed)
    assert status == "failed"
    assert error is not None and error.startswith("abandoned")
    assert finished(client, answer.json()["id"], headers)["status"] == "succeeded"


def test_runs_are_listed_newest_first_in_pages(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    headers = world.headers("inspector_heping")
    now = utcnow()
    failed = add_run(
        engine, status="failed", started_at=now, finished_at=now, error="RuntimeError: boom"
    )
    partial = add_run(engine, status="partial", started_at=now, finished_at=now)
    page = client.get("/api/v1/scans?limit=2", headers=headers).json()
    assert page["total"] == 3
    assert [item["id"] for item in page["items"]] == [partial, failed]
    rest = client.get("/api/v1/scans?limit=2&offset=2", headers=headers).json()
    (first,) = rest["items"]
    assert first["trigger"] == "manual" and first["status"] == "succeeded"
    assert first["rule_counts"]["wages_unpaid"]["new"] > 0
    detail = client.get(f"/api/v1/scans/{first['id']}", headers=headers).json()
    assert detail["run_id"] == first["id"]
    assert detail["rules"]["wages_unpaid"]["seconds"] >= 0
    assert client.get(f"/api/v1/scans/{failed}", headers=headers).json()["error"] == (
        "RuntimeError: boom"
    )
    assert client.get("/api/v1/scans?limit=101", headers=headers).status_code == 422
    missing = client.get(f"/api/v1/scans/{partial + 1}", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def _blocking_rule(release: threading.Event) -> LoadedRule:
    """A rule whose check finds nothing, once ``release`` is set: a scan that stays running."""

    def evaluate(context: object, params: CheckParams) -> pd.DataFrame:
        release.wait(SCAN_DEADLINE)
        return empty_findings()

    rule = Rule(
        id="blocking",
        check="blocking",
        title_zh="阻塞",
        title_en="Blocking",
        ladder=[LadderStep(level="yellow")],
    )
    check = Check("blocking", CheckParams, evaluate, "")
    return LoadedRule(rule=rule, check=check, params=CheckParams(), path=Path("blocking.toml"))


def test_concurrent_starts_start_one_scan(engine: sa.Engine) -> None:
    release = threading.Event()
    rules = [_blocking_rule(release)]
    starters = 4
    barrier = threading.Barrier(starters)
    outcomes: list[ScanRunRead | Conflict] = []

    def attempt(number: int) -> None:
        barrier.wait()
        try:
            run = start_scan(
                engine,
                as_of=date(2026, 3, 1),
                rules=rules,
                requested_by=f"user{number}",
                stale_after=LEASE,
            )
        except Conflict as exc:
            outcomes.append(exc)
        else:
            outcomes.append(run)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    release.set()
    started = [outcome for outcome in outcomes if isinstance(outcome, ScanRunRead)]
    assert len(started) == 1
    assert len(outcomes) == starters
    wait_until(lambda: run_status(engine, started[0].id)[0] != "running")
    assert run_status(engine, started[0].id) == ("succeeded", None)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ScanRun)).scalar_one() == 1


def test_a_run_taken_for_abandoned_stops(engine: sa.Engine) -> None:
    release = threading.Event()
    slow = start_scan(
        engine,
        as_of=date(2026, 3, 1),
        rules=[_blocking_rule(release)],
        requested_by="slow",
        stale_after=LEASE,
    )
    quick = start_scan(
        engine, as_of=date(2026, 3, 1), rules=[], requested_by="quick", stale_after=timedelta(0)
    )
    status, error = run_status(engine, slow.id)
    assert status == "failed" and error is not None and error.startswith("abandoned")
    release.set()
    wait_until(lambda: run_status(engine, quick.id)[0] != "running")
    wait_until(lambda: "RunAbandoned" in (run_status(engine, slow.id)[1] or ""))
    assert run_status(engine, slow.id)[0] == "failed"
    assert run_status(engine, quick.id) == ("succeeded", None)


def test_a_start_that_waits_too_long_gives_up_and_leaves_nothing(engine: sa.Engine) -> None:
    threads: set[threading.Thread] = set()
    with engine.begin() as conn:
        # A write to the runs holds the lock a start needs, until this transaction ends.
        conn.execute(sa.update(ScanRun).where(ScanRun.id == -1).values(error=None))
        with pytest.raises(ScanNotStarted) as refused:
            start_scan(
                engine,
                as_of=date(2026, 3, 1),
                rules=[],
                requested_by="impatient",
                stale_after=LEASE,
                threads=threads,
                timeout=0.5,
            )
        assert refused.value.status_code == 503
    for thread in list(threads):
        thread.join(SCAN_DEADLINE)
    assert not threads
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ScanRun)).scalar_one() == 0
