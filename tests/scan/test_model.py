"""Helpers the checks share (``wage_guard.scan.model``), and the evidence built with them."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.scan.builders import load, worker_id
from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import MAX_LISTED, collect, listed_workers
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


def test_listed_workers_in_order_up_to_the_cap() -> None:
    """Each alert's workers masked, in the details' order, at most MAX_LISTED of them, with
    the total before the cap; groups in the order of their first row."""
    many = MAX_LISTED + 7
    details = pd.DataFrame(
        {
            "project_id": [2] * many + [1, 1],
            "subject": ["2026-03"] * many + ["2026-01", "2026-01"],
            "id_number": [worker_id(n) for n in range(1, many + 1)] + [worker_id(900)] * 2,
            "worker_name": [f"w{n}" for n in range(1, many + 1)] + ["a", "b"],
            "owed": [str(n) for n in range(many)] + [None, "5.00"],
        }
    )
    listed = listed_workers(details, ["owed"])
    assert listed[["project_id", "subject", "listed_total"]].values.tolist() == [
        [2, "2026-03", many],
        [1, "2026-01", 2],
    ]
    capped, small = listed["listed"]
    assert [w["name"] for w in capped] == [f"w{n}" for n in range(1, MAX_LISTED + 1)]
    assert capped[0]["id_number"] == worker_id(1)[:6] + "********" + worker_id(1)[-4:]
    assert small == [
        {"id_number": worker_id(900)[:6] + "********" + worker_id(900)[-4:], "name": "a",
         "owed": None},
        {"id_number": worker_id(900)[:6] + "********" + worker_id(900)[-4:], "name": "b",
         "owed": "5.00"},
    ]  # fmt: skip


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
