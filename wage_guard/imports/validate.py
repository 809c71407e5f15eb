"""Row validation of an import file, one chunk at a time (FORMATS.md).

Each column is checked as a whole: its distinct values are parsed once and the outcome is
spread back to the rows, so a million-row payroll costs a few passes per column and no
Python work per row. A chunk comes out as a *clean* frame of canonical values (money as
``1234.50`` text, dates ``YYYY-MM-DD``, months ``YYYY-MM``, enums as stored, integers and
booleans as Python values), with None in every cell that is empty or invalid; the errors
go to a ``RowErrors`` that lists them all at the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from wage_guard.identity import bank_card_problem, credit_code_problem, id_number_problems
from wage_guard.imports.kinds import Column, ColumnType, Kind
from wage_guard.imports.schemas import RowError
from wage_guard.masking import mask_bank_card, mask_id_number

T = ColumnType

_MONEY = re.compile(r"(-)?\s*[¥￥]?\s*(-)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d*))?")
_DATE = re.compile(
    r"(\d{4})(?:-(\d{1,2})-(\d{1,2})|/(\d{1,2})/(\d{1,2})|年(\d{1,2})月(\d{1,2})日)"
    r"(?:[ T]00:00(?::00)?)?"
)
_MONTH = re.compile(r"(\d{4})(?:-(\d{1,2})|/(\d{1,2})|(\d{2})|年(\d{1,2})月)")
_INTEGER = re.compile(r"([-+]?\d+)(?:\.0*)?")
_DECIMAL = re.compile(r"([-+]?)(\d+)(?:\.(\d*))?")
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")

MONEY_MAX_DIGITS = 12  # Numeric(14, 2): 12 digits before the point
DECIMAL_PLACES = 1  # DECIMAL columns hold tenths (days worked may be halves)

BOOLEANS = {
    "是": True, "否": False, "yes": True, "no": False,
    "true": True, "false": False, "1": True, "0": False,
}  # fmt: skip

LOST_DIGITS = {
    T.ID_NUMBER: "id_lost_digits",
    T.BANK_CARD: "card_lost_digits",
    T.ACCOUNT_NO: "account_lost_digits",
}

Parsed = tuple[Any, str | None]  # (canonical value or None, error code or None)


def label(column: Column) -> str:
    """A column as a message names it: ``id_number (身份证号)``."""
    return f"{column.name} ({column.aliases[0]})" if column.aliases else column.name


def _choices_text(column: Column) -> str:
    spellings: dict[str, list[str]] = {}
    for spelling, stored in column.choices.items():
        if spelling != stored:
            spellings.setdefault(stored, []).append(spelling)
        else:
            spellings.setdefault(stored, [])
    return ", ".join(
        f"{stored} ({'/'.join(others)})" if others else stored
        for stored, others in spellings.items()
    )


def _bound(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def message(column: Column, code: str) -> str:
    """The English message of error ``code`` in ``column``."""
    name = label(column)
    messages = {
        "required": f"{name} is required",
        "too_long": f"{name} is longer than {column.max_length} characters",
        "money_format": f"{name} is not an amount of yuan such as 1234.50, 1,234.50 or ¥1234.50",
        "money_decimals": f"{name} has more than 2 decimals",
        "money_negative": f"{name} is negative; amounts are 0 or more",
        "money_too_large": f"{name} is too large: at most {MONEY_MAX_DIGITS} digits before the "
        "decimal point",
        "date_format": f"{name} is not a date written YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日",
        "date_invalid": f"{name} is not a real calendar date",
        "month_format": f"{name} is not a month written YYYY-MM, YYYY/MM, YYYYMM or YYYY年M月",
        "integer_format": f"{name} is not a whole number",
        "decimal_format": f"{name} is not a number with at most {DECIMAL_PLACES} decimal",
        "out_of_range": f"{name} must be between {_bound(column.minimum)} and "
        f"{_bound(column.maximum)}",
        "invalid_choice": f"{name} must be one of: {_choices_text(column)}",
        "invalid_boolean": f"{name} must be 是/否, yes/no, true/false or 1/0",
        "id_format": "ID number must be 17 digits followed by a digit or X (GB 11643-1999)",
        "id_birth_date": "ID number birth date (characters 7-14) is not a real date "
        "(GB 11643-1999)",
        "id_checksum": "ID number check character does not match (GB 11643-1999)",
        "id_lost_digits": "ID number was stored as a number and has lost digits; format the "
        "column as text and enter the number again",
        "credit_code_format": f"{name} must be 18 characters from 0-9 and A-Y without I, O, "
        "Z, S, V (GB 32100-2015)",
        "credit_code_checksum": f"{name} check character does not match (GB 32100-2015)",
        "card_format": f"{name} must be 12 to 19 digits",
        "card_lost_digits": f"{name} was stored as a number and has lost digits; format the "
        "column as text and enter the number again",
        "account_lost_digits": f"{name} was stored as a number and has lost digits; format the "
        "column as text and enter the number again",
    }
    return messages[code]


# Parsers of one distinct value each: (canonical value, None) or (None, error code).


def parse_money(text: str) -> Parsed:
    """Decimal yuan with at most 2 decimals, not negative (FORMATS.md, "Money").

    ``1234.5``, ``1,234.50`` and ``¥1234.50`` all give the text ``1234.50``, which goes to
    the database as it is (see ``wage_guard.db.bulk``): no binary float on the way.
    """
    match = _MONEY.fullmatch(text)
    if match is None or (match[1] and match[2]):
        return None, "money_format"
    whole = match[3].replace(",", "").lstrip("0") or "0"
    fraction = (match[4] or "").rstrip("0")
    if len(fraction) > 2:
        return None, "money_decimals"
    if len(whole) > MONEY_MAX_DIGITS:
        return None, "money_too_large"
    canonical = f"{whole}.{fraction:0<2}"
    if (match[1] or match[2]) and canonical != "0.00":
        return None, "money_negative"
    return canonical, None


def _characters(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-empty texts as a matrix of character codes (one row each, zero-padded) and their
    lengths, for checks that look at every character of a column at once."""
    text = np.array(uniques.tolist(), dtype=str)
    width = max(text.dtype.itemsize // 4, 1)
    return text.view(np.uint32).reshape(len(text), width), np.char.str_len(text)


def _plain_digits(uniques: np.ndarray, shortest: int, longest: int) -> np.ndarray:
    """Which values are only digits, ``shortest`` to ``longest`` of them."""
    if len(uniques) == 0:
        return np.zeros(0, dtype=bool)
    chars, length = _characters(uniques)
    digits = ((chars >= ord("0")) & (chars <= ord("9"))).sum(axis=1)
    return (digits == length) & (length >= shortest) & (length <= longest)


def check_bank_cards(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``identity.bank_card_problem`` over distinct values; plain 12-19 digit numbers, which
    it accepts, are recognised at once."""
    problems = np.full(len(uniques), None, dtype=object)
    rest = ~_plain_digits(uniques, 12, 19)
    problems[rest] = [bank_card_problem(text) for text in uniques[rest].tolist()]
    return uniques.copy(), problems


def _plain_money(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which values are plain amounts (``0``, ``1234``, ``1234.5``, ``1234.50``: digits, no
    leading zero, at most 12 before the point and 1 or 2 after it), and for those the text to
    add to make them canonical. Works on the characters as a numpy matrix, since this is
    nearly every cell of a payroll sheet."""
    chars, length = _characters(uniques)
    digit = (chars >= ord("0")) & (chars <= ord("9"))
    dot = chars == ord(".")
    has_dot = dot.any(axis=1)
    before = np.where(has_dot, dot.argmax(axis=1), length)
    after = np.where(has_dot, length - before - 1, 0)
    plain = (
        ((digit | dot).sum(axis=1) == length)
        & (dot.sum(axis=1) <= 1)
        & (before >= 1)
        & (before <= MONEY_MAX_DIGITS)
        & (~has_dot | (after >= 1))
        & (after <= 2)
        & ((chars[:, 0] != ord("0")) | (before == 1))
    )
    pad = np.where(plain & has_dot, 3 - after, 0)
    suffix = np.array([".00", "", "0", ""], dtype=object)[pad]
    return plain, suffix


def check_money(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``parse_money`` over distinct values, with a vectorised path for plain amounts."""
    clean = np.empty(len(uniques), dtype=object)
    problems = np.full(len(uniques), None, dtype=object)
    if len(uniques) == 0:
        return clean, problems
    plain, suffix = _plain_money(uniques)
    clean[plain] = [
        a + b for a, b in zip(uniques[plain].tolist(), suffix[plain].tolist(), strict=True)
    ]
    if not plain.all():
        rest = ~plain
        parsed = [parse_money(text) for text in uniques[rest].tolist()]
        clean[rest] = [value for value, _ in parsed]
        problems[rest] = [code for _, code in parsed]
    return clean, problems


def parse_date(text: str) -> Parsed:
    """``YYYY-MM-DD``, ``YYYY/MM/DD`` or ``YYYY年M月D日`` (an Excel date cell arrives as the
    first, possibly with a zero time) -> ``YYYY-MM-DD``."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None, "date_format"
    parts = match.groups()
    month, day = next((m, d) for m, d in zip(parts[1::2], parts[2::2], strict=True) if m)
    try:
        return date(int(match[1]), int(month), int(day)).isoformat(), None
    except ValueError:
        return None, "date_invalid"


def parse_month(text: str) -> Parsed:
    """``YYYY-MM``, ``YYYY/MM``, ``YYYYMM`` or ``YYYY年M月`` -> ``YYYY-MM``.

    The first of a month written as a date is read as that month too: Excel turns a typed
    ``2025-06`` into the date cell 2025-06-01.
    """
    match = _MONTH.fullmatch(text)
    if match is not None:
        year, month = int(match[1]), int(next(m for m in match.groups()[1:] if m))
    else:
        as_date, _ = parse_date(text)
        if as_date is None or not as_date.endswith("-01"):
            return None, "month_format"
        year, month = int(as_date[:4]), int(as_date[5:7])
    if not 1 <= month <= 12:
        return None, "month_format"
    return f"{year:04d}-{month:02d}", None


def _in_range(value: float, column: Column) -> bool:
    return (column.minimum is None or value >= column.minimum) and (
        column.maximum is None or value <= column.maximum
    )


def parse_integer(text: str, column: Column) -> Parsed:
    """A whole number within the column's range (``15.0`` from a number cell is 15)."""
    match = _INTEGER.fullmatch(text)
    if match is None:
        return None, "integer_format"
    value = int(match[1])
    return (value, None) if _in_range(value, column) else (None, "out_of_range")


def parse_decimal(text: str, column: Column) -> Parsed:
    """A number with at most one decimal within the column's range -> ``22.5`` text."""
    match = _DECIMAL.fullmatch(text)
    if match is None:
        return None, "decimal_format"
    fraction = (match[3] or "").rstrip("0")
    if len(fraction) > DECIMAL_PLACES:
        return None, "decimal_format"
    canonical = f"{match[1] if match[1] == '-' else ''}{int(match[2])}.{fraction or '0'}"
    return (canonical, None) if _in_range(float(canonical), column) else (None, "out_of_range")


def parse_choice(text: str, column: Column) -> Parsed:
    """One of the column's spellings, case ignored -> the stored value."""
    stored = column.choices.get(text.lower())
    return (stored, None) if stored is not None else (None, "invalid_choice")


def parse_boolean(text: str) -> Parsed:
    """是/否, yes/no, true/false or 1/0."""
    value = BOOLEANS.get(text.lower())
    return (value, None) if value is not None else (None, "invalid_boolean")


def _each(uniques: np.ndarray, parse: Callable[[str], Parsed]) -> tuple[np.ndarray, np.ndarray]:
    parsed = [parse(text) for text in uniques.tolist()]
    clean = np.empty(len(parsed), dtype=object)
    problems = np.empty(len(parsed), dtype=object)
    clean[:] = [value for value, _ in parsed]
    problems[:] = [code for _, code in parsed]
    return clean, problems


def _too_long(uniques: np.ndarray, column: Column, problems: np.ndarray) -> None:
    if column.max_length is not None:
        lengths = np.fromiter(map(len, uniques.tolist()), dtype=np.int64, count=len(uniques))
        problems[(lengths > column.max_length) & pd.isna(problems)] = "too_long"


def check_values(uniques: np.ndarray, column: Column) -> tuple[np.ndarray, np.ndarray]:
    """Canonical values and error codes (None where valid) of distinct non-empty cells."""
    kind = column.type
    if kind is T.ID_NUMBER:
        normalized = np.array([text.upper() for text in uniques.tolist()], dtype=object)
        problems = id_number_problems(pd.Series(normalized, dtype=object)).to_numpy(dtype=object)
        return normalized, problems
    if kind is T.CREDIT_CODE:
        return _each(uniques, lambda text: (text.upper(), credit_code_problem(text)))
    if kind is T.BANK_CARD:
        return check_bank_cards(uniques)
    if kind is T.MONEY:
        return check_money(uniques)
    if kind is T.DATE:
        return _each(uniques, parse_date)
    if kind is T.MONTH:
        return _each(uniques, parse_month)
    if kind is T.INTEGER:
        return _each(uniques, lambda text: parse_integer(text, column))
    if kind is T.DECIMAL:
        return _each(uniques, lambda text: parse_decimal(text, column))
    if kind is T.ENUM:
        return _each(uniques, lambda text: parse_choice(text, column))
    if kind is T.BOOLEAN:
        return _each(uniques, parse_boolean)
    clean = uniques.copy()
    problems = np.full(len(uniques), None, dtype=object)
    if kind is T.ACCOUNT_NO:
        lost = np.fromiter(
            (_SCIENTIFIC.fullmatch(text) is not None for text in uniques.tolist()),
            bool,
            len(uniques),
        )
        problems[lost] = "account_lost_digits"
    _too_long(uniques, column, problems)
    return clean, problems


def masked(column: Column | None, values: Sequence[Any]) -> list[str | None]:
    """Cell values as an error may show them: text, ID numbers and bank cards masked."""
    texts = [None if pd.isna(value) else str(value) for value in values]
    if column is not None and column.type is T.ID_NUMBER:
        return [mask_id_number(text) for text in texts]
    if column is not None and column.type is T.BANK_CARD:
        return [mask_bank_card(text) for text in texts]
    return texts


class RowErrors:
    """Every error found in a file so far (FORMATS.md, "Errors": the answer lists every one).

    Errors are kept as arrays per check until the report is made, so a file with many bad
    rows costs little memory while it is read.
    """

    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self.count = 0
        self._order = {column.name: i for i, column in enumerate(kind.columns)}
        self._parts: list[tuple[np.ndarray, str | None, str, Sequence[str], list[str | None]]] = []
        self._file: list[RowError] = []

    def __bool__(self) -> bool:
        return self.count > 0

    def add(
        self,
        rows: Sequence[int] | np.ndarray | pd.Index,
        column: str | None,
        code: str,
        text: str | Sequence[str],
        values: Sequence[Any] | np.ndarray,
    ) -> None:
        """Errors ``code`` on ``rows`` in ``column``; ``values`` are the cells as written,
        ``text`` one message for all or one per row."""
        row_numbers = np.asarray(rows, dtype=np.int64)
        if len(row_numbers) == 0:
            return
        texts = [text] * len(row_numbers) if isinstance(text, str) else text
        spec = self.kind.column(column) if column in self._order else None
        self._parts.append((row_numbers, column, code, texts, masked(spec, list(values))))
        self.count += len(row_numbers)

    def add_file_error(self, row: int | None, column: str | None, code: str, text: str) -> None:
        """A problem with the whole file (a refusal by the reader)."""
        self._file.append(RowError(row=row, column=column, code=code, value=None, message=text))
        self.count += 1

    def report(self) -> list[RowError]:
        """Every error, by row and then by the column's place in the kind."""
        errors = list(self._file)
        if not self._parts:
            return errors
        rows = np.concatenate([part[0] for part in self._parts])
        part_of = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(self._parts)])
        offset = np.concatenate([np.arange(len(p[0])) for p in self._parts])
        place = np.array([self._order.get(p[1] or "", -1) for p in self._parts])[part_of]
        for i in np.lexsort((place, rows)):
            row, column, code, texts, values = self._parts[part_of[i]]
            at = offset[i]
            errors.append(
                RowError(
                    row=int(row[at]), column=column, code=code, value=values[at], message=texts[at]
                )
            )
        return errors


def validate_column(
    column: Column,
    raw: np.ndarray,
    rows: pd.Index,
    errors: RowErrors,
    numeric_cells: np.ndarray | None = None,
) -> np.ndarray:
    """The clean values of one column of a chunk; its errors are added to ``errors``.

    ``numeric_cells`` marks number-typed XLSX cells of a text-only column: they have lost
    digits and are errors whatever they look like (FORMATS.md, "XLSX").
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    # One more entry after the distinct values, for empty cells: code -1 takes the last.
    values = np.empty(len(uniques) + 1, dtype=object)
    values[:-1] = uniques
    if column.default is not None:
        values[-1] = column.default
        clean_uniques, problem_uniques = check_values(values, column)
    else:
        clean_uniques, problem_uniques = check_values(values[:-1], column)
        clean_uniques = np.concatenate([clean_uniques, np.array([None], dtype=object)])
        missing = "required" if column.required else None
        problem_uniques = np.concatenate([problem_uniques, np.array([missing], dtype=object)])
    bad_uniques = pd.notna(problem_uniques)
    clean_uniques[bad_uniques] = None
    clean = clean_uniques[codes]
    bad = bad_uniques[codes]
    problems = problem_uniques[codes] if bad.any() else None
    if numeric_cells is not None and column.type in LOST_DIGITS:
        lost = np.asarray(numeric_cells, dtype=bool) & (codes >= 0)
        if lost.any():
            problems = problem_uniques[codes] if problems is None else problems
            problems[lost] = LOST_DIGITS[column.type]
            clean[lost] = None
            bad |= lost
    if problems is not None:
        for code in pd.unique(problems[bad]):
            hit = problems == code
            errors.add(rows[hit], column.name, code, message(column, code), raw[hit])
    return clean


def _rule(
    errors: RowErrors, rows: pd.Index, hit: np.ndarray, column: str, code: str, text: str
) -> None:
    if hit.any():
        errors.add(rows[hit], column, code, text, [None] * int(hit.sum()))


def _given(raw: pd.DataFrame, *names: str) -> np.ndarray:
    return np.logical_or.reduce([pd.notna(raw[name].to_numpy()) for name in names])


def _payroll_rules(raw: pd.DataFrame, clean: pd.DataFrame, errors: RowErrors) -> None:
    """``paid_on`` is required when ``wage_paid`` is more than 0 (FORMATS.md, payroll)."""
    paid = clean["wage_paid"].to_numpy()
    hit = pd.notna(paid) & (paid != "0.00") & ~_given(raw, "paid_on")
    text = "paid_on (发放日期) is required when wage_paid is more than 0"
    _rule(errors, clean.index, hit, "paid_on", "paid_on_required", text)


def _escrow_rules(raw: pd.DataFrame, clean: pd.DataFrame, errors: RowErrors) -> None:
    """A transaction names its account or its project, and moves more than 0 (FORMATS.md,
    escrow)."""
    neither = ~_given(raw, "project_code", "wage_account_no")
    text = "either wage_account_no (专户账号) or project_code (项目编号) is required"
    _rule(errors, clean.index, neither, "wage_account_no", "account_or_project_required", text)
    zero = clean["amount"].to_numpy() == "0.00"
    text = "amount (金额) must be more than 0"
    _rule(errors, clean.index, zero, "amount", "amount_not_positive", text)


def _projects_rules(raw: pd.DataFrame, clean: pd.DataFrame, errors: RowErrors) -> None:
    """A guarantee needs its form and a wage account its number: the rows they make need
    them."""
    no_form = _given(raw, "guarantee_amount", "guarantee_valid_until") & ~_given(
        raw, "guarantee_form"
    )
    text = "guarantee_form (保证金形式) is required when a guarantee amount or expiry is given"
    _rule(errors, clean.index, no_form, "guarantee_form", "required", text)
    no_account = _given(raw, "wage_account_bank", "wage_account_opened_on") & ~_given(
        raw, "wage_account_no"
    )
    text = "wage_account_no (专户账号) is required when the account's bank or opening date is given"
    _rule(errors, clean.index, no_account, "wage_account_no", "required", text)


ROW_RULES: dict[str, Callable[[pd.DataFrame, pd.DataFrame, RowErrors], None]] = {
    "payroll": _payroll_rules,
    "escrow": _escrow_rules,
    "projects": _projects_rules,
}


def validate_chunk(
    kind: Kind,
    frame: pd.DataFrame,
    errors: RowErrors,
    numeric_cells: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Check every cell of a chunk and the rules between its columns.

    ``frame`` has one column per column of the file (stripped text or None), indexed by
    spreadsheet row number. The answer has every column of ``kind`` (absent ones empty or
    their default) with canonical values, and None where a cell is empty or invalid.
    """
    numeric_cells = numeric_cells or {}
    empty = np.full(len(frame), None, dtype=object)
    raw = pd.DataFrame(
        {
            c.name: frame[c.name].to_numpy(dtype=object) if c.name in frame else empty
            for c in kind.columns
        },
        index=frame.index,
        dtype=object,
    )
    clean = pd.DataFrame(
        {
            c.name: validate_column(
                c, raw[c.name].to_numpy(), raw.index, errors, numeric_cells.get(c.name)
            )
            for c in kind.columns
        },
        index=frame.index,
        dtype=object,
    )
    rule = ROW_RULES.get(kind.name)
    if rule is not None:
        rule(raw, clean, errors)
    return clean


class NaturalKeys:
    """The natural keys seen so far in a file, to refuse one given twice (FORMATS.md,
    "Idempotency": the same key twice in one file is a row error naming both rows).

    Only a 64-bit hash and the row number of each key are kept (16 bytes a row), sorted,
    so a million-row file costs 16 MB and each chunk a binary search. The hash is Python's
    own, which is fixed for the life of the process and so for the whole file.
    """

    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self._hashes = np.empty(0, dtype=np.int64)
        self._rows = np.empty(0, dtype=np.int64)

    def check(self, keys: pd.DataFrame, errors: RowErrors) -> None:
        """Record the keys of a chunk and add a ``duplicate_key`` error on every row whose
        key an earlier row already has. ``keys`` holds the key columns by the kind's column
        names, indexed by row number; a row with an empty key part is no duplicate."""
        if keys.empty:
            return
        parts = [keys[name].tolist() for name in keys]
        hashes = np.fromiter(map(hash, zip(*parts, strict=True)), np.int64, len(keys))
        order = np.argsort(hashes, kind="stable")
        hashes = hashes[order]
        rows = keys.index.to_numpy(dtype=np.int64)[order]
        starts = np.r_[True, hashes[1:] != hashes[:-1]]
        first = rows[starts][np.cumsum(starts) - 1]  # the first row of each key in this chunk
        seen = np.zeros(len(hashes), dtype=bool)
        if len(self._hashes):
            at = np.minimum(np.searchsorted(self._hashes, hashes), len(self._hashes) - 1)
            seen = self._hashes[at] == hashes
            first = np.where(seen, self._rows[at], first)
        repeated = rows != first
        if repeated.any():
            complete = keys.loc[rows[repeated]].notna().all(axis=1).to_numpy()
            self._report(keys, rows[repeated][complete], first[repeated][complete], errors)
        new = starts & ~seen
        at = np.searchsorted(self._hashes, hashes[new])
        self._hashes = np.insert(self._hashes, at, hashes[new])
        self._rows = np.insert(self._rows, at, rows[new])

    def _report(
        self, keys: pd.DataFrame, rows: np.ndarray, firsts: np.ndarray, errors: RowErrors
    ) -> None:
        names = [str(name) for name in keys.columns]
        described = f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]
        order = np.argsort(rows)
        rows, firsts = rows[order], firsts[order]
        errors.add(
            rows,
            names[-1],
            "duplicate_key",
            [
                f"the same {described} as row {first}: a key may appear only once in a file"
                for first in firsts.tolist()
            ],
            keys.loc[rows, names[-1]].tolist(),
        )
