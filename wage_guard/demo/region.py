"""The bureau's register of a synthetic region: owners, general contractors and projects.

Every project's life falls inside the data window (its start is at most ``months`` months
before the scan date), so that a scan sees every month it was active in. A project that
carries a planted problem gets the lifecycle its family needs (in progress and long enough
for the months the problem is planted in, or completed for ``completion_with_arrears``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wage_guard.demo.identities import Registry, account_numbers, credit_codes, person_names
from wage_guard.demo.timeline import Timeline, day_in, month_length
from wage_guard.demo.vocabulary import (
    ACCOUNT_BANKS,
    CONTRACTOR_FORMS,
    DISTRICTS,
    OWNER_FORMS,
    PROJECT_KINDS,
    SUBCONTRACTOR_FORMS,
    WORDS,
)


@dataclass(frozen=True)
class Family:
    """A planted problem family: the rule it trips and the lifecycle it needs.

    ``history``: the project started at least this many months before the scan date's
    month; ``monthly``: the alert's subject is a wage month (else the project).
    """

    rule: str
    monthly: bool
    history: int = 1
    status: str = "in_progress"


FAMILIES: tuple[Family, ...] = (
    Family("wage_account_missing", monthly=False, history=0),
    Family("guarantee_missing", monthly=False),
    Family("rights_board_missing", monthly=False),
    Family("labor_cost_not_allocated", monthly=True, history=4),
    Family("labor_cost_insufficient", monthly=False, history=5),
    Family("escrow_shortfall", monthly=False, history=3),
    Family("payroll_not_submitted", monthly=True, history=3),
    Family("wages_unpaid", monthly=True, history=3),
    Family("attendance_unpaid", monthly=True, history=3),
    Family("late_payment", monthly=True, history=4),
    Family("paid_outside_account", monthly=True, history=6),
    Family("payout_mismatch", monthly=False, history=4),
    Family("below_minimum_wage", monthly=True, history=3),
    Family("abnormal_high_pay", monthly=True, history=3),
    Family("unregistered_payee", monthly=True, history=3),
    Family("shared_bank_card", monthly=True, history=3),
    Family("multi_project_worker", monthly=True, history=4),
    Family("consecutive_arrears", monthly=True, history=4),
    Family("completion_with_arrears", monthly=False, history=5, status="completed"),
    Family("attendance_missing", monthly=True, history=4),
)
FAMILY = {f.rule: f for f in FAMILIES}
# Families whose wages stay partly unpaid: their planned end is kept well after the scan
# date, so that completion_with_arrears does not fire for a project still far from its end.
OWING = frozenset({"escrow_shortfall", "wages_unpaid", "consecutive_arrears"})
MULTI_PROJECT = "multi_project_worker"
GROUP_SIZE = 3  # projects a multi-project worker is planted on


@dataclass(frozen=True)
class Region:
    """The register (one row per project) and the names of labor subcontractors."""

    projects: pd.DataFrame
    subcontractors: np.ndarray


def _firm_names(
    rng: np.random.Generator, forms: tuple[str, ...], count: int, districts: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` distinct firm names from the forms, and the form each came from."""
    draws = max(4 * count, 64)
    form = rng.integers(0, len(forms), draws)
    word = rng.integers(0, len(WORDS), draws)
    word2 = (word + rng.integers(1, len(WORDS), draws)) % len(WORDS)
    district = rng.integers(0, len(districts), draws)
    names = np.array(
        [
            forms[f].format(word=WORDS[w], word2=WORDS[v], district=districts[d])
            for f, w, v, d in zip(form, word, word2, district, strict=True)
        ]
    )
    _, first = np.unique(names, return_index=True)
    chosen = np.sort(first)[:count]
    return names[chosen], form[chosen]


def _assign_families(rng: np.random.Generator, count: int, share: float) -> list[str]:
    """Each project's planted family ("" for a clean one); every family at least once."""
    wanted = max(round(share * count), len(FAMILIES) + GROUP_SIZE - 1)
    slots: list[str] = []
    while len(slots) < wanted:
        for family in FAMILIES:
            slots.extend([family.rule] * (GROUP_SIZE if family.rule == MULTI_PROJECT else 1))
            if len(slots) >= wanted:
                break
    families = [""] * count
    for position, rule in zip(rng.permutation(count), slots, strict=False):
        families[position] = rule
    return families


