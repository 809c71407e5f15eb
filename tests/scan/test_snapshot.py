"""One snapshot on several connections, and extracts computed ahead by a helper thread on it
(RELIABILITY.md 2: every rule of a run sees the data as the scan began)."""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import date

import pandas as pd
import sqlalchemy as sa

from tests.scan.builders import load
from wage_guard.scan.context import ScanContext
from wage_guard.scan.snapshot import read_snapshot

COUNT = "SELECT COUNT(*) FROM minimum_wages"


def test_every_connection_of_a_snapshot_sees_the_same_commit(engine: sa.Engine) -> None:
    """Another connection commits all the while: the main connection and both helpers of
    each snapshot still count the same rows, and they keep them until the snapshot ends."""
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO minimum_wages (region, effective_from, monthly) "
                        "VALUES (:region, '2026-01-01', 3000)"
                    ),
                    {"region": f"R{n}"},
                )
            stop.wait(0.005)

    writer = threading.Thread(target=write)
    writer.start()
    shared = 0
    try:
        for _ in range(40):
            with read_snapshot(engine, helpers=2) as snapshot:
                connections = [snapshot.connection, *snapshot.helpers]
                first = [c.exec_driver_sql(COUNT).scalar_one() for c in connections]
                stop.wait(0.005)
                again = [c.exec_driver_sql(COUNT).scalar_one() for c in connections]
            assert len(set(first)) == 1, first
            assert again == first
            shared += bool(snapshot.helpers)
    finally:
        stop.set()
        writer.join()
    # SQLite reads on one connection when the snapshot begins during a commit.
    assert shared >= 10


DATA = {
    "projects": [{"code": "P1"}],
    "payroll": [
        {"project": "P1", "month": "2026-01", "worker": 1, "payable": "100", "paid": "100",
         "paid_on": "2026-02-10"},
    ],
    "roster": [{"project": "P1", "month": "2026-01", "worker": 1, "days": 20}],
}  # fmt: skip


def _statements(engine: sa.Engine) -> tuple[list[tuple[int, str]], object]:
    seen: list[tuple[int, str]] = []

    def record(conn: sa.Connection, _cursor: object, statement: str, *_: object) -> None:
        seen.append((id(conn.connection.dbapi_connection), statement))

    sa.event.listen(engine, "before_cursor_execute", record)
    return seen, record


def test_an_extract_computed_by_the_helper_is_not_read_again(engine: sa.Engine) -> None:
    load(engine, DATA)
    seen, record = _statements(engine)
    try:
        with read_snapshot(engine, helpers=1) as snapshot:
            [helper] = snapshot.helpers
            context = ScanContext(snapshot.connection, date(2026, 3, 1))
            context.prefetch([helper], [ScanContext.payroll_months])
            [(thread, _)] = context._prefetching
            thread.join(30)  # the queue done, the helper thread ends
            context.stop()
            helper_id = id(helper.connection.dbapi_connection)
            main_id = id(snapshot.connection.connection.dbapi_connection)
            before = len(seen)
            months = context.payroll_months()
            assert len(seen) == before  # no statement: the helper's frame is used
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert months[["month", "payable_cents"]].values.tolist() == [["2026-01", 10000]]
    payroll_reads = [conn for conn, sql in seen if "FROM payroll_lines" in sql]
    assert payroll_reads == [helper_id]
    assert helper_id != main_id


def test_a_failed_extract_is_raised_to_the_waiting_check_and_built_again() -> None:
    context = ScanContext(connection=None, as_of=date(2026, 3, 1))  # type: ignore[arg-type]
    started, release = threading.Event(), threading.Event()
    builds: list[str] = []

    def failing() -> pd.DataFrame:
        builds.append(threading.current_thread().name)
        started.set()
        release.wait(5)
        raise RuntimeError("the database went away")

    helper = threading.Thread(target=lambda: _swallow(context, failing), name="helper")
    helper.start()
    started.wait(5)
    waiting: list[BaseException] = []
    asker = threading.Thread(target=lambda: _record(context, waiting), name="asker")
    asker.start()
    time.sleep(0.1)  # the asker is waiting for the helper's build
    release.set()
    helper.join()
    asker.join()
    assert builds == ["helper"]
    assert [str(e) for e in waiting] == ["the database went away"]
    # The next asker builds it again, here.
    frame = context._cached("extract", lambda: pd.DataFrame({"n": [1]}))
    assert frame["n"].tolist() == [1]


def _swallow(context: ScanContext, build: object) -> None:
    with contextlib.suppress(RuntimeError):
        context._cached("extract", build)  # type: ignore[arg-type]


def _record(context: ScanContext, errors: list[BaseException]) -> None:
    try:
        context._cached("extract", lambda: pd.DataFrame())
    except RuntimeError as exc:
        errors.append(exc)


# Counts far enough to run for minutes: only a cancellation ends it soon.
ENDLESS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT COUNT(*) AS c FROM n"
)


def test_stopping_cancels_the_statement_a_helper_is_running(engine: sa.Engine) -> None:
    with read_snapshot(engine, helpers=1) as snapshot:
        [helper] = snapshot.helpers
        context = ScanContext(snapshot.connection, date(2026, 3, 1))
        started = threading.Event()

        def endless(context: ScanContext) -> pd.DataFrame:
            started.set()
            return context._cached("endless", lambda: context.query(ENDLESS))

        context.prefetch([helper], [endless])
        assert started.wait(5)
        time.sleep(0.2)  # the statement is running
        stopping = threading.Thread(target=context.stop)
        stopping.start()
        stopping.join(30)
        assert not stopping.is_alive()
        assert "endless" not in context._cache
        # The scan's own connection reads on.
        assert snapshot.connection.exec_driver_sql("SELECT 1").scalar_one() == 1
