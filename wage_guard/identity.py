"""Identity numbers: resident ID (GB 11643-1999), credit code (GB 32100-2015), bank cards.

Each check returns an error code, or None when the value is valid; the ``*_series``
variants check a whole column at once.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)
_CARD_SHAPE = re.compile(r"^\d{12,19}$")


def id_check_char(first17: str) -> str:
    """The check character of a resident ID from its first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize_id(value: str) -> str:
    """Surrounding spaces removed and a lower-case check ``x`` read as ``X``."""
    return value.strip().upper()


def id_number_problem(value: str) -> str | None:
    """Why ``value`` is not a valid resident ID number, or None (GB 11643-1999)."""
    value = normalize_id(value)
    if _SCIENTIFIC.match(value):
        return "id_lost_digits"
    if not _ID_SHAPE.match(value):
        return "id_format"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "id_birth_date"
    if id_check_char(value[:17]) != value[17]:
        return "id_checksum"
    return None


def id_number_problems(values: pd.Series) -> pd.Series:
    """``id_number_problem`` for a column of normalized strings, vectorised.

    Returns a Series of error codes (None where valid) aligned with ``values``.
    """
    values = values.astype("string").fillna("")
    result = pd.Series([None] * len(values), index=values.index, dtype="object")
    shaped = values.str.fullmatch(r"\d{17}[\dX]").fillna(False).to_numpy(dtype=bool)
    lost = values.str.fullmatch(r"\d(\.\d+)?[eE]\+?\d+").fillna(False).to_numpy(dtype=bool)
    result[lost] = "id_lost_digits"
    result[~shaped & ~lost] = "id_format"
    if not shaped.any():
        return result
    good = values[shaped]
    codes = np.frombuffer("".join(good.tolist()).encode("ascii"), dtype=np.uint8)
    digits = codes.reshape(-1, 18)
    body = (digits[:, :17] - ord("0")).astype(np.int64)
    total = body @ np.array(ID_WEIGHTS, dtype=np.int64)
    expected = np.frombuffer(ID_CHECK_CHARS.encode("ascii"), dtype=np.uint8)[total % 11]
    checksum_ok = expected == digits[:, 17]
    births = pd.to_datetime(good.str.slice(6, 14), format="%Y%m%d", errors="coerce")
    birth_ok = births.notna().to_numpy()
    shaped_index = good.index
    result.loc[shaped_index[~birth_ok]] = "id_birth_date"
    result.loc[shaped_index[birth_ok & ~checksum_ok]] = "id_checksum"
    return result


def credit_check_char(first17: str) -> str:
    """The check character of a unified social credit code from its first 17 characters."""
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def credit_code_problem(value: str) -> str | None:
    """Why ``value`` is not a valid unified social credit code, or None (GB 32100-2015)."""
    value = value.strip().upper()
    if len(value) != 18 or any(c not in CREDIT_CHARS for c in value):
        return "credit_code_format"
    if credit_check_char(value[:17]) != value[17]:
        return "credit_code_checksum"
    return None


def bank_card_problem(value: str) -> str | None:
    """Why ``value`` is not a bank card number (12 to 19 digits, kept as text), or None."""
    value = value.strip()
    if _SCIENTIFIC.match(value):
        return "card_lost_digits"
    if not _CARD_SHAPE.match(value):
        return "card_format"
    return None
