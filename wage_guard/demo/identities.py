"""Valid identity numbers made in bulk: resident IDs (GB 11643-1999), unified social credit
codes (GB 32100-2015) around organization codes (GB 11714), bank cards (Luhn), names.

Everything works on whole numpy arrays; a ``Registry`` keeps numbers unique across calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from wage_guard.demo.vocabulary import (
    BIRTH_REGIONS,
    CARD_BANKS,
    GIVEN_FEMALE,
    GIVEN_MALE,
    SURNAMES,
    Bank,
)
from wage_guard.identity import CREDIT_CHARS, CREDIT_WEIGHTS, ID_CHECK_CHARS, ID_WEIGHTS

# GB 11714 weights, and the value of each credit-code character in an organization code.
ORG_WEIGHTS = np.array((3, 7, 9, 10, 5, 8, 4, 2))
ORG_VALUES = np.array([int(c) if c.isdigit() else ord(c) - 55 for c in CREDIT_CHARS])
CREDIT_ALPHABET = np.array(list(CREDIT_CHARS))

# A draw of candidate numbers for some positions of the array being filled.
Draw = Callable[[np.ndarray], np.ndarray]


@dataclass
class Registry:
    """Numbers already handed out: IDs and cards as integers, codes and accounts as text."""

    ids: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    cards: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    texts: np.ndarray = field(default_factory=lambda: np.empty(0, "U40"))


def _unique(count: int, used: np.ndarray, draw: Draw) -> np.ndarray:
    """``count`` values from ``draw``, redrawn where they repeat each other or ``used``."""
    values = draw(np.arange(count))
    while True:
        _, first = np.unique(values, return_index=True)
        clash = np.ones(count, bool)
        clash[first] = False
        clash |= np.isin(values, used)
        if not clash.any():
            return values
        positions = np.flatnonzero(clash)
        values[positions] = draw(positions)


def digits(numbers: np.ndarray, width: int) -> np.ndarray:
    """The decimal digits of each number, most significant first, as an (n, width) array."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (numbers[:, None] // powers) % 10


def resident_ids(rng: np.random.Generator, male: np.ndarray, registry: Registry) -> np.ndarray:
    """One new resident ID per worker, born 1965-2004, odd sequence digit for men."""
    codes = np.array([int(code) for code, _ in BIRTH_REGIONS], np.int64)
    weights = np.array([weight for _, weight in BIRTH_REGIONS], float)

    def draw(positions: np.ndarray) -> np.ndarray:
        count = len(positions)
        region = rng.choice(codes, count, p=weights / weights.sum())
        # Workers on site are mostly in their thirties to fifties.
        year = np.clip(np.round(rng.normal(1979, 9, count)), 1965, 2004).astype(np.int64)
        first_day = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        birth = first_day + (rng.random(count) * np.where(leap, 366, 365)).astype(np.int64)
        month = birth.astype("datetime64[M]")
        ymd = (
            year * 10_000
            + (month.astype(np.int64) % 12 + 1) * 100
            + (birth - month.astype("datetime64[D]")).astype(np.int64)
            + 1
        )
        sequence = rng.integers(0, 100, count) * 10 + rng.integers(0, 5, count) * 2
        return region * 10**11 + ymd * 1000 + sequence + male[positions]

    bodies = _unique(len(male), registry.ids, draw)
    registry.ids = np.concatenate([registry.ids, bodies])
    check = (digits(bodies, 17) @ np.array(ID_WEIGHTS)) % 11
    return np.char.add(bodies.astype("U17"), np.array(list(ID_CHECK_CHARS))[check]).astype(object)


