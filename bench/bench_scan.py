"""Scan benchmark: a full scan of the generated region beside one bare aggregate pass.

Loads the generated region (every file of the manifest, through ``import_file``) into a
database, runs ``ANALYZE``, then times, on the same database and in the same run:

- the floor: one bare aggregate pass over the three big tables, fetched completely:
  ``payroll_lines`` and ``roster_entries`` grouped by project and month, and
  ``account_transactions`` grouped by account and the month of its date;
- a full scan (``run_scan`` with every runnable rule of the shipped pack) on a fresh copy
  of the loaded database, so that it raises every alert (the writes included); then a
  second scan of the same copy, whose alerts are already in place, for reference. Before
  them, the process's one-time start-up is paid untimed (``warm_up``), as the floor's
  warming pass pays its own.

Targets: the first scan within 3x the floor, and a city-scale scan on SQLite within
2 minutes.

    python bench/bench_scan.py [--scale district|city] [--database sqlite|postgresql ...]
                               [--seed 7] [--as-of 2026-11-20] [--keep] [--no-extracts]
                               [--no-vacuum] [--precomputed]

The generated files are kept in bench/out (as bench_import keeps them). ``--keep`` keeps the
loaded database too, and reuses it when it is there: ``bench/out/<scale>-<seed>-<as_of>.db``
for SQLite, the database ``wg_bench_<scale>_<seed>_<as_of>`` for PostgreSQL (reached through
``WAGE_GUARD_BENCH_DATABASE_URL``, default ``postgresql://postgres@127.0.0.1:5432/test``).
The scans always run on a copy of it (a file copy; ``CREATE DATABASE ... TEMPLATE``),
dropped after; a PostgreSQL copy gets ``VACUUM ANALYZE`` (what autovacuum does on a deployed
server), or only ``ANALYZE`` with ``--no-vacuum``. Unless ``--no-extracts``, the scan
context's shared extracts are then timed one by one on a fresh context (each rule's seconds
include the extracts it is the first to ask for, since a scan computes each of them once).
``--precomputed`` also times a first scan on another fresh copy with every shared extract
computed in advance, untimed: what the checks and the alert store cost by themselves.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from wage_guard.config import ImportSettings
from wage_guard.db import make_engine, make_session_factory, normalize_url, utcnow
from wage_guard.db.migrate import upgrade
from wage_guard.demo.generate import SCALES, generate
from wage_guard.imports.service import import_file
from wage_guard.scan import service
from wage_guard.scan.context import ScanContext
from wage_guard.scan.orm import ScanRun
from wage_guard.scan.rules import load_rules, runnable
from wage_guard.scan.service import run_scan
from wage_guard.scan.snapshot import read_snapshot

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_RATIO = 3.0
TARGET_CITY_SQLITE_SECONDS = 120.0
FLOOR_RUNS = 3

# The floor: one bare aggregate pass over each big table; {month} is the dialect's month of
# a transaction's date.
FLOOR_QUERIES = {
    "payroll_lines": """
        SELECT project_id, month, COUNT(*), SUM(wage_payable), SUM(wage_paid)
        FROM payroll_lines GROUP BY project_id, month
    """,
    "roster_entries": """
        SELECT project_id, month, COUNT(*), SUM(days_present)
        FROM roster_entries GROUP BY project_id, month
    """,
    "account_transactions": """
        SELECT wage_account_id, {month} AS month, COUNT(*), SUM(amount)
        FROM account_transactions GROUP BY wage_account_id, {month}
    """,
}
TXN_MONTH = {"sqlite": "substr(txn_date, 1, 7)", "postgresql": "date_trunc('month', txn_date)"}

# The scan context's shared extracts, timed one by one on a fresh context.
EXTRACTS: dict[str, Callable[[ScanContext], Any]] = {
    "projects": lambda c: c.projects(),
    "payroll_months": lambda c: c.payroll_months(),
    "roster_months": lambda c: c.roster_months(),
    # After the two it reads each project's last month with data from.
    "project_months": lambda c: c.project_months(),
    "payroll_exceptions": lambda c: c.payroll_exceptions(),
    "roster_mismatches": lambda c: c.roster_mismatches(),
    "workers_on_several_projects:payroll_lines": lambda c: c.workers_on_several_projects(
        "payroll_lines"
    ),
    "workers_on_several_projects:roster_entries": lambda c: c.workers_on_several_projects(
        "roster_entries"
    ),
    "shared_cards": lambda c: c.shared_cards(),
    "account_days": lambda c: c.account_days(),
    "account_balances": lambda c: c.account_balances(),
    "minimum_wages": lambda c: c.minimum_wages(),
}


def dataset(scale: str, seed: int, as_of: date) -> Path:
    """The generated files of ``scale``, made once and kept in bench/out."""
    out = OUT / f"{scale}-{seed}-{as_of.isoformat()}"
    if not (out / "manifest.json").exists():
        started = time.perf_counter()
        generate(SCALES[scale], seed=seed, out=out, as_of=as_of)
        print(f"generated {scale} data in {time.perf_counter() - started:.1f} s -> {out}")
    return out


def load(url: str, data: Path) -> dict[str, int]:
    """Migrate the empty database at ``url`` and import every file of the manifest in order."""
    engine = make_engine(url)
    upgrade(engine)
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    limits = ImportSettings(max_file_mb=2048, max_rows=10_000_000)
    rows: dict[str, int] = {}
    for entry in manifest["files"]:
        report = import_file(engine, kind=entry["kind"], path=data / entry["path"], limits=limits)
        assert report.status == "imported", (entry["path"], report.errors[:5])
        rows[entry["kind"]] = rows.get(entry["kind"], 0) + report.inserted
    engine.dispose()
    return rows


def analyze(url: str, vacuum: bool = False) -> None:
    """``ANALYZE`` (``VACUUM ANALYZE`` on PostgreSQL with ``vacuum``: it sets the visibility
    map, without which an index-only scan still reads the table; autovacuum does it in time
    on a server where it is on)."""
    engine = make_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        vacuumed = vacuum and engine.dialect.name == "postgresql"
        conn.exec_driver_sql("VACUUM ANALYZE" if vacuumed else "ANALYZE")
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def table_rows(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        counts = {
            table: int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())
            for table in FLOOR_QUERIES
        }
    engine.dispose()
    return counts


# -- databases: the loaded one (kept or not) and a scratch copy of it per scan --------------


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


@contextmanager
def sqlite_database(data: Path, keep: bool) -> Iterator[tuple[str, float | None]]:
    """A loaded SQLite database (kept in bench/out with ``keep``) and its load seconds (None
    when reused)."""
    kept = OUT / f"{data.name}.db"
    if keep and kept.exists():
        yield f"sqlite:///{kept}", None
        return
    building = OUT / f"building-{uuid.uuid4().hex[:8]}.db"
    try:
        started = time.perf_counter()
        load(f"sqlite:///{building}", data)
        analyze(f"sqlite:///{building}")
        seconds = time.perf_counter() - started
        if keep:
            building.rename(kept)
            yield f"sqlite:///{kept}", seconds
        else:
            yield f"sqlite:///{building}", seconds
    finally:
        for stale in _sqlite_files(building):
            stale.unlink(missing_ok=True)


@contextmanager
def sqlite_copy(url: str, vacuum: bool = False) -> Iterator[str]:
    """A scratch copy of the SQLite file (``vacuum`` changes nothing there)."""
    source = Path(make_url(url).database or "")
    copy = source.with_name(f"scan-{uuid.uuid4().hex[:8]}.db")
    shutil.copyfile(source, copy)
    try:
        yield f"sqlite:///{copy}"
    finally:
        for stale in _sqlite_files(copy):
            stale.unlink(missing_ok=True)


def _pg_admin() -> tuple[sa.Engine, sa.URL]:
    base = make_url(normalize_url(os.environ.get("WAGE_GUARD_BENCH_DATABASE_URL", PG_DEFAULT)))
    return sa.create_engine(base, isolation_level="AUTOCOMMIT"), base


def _pg_exists(admin: sa.Engine, name: str) -> bool:
    with admin.connect() as conn:
        found = conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.first() is not None


def _pg_drop(admin: sa.Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def postgresql_database(data: Path, keep: bool) -> Iterator[tuple[str, float | None]]:
    """A loaded PostgreSQL database (kept under the dataset's name with ``keep``) and its load
    seconds (None when reused)."""
    admin, base = _pg_admin()
    kept = "wg_bench_" + data.name.replace("-", "_")
    building = f"wg_bench_building_{uuid.uuid4().hex[:8]}"
    try:
        if keep and _pg_exists(admin, kept):
            yield base.set(database=kept).render_as_string(hide_password=False), None
            return
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{building}"')
        url = base.set(database=building).render_as_string(hide_password=False)
        started = time.perf_counter()
        load(url, data)
        analyze(url)
        seconds = time.perf_counter() - started
        if keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'ALTER DATABASE "{building}" RENAME TO "{kept}"')
            url = base.set(database=kept).render_as_string(hide_password=False)
        yield url, seconds
    finally:
        _pg_drop(admin, building)
        admin.dispose()


@contextmanager
def postgresql_copy(url: str, vacuum: bool = False) -> Iterator[str]:
    admin, base = _pg_admin()
    source = make_url(url).database
    name = f"wg_bench_scan_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    copy = base.set(database=name).render_as_string(hide_password=False)
    try:
        analyze(copy, vacuum)
        yield copy
    finally:
        _pg_drop(admin, name)
        admin.dispose()


# -- measures --------------------------------------------------------------------------------


def floor_seconds(engine: sa.Engine) -> tuple[float, list[float]]:
    """The best of ``FLOOR_RUNS`` timed passes (after one warming pass) of the three bare
    aggregates, each fetched completely; and every timed pass."""
    month = TXN_MONTH[engine.dialect.name]
    queries = [sql.format(month=month) for sql in FLOOR_QUERIES.values()]
    runs: list[float] = []
    with engine.connect() as conn:
        for attempt in range(FLOOR_RUNS + 1):
            started = time.perf_counter()
            for sql in queries:
                [tuple(row) for row in conn.exec_driver_sql(sql)]
            if attempt:
                runs.append(time.perf_counter() - started)
        conn.rollback()
    return min(runs), runs


def warm_up(engine: sa.Engine, as_of: date) -> None:
    """What a process pays once, before its first scan, and not again: the ORM's first flush
    (which builds its unit of work) of a scan run, rolled back. The floor has its warming
    pass too."""
    with make_session_factory(engine)() as session:
        session.add(
            ScanRun(as_of=as_of, trigger="bench", status="running", started_at=utcnow(),
                    rules=[], rule_stats={})
        )  # fmt: skip
        session.flush()
        session.rollback()


def timed_scan(engine: sa.Engine, as_of: date) -> dict[str, Any]:
    rules = runnable(load_rules())
    started = time.perf_counter()
    summary = run_scan(engine, as_of=as_of, rules=rules, trigger="bench")
    seconds = time.perf_counter() - started
    failed = {rid: s.error for rid, s in summary.rules.items() if s.error}
    return {
        "seconds": round(seconds, 3),
        "status": summary.status,
        "rules": {rid: s.seconds for rid, s in summary.rules.items()},
        "found": {rid: s.found for rid, s in summary.rules.items()},
        "new": sum(s.new for s in summary.rules.values()),
        "failed": failed,
    }


def extract_seconds(engine: sa.Engine, as_of: date) -> dict[str, float]:
    """Each shared extract's seconds on a fresh context (its dependencies computed before it,
    untimed), in the read snapshot a scan takes (``read_snapshot``)."""
    seconds: dict[str, float] = {}
    with read_snapshot(engine) as snapshot:
        conn = snapshot.connection
        warm = ScanContext(conn, as_of)
        for name, extract in EXTRACTS.items():
            context = ScanContext(conn, as_of)
            # Extracts built on others (project_months on projects, ...) get them ready-made,
            # hashed with the same seed.
            context._hash_seed = warm._hash_seed
            context._cache.update({k: v for k, v in warm._cache.items()})
            for key in [k for k in context._cache if k == name or k.startswith(name + ":")]:
                del context._cache[key]
            started = time.perf_counter()
            try:
                extract(context)
            except AttributeError:
                continue  # not in this version of the context
            seconds[name] = round(time.perf_counter() - started, 3)
            warm._cache.update(context._cache)
    return seconds


def precomputed_scan_seconds(engine: sa.Engine, as_of: date) -> float:
    """A first scan's seconds with every shared extract computed in advance, untimed (the
    scan's contexts start with them in place)."""
    with read_snapshot(engine) as snapshot:
        warm = ScanContext(snapshot.connection, as_of)
        for extract in EXTRACTS.values():
            extract(warm)

    def ready(connection: sa.Connection, as_of: date) -> ScanContext:
        context = ScanContext(connection, as_of)
        context._hash_seed = warm._hash_seed
        context._cache.update(warm._cache)
        return context

    with mock.patch.object(service, "ScanContext", ready):
        return float(timed_scan(engine, as_of)["seconds"])


