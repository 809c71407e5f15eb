"""Claims: one run of a scheduled job per date, across any number of processes (RELIABILITY 9).

A run starts by inserting the ``(job, as_of)`` row of ``job_claims``; the unique constraint
lets one process in. The claim is leased: its owner renews the lease while it works, and a
claim whose owner stopped renewing (a crashed process) can be taken over once the lease has
expired. Every commit of the work is fenced by ``guard``, which re-checks the claim inside
the committing transaction, so an owner that lost its claim cannot write its result.
Lease times come from each host's clock; hosts are expected to keep it synchronised (NTP),
which a lease of minutes or hours leaves ample room for.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wage_guard.db import utcnow
from wage_guard.masking import describe_error, mask_ids_in_text
from wage_guard.scan.orm import JobClaim
from wage_guard.scan.schemas import ScanSummary

if TYPE_CHECKING:
    from wage_guard.scan.service import Guard

log = logging.getLogger(__name__)

# The renewal thread renews this many times per lease, so that one missed renewal (a busy
# database) does not lose the claim.
RENEWALS_PER_LEASE = 3


class ClaimStatus(StrEnum):
    """``running`` while leased; ``succeeded`` is final; a ``failed`` run may be claimed again."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Outcome(StrEnum):
    """What one attempt at a claimed job did."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # another process holds the claim, or the date is done
    LOST = "lost"  # the claim was taken over during the run; the rest was not committed


@dataclass(frozen=True)
class Claim:
    """A claim held by ``owner``; ``lease`` is how far each renewal extends it."""

    id: int
    job: str
    as_of: date
    owner: str
    lease: timedelta


@dataclass(frozen=True)
class JobRun:
    """One attempt at a claimed job, with the scan it ran when it got that far."""

    job: str
    as_of: date
    outcome: Outcome
    summary: ScanSummary | None = None
    error: str | None = None


class ClaimLost(Exception):
    """The claim was taken over or its lease expired: its former owner must not commit."""

    def __init__(self, claim: Claim) -> None:
        super().__init__(
            f"claim {claim.id} of {claim.job} for {claim.as_of} is no longer held by "
            f"{claim.owner} (taken over, finished or its lease expired)"
        )
        self.claim = claim


def new_owner() -> str:
    """A process's owner id, ``host:pid:uuid``: unique even for two runs in one process."""
    return f"{socket.gethostname()[:50]}:{os.getpid()}:{uuid.uuid4().hex}"


def claim(
    engine: sa.Engine,
    *,
    job: str,
    as_of: date,
    owner: str,
    lease: timedelta,
    now: datetime | None = None,
) -> Claim | None:
    """Claim ``(job, as_of)`` for ``owner``, or None when it is not to be run by this caller.

    The first caller inserts the claim. Later callers get None while the claim is running
    under a live lease or has succeeded; a running claim whose lease expired, or a failed
    one, is taken over by a conditional update that only one of several callers can win.
    """
    now = now or utcnow()
    try:
        with engine.begin() as conn:
            claim_id = conn.execute(
                sa.insert(JobClaim)
                .values(
                    job=job,
                    as_of=as_of,
                    owner=owner,
                    claimed_at=now,
                    lease_until=now + lease,
                    status=ClaimStatus.RUNNING,
                )
                .returning(JobClaim.id)
            ).scalar_one()
        return Claim(claim_id, job, as_of, owner, lease)
    except sa.exc.IntegrityError:
        pass
    # Read and take over in transactions of their own: on SQLite a write that follows a read
    # in one transaction fails at once, instead of waiting, when another commit came between.
    with engine.connect() as conn:
        held = conn.execute(
            sa.select(JobClaim.id, JobClaim.owner, JobClaim.status, JobClaim.lease_until).where(
                JobClaim.job == job, JobClaim.as_of == as_of
            )
        ).one()
    if held.status == ClaimStatus.RUNNING:
        if held.lease_until >= now:
            return None
        takeover = JobClaim.lease_until < now
    elif held.status == ClaimStatus.FAILED:
        takeover = sa.true()
    else:
        return None
    with engine.begin() as conn:
        taken = conn.execute(
            sa.update(JobClaim)
            .where(
                JobClaim.id == held.id,
                JobClaim.owner == held.owner,
                JobClaim.status == held.status,
                takeover,
            )
            .values(
                owner=owner,
                claimed_at=now,
                lease_until=now + lease,
                status=ClaimStatus.RUNNING,
                finished_at=None,
                scan_run_id=None,
            )
        ).rowcount
    if taken != 1:
        return None
    log.warning("%s for %s: took over the %s claim of %s", job, as_of, held.status, held.owner)
    return Claim(held.id, job, as_of, owner, lease)


