"""Who works where and for what: stints of workers on projects, the monthly roster
(实名制考勤) and the payroll (工资支付表), all built as whole arrays.

A *stint* is one worker's time on one project, from the month they enter to the month they
leave (or the last month of data). Each project keeps a core crew for its whole life, so
that every month it is active has attendance; the other workers come and go. A stint's
roster rows expand it over its months; its payroll lines are the rows of due months, paid
in full through the wage account a few days before the pay deadline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wage_guard.demo.identities import Registry, bank_cards, person_names, resident_ids
from wage_guard.demo.timeline import Timeline, day_in, month_length, month_of, pay_deadline
from wage_guard.demo.vocabulary import ACCOUNT_BANKS, CARD_BANKS, TRADES

MEAN_TENURE = 4  # months a worker who is not in the core crew stays, on average
# Attendance by calendar month: the Spring Festival empties sites, National Day a little.
SEASON = np.array([0.85, 0.55, 1, 1, 1, 1, 1, 1, 1, 0.9, 1, 1])
TRADE_WEIGHTS = np.array([t.weight for t in TRADES], float)
TEAMS = np.array([t.team for t in TRADES], dtype=object)
TRADE_NAMES = np.array([t.name for t in TRADES], dtype=object)


def positions(counts: np.ndarray) -> np.ndarray:
    """For ``np.repeat(x, counts)``: each element's position within its repeat (0, 1, ...)."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total) - starts


