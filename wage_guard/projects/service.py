"""Projects as inspectors triage them: by risk grade and score (RULES.md, "Project risk grade").

The grade and score themselves are computed from the alerts by
``wage_guard.alerts.service.refresh_project_risk`` after every scan.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from wage_guard.alerts import repository
from wage_guard.alerts.schemas import ProjectRiskRead
from wage_guard.alerts.service import validate_page
from wage_guard.errors import InvalidInput

GRADES = ("red", "orange", "yellow", "green")


def list_projects(
    session: Session,
    *,
    sort: str = "risk",
    district: str | None = None,
    grade: str | None = None,
    limit: int = 100,
    offset: int = 0,
    districts_scope: Sequence[str] | None = None,
    credit_codes_scope: Sequence[str] | None = None,
) -> tuple[list[ProjectRiskRead], int]:
    """A page of projects with grade, score and open alerts by level, and how many match.

    ``sort="risk"`` puts red first, then the highest score; ``sort="code"`` orders by code.
    A scope of None does not limit; a list keeps only those districts or contractors.
    """
    if sort not in repository.PROJECT_SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; one of {', '.join(repository.PROJECT_SORTS)}")
    if grade is not None and grade not in GRADES:
        raise InvalidInput(f"unknown grade {grade!r}; one of {', '.join(GRADES)}")
    validate_page(limit=limit, offset=offset)
    rows, total = repository.list_project_risk(
        session,
        district=district,
        grade=grade,
        sort=sort,
        limit=limit,
        offset=offset,
        districts_scope=districts_scope,
        credit_codes_scope=credit_codes_scope,
    )
    return [ProjectRiskRead.model_validate(dict(row)) for row in rows], total
