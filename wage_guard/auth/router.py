"""Who the caller is: ``GET /me``."""

from __future__ import annotations

from fastapi import APIRouter

from wage_guard.auth.schemas import Me
from wage_guard.deps import CallerDep

router = APIRouter(tags=["auth"])


@router.get("/me", response_model=Me)
def me(principal: CallerDep) -> Me:
    """The caller's name, role, scope and the functions it may use."""
    return Me(
        name=principal.name,
        role=principal.role,
        districts=list(principal.districts),
        credit_codes=list(principal.credit_codes),
        banks=list(principal.banks),
        permissions=principal.permissions,
    )
