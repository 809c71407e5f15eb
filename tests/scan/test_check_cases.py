"""Every check against its case file: firing and not firing, boundaries included.

Each ``cases/<rule id>.toml`` holds ``[[case]]`` tables: ``name``, ``as_of``, the data
(``projects``, ``roster``, ``payroll``, ``transactions``, ``minimum_wages``; see
``builders.py`` for the defaults), optional ``params`` overriding the shipped rule's, and
``expect``: the alerts the rule raises, as ``{project, subject, level}`` tables (an empty
list for "does not fire"). Each case runs on a fresh database, on every backend.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.scan.builders import load
from wage_guard.scan.context import ScanContext
from wage_guard.scan.rules import SHIPPED_RULES, load_rule_file

CASES_DIR = Path(__file__).parent / "cases"


def _cases() -> list[Any]:
    found = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for case in data["case"]:
            found.append(pytest.param(data["rule"], case, id=f"{path.stem}: {case['name']}"))
    return found


@pytest.mark.parametrize(("rule_id", "case"), _cases())
def test_case(engine: sa.Engine, rule_id: str, case: dict[str, Any]) -> None:
    codes = load(engine, case)
    rule = load_rule_file(SHIPPED_RULES / f"{rule_id}.toml", overrides=case.get("params"))
    as_of = case["as_of"] if isinstance(case["as_of"], date) else date.fromisoformat(case["as_of"])
    with engine.connect() as conn:
        findings = rule.evaluate(ScanContext(conn, as_of))
    by_id = {v: k for k, v in codes.items()}
    got = sorted(
        (by_id[int(row.project_id)], row.subject or "", row.level) for row in findings.itertuples()
    )
    expected = sorted((e["project"], e.get("subject", ""), e["level"]) for e in case["expect"])
    assert got == expected
    for row in findings.itertuples():
        assert row.message_zh and row.message_en
        assert isinstance(row.evidence, dict) and row.evidence


def test_every_shipped_rule_has_a_case_file() -> None:
    rules = {p.stem for p in SHIPPED_RULES.glob("*.toml")}
    cases = {p.stem for p in CASES_DIR.glob("*.toml")}
    assert rules <= cases, f"rules without cases: {sorted(rules - cases)}"
