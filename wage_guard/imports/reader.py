"""Reading an import file into chunks of text cells (FORMATS.md, "Rules for every file").

``open_table`` checks everything that can refuse a whole file before any row is looked at:
the file type, the size limit, the encoding of a CSV, the safety of an XLSX and the header.
``Table.chunks`` then streams the data rows as frames of stripped text, keyed by the
canonical column names of ``kinds.py``, with the row numbers a spreadsheet shows. Values
are not parsed here: the validator decides what a cell means.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import numpy.typing as npt
import openpyxl
import pandas as pd
from defusedxml import DefusedXmlException
from openpyxl.utils.exceptions import InvalidFileException

from wage_guard.config import ImportSettings
from wage_guard.imports.kinds import Column, ColumnType, Kind

MIB = 1024 * 1024
_BLOCK = MIB
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or a password-protected workbook
_UTF8_BOM = codecs.BOM_UTF8
_WIDE_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}
# C0 control characters other than tab, LF and CR. No byte of a UTF-8 or GB18030
# multi-byte character falls in this range, so the check is safe before decoding.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_ACCEPTED_ENCODINGS = "UTF-8 (with or without BOM) or GB18030/GBK"
_EXTRA_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")

# An XLSX is a zip of XML that honestly compresses about tenfold; a bomb compresses
# a thousandfold. The bound on the whole archive leaves room for honest files at the
# size limit, and the ratio check catches a single inflated member early.
_XLSX_EXPANSION = 20
_XLSX_MAX_UNCOMPRESSED = 4 * 1024 * MIB
_XLSX_MAX_RATIO = 100
_XLSX_RATIO_FROM = MIB
_XLSX_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    ParseError,
    InvalidFileException,
)


class FileRefused(Exception):
    """The whole file is refused before any row is looked at.

    ``open_table`` raises it, and so does ``Table.chunks`` for what shows only while
    streaming (too many rows, a malformed record, an unreadable sheet). Codes:
    ``unreadable``, ``file_type``, ``file_too_large``, ``too_many_rows``, ``encoding``,
    ``binary``, ``malformed_csv``, ``empty_file``, ``missing_column``,
    ``duplicate_column``, ``xlsx_bomb``, ``xml_attack``, ``corrupt_file``.
    """

    def __init__(self, code: str, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.column = column


@dataclass
class Chunk:
    """Some data rows of a file as text cells, indexed by their spreadsheet row number.

    ``frame`` has one object column per canonical column of the file; a cell is a
    stripped ``str`` or None when empty. ``numeric_cells`` maps each text-only column
    of an XLSX file to a mask of the rows whose cell was number-typed (its digits may be
    lost, FORMATS.md "XLSX"); it is empty for a CSV file.
    """

    frame: pd.DataFrame
    numeric_cells: dict[str, npt.NDArray[np.bool_]]


@dataclass
class Table:
    """An import file whose type, size, encoding and header have been accepted."""

    kind: Kind
    path: Path
    columns: list[str]
    ignored_headers: list[str]
    encoding: str | None
    sha256: str
    _positions: list[int] = field(repr=False)
    _max_rows: int = field(repr=False)
    _sheet: str | None = field(repr=False)

    def chunks(self, rows: int) -> Iterator[Chunk]:
        """Stream the data rows, ``rows`` rows of the file at a time.

        Rows with nothing in any of the kind's columns are left out, so a chunk may hold
        fewer rows; the row numbers stay those of the file. Raises ``FileRefused`` with
        ``too_many_rows`` once a row number passes the limit plus the header (blank rows
        count), ``malformed_csv`` for a CSV record with more fields than the header, and
        ``xml_attack`` or ``corrupt_file`` for an XLSX whose sheet turns out unreadable.
        """
        if rows < 1:
            raise ValueError("rows must be at least 1")
        if self._sheet is None:
            return self._csv_chunks(rows)
        return self._xlsx_chunks(rows, self._sheet)

    def _too_many_rows(self) -> FileRefused:
        return FileRefused(
            "too_many_rows",
            f"{self.path.name} has more than {self._max_rows:,} rows after the header "
            f"(the limit is {self._max_rows:,})",
        )

    def _csv_chunks(self, rows: int) -> Iterator[Chunk]:
        limit = self._max_rows + 2  # the header, the rows allowed and one to see the excess
        for raw in _csv_records(self.path, self.encoding, chunksize=rows, nrows=limit):
            # Record n of the file (0-based) is spreadsheet row n + 1; record 0 is the header.
            body = raw.iloc[1:] if raw.index[0] == 0 else raw
            if len(body) and body.index[-1] > self._max_rows:
                raise self._too_many_rows()
            cells = {}
            filled = np.zeros(len(body), dtype=bool)
            for name, position in zip(self.columns, self._positions, strict=True):
                cells[name], written = _stripped(body[position].to_numpy())
                filled |= written
            chunk = _chunk(cells, body.index.to_numpy() + 1, filled, {})
            if chunk is not None:
                yield chunk

    def _xlsx_chunks(self, rows: int, sheet: str) -> Iterator[Chunk]:
        columns = [self.kind.column(name) for name in self.columns]
        batch = _XlsxBatch(columns)
        with _workbook(self.path) as workbook:
            for number, values in enumerate(_sheet_rows(workbook[sheet], self.path), 1):
                if number == 1:
                    continue
                if number > self._max_rows + 1:
                    raise self._too_many_rows()
                batch.add(number, [values[p] if p < len(values) else None for p in self._positions])
                if len(batch.numbers) == rows:
                    yield from batch.take()
            yield from batch.take()


def open_table(path: Path, kind: Kind, limits: ImportSettings) -> Table:
    """Accept ``path`` as a file of ``kind`` or raise ``FileRefused`` saying why.

    Implements FORMATS.md "Limits" (size before reading, rows as early as cheaply
    known), "Encodings", "Headers" and "XLSX", and RELIABILITY.md items 19 and 21.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise FileRefused(
            "file_type", f"{path.name}: only .csv and .xlsx files are accepted, not {suffix!r}"
        )
    _check_size(path, limits)
    if suffix == ".csv":
        return _open_csv(path, kind, limits)
    return _open_xlsx(path, kind, limits)


