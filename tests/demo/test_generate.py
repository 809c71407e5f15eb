"""The demo generator: every file kind, valid identities, every rule planted and firing,
clean projects silent, the same bytes for the same seed."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import SHARED_DIR
from tests.demo.oracle import alerts, load
from wage_guard.cli import app
from wage_guard.demo.generate import KIND_ORDER, SCALES, generate
from wage_guard.demo.vocabulary import CARD_BANKS
from wage_guard.identity import bank_card_problem, credit_code_problem, id_number_problems
from wage_guard.imports.kinds import KINDS

AS_OF = date(2025, 10, 20)
SEED = 5
PROJECT_LEVEL = {
    "wage_account_missing", "guarantee_missing", "rights_board_missing",
    "labor_cost_insufficient", "escrow_shortfall", "payout_mismatch", "completion_with_arrears",
}  # fmt: skip


def rule_ids() -> set[str]:
    """The ids of RULES.md's catalogue tables."""
    text = (SHARED_DIR / "domain" / "RULES.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("small")
    return root, generate(SCALES["small"], seed=SEED, out=root, as_of=AS_OF)


@pytest.fixture(scope="module")
def tables(small: tuple[Path, dict[str, Any]]) -> dict[str, pd.DataFrame]:
    return load(small[0])


def test_every_kind_is_written_in_import_order(small: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = small
    kinds = [f["kind"] for f in manifest["files"]]
    assert set(kinds) == set(KIND_ORDER)
    assert kinds == sorted(kinds, key=KIND_ORDER.index)
    assert all((root / f["path"]).is_file() for f in manifest["files"])
    suffixes = {Path(f["path"]).suffix for f in manifest["files"] if f["kind"] == "payroll"}
    assert suffixes == {".csv", ".xlsx"}
    assert manifest["as_of"] == AS_OF.isoformat()
    assert "generated_at" not in manifest


def test_manifest_plants_every_rule_of_the_catalogue(small: tuple[Path, dict[str, Any]]) -> None:
    _, manifest = small
    ids = rule_ids()
    assert len(ids) == 20
    planted = manifest["planted"]
    assert {p["rule"] for p in planted} == ids
    for problem in planted:
        if problem["rule"] in PROJECT_LEVEL:
            assert problem["month"] is None
        else:
            assert re.fullmatch(r"\d{4}-\d{2}", problem["month"])
    planted_codes = {p["project_code"] for p in planted}
    assert not planted_codes & set(manifest["clean_projects"])
    assert len(planted_codes) + len(manifest["clean_projects"]) == manifest["counts"]["projects"]
    assert 0.25 <= len(planted_codes) / manifest["counts"]["projects"] <= 0.35
    multi = [p for p in planted if p["rule"] == "multi_project_worker"]
    assert len({p["project_code"] for p in multi}) == 3
    assert len({p["month"] for p in multi}) == 1


def test_planted_problems_fire_and_clean_projects_stay_silent(
    small: tuple[Path, dict[str, Any]], tables: dict[str, pd.DataFrame]
) -> None:
    _, manifest = small
    found = alerts(tables, AS_OF)
    planted = {(p["rule"], p["project_code"], p["month"]) for p in manifest["planted"]}
    assert planted - found == set()
    clean = set(manifest["clean_projects"])
    assert {f for f in found if f[1] in clean or f[1] == "*yearly*"} == set()


def test_counts_match_the_files(
    small: tuple[Path, dict[str, Any]], tables: dict[str, pd.DataFrame]
) -> None:
    _, manifest = small
    counts = manifest["counts"]
    assert counts["roster_rows"] == len(tables["roster"])
    assert counts["payroll_rows"] == len(tables["payroll"])
    assert counts["transactions"] == len(tables["escrow"])
    people = set(tables["roster"]["id_number"]) | set(tables["payroll"]["id_number"])
    assert counts["workers"] == len(people)
    assert 2_000 <= counts["workers"] <= 4_000


def test_identities_are_valid(tables: dict[str, pd.DataFrame]) -> None:
    ids = pd.concat([tables["roster"]["id_number"], tables["payroll"]["id_number"]])
    assert id_number_problems(ids.astype(str)).isna().all()
    births = ids.str.slice(6, 10).astype(int)
    assert births.between(1965, 2004).all()
    projects = tables["projects"]
    codes = pd.concat([projects["owner_credit_code"], projects["contractor_credit_code"]])
    assert all(credit_code_problem(code) is None for code in codes)
    cards = tables["payroll"]["bank_card"]
    assert all(bank_card_problem(card) is None for card in cards)
    assert cards.str.len().between(16, 19).all()
    issuers = {prefix for bank in CARD_BANKS for prefix in bank.card_bins}
    assert cards.str.slice(0, 6).isin(issuers).all()


def test_each_worker_has_one_card_of_their_own(
    small: tuple[Path, dict[str, Any]], tables: dict[str, pd.DataFrame]
) -> None:
    _, manifest = small
    sharing = {p["project_code"] for p in manifest["planted"] if p["rule"] == "shared_bank_card"}
    lines = tables["payroll"][~tables["payroll"]["project_code"].isin(sharing)]
    assert (lines.groupby("bank_card")["id_number"].nunique() == 1).all()
    assert (lines.groupby("id_number")["bank_card"].nunique() == 1).all()


def test_headers_are_the_kinds_aliases(small: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = small
    english = 0
    workbooks = [f for f in manifest["files"] if f["path"].endswith(".xlsx")]
    csv_files = [f for f in manifest["files"] if f["path"].endswith(".csv")]
    for entry in csv_files + workbooks[:6]:
        kind = KINDS[entry["kind"]]
        path = root / entry["path"]
        if path.suffix == ".xlsx":
            workbook = openpyxl.load_workbook(path, read_only=True)
            header = [c.value for c in next(workbook.worksheets[0].iter_rows(max_row=1))]
            workbook.close()
        else:
            raw = path.read_bytes().split(b"\r\n", 1)[0]
            text = raw.decode("utf-8-sig") if _is_utf8(raw) else raw.decode("gb18030")
            header = text.split(",")
        names = {c.name for c in kind.columns}
        aliases = {a for c in kind.columns for a in c.aliases}
        assert set(header) <= names | aliases, entry["path"]
        if set(header) <= names:
            english += 1
            assert entry["kind"] == "escrow"
        elif entry["kind"] in ("roster", "payroll", "projects"):
            assert set(header) <= aliases, entry["path"]
    assert english > 0


def test_gb18030_files_are_not_utf8(small: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = small
    csv_files = [root / f["path"] for f in manifest["files"] if f["path"].endswith(".csv")]
    gb18030 = [p for p in csv_files if not _is_utf8(p.read_bytes())]
    assert gb18030
    for path in gb18030:
        assert "姓名" in path.read_bytes().decode("gb18030")
    escrow = [root / f["path"] for f in manifest["files"] if f["kind"] == "escrow"]
    assert all(_is_utf8(p.read_bytes()) for p in escrow)


def test_workbooks_hold_ids_and_cards_as_text(small: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = small
    books = [f for f in manifest["files"] if f["path"].endswith(".xlsx") and f["kind"] == "payroll"]
    workbook = openpyxl.load_workbook(root / books[0]["path"], read_only=True)
    rows = list(workbook.worksheets[0].iter_rows())
    workbook.close()
    header = [c.value for c in rows[0]]
    for name in ("身份证号", "身份证号码", "证件号码", "工资卡号", "银行卡号"):
        if name in header:
            column = header.index(name)
            assert all(row[column].data_type == "s" for row in rows[1:])


def test_same_seed_gives_the_same_bytes(small: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, manifest = small
    result = CliRunner().invoke(
        app,
        ["demo", "generate", "--scale", "small", "--seed", str(SEED), "--out", str(tmp_path),
         "--as-of", AS_OF.isoformat()],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "22 planted problems" in result.output
    paths = [f["path"] for f in manifest["files"]] + ["manifest.json"]
    for path in paths:
        assert (tmp_path / path).read_bytes() == (root / path).read_bytes(), path


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
