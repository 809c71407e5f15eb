"""Import benchmark: the district-scale payroll into a fresh database, beside the storage limit.

Prints the import's rate (rows per second, parsing, checking and writing included) next to
the rate of a bare bulk write of the same rows, in the same transactions (one per file), into
a twin of the payroll table (the same columns, keys, checks and indexes) in the same database
and the same run: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. The target is an import
at 70% of the bare rate or better.

    python bench/bench_import.py [--scale district] [--database sqlite|postgresql] [--seed 7]

PostgreSQL is reached through ``WAGE_GUARD_BENCH_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); the benchmark creates and drops a database
of its own there.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from wage_guard.config import ImportSettings
from wage_guard.db import make_engine, normalize_url
from wage_guard.db.migrate import upgrade
from wage_guard.demo.generate import SCALES, generate
from wage_guard.imports.service import import_file
from wage_guard.models import PayrollLine

HERE = Path(__file__).resolve().parent
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
BARE_TABLE = "bench_bare_payroll"


@contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[str]:
    """The URL of an empty database migrated to head; a PostgreSQL one is dropped after."""
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    base = make_url(normalize_url(os.environ.get("WAGE_GUARD_BENCH_DATABASE_URL", PG_DEFAULT)))
    name = f"wg_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def dataset(scale: str, seed: int, as_of: date) -> Path:
    """The generated files of ``scale``, made once and kept in bench/out."""
    out = HERE / "out" / f"{scale}-{seed}-{as_of.isoformat()}"
    if not (out / "manifest.json").exists():
        started = time.perf_counter()
        generate(SCALES[scale], seed=seed, out=out, as_of=as_of)
        print(f"generated {scale} data in {time.perf_counter() - started:.1f} s -> {out}")
    return out


def twin_table(engine: sa.Engine) -> sa.Table:
    """An empty copy of ``payroll_lines``: the same columns, keys, checks and indexes."""
    payroll = sa.inspect(PayrollLine).local_table
    assert isinstance(payroll, sa.Table)
    metadata = sa.MetaData()
    for table in payroll.metadata.sorted_tables:
        if table is not payroll:
            table.to_metadata(metadata)
    twin = payroll.to_metadata(metadata, name=BARE_TABLE)
    for index in twin.indexes:
        index.name = f"bare_{index.name}"
    for constraint in twin.constraints:
        if constraint.name:
            constraint.name = f"bare_{constraint.name}"
    twin.create(engine)
    return twin


def bare_rate(engine: sa.Engine) -> tuple[int, float]:
    """Seconds of a bare bulk write of the imported payroll rows into a twin table, file by
    file as the import wrote them (one transaction each): executemany on SQLite, COPY on
    PostgreSQL."""
    twin_table(engine)
    columns = [c.name for c in PayrollLine.__table__.columns if c.name != "id"]
    select = f"SELECT {', '.join(columns)} FROM payroll_lines ORDER BY id"
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql(select)]
    batch_at = columns.index("batch_id")
    batches: dict[int, list[tuple[object, ...]]] = {}
    for row in rows:
        batches.setdefault(int(row[batch_at]), []).append(row)
    names = ", ".join(columns)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        for batch in batches.values():
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY {BARE_TABLE} ({names}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f"INSERT INTO {BARE_TABLE} ({names}) VALUES ({marks})", batch)
            raw.commit()
        seconds = time.perf_counter() - started
    finally:
        raw.close()
    return len(rows), seconds


def run(scale: str, database: str, seed: int, as_of: date) -> dict[str, object]:
    data = dataset(scale, seed, as_of)
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    limits = ImportSettings(max_file_mb=2048, max_rows=10_000_000)
    with tempfile.TemporaryDirectory() as workdir, fresh_database(database, Path(workdir)) as url:
        engine = make_engine(url)
        for entry in manifest["files"]:
            if entry["kind"] in ("minimum-wages", "projects"):
                report = import_file(
                    engine, kind=entry["kind"], path=data / entry["path"], limits=limits
                )
                assert report.status == "imported", report.errors[:5]
        payroll = [data / e["path"] for e in manifest["files"] if e["kind"] == "payroll"]
        rows = 0
        started = time.perf_counter()
        for path in payroll:
            report = import_file(engine, kind="payroll", path=path, limits=limits)
            assert report.status == "imported", (path, report.errors[:5])
            rows += report.inserted
        import_seconds = time.perf_counter() - started
        bare_rows, bare_seconds = bare_rate(engine)
        engine.dispose()
    assert bare_rows == rows, (bare_rows, rows)
    import_rate = rows / import_seconds
    reference = bare_rows / bare_seconds
    return {
        "scale": scale,
        "database": database,
        "payroll_files": len(payroll),
        "rows": rows,
        "import_seconds": round(import_seconds, 2),
        "import_rows_per_second": round(import_rate),
        "bare_method": "COPY" if database == "postgresql" else "executemany",
        "bare_seconds": round(bare_seconds, 2),
        "bare_rows_per_second": round(reference),
        "ratio": round(import_rate / reference, 3),
        "target_ratio": 0.7,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="district", choices=["small", "district", "city"])
    parser.add_argument("--database", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 20))
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.platform()}")  # fmt: skip
    for database in args.database or ["sqlite", "postgresql"]:
        result = run(args.scale, database, args.seed, args.as_of)
        print(
            f"{database:>10}: import {result['import_rows_per_second']:>9,} rows/s "
            f"({result['rows']:,} rows in {result['import_seconds']} s); "
            f"bare {result['bare_method']} {result['bare_rows_per_second']:>9,} rows/s; "
            f"ratio {result['ratio']:.0%} (target 70%)"
        )
        print(json.dumps(result))


if __name__ == "__main__":
    main()
