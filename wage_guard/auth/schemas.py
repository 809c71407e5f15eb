"""Roles, what each may do, and what callers see of users and tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Role(StrEnum):
    """Who calls wage_guard: the bureau's administrator, a labor inspector (劳动监察), a
    general contractor's clerk (施工总承包单位) or a wage account's bank (代发银行)."""

    ADMIN = "admin"
    INSPECTOR = "inspector"
    CONTRACTOR = "contractor"
    BANK = "bank"


class Permission(StrEnum):
    """A function of wage_guard that a role may or may not use (a refusal is 403)."""

    READ_ALERTS = "read_alerts"
    TRIAGE = "triage"  # acknowledge, snooze, resolve, dismiss, comment, reopen
    EXPORT = "export"
    READ_PROJECTS = "read_projects"
    IMPORT_REGISTER = "import_register"  # projects and minimum wages
    IMPORT_PAYROLL = "import_payroll"  # payroll and roster
    IMPORT_STATEMENTS = "import_statements"  # wage-account statements
    READ_IMPORTS = "read_imports"
    READ_RULES = "read_rules"
    RUN_SCANS = "run_scans"
    READ_SCANS = "read_scans"
    REVEAL = "reveal"  # needs ``can_reveal`` too, unless admin


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.INSPECTOR: frozenset(
        {
            Permission.READ_ALERTS,
            Permission.TRIAGE,
            Permission.EXPORT,
            Permission.READ_PROJECTS,
            Permission.IMPORT_REGISTER,
            Permission.IMPORT_PAYROLL,
            Permission.IMPORT_STATEMENTS,
            Permission.READ_IMPORTS,
            Permission.READ_RULES,
            Permission.RUN_SCANS,
            Permission.READ_SCANS,
            Permission.REVEAL,
        }
    ),
    Role.CONTRACTOR: frozenset(
        {
            Permission.READ_ALERTS,
            Permission.READ_PROJECTS,
            Permission.IMPORT_PAYROLL,
            Permission.READ_IMPORTS,
            Permission.READ_RULES,
        }
    ),
    Role.BANK: frozenset({Permission.IMPORT_STATEMENTS, Permission.READ_IMPORTS}),
}


class UserRead(BaseModel):
    """A user as the command line and the API show it (never its tokens)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Role
    districts: list[str]
    credit_codes: list[str]
    banks: list[str]
    can_reveal: bool
    created_at: datetime
    disabled_at: datetime | None


class TokenRead(BaseModel):
    """An API token as listed: its id and first characters, never the token itself."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class Me(BaseModel):
    """The caller: name, role, scope and the functions it may use."""

    name: str
    role: Role
    districts: list[str]
    credit_codes: list[str]
    banks: list[str]
    permissions: list[Permission]
