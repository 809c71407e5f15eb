"""API benchmark: the warning queue under load, beside the same app's trivial endpoint.

Fills a database with 100,000 alerts over 1,000 projects (levels, statuses, months and
amounts as a region's scan leaves them), starts ``wage-guard``'s app under uvicorn (one
worker per core, as ``server.workers`` would be set in production) and drives it with wrk at
32 connections:

- ``GET /api/v1/alerts?limit=50`` as an inspector of every district (the default sort: risk);
- ``GET /api/v1/version``, the same app's trivial JSON endpoint, in the same run.

It prints p50, p99 and requests per second of each. Targets: the queue's p99 under 50 ms
and at least 40% of the trivial endpoint's throughput, on SQLite and PostgreSQL.

    python bench/bench_api.py [--database sqlite|postgresql ...] [--alerts 100000]
                              [--seconds 15] [--connections 32] [--workers N]

Needs ``wrk`` (Debian: ``apt-get install wrk``). The SQLite database is bench/out/api.db;
PostgreSQL uses the database ``wg_bench_api`` at ``WAGE_GUARD_BENCH_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); both are made afresh each run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from wage_guard.alerts.service import fingerprint, refresh_project_risk
from wage_guard.auth.service import create_user, issue_token
from wage_guard.db import make_engine, make_session_factory, normalize_url
from wage_guard.db.migrate import upgrade
from wage_guard.models import Alert, Enterprise, Project
from wage_guard.scan.rules import load_rules

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_P99_MS = 50.0
TARGET_SHARE = 0.40
PROJECTS = 1_000
DISTRICTS = ("和平区", "河西区", "南开区", "河东区", "河北区", "红桥区", "东丽区", "西青区")
BATCH = 5_000
WARM_UP_ROUNDS = 4


def _database_url(kind: str) -> str:
    if kind == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / "api.db"
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    base = make_url(normalize_url(os.environ.get("WAGE_GUARD_BENCH_DATABASE_URL", PG_DEFAULT)))
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql('DROP DATABASE IF EXISTS "wg_bench_api" WITH (FORCE)')
        conn.exec_driver_sql('CREATE DATABASE "wg_bench_api"')
    admin.dispose()
    return base.set(database="wg_bench_api").render_as_string(hide_password=False)


def fill(url: str, alerts: int, seed: int = 7) -> str:
    """Projects, ``alerts`` alerts and an inspector; returns the inspector's token."""
    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)
    rules = [rule.id for rule in load_rules()]
    now = datetime(2026, 11, 20, 18, tzinfo=UTC)
    with engine.begin() as conn:
        owner = conn.execute(
            sa.insert(Enterprise).values(name="建设单位").returning(Enterprise.id)
        ).scalar_one()
        contractors = [
            conn.execute(
                sa.insert(Enterprise).values(name=f"总承包{n:03d}").returning(Enterprise.id)
            ).scalar_one()
            for n in range(50)
        ]
        conn.execute(
            sa.insert(Project),
            [
                {
                    "code": f"BP{n:05d}",
                    "name": f"基准项目{n:05d}",
                    "district": DISTRICTS[n % len(DISTRICTS)],
                    "owner_id": owner,
                    "contractor_id": contractors[n % len(contractors)],
                    "start_date": datetime(2025, 1, 1).date(),
                    "status": "in_progress",
                }
                for n in range(PROJECTS)
            ],
        )
        project_ids = list(conn.execute(sa.select(Project.id)).scalars())
    seen: set[str] = set()
    rows = []
    while len(rows) < alerts:
        project = rng.choice(project_ids)
        rule = rng.choice(rules)
        month = f"20{rng.randint(24, 26)}-{rng.randint(1, 12):02d}"
        key = fingerprint(rule, f"BP{project:05d}", month)
        if key in seen:
            continue
        seen.add(key)
        status = rng.choices(
            ("open", "acknowledged", "snoozed", "resolved", "dismissed"), (70, 8, 4, 15, 3)
        )[0]
        closed = status in ("resolved", "dismissed")
        first = now - timedelta(days=rng.randint(0, 400))
        workers = rng.randint(1, 60)
        arrears = rng.randint(1_000, 900_000)
        rows.append(
            {
                "rule_id": rule,
                "project_id": project,
                "subject": month,
                "fingerprint": key,
                "open_key": None if closed else key,
                "level": rng.choices(("red", "orange", "yellow"), (15, 35, 50))[0],
                "status": status,
                "first_seen": first,
                "last_seen": now,
                "closed_at": now if closed else None,
                "until": now + timedelta(days=5) if status in ("acknowledged", "snoozed") else None,
                "arrears": arrears,
                "workers_affected": workers,
                "evidence": {"month": month, "arrears": f"{arrears}.00", "workers": workers},
                "message_zh": f"{month} 工资欠付 {arrears} 元，涉及 {workers} 人",
                "message_en": f"{month}: {arrears} yuan of wages unpaid to {workers} workers",
            }
        )
    with engine.begin() as conn:
        for start in range(0, len(rows), BATCH):
            conn.execute(sa.insert(Alert), rows[start : start + BATCH])
    with make_session_factory(engine)() as session, session.begin():
        refresh_project_risk(session, now=now)
        token = issue_token(session, user=create_user(session, name="bench", role="inspector"))
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    engine.dispose()
    return token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not start on port {port}")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(url: str, *, token: str, seconds: int, connections: int) -> dict[str, float]:
    """p50, p99 (ms) and requests per second of ``url`` under wrk, non-2xx counted."""
    out = subprocess.run(
        [
            "wrk",
            "--latency",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if not (p50 and p99 and rps):
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return {
        "p50_ms": _ms(p50.group(1)),
        "p99_ms": _ms(p99.group(1)),
        "rps": float(rps.group(1)),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def _call(url: str, *, token: str, body: dict[str, object] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        result: dict[str, Any] = json.load(answer)
        return result


def queue_after_change(base: str, *, token: str, times: int = 20) -> float:
    """The queue's median time (ms) when nothing of it is remembered: each time, right after
    a comment on an alert has changed the alert store (as a scan or an action does)."""
    first = _call(f"{base}/alerts?limit=1", token=token)["items"][0]
    timings = []
    for n in range(times):
        alert = _call(f"{base}/alerts/{first['id']}", token=token)
        _call(
            f"{base}/alerts/{first['id']}/actions",
            token=token,
            body={"action": "comment", "reason": f"benchmark {n}", "version": alert["version"]},
        )
        started = time.perf_counter()
        _call(f"{base}/alerts?limit=50", token=token)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run(
    kind: str, *, alerts: int, seconds: int, connections: int, workers: int
) -> dict[str, object]:
    url = _database_url(kind)
    started = time.perf_counter()
    token = fill(url, alerts)
    print(f"[{kind}] {alerts:,} alerts loaded in {time.perf_counter() - started:.1f} s", flush=True)
    port = _free_port()
    env = {**os.environ, "WAGE_GUARD_DATABASE_URL": url, "WAGE_GUARD_LOG_LEVEL": "WARNING"}
    env.pop("WAGE_GUARD_CONFIG", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "wage_guard.app:app_from_environment",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    try:
        _wait_until_up(port)
        base = f"http://127.0.0.1:{port}/api/v1"
        # Warm up in rounds, each with new connections that the workers share out anew, so
        # that every worker has opened the database connections it will need: the figures
        # are those of a server in service, not of its first burst.
        for _ in range(WARM_UP_ROUNDS):
            wrk(f"{base}/alerts?limit=50", token=token, seconds=2, connections=connections)
        trivial = wrk(f"{base}/version", token=token, seconds=seconds, connections=connections)
        queue = wrk(
            f"{base}/alerts?limit=50", token=token, seconds=seconds, connections=connections
        )
        after_change = queue_after_change(base, token=token)
    finally:
        server.terminate()
        server.wait(timeout=30)
    share = queue["rps"] / trivial["rps"]
    for name, figures in (("GET /alerts?limit=50", queue), ("GET /version", trivial)):
        print(
            f"[{kind}] {name:<22} p50 {figures['p50_ms']:7.1f} ms  p99 {figures['p99_ms']:7.1f} ms"
            f"  {figures['rps']:8.0f} req/s  non-2xx {figures['errors']:.0f}",
            flush=True,
        )
    print(
        f"[{kind}] GET /alerts?limit=50 right after an action changed the store (nothing "
        f"remembered): median {after_change:.1f} ms",
        flush=True,
    )
    verdict = "met" if queue["p99_ms"] < TARGET_P99_MS and share >= TARGET_SHARE else "MISSED"
    print(
        f"[{kind}] queue at {share:.0%} of the trivial endpoint's throughput; target p99 < "
        f"{TARGET_P99_MS:.0f} ms and >= {TARGET_SHARE:.0%}: {verdict}",
        flush=True,
    )
    return {
        "database": kind,
        "workers": workers,
        "queue": queue,
        "trivial": trivial,
        "share": share,
        "after_change_ms": after_change,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", choices=("sqlite", "postgresql"), action="append", dest="databases"
    )
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_api needs wrk: apt-get install wrk")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {args.workers} server workers"
    )
    results = [
        run(
            kind,
            alerts=args.alerts,
            seconds=args.seconds,
            connections=args.connections,
            workers=args.workers,
        )
        for kind in args.databases or ["sqlite", "postgresql"]
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_api.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
