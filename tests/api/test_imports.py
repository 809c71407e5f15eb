"""File imports over HTTP: the kinds each role may send, its scope as row errors, the
report and its errors as CSV, other callers' batches as 404, and the size limit as 413."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.imports.files import PAYROLL_HEADER, payroll_row, row_counts, write_csv, write_xlsx
from wage_guard.config import ImportSettings, Settings
from wage_guard.imports.kinds import KINDS
from wage_guard.imports.router import KIND_PERMISSIONS, KindFilter
from wage_guard.models import AccountTransaction, ApiToken, PayrollLine

LIMIT_MB = 0.0625  # 64 KiB: more than any of these tests' files, far less than the default
IMPORTS = "/api/v1/imports"
ESCROW_HEADER = ["项目编号", "专户账号", "交易流水号", "交易日期", "交易类型", "金额"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def app_settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, imports=ImportSettings(max_file_mb=LIMIT_MB))


def payroll(project: str, worker: int, number: int = 1, month: str = "2026-02") -> list[object]:
    """A paid line of ``worker`` on ``project`` for ``month``, paid on the 10th after it."""
    paid_on = f"{month[:5]}{int(month[5:]) + 1:02d}-10"
    return payroll_row(number, worker, project=project, month=month, paid_on=paid_on)


def upload(
    client: TestClient,
    world: World,
    user: str,
    kind: str,
    path: Path,
    *,
    name: str | None = None,
    query: str = "",
) -> tuple[int, dict[str, Any]]:
    """POST the file at ``path`` as ``user``; returns the answer's status and body."""
    media = XLSX if path.suffix == ".xlsx" else "text/csv"
    answer = client.post(
        f"{IMPORTS}/{kind}{query}",
        files={"file": (name or path.name, path.read_bytes(), media)},
        headers=world.headers(user),
    )
    return answer.status_code, answer.json()


def data_counts(engine: sa.Engine) -> dict[str, int]:
    counts = row_counts(engine)
    del counts["import_batches"]
    return counts


def test_every_kind_has_a_permission_and_a_filter() -> None:
    assert set(KIND_PERMISSIONS) == set(KINDS)
    assert {kind.value for kind in KindFilter} == set(KINDS)


def test_a_contractors_gb18030_payroll_is_imported(
    client: TestClient, world: World, engine: sa.Engine, tmp_path: Path
) -> None:
    rows = [payroll("P1", 11, 1), payroll("P1", 12, 2)]
    path = write_csv(tmp_path / "二月工资表.csv", PAYROLL_HEADER, rows, encoding="gb18030")
    # The token's first use records last_used_at: the import must not wait on that write.
    code, report = upload(client, world, "contractor1", "payroll", path)
    assert (code, report["status"]) == (201, "imported"), report
    assert report["kind"] == "payroll" and report["file"] == "二月工资表.csv"
    assert (report["rows"], report["inserted"], report["errors"]) == (2, 2, [])
    assert report["warnings"] == ["columns not imported: 序号"]
    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(sa.func.count()).where(PayrollLine.batch_id == report["batch_id"])
        ).scalar_one()
        used = connection.execute(
            sa.select(ApiToken.last_used_at).where(ApiToken.last_used_at.is_not(None))
        ).all()
    assert (stored, len(used)) == (2, 1)
    code, again = upload(client, world, "contractor1", "payroll", path)
    assert (code, again["status"], again["batch_id"]) == (200, "duplicate", report["batch_id"])
    march = [payroll("P1", 11, month="2026-03")]
    path = write_csv(tmp_path / "三月.csv", PAYROLL_HEADER, march, encoding="gb18030")
    code, dry = upload(client, world, "contractor1", "payroll", path, query="?dry_run=true")
    assert (code, dry["status"], dry["batch_id"], dry["inserted"]) == (200, "valid", None, 1)
    with engine.connect() as connection:
        count = sa.select(sa.func.count()).select_from(PayrollLine)
        assert connection.execute(count.where(PayrollLine.month == "2026-03")).scalar_one() == 0


