"""App contexts for the job tests: the test database, and a rule pack of no rules so that a
scan is quick (the rules have tests of their own)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from wage_guard.config import ScanSettings, Settings
from wage_guard.context import AppContext

MakeContext = Callable[..., AppContext]

# For tests whose subject does not depend on the database, and for the races between
# processes, which RELIABILITY 9 asks of PostgreSQL (skipped when it is not configured).
on_sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
on_postgresql_only = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@pytest.fixture
def empty_rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    return folder


@pytest.fixture
def make_context(db_url: str, empty_rules: Path) -> Iterator[MakeContext]:
    """``make_context(**scan_settings)``: a context on the test database; closed at the end."""
    made: list[AppContext] = []

    def make(**scan: Any) -> AppContext:
        options = {"rule_dirs": [empty_rules], "replace_shipped_rules": True, **scan}
        context = AppContext(Settings(database_url=db_url, scan=ScanSettings(**options)))
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def context(make_context: MakeContext) -> AppContext:
    return make_context()
