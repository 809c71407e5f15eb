"""Row validation: every column type, the rules between columns, keys given twice."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wage_guard.identity import bank_card_problem, id_check_char
from wage_guard.imports.kinds import ESCROW, PAYROLL, PROJECTS, Kind
from wage_guard.imports.schemas import RowError
from wage_guard.imports.validate import (
    NaturalKeys,
    RowErrors,
    check_bank_cards,
    check_money,
    parse_date,
    parse_decimal,
    parse_integer,
    parse_money,
    parse_month,
    validate_chunk,
    validate_column,
)

from .files import resident_id


def frame(rows: dict[int, dict[str, str | None]]) -> pd.DataFrame:
    """A chunk as the reader gives it: text cells or None, indexed by spreadsheet row."""
    return pd.DataFrame.from_dict(rows, orient="index", dtype=object)


def payroll(**cells: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "project_code": "P001",
        "month": "2025-07",
        "id_number": resident_id(1),
        "worker_name": "张三",
        "wage_payable": "6600.50",
        "wage_paid": "6600.50",
        "paid_on": "2025-08-15",
        "bank_card": "6222020200012345678",
    }
    row.update(cells)
    return row


def errors_of(kind: Kind, rows: dict[int, dict[str, str | None]], **numeric: list[bool]) -> list:
    errors = RowErrors(kind)
    validate_chunk(kind, frame(rows), errors, {k: np.array(v) for k, v in numeric.items()})
    return [(e.row, e.column, e.code, e.value) for e in errors.report()]


# --- Money (FORMATS.md "Money"; RELIABILITY.md item 20) -----------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1234.5", "1234.50"),
        ("1,234.50", "1234.50"),
        ("¥1234.50", "1234.50"),
        ("￥ 1,234.5", "1234.50"),
        ("0", "0.00"),
        ("0.1", "0.10"),
        ("007.10", "7.10"),
        ("1234.500", "1234.50"),
        ("999999999999.99", "999999999999.99"),
        ("-0.00", "0.00"),
    ],
)
def test_money_is_read_exactly(text: str, canonical: str) -> None:
    assert parse_money(text) == (canonical, None)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("abc", "money_format"),
        ("1,23.40", "money_format"),
        ("1.2.3", "money_format"),
        ("1e5", "money_format"),
        (".5", "money_format"),
        ("1.234", "money_decimals"),
        ("-1", "money_negative"),
        ("¥-5.00", "money_negative"),
        ("1000000000000", "money_too_large"),
    ],
)
def test_money_errors(text: str, code: str) -> None:
    assert parse_money(text) == (None, code)


@given(st.lists(st.text(alphabet="0123456789.,-¥ e", min_size=1, max_size=16), max_size=30))
def test_the_vectorised_money_check_agrees_with_the_rule(texts: list[str]) -> None:
    uniques = np.array(sorted(set(texts)), dtype=object)
    clean, problems = check_money(uniques)
    assert list(zip(clean, problems, strict=True)) == [parse_money(t) for t in uniques]


@given(st.lists(st.text(alphabet="0123456789 -.E+", min_size=1, max_size=22), max_size=30))
def test_the_vectorised_card_check_agrees_with_identity(texts: list[str]) -> None:
    uniques = np.array(sorted({t.strip() for t in texts} - {""}), dtype=object)
    _, problems = check_bank_cards(uniques)
    assert list(problems) == [bank_card_problem(t) for t in uniques]


# --- Dates, months, numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2025-07-01", "2025/7/1", "2025/07/01", "2025年7月1日", "2025-07-01 00:00:00"]
)
def test_dates_in_every_accepted_spelling(text: str) -> None:
    assert parse_date(text) == ("2025-07-01", None)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2025-02-29", "date_invalid"),
        ("2025-13-01", "date_invalid"),
        ("01/07/2025", "date_format"),
        ("2025-07", "date_format"),
        ("2025年7月1", "date_format"),
        ("2025-07/01", "date_format"),
    ],
)
def test_date_errors(text: str, code: str) -> None:
    assert parse_date(text) == (None, code)


@pytest.mark.parametrize("text", ["2025-07", "2025/7", "202507", "2025年7月", "2025-07-01"])
def test_months_in_every_accepted_spelling(text: str) -> None:
    assert parse_month(text) == ("2025-07", None)


@pytest.mark.parametrize("text", ["2025-13", "202500", "2025-07-15", "July 2025", "25-07"])
def test_month_errors(text: str) -> None:
    assert parse_month(text) == (None, "month_format")


def test_integers_and_decimals_keep_to_their_range() -> None:
    days_present = next(c for c in PAYROLL.columns if c.name == "days_worked")
    pay_day = PROJECTS.column("pay_day")
    assert parse_integer("15", pay_day) == (15, None)
    assert parse_integer("15.0", pay_day) == (15, None)
    assert parse_integer("32", pay_day) == (None, "out_of_range")
    assert parse_integer("fifteen", pay_day) == (None, "integer_format")
    assert parse_decimal("22.5", days_present) == ("22.5", None)
    assert parse_decimal("22", days_present) == ("22.0", None)
    assert parse_decimal("22.25", days_present) == (None, "decimal_format")
    assert parse_decimal("31.5", days_present) == (None, "out_of_range")


# --- Identity numbers (FORMATS.md "Identity numbers"; RELIABILITY.md item 18) -----------------


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    area = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
    sequence = draw(st.integers(0, 999))
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + id_check_char(body)


def check_ids(values: list[str], numeric: list[bool] | None = None) -> tuple[list, list]:
    errors = RowErrors(PAYROLL)
    rows = pd.Index(range(2, len(values) + 2))
    mask = np.array(numeric) if numeric is not None else None
    clean = validate_column(
        PAYROLL.column("id_number"), np.array(values, dtype=object), rows, errors, mask
    )
    return clean.tolist(), [(e.row, e.code, e.value) for e in errors.report()]


@given(st.lists(valid_ids(), min_size=1, max_size=20))
def test_valid_ids_pass_as_written(ids: list[str]) -> None:
    clean, errors = check_ids(ids)
    assert errors == []
    assert clean == ids


@given(valid_ids(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_fails(valid: str, position: int, shift: int) -> None:
    digit = (int(valid[position]) + shift) % 10
    changed = valid[:position] + str(digit) + valid[position + 1 :]
    clean, errors = check_ids([changed])
    assert clean == [None]
    assert [code for _, code, _ in errors] in (["id_checksum"], ["id_birth_date"])


def test_ids_keep_leading_zeros_and_their_x() -> None:
    leading = resident_id(7, area="010101")
    with_x = next(resident_id(n) for n in range(1000) if resident_id(n).endswith("X"))
    clean, errors = check_ids([leading, with_x.lower()])
    assert errors == []
    assert clean == [leading, with_x]


def test_ids_that_lost_digits_are_refused_and_masked() -> None:
    valid = resident_id(3)
    clean, errors = check_ids([valid, "1.20101199001010E+17", valid], numeric=[False, False, True])
    assert clean == [valid, None, None]
    assert errors == [
        (3, "id_lost_digits", "1.20101199001010E+17"[:6] + "********" + "E+17"),
        (4, "id_lost_digits", f"{valid[:6]}********{valid[-4:]}"),
    ]


def test_a_bad_id_is_reported_masked_with_a_clear_message() -> None:
    bad = resident_id(1)[:-1] + ("0" if resident_id(1)[-1] != "0" else "1")
    errors = RowErrors(PAYROLL)
    validate_chunk(PAYROLL, frame({7: payroll(id_number=bad)}), errors)
    assert errors.report() == [
        RowError(
            row=7,
            column="id_number",
            code="id_checksum",
            value=f"{bad[:6]}********{bad[-4:]}",
            message="ID number check character does not match (GB 11643-1999)",
        )
    ]


# --- Whole rows ------------------------------------------------------------------------------


def test_a_valid_payroll_row_comes_out_canonical() -> None:
    errors = RowErrors(PAYROLL)
    clean = validate_chunk(
        PAYROLL,
        frame({2: payroll(month="2025年7月", wage_payable="¥6,600.5", worker_name="NA")}),
        errors,
    )
    assert not errors
    assert clean.loc[2].to_dict() == {
        "project_code": "P001",
        "month": "2025-07",
        "id_number": resident_id(1),
        "worker_name": "NA",
        "employer": None,
        "days_worked": None,
        "wage_payable": "6600.50",
        "wage_paid": "6600.50",
        "paid_on": "2025-08-15",
        "bank_card": "6222020200012345678",
        "paid_via": "account",
    }


def test_every_error_of_every_row_is_listed_in_row_order() -> None:
    rows = {
        2: payroll(),
        3: payroll(wage_payable="12.345", paid_on="2025-02-30"),
        4: payroll(worker_name=None, wage_paid="100", paid_on=None),
        5: payroll(paid_via="微信", bank_card="6222-0202"),
        6: payroll(month="2025-13", wage_paid="-5"),
    }
    assert errors_of(PAYROLL, rows) == [
        (3, "wage_payable", "money_decimals", "12.345"),
        (3, "paid_on", "date_invalid", "2025-02-30"),
        (4, "worker_name", "required", None),
        (4, "paid_on", "paid_on_required", None),
        (5, "bank_card", "card_format", "*******02"),
        (5, "paid_via", "invalid_choice", "微信"),
        (6, "month", "month_format", "2025-13"),
        (6, "wage_paid", "money_negative", "-5"),
    ]


def test_no_payment_date_is_needed_when_nothing_was_paid() -> None:
    assert errors_of(PAYROLL, {2: payroll(wage_paid="0.00", paid_on=None)}) == []


def test_a_bank_card_stored_as_a_number_is_refused() -> None:
    rows = {2: payroll(), 3: payroll(bank_card="6222020200012345000")}
    assert errors_of(PAYROLL, rows, bank_card=[False, True]) == [
        (3, "bank_card", "card_lost_digits", "6222********5000")
    ]


def test_escrow_rows_name_an_account_or_a_project_and_move_money() -> None:
    base = {"txn_id": "T1", "txn_date": "2025-07-01", "kind": "人工费拨付", "amount": "100"}
    rows = {
        2: {**base, "project_code": "P001", "wage_account_no": None},
        3: {**base, "project_code": None, "wage_account_no": None},
        4: {**base, "project_code": "P001", "wage_account_no": None, "amount": "0"},
    }
    assert errors_of(ESCROW, rows) == [
        (3, "wage_account_no", "account_or_project_required", None),
        (4, "amount", "amount_not_positive", None),
    ]


def test_a_guarantee_needs_its_form() -> None:
    row: dict[str, str | None] = {
        "project_code": "P001",
        "project_name": "一号楼",
        "district": "和平区",
        "owner_name": "城投",
        "contractor_name": "总包",
        "contractor_credit_code": "91120000000000001X",
        "start_date": "2025-03-01",
        "status": "003",
        "guarantee_amount": "1000",
    }
    codes = [(column, code) for _, column, code, _ in errors_of(PROJECTS, {2: row})]
    assert codes == [
        ("contractor_credit_code", "credit_code_checksum"),
        ("guarantee_form", "required"),
    ]


# --- Keys given twice (FORMATS.md "Idempotency"; RELIABILITY.md item 17) ---------------------


def test_a_key_given_twice_names_both_rows_across_chunks() -> None:
    errors = RowErrors(PAYROLL)
    keys = NaturalKeys(PAYROLL)
    names = ["project_code", "month", "id_number"]
    first = pd.DataFrame(
        [["P1", "2025-07", "A"], ["P1", "2025-07", "B"], ["P1", "2025-07", None]],
        index=[2, 3, 4],
        columns=names,
        dtype=object,
    )
    second = pd.DataFrame(
        [
            ["P1", "2025-08", "A"],
            ["P1", "2025-07", "B"],
            ["P1", "2025-07", None],
            ["P1", "2025-08", "A"],
        ],
        index=[5, 6, 7, 8],
        columns=names,
        dtype=object,
    )
    keys.check(first, errors)
    keys.check(second, errors)
    assert [(e.row, e.column, e.code, e.message) for e in errors.report()] == [
        (6, "id_number", "duplicate_key",
         "the same project_code, month and id_number as row 3: a key may appear only once in a "
         "file"),
        (8, "id_number", "duplicate_key",
         "the same project_code, month and id_number as row 5: a key may appear only once in a "
         "file"),
    ]  # fmt: skip


def test_many_keys_cost_only_their_hashes() -> None:
    keys = NaturalKeys(PAYROLL)
    errors = RowErrors(PAYROLL)
    for start in range(0, 300_000, 100_000):
        ids = [f"{n:018d}" for n in range(start, start + 100_000)]
        chunk = pd.DataFrame(
            {"project_code": "P1", "month": "2025-07", "id_number": ids},
            index=range(start + 2, start + 100_002),
            dtype=object,
        )
        keys.check(chunk, errors)
    assert not errors
    assert keys._hashes.nbytes + keys._rows.nbytes == 300_000 * 16


def test_dates_of_a_whole_year_parse() -> None:
    day = date(2024, 1, 1)
    texts = [(day + timedelta(days=n)).strftime("%Y年%-m月%-d日") for n in range(366)]
    errors = RowErrors(PAYROLL)
    clean = validate_column(
        PAYROLL.column("paid_on"),
        np.array(texts, dtype=object),
        pd.Index(range(2, 368)),
        errors,
    )
    assert not errors
    assert clean[-1] == "2024-12-31"
