"""Masking of personal data: ID numbers and bank cards never leave wage_guard in full.

``120101199001011234`` becomes ``120101********1234``; ``6222021234567890123`` becomes
``6222********0123``. Only the reveal action (with its own permission and an access-log
row) shows a full value.
"""

from __future__ import annotations

import re
import traceback

import pandas as pd

_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_id_number(value: str | None) -> str | None:
    """The first 6 and last 4 characters of an ID with 8 stars between; short values: all stars
    but the last 2."""
    if value is None:
        return None
    value = str(value).strip()
    if len(value) >= 14:
        return f"{value[:6]}********{value[-4:]}"
    if len(value) <= 2:
        return "*" * len(value)
    return "*" * (len(value) - 2) + value[-2:]


def mask_bank_card(value: str | None) -> str | None:
    """The first 4 and last 4 digits of a card with 8 stars between."""
    if value is None:
        return None
    value = str(value).strip()
    if len(value) >= 12:
        return f"{value[:4]}********{value[-4:]}"
    if len(value) <= 2:
        return "*" * len(value)
    return "*" * (len(value) - 2) + value[-2:]


def mask_ids_series(values: pd.Series) -> pd.Series:
    """``mask_id_number`` over a column of ID numbers."""
    text = values.astype("string")
    return (text.str.slice(0, 6) + "********" + text.str.slice(-4)).where(
        text.str.len() >= 14, text.map(mask_id_number, na_action="ignore")
    )


def mask_ids_in_text(text: str) -> str:
    """Every 18-character resident ID inside free text, masked."""
    return _ID_IN_TEXT.sub(lambda m: f"{m.group(1)}********{m.group(2)[-4:]}", text)


def describe_error(exc: BaseException) -> str:
    """An exception's type and message on one line, with any ID number in it masked."""
    return mask_ids_in_text("".join(traceback.format_exception_only(exc)).strip())
