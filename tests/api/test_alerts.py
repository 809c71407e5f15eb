"""The warning queue over HTTP: list, detail, actions with versions, export."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.api.conftest import World


def test_list_is_scoped_to_the_callers_projects(client: TestClient, world: World) -> None:
    everyone = client.get("/api/v1/alerts?limit=500", headers=world.headers("inspector")).json()
    codes = {item["project_code"] for item in everyone["items"]}
    assert codes == {"P1", "P2"}
    assert everyone["total"] == len(everyone["items"])
    for user, expected in (("inspector_heping", {"P1"}), ("contractor2", {"P2"})):
        page = client.get("/api/v1/alerts?limit=500", headers=world.headers(user)).json()
        assert {item["project_code"] for item in page["items"]} == expected


def test_detail_outside_scope_is_404(client: TestClient, world: World) -> None:
    own, other = world.alerts["P1"][0], world.alerts["P2"][0]
    headers = world.headers("contractor1")
    assert client.get(f"/api/v1/alerts/{own}", headers=headers).status_code == 200
    missing = client.get(f"/api/v1/alerts/{other}", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_acknowledge_then_a_stale_version_conflicts(client: TestClient, world: World) -> None:
    alert_id = world.alerts["P1"][0]
    headers = world.headers("inspector")
    seen = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).json()
    body = {"action": "acknowledge", "reason": "核查中", "version": seen["version"]}
    done = client.post(f"/api/v1/alerts/{alert_id}/actions", json=body, headers=headers)
    assert done.status_code == 200, done.text
    after = done.json()
    assert after["status"] == "acknowledged"
    assert after["version"] == seen["version"] + 1
    assert after["events"][-1]["actor"] == "inspector"
    assert after["events"][-1]["reason"] == "核查中"
    stale = client.post(f"/api/v1/alerts/{alert_id}/actions", json=body, headers=headers)
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"


def test_an_action_needs_a_reason(client: TestClient, world: World) -> None:
    alert_id = world.alerts["P1"][0]
    body = {"action": "comment", "reason": "   ", "version": 1}
    answer = client.post(
        f"/api/v1/alerts/{alert_id}/actions", json=body, headers=world.headers("inspector")
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_input"


def test_contractor_may_not_triage_or_export(client: TestClient, world: World) -> None:
    headers = world.headers("contractor1")
    alert_id = world.alerts["P1"][0]
    body = {"action": "resolve", "reason": "paid", "version": 1}
    assert (
        client.post(f"/api/v1/alerts/{alert_id}/actions", json=body, headers=headers).status_code
        == 403
    )
    assert client.get("/api/v1/alerts/export", headers=headers).status_code == 403


def test_csv_export_is_masked_and_defanged(client: TestClient, world: World, engine) -> None:
    import sqlalchemy as sa

    from wage_guard.models import Project

    with engine.begin() as conn:
        conn.execute(sa.update(Project).where(Project.code == "P1").values(name="=HYPERLINK(1)"))
    answer = client.get("/api/v1/alerts/export?format=csv", headers=world.headers("inspector"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    names = [row[header.index("项目名称 project name")] for row in body]
    assert "'=HYPERLINK(1)" in names
    assert len(body) == sum(len(ids) for ids in world.alerts.values())


def test_xlsx_export_follows_the_filters(client: TestClient, world: World) -> None:
    answer = client.get(
        "/api/v1/alerts/export?format=xlsx&project=P2", headers=world.headers("inspector")
    )
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    codes = {row[4] for row in rows[1:]}
    assert codes == {"P2"}
    assert len(rows) - 1 == len(world.alerts["P2"])


def test_page_size_is_bounded(client: TestClient, world: World) -> None:
    answer = client.get("/api/v1/alerts?limit=501", headers=world.headers("inspector"))
    assert answer.status_code == 422


def test_queue_filters_are_read_as_documented(client: TestClient, world: World) -> None:
    """Repeated filters make a list, an unknown or invalid one is 422 at its name, and the
    same query string asked twice is read the same way."""
    headers = world.headers("inspector")

    def items(query: str) -> list[dict[str, object]]:
        answer = client.get(f"/api/v1/alerts?{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    every = items("status=all&limit=500")
    reds = items("level=red&status=all&limit=500")
    assert {item["level"] for item in reds} <= {"red"}
    both = items("level=red&level=yellow&status=all&limit=500")
    assert len(both) == sum(1 for item in every if item["level"] in ("red", "yellow"))
    assert items("level=red&level=yellow&status=all&limit=500") == both
    for query, where in (
        ("limit=0", "query.limit"),
        ("level=purple", "query.level.0"),
        ("sort=worst", "query.sort"),
        ("month_from=2026-13", "query.month_from"),
        ("colour=red", "query.colour"),
    ):
        answer = client.get(f"/api/v1/alerts?{query}", headers=headers)
        assert answer.status_code == 422, query
        error = answer.json()["error"]
        assert error["code"] == "invalid_input"
        assert error["message"].startswith(f"{where}:"), (query, error["message"])


def test_unknown_or_revoked_token_is_401(client: TestClient, world: World, engine) -> None:
    assert client.get("/api/v1/alerts").status_code == 401
    bad = client.get("/api/v1/alerts", headers={"Authorization": "Bearer wg_nope"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "unauthorized"
    from wage_guard.auth.service import get_user, revoke_tokens
    from wage_guard.db import make_session_factory

    # Known, and so remembered, before it is revoked: refused at the very next request.
    assert client.get("/api/v1/alerts", headers=world.headers("inspector")).status_code == 200
    with make_session_factory(engine)() as session, session.begin():
        revoke_tokens(session, user=get_user(session, name="inspector"))
    assert client.get("/api/v1/alerts", headers=world.headers("inspector")).status_code == 401


def test_a_disabled_user_is_refused_at_once(client: TestClient, world: World, engine) -> None:
    from wage_guard.auth.orm import User
    from wage_guard.db import utcnow

    headers = world.headers("contractor1")
    assert client.get("/api/v1/alerts", headers=headers).status_code == 200
    with engine.begin() as conn:
        conn.execute(sa.update(User).where(User.name == "contractor1").values(disabled_at=utcnow()))
    assert client.get("/api/v1/alerts", headers=headers).status_code == 401


def test_the_queue_page_follows_every_change(client: TestClient, world: World, engine) -> None:
    """The queue's pages are remembered between requests, yet a reader sees each change at
    its next request: an action, a project renamed, a project moved out of a scope."""
    from wage_guard.models import Project

    headers = world.headers("inspector")

    def queue(user: str = "inspector") -> dict[str, dict[str, object]]:
        answer = client.get("/api/v1/alerts?limit=500", headers=world.headers(user))
        return {str(item["id"]): item for item in answer.json()["items"]}

    alert_id = world.alerts["P1"][0]
    assert queue()[str(alert_id)]["status"] == "open"
    version = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).json()["version"]
    body = {"action": "acknowledge", "reason": "核查中", "version": version}
    client.post(f"/api/v1/alerts/{alert_id}/actions", json=body, headers=headers)
    assert queue()[str(alert_id)]["status"] == "acknowledged"

    assert {item["project_code"] for item in queue("inspector_heping").values()} == {"P1"}
    with engine.begin() as conn:
        conn.execute(sa.update(Project).where(Project.code == "P1").values(name="改名工程"))
    assert queue()[str(alert_id)]["project_name"] == "改名工程"
    with engine.begin() as conn:
        conn.execute(sa.update(Project).where(Project.code == "P1").values(district="河西区"))
    assert queue("inspector_heping") == {}


def test_totals_follow_every_change(client: TestClient, world: World) -> None:
    """The queue's total is remembered between requests, yet moves with each change."""
    headers = world.headers("inspector")

    def total(query: str) -> int:
        return int(client.get(f"/api/v1/alerts?{query}", headers=headers).json()["total"])

    before_open, before_closed = total("status=open"), total("status=closed")
    assert total("status=open") == before_open
    alert_id = world.alerts["P2"][0]
    version = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).json()["version"]
    body = {"action": "resolve", "reason": "已支付", "version": version}
    assert (
        client.post(f"/api/v1/alerts/{alert_id}/actions", json=body, headers=headers).status_code
        == 200
    )
    assert total("status=open") == before_open - 1
    assert total("status=closed") == before_closed + 1


