"""Projects (``/projects``): the list ranked by risk and one project's detail.

Every query is limited to the caller's scope; a project outside it is 404 (RELIABILITY 22).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from wage_guard.auth.schemas import Permission
from wage_guard.auth.service import Principal
from wage_guard.deps import NO_NUL, SessionDep, requires
from wage_guard.projects.schemas import ProjectDetail, ProjectList
from wage_guard.projects.service import get_project, list_projects

router = APIRouter(prefix="/projects", tags=["projects"])

MAX_PAGE = 500

# A project's code in a path, bounded like the register's column.
CodePath = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]

Reader = Annotated[Principal, Depends(requires(Permission.READ_PROJECTS))]


class GradeFilter(StrEnum):
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    GREEN = "green"


class ProjectSort(StrEnum):
    RISK = "risk"
    CODE = "code"


class ProjectPage(BaseModel):
    """What the project list selects by, its order and the page."""

    model_config = ConfigDict(extra="forbid")

    district: str | None = Field(None, max_length=64, pattern=NO_NUL)
    grade: GradeFilter | None = None
    q: str | None = Field(
        None, max_length=100, pattern=NO_NUL, description="Text in the project's code or name."
    )
    sort: ProjectSort = Field(
        ProjectSort.RISK, description="risk: red first, then the highest score; code."
    )
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.get("", response_model=ProjectList)
def list_(
    session: SessionDep, principal: Reader, page: Annotated[ProjectPage, Query()]
) -> ProjectList:
    """Projects with their risk grade, score and open alerts by level, riskiest first."""
    items, total = list_projects(
        session,
        sort=page.sort.value,
        district=page.district,
        grade=page.grade.value if page.grade is not None else None,
        text=page.q,
        limit=page.limit,
        offset=page.offset,
        districts_scope=principal.districts_scope,
        credit_codes_scope=principal.credit_codes_scope,
    )
    return ProjectList(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{code}", response_model=ProjectDetail)
def get(session: SessionDep, principal: Reader, code: CodePath) -> ProjectDetail:
    """One project: register entry, parties, wage account, guarantee, months and alerts."""
    return get_project(
        session,
        code=code,
        districts_scope=principal.districts_scope,
        credit_codes_scope=principal.credit_codes_scope,
    )
