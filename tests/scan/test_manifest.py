"""The generator's manifest is the test of the rule pack.

Generate the small region, import every file, scan as of the manifest's date: every planted
problem raised its rule on its project (and month), and no alert names a clean project.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from wage_guard.config import ImportSettings
from wage_guard.demo.generate import SCALES, generate
from wage_guard.imports.service import import_file
from wage_guard.scan.rules import load_rules, runnable
from wage_guard.scan.service import run_scan

AS_OF = date(2026, 11, 24)


@pytest.fixture(scope="module")
def small_region(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("region")
    manifest = generate(SCALES["small"], seed=11, out=out, as_of=AS_OF)
    return out, manifest


def test_planted_problems_fire_and_clean_projects_stay_quiet(
    engine: sa.Engine, small_region: tuple[Path, dict]
) -> None:
    out, manifest = small_region
    assert manifest == json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        report = import_file(
            engine, kind=entry["kind"], path=out / entry["path"], limits=ImportSettings()
        )
        assert report.status == "imported", (entry["path"], report.errors[:3])

    summary = run_scan(
        engine, as_of=date.fromisoformat(manifest["as_of"]), rules=runnable(load_rules())
    )
    assert summary.status == "succeeded", {k: v.error for k, v in summary.rules.items() if v.error}

    with engine.connect() as conn:
        alerts = conn.execute(
            sa.text(
                "SELECT a.rule_id, p.code, a.subject FROM alerts a "
                "JOIN projects p ON p.id = a.project_id WHERE a.status = 'open'"
            )
        ).all()
    raised = {(rule, code, subject) for rule, code, subject in alerts}
    raised_any_month = {(rule, code) for rule, code, _ in alerts}

    missed = [
        planted
        for planted in manifest["planted"]
        if (
            (planted["rule"], planted["project_code"], planted["month"]) not in raised
            if planted["month"]
            else (planted["rule"], planted["project_code"]) not in raised_any_month
        )
    ]
    assert missed == []

    clean = set(manifest["clean_projects"])
    noisy = sorted({(rule, code, subject) for rule, code, subject in alerts if code in clean})
    assert noisy == []

    planted_rules = {planted["rule"] for planted in manifest["planted"]}
    assert planted_rules == {rule.id for rule in load_rules()}
