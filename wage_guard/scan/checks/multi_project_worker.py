"""``multi_project_worker``: one worker on the payroll or roster of many projects in the same
month (实名制, Regulations Art. 28: a sign of borrowed identities or a fake payroll).

Fires when, in a wage month up to the scan date's month, a worker has a payroll line or a
roster row on ``min_projects`` (3) or more different projects. The alert is raised on each
of those projects, for that month. Measure: the most projects any worker listed is on; the
shipped ladder is yellow. The evidence lists the workers with every project they are on.

Does not fire for a worker on fewer projects, counting a project once whether it has the
worker on its payroll, its roster or both; months after the scan date's are not seen.
``min_projects`` is at least 3: two projects in a month are ordinary (a change of site), and
the search for candidates relies on it.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, listed_workers, register


class Params(CheckParams):
    min_projects: int = Field(3, ge=3)


@register("multi_project_worker", Params)
def multi_project_worker(context: ScanContext, params: Params) -> pd.DataFrame:
    """Workers on min_projects or more projects in a month."""
    # A worker on n projects across the two tables is on at least ceil(n / 2) in one of
    # them, so the candidates are the worker-months with that many rows in either table.
    least = -(-params.min_projects // 2)
    candidates = pd.concat(
        [
            context.workers_on_several_projects(table)
            for table in ("payroll_lines", "roster_entries")
        ]
    )
    candidates = candidates.loc[
        candidates["projects"] >= least, ["id_number", "month"]
    ].drop_duplicates()
    if candidates.empty:
        return empty_findings()
    keys = pd.DataFrame(
        {
            "value": candidates["id_number"],
            "first": candidates["month"],
            "last": candidates["month"],
        }
    )
    rows = pd.concat(
        [
            context.query_keys(
                f"""
                SELECT project_id, month, id_number, worker_name FROM {table}
                WHERE id_number IN :values AND month BETWEEN :first AND :last
                """,
                keys,
            )
            for table in ("payroll_lines", "roster_entries")
        ],
        ignore_index=True,
    ).merge(candidates)
    rows = rows.drop_duplicates(["project_id", "month", "id_number"])
    projects = rows.groupby(["id_number", "month"])["project_id"].transform("size")
    rows = rows[projects >= params.min_projects]
    if rows.empty:
        return empty_findings()

    codes = context.projects().set_index("project_id")["code"]
    rows = rows.assign(code=rows["project_id"].map(codes).astype(str))
    codes_of = rows.groupby(["id_number", "month"])["code"].agg(sorted).rename("projects")
    rows = rows.merge(codes_of.reset_index(), on=["id_number", "month"])
    rows["project_count"] = rows["projects"].map(len)
    rows = rows.rename(columns={"month": "subject"}).sort_values(
        ["project_id", "subject", "project_count", "id_number"],
        ascending=[True, True, False, True],
    )
    listed = listed_workers(rows, ["project_count", "projects"])
    frame = (
        rows.groupby(["project_id", "subject"])
        .agg(workers=("id_number", "size"), most=("project_count", "max"))
        .reset_index()
        .merge(listed, on=["project_id", "subject"])
    )
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": frame["subject"],
            "measure": frame["most"].astype(float),
            "arrears_cents": None,
            "workers": frame["workers"],
        }
    )
    result["evidence"] = [
        {
            "month": row.subject,
            "min_projects": params.min_projects,
            "workers_on_many_projects": int(row.workers),
            "most_projects": int(row.most),
            "workers": row.listed,
            "workers_total": int(row.listed_total),
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"{e['month']}有{e['workers_on_many_projects']}名工人同时在{e['min_projects']}个以上项目"
        f"出现（最多{e['most_projects']}个项目）"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"{e['workers_on_many_projects']} workers appear on {e['min_projects']} or more projects "
        f"in {e['month']} (up to {e['most_projects']})"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
