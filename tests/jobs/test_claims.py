"""One run per job and date, across threads and processes; leases, takeovers and fencing
(RELIABILITY 9)."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.jobs.conftest import on_postgresql_only
from tests.jobs.recording import race_for_the_claim, record_run, runs_recorded
from wage_guard.db import make_engine, utcnow
from wage_guard.jobs.claims import (
    ClaimLost,
    ClaimStatus,
    Outcome,
    claim,
    finish,
    guard,
    renew,
    run_claimed,
)
from wage_guard.scan.orm import JobClaim, ScanRun
from wage_guard.scan.schemas import ScanSummary
from wage_guard.scan.service import Guard

AS_OF = date(2026, 3, 10)
LEASE = timedelta(minutes=5)


def _row(engine: sa.Engine) -> JobClaim:
    with Session(engine) as session:
        return session.scalars(sa.select(JobClaim)).one()


def test_threads_racing_for_a_claim_run_the_job_once(engine: sa.Engine) -> None:
    start = threading.Barrier(6)

    def attempt(number: int) -> Outcome:
        start.wait()
        return run_claimed(
            engine,
            job="race",
            as_of=AS_OF,
            owner=f"thread-{number}",
            lease=LEASE,
            work=record_run(engine, AS_OF, pause=0.05),
        ).outcome

    with ThreadPoolExecutor(6) as pool:
        outcomes = Counter(pool.map(attempt, range(6)))
    assert outcomes == {Outcome.SUCCEEDED: 1, Outcome.SKIPPED: 5}
    assert runs_recorded(engine, AS_OF) == 1
    row = _row(engine)
    assert row.status == ClaimStatus.SUCCEEDED
    assert row.scan_run_id is not None


@on_postgresql_only
def test_processes_racing_for_a_claim_run_the_job_once(db_url: str) -> None:
    processes = 5
    context = multiprocessing.get_context("fork")
    start = context.Barrier(processes)
    outcomes: multiprocessing.Queue[str] = context.Queue()
    racers = [
        context.Process(target=race_for_the_claim, args=(db_url, AS_OF, start, outcomes))
        for _ in range(processes)
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=30)
    assert [racer.exitcode for racer in racers] == [0] * processes
    counted = Counter(outcomes.get(timeout=5) for _ in range(processes))
    assert counted == {"succeeded": 1, "skipped": processes - 1}
    engine = make_engine(db_url)
    assert runs_recorded(engine, AS_OF) == 1
    engine.dispose()


def test_a_live_claim_is_not_taken_over(engine: sa.Engine) -> None:
    now = utcnow()
    assert claim(engine, job="nightly", as_of=AS_OF, owner="a", lease=LEASE, now=now)
    later = now + LEASE - timedelta(seconds=1)
    assert claim(engine, job="nightly", as_of=AS_OF, owner="b", lease=LEASE, now=later) is None
    assert _row(engine).owner == "a"


def test_an_expired_lease_is_taken_over_and_its_owner_cannot_commit(engine: sa.Engine) -> None:
    start = utcnow() - 2 * LEASE
    stale = claim(engine, job="nightly", as_of=AS_OF, owner="a", lease=LEASE, now=start)
    assert stale is not None
    taken = claim(engine, job="nightly", as_of=AS_OF, owner="b", lease=LEASE)
    assert taken is not None and taken.id == stale.id
    assert claim(engine, job="nightly", as_of=AS_OF, owner="c", lease=LEASE) is None

    with Session(engine) as session:
        session.add(ScanRun(as_of=AS_OF, trigger="scheduled", started_at=utcnow()))
        session.flush()
        with pytest.raises(ClaimLost, match="no longer held by a"):
            guard(session, stale)
        session.rollback()
    assert runs_recorded(engine, AS_OF) == 0
    assert not renew(engine, stale)
    assert not finish(engine, stale, status=ClaimStatus.SUCCEEDED)
    row = _row(engine)
    assert (row.owner, row.status) == ("b", ClaimStatus.RUNNING)

    with Session(engine) as session:
        guard(session, taken)
        session.commit()
    assert finish(engine, taken, status=ClaimStatus.SUCCEEDED)


def test_a_takeover_during_the_run_aborts_the_stale_owners_commit(engine: sa.Engine) -> None:
    def taken_over() -> None:
        later = utcnow() + 2 * LEASE
        assert claim(engine, job="nightly", as_of=AS_OF, owner="b", lease=LEASE, now=later)

    run = run_claimed(
        engine,
        job="nightly",
        as_of=AS_OF,
        owner="a",
        lease=LEASE,
        work=record_run(engine, AS_OF, meanwhile=taken_over),
    )
    assert run.outcome is Outcome.LOST
    assert runs_recorded(engine, AS_OF) == 0
    row = _row(engine)
    assert (row.owner, row.status) == ("b", ClaimStatus.RUNNING)


def test_a_guard_refuses_an_expired_lease(engine: sa.Engine) -> None:
    held = claim(engine, job="nightly", as_of=AS_OF, owner="a", lease=LEASE)
    assert held is not None
    with Session(engine) as session, pytest.raises(ClaimLost):
        guard(session, held, now=utcnow() + 2 * LEASE)


def test_a_finished_claim_is_never_run_again(engine: sa.Engine) -> None:
    first = run_claimed(
        engine, job="nightly", as_of=AS_OF, owner="a", lease=LEASE, work=record_run(engine, AS_OF)
    )
    assert first.outcome is Outcome.SUCCEEDED
    again = run_claimed(
        engine, job="nightly", as_of=AS_OF, owner="b", lease=LEASE, work=record_run(engine, AS_OF)
    )
    assert again.outcome is Outcome.SKIPPED
    next_year = utcnow() + timedelta(days=365)
    assert claim(engine, job="nightly", as_of=AS_OF, owner="c", lease=LEASE, now=next_year) is None
    assert runs_recorded(engine, AS_OF) == 1
    other_day = run_claimed(
        engine,
        job="nightly",
        as_of=AS_OF + timedelta(days=1),
        owner="b",
        lease=LEASE,
        work=record_run(engine, AS_OF + timedelta(days=1)),
    )
    assert other_day.outcome is Outcome.SUCCEEDED


def test_a_failed_run_is_recorded_and_claimed_again(engine: sa.Engine) -> None:
    def broken(_guard: Guard) -> ScanSummary:
        raise RuntimeError("database exploded for 110101199003077777")

    failed = run_claimed(engine, job="nightly", as_of=AS_OF, owner="a", lease=LEASE, work=broken)
    assert failed.outcome is Outcome.FAILED
    assert failed.error == "RuntimeError: database exploded for 110101********7777"
    assert _row(engine).status == ClaimStatus.FAILED

    retried = run_claimed(
        engine, job="nightly", as_of=AS_OF, owner="b", lease=LEASE, work=record_run(engine, AS_OF)
    )
    assert retried.outcome is Outcome.SUCCEEDED
    row = _row(engine)
    assert retried.summary is not None
    assert (row.owner, row.status, row.scan_run_id) == ("b", "succeeded", retried.summary.run_id)


def test_the_lease_is_renewed_while_the_job_runs(engine: sa.Engine) -> None:
    lease = timedelta(seconds=0.5)
    held_for: list[timedelta] = []

    def look_at_the_lease() -> None:
        row = _row(engine)
        held_for.append(row.lease_until - row.claimed_at)

    run = run_claimed(
        engine,
        job="nightly",
        as_of=AS_OF,
        owner="a",
        lease=lease,
        work=record_run(engine, AS_OF, pause=0.8, meanwhile=look_at_the_lease),
    )
    assert run.outcome is Outcome.SUCCEEDED
    assert held_for[0] > lease + timedelta(seconds=0.2)


def test_renew_extends_the_lease_of_its_owner_only(engine: sa.Engine) -> None:
    now = utcnow()
    held = claim(engine, job="nightly", as_of=AS_OF, owner="a", lease=LEASE, now=now)
    assert held is not None
    assert renew(engine, held, now=now + LEASE)
    after_first_lease = now + LEASE + timedelta(seconds=1)
    assert (
        claim(engine, job="nightly", as_of=AS_OF, owner="b", lease=LEASE, now=after_first_lease)
        is None
    )
    assert _row(engine).lease_until == now + 2 * LEASE