def test_a_remembered_queue_page_is_answered_on_the_event_loop(
    client: TestClient, world: World, monkeypatch
) -> None:
    """Asked again with nothing changed, the queue answers from what it remembers, without
    a worker thread or a session; after an action it reads again. A role that may not read
    the queue is refused either way."""
    from wage_guard.alerts import router

    reads: list[str] = []
    read_page = router._read_queue_page

    def counted(caller, page, key):  # type: ignore[no-untyped-def]
        reads.append(str(page.limit))
        return read_page(caller, page, key)

    monkeypatch.setattr(router, "_read_queue_page", counted)
    headers = world.headers("inspector")
    first = client.get("/api/v1/alerts?limit=7", headers=headers)
    again = client.get("/api/v1/alerts?limit=7", headers=headers)
    assert again.json() == first.json()
    assert reads == ["7"]

    alert_id = first.json()["items"][0]["id"]
    version = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).json()["version"]
    body = {"action": "comment", "reason": "已电话联系", "version": version}
    assert client.post(f"/api/v1/alerts/{alert_id}/actions", json=body, headers=headers).is_success
    client.get("/api/v1/alerts?limit=7", headers=headers)
    assert reads == ["7", "7"]

    for _ in range(2):
        refused = client.get("/api/v1/alerts", headers=world.headers("bank1"))
        assert refused.status_code == 403