def _check_size(path: Path, limits: ImportSettings) -> None:
    """The size limit, from ``os.stat`` alone (FORMATS.md "Limits")."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise FileRefused("unreadable", f"cannot read {path}: {exc.strerror}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused("unreadable", f"{path} is not a regular file")
    if info.st_size > limits.max_file_mb * MIB:
        raise FileRefused(
            "file_too_large",
            f"{path.name} is {info.st_size / MIB:,.1f} MB; the limit is {limits.max_file_mb:g} MB",
        )


@dataclass(frozen=True)
class _CsvFacts:
    """What the pre-pass over a CSV file's bytes found."""

    encoding: str
    sha256: str
    records: int  # an upper bound on the records: every record takes at least one line
    quoted: bool  # with no quote character, every line is exactly one record


def _open_csv(path: Path, kind: Kind, limits: ImportSettings) -> Table:
    facts = _scan_csv(path)
    if not facts.quoted and facts.records - 1 > limits.max_rows:
        raise FileRefused(
            "too_many_rows",
            f"{path.name} has {facts.records - 1:,} rows after the header; "
            f"the limit is {limits.max_rows:,}",
        )
    records = _csv_records(path, facts.encoding, chunksize=1, nrows=1)
    header = [cell for frame in records for cell in frame.iloc[0]]
    columns, positions, ignored = _match_header(header, kind, path)
    return Table(
        kind=kind,
        path=path,
        columns=columns,
        ignored_headers=ignored,
        encoding=facts.encoding,
        sha256=facts.sha256,
        _positions=positions,
        _max_rows=limits.max_rows,
        _sheet=None,
    )