def run(
    scale: str,
    database: str,
    seed: int,
    as_of: date,
    *,
    keep: bool,
    extracts: bool,
    vacuum: bool,
    precomputed: bool = False,
) -> dict[str, Any]:
    data = dataset(scale, seed, as_of)
    loaded = sqlite_database if database == "sqlite" else postgresql_database
    copy = sqlite_copy if database == "sqlite" else postgresql_copy
    with loaded(data, keep) as (url, load_seconds):
        if load_seconds is not None:
            print(f"{database:>10}: loaded {data.name} in {load_seconds:.1f} s")
        rows = table_rows(url)
        with copy(url, vacuum) as scratch:
            engine = make_engine(scratch)
            floor, floor_runs = floor_seconds(engine)
            warm_up(engine, as_of)
            first = timed_scan(engine, as_of)
            second = timed_scan(engine, as_of)
            parts = extract_seconds(engine, as_of) if extracts else {}
            engine.dispose()
        ready_seconds = None
        if precomputed:
            with copy(url, vacuum) as scratch:
                engine = make_engine(scratch)
                warm_up(engine, as_of)
                ready_seconds = precomputed_scan_seconds(engine, as_of)
                engine.dispose()
    return {
        "scale": scale,
        "database": database,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "rows": rows,
        "load_seconds": None if load_seconds is None else round(load_seconds, 1),
        "vacuumed": vacuum and database == "postgresql",
        "floor_seconds": round(floor, 3),
        "floor_runs": [round(s, 3) for s in floor_runs],
        "floor_txn_grouping": f"wage_account_id, {TXN_MONTH[database]}",
        "scan_seconds": first["seconds"],
        "scan_status": first["status"],
        "scan_new_alerts": first["new"],
        "scan_failed_rules": first["failed"],
        "rule_seconds": first["rules"],
        "rule_found": first["found"],
        "second_scan_seconds": second["seconds"],
        "second_rule_seconds": second["rules"],
        "extract_seconds": parts,
        "precomputed_scan_seconds": ready_seconds,
        "ratio": round(first["seconds"] / floor, 2),
        "target_ratio": TARGET_RATIO,
        "target_city_sqlite_seconds": TARGET_CITY_SQLITE_SECONDS,
    }


