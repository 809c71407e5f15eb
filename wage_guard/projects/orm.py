"""Projects and what the Regulations attach to them (Art. 24-34)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wage_guard.db import Base, Money, UTCDateTime, utcnow


class ProjectStatus(StrEnum):
    """Project status as registered by the bureau (在建/停工/完工/筹备)."""

    IN_PROGRESS = "in_progress"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    PREPARING = "preparing"


class GuaranteeForm(StrEnum):
    """How the wage guarantee is given: cash, a bank guarantee letter (保函), or insurance."""

    CASH = "cash"
    BANK_GUARANTEE = "bank_guarantee"
    INSURANCE = "insurance"


class Enterprise(Base):
    """An owner (建设单位), general contractor (施工总承包单位) or subcontractor.

    Identified by its unified social credit code when it has one, otherwise by name.
    """

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Project(Base):
    """A construction project (工程项目) as the bureau's register describes it."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    district: Mapped[str] = mapped_column(sa.String(64), index=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    contractor_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    contract_signed_on: Mapped[date | None] = mapped_column(sa.Date)
    contract_amount: Mapped[Decimal | None] = mapped_column(Money)
    start_date: Mapped[date] = mapped_column(sa.Date)
    planned_end_date: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    pay_day: Mapped[int] = mapped_column(sa.SmallInteger, default=15)
    rights_board: Mapped[bool | None] = mapped_column(sa.Boolean)
    labor_officer: Mapped[str | None] = mapped_column(sa.String(64))
    risk_grade: Mapped[str] = mapped_column(sa.String(8), default="green", index=True)
    risk_score: Mapped[float] = mapped_column(sa.Float, default=0.0)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batches.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[Enterprise] = relationship(foreign_keys=[owner_id])
    contractor: Mapped[Enterprise] = relationship(foreign_keys=[contractor_id])
    wage_account: Mapped[WageAccount | None] = relationship(back_populates="project")
    guarantee: Mapped[Guarantee | None] = relationship(back_populates="project")

    __table_args__ = (
        sa.CheckConstraint("pay_day BETWEEN 1 AND 31", name="pay_day_range"),
        sa.CheckConstraint(
            "status IN ('in_progress', 'suspended', 'completed', 'preparing')", name="status"
        ),
    )


def scope_conditions(
    *, districts_scope: Sequence[str] | None, credit_codes_scope: Sequence[str] | None
) -> list[sa.ColumnElement[bool]]:
    """Conditions on ``Project`` keeping a caller's districts and general contractors' credit
    codes (None: no limit), the one definition of a caller's scope (RELIABILITY 22)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if districts_scope is not None:
        conditions.append(Project.district.in_(list(districts_scope)))
    if credit_codes_scope is not None:
        conditions.append(
            Project.contractor_id.in_(
                sa.select(Enterprise.id).where(Enterprise.credit_code.in_(list(credit_codes_scope)))
            )
        )
    return conditions


class WageAccount(Base):
    """The project's dedicated wage account (农民工工资专用账户), one per project."""

    __tablename__ = "wage_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), unique=True)
    account_no: Mapped[str] = mapped_column(sa.String(40), unique=True)
    bank: Mapped[str | None] = mapped_column(sa.String(100))
    opened_on: Mapped[date | None] = mapped_column(sa.Date)

    project: Mapped[Project] = relationship(back_populates="wage_account")


class Guarantee(Base):
    """The wage guarantee (工资保证金) of a project: cash, a bank letter or insurance."""

    __tablename__ = "guarantees"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), unique=True)
    form: Mapped[str] = mapped_column(sa.String(20))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)

    project: Mapped[Project] = relationship(back_populates="guarantee")