def _scan_csv(path: Path) -> _CsvFacts:
    """One streaming pass over the bytes: type, binary junk, encoding, lines and sha256."""
    digest = hashlib.sha256()
    lines = 0
    quoted = False
    offset = 0
    probe: _EncodingProbe | None = None
    last = b""
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            if probe is None:
                probe = _EncodingProbe(path, _csv_start(block, path))
            digest.update(block)
            if len(block.translate(None, _CONTROL_BYTES)) < len(block):
                raise _binary(path, block, offset)
            lines += block.count(b"\n")
            quoted = quoted or b'"' in block
            probe.feed(block, offset)
            offset += len(block)
            last = block[-1:]
    if probe is None:
        raise FileRefused("empty_file", f"{path.name} is empty")
    probe.feed(b"", offset, final=True)
    records = lines + (last != b"\n")
    return _CsvFacts(probe.encoding, digest.hexdigest(), records, quoted)


class _EncodingProbe:
    """Strict UTF-8 while it holds, then strict GB18030 from the first byte.

    Text is never decoded into mojibake (FORMATS.md "Encodings"; RELIABILITY.md item 19).
    Runs of UTF-8 Chinese are often valid GB18030 too, so a file that has shown real UTF-8
    text before its first invalid byte is refused as mixed or damaged rather than read as
    GB18030; GB18030 text hardly ever forms even a few valid UTF-8 sequences by chance.
    """

    _UTF8_EVIDENCE = 16  # bytes beyond one per character: about eight Chinese characters

    def __init__(self, path: Path, encoding: str) -> None:
        self.path = path
        self.encoding = encoding
        self.decoder: codecs.IncrementalDecoder = codecs.getincrementaldecoder("utf-8")()
        self.utf8_evidence = 0

    def feed(self, block: bytes, offset: int, *, final: bool = False) -> None:
        """Decode ``block``, which starts at byte ``offset``, or raise ``FileRefused``."""
        try:
            text = self.decoder.decode(block, final)
        except UnicodeDecodeError as exc:
            self._fall_back(block, offset, exc, final=final)
        else:
            self.utf8_evidence += len(block) - len(text)

    def _fall_back(
        self, block: bytes, offset: int, error: UnicodeDecodeError, *, final: bool
    ) -> None:
        at = offset + error.start
        if self.encoding != "utf-8":
            raise _undecodable(self.path, self.encoding, at) from error
        valid = block[: error.start]
        evidence = self.utf8_evidence + len(valid) - len(valid.decode("utf-8", "ignore"))
        if evidence >= self._UTF8_EVIDENCE:
            raise FileRefused(
                "encoding",
                f"{self.path.name} is UTF-8 text up to byte {at:,} but not after it (mixed "
                f"encodings or a damaged file); save it again as CSV in {_ACCEPTED_ENCODINGS}",
            ) from error
        self.encoding = "gb18030"
        self.decoder = _gb18030_decoder(self.path, offset)
        try:
            self.decoder.decode(block, final)
        except UnicodeDecodeError as exc:
            raise _undecodable(self.path, self.encoding, offset + exc.start) from exc


def _binary(path: Path, block: bytes, offset: int) -> FileRefused:
    """The refusal of a file with a control byte in ``block``, which starts at ``offset``."""
    found = (block.find(byte) for byte in _CONTROL_BYTES)
    position = min(at for at in found if at >= 0)
    return FileRefused(
        "binary",
        f"{path.name} is not a text CSV file: it has a control byte "
        f"0x{block[position]:02x} at byte {offset + position:,}",
    )


def _csv_start(block: bytes, path: Path) -> str:
    """Refuse a workbook or a UTF-16/32 file named .csv; "utf-8-sig" when it has a BOM."""
    if block.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise FileRefused(
            "file_type",
            f"{path.name} is an Excel workbook, not a CSV file: name it .xlsx, "
            "or save it as CSV UTF-8",
        )
    for bom, name in _WIDE_BOMS.items():
        if block.startswith(bom):
            raise FileRefused(
                "encoding",
                f"{path.name} is {name} text; save it as CSV in {_ACCEPTED_ENCODINGS}",
            )
    return "utf-8-sig" if block.startswith(_UTF8_BOM) else "utf-8"


