"""``shared_bank_card``: one bank card receiving the wages of several workers (Regulations
Art. 31, 54: wages go to each worker's own card, held by the worker; nobody may hold
workers' cards).

Fires when, in a wage month up to the scan date's month, the payroll lines naming one card
belong to two or more different workers, on one project or across projects. The alert is
raised on each project with a line on such a card, for that month. Measure: the number of
shared cards on the project that month; the shipped ladder is orange. The evidence lists
every line on those cards, other projects' included, with the card (masked), the project
and the wages paid.

Does not fire for a card on the lines of one worker only (one worker on several projects
with their own card is fine), for lines with no card, or for months after the scan date's.
A line names its card whether or not it is paid yet: the payroll sheet routes the wage.
"""

from __future__ import annotations

import pandas as pd

from wage_guard.masking import mask_bank_card
from wage_guard.scan.context import ScanContext, cents
from wage_guard.scan.model import CheckParams, empty_findings, listed_workers, register, yuan


class Params(CheckParams):
    """No parameters."""


@register("shared_bank_card", Params)
def shared_bank_card(context: ScanContext, params: Params) -> pd.DataFrame:
    """Cards on the lines of two or more workers in a month."""
    # Cards on more than one line in a month, then the lines of just those: the few of one
    # worker on several projects are dropped below.
    cards = context.shared_cards()
    if cards.empty:
        return empty_findings()
    paid = "CASE WHEN paid_on IS NOT NULL AND paid_on <= :as_of THEN wage_paid ELSE 0 END"
    lines = context.query_keys(
        f"""
        SELECT project_id, month, bank_card, id_number, worker_name,
               {cents(paid)} AS paid_cents
        FROM payroll_lines
        WHERE bank_card IN :values AND month BETWEEN :first AND :last
        """,
        pd.DataFrame(
            {"value": cards["bank_card"], "first": cards["month"], "last": cards["month"]}
        ),
    ).merge(cards)
    workers_on_card = lines.groupby(["bank_card", "month"])["id_number"].transform("nunique")
    lines = lines[workers_on_card > 1]
    if lines.empty:
        return empty_findings()

    codes = context.projects().set_index("project_id")["code"]
    lines = lines.assign(
        card=lines["bank_card"].map(mask_bank_card),
        project=lines["project_id"].map(codes),
        wage_paid=lines["paid_cents"].map(yuan),
    )
    involved = lines[["project_id", "month", "bank_card"]].drop_duplicates()
    entries = (
        involved.merge(lines.drop(columns="project_id"), on=["month", "bank_card"])
        .rename(columns={"month": "subject"})
        .sort_values(["project_id", "subject", "bank_card", "project", "id_number"])
    )
    listed = listed_workers(entries, ["card", "project", "wage_paid"])
    frame = (
        entries.groupby(["project_id", "subject"])
        .agg(
            cards=("bank_card", "nunique"),
            workers=("id_number", "nunique"),
            projects=("project", "unique"),
        )
        .reset_index()
        .merge(listed, on=["project_id", "subject"])
    )
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": frame["subject"],
            "measure": frame["cards"].astype(float),
            "arrears_cents": None,
            "workers": frame["workers"],
        }
    )
    result["evidence"] = [
        {
            "month": row.subject,
            "shared_cards": int(row.cards),
            "workers_on_shared_cards": int(row.workers),
            "projects": sorted(str(code) for code in row.projects),
            "workers": row.listed,
            "workers_total": int(row.listed_total),
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"{e['month']}有{e['shared_cards']}张银行卡收取{e['workers_on_shared_cards']}名工人的工资"
        f"（一卡多人，涉及{len(e['projects'])}个项目）"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"{e['shared_cards']} bank cards receive the wages of {e['workers_on_shared_cards']} "
        f"workers in {e['month']} ({len(e['projects'])} projects involved)"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
