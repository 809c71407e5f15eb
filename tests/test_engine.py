"""The SQLite library's memory statistics: off for the process once ``make_engine`` has run,
unless a connection was already open (``wage_guard.db.engine.sqlite_memory_statistics_off``).

Each case runs in a fresh Python process: the setting belongs to the process's library.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="set only on Linux")

# Prints, as JSON, what a child process saw; ``memory_used`` stays 0 with connections open
# only when the statistics are off.
PRELUDE = """
import ctypes, importlib, json, sqlite3, sys
library = ctypes.CDLL(importlib.import_module("_sqlite3").__file__)
library.sqlite3_memory_used.restype = ctypes.c_int64
from wage_guard.db import make_engine
from wage_guard.db.engine import sqlite_memory_statistics_off
"""


def _run(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_off_before_the_first_connection(tmp_path: Path) -> None:
    """The first engine turns them off; its connections work, groupings included."""
    seen = _run(
        f"""
        engine = make_engine("sqlite:///{tmp_path / "off.db"}")
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (k INTEGER, v INTEGER)")
            conn.exec_driver_sql(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)"
                " INSERT INTO t SELECT i % 100, i FROM n"
            )
            groups = conn.exec_driver_sql(
                "SELECT k, COUNT(*), SUM(v) FROM t GROUP BY k HAVING COUNT(*) > 1"
            ).all()
            used = library.sqlite3_memory_used()
        print(json.dumps({{"off": sqlite_memory_statistics_off(), "used_while_open": used,
                          "groups": len(groups), "total": sum(g[2] for g in groups)}}))
        """
    )
    assert seen == {"off": True, "used_while_open": 0, "groups": 100, "total": 5000 * 5001 // 2}


def test_left_on_while_a_connection_is_open(tmp_path: Path) -> None:
    """A connection opened before the first engine keeps working, and the statistics stay
    on until no connection is left."""
    seen = _run(
        f"""
        early = sqlite3.connect("{tmp_path / "early.db"}")
        early.execute("CREATE TABLE t (v INTEGER)")
        early.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
        early.commit()
        engine = make_engine("sqlite:///{tmp_path / "late.db"}")
        with engine.connect() as conn:
            late = conn.exec_driver_sql("SELECT 41 + 1").scalar_one()
        counted = library.sqlite3_memory_used() > 0
        total = early.execute("SELECT SUM(v) FROM t").fetchone()[0]
        early.close()
        engine.dispose()
        print(json.dumps({{"counted_with_early_open": counted, "early_total": total,
                          "late": late, "off_when_closed": sqlite_memory_statistics_off()}}))
        """
    )
    assert seen == {
        "counted_with_early_open": True,
        "early_total": 4950,
        "late": 42,
        "off_when_closed": True,
    }