def _gb18030_decoder(path: Path, upto: int) -> codecs.IncrementalDecoder:
    """A GB18030 decoder that has already decoded the first ``upto`` bytes of ``path``."""
    decoder = codecs.getincrementaldecoder("gb18030")()
    done = 0
    with path.open("rb") as handle:
        while done < upto:
            block = handle.read(min(_BLOCK, upto - done))
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                raise _undecodable(path, "gb18030", done + exc.start) from exc
            done += len(block)
    return decoder


def _undecodable(path: Path, encoding: str, offset: int) -> FileRefused:
    if encoding == "utf-8-sig":
        found = "starts with a UTF-8 byte-order mark but is not valid UTF-8"
    else:
        found = "is neither UTF-8 nor GB18030/GBK text"
    return FileRefused(
        "encoding",
        f"{path.name} {found} (near byte {offset:,}); save it as CSV in {_ACCEPTED_ENCODINGS}",
    )


def _csv_records(
    path: Path, encoding: str | None, *, chunksize: int, nrows: int
) -> Iterator[pd.DataFrame]:
    """The file's records in frames of ``chunksize``, every cell as written.

    No NA guessing, so ``NA`` and ``null`` stay text; blank lines are kept so that
    records keep their numbers. Parser errors become ``malformed_csv``.
    """
    try:
        reader = pd.read_csv(
            path,
            header=None,
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            encoding=encoding,
            engine="c",
            chunksize=chunksize,
            nrows=nrows,
        )
        with reader:
            yield from reader
    except pd.errors.EmptyDataError:
        return
    except pd.errors.ParserError as exc:
        raise FileRefused("malformed_csv", _describe_parser_error(str(exc), path)) from exc


def _describe_parser_error(error: str, path: Path) -> str:
    extra = _EXTRA_FIELDS.search(error)
    if extra:
        expected, row, saw = extra.groups()
        return f"{path.name}: row {row} has {saw} fields but the header has {expected}"
    quote = _OPEN_QUOTE.search(error)
    if quote:
        row = int(quote.group(1)) + 1
        return f"{path.name}: the quote opened in row {row} is never closed"
    return f"{path.name} is not a well-formed CSV file: {error.strip()}"


