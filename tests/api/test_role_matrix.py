"""Every route with every role: allowed, forbidden (403) and out of scope (404).

The routes come from the app's OpenAPI schema: a route without an entry in ``ROUTES`` fails
the test, so that no new route can skip it (RELIABILITY 22, 23). For every route and user:
a role without the route's permission gets 403 whatever the object; with it, an object in
the caller's scope answers one of the route's success codes, and for callers limited to
P1 or P2 the other project's object answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.conftest import USERS, World
from tests.scan.builders import worker_id
from wage_guard.auth.schemas import Permission
from wage_guard.auth.service import Principal, get_user
from wage_guard.db import make_session_factory
from wage_guard.masking import mask_id_number
from wage_guard.models import Alert, ImportBatch, ScanRun

# Callers whose scope holds only one of the two projects, and that project.
OWN_PROJECT = {"inspector_heping": "P1", "contractor1": "P1", "contractor2": "P2"}
OTHER = {"P1": "P2", "P2": "P1"}
# The worker on each project's roster and payroll.
WORKER = {"P1": 1, "P2": 3}


@dataclass
class Call:
    """What a request of a route carries, for an object of ``project`` and ``user``."""

    path: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    files: dict[str, Any] | None = None


@dataclass
class Route:
    """How to call a route, who may, and what its success is."""

    permission: Permission | None  # None: any caller with a token
    scope: str | None = None  # "project": its object belongs to a project; "import": a batch
    ok: frozenset[int] = frozenset({200})
    call: Callable[[Fixture, str, str], Call] = lambda fixture, project, user: Call()
    public: bool = False


@dataclass
class Fixture:
    """The world and the objects the routes need: an alert and a batch per project or user."""

    world: World
    engine: sa.Engine
    batches: dict[str, int]
    tmp_path: Path

    def alert(self, project: str) -> tuple[int, int]:
        alert_id = self.world.alerts[project][0]
        with self.engine.connect() as conn:
            version = conn.execute(sa.select(Alert.version).where(Alert.id == alert_id)).scalar()
        return alert_id, int(version or 1)


def _action(fixture: Fixture, project: str, user: str) -> Call:
    alert_id, version = fixture.alert(project)
    return Call(
        path={"alert_id": alert_id},
        json={"action": "comment", "reason": f"{user} 核查", "version": version},
    )


def _reveal(fixture: Fixture, project: str, user: str) -> Call:
    worker = WORKER[project]
    return Call(
        path={"code": project},
        json={
            "id_number_masked": mask_id_number(worker_id(worker)),
            "name": f"工人{worker}",
            "reason": "核实身份",
        },
    )


def _payroll_upload(fixture: Fixture, project: str, user: str) -> Call:
    body = (
        "project_code,month,id_number,worker_name,wage_payable,wage_paid,paid_on\n"
        f"{project},2026-02,{worker_id(WORKER[project])},工人{WORKER[project]},6000,6000,"
        "2026-03-10\n"
    )
    return Call(
        path={"kind": "payroll"},
        params={"dry_run": "true"},
        files={"file": (f"{user}-payroll.csv", body.encode(), "text/csv")},
    )


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/api/v1/version"): Route(None, public=True),
    ("GET", "/api/v1/healthz"): Route(None, public=True),
    ("GET", "/api/v1/metrics"): Route(None, public=True),
    ("GET", "/api/v1/me"): Route(None),
    ("GET", "/api/v1/alerts"): Route(Permission.READ_ALERTS),
    ("GET", "/api/v1/alerts/export"): Route(Permission.EXPORT),
    ("GET", "/api/v1/alerts/{alert_id}"): Route(
        Permission.READ_ALERTS,
        scope="project",
        call=lambda fixture, project, user: Call(path={"alert_id": fixture.alert(project)[0]}),
    ),
    ("POST", "/api/v1/alerts/{alert_id}/actions"): Route(
        Permission.TRIAGE, scope="project", call=_action
    ),
    ("GET", "/api/v1/projects"): Route(Permission.READ_PROJECTS),
    ("GET", "/api/v1/projects/{code}"): Route(
        Permission.READ_PROJECTS,
        scope="project",
        call=lambda fixture, project, user: Call(path={"code": project}),
    ),
    ("POST", "/api/v1/projects/{code}/workers/reveal"): Route(
        Permission.REVEAL, scope="project", call=_reveal
    ),
    ("POST", "/api/v1/imports/{kind}"): Route(
        Permission.IMPORT_PAYROLL, ok=frozenset({200}), call=_payroll_upload
    ),
    ("GET", "/api/v1/imports"): Route(Permission.READ_IMPORTS),
    ("GET", "/api/v1/imports/{batch_id}"): Route(
        Permission.READ_IMPORTS,
        scope="import",
        call=lambda fixture, project, user: Call(path={"batch_id": fixture.batches[user]}),
    ),
    ("GET", "/api/v1/imports/{batch_id}/errors.csv"): Route(
        Permission.READ_IMPORTS,
        scope="import",
        call=lambda fixture, project, user: Call(path={"batch_id": fixture.batches[user]}),
    ),
    ("GET", "/api/v1/rules"): Route(Permission.READ_RULES),
    ("POST", "/api/v1/scans"): Route(
        Permission.RUN_SCANS,
        ok=frozenset({202, 409}),
        call=lambda fixture, project, user: Call(json={"as_of": "2026-03-01"}),
    ),
    ("GET", "/api/v1/scans"): Route(Permission.READ_SCANS),
    ("GET", "/api/v1/scans/{run_id}"): Route(
        Permission.READ_SCANS,
        call=lambda fixture, project, user: Call(path={"run_id": fixture.batches["scan_run"]}),
    ),
}


def _openapi_routes(client: TestClient) -> set[tuple[str, str]]:
    schema = client.get("/openapi.json").json()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    assert _openapi_routes(client) == set(ROUTES)


@pytest.fixture
def fixture(world: World, engine: sa.Engine, tmp_path: Path) -> Fixture:
    """A recorded import batch of each user (and of none), and the world's scan run."""
    batches: dict[str, int] = {}
    with engine.begin() as conn:
        for user in USERS:
            batches[user] = conn.execute(
                sa.insert(ImportBatch)
                .values(
                    kind="payroll",
                    file_name=f"{user}.csv",
                    file_sha256=f"{len(batches):064d}",
                    status="imported",
                    submitted_by=user,
                )
                .returning(ImportBatch.id)
            ).scalar_one()
        batches["scan_run"] = conn.execute(sa.select(sa.func.max(ScanRun.id))).scalar_one()
    return Fixture(world=world, engine=engine, batches=batches, tmp_path=tmp_path)


