"""Health and metrics over HTTP, without a token: the last successful scan and its age, a
database that does not answer, and the Prometheus exposition (RELIABILITY 13)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import World
from wage_guard.app import create_app
from wage_guard.config import Settings
from wage_guard.context import AppContext
from wage_guard.db import utcnow
from wage_guard.models import Alert, ImportBatch
from wage_guard.scan.orm import ScanRun


def add_run(engine: sa.Engine, *, status: str, hours_ago: float) -> int:
    """A finished scan run that ended ``hours_ago``."""
    ended = utcnow() - timedelta(hours=hours_ago)
    with engine.begin() as conn:
        return int(
            conn.execute(
                sa.insert(ScanRun)
                .values(
                    as_of=date(2026, 3, 1),
                    trigger="scheduled",
                    status=status,
                    started_at=ended - timedelta(minutes=1),
                    finished_at=ended,
                    rules=[],
                    rule_stats={},
                )
                .returning(ScanRun.id)
            ).scalar_one()
        )


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def unreachable(tmp_path: Path) -> Iterator[TestClient]:
    """A client of an app whose database cannot be opened."""
    context = AppContext(Settings(database_url=f"sqlite:///{tmp_path}/missing/wage_guard.db"))
    with TestClient(create_app(context), raise_server_exceptions=False) as client:
        yield client
    context.close()


def test_healthy_after_a_recent_scan(client: TestClient, world: World) -> None:
    answer = client.get("/api/v1/healthz")
    assert answer.status_code == 200
    health = answer.json()
    assert (health["status"], health["database"]) == ("ok", True)
    assert health["last_successful_scan"]["status"] == "succeeded"
    assert 0 <= health["last_scan_age_hours"] < 1


def test_degraded_without_a_successful_scan_in_26_hours(
    client: TestClient, engine: sa.Engine
) -> None:
    never = client.get("/api/v1/healthz").json()
    assert never == {
        "status": "degraded",
        "database": True,
        "last_successful_scan": None,
        "last_scan_age_hours": None,
    }
    old = add_run(engine, status="succeeded", hours_ago=27)
    add_run(engine, status="partial", hours_ago=1)
    answer = client.get("/api/v1/healthz")
    assert answer.status_code == 200
    health = answer.json()
    assert health["status"] == "degraded"
    assert health["last_successful_scan"]["id"] == old
    assert health["last_scan_age_hours"] == pytest.approx(27, abs=0.01)
    add_run(engine, status="succeeded", hours_ago=25)
    assert client.get("/api/v1/healthz").json()["status"] == "ok"


def test_down_without_a_database(unreachable: TestClient) -> None:
    answer = unreachable.get("/api/v1/healthz")
    assert answer.status_code == 503
    assert answer.json() == {
        "status": "down",
        "database": False,
        "last_successful_scan": None,
        "last_scan_age_hours": None,
    }
    scraped = unreachable.get("/api/v1/metrics")
    assert scraped.status_code == 200
    assert samples(scraped.text)[("wage_guard_database_up", frozenset())] == 0


def test_metrics_count_requests_by_route_and_read_the_database(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    alert_id = world.alerts["P1"][0]
    assert client.get(f"/api/v1/alerts/{alert_id}", headers=world.headers("inspector")).is_success
    answer = client.get("/api/v1/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert f"/api/v1/alerts/{alert_id}" not in text
    found = samples(text)
    request = frozenset(
        {("method", "GET"), ("route", "/api/v1/alerts/{alert_id}"), ("status", "200")}
    )
    assert found[("wage_guard_http_requests_total", request)] == 1
    assert found[("wage_guard_database_up", frozenset())] == 1
    assert found[("wage_guard_scan_runs", frozenset({("status", "succeeded")}))] == 1
    assert found[("wage_guard_scan_runs", frozenset({("status", "running")}))] == 0
    assert 0 <= found[("wage_guard_last_successful_scan_age_seconds", frozenset())] < 3600
    with engine.connect() as conn:
        alerts = conn.execute(
            sa.select(Alert.level, Alert.status, sa.func.count()).group_by(
                Alert.level, Alert.status
            )
        ).all()
        batches = conn.execute(
            sa.select(ImportBatch.kind, ImportBatch.status, sa.func.count()).group_by(
                ImportBatch.kind, ImportBatch.status
            )
        ).all()
    assert alerts and batches
    for level, status, count in alerts:
        labels = frozenset({("level", level), ("status", status)})
        assert found[("wage_guard_alerts", labels)] == count
    for kind, status, count in batches:
        labels = frozenset({("kind", kind), ("status", status)})
        assert found[("wage_guard_import_batches", labels)] == count


def test_no_successful_scan_leaves_its_age_out(client: TestClient) -> None:
    found = samples(client.get("/api/v1/metrics").text)
    assert ("wage_guard_last_successful_scan_age_seconds", frozenset()) not in found
    assert found[("wage_guard_scan_runs", frozenset({("status", "succeeded")}))] == 0
