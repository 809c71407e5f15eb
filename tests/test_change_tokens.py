"""Change tokens: every write to an area's tables renews the area's token, in the writer's
transaction, and what is remembered under a token is never served past a change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.scan.builders import credit_code, load
from wage_guard.auth.service import create_user, issue_token
from wage_guard.db import make_session_factory
from wage_guard.db.changes import ACCESS, ALERT_STORE, Remembered, TokenReader, change_token
from wage_guard.models import Alert, AlertEvent, ApiToken, Enterprise, PayrollLine, Project, User

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _tokens(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT area, token FROM change_tokens")).all())


def _open_alert(rule: str, project_id: int) -> dict[str, object]:
    """The columns of an open alert of ``rule`` on the project (its open key aside)."""
    return {
        "rule_id": rule,
        "project_id": project_id,
        "fingerprint": f"{rule}:P1",
        "level": "red",
        "status": "open",
        "first_seen": NOW,
        "last_seen": NOW,
        "evidence": {},
        "message_zh": "",
        "message_en": "",
    }


@pytest.fixture
def loaded(engine: sa.Engine) -> dict[str, int]:
    """One project with an alert and its first event, and a user with a token."""
    ids = load(engine, {"projects": [{"code": "P1"}]})
    with make_session_factory(engine)() as session, session.begin():
        alert = Alert(**_open_alert("r", ids["P1"]), open_key="r:P1")
        session.add(alert)
        session.flush()
        session.add(AlertEvent(alert_id=alert.id, at=NOW, actor="system", action="opened"))
        user = create_user(session, name="inspector", role="inspector")
        issue_token(session, user=user)
        session.flush()
        ids.update(alert=alert.id, user=user.id)
    return ids


Write = Callable[[sa.Connection, dict[str, int]], object]
WRITES: dict[str, tuple[str | None, Write]] = {
    "an alert seen again": (
        ALERT_STORE,
        lambda c, ids: c.execute(sa.update(Alert).values(last_seen=datetime.now(UTC))),
    ),
    "an alert's event": (
        ALERT_STORE,
        lambda c, ids: c.execute(
            sa.insert(AlertEvent).values(
                alert_id=ids["alert"], at=NOW, actor="a", action="commented", details={}
            )
        ),
    ),
    "a new alert": (
        ALERT_STORE,
        lambda c, ids: c.execute(sa.insert(Alert).values(**_open_alert("r2", ids["P1"]))),
    ),
    "a project renamed": (
        ALERT_STORE,
        lambda c, ids: c.execute(sa.update(Project).values(name="新名称")),
    ),
    "an enterprise's credit code": (
        ALERT_STORE,
        lambda c, ids: c.execute(
            sa.update(Enterprise)
            .where(Enterprise.id == sa.select(Project.contractor_id).scalar_subquery())
            .values(credit_code=credit_code(99))
        ),
    ),
    "a user disabled": (
        ACCESS,
        lambda c, ids: c.execute(sa.update(User).values(disabled_at=NOW)),
    ),
    "a token revoked": (
        ACCESS,
        lambda c, ids: c.execute(sa.update(ApiToken).values(revoked_at=NOW)),
    ),
    "a token's last use recorded": (
        None,
        lambda c, ids: c.execute(sa.update(ApiToken).values(last_used_at=NOW)),
    ),
    "a payroll line": (
        None,
        lambda c, ids: c.execute(sa.delete(PayrollLine)),
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_renews_its_areas_token_only(
    engine: sa.Engine, loaded: dict[str, int], write: str
) -> None:
    area, statement = WRITES[write]
    before = _tokens(engine)
    with engine.begin() as conn:
        statement(conn, loaded)
    after = _tokens(engine)
    for name in (ALERT_STORE, ACCESS):
        assert (after[name] != before[name]) is (name == area), name


def test_a_rolled_back_write_leaves_the_token(engine: sa.Engine, loaded: dict[str, int]) -> None:
    before = _tokens(engine)
    with engine.connect() as conn:
        conn.execute(sa.update(Project).values(name="不算"))
        conn.rollback()
    assert _tokens(engine) == before


def test_a_transaction_sees_its_own_write_renew_the_token(
    engine: sa.Engine, loaded: dict[str, int]
) -> None:
    """The token a transaction read is forgotten when it writes, so nothing it reads after
    its own write is remembered under the token from before."""
    with make_session_factory(engine)() as session, session.begin():
        first = change_token(session, ALERT_STORE)
        assert change_token(session, ALERT_STORE) == first
        session.execute(sa.update(Project).values(name="改名"))
        assert change_token(session, ALERT_STORE) != first


def test_a_write_undone_by_a_savepoint_does_not_spend_the_renewal(
    engine: sa.Engine, loaded: dict[str, int]
) -> None:
    """A write rolled back to a savepoint takes its renewal with it; the next write of the
    transaction renews the token again, so the commit shows a new one."""
    before = _tokens(engine)[ALERT_STORE]
    with engine.begin() as conn:
        savepoint = conn.begin_nested()
        conn.execute(sa.update(Project).values(name="撤销"))
        savepoint.rollback()
        conn.execute(sa.update(Project).values(name="保留"))
    assert _tokens(engine)[ALERT_STORE] != before


def _remembered_project_name() -> Callable[[Session], str]:
    """The one project's name, remembered under the alert store's token."""
    remembered: Remembered[str] = Remembered(ALERT_STORE, capacity=10)

    def project_name(session: Session) -> str:
        return remembered.get(
            session, "P1", lambda: session.execute(sa.select(Project.name)).scalar_one()
        )

    return project_name


def test_a_transaction_that_wrote_keeps_nothing(engine: sa.Engine, loaded: dict[str, int]) -> None:
    """What a transaction reads after its own write is not yet anyone else's: neither taken
    from nor kept in what is remembered."""
    name = _remembered_project_name()
    factory = make_session_factory(engine)
    with factory() as session:
        original = name(session)
    with factory() as session, session.begin():
        session.execute(sa.update(Project).values(name="未提交"))
        assert name(session) == "未提交"
        session.rollback()
    with factory() as session:
        assert name(session) == original
    # Read between two writes of one transaction: the first write's token outlives the
    # second on PostgreSQL, so what was read in between must not be kept under it.
    with factory() as session, session.begin():
        session.execute(sa.update(Project).values(name="第一次"))
        assert name(session) == "第一次"
        session.execute(sa.update(Project).values(name="第二次"))
    with factory() as session:
        assert name(session) == "第二次"


def test_remembered_until_the_area_changes(engine: sa.Engine, loaded: dict[str, int]) -> None:
    project_name = _remembered_project_name()
    factory = make_session_factory(engine)
    with factory() as session:
        original = project_name(session)
    with engine.begin() as conn:
        # A write outside the area does not forget it ...
        conn.execute(sa.update(ApiToken).values(revoked_at=NOW))
    with factory() as session:
        assert project_name(session) == original
    with engine.begin() as conn:
        conn.execute(sa.update(Project).values(name="新名称"))
    with factory() as session:
        assert project_name(session) == "新名称"


def test_remembered_keeps_within_capacity(engine: sa.Engine, loaded: dict[str, int]) -> None:
    remembered: Remembered[str] = Remembered(ALERT_STORE, capacity=5, weigh=len)
    calls: list[str] = []

    def value(text: str) -> Callable[[], str]:
        return lambda: calls.append(text) or text

    with make_session_factory(engine)() as session:
        assert remembered.get(session, "a", value("abc")) == "abc"
        assert remembered.get(session, "b", value("de")) == "de"
        assert remembered.get(session, "a", value("abc")) == "abc"
        # "f" pushes out the least recently used, "b"; a value heavier than all is not kept.
        assert remembered.get(session, "c", value("f")) == "f"
        assert remembered.get(session, "b", value("de")) == "de"
        remembered.get(session, "huge", value("x" * 6))
        remembered.get(session, "huge", value("x" * 6))
        assert remembered.get(session, "a", value("abc")) == "abc"
    assert calls == ["abc", "de", "f", "de", "x" * 6, "x" * 6, "abc"]


def test_an_idle_connection_to_a_restarted_server_is_replaced(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pooled PostgreSQL connection whose backend is gone is pinged and replaced before a
    request uses it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's pool")
    from wage_guard.db import engine as engines

    with engine.connect() as conn:
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    killer = sa.create_engine(engine.url)
    with killer.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
    killer.dispose()
    monkeypatch.setattr(engines, "PING_AFTER_IDLE", 0.0)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend


class _GatedReader(TokenReader):
    """A reader whose reads wait for the test to let each one finish, numbered in order."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        self.reads = 0
        self.gates: list[asyncio.Event] = []

    async def _fetch(self) -> list[tuple[Any, ...]]:
        self.reads += 1
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        return [(ACCESS, str(self.reads))]