def _held(claim: Claim) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        JobClaim.id == claim.id,
        JobClaim.owner == claim.owner,
        JobClaim.status == ClaimStatus.RUNNING,
    )


def renew(engine: sa.Engine, claim: Claim, *, now: datetime | None = None) -> bool:
    """Extend the lease by ``claim.lease`` from now; False when the claim is no longer ours."""
    now = now or utcnow()
    with engine.begin() as conn:
        renewed = conn.execute(
            sa.update(JobClaim).where(*_held(claim)).values(lease_until=now + claim.lease)
        ).rowcount
    return renewed == 1


def guard(session: Session, claim: Claim, *, now: datetime | None = None) -> None:
    """Raise ``ClaimLost`` unless ``claim`` is still ours under a live lease.

    Called inside the writer's transaction right before it commits. The check is an update
    of the claim row (it also renews the lease): it locks the row on PostgreSQL and takes
    the write lock on SQLite, so no takeover can come between the check and the commit, and
    a takeover that waits for the lock finds a live lease afterwards.
    """
    now = now or utcnow()
    renewed = (
        session.connection()
        .execute(
            sa.update(JobClaim)
            .where(*_held(claim), JobClaim.lease_until >= now)
            .values(lease_until=now + claim.lease)
        )
        .rowcount
    )
    if renewed != 1:
        raise ClaimLost(claim)


def finish(
    engine: sa.Engine,
    claim: Claim,
    *,
    status: ClaimStatus,
    scan_run_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Record how the run ended, if the claim is still ours; False when it is not."""
    with engine.begin() as conn:
        finished = conn.execute(
            sa.update(JobClaim)
            .where(*_held(claim))
            .values(status=status, finished_at=now or utcnow(), scan_run_id=scan_run_id)
        ).rowcount
    return finished == 1


@contextmanager
def _lease_renewed(engine: sa.Engine, claim: Claim) -> Iterator[None]:
    """Renew the lease from a background thread while the block runs."""
    stop = threading.Event()
    interval = claim.lease.total_seconds() / RENEWALS_PER_LEASE

    def keep_renewing() -> None:
        while not stop.wait(interval):
            try:
                if not renew(engine, claim):
                    log.warning("%s for %s: claim lost, renewal stops", claim.job, claim.as_of)
                    return
            except sa.exc.SQLAlchemyError:
                log.warning("%s for %s: lease not renewed", claim.job, claim.as_of, exc_info=True)

    thread = threading.Thread(
        target=keep_renewing, name=f"lease-{claim.job}-{claim.as_of}", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run_claimed(
    engine: sa.Engine,
    *,
    job: str,
    as_of: date,
    owner: str,
    lease: timedelta,
    work: Callable[[Guard], ScanSummary],
) -> JobRun:
    """Run ``work`` if ``(job, as_of)`` can be claimed, and record how it ended.

    ``work`` receives the guard to call before each of its commits and runs while a thread
    renews the lease. A scan that ended ``succeeded`` or ``partial`` (some rules failed, as
    its run records) finishes the claim for good; a ``failed`` scan, or work that raised,
    leaves it failed, to be claimed again by a later attempt. A failure is logged with ID
    numbers masked and returned, not raised.
    """
    held = claim(engine, job=job, as_of=as_of, owner=owner, lease=lease)
    if held is None:
        log.info("%s for %s: claimed by another process or done; skipped", job, as_of)
        return JobRun(job, as_of, Outcome.SKIPPED)
    log.info("%s for %s: claimed by %s", job, as_of, owner)
    try:
        with _lease_renewed(engine, held):
            summary = work(lambda session: guard(session, held))
    except ClaimLost as exc:
        log.warning("%s for %s: %s", job, as_of, exc)
        return JobRun(job, as_of, Outcome.LOST, error=str(exc))
    except Exception as exc:
        error = describe_error(exc)
        trace = mask_ids_in_text("".join(traceback.format_exception(exc)))
        log.error("%s for %s failed: %s", job, as_of, trace)
        finish(engine, held, status=ClaimStatus.FAILED)
        return JobRun(job, as_of, Outcome.FAILED, error=error)
    status = ClaimStatus.FAILED if summary.status == "failed" else ClaimStatus.SUCCEEDED
    if not finish(engine, held, status=status, scan_run_id=summary.run_id):
        log.warning("%s for %s: finished after losing the claim", job, as_of)
        return JobRun(job, as_of, Outcome.LOST, summary)
    log.info("%s for %s: scan run %s %s", job, as_of, summary.run_id, summary.status)
    return JobRun(job, as_of, Outcome(status.value), summary)
