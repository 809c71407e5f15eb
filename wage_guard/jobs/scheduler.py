"""The scheduler: the nightly scan on its cron, catch-up at start, housekeeping every quarter
hour (RELIABILITY 10-12).

It runs in a process of its own (``wage-guard scheduler``) or, behind
``scan.embed_in_server``, inside a server with a single worker; never once per web worker.
The claims keep one scan per date even if two schedulers ever run, but housekeeping and the
catch-up work would be repeated for nothing.
"""

from __future__ import annotations

import logging
import os
import signal
from datetime import timedelta
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler

from wage_guard.context import AppContext
from wage_guard.jobs.claims import new_owner
from wage_guard.jobs.nightly import JOB, catch_up, housekeeping, misfire_grace, nightly_trigger

log = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = timedelta(minutes=15)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def build_scheduler(app_context: AppContext) -> BackgroundScheduler:
    """A scheduler, not started, with three jobs under one owner id (``host:pid:uuid``):

    - ``nightly_scan`` on ``scan.cron`` in ``scan.time_zone``, whatever the host's ``TZ``;
      a run missed by less than the misfire grace still starts, and missed runs coalesce;
    - ``catch_up``, once at start: the nights missed while the scheduler was down;
    - ``housekeeping`` every 15 minutes: expired acknowledgements and snoozes.
    """
    scan = app_context.settings.scan
    zone = ZoneInfo(scan.time_zone)
    scheduler = BackgroundScheduler(
        timezone=zone, job_defaults={"coalesce": True, "max_instances": 1}
    )
    owner = new_owner()
    jobs_args = {"app_context": app_context, "owner": owner}
    scheduler.add_job(
        catch_up,
        nightly_trigger(scan),
        id=JOB,
        name="nightly scan",
        kwargs=jobs_args,
        misfire_grace_time=int(misfire_grace(scan).total_seconds()),
    )
    # Due now, and run however late the scheduler starts after it was built.
    scheduler.add_job(
        catch_up,
        "date",
        id="catch_up",
        name="catch-up at start",
        kwargs=jobs_args,
        misfire_grace_time=None,
    )
    scheduler.add_job(
        housekeeping,
        "interval",
        seconds=HOUSEKEEPING_EVERY.total_seconds(),
        id="housekeeping",
        name="housekeeping",
        kwargs={"app_context": app_context},
    )
    log.info("scheduler %s: nightly scan at %r in %s", owner, scan.cron, scan.time_zone)
    return scheduler


def _carried_by_the_wakeup_fd(_signum: int, _frame: FrameType | None) -> None:
    """A stop signal's handler: the wake-up fd already carries it to the main thread."""


def run_scheduler(app_context: AppContext) -> None:
    """Run the scheduler in this process until SIGINT or SIGTERM.

    Missed nights are caught up first. On a signal no new job starts and a job already
    running is let finish; a second signal ends the process at once, and the claim of a
    scan cut short is taken over when its lease expires.

    The signal reaches the main thread through ``signal.set_wakeup_fd``, whichever thread
    the system delivers it to; nothing is done inside a handler, where the interrupted
    thread may hold the scheduler's locks.
    """
    scheduler = build_scheduler(app_context)
    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_write, False)
    previous_fd = signal.set_wakeup_fd(wakeup_write)
    previous = {sig: signal.signal(sig, _carried_by_the_wakeup_fd) for sig in STOP_SIGNALS}
    try:
        scheduler.start()
        while (signum := os.read(wakeup_read, 1)[0]) not in STOP_SIGNALS:
            pass
        log.info("%s: stopping once the running jobs finish", signal.Signals(signum).name)
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        scheduler.shutdown(wait=True)
    finally:
        signal.set_wakeup_fd(previous_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(wakeup_read)
        os.close(wakeup_write)
    log.info("scheduler stopped")


def start_embedded(app_context: AppContext) -> BackgroundScheduler | None:
    """Start the scheduler in a background thread of the server when ``scan.embed_in_server``
    is set, else return None; the server shuts it down when it stops.

    Only for a server run with a single worker process: each worker would otherwise start a
    scheduler of its own. Servers with several workers run ``wage-guard scheduler`` beside
    them instead.
    """
    if not app_context.settings.scan.embed_in_server:
        return None
    scheduler = build_scheduler(app_context)
    scheduler.start()
    return scheduler
