"""Pages benchmark: the server-side time of each main page on the district-scale data.

Loads the district region (``bench_scan``'s SQLite database, kept in bench/out and reused),
scans a copy of it, signs in as an inspector of every district, and times each page,
in process (the app called through its ASGI interface, no network): the warning queue,
its tenth page, a warning, the riskiest project, the imports and the scans. Target: every
page under 200 ms.

    python bench/bench_pages.py [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan import OUT, dataset, sqlite_database

from wage_guard.app import create_app
from wage_guard.auth.service import create_user, issue_token
from wage_guard.config import Settings
from wage_guard.context import AppContext
from wage_guard.db import make_engine, make_session_factory
from wage_guard.models import Alert, Project
from wage_guard.scan.rules import load_rules, runnable
from wage_guard.scan.service import run_scan

AS_OF = date(2026, 11, 20)
TARGET_MS = 200.0


def prepare() -> str:
    """A scanned copy of the district database; returns its URL."""
    path = OUT / "pages.db"
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    with sqlite_database(dataset("district", 7, AS_OF), keep=True) as (kept, _):
        shutil.copy(kept.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    run_scan(engine, as_of=AS_OF, rules=runnable(load_rules()), trigger="bench")
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    url = prepare()
    engine = make_engine(url)
    with make_session_factory(engine)() as session, session.begin():
        token = issue_token(session, user=create_user(session, name="bench", role="inspector"))
        alert_id = session.execute(sa.select(sa.func.min(Alert.id))).scalar_one()
        project = session.execute(
            sa.select(Project.code).order_by(Project.risk_score.desc()).limit(1)
        ).scalar_one()
        alerts = session.execute(sa.select(sa.func.count()).select_from(Alert)).scalar_one()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; district data, {alerts:,} alerts"
    )
    with TestClient(create_app(AppContext(Settings(database_url=url)))) as client:
        form = client.get("/sign-in").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None, "no CSRF field on the sign-in page"
        signed = client.post("/sign-in", data={"token": token, "csrf_token": csrf.group(1)})
        assert signed.status_code == 200, signed.status_code
        pages = {
            "queue": "/queue",
            "queue, page 10": "/queue?offset=450",
            "warning": f"/alerts/{alert_id}",
            "project": f"/projects/{project}",
            "projects": "/projects",
            "imports": "/imports",
            "scans": "/scans",
        }
        for name, path in pages.items():
            assert client.get(path).status_code == 200, path
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            worst = max(times)
            verdict = "met" if worst < TARGET_MS else "MISSED"
            print(
                f"{name:<16} median {statistics.median(times):6.1f} ms  "
                f"max {worst:6.1f} ms  (target {TARGET_MS:.0f} ms: {verdict})"
            )


if __name__ == "__main__":
    main()
