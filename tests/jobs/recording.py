"""A job for the claim tests that records each of its runs as a row of ``scan_runs``."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wage_guard.db import make_engine, utcnow
from wage_guard.jobs.claims import new_owner, run_claimed
from wage_guard.scan.orm import ScanRun
from wage_guard.scan.schemas import ScanSummary
from wage_guard.scan.service import Guard


def record_run(
    engine: sa.Engine,
    as_of: date,
    *,
    pause: float = 0.0,
    meanwhile: Callable[[], None] | None = None,
) -> Callable[[Guard], ScanSummary]:
    """A job that writes one scan run for ``as_of``, fenced by the guard it is given.

    ``pause`` seconds (the work taking time), then ``meanwhile`` (what others do during the
    run), come before the write.
    """

    def work(guard: Guard) -> ScanSummary:
        time.sleep(pause)
        if meanwhile is not None:
            meanwhile()
        with Session(engine) as session:
            run = ScanRun(
                as_of=as_of,
                trigger="scheduled",
                status="succeeded",
                started_at=utcnow(),
                rules=[],
                rule_stats={},
            )
            session.add(run)
            session.flush()
            summary = ScanSummary.from_run(run)
            guard(session)
            session.commit()
        return summary

    return work


def runs_recorded(engine: sa.Engine, as_of: date) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(ScanRun).where(ScanRun.as_of == as_of)
        ).scalar_one()


def race_for_the_claim(url: str, as_of: date, start: Barrier, outcomes: Queue[str]) -> None:
    """One racing process: connect, wait for the others, then run the recording job."""
    engine = make_engine(url)
    with engine.connect():
        pass
    start.wait()
    run = run_claimed(
        engine,
        job="race",
        as_of=as_of,
        owner=new_owner(),
        lease=timedelta(minutes=5),
        work=record_run(engine, as_of, pause=0.05),
    )
    outcomes.put(run.outcome.value)
    engine.dispose()