def _stripped(values: npt.NDArray[Any]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
    """Cells with surrounding spaces removed, an empty one as None; and where one is not."""
    cells = np.fromiter(map(str.strip, values), dtype=object, count=len(values))
    empty = cells == ""
    cells[empty] = None
    return cells, ~empty


def _chunk(
    cells: dict[str, npt.NDArray[np.object_]],
    numbers: npt.NDArray[np.int64],
    keep: npt.NDArray[np.bool_],
    numeric: dict[str, npt.NDArray[np.bool_]],
) -> Chunk | None:
    """A chunk of the rows to ``keep``, or None when there is none (FORMATS.md "Errors":
    row numbers as the spreadsheet shows them, blank rows included)."""
    if not keep.any():
        return None
    if not keep.all():
        cells = {name: values[keep] for name, values in cells.items()}
        numeric = {name: mask[keep] for name, mask in numeric.items()}
        numbers = numbers[keep]
    frame = pd.DataFrame(cells, index=pd.Index(numbers, name="row"), dtype=object)
    return Chunk(frame, numeric)


def _match_header(
    header: Sequence[str], kind: Kind, path: Path
) -> tuple[list[str], list[int], list[str]]:
    """Canonical columns and their positions, and the ignored headers (FORMATS.md "Headers")."""
    lookup = kind.header_lookup
    spelled: dict[str, str] = {}
    columns: list[str] = []
    positions: list[int] = []
    ignored: list[str] = []
    for position, cell in enumerate(header):
        text = cell.replace("\ufeff", "").strip()
        name = lookup.get(text.lower())
        if name is None:
            if text:
                ignored.append(text)
            continue
        if name in spelled:
            raise FileRefused(
                "duplicate_column",
                f"{path.name}: the headers {spelled[name]!r} and {text!r} are both "
                f"the column {name}",
                column=name,
            )
        spelled[name] = text
        columns.append(name)
        positions.append(position)
    if not any(cell.replace("\ufeff", "").strip() for cell in header):
        raise FileRefused("empty_file", f"{path.name} has no header row")
    missing = [c for c in kind.columns if c.required and c.name not in spelled]
    if missing:
        names = ", ".join(f"{c.name} ({c.aliases[0]})" if c.aliases else c.name for c in missing)
        hint = ""
        if len(header) == 1 and any(separator in header[0] for separator in "\t;|"):
            hint = "; columns must be separated by commas"
        elif not columns:
            hint = "; the header must be the first row"
        raise FileRefused(
            "missing_column",
            f"{path.name} lacks required column{'s' if len(missing) > 1 else ''} {names}{hint}",
            column=missing[0].name,
        )
    return columns, positions, ignored


def _open_xlsx(path: Path, kind: Kind, limits: ImportSettings) -> Table:
    digest = _xlsx_sha256(path)
    _check_zip(path, limits)
    with _workbook(path) as workbook:
        worksheet = _pick_sheet(workbook, kind, path.name)
        if worksheet.max_row is not None and worksheet.max_row - 1 > limits.max_rows:
            raise FileRefused(
                "too_many_rows",
                f"{path.name}: sheet {worksheet.title!r} has {worksheet.max_row - 1:,} rows "
                f"after the header; the limit is {limits.max_rows:,}",
            )
        first = next(_sheet_rows(worksheet, path), ())
        header = [_cell_text(value, as_month=False) or "" for value in first]
        title = worksheet.title
    columns, positions, ignored = _match_header(header, kind, path)
    return Table(
        kind=kind,
        path=path,
        columns=columns,
        ignored_headers=ignored,
        encoding=None,
        sha256=digest,
        _positions=positions,
        _max_rows=limits.max_rows,
        _sheet=title,
    )


def _xlsx_sha256(path: Path) -> str:
    """The file's digest, refusing anything that is not a zip (an .xlsx always is)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        start = handle.read(len(_OLE_MAGIC))
        if start.startswith(_OLE_MAGIC):
            raise FileRefused(
                "file_type",
                f"{path.name} is an old .xls or a password-protected workbook: "
                "save it as .xlsx without a password",
            )
        if not start.startswith(_ZIP_MAGIC):
            raise FileRefused("file_type", f"{path.name} is not an XLSX workbook")
        digest.update(start)
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _check_zip(path: Path, limits: ImportSettings) -> None:
    """Refuse a zip bomb from the sizes the archive declares (RELIABILITY.md item 21).

    ``zipfile`` never inflates a member beyond its declared size, so the declared
    sizes bound what reading the workbook can cost.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRefused("corrupt_file", f"{path.name} is a damaged XLSX file: {exc}") from exc
    bound = min(_XLSX_EXPANSION * limits.max_file_mb * MIB, _XLSX_MAX_UNCOMPRESSED)
    total = sum(member.file_size for member in members)
    if total > bound:
        raise FileRefused(
            "xlsx_bomb",
            f"{path.name} would expand to {total / MIB:,.0f} MB; "
            f"at most {bound / MIB:,.0f} MB is accepted",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _XLSX_RATIO_FROM and ratio > _XLSX_MAX_RATIO:
            raise FileRefused(
                "xlsx_bomb",
                f"{path.name}: {member.filename} expands {ratio:,.0f}-fold, "
                "which no honest spreadsheet does",
            )


@contextmanager
def _xlsx_errors(path: Path) -> Iterator[None]:
    """Turn what a hostile or damaged workbook makes openpyxl raise into ``FileRefused``."""
    try:
        yield
    except _XLSX_ERRORS as exc:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, DefusedXmlException):
                raise FileRefused(
                    "xml_attack",
                    f"{path.name} declares XML entities ({type(cause).__name__}), "
                    "which spreadsheets never need; it is refused as unsafe",
                ) from exc
            cause = cause.__cause__ or cause.__context__
        raise FileRefused("corrupt_file", f"{path.name} is a damaged XLSX file: {exc}") from exc


@contextmanager
def _workbook(path: Path) -> Iterator[Any]:
    """The workbook read-only, formulas as their last computed values, closed on leaving."""
    with _xlsx_errors(path):
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        yield book
    finally:
        book.close()


def _sheet_rows(worksheet: Any, path: Path) -> Iterator[tuple[object, ...]]:
    """The sheet's rows from row 1, an empty tuple for a row the sheet leaves out."""
    worksheet.reset_dimensions()  # a stale dimension would cut rows or columns off
    with _xlsx_errors(path):
        yield from worksheet.iter_rows(values_only=True)


def _pick_sheet(workbook: Any, kind: Kind, workbook_name: str) -> Any:
    """The sheet named after the kind, else the first (FORMATS.md "XLSX")."""
    wanted = {kind.name, kind.name.replace("-", "_"), kind.title_zh}
    sheets = workbook.worksheets
    for worksheet in sheets:
        if worksheet.title.strip().lower() in wanted:
            return worksheet
    if not sheets:
        raise FileRefused("empty_file", f"{workbook_name} has no worksheet")
    return sheets[0]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell_text(value: object, *, as_month: bool) -> str | None:
    """The text of an XLSX cell as a CSV would hold it (FORMATS.md "Dates", "XLSX").

    Date cells read ``YYYY-MM-DD``, or ``YYYY-MM`` in a month column when they fall on
    the first (Excel turns a typed ``2025-07`` into 1 July). Numbers read as Excel
    shows them, with at most 15 significant digits, so a formula's ``0.30000000000000004``
    reads ``0.3`` and an integral ``15.0`` reads ``15``.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if as_month and value.day == 1:
            return f"{value.year:04d}-{value.month:02d}"
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    return str(value).strip() or None


class _XlsxBatch:
    """XLSX rows gathered column by column until they make a chunk."""

    def __init__(self, columns: list[Column]) -> None:
        self.columns = columns
        self.months = [c.type is ColumnType.MONTH for c in columns]
        self.numbers: list[int] = []
        self.filled: list[bool] = []
        self.cells: list[list[str | None]] = [[] for _ in columns]
        self.typed: dict[int, list[bool]] = {i: [] for i, c in enumerate(columns) if c.text_only}

    def add(self, number: int, values: list[object]) -> None:
        self.numbers.append(number)
        texts = [
            _cell_text(v, as_month=month) for v, month in zip(values, self.months, strict=True)
        ]
        self.filled.append(any(text is not None for text in texts))
        for cells, text in zip(self.cells, texts, strict=True):
            cells.append(text)
        for i, typed in self.typed.items():
            typed.append(_is_number(values[i]))

    def take(self) -> Iterator[Chunk]:
        """The chunk of the rows gathered so far, if any has something in it; then start anew."""
        chunk = _chunk(
            {
                c.name: np.array(v, dtype=object)
                for c, v in zip(self.columns, self.cells, strict=True)
            },
            np.array(self.numbers, dtype=np.int64),
            np.array(self.filled, dtype=bool),
            {self.columns[i].name: np.array(t, dtype=bool) for i, t in self.typed.items()},
        )
        self.numbers = []
        self.filled = []
        self.cells = [[] for _ in self.columns]
        self.typed = {i: [] for i in self.typed}
        if chunk is not None:
            yield chunk
