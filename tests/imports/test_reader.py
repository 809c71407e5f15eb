"""The file reader: encodings, headers, text kept as text, row numbers, limits, hostile XLSX.

Every file is written here, byte for byte, in the shape contractors' tools produce it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wage_guard.config import ImportSettings
from wage_guard.imports import reader
from wage_guard.imports.kinds import MINIMUM_WAGES, PAYROLL, ROSTER, Kind
from wage_guard.imports.reader import Chunk, FileRefused, Table, open_table

LIMITS = ImportSettings()
MIB = 1024 * 1024

PAYROLL_HEADER = "序号,项目编号,工资月份,身份证号,姓名,应发工资,实发工资,发放日期,工资卡号,备注"
PAYROLL_ROWS = [
    "1,P001,2025-07,11010519491231002X,张三,6600.50,6600.50,2025-08-15,6222020200012345678,",
    "2,P001,2025-07,120105194912310017,李四,5000,0,,,待发",
    "3,P001,2025-07,130105194912310015,王喆,4800.00,4800.00,2025-08-15,,",
]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def payroll_csv(tmp_path: Path, encoding: str = "utf-8", name: str = "payroll.csv") -> Path:
    return write(tmp_path / name, "\r\n".join([PAYROLL_HEADER, *PAYROLL_ROWS]) + "\r\n", encoding)


def read_all(table: Table, rows: int = 1000) -> pd.DataFrame:
    frames = [chunk.frame for chunk in table.chunks(rows)]
    return pd.concat(frames) if frames else pd.DataFrame()


def refusal(path: Path, kind: Kind = PAYROLL, limits: ImportSettings = LIMITS) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        read_all(open_table(path, kind, limits))
    return caught.value


def rows_of(frame: pd.DataFrame) -> dict[int, dict[str, str | None]]:
    return {int(number): row for number, row in frame.to_dict("index").items()}


# --- Encodings (FORMATS.md "Encodings"; RELIABILITY.md item 19) ------------------------------


def test_utf8_utf8_bom_and_gb18030_give_identical_chunks(tmp_path: Path) -> None:
    tables = {
        encoding: open_table(payroll_csv(tmp_path, encoding, f"{encoding}.csv"), PAYROLL, LIMITS)
        for encoding in ("utf-8", "utf-8-sig", "gb18030")
    }
    assert {e: t.encoding for e, t in tables.items()} == {
        "utf-8": "utf-8",
        "utf-8-sig": "utf-8-sig",
        "gb18030": "gb18030",
    }
    frames = [read_all(table) for table in tables.values()]
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0])
    assert frames[0].loc[4, "worker_name"] == "王喆"
    assert tables["utf-8-sig"].columns == tables["gb18030"].columns


def test_the_sha256_is_that_of_the_bytes(tmp_path: Path) -> None:
    path = payroll_csv(tmp_path, "gb18030")
    assert open_table(path, PAYROLL, LIMITS).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_ascii_is_read_as_utf8(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "region,effective_from,monthly\n*,2025-09-01,2510\n")
    assert open_table(path, MINIMUM_WAGES, LIMITS).encoding == "utf-8"


def test_gb18030_found_after_the_first_megabyte_is_decoded_from_the_start(tmp_path: Path) -> None:
    # The UTF-8 pass fails only in the second block; the GB18030 pass must redo the first.
    header = "project_code,month,id_number,worker_name,wage_payable,wage_paid"
    filler = [f"P{i},2025-07,110105194912310021,{'Zhang San ' * 100},1,1" for i in range(1100)]
    text = "\n".join([header, *filler, "P1,2025-07,130105194912310015,王喆,1,1"]) + "\n"
    assert text.index("王") > MIB
    utf8 = write(tmp_path / "u.csv", text)
    gb = write(tmp_path / "g.csv", text, "gb18030")
    table = open_table(gb, PAYROLL, LIMITS)
    assert table.encoding == "gb18030"
    pd.testing.assert_frame_equal(
        read_all(table, 10_000), read_all(open_table(utf8, PAYROLL, LIMITS))
    )


def test_a_character_split_by_the_block_boundary_is_still_utf8(tmp_path: Path) -> None:
    head = "region,effective_from,monthly\n"
    pad = "*,2025-09-01," + "1" * (MIB - len(head) - 15) + "\n"
    text = head + pad + "滨海新区,2025-09-01,2510\n"
    data = text.encode()
    assert data[MIB - 1 : MIB + 2] == "滨".encode()  # one byte in the first block, two in the next
    table = open_table(write(tmp_path / "m.csv", text), MINIMUM_WAGES, LIMITS)
    assert table.encoding == "utf-8"
    assert read_all(table).loc[3, "region"] == "滨海新区"


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        pytest.param(
            "地区,执行日期,月最低工资\n".encode("utf-16"), "encoding", "UTF-16", id="utf16"
        ),
        pytest.param(
            "地区,执行日期,月最低工资\n".encode("utf-16-le"),
            "binary",
            "control byte",
            id="utf16-nobom",
        ),
        pytest.param(
            "region,effective_from,monthly\nJosé,2025-09-01,2510\n".encode("latin-1"),
            "encoding",
            "neither UTF-8 nor GB18030",
            id="latin1",
        ),
        pytest.param(
            b"\xef\xbb\xbfregion,effective_from,monthly\n" + "天津,2025-09-01,2510\n".encode("gbk"),
            "encoding",
            "byte-order mark",
            id="bom-then-gbk",
        ),
        pytest.param(
            b"region,effective_from,monthly\n*,2025-09-01,25\x0010\n", "binary", "0x00", id="nul"
        ),
        pytest.param(bytes(range(256)) * 64, "binary", "control byte", id="junk"),
        pytest.param(b"region,monthly\n\xe5", "encoding", "UTF-8", id="truncated"),
        pytest.param(b"", "empty_file", "empty", id="empty"),
    ],
)
def test_other_encodings_and_binary_junk_are_refused(
    tmp_path: Path, data: bytes, code: str, words: str
) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(data)
    refused = refusal(path, MINIMUM_WAGES)
    assert refused.code == code
    assert words in refused.message
    if code == "encoding":
        assert "GB18030" in refused.message and "UTF-8" in refused.message


MINIMUM_WAGE_COLUMNS = ("region", "effective_from", "monthly", "hourly_part_time")


def test_utf8_with_a_gbk_tail_is_refused_not_read_as_gb18030(tmp_path: Path) -> None:
    utf8 = "region,effective_from,monthly\n滨海新区,2025-09-01,2510\n和平河西,2025-09-01,2510\n"
    data = utf8.encode() + "红桥南开,2025-09-01,2510\n".encode("gbk")
    assert "婊ㄦ捣鏂板尯" in data.decode("gb18030")  # what a fall-back to GB18030 would give
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    refused = refusal(path, MINIMUM_WAGES)
    assert refused.code == "encoding"
    assert f"UTF-8 text up to byte {len(utf8.encode()):,}" in refused.message


cells = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\r\n"),
    max_size=6,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(cells, min_size=4, max_size=4), max_size=6))
def test_any_text_reads_back_stripped_in_every_encoding(
    tmp_path: Path, rows: list[list[str]]
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["地区", "执行日期", "月最低工资", "小时最低工资"], *rows])
    expected = {
        number: dict(zip(MINIMUM_WAGE_COLUMNS, texts, strict=True))
        for number, row in enumerate(rows, start=2)
        if any(texts := [cell.strip() or None for cell in row])
    }
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        path = write(tmp_path / f"{encoding}.csv", buffer.getvalue(), encoding)
        assert rows_of(read_all(open_table(path, MINIMUM_WAGES, LIMITS), 2)) == expected


# --- Text stays text; rows and their numbers (FORMATS.md "Text stays text", "Errors") -------


def test_text_stays_text(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv",
        "项目编号,工资月份,身份证号,姓名,应发工资,实发工资,工资卡号\n"
        "007,202507,11010519491231002x,NA,null,  6600.50 ,0012345678901\n"
        '"P 1",2025-07,1.2010519491231E+17,N/A,"  ","¥1,234.50",\n',
    )
    frame = read_all(open_table(path, PAYROLL, LIMITS))
    assert rows_of(frame) == {
        2: {
            "project_code": "007",
            "month": "202507",
            "id_number": "11010519491231002x",
            "worker_name": "NA",
            "wage_payable": "null",
            "wage_paid": "6600.50",
            "bank_card": "0012345678901",
        },
        3: {
            "project_code": "P 1",
            "month": "2025-07",
            "id_number": "1.2010519491231E+17",
            "worker_name": "N/A",
            "wage_payable": None,
            "wage_paid": "¥1,234.50",
            "bank_card": None,
        },
    }
    assert all(dtype is np.dtype(object) for dtype in frame.dtypes)


def test_row_numbers_are_those_of_the_spreadsheet(tmp_path: Path) -> None:
    path = write(
        tmp_path / "m.csv",
        "序号,地区,执行日期,月最低工资\n"  # row 1
        "1,和平区,2025-09-01,2510\n"  # row 2
        "\n"  # row 3: blank
        ",,,\n"  # row 4: empty cells
        "5,,,\n"  # row 5: only the ignored 序号 column, as a template numbers its rows
        '6,"河西区\n(新)",2025-09-01,2510\n'  # row 6, spread over two lines
        " , , ,  \n"  # row 7: spaces only
        "8,*,2021-07-01,2320\n",  # row 8
    )
    table = open_table(path, MINIMUM_WAGES, LIMITS)
    frame = read_all(table, rows=3)
    assert list(frame.index) == [2, 6, 8]
    assert frame.index.name == "row"
    assert frame.loc[6, "region"] == "河西区\n(新)"


def test_chunks_stream_the_rows_a_few_at_a_time(tmp_path: Path) -> None:
    lines = ["地区,执行日期,月最低工资"] + [f"区{i},2025-09-01,{2000 + i}" for i in range(10)]
    table = open_table(write(tmp_path / "m.csv", "\n".join(lines)), MINIMUM_WAGES, LIMITS)
    chunks = list(table.chunks(4))
    assert [list(c.frame.index) for c in chunks] == [[2, 3, 4], [5, 6, 7, 8], [9, 10, 11]]
    assert all(c.numeric_cells == {} for c in chunks)
    assert next(table.chunks(100)).frame.loc[11, "monthly"] == "2009"
    with pytest.raises(ValueError):
        next(table.chunks(0))


def test_a_header_alone_gives_no_chunk(tmp_path: Path) -> None:
    table = open_table(
        write(tmp_path / "m.csv", "地区,执行日期,月最低工资\r\n"), MINIMUM_WAGES, LIMITS
    )
    assert list(table.chunks(10)) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "地区,执行日期,月最低工资\n*,2025-09-01,2510\n天津,2025-09-01,2510,多余\n",
            "row 3 has 4 fields",
        ),
        ('地区,执行日期,月最低工资\n*,2025-09-01,2510\n"天津,2025-09-01,2510\n', "row 3"),
    ],
    ids=["extra-field", "open-quote"],
)
def test_a_malformed_csv_is_refused_naming_the_row(tmp_path: Path, text: str, words: str) -> None:
    refused = refusal(write(tmp_path / "m.csv", text), MINIMUM_WAGES)
    assert refused.code == "malformed_csv"
    assert words in refused.message


# --- Headers (FORMATS.md "Headers") -------------------------------------------------------


def test_headers_match_any_spelling_and_extra_ones_are_listed(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.csv",
        "\ufeff序号, Project_Code ,考勤月份,证件号码,姓名,DAYS_PRESENT,备注,,班组\n"
        "1,P001,2025-07,11010519491231002X,张三,22,,,木工班\n",
    )
    table = open_table(path, ROSTER, LIMITS)
    assert table.columns == [
        "project_code",
        "month",
        "id_number",
        "worker_name",
        "days_present",
        "team",
    ]
    assert table.ignored_headers == ["序号", "备注"]
    assert read_all(table).loc[2, "team"] == "木工班"


def test_a_column_given_twice_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "项目编号,月份,身份证号,证件号码,姓名,出勤天数\n")
    refused = refusal(path, ROSTER)
    assert (refused.code, refused.column) == ("duplicate_column", "id_number")
    assert "身份证号" in refused.message and "证件号码" in refused.message


def test_missing_required_columns_are_all_named(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "项目编号,工资月份,身份证号,姓名,应发工资,发放日期\n")
    refused = refusal(path)
    assert (refused.code, refused.column) == ("missing_column", "wage_paid")
    assert "wage_paid (实发工资)" in refused.message
    assert "paid_on" not in refused.message


def test_a_file_whose_first_row_is_a_title_says_where_the_header_goes(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "2025年最低工资标准\n地区,执行日期,月最低工资\n")
    refused = refusal(path, MINIMUM_WAGES)
    assert refused.code == "missing_column"
    assert "region (地区), effective_from (执行日期), monthly (月最低工资)" in refused.message
    assert "first row" in refused.message


def test_a_file_not_separated_by_commas_is_told_so(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "地区\t执行日期\t月最低工资\n*\t2025-09-01\t2510\n", "gbk")
    assert "separated by commas" in refusal(path, MINIMUM_WAGES).message


@pytest.mark.parametrize("text", ["\n\n\n", ",,,\n*,2025-09-01,2510\n", "\ufeff"])
def test_a_file_without_a_header_is_empty(tmp_path: Path, text: str) -> None:
    assert refusal(write(tmp_path / "m.csv", text), MINIMUM_WAGES).code == "empty_file"


# --- File type and limits (FORMATS.md "Limits"; RELIABILITY.md item 21) ----------------------


def test_an_oversized_file_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = write(tmp_path / "small.csv", "\n".join([PAYROLL_HEADER, *PAYROLL_ROWS * 5]))
    assert small.stat().st_size > 0.001 * MIB
    sparse = tmp_path / "huge.xlsx"
    with sparse.open("wb") as handle:
        handle.truncate(50 * 1024 * MIB)  # 50 GB on paper, nothing on disk

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    monkeypatch.setattr(zipfile, "ZipFile", no_reading)
    monkeypatch.setattr(pd, "read_csv", no_reading)
    refused = refusal(small, limits=ImportSettings(max_file_mb=0.001))
    assert refused.code == "file_too_large"
    assert "limit is 0.001 MB" in refused.message
    assert refusal(sparse).code == "file_too_large"


def test_too_many_rows_are_refused_from_the_line_count(tmp_path: Path) -> None:
    limits = ImportSettings(max_rows=2)
    with pytest.raises(FileRefused) as caught:
        open_table(payroll_csv(tmp_path), PAYROLL, limits)
    assert caught.value.code == "too_many_rows"
    assert (
        len(read_all(open_table(payroll_csv(tmp_path), PAYROLL, ImportSettings(max_rows=3)))) == 3
    )


def test_too_many_rows_are_refused_while_streaming_when_lines_are_not_rows(tmp_path: Path) -> None:
    text = "地区,执行日期,月最低工资\n" + "".join(f'"区\n{i}",2025-09-01,2510\n' for i in range(5))
    path = write(tmp_path / "m.csv", text)
    table = open_table(path, MINIMUM_WAGES, ImportSettings(max_rows=4))  # 10 lines, 5 rows
    with pytest.raises(FileRefused) as caught:
        read_all(table, rows=2)
    assert caught.value.code == "too_many_rows"
    assert len(read_all(open_table(path, MINIMUM_WAGES, ImportSettings(max_rows=5)))) == 5


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("payroll.txt", b"a,b\n", "file_type"),
        ("payroll.xls", b"a,b\n", "file_type"),
        ("payroll.xlsx", "项目编号,姓名\n".encode(), "file_type"),
        ("payroll.XLSX", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "file_type"),
        ("payroll.csv", b"PK\x03\x04" + bytes(100), "file_type"),
        ("payroll.xlsx", b"PK\x03\x04" + bytes(100), "corrupt_file"),
    ],
)
def test_the_extension_must_match_the_content(
    tmp_path: Path, name: str, data: bytes, code: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert refusal(path).code == code


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path / "nowhere.csv").code == "unreadable"
    (tmp_path / "dir.csv").mkdir()
    assert refusal(tmp_path / "dir.csv").code == "unreadable"


# --- XLSX (FORMATS.md "XLSX"; RELIABILITY.md items 18 and 21) -------------------------------


def workbook(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


PAYROLL_XLSX_HEADER = [
    "项目编号",
    "工资月份",
    "身份证号",
    "姓名",
    "应发工资",
    "实发工资",
    "发放日期",
    "工资卡号",
]


def test_xlsx_cells_read_as_their_text(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "book.xlsx",
        {
            "说明": [["请在工资支付表中填写"]],
            "工资支付表": [
                PAYROLL_XLSX_HEADER,
                ["P001", datetime(2025, 7, 1), "11010519491231002X", " 张三 ", 6600.1, 6600.1,
                 datetime(2025, 8, 15), "6222020200012345678"],
                [None, None, None, None, None, None, None, None],
                ["007", "2025-07", 120105194912310017, "李四", 15.0, 0, date(2025, 8, 15),
                 6222020200012345],
                ["P001", datetime(2025, 7, 3), "1.2010519491231E+17", "王五", 0.1 + 0.2, 4800,
                 None, 1.2010519491231e17],
            ],
        },
    )  # fmt: skip
    table = open_table(path, PAYROLL, LIMITS)
    assert table.encoding is None
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    chunks = list(table.chunks(2))
    frame = pd.concat([c.frame for c in chunks])
    assert rows_of(frame) == {
        2: {"project_code": "P001", "month": "2025-07", "id_number": "11010519491231002X",
            "worker_name": "张三", "wage_payable": "6600.1", "wage_paid": "6600.1",
            "paid_on": "2025-08-15", "bank_card": "6222020200012345678"},
        4: {"project_code": "007", "month": "2025-07", "id_number": "120105194912310000",
            "worker_name": "李四", "wage_payable": "15", "wage_paid": "0",
            "paid_on": "2025-08-15", "bank_card": "6222020200012345"},
        5: {"project_code": "P001", "month": "2025-07-03", "id_number": "1.2010519491231E+17",
            "worker_name": "王五", "wage_payable": "0.3", "wage_paid": "4800",
            "paid_on": None, "bank_card": "120105194912310000"},
    }  # fmt: skip
    numeric = {
        name: np.concatenate([c.numeric_cells[name] for c in chunks])
        for name in ("id_number", "bank_card")
    }
    assert set(chunks[0].numeric_cells) == {"id_number", "bank_card"}
    assert numeric["id_number"].tolist() == [False, True, False]
    assert numeric["bank_card"].tolist() == [False, True, True]


def test_xlsx_first_sheet_is_read_when_none_is_named_after_the_kind(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "book.xlsx",
        {
            "Sheet1": [["地区", "执行日期", "月最低工资"], ["*", "2025-09-01", 2510]],
            "Sheet2": [["x"]],
        },
    )
    frame = read_all(open_table(path, MINIMUM_WAGES, LIMITS))
    assert rows_of(frame) == {2: {"region": "*", "effective_from": "2025-09-01", "monthly": "2510"}}


def test_a_sheet_named_in_english_is_found(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "book.xlsx",
        {"Sheet1": [["x"]], "Minimum_Wages": [["region", "effective_from", "monthly"]]},
    )
    assert open_table(path, MINIMUM_WAGES, LIMITS).columns == [
        "region",
        "effective_from",
        "monthly",
    ]


def test_xlsx_headers_follow_the_same_rules(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "book.xlsx", {"x": [["序号", "地区", "执行日期", "月最低工资 ", "备注"]]}
    )
    table = open_table(path, MINIMUM_WAGES, LIMITS)
    assert table.ignored_headers == ["序号", "备注"]
    path = workbook(tmp_path / "bad.xlsx", {"x": [["地区", "执行日期"]]})
    assert refusal(path, MINIMUM_WAGES).column == "monthly"


def rewrite_member(source: Path, target: Path, member: str, change: dict[bytes, bytes]) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == member:
                for before, after in change.items():
                    assert before in data
                    data = data.replace(before, after)
            new.writestr(info.filename, data)
    return target


def test_xlsx_rows_beyond_the_declared_dimension_are_read_and_counted(tmp_path: Path) -> None:
    rows = [["地区", "执行日期", "月最低工资"]] + [[f"区{i}", "2025-09-01", 2510] for i in range(4)]
    honest = workbook(tmp_path / "honest.xlsx", {"s": rows})
    path = rewrite_member(
        honest,
        tmp_path / "lying.xlsx",
        "xl/worksheets/sheet1.xml",
        {b'ref="A1:C5"': b'ref="A1:B2"'},
    )
    assert list(read_all(open_table(path, MINIMUM_WAGES, LIMITS)).index) == [2, 3, 4, 5]
    with pytest.raises(FileRefused) as caught:
        read_all(open_table(path, MINIMUM_WAGES, ImportSettings(max_rows=3)))
    assert caught.value.code == "too_many_rows"
    with pytest.raises(FileRefused) as caught:
        open_table(honest, MINIMUM_WAGES, ImportSettings(max_rows=3))
    assert caught.value.code == "too_many_rows"


def test_openpyxl_parses_xml_through_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def excel_like(
    path: Path, strings: Sequence[str], rows: str, prologue: dict[str, bytes] | None = None
) -> Path:
    """A workbook as Excel writes it: shared strings, numbers as Excel prints them.

    ``prologue`` puts bytes before the XML of the named members.
    """
    members = {
        "[Content_Types].xml": (
            f'<Types xmlns="{PACKAGE}/content-types">'
            '<Default Extension="rels"'
            ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{SPREADSHEET}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml"'
            f' ContentType="{SPREADSHEET}.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml"'
            f' ContentType="{SPREADSHEET}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PACKAGE}/relationships">'
            f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE}/relationships">'
            f'<Relationship Id="rId1" Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{OFFICE}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{MAIN}">'
            + "".join(f"<si><t>{text}</t></si>" for text in strings)
            + "</sst>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, (prologue or {}).get(name, b"") + text.encode())
    return path


def excel_row(number: int, *cells: str) -> str:
    """A row of cells given as ``s:3`` (shared string 3) or ``n:2510`` (a number)."""
    xml = "".join(
        f'<c t="s"><v>{value}</v></c>' if kind == "s" else f"<c><v>{value}</v></c>"
        for kind, value in (cell.split(":", 1) for cell in cells)
    )
    return f'<row r="{number}">{xml}</row>'


MINIMUM_WAGE_STRINGS = ["地区", "执行日期", "月最低工资", "*", "2025-09-01"]
MINIMUM_WAGE_ROWS = excel_row(1, "s:0", "s:1", "s:2") + excel_row(3, "s:3", "s:4", "n:2510")


def test_an_excel_workbook_reads_as_excel_shows_it(tmp_path: Path) -> None:
    path = excel_like(
        tmp_path / "excel.xlsx",
        ["项目编号", "工资月份", "身份证号", "姓名", "应发工资", "实发工资", "P001", "张三"],
        excel_row(1, *(f"s:{i}" for i in range(6)))
        + excel_row(
            2, "s:6", "n:202507", "n:1.2010519491231E+17", "s:7", "n:4620.0699999999997", "n:0"
        ),
    )
    chunk = next(open_table(path, PAYROLL, LIMITS).chunks(10))
    assert chunk.frame.loc[2].to_dict() == {
        "project_code": "P001",
        "month": "202507",
        "id_number": "120105194912310000",
        "worker_name": "张三",
        "wage_payable": "4620.07",
        "wage_paid": "0",
    }
    assert chunk.numeric_cells["id_number"].tolist() == [True]


def test_a_row_left_out_of_the_sheet_keeps_the_numbering(tmp_path: Path) -> None:
    path = excel_like(tmp_path / "m.xlsx", MINIMUM_WAGE_STRINGS, MINIMUM_WAGE_ROWS)
    assert list(read_all(open_table(path, MINIMUM_WAGES, LIMITS)).index) == [3]


LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + b"".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">'.encode() for i in range(1, 10))
    + b"]>\n"
)


@pytest.mark.parametrize(
    "member",
    ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml", "[Content_Types].xml"],
)
def test_an_xml_entity_attack_is_refused(tmp_path: Path, member: str) -> None:
    rows = MINIMUM_WAGE_ROWS.replace(
        "<v>2510</v></c>", "<v>2510</v></c><c><is><t>&lol9;</t></is></c>"
    )
    path = excel_like(tmp_path / "lol.xlsx", MINIMUM_WAGE_STRINGS, rows, {member: LAUGHS})
    started = time.perf_counter()
    refused = refusal(path, MINIMUM_WAGES)
    assert refused.code == "xml_attack"
    assert "entities" in refused.message
    assert time.perf_counter() - started < 2


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small .xlsx whose sheet inflates to 32 MB of zeros."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for _ in range(32):
                sheet.write(bytes(MIB))
    assert path.stat().st_size < MIB / 8
    return path


@pytest.mark.parametrize(
    ("limits", "words"),
    [(LIMITS, "-fold"), (ImportSettings(max_file_mb=1), "would expand to 32 MB")],
    ids=["ratio", "total"],
)
def test_an_xlsx_bomb_is_refused_without_inflating_it(
    bomb: Path, limits: ImportSettings, words: str
) -> None:
    path = bomb
    started = time.perf_counter()
    refused = refusal(path, PAYROLL, limits)
    assert refused.code == "xlsx_bomb"
    assert words in refused.message
    assert time.perf_counter() - started < 0.5


def test_a_truncated_xlsx_is_corrupt(tmp_path: Path) -> None:
    honest = workbook(tmp_path / "honest.xlsx", {"s": [["地区", "执行日期", "月最低工资"]]})
    path = tmp_path / "cut.xlsx"
    path.write_bytes(honest.read_bytes()[:-200])
    assert refusal(path, MINIMUM_WAGES).code == "corrupt_file"


@settings(max_examples=200, deadline=None)
@given(amount=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_money_survives_excel_binary_floats(amount: Decimal) -> None:
    # Excel stores 6600.1 as the nearest double; its text is read back as written.
    assert Decimal(reader._cell_text(float(amount), as_month=False) or "0") == amount


# --- Speed and memory (FORMATS.md "Limits") -------------------------------------------------


def test_chunk_is_the_documented_shape(tmp_path: Path) -> None:
    chunk = next(open_table(payroll_csv(tmp_path), PAYROLL, LIMITS).chunks(10))
    assert isinstance(chunk, Chunk)
    assert list(chunk.frame.columns) == [
        "project_code", "month", "id_number", "worker_name", "wage_payable", "wage_paid",
        "paid_on", "bank_card",
    ]  # fmt: skip
    assert chunk.frame.loc[3, "paid_on"] is None


# --- Speed and memory (FORMATS.md "Limits") ---------------------------------------------------

BIG_HEADER = (
    "项目编号,工资月份,身份证号,姓名,所属单位,出勤天数,应发工资,实发工资,发放日期,工资卡号,发放方式"
)
BIG_ROW = (
    "P{p:04d},2025-07,1101051949123{i:05d},张三{w},天津建工第{e}分包,22,"
    "6600.50,6600.50,2025-08-15,6222{i:015d},专户代发\n"
)


@pytest.mark.slow
def test_a_million_row_payroll_streams_in_bounded_memory(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(BIG_HEADER + "\n")
        for start in range(0, 1_000_000, 10_000):
            handle.writelines(
                BIG_ROW.format(p=i % 500, i=i, w=i % 1000, e=i % 30)
                for i in range(start, start + 10_000)
            )
    process = psutil.Process()
    before = process.memory_info().rss
    started = time.perf_counter()
    table = open_table(path, PAYROLL, ImportSettings(max_file_mb=500))
    peak = rows = 0
    for chunk in table.chunks(50_000):
        rows += len(chunk.frame)
        peak = max(peak, process.memory_info().rss - before)
    elapsed = time.perf_counter() - started
    print(
        f"\n{rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s), +{peak / MIB:.0f} MB"
    )
    assert rows == 1_000_000
    assert peak < 400 * MIB
