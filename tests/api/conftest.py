"""A small world for the API: two districts, two contractors, two banks, alerts from a real
scan, and a user with a token for every role and scope; a client over real HTTP semantics.

P1 (和平区, contractor 1, bank 测试银行) and P2 (河西区, contractor 2, bank 河西银行) each
left January's wages unpaid, so each has alerts; every id-bearing route can be called with
an object of the caller's own and one of someone else's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.scan.builders import credit_code, load
from wage_guard.app import create_app
from wage_guard.auth.service import create_user, issue_token
from wage_guard.config import Settings
from wage_guard.context import AppContext
from wage_guard.db import make_session_factory
from wage_guard.identity import id_number_problem
from wage_guard.models import Alert, Project, WageAccount
from wage_guard.scan.rules import load_rules
from wage_guard.scan.service import run_scan

AS_OF = date(2026, 3, 1)

WORLD = {
    "projects": [
        {"code": "P1", "name": "和平花园", "district": "和平区", "contractor": 1},
        {"code": "P2", "name": "河西大厦", "district": "河西区", "contractor": 2},
    ],
    "roster": [
        {"project": "P1", "month": "2026-01", "worker": 1},
        {"project": "P1", "month": "2026-01", "worker": 2},
        {"project": "P2", "month": "2026-01", "worker": 3},
    ],
    "payroll": [
        {"project": "P1", "month": "2026-01", "worker": 1, "payable": "6000", "paid": "0"},
        {"project": "P1", "month": "2026-01", "worker": 2, "payable": "6000", "paid": "0"},
        {"project": "P2", "month": "2026-01", "worker": 3, "payable": "6000", "paid": "0"},
    ],
    "transactions": [
        {"project": "P1", "date": "2026-01-05", "kind": "labor_cost", "amount": "20000"},
        {"project": "P2", "date": "2026-01-05", "kind": "labor_cost", "amount": "20000"},
    ],
}

# Who calls: name -> (role, scope keyword arguments of ``create_user``).
USERS: dict[str, tuple[str, dict[str, object]]] = {
    "admin": ("admin", {}),
    "inspector": ("inspector", {}),
    "inspector_heping": ("inspector", {"districts": ["和平区"]}),
    "inspector_reveal": ("inspector", {"can_reveal": True}),
    "contractor1": ("contractor", {"credit_codes": [credit_code(1)]}),
    "contractor2": ("contractor", {"credit_codes": [credit_code(2)]}),
    "bank1": ("bank", {"banks": ["测试银行"]}),
    "bank2": ("bank", {"banks": ["河西银行"]}),
}

# 18 characters shaped like a resident ID (masked ones carry asterisks and never match).
_ID_SHAPED = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def full_id_numbers(text: str) -> list[str]:
    """Every valid resident ID in ``text`` in full (a credit code's digits are no ID)."""
    return [m for m in _ID_SHAPED.findall(text) if id_number_problem(m.upper()) is None]


@dataclass
class World:
    """The loaded world: project ids by code, alert ids by project code, tokens by user."""

    projects: dict[str, int]
    alerts: dict[str, list[int]]
    tokens: dict[str, str]

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def add_users(session: Session) -> dict[str, str]:
    """A user and a token for each of ``USERS``; returns name -> token."""
    tokens = {}
    for name, (role, scope) in USERS.items():
        user = create_user(session, name=name, role=role, **scope)  # type: ignore[arg-type]
        tokens[name] = issue_token(session, user=user)
    return tokens


@pytest.fixture
def world(engine: sa.Engine) -> World:
    projects = load(engine, WORLD)
    with engine.begin() as conn:
        conn.execute(
            sa.update(WageAccount)
            .where(WageAccount.project_id == projects["P2"])
            .values(bank="河西银行")
        )
    summary = run_scan(engine, as_of=AS_OF, rules=load_rules())
    assert summary.status == "succeeded"
    with make_session_factory(engine)() as session, session.begin():
        tokens = add_users(session)
        found = session.execute(
            sa.select(Project.code, Alert.id).join(Project).order_by(Alert.id)
        ).all()
    alerts: dict[str, list[int]] = {}
    for code, alert_id in found:
        alerts.setdefault(code, []).append(alert_id)
    assert alerts.get("P1") and alerts.get("P2")
    return World(projects=projects, alerts=alerts, tokens=tokens)


class CheckedClient(TestClient):
    """A test client that fails the test when any response carries a full ID number
    (RELIABILITY 24), except the reveal endpoint, whose purpose it is."""

    def request(self, method: str, url: str, *args: object, **kwargs: object):  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
        if "/reveal" not in str(url):
            found = full_id_numbers(response.content.decode("utf-8", errors="replace"))
            assert not found, f"{method} {url} answered a full ID number: {found[0]}"
        return response


@pytest.fixture
def app_settings(db_url: str, tmp_path: object) -> Settings:
    return Settings(database_url=db_url)


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    """A client of the app over the test database; every response is checked for IDs."""
    context = AppContext(app_settings)
    with CheckedClient(create_app(context), raise_server_exceptions=False) as test_client:
        yield test_client
    context.close()