def test_a_read_under_way_serves_only_those_who_came_before_it(engine: sa.Engine) -> None:
    """A request that arrives while the tokens are being read waits for the next read, which
    every such request shares: it may have missed a write committed just before it came."""

    async def scenario() -> None:
        reader = _GatedReader(engine)
        first = asyncio.create_task(reader.read())
        await asyncio.sleep(0)
        later = [asyncio.create_task(reader.read()) for _ in range(3)]
        await asyncio.sleep(0)
        assert reader.reads == 1
        reader.gates[0].set()
        assert (await first) == {ACCESS: "1"}
        while reader.reads < 2:
            await asyncio.sleep(0)
        later[0].cancel()  # a client gone away does not cancel the others' read
        reader.gates[1].set()
        assert [await task for task in later[1:]] == [{ACCESS: "2"}, {ACCESS: "2"}]
        assert reader.reads == 2

    asyncio.run(scenario())


def test_the_token_reader_sees_each_committed_write(
    engine: sa.Engine, loaded: dict[str, int]
) -> None:
    async def scenario() -> None:
        reader = TokenReader(engine)
        try:
            before = await reader.read()
            assert before == _tokens(engine)
            with engine.begin() as conn:
                conn.execute(sa.update(Project).values(name="新名称"))
            after = await reader.read()
            assert after == _tokens(engine)
            assert after is not None and before is not None
            assert after[ALERT_STORE] != before[ALERT_STORE]
            assert after[ACCESS] == before[ACCESS]
        finally:
            reader.close()

    asyncio.run(scenario())


def test_the_token_reader_reconnects_after_its_backend_is_gone(engine: sa.Engine) -> None:
    """A read on a connection the server dropped gives None (the request takes its usual
    path); the next read opens a new connection."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the reader's own PostgreSQL connection")

    async def scenario() -> None:
        reader = TokenReader(engine)
        try:
            assert await reader.read() == _tokens(engine)
            assert reader._connection is not None
            backend = reader._connection.info.backend_pid
            with engine.connect() as conn:
                conn.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
            assert await reader.read() is None
            assert await reader.read() == _tokens(engine)
            assert reader._connection.info.backend_pid != backend
        finally:
            reader.close()

    asyncio.run(scenario())
