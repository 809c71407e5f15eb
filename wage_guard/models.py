"""Every mapped class, imported in one place so that the metadata is complete."""

from wage_guard.alerts.orm import Alert, AlertEvent
from wage_guard.auth.orm import AccessLog, ApiToken, User
from wage_guard.db import Base
from wage_guard.db.changes import ChangeToken
from wage_guard.escrow.orm import AccountTransaction
from wage_guard.imports.orm import ImportBatch, ImportReplacement
from wage_guard.minimum_wages.orm import MinimumWage
from wage_guard.payroll.orm import PayrollLine
from wage_guard.projects.orm import Enterprise, Guarantee, Project, WageAccount
from wage_guard.roster.orm import RosterEntry
from wage_guard.scan.orm import JobClaim, ScanRun
from wage_guard.workers.orm import Worker

__all__ = [
    "AccessLog",
    "AccountTransaction",
    "Alert",
    "AlertEvent",
    "ApiToken",
    "Base",
    "ChangeToken",
    "Enterprise",
    "Guarantee",
    "ImportBatch",
    "ImportReplacement",
    "JobClaim",
    "MinimumWage",
    "PayrollLine",
    "Project",
    "RosterEntry",
    "ScanRun",
    "User",
    "WageAccount",
    "Worker",
]