def build_region(
    rng: np.random.Generator,
    *,
    districts: tuple[str, ...],
    count: int,
    workforce: float,
    planted_share: float,
    timeline: Timeline,
    registry: Registry,
) -> Region:
    """Owners, contractors and ``count`` projects with their accounts and guarantees."""
    today = timeline.as_of_day
    family = np.array(_assign_families(rng, count, planted_share), dtype=object)
    planted = family != ""

    weights = np.array([DISTRICTS[d].weight for d in districts], float)
    district_no = rng.choice(len(districts), count, p=weights / weights.sum())
    # The projects of one multi-project worker lie in one district, as its groups do.
    group = np.full(count, -1)
    members = np.flatnonzero(family == MULTI_PROJECT)
    group[members] = np.arange(len(members)) // GROUP_SIZE
    leaders = members[::GROUP_SIZE]
    district_no[members] = district_no[leaders][group[members]]
    district = np.array(districts, dtype=object)[district_no]
    area = np.array([DISTRICTS[d].code for d in district], dtype=object)

    # Status and lifecycle: the month of the start, the end month when it ended.
    status = rng.choice(
        ["in_progress", "completed", "suspended", "preparing"], count, p=[0.74, 0.12, 0.05, 0.09]
    ).astype(object)
    history = np.ones(count, np.int64)
    for position in np.flatnonzero(planted):
        status[position] = FAMILY[family[position]].status
        history[position] = FAMILY[family[position]].history
    first_window = timeline.first
    latest_start = np.where(
        status == "in_progress",
        timeline.current - history,
        np.where(status == "completed", timeline.current - 5, timeline.current - 4),
    )
    latest_start = np.maximum(latest_start, first_window)
    start_month = first_window + (rng.random(count) * (latest_start - first_window + 1)).astype(
        np.int64
    )
    start_day = rng.integers(1, 29, count)
    no_history = family == "wage_account_missing"
    start_month[no_history] = timeline.current
    start_day[no_history] = 1
    start = day_in(start_month, start_day)
    preparing = status == "preparing"
    start[preparing] = today + rng.integers(20, 200, int(preparing.sum()))

    ended = (status == "completed") | (status == "suspended")
    end_month = (
        start_month
        + 1
        + (rng.random(count) * (timeline.current - 2 - start_month)).astype(np.int64)
    )
    end_day = 1 + (rng.random(count) * month_length(end_month)).astype(np.int64)
    planned_end = start + rng.integers(365, 1100, count)
    overdue = (status == "in_progress") & ~planted & (rng.random(count) < 0.06)
    planned_end[overdue] = today - rng.integers(10, 90, int(overdue.sum()))
    owing = np.isin(family, list(OWING))
    planned_end[owing] = np.maximum(planned_end[owing], today + 150)
    planned_end[ended] = day_in(end_month[ended], end_day[ended])

    first = np.where(preparing | no_history, 0, start_month)
    last = np.where(ended, end_month, np.where(preparing | no_history, -1, timeline.last))

    # Signing, the wage account (opened within 30 days of signing, before the start).
    signed = start - rng.integers(15, 120, count)
    signed[preparing] = today - rng.integers(0, 40, int(preparing.sum()))
    signed[no_history] = today - rng.integers(40, 90, int(no_history.sum()))
    unsigned = preparing & (rng.random(count) < 0.5)
    signed[unsigned] = np.datetime64("NaT")
    opened = signed + rng.integers(3, 26, count)
    opened = np.minimum(np.minimum(opened, start - 1), today)
    has_account = ~no_history & ~(preparing & (unsigned | (rng.random(count) < 0.6)))
    opened[~has_account] = np.datetime64("NaT")
    bank_weights = np.array([6, 6, 5, 5, 3, 2, 2], float)[: len(ACCOUNT_BANKS)]
    bank = rng.choice(len(ACCOUNT_BANKS), count, p=bank_weights / bank_weights.sum())
    bank[~has_account] = -1
    account_no = np.full(count, None, dtype=object)
    account_no[has_account] = account_numbers(
        rng, [ACCOUNT_BANKS[b] for b in bank[has_account]], registry
    )

    # What is built, its contract amount and the crew it needs.
    kind_weights = np.array([k.weight for k in PROJECT_KINDS], float)
    kind = rng.choice(len(PROJECT_KINDS), count, p=kind_weights / kind_weights.sum())
    low = np.array([k.amount_low for k in PROJECT_KINDS])[kind]
    high = np.array([k.amount_high for k in PROJECT_KINDS])[kind]
    amount_yuan = np.exp(rng.uniform(np.log(low), np.log(high)))
    guarantee_family = family == "guarantee_missing"
    amount_yuan[guarantee_family] = np.maximum(amount_yuan[guarantee_family], 8e6)
    amount = np.round(amount_yuan * 100).astype(np.int64)
    size = np.clip(amount_yuan / 2.5e6, 6, None) ** 0.7 * rng.lognormal(0, 0.25, count)
    size = np.clip(size * workforce / size.mean(), 5, 600)
    size[planted] = np.maximum(size[planted], 20)

    # The wage guarantee: 1-3% of the contract, waived below 3,000,000 yuan.
    liable = amount >= 300_000_000
    rate = rng.choice([0.01, 0.015, 0.02, 0.025, 0.03], count)
    has_guarantee = (liable | (rng.random(count) < 0.3)) & ~(preparing & (rng.random(count) < 0.5))
    form = rng.choice(["bank_guarantee", "cash", "insurance"], count, p=[0.5, 0.3, 0.2])
    form = np.where(liable, form, "cash").astype(object)
    guarantee = np.ceil(amount * rate / 10_000).astype(np.int64) * 10_000
    valid_until = np.maximum(planned_end, today) + rng.integers(90, 365, count)
    valid_until[form == "cash"] = np.datetime64("NaT")
    variant = np.zeros(count, np.int64)
    variant[guarantee_family] = np.arange(int(guarantee_family.sum())) % 3
    none_given = guarantee_family & (variant == 0)
    expired = guarantee_family & (variant == 1)
    short = guarantee_family & (variant == 2)
    has_guarantee[guarantee_family] = True
    has_guarantee[none_given] = False
    form[expired] = "bank_guarantee"
    valid_until[expired] = today - rng.integers(15, 200, int(expired.sum()))
    guarantee[short] = (amount[short] // 200 // 100) * 100  # 0.5%, in whole yuan
    form[~has_guarantee] = None
    guarantee[~has_guarantee] = 0
    valid_until[~has_guarantee] = np.datetime64("NaT")

    rights_board = (family != "rights_board_missing").astype(object)
    rights_board[preparing] = None

    # Owners (建设单位) and general contractors (施工总承包单位); a contractor has several
    # projects, the larger ones many.
    district_names = list(districts)
    owner_names, owner_form = _firm_names(
        rng, tuple(f for f, _ in OWNER_FORMS), max(10, count // 2), district_names
    )
    owner_prefix = np.array([OWNER_FORMS[f][1] for f in owner_form])
    owner_area = rng.choice([DISTRICTS[d].code for d in districts], len(owner_names))
    owner_codes = credit_codes(rng, owner_prefix, owner_area, registry)
    owner_banks = [ACCOUNT_BANKS[b] for b in rng.integers(0, len(ACCOUNT_BANKS), len(owner_names))]
    owner_accounts = account_numbers(rng, owner_banks, registry)
    owner = rng.integers(0, len(owner_names), count)

    contractor_names, _ = _firm_names(rng, CONTRACTOR_FORMS, max(8, count // 4), district_names)
    contractor_area = rng.choice([d.code for d in DISTRICTS.values()], len(contractor_names))
    contractor_codes = credit_codes(
        rng, np.full(len(contractor_names), "91"), contractor_area, registry
    )
    ranks = 1 / np.arange(1, len(contractor_names) + 1) ** 0.8
    contractor = rng.choice(len(contractor_names), count, p=ranks / ranks.sum())

    subcontractors, _ = _firm_names(rng, SUBCONTRACTOR_FORMS, max(12, count // 2), district_names)

    officer = person_names(rng, rng.random(count) < 0.7)
    officer[preparing & (rng.random(count) < 0.5)] = None
    name = _project_names(rng, kind, district)
    registered = signed.copy()
    registered[np.isnat(signed)] = today
    year = registered.astype("datetime64[Y]").astype(int) + 1970
    sequence = pd.Series(area).groupby(area).cumcount().to_numpy() + 1
    code = [f"{a}-{y}-{s:04d}" for a, y, s in zip(area, year, sequence, strict=True)]

    projects = pd.DataFrame(
        {
            "code": code,
            "name": name,
            "district": district,
            "area": area,
            "owner_name": owner_names[owner],
            "owner_code": owner_codes[owner],
            "owner_account": owner_accounts[owner],
            "contractor": contractor,
            "contractor_name": contractor_names[contractor],
            "contractor_code": contractor_codes[contractor],
            "signed": signed,
            "amount": amount,
            "start": start,
            "planned_end": planned_end,
            "status": status,
            "pay_day": rng.choice([10, 15, 20, 25], count, p=[0.2, 0.5, 0.15, 0.15]),
            "bank": bank,
            "account_no": account_no,
            "opened": opened,
            "guarantee_form": form,
            "guarantee": guarantee,
            "guarantee_until": valid_until,
            "rights_board": rights_board,
            "labor_officer": officer,
            "family": family,
            "group": group,
            "size": size,
            "first": first,
            "last": last,
            "ended": ended,
            "end_day": np.where(ended, end_day, 0),
        }
    )
    return Region(projects=projects, subcontractors=subcontractors)


def _project_names(rng: np.random.Generator, kind: np.ndarray, district: np.ndarray) -> list[str]:
    """Names such as 南开区华苑瑞景花园2期住宅项目, from each project's kind and district."""
    names = []
    for k, d in zip(kind, district, strict=True):
        patterns = PROJECT_KINDS[k].patterns
        places = DISTRICTS[d].places
        pattern = patterns[rng.integers(len(patterns))]
        place = places[rng.integers(len(places))]
        text = pattern.format(
            place=place, word=WORDS[rng.integers(len(WORDS))], n=rng.integers(1, 6)
        )
        names.append(f"{d}{text}")
    return names
