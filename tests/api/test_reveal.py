"""The reveal of a worker's full ID number and bank card (RELIABILITY 23, 24): only an
inspector granted reveal or an admin, within scope, with a reason, and logged."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.scan.builders import worker_id
from wage_guard.masking import mask_id_number
from wage_guard.models import AccessLog, PayrollLine, RosterEntry, User, Worker

URL = "/api/v1/projects/{code}/workers/reveal"


def _body(worker: int, reason: str = "核查欠薪投诉") -> dict[str, str]:
    return {
        "id_number_masked": str(mask_id_number(worker_id(worker))),
        "name": f"工人{worker}",
        "reason": reason,
    }


def _log(engine: sa.Engine) -> list[tuple[Any, ...]]:
    """The access log: who, action, object type and id, reason, details; oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                User.name,
                AccessLog.action,
                AccessLog.object_type,
                AccessLog.object_id,
                AccessLog.reason,
                AccessLog.details,
            )
            .join(User, User.id == AccessLog.user_id)
            .order_by(AccessLog.id)
        ).all()
    return [tuple(row) for row in rows]


def test_reveal_answers_in_full_and_is_logged(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    for user, worker, code in (("inspector_reveal", 1, "P1"), ("admin", 3, "P2")):
        answer = client.post(URL.format(code=code), json=_body(worker), headers=world.headers(user))
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "project_code": code,
            "name": f"工人{worker}",
            "id_number": worker_id(worker),
            "bank_cards": [f"6222{worker:015d}"],
        }
    masked = [mask_id_number(worker_id(n)) for n in (1, 3)]
    assert _log(engine) == [
        ("inspector_reveal", "reveal", "worker", masked[0], "核查欠薪投诉", {"project": "P1"}),
        ("admin", "reveal", "worker", masked[1], "核查欠薪投诉", {"project": "P2"}),
    ]


def test_roles_without_reveal_get_403(client: TestClient, world: World, engine: sa.Engine) -> None:
    for user in ("inspector", "inspector_heping", "contractor1", "bank1"):
        answer = client.post(URL.format(code="P1"), json=_body(1), headers=world.headers(user))
        assert answer.status_code == 403, user
        assert answer.json()["error"]["code"] == "forbidden"
    assert _log(engine) == []


def test_unknown_worker_project_or_wrong_name_is_404(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    headers = world.headers("inspector_reveal")
    wrong_name = {**_body(1), "name": "工人2"}
    for code, body in (
        ("P2", _body(1)),
        ("P1", _body(3)),
        ("NOPE", _body(1)),
        ("P1", wrong_name),
        ("P1", _body(99)),
    ):
        answer = client.post(URL.format(code=code), json=body, headers=headers)
        assert answer.status_code == 404, (code, body)
        assert answer.json()["error"]["code"] == "not_found"
    assert _log(engine) == []


def test_project_outside_the_callers_scope_is_404(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(User).where(User.name == "inspector_reveal").values(districts=["和平区"])
        )
    headers = world.headers("inspector_reveal")
    assert client.post(URL.format(code="P2"), json=_body(3), headers=headers).status_code == 404
    assert client.post(URL.format(code="P1"), json=_body(1), headers=headers).status_code == 200


def test_a_mask_that_fits_two_workers_is_409(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    """Two IDs differing only in the hidden digits, under one name, cannot be told apart."""
    first = worker_id(1)
    twin = f"{first[:6]}19900101{first[-4:]}"
    with engine.begin() as conn:
        batch_id = conn.execute(sa.select(RosterEntry.batch_id).limit(1)).scalar_one()
        conn.execute(sa.insert(Worker).values(id_number=twin, name="工人1"))
        conn.execute(
            sa.insert(PayrollLine).values(
                project_id=world.projects["P1"],
                month="2026-01",
                id_number=twin,
                worker_name="工人1",
                wage_payable=0,
                wage_paid=0,
                batch_id=batch_id,
            )
        )
    answer = client.post(
        URL.format(code="P1"), json=_body(1), headers=world.headers("inspector_reveal")
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "conflict"
    assert "2 workers" in answer.json()["error"]["message"]
    assert _log(engine) == []


def test_a_reveal_needs_a_reason_and_a_mask(client: TestClient, world: World) -> None:
    headers = world.headers("inspector_reveal")
    for body in (
        _body(1, reason="   "),
        _body(1, reason=""),
        _body(1, reason="核查\x00"),
        {key: value for key, value in _body(1).items() if key != "reason"},
        {**_body(1), "id_number_masked": worker_id(1)},
        {**_body(1), "id_number_masked": "120101%%%%%%%%123X"},
        {**_body(1), "name": " "},
        {**_body(1), "extra": "x"},
    ):
        answer = client.post(URL.format(code="P1"), json=body, headers=headers)
        assert answer.status_code == 422, body
        assert answer.json()["error"]["code"] == "invalid_input"
