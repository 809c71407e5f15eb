"""Projects over HTTP: the list ranked by risk within the caller's scope, and one project's
detail with its months figured from roster, payroll and wage account."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.scan.builders import credit_code
from wage_guard.models import AccountTransaction, WageAccount


def _codes(client: TestClient, world: World, user: str, query: str = "") -> list[str]:
    answer = client.get(f"/api/v1/projects{query}", headers=world.headers(user))
    assert answer.status_code == 200, answer.text
    return [item["code"] for item in answer.json()["items"]]


def test_list_is_scoped_to_the_callers_projects(client: TestClient, world: World) -> None:
    assert sorted(_codes(client, world, "inspector")) == ["P1", "P2"]
    assert _codes(client, world, "inspector_heping") == ["P1"]
    assert _codes(client, world, "contractor1") == ["P1"]
    assert _codes(client, world, "contractor2") == ["P2"]


def test_list_pages_filters_and_sorts(client: TestClient, world: World) -> None:
    answer = client.get(
        "/api/v1/projects?sort=code&limit=1&offset=1", headers=world.headers("admin")
    )
    assert answer.status_code == 200
    page = answer.json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 1)
    assert [item["code"] for item in page["items"]] == ["P2"]
    item = page["items"][0]
    assert item["contractor"] == "总承包2"
    assert item["risk_grade"] in ("red", "orange", "yellow")
    assert item["open_red"] + item["open_orange"] + item["open_yellow"] > 0
    assert _codes(client, world, "admin", "?district=河西区") == ["P2"]
    assert _codes(client, world, "admin", "?q=和平") == ["P1"]
    assert _codes(client, world, "admin", "?q=p2") == ["P2"]
    assert _codes(client, world, "admin", "?q=%25") == []
    assert _codes(client, world, "admin", "?grade=green") == []
    risk = client.get("/api/v1/projects?limit=500", headers=world.headers("admin")).json()
    ranked = [(item["risk_grade"], item["risk_score"]) for item in risk["items"]]
    rank = {"red": 3, "orange": 2, "yellow": 1, "green": 0}
    assert ranked == sorted(ranked, key=lambda g: (rank[g[0]], g[1]), reverse=True)


def test_list_refuses_bad_parameters(client: TestClient, world: World) -> None:
    headers = world.headers("inspector")
    for query in (
        "limit=501",
        "limit=0",
        "offset=-1",
        "sort=name",
        "grade=blue",
        "extra=1",
        "q=%00",
        "district=%E5%92%8C%00",
    ):
        answer = client.get(f"/api/v1/projects?{query}", headers=headers)
        assert answer.status_code == 422, query
        assert answer.json()["error"]["code"] == "invalid_input"


def test_bank_may_not_read_projects(client: TestClient, world: World) -> None:
    assert client.get("/api/v1/projects", headers=world.headers("bank1")).status_code == 403
    assert client.get("/api/v1/projects/P1", headers=world.headers("bank1")).status_code == 403


def test_detail_of_own_project(client: TestClient, world: World) -> None:
    answer = client.get("/api/v1/projects/P1", headers=world.headers("contractor1"))
    assert answer.status_code == 200, answer.text
    detail = answer.json()
    assert (detail["code"], detail["name"], detail["district"]) == ("P1", "和平花园", "和平区")
    assert detail["status"] == "in_progress"
    assert detail["contract_amount"] == "1000000.00"
    assert detail["pay_day"] == 15
    assert detail["owner"] == {"name": "建设单位", "credit_code": credit_code(999)}
    assert detail["contractor"] == {"name": "总承包1", "credit_code": credit_code(1)}
    assert detail["wage_account"] == {
        "account_no": "ACCP1",
        "bank": "测试银行",
        "opened_on": "2025-01-01",
    }
    assert detail["guarantee"] is None
    assert detail["months"] == [
        {
            "month": "2026-01",
            "workers_attended": 2,
            "workers_paid": 0,
            "wages_payable": "12000.00",
            "wages_paid": "0.00",
            "labor_cost_in": "20000.00",
            "payouts": "0.00",
            "balance": "20000.00",
        }
    ]
    alerts = detail["open_alerts"]
    assert len(alerts) == detail["open_alert_count"] == len(world.alerts["P1"])
    assert {alert["project_code"] for alert in alerts} == {"P1"}
    assert detail["closed_alert_count"] == 0
    assert detail["risk_grade"] != "green"


def test_detail_balance_runs_across_months(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    """A payout in February leaves January's balance alone and lowers February's; a month
    with only account lines still gets its entry."""
    with engine.begin() as conn:
        account_id, batch_id = conn.execute(
            sa.select(WageAccount.id, AccountTransaction.batch_id)
            .join(AccountTransaction, AccountTransaction.wage_account_id == WageAccount.id)
            .where(WageAccount.project_id == world.projects["P2"])
        ).one()
        conn.execute(
            sa.insert(AccountTransaction),
            [
                {
                    "wage_account_id": account_id,
                    "txn_id": f"F{n}",
                    "txn_date": day,
                    "kind": kind,
                    "amount": amount,
                    "batch_id": batch_id,
                }
                for n, (day, kind, amount) in enumerate(
                    [
                        (date(2026, 2, 10), "wage_payout", "0.10"),
                        (date(2026, 2, 11), "wage_payout", "0.20"),
                        (date(2026, 2, 12), "other_in", "5.05"),
                        (date(2026, 2, 28), "other_out", "1.00"),
                    ]
                )
            ],
        )
    detail = client.get("/api/v1/projects/P2", headers=world.headers("contractor2")).json()
    months = {entry["month"]: entry for entry in detail["months"]}
    assert list(months) == ["2026-01", "2026-02"]
    assert months["2026-01"]["balance"] == "20000.00"
    february = months["2026-02"]
    assert (february["workers_attended"], february["wages_payable"]) == (0, "0.00")
    assert (february["labor_cost_in"], february["payouts"]) == ("0.00", "0.30")
    assert february["balance"] == "20003.75"


def test_detail_outside_scope_or_unknown_is_404(client: TestClient, world: World) -> None:
    for user, code in (
        ("contractor1", "P2"),
        ("inspector_heping", "P2"),
        ("contractor2", "P1"),
        ("admin", "NOPE"),
    ):
        answer = client.get(f"/api/v1/projects/{code}", headers=world.headers(user))
        assert answer.status_code == 404, (user, code)
        assert answer.json()["error"]["code"] == "not_found"
    for code in ("X" * 65, "P%001"):
        answer = client.get(f"/api/v1/projects/{code}", headers=world.headers("admin"))
        assert answer.status_code == 422, code


def test_detail_counts_closed_alerts(client: TestClient, world: World) -> None:
    headers = world.headers("inspector")
    alert_id = world.alerts["P1"][0]
    seen = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).json()
    body = {"action": "dismiss", "reason": "已核实", "version": seen["version"]}
    assert client.post(f"/api/v1/alerts/{alert_id}/actions", json=body, headers=headers).is_success
    detail = client.get("/api/v1/projects/P1", headers=headers).json()
    assert detail["closed_alert_count"] == 1
    assert detail["open_alert_count"] == len(world.alerts["P1"]) - 1
    assert alert_id not in {alert["id"] for alert in detail["open_alerts"]}