def day_window(
    projects: pd.DataFrame, project: np.ndarray, month: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The first and last day of each month a project was on site: from its start date in
    its first month, up to its end date in the last month of one that ended."""
    start = projects["start"].to_numpy().astype("datetime64[D]")[project]
    start_month = month_of(start)
    start_day = (start - day_in(start_month, 1)).astype(np.int64) + 1
    low = np.where(month == start_month, start_day, 1)
    ends_here = projects["ended"].to_numpy()[project] & (
        month == projects["last"].to_numpy()[project]
    )
    high = np.where(ends_here, projects["end_day"].to_numpy()[project], month_length(month))
    return low, high


def _between(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """A uniform integer in ``[low, high]`` for each pair."""
    return low + (rng.random(len(low)) * (high - low + 1)).astype(np.int64)


def build_stints(
    rng: np.random.Generator, projects: pd.DataFrame, subcontractors: np.ndarray
) -> pd.DataFrame:
    """The stints of every project: a core crew for its whole life and workers who come and
    go. Columns: project, worker, trade, rate (fen a day), employer, team, core, on_roster,
    entry_month, entry_day, exit_month, exit_day (0 while still on site)."""
    first = projects["first"].to_numpy()
    last = projects["last"].to_numpy()
    size = projects["size"].to_numpy()
    months = np.maximum(last - first + 1, 0)
    core_count = np.where(months > 0, np.maximum(3, np.round(0.2 * size)), 0).astype(np.int64)
    others = np.where(months > 0, np.round(0.8 * size * months / MEAN_TENURE), 0).astype(np.int64)
    counts = core_count + others
    project = np.repeat(np.arange(len(projects)), counts)
    core = positions(counts) < core_count[project]
    total = len(project)

    entry = first[project] + (rng.random(total) * months[project]).astype(np.int64)
    entry[core] = first[project][core]
    tenure = rng.geometric(1 / MEAN_TENURE, total)
    leaves = ~core & (entry + tenure - 1 < last[project])
    exit_month = np.where(leaves, entry + tenure - 1, last[project])

    low, high = day_window(projects, project, entry)
    entry_day = np.where(core, low, _between(rng, low, high))
    exit_low, exit_high = day_window(projects, project, exit_month)
    exit_low = np.where(exit_month == entry, entry_day, exit_low)
    ended = projects["ended"].to_numpy()[project]
    exit_day = np.where(leaves, _between(rng, exit_low, exit_high), np.where(ended, exit_high, 0))

    trade = rng.choice(len(TRADES), total, p=TRADE_WEIGHTS / TRADE_WEIGHTS.sum())
    daily_low = np.array([t.daily_low for t in TRADES])[trade]
    daily_high = np.array([t.daily_high for t in TRADES])[trade]
    rate = np.round(rng.uniform(daily_low, daily_high) / 5).astype(np.int64) * 500

    # Each project has one to four labor subcontractors; a trade works for one of them.
    teams_of = np.clip(1 + size // 40, 1, 4).astype(np.int64)
    employers = rng.integers(0, len(subcontractors), (len(projects), 4))
    employer = subcontractors[employers[project, trade % teams_of[project]]]

    return pd.DataFrame(
        {
            "project": project,
            "worker": np.arange(total),
            "trade": trade,
            "rate": rate,
            "employer": employer,
            "team": TEAMS[trade],
            "core": core,
            "on_roster": True,
            "entry_month": entry,
            "entry_day": entry_day,
            "exit_month": exit_month,
            "exit_day": exit_day,
        }
    )


def hire(
    rng: np.random.Generator, stints: pd.DataFrame, projects: pd.DataFrame, registry: Registry
) -> pd.DataFrame:
    """An identity for every worker of the stints: ID number, name and their own bank card,
    most often at the bank of their first project's wage account. Index: worker number."""
    first_stints = stints.drop_duplicates("worker").sort_values("worker")
    count = len(first_stints)
    male = rng.random(count) < 0.92
    card_bank_of = np.array(
        [next((i for i, c in enumerate(CARD_BANKS) if c.code == a.code), -1) for a in ACCOUNT_BANKS]
    )
    account_bank = projects["bank"].to_numpy()[first_stints["project"].to_numpy()]
    preferred = np.where(account_bank >= 0, card_bank_of[account_bank], -1)
    bank = np.where(
        (preferred >= 0) & (rng.random(count) < 0.7),
        preferred,
        rng.integers(0, len(CARD_BANKS), count),
    )
    return pd.DataFrame(
        {
            "id_number": resident_ids(rng, male, registry),
            "name": person_names(rng, male),
            "card": bank_cards(rng, bank, registry),
        },
        index=first_stints["worker"].to_numpy(),
    )


def attend(rng: np.random.Generator, stints: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    """One row per stint and month with the days present: most of the days the worker was
    on site, fewer around the Spring Festival, at least one.

    Columns: stint, project, worker, month, days, on_roster.
    """
    span = (stints["exit_month"] - stints["entry_month"] + 1).to_numpy()
    stint = np.repeat(np.arange(len(stints)), span)
    month = stints["entry_month"].to_numpy()[stint] + positions(span)
    project = stints["project"].to_numpy()[stint]
    low, high = day_window(projects, project, month)
    entered = month == stints["entry_month"].to_numpy()[stint]
    exit_day = stints["exit_day"].to_numpy()[stint]
    leaving = (month == stints["exit_month"].to_numpy()[stint]) & (exit_day > 0)
    present_from = np.where(entered, stints["entry_day"].to_numpy()[stint], low)
    present_to = np.where(leaving, exit_day, high)
    available = present_to - present_from + 1
    share = rng.uniform(0.78, 0.97, len(stint)) * SEASON[month % 12]
    days = np.clip(np.round(available * share), 1, available).astype(np.int64)
    return pd.DataFrame(
        {
            "stint": stint,
            "project": project,
            "worker": stints["worker"].to_numpy()[stint],
            "month": month,
            "days": days,
            "on_roster": stints["on_roster"].to_numpy()[stint],
        }
    )


def pay(
    rng: np.random.Generator,
    attendance: pd.DataFrame,
    stints: pd.DataFrame,
    projects: pd.DataFrame,
    timeline: Timeline,
) -> pd.DataFrame:
    """The payroll lines of every due month: days worked times the daily rate, paid in full
    to the worker's own card through the wage account, on one day per project and month
    up to four days before the pay deadline.

    Columns: stint, project, worker, month, days, payable, paid (fen), paid_on, card_of
    (the worker whose card is paid), paid_via.
    """
    project = attendance["project"].to_numpy()
    month = attendance["month"].to_numpy()
    deadline = pay_deadline(month, projects["pay_day"].to_numpy()[project])
    due = deadline < timeline.as_of_day
    early = rng.integers(0, 5, (len(projects), timeline.months))
    lines = attendance[due].drop(columns="on_roster").reset_index(drop=True)
    payable = lines["days"].to_numpy() * stints["rate"].to_numpy()[lines["stint"].to_numpy()]
    lines["payable"] = payable
    lines["paid"] = payable
    lines["paid_on"] = deadline[due] - early[project[due], month[due] - timeline.first]
    lines["card_of"] = lines["worker"]
    lines["paid_via"] = "account"
    return lines
