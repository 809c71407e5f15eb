"""The planted problems: where each planted project's problem goes and how its data is bent.

``choose_months`` picks the wage month of each planted project's problem; ``add_stints``
adds the workers a family needs (payees missing from the roster, a worker on three
projects); ``share_worker_days`` keeps such a worker's days within the month;
``plant_lines`` changes roster and payroll rows. The wage account's side (deposits and
payouts) is in ``statements``. The module docstring of ``generate`` says how each family
is planted and why it meets its rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wage_guard.demo.region import FAMILY, MULTI_PROJECT
from wage_guard.demo.timeline import Timeline, month_length, month_text, pay_deadline
from wage_guard.demo.workforce import day_window

# Families planted in the last due month; in any due month; in a month of a given range.
IN_LAST_DUE = (
    "payroll_not_submitted", "wages_unpaid", "attendance_unpaid", "escrow_shortfall",
    "consecutive_arrears", "completion_with_arrears",
)  # fmt: skip
IN_ANY_DUE = (
    "paid_outside_account", "below_minimum_wage", "abnormal_high_pay", "unregistered_payee",
    "shared_bank_card",
)  # fmt: skip
GHOSTS = 2  # payees missing from the roster, per project
# Fen a day: below 2,320 / 21.75 = 106.67 yuan, and 31 days of it below 2,320 yuan.
BELOW_MINIMUM_DAILY = 6_000


def ranks(keys: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Each row's rank (0-based) among the rows of the same key, by ascending score."""
    rank = np.empty(len(keys), np.int64)
    if not len(keys):
        return rank
    order = np.lexsort((score, keys))
    ordered = keys[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    index = np.arange(len(keys))
    first = np.maximum.accumulate(np.where(starts, index, 0))
    rank[order] = index - first
    return rank


def latest_due(projects: pd.DataFrame, timeline: Timeline) -> np.ndarray:
    """Each project's last due month (its last month of data, or the one before it when
    that month's pay deadline has not passed yet)."""
    last = projects["last"].to_numpy()
    deadline = pay_deadline(last, projects["pay_day"].to_numpy())
    return last - (deadline >= timeline.as_of_day)


def _uniform(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return low + (rng.random(len(low)) * (high - low + 1)).astype(np.int64)


def choose_months(
    rng: np.random.Generator, projects: pd.DataFrame, timeline: Timeline
) -> np.ndarray:
    """The wage month of each planted project's problem (-1 for a project-level one).

    Months are chosen so that the problem is visible as of the scan date: a month still
    owed is the last due one; a late allocation or payment lies before the month that
    ends before the scan date; a missing roster lies in a closed month.
    """
    count = len(projects)
    family = projects["family"].to_numpy()
    first = projects["first"].to_numpy()
    last = projects["last"].to_numpy()
    due = latest_due(projects, timeline)
    current = np.full(count, timeline.current)
    ranges: dict[str, tuple[np.ndarray, np.ndarray]] = {
        # The deposit moves to the next month, which must be closed too.
        "labor_cost_not_allocated": (first, np.minimum(current - 3, last - 1)),
        # Paid up to 20 days after the deadline, and still before the scan date.
        "late_payment": (first, current - 3),
        "attendance_missing": (first + 1, current - 2),
        **{rule: (due, due) for rule in IN_LAST_DUE},
        **{rule: (first, due) for rule in IN_ANY_DUE},
    }
    months = np.full(count, -1, np.int64)
    for rule, (low, high) in ranges.items():
        chosen = family == rule
        months[chosen] = _uniform(rng, low[chosen], high[chosen])
    # The three projects of a multi-project worker share a month due on all of them.
    members = np.flatnonzero(family == MULTI_PROJECT)
    if len(members):
        frame = pd.DataFrame({"group": projects["group"].to_numpy()[members]})
        low = pd.Series(first[members]).groupby(frame["group"]).transform("max").to_numpy()
        high = pd.Series(due[members]).groupby(frame["group"]).transform("min").to_numpy()
        draw = rng.random(len(members))
        shared = pd.Series(draw).groupby(frame["group"]).transform("first").to_numpy()
        months[members] = low + (shared * (high - low + 1)).astype(np.int64)
    return months


def add_stints(
    rng: np.random.Generator, projects: pd.DataFrame, stints: pd.DataFrame
) -> pd.DataFrame:
    """The stints planted families add: payees missing from the roster (new workers like a
    project's own, paid for the month but never on its roster), and one core worker of a
    project who also works a few days on two other projects in the same month."""
    family = projects["family"].to_numpy()
    months = projects["month"].to_numpy()
    project = stints["project"].to_numpy()
    month = months[project]
    present = (stints["entry_month"].to_numpy() <= month) & (
        month <= stints["exit_month"].to_numpy()
    )

    # Unregistered payees: copies of the project's own stints, with new workers.
    candidates = present & (family[project] == "unregistered_payee")
    picked = candidates & (
        ranks(np.where(candidates, project, -1), rng.random(len(project))) < GHOSTS
    )
    ghosts = stints[picked].copy()
    ghost_month = months[ghosts["project"].to_numpy()]
    ghost_low, _ = day_window(projects, ghosts["project"].to_numpy(), ghost_month)
    next_worker = int(stints["worker"].max()) + 1
    ghosts = ghosts.assign(
        worker=np.arange(next_worker, next_worker + len(ghosts)),
        core=False,
        on_roster=False,
        entry_month=ghost_month,
        entry_day=ghost_low,
        exit_month=ghost_month,
        exit_day=0,
    )

    # A multi-project worker: a core worker of the group's first project, as a guest on
    # the other two for a few days, employed there by one of their subcontractors.
    members = np.flatnonzero(family == MULTI_PROJECT)
    groups = projects["group"].to_numpy()[members]
    home = pd.Series(members).groupby(groups).transform("min").to_numpy()
    guests_of = members[members != home]
    home_of = home[members != home]
    home_core = stints["core"].to_numpy() & np.isin(project, home)
    leader = home_core & (ranks(np.where(home_core, project, -1), rng.random(len(project))) == 0)
    worker_stint = pd.Series(np.flatnonzero(leader), index=project[leader])
    guests = stints.loc[worker_stint.loc[home_of].to_numpy()].copy()
    guest_month = months[guests_of]
    low, high = day_window(projects, guests_of, guest_month)
    entry_day = _uniform(rng, low, np.maximum(low, high - 6))
    host_stint = stints.groupby("project").head(1).set_index("project")
    guests = guests.assign(
        project=guests_of,
        employer=host_stint.loc[guests_of, "employer"].to_numpy(),
        core=False,
        entry_month=guest_month,
        entry_day=entry_day,
        exit_month=guest_month,
        exit_day=np.minimum(high, entry_day + rng.integers(2, 6, len(guests_of))),
    )
    return pd.concat([stints, ghosts, guests], ignore_index=True)


def share_worker_days(
    projects: pd.DataFrame, stints: pd.DataFrame, attendance: pd.DataFrame
) -> pd.DataFrame:
    """A multi-project worker's days on their own project, cut so that the month's days on
    all three projects fit in the month."""
    family = projects["family"].to_numpy()
    rows = attendance[family[attendance["project"].to_numpy()] == MULTI_PROJECT]
    rows = rows[rows.duplicated(["worker", "month"], keep=False)]
    core = stints["core"].to_numpy()[rows["stint"].to_numpy()]
    guest_days = rows[~core].groupby(["worker", "month"])["days"].sum()
    home = rows[core]
    guest = guest_days.reindex(pd.MultiIndex.from_frame(home[["worker", "month"]])).to_numpy()
    limit = month_length(home["month"].to_numpy()) - guest
    attendance = attendance.copy()
    attendance.loc[home.index, "days"] = np.clip(np.minimum(home["days"], limit), 1, None)
    return attendance


def plant_lines(
    rng: np.random.Generator,
    projects: pd.DataFrame,
    stints: pd.DataFrame,
    roster: pd.DataFrame,
    payroll: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Roster and payroll rows bent for each family planted in them."""
    family = projects["family"].to_numpy()
    months = projects["month"].to_numpy()

    def at(frame: pd.DataFrame, rule: str) -> np.ndarray:
        project = frame["project"].to_numpy()
        return (family[project] == rule) & (frame["month"].to_numpy() == months[project])

    def some(frame: pd.DataFrame, chosen: np.ndarray, share: float, at_least: int) -> np.ndarray:
        """A random ``share`` (at least ``at_least``) of the chosen rows of each project."""
        keys = np.where(chosen, frame["project"].to_numpy(), -1)
        size = pd.Series(chosen).groupby(keys).transform("sum").to_numpy()
        wanted = np.maximum(at_least, np.round(share * size))
        return chosen & (ranks(keys, rng.random(len(frame))) < wanted)

    def partly(amount: pd.Series, low: float, high: float) -> np.ndarray:
        """Part of each amount, in whole 10 yuan."""
        share = rng.uniform(low, high, len(amount))
        return (np.floor(amount.to_numpy() * share / 1_000) * 1_000).astype(np.int64)

    lines = payroll.copy()
    # Drops: a month without roster or payroll, a month without payroll, unpaid attendees.
    missing = at(roster, "attendance_missing")
    roster = roster[~missing]
    drop = at(lines, "attendance_missing") | at(lines, "payroll_not_submitted")
    drop |= some(lines, at(lines, "attendance_unpaid"), 0.06, 1)
    lines = lines[~drop].reset_index(drop=True)

    # Arrears: some workers part paid; a team owed two months running; the last month of
    # an underfunded or completed project part paid for everyone.
    owed = some(lines, at(lines, "wages_unpaid"), 0.25, 1)
    lines.loc[owed, "paid"] = partly(lines.loc[owed, "payable"], 0.4, 0.8)
    project = lines["project"].to_numpy()
    core = stints["core"].to_numpy()[lines["stint"].to_numpy()]
    running = (family[project] == "consecutive_arrears") & core
    running &= (lines["month"].to_numpy() >= months[project] - 1) & (
        lines["month"].to_numpy() <= months[project]
    )
    team = running & (ranks(np.where(running, project, -1), lines["stint"].to_numpy()) < 6)
    lines.loc[team, "paid"] = partly(lines.loc[team, "payable"], 0.6, 0.8)
    for rule, share in (("escrow_shortfall", 0.5), ("completion_with_arrears", 0.7)):
        chosen = at(lines, rule)
        lines.loc[chosen, "paid"] = partly(lines.loc[chosen, "payable"], share, share)

    # Paid, but late, in cash, below the minimum, far too much, or onto someone else's card.
    late = at(lines, "late_payment")
    delay = rng.integers(3, 21, len(projects))[project[late]]
    pay_day = projects["pay_day"].to_numpy()[project[late]]
    lines.loc[late, "paid_on"] = pay_deadline(months[project[late]], pay_day) + delay
    cash = at(lines, "paid_outside_account")
    cash &= ranks(np.where(cash, project, -1), lines["payable"].to_numpy()) < 2
    lines.loc[cash, "paid_via"] = "cash"
    low = some(lines, at(lines, "below_minimum_wage"), 0, 2)
    lines.loc[low, ["payable", "paid"]] = np.repeat(
        (lines.loc[low, "days"].to_numpy() * BELOW_MINIMUM_DAILY)[:, None], 2, axis=1
    )
    high = some(lines, at(lines, "abnormal_high_pay"), 0, 1)
    lines.loc[high, ["payable", "paid"]] = np.repeat(
        (rng.integers(5_200, 6_800, int(high.sum())) * 1_000)[:, None], 2, axis=1
    )
    sharing = at(lines, "shared_bank_card")
    order = ranks(np.where(sharing, project, -1), rng.random(len(lines)))
    holders = lines.loc[sharing & (order == 0), ["project", "worker"]].set_index("project")
    handed_over = sharing & (order >= 1) & (order <= 2)
    lines.loc[handed_over, "card_of"] = holders.loc[project[handed_over], "worker"].to_numpy()
    return roster, lines


def planted(projects: pd.DataFrame) -> list[dict[str, str | None]]:
    """The manifest's entries: rule, project code and, for a monthly rule, the month."""
    chosen = np.flatnonzero(projects["family"].to_numpy() != "")
    texts = month_text(np.maximum(projects["month"].to_numpy()[chosen], 0))
    return [
        {
            "rule": rule,
            "project_code": code,
            "month": str(text) if FAMILY[rule].monthly else None,
        }
        for rule, code, text in zip(
            projects["family"].to_numpy()[chosen],
            projects["code"].to_numpy()[chosen],
            texts,
            strict=True,
        )
    ]
