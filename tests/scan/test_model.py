"""Helpers the checks share (``wage_guard.scan.model``), and the evidence built with them."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.scan.builders import load, worker_id
from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import collect
from wage_guard.scan.rules import SHIPPED_RULES, load_rule_file


@pytest.mark.parametrize("keys", [["a"], ["a", "b"]])
def test_collect_is_agg_list(keys: list[str]) -> None:
    """The same lists, in the frame's order within each group, as pandas' own agg(list)."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "a": rng.integers(0, 20, 500),
            "b": rng.choice(["x", "y", "z"], 500),
            "v": [f"2026-{m:02d}" for m in rng.integers(1, 13, 500)],
        }
    )
    expected = frame.groupby(keys)["v"].agg(list)
    got = collect(frame, keys, "v")
    assert got.index.equals(expected.index)
    assert got.tolist() == expected.tolist()
    assert collect(frame.iloc[:0], keys, "v").empty


def _evidence(engine: sa.Engine, rule_id: str, case: dict[str, object], as_of: str) -> list[dict]:
    load(engine, case)
    rule = load_rule_file(SHIPPED_RULES / f"{rule_id}.toml")
    with engine.connect() as conn:
        findings = rule.evaluate(ScanContext(conn, date.fromisoformat(as_of)))
    return list(findings["evidence"])


def test_completion_with_arrears_lists_each_workers_months(engine: sa.Engine) -> None:
    """Each worker owed on an ended project, with the months owed in order."""
    [evidence] = _evidence(
        engine,
        "completion_with_arrears",
        {
            "projects": [{"code": "P1", "status": "completed", "planned_end_date": "2026-03-31"}],
            "payroll": [
                {"project": "P1", "month": "2026-03", "worker": 2, "payable": "500", "paid": "0"},
                {"project": "P1", "month": "2026-01", "worker": 2, "payable": "6000", "paid": "0"},
                {"project": "P1", "month": "2026-02", "worker": 1, "payable": "3000", "paid": "0"},
            ],
        },
        "2026-05-01",
    )
    assert [(w["id_number"][-4:], w["months"], w["owed"]) for w in evidence["workers"]] == [
        (worker_id(2)[-4:], ["2026-01", "2026-03"], "6500.00"),
        (worker_id(1)[-4:], ["2026-02"], "3000.00"),
    ]


def test_consecutive_arrears_lists_the_months_of_each_run(engine: sa.Engine) -> None:
    """A worker's run of months owed, in order; a month paid in between breaks it."""
    owed = {"payable": "6000", "paid": "0"}
    paid = {"payable": "6000", "paid": "6000", "paid_on": "2026-05-10"}
    [evidence] = _evidence(
        engine,
        "consecutive_arrears",
        {
            "projects": [{"code": "P1"}],
            "payroll": [
                {"project": "P1", "month": "2026-04", "worker": 1, **owed},
                {"project": "P1", "month": "2026-02", "worker": 1, **owed},
                {"project": "P1", "month": "2026-03", "worker": 1, **owed},
                {"project": "P1", "month": "2026-01", "worker": 2, **owed},
                {"project": "P1", "month": "2026-02", "worker": 2, **paid},
                {"project": "P1", "month": "2026-03", "worker": 2, **owed},
                {"project": "P1", "month": "2026-04", "worker": 2, **owed},
            ],
        },
        "2026-06-20",
    )
    assert evidence["month"] == "2026-04"
    assert sorted((w["id_number"][-4:], w["months"]) for w in evidence["workers"]) == sorted(
        [
            (worker_id(1)[-4:], ["2026-02", "2026-03", "2026-04"]),
            (worker_id(2)[-4:], ["2026-03", "2026-04"]),
        ]
    )