def test_a_row_of_another_contractors_project_rejects_the_whole_file(
    client: TestClient, world: World, engine: sa.Engine, tmp_path: Path
) -> None:
    rows = [payroll("P1", 11, 1), payroll("P2", 13, 2), payroll("P1", 12, 3)]
    path = write_xlsx(tmp_path / "工资表.xlsx", PAYROLL_HEADER, rows)
    before = data_counts(engine)
    answer = client.post(
        f"{IMPORTS}/payroll",
        files={"file": ("工资表.xlsx", path.read_bytes(), XLSX)},
        headers=world.headers("contractor1"),
    )
    assert answer.status_code == 422
    report = answer.json()
    assert report["status"] == "rejected" and report["batch_id"] is not None
    assert [(e["row"], e["column"], e["code"], e["value"]) for e in report["errors"]] == [
        (3, "project_code", "out_of_scope", "P2")
    ]
    assert data_counts(engine) == before
    corrected = write_xlsx(tmp_path / "工资表-改.xlsx", PAYROLL_HEADER, [rows[0], rows[2]])
    code, fixed = upload(client, world, "contractor1", "payroll", corrected)
    assert (code, fixed["status"], fixed["inserted"]) == (201, "imported", 2)

    seen = client.get(f"{IMPORTS}/{report['batch_id']}", headers=world.headers("contractor1"))
    assert seen.status_code == 200
    assert seen.json() == report
    listed = client.get(f"{IMPORTS}?kind=payroll", headers=world.headers("contractor1")).json()
    assert [(b["batch_id"], b["status"], b["error_count"]) for b in listed["items"]] == [
        (fixed["batch_id"], "imported", 0),
        (report["batch_id"], "rejected", 1),
    ]
    assert listed["total"] == 2 and listed["items"][0]["submitted_by"] == "contractor1"
    rejected = client.get(f"{IMPORTS}?status=rejected", headers=world.headers("contractor1"))
    assert [b["batch_id"] for b in rejected.json()["items"]] == [report["batch_id"]]