def luhn_digit(payload: np.ndarray) -> np.ndarray:
    """The Luhn check digit (ISO/IEC 7812) to append to each number."""
    reversed_digits = digits(payload, 18)[:, ::-1]
    doubled = reversed_digits[:, 0::2] * 2
    total = (doubled // 10 + doubled % 10).sum(axis=1) + reversed_digits[:, 1::2].sum(axis=1)
    return (10 - total % 10) % 10


def bank_cards(rng: np.random.Generator, banks: np.ndarray, registry: Registry) -> np.ndarray:
    """One new debit card per worker at the given banks (indices into ``CARD_BANKS``)."""
    first_bins = np.array([int(b.card_bins[0]) for b in CARD_BANKS], np.int64)
    last_bins = np.array([int(b.card_bins[-1]) for b in CARD_BANKS], np.int64)
    body_digits = np.array([b.card_digits - 7 for b in CARD_BANKS], np.int64)

    def draw(positions: np.ndarray) -> np.ndarray:
        bank = banks[positions]
        bins = np.where(rng.random(len(bank)) < 0.5, first_bins[bank], last_bins[bank])
        scale = 10 ** body_digits[bank]
        payload = bins * scale + (rng.random(len(bank)) * scale).astype(np.int64)
        return payload * 10 + luhn_digit(payload)

    cards = _unique(len(banks), registry.cards, draw)
    registry.cards = np.concatenate([registry.cards, cards])
    return cards.astype("U19").astype(object)


def person_names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    """Chinese names: a surname by rough frequency and one or two given characters by sex."""
    count = len(male)
    ranks = 1 / np.arange(1, len(SURNAMES) + 1)
    surname = rng.choice(np.array(SURNAMES), count, p=ranks / ranks.sum())
    men, women = np.array(GIVEN_MALE), np.array(GIVEN_FEMALE)
    first = np.where(male, rng.choice(men, count), rng.choice(women, count))
    second = np.where(male, rng.choice(men, count), rng.choice(women, count))
    given = np.where(rng.random(count) < 0.65, np.char.add(first, second), first)
    return np.char.add(surname, given).astype(object)


def _texts(chars: np.ndarray) -> np.ndarray:
    """Each row of an (n, width) array of single characters as one string."""
    width = chars.shape[1]
    return np.ascontiguousarray(chars.astype("U1")).view(f"U{width}").ravel()


def credit_codes(
    rng: np.random.Generator, prefixes: np.ndarray, areas: np.ndarray, registry: Registry
) -> np.ndarray:
    """Unified social credit codes: the registration prefix (``91`` a firm, ``12`` a public
    institution), the six-digit area code, a GB 11714 organization code, the check char."""
    index = {c: i for i, c in enumerate(CREDIT_CHARS)}
    head = np.array([[index[c] for c in p + a] for p, a in zip(prefixes, areas, strict=True)])

    def draw(positions: np.ndarray) -> np.ndarray:
        count = len(positions)
        # Organization code body: newer firms "MA" and 6 characters, older ones 8 digits.
        body = rng.integers(0, 10, (count, 8))
        newer = rng.random(count) < 0.5
        body[newer, 2:] = rng.integers(0, len(CREDIT_CHARS), (int(newer.sum()), 6))
        body[newer, 0], body[newer, 1] = index["M"], index["A"]
        org_check = 11 - (ORG_VALUES[body] @ ORG_WEIGHTS) % 11
        org_check = np.where(org_check == 10, index["X"], org_check % 11)
        values = np.hstack([head[positions], body, org_check[:, None]])
        check = (31 - (values @ np.array(CREDIT_WEIGHTS)) % 31) % 31
        return _texts(CREDIT_ALPHABET[np.hstack([values, check[:, None]])])

    codes = _unique(len(prefixes), registry.texts, draw)
    registry.texts = np.concatenate([registry.texts, codes])
    return codes.astype(object)


def account_numbers(rng: np.random.Generator, banks: list[Bank], registry: Registry) -> np.ndarray:
    """Wage account numbers in each bank's shape: its prefix, then digits to its length."""
    prefixes = np.array([b.account_prefix for b in banks])
    widths = np.array([b.account_digits - len(b.account_prefix) for b in banks], np.int64)

    def draw(positions: np.ndarray) -> np.ndarray:
        width = widths[positions]
        tails = (rng.random(len(positions)) * 10.0**width).astype(np.int64)
        padded = np.char.zfill(tails.astype("U20"), 20)
        cut = np.array([text[20 - w :] for text, w in zip(padded, width, strict=True)])
        return np.char.add(prefixes[positions], cut).astype("U40")

    numbers = _unique(len(banks), registry.texts, draw)
    registry.texts = np.concatenate([registry.texts, numbers])
    return numbers.astype(object)