def report(result: dict[str, Any]) -> None:
    database = result["database"]
    rows = result["rows"]
    print(
        f"{database:>10}: {result['scale']} ({rows['payroll_lines']:,} payroll, "
        f"{rows['roster_entries']:,} roster, {rows['account_transactions']:,} transactions), "
        f"as of {result['as_of']}"
    )
    first, second = result["rule_seconds"], result["second_rule_seconds"]
    print(f"{'rule':>34} {'1st s':>8} {'2nd s':>8} {'found':>7}")
    for rule in sorted(first, key=lambda r: -first[r]):
        print(
            f"{rule:>34} {first[rule]:>8.3f} {second.get(rule, 0):>8.3f} "
            f"{result['rule_found'][rule]:>7,}"
        )
    if result["extract_seconds"]:
        print("  shared extracts, each on a fresh context: " + ", ".join(
            f"{name} {s:.3f}" for name, s in sorted(
                result["extract_seconds"].items(), key=lambda item: -item[1]
            )
        ))  # fmt: skip
    if result["precomputed_scan_seconds"] is not None:
        print(
            f"  first scan with every shared extract computed in advance: "
            f"{result['precomputed_scan_seconds']:.2f} s (the checks and the alert store alone)"
        )
    if result["scan_failed_rules"]:
        print(f"  failed rules: {result['scan_failed_rules']}")
    verdict = "met" if result["ratio"] <= TARGET_RATIO else "MISSED"
    print(
        f"{database:>10}: scan {result['scan_seconds']:.2f} s ({result['scan_status']}, "
        f"{result['scan_new_alerts']:,} new alerts; second scan {result['second_scan_seconds']:.2f}"
        f" s); floor {result['floor_seconds']:.2f} s; ratio {result['ratio']:.2f}x "
        f"(target {TARGET_RATIO:g}x: {verdict})"
    )
    if result["scale"] == "city" and database == "sqlite":
        within = result["scan_seconds"] <= TARGET_CITY_SQLITE_SECONDS
        print(
            f"{database:>10}: city scan {result['scan_seconds']:.1f} s (target "
            f"{TARGET_CITY_SQLITE_SECONDS:g} s: {'met' if within else 'MISSED'})"
        )
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="district", choices=["small", "district", "city"])
    parser.add_argument("--database", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 20))
    parser.add_argument("--keep", action="store_true", help="keep and reuse the loaded database")
    parser.add_argument("--no-extracts", action="store_true", help="skip timing the extracts")
    parser.add_argument(
        "--no-vacuum", action="store_true", help="only ANALYZE the PostgreSQL copy, no VACUUM"
    )
    parser.add_argument(
        "--precomputed",
        action="store_true",
        help="also time a first scan with every shared extract computed in advance",
    )
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.platform()}")  # fmt: skip
    for database in args.database or ["sqlite", "postgresql"]:
        result = run(
            args.scale,
            database,
            args.seed,
            args.as_of,
            keep=args.keep,
            extracts=not args.no_extracts,
            vacuum=not args.no_vacuum,
            precomputed=args.precomputed,
        )
        report(result)


if __name__ == "__main__":
    main()
