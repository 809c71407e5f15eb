"""The wage accounts' statements (专户流水): the owner's monthly labor-cost deposits and the
payroll's payouts, with transaction ids and running balances.

Each month the owner deposits the month's labor cost (what the roster earned, or the
payroll's payable when more, plus 3-10%, rounded up to 1,000 yuan) between the 18th and
the 28th; the month's wages leave in the next month, one batch per pay date. A deposit
always precedes the payouts it funds, so the balance never falls below the wages left
unpaid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wage_guard.demo.timeline import day_in, month_length

KIND_ORDER = {"labor_cost": 0, "other_in": 1, "wage_payout": 2, "other_out": 3}
SIGN = {"labor_cost": 1, "other_in": 1, "wage_payout": -1, "other_out": -1}
OWNER_SHARE = 0.45  # of the labor cost an underfunding owner deposits
DRAIN_LEFT = 0.3  # of the unpaid wages left in a drained account


def statements(
    rng: np.random.Generator,
    projects: pd.DataFrame,
    earned: pd.DataFrame,
    payroll: pd.DataFrame,
    first_serial: int,
) -> pd.DataFrame:
    """Every transaction of the unit's wage accounts, in date order with running balances.

    ``earned``: one row per project and month with data (project, month, earned in fen).
    Columns: project, txn_id, txn_date, kind, amount (fen), counterparty,
    counterparty_account, balance (fen).
    """
    family = projects["family"].to_numpy()
    has_account = projects["account_no"].notna().to_numpy()

    # Deposits: one per project and month, what the month earned or its payroll's payable.
    payable = payroll.groupby(["project", "month"])["payable"].sum()
    base = earned.set_index(["project", "month"])["earned"]
    base = np.maximum(base, payable.reindex(base.index).fillna(0)).reset_index(name="base")
    base = base[has_account[base["project"].to_numpy()]]
    project = base["project"].to_numpy()
    month = base["month"].to_numpy()
    day = np.minimum(rng.integers(18, 29, len(base)), month_length(month))
    opened = projects["opened"].to_numpy().astype("datetime64[D]")[project]
    date = np.maximum(day_in(month, day), opened + 1)
    # labor_cost_not_allocated: the month's deposit arrives in the first days of the next.
    late = (family[project] == "labor_cost_not_allocated") & (
        month == projects["month"].to_numpy()[project]
    )
    date[late] = day_in(month[late] + 1, rng.integers(1, 5, int(late.sum())))
    margin = rng.uniform(1.03, 1.10, len(base))
    amount = (np.ceil(base["base"].to_numpy() * margin / 100_000) * 100_000).astype(np.int64)
    deposits = pd.DataFrame(
        {"project": project, "txn_date": date, "kind": "labor_cost", "amount": amount, "lines": 0}
    )
    # labor_cost_insufficient: the owner pays under half; the contractor advances the rest.
    short = family[project] == "labor_cost_insufficient"
    owner_part = (np.floor(amount[short] * OWNER_SHARE / 100_000) * 100_000).astype(np.int64)
    advances = deposits[short].assign(kind="other_in", amount=amount[short] - owner_part)
    deposits.loc[short, "amount"] = owner_part

    # Payouts: one batch per project, month and pay date, of what went through the account.
    through = payroll[(payroll["paid_via"] == "account") & (payroll["paid"] > 0)]
    through = through[has_account[through["project"].to_numpy()]]
    batches = (
        through.groupby(["project", "month", "paid_on"])
        .agg(amount=("paid", "sum"), lines=("paid", "size"))
        .reset_index()
    )
    # payout_mismatch: the statement lacks the payouts of the month the payroll paid most.
    hidden = family[batches["project"].to_numpy()] == "payout_mismatch"
    by_month = batches[hidden].groupby(["project", "month"])["amount"].sum().reset_index()
    largest = by_month.sort_values("amount").groupby("project").tail(1)
    dropped = pd.MultiIndex.from_frame(largest[["project", "month"]])
    batches = batches[~pd.MultiIndex.from_frame(batches[["project", "month"]]).isin(dropped)]
    payouts = pd.DataFrame(
        {
            "project": batches["project"].to_numpy(),
            "txn_date": batches["paid_on"].to_numpy().astype("datetime64[D]"),
            "kind": "wage_payout",
            "amount": batches["amount"].to_numpy(),
            "lines": batches["lines"].to_numpy(),
        }
    )
    transactions = pd.concat([deposits, advances, payouts], ignore_index=True)

    # escrow_shortfall: on the last day, the account is drained to under a third of the
    # wages still owed.
    drained = np.flatnonzero(family == "escrow_shortfall")
    if len(drained):
        signed = transactions["amount"] * transactions["kind"].map(SIGN)
        balance = signed.groupby(transactions["project"]).sum().reindex(drained).to_numpy()
        last_day = transactions.groupby("project")["txn_date"].max().reindex(drained).to_numpy()
        unpaid = (payroll["payable"] - payroll["paid"]).groupby(payroll["project"]).sum()
        keep = np.floor(unpaid.reindex(drained).to_numpy() * DRAIN_LEFT).astype(np.int64)
        drains = pd.DataFrame(
            {
                "project": drained,
                "txn_date": last_day,
                "kind": "other_out",
                "amount": balance - keep,
                "lines": 0,
            }
        )
        transactions = pd.concat([transactions, drains], ignore_index=True)

    transactions["order"] = transactions["kind"].map(KIND_ORDER)
    transactions = transactions.sort_values(["txn_date", "project", "order"], kind="stable")
    transactions = transactions.reset_index(drop=True)
    signed = transactions["amount"] * transactions["kind"].map(SIGN)
    transactions["balance"] = signed.groupby(transactions["project"]).cumsum()
    serial = first_serial + np.arange(len(transactions))
    days = pd.to_datetime(transactions["txn_date"]).dt.strftime("%Y%m%d")
    transactions["txn_id"] = days + pd.Series(serial).astype(str).str.zfill(10)

    project = transactions["project"].to_numpy()
    kind = transactions["kind"].to_numpy()
    from_owner = kind == "labor_cost"
    transactions["counterparty"] = np.where(
        from_owner,
        projects["owner_name"].to_numpy()[project],
        np.where(
            kind == "wage_payout",
            "批量代发工资" + transactions["lines"].astype(str) + "笔",
            projects["contractor_name"].to_numpy()[project],
        ),
    )
    transactions["counterparty_account"] = np.where(
        from_owner, projects["owner_account"].to_numpy()[project], None
    )
    return transactions.drop(columns=["order", "lines"])