def test_the_errors_as_csv_are_masked_and_defanged(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    bad_id, formula = payroll("P1", 11, 1), payroll("P1", 12, 2)
    bad_id[3] = str(bad_id[3])[:-1] + ("1" if str(bad_id[3])[-1] == "0" else "0")
    formula[6] = "=SUM(A1:A9)"
    path = write_csv(tmp_path / "payroll.csv", PAYROLL_HEADER, [bad_id, formula])
    code, report = upload(client, world, "contractor1", "payroll", path)
    assert (code, report["status"]) == (422, "rejected")
    answer = client.get(
        f"{IMPORTS}/{report['batch_id']}/errors.csv", headers=world.headers("contractor1")
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert table[0] == ["row", "column", "code", "value", "message"]
    cells = {(row[0], row[1]): row for row in table[1:]}
    masked = str(bad_id[3])
    assert cells["2", "id_number"][3] == f"{masked[:6]}********{masked[-4:]}"
    assert cells["3", "wage_payable"][3] == "'=SUM(A1:A9)"


def test_another_users_batch_is_404_for_contractors_and_banks(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", PAYROLL_HEADER, [payroll("P1", 11)])
    batch = upload(client, world, "contractor1", "payroll", path)[1]["batch_id"]
    for user in ("contractor2", "bank1"):
        for url in (f"{IMPORTS}/{batch}", f"{IMPORTS}/{batch}/errors.csv"):
            answer = client.get(url, headers=world.headers(user))
            assert answer.status_code == 404, (user, url)
            assert answer.json()["error"]["code"] == "not_found"
        assert client.get(IMPORTS, headers=world.headers(user)).json()["items"] == []
    for user in ("admin", "inspector_heping"):
        assert client.get(f"{IMPORTS}/{batch}", headers=world.headers(user)).status_code == 200
        listed = client.get(IMPORTS, headers=world.headers(user)).json()
        # Every batch, newest first: this one, then the world's own loading.
        assert [item["batch_id"] for item in listed["items"]] == [batch, batch - 1]
    for missing in (batch + 1, 2**31 - 1):
        answer = client.get(f"{IMPORTS}/{missing}", headers=world.headers("admin"))
        assert answer.status_code == 404, missing


def test_a_bank_sends_statements_only_for_accounts_at_its_bank(
    client: TestClient, world: World, engine: sa.Engine, tmp_path: Path
) -> None:
    own = ["", "ACCP1", "B1-0001", "2026-02-05", "人工费拨付", "30,000.00"]
    path = write_csv(tmp_path / "流水.csv", ESCROW_HEADER, [own], encoding="gb18030")
    code, report = upload(client, world, "bank1", "escrow", path)
    assert (code, report["status"], report["inserted"]) == (201, "imported", 1)
    before = data_counts(engine)
    foreign = [
        [*own[:2], "B1-0002", *own[3:]],
        ["", "ACCP2", "B1-0003", "2026-02-05", "人工费拨付", "1"],
        ["P2", "", "B1-0004", "2026-02-05", "工资代发", "1"],
    ]
    path = write_csv(tmp_path / "流水2.csv", ESCROW_HEADER, foreign)
    code, refused = upload(client, world, "bank1", "escrow", path)
    assert (code, refused["status"]) == (422, "rejected")
    assert [(e["row"], e["column"], e["code"], e["value"]) for e in refused["errors"]] == [
        (3, "wage_account_no", "out_of_scope", "ACCP2"),
        (4, "project_code", "out_of_scope", "P2"),
    ]
    assert data_counts(engine) == before
    code, theirs = upload(client, world, "bank2", "escrow", path)
    assert code == 422  # row 2 is bank1's account
    assert [(e["row"], e["code"]) for e in theirs["errors"]] == [(2, "out_of_scope")]
    path = write_csv(tmp_path / "流水3.csv", ESCROW_HEADER, foreign[1:])
    assert upload(client, world, "bank2", "escrow", path)[0] == 201
    with engine.connect() as connection:
        count = sa.select(sa.func.count()).select_from(AccountTransaction)
        assert connection.execute(count).scalar_one() == before["account_transactions"] + 2


def test_a_role_may_send_only_its_kinds(client: TestClient, world: World, tmp_path: Path) -> None:
    statement = ["P1", "", "T1", "2026-02-05", "其他转入", "1"]
    escrow = write_csv(tmp_path / "e.csv", ESCROW_HEADER, [statement])
    pay = write_csv(tmp_path / "p.csv", PAYROLL_HEADER, [payroll("P1", 11)])
    for user, kind, path in (
        ("contractor1", "escrow", escrow),
        ("contractor1", "projects", pay),
        ("bank1", "payroll", pay),
        ("bank1", "minimum-wages", pay),
    ):
        code, answer = upload(client, world, user, kind, path)
        assert (code, answer["error"]["code"]) == (403, "forbidden"), (user, kind)
    code, unknown = upload(client, world, "admin", "salaries", pay)
    assert (code, unknown["error"]["code"]) == (404, "not_found")
    anonymous = client.post(f"{IMPORTS}/payroll", files={"file": ("p.csv", b"x", "text/csv")})
    assert anonymous.status_code == 401


def test_the_upload_is_named_as_sent_and_other_types_are_refused_by_the_import(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", PAYROLL_HEADER, [payroll("P1", 11)])
    code, named = upload(client, world, "contractor1", "payroll", path, name="C:\\工资\\二月.csv")
    assert (code, named["file"]) == (201, "二月.csv")
    code, text = upload(client, world, "contractor1", "payroll", path, name="../notes.txt")
    assert (code, text["status"], text["file"]) == (422, "rejected", "notes.txt")
    assert [e["code"] for e in text["errors"]] == ["file_type"]
    assert text["errors"][0]["message"].startswith("notes.txt: only .csv and .xlsx")
    missing = client.post(f"{IMPORTS}/payroll", headers=world.headers("contractor1"))
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_input"


def test_an_upload_over_the_limit_is_413_before_it_is_read(
    client: TestClient, world: World, engine: sa.Engine
) -> None:
    before = row_counts(engine)
    big = b"x" * int(LIMIT_MB * 1024 * 1024 + 1)
    declared = client.post(
        f"{IMPORTS}/payroll",
        files={"file": ("big.csv", big, "text/csv")},
        headers=world.headers("contractor1"),
    )
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "too_large"

    boundary = "wage-guard-test"

    def chunked() -> Iterator[bytes]:
        yield (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {
        **world.headers("contractor1"),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    streamed = client.post(f"{IMPORTS}/payroll", content=chunked(), headers=headers)
    assert streamed.request.headers.get("content-length") is None
    assert streamed.status_code == 413
    assert streamed.json()["error"] == {
        "code": "too_large",
        "message": f"the upload is larger than the limit of {LIMIT_MB:g} MB",
        "details": {"limit_bytes": int(LIMIT_MB * 1024 * 1024)},
    }
    assert row_counts(engine) == before