def _principal(engine: sa.Engine, user: str) -> Principal:
    with make_session_factory(engine)() as session:
        return Principal.of(get_user(session, name=user))


def _send(client: TestClient, method: str, template: str, call: Call, token: str | None) -> int:
    path = template.format(**call.path)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = client.request(
        method, path, params=call.params, json=call.json, files=call.files, headers=headers
    )
    if answer.status_code >= 400:
        assert set(answer.json()) == {"error"}, answer.text
    return answer.status_code


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda key: f"{key[0]} {key[1]}")
def test_route_with_every_role(
    client: TestClient, fixture: Fixture, engine: sa.Engine, route: tuple[str, str]
) -> None:
    method, template = route
    spec = ROUTES[route]
    if spec.public:
        assert _send(client, method, template, spec.call(fixture, "P1", "admin"), None) in (
            spec.ok | {503}
        )
        return
    own_call = spec.call(fixture, "P1", "admin")
    assert _send(client, method, template, own_call, None) == 401
    for user in USERS:
        principal = _principal(engine, user)
        token = fixture.world.tokens[user]
        own = OWN_PROJECT.get(user, "P1")
        allowed = spec.permission is None or principal.can(spec.permission)
        status = _send(client, method, template, spec.call(fixture, own, user), token)
        expected = spec.ok if allowed else {403}
        assert status in expected, f"{user} on {method} {template}: {status}, not {expected}"
        if not allowed:
            continue
        if spec.scope == "project" and user in OWN_PROJECT:
            other = OTHER[own]
            status = _send(client, method, template, spec.call(fixture, other, user), token)
            assert status == 404, f"{user} on {other}'s {method} {template}: {status}"
        if spec.scope == "import" and not principal.sees_every_import:
            other = "contractor2" if user != "contractor2" else "contractor1"
            foreign = spec.call(fixture, own, other)
            status = _send(client, method, template, foreign, token)
            assert status == 404, f"{user} on {other}'s batch {method} {template}: {status}"


def test_a_contractor_sees_nothing_of_another_contractors_project(
    client: TestClient, fixture: Fixture
) -> None:
    """contractor1 reads every route it may; no answer names P2 or anything of it."""
    token = fixture.world.tokens["contractor1"]
    principal = _principal(fixture.engine, "contractor1")
    foreign = ("P2", "河西大厦", "河西银行", mask_id_number(worker_id(WORKER["P2"])))
    read = 0
    for (method, template), spec in ROUTES.items():
        if method != "GET" or (spec.permission and not principal.can(spec.permission)):
            continue
        call = spec.call(fixture, "P1", "contractor1")
        answer = client.get(
            template.format(**call.path),
            params=call.params,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, f"{template}: {answer.status_code}"
        body = answer.content.decode("utf-8", errors="replace")
        assert not [text for text in foreign if text in body], template
        read += 1
    assert read >= 6
