"""Initial schema: projects, workers, roster, payroll, account statements, minimum wages,
import batches, and the scan, alert and access tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 04:56:33.444454
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_enterprises_credit_code")),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("replaced", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('imported', 'rejected')", name=op.f("ck_import_batches_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.create_index("ix_import_batches_kind_sha", ["kind", "file_sha256"], unique=False)

    op.create_table(
        "scan_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("rule_stats", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'partial', 'failed')",
            name=op.f("ck_scan_runs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_runs")),
    )
    with op.batch_alter_table("scan_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scan_runs_as_of"), ["as_of"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("districts", sa.JSON(), nullable=False),
        sa.Column("credit_codes", sa.JSON(), nullable=False),
        sa.Column("banks", sa.JSON(), nullable=False),
        sa.Column("can_reveal", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'inspector', 'contractor', 'bank')", name=op.f("ck_users_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "workers",
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_number", name=op.f("pk_workers")),
    )
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("object_type", sa.String(length=50), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_access_log_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_log_at"), ["at"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_tokens_digest")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "import_replacements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("natural_key", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_import_replacements_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_replacements")),
    )
    with op.batch_alter_table("import_replacements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_import_replacements_batch_id"), ["batch_id"], unique=False
        )

    op.create_table(
        "job_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=50), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("scan_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scan_run_id"], ["scan_runs.id"], name=op.f("fk_job_claims_scan_run_id_scan_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_claims")),
        sa.UniqueConstraint("job", "as_of", name=op.f("uq_job_claims_job_as_of")),
    )
    op.create_table(
        "minimum_wages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("monthly", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("hourly_part_time", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_minimum_wages_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minimum_wages")),
        sa.UniqueConstraint(
            "region", "effective_from", name=op.f("uq_minimum_wages_region_effective_from")
        ),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("contract_signed_on", sa.Date(), nullable=True),
        sa.Column("contract_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("planned_end_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pay_day", sa.SmallInteger(), nullable=False),
        sa.Column("rights_board", sa.Boolean(), nullable=True),
        sa.Column("labor_officer", sa.String(length=64), nullable=True),
        sa.Column("risk_grade", sa.String(length=8), nullable=False),
        sa.Column("risk_score", sa.Float(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('in_progress', 'suspended', 'completed', 'preparing')",
            name=op.f("ck_projects_status"),
        ),
        sa.CheckConstraint("pay_day BETWEEN 1 AND 31", name=op.f("ck_projects_pay_day_range")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_projects_batch_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["enterprises.id"],
            name=op.f("fk_projects_contractor_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["enterprises.id"], name=op.f("fk_projects_owner_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("code", name=op.f("uq_projects_code")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_projects_contractor_id"), ["contractor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_projects_district"), ["district"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_risk_grade"), ["risk_grade"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_status"), ["status"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=True),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("open_key", sa.String(length=200), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrears", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("workers_affected", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("message_zh", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("level IN ('red', 'orange', 'yellow')", name=op.f("ck_alerts_level")),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'snoozed', 'resolved', 'dismissed')",
            name=op.f("ck_alerts_status"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_alerts_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("open_key", name=op.f("uq_alerts_open_key")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_fingerprint"), ["fingerprint"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_status"), ["status"], unique=False)

    op.create_table(
        "guarantees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_guarantees_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantees")),
        sa.UniqueConstraint("project_id", name=op.f("uq_guarantees_project_id")),
    )
    op.create_table(
        "payroll_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("worker_name", sa.String(length=64), nullable=False),
        sa.Column("employer", sa.String(length=200), nullable=True),
        sa.Column("days_worked", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("wage_payable", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("wage_paid", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("bank_card", sa.String(length=19), nullable=True),
        sa.Column("paid_via", sa.String(length=10), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "paid_via IN ('account', 'cash', 'other')", name=op.f("ck_payroll_lines_paid_via")
        ),
        sa.CheckConstraint(
            "wage_payable >= 0 AND wage_paid >= 0",
            name=op.f("ck_payroll_lines_amounts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_payroll_lines_batch_id_import_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["id_number"], ["workers.id_number"], name=op.f("fk_payroll_lines_id_number_workers")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_payroll_lines_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payroll_lines")),
        sa.UniqueConstraint(
            "project_id",
            "month",
            "id_number",
            name=op.f("uq_payroll_lines_project_id_month_id_number"),
        ),
    )
    with op.batch_alter_table("payroll_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payroll_lines_bank_card_month", ["bank_card", "month"], unique=False
        )
        batch_op.create_index(
            "ix_payroll_lines_id_number_month", ["id_number", "month"], unique=False
        )

    op.create_table(
        "roster_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("worker_name", sa.String(length=64), nullable=False),
        sa.Column("employer", sa.String(length=200), nullable=True),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("trade", sa.String(length=50), nullable=True),
        sa.Column("days_present", sa.SmallInteger(), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "days_present BETWEEN 0 AND 31", name=op.f("ck_roster_entries_days_present_range")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_roster_entries_batch_id_import_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["id_number"], ["workers.id_number"], name=op.f("fk_roster_entries_id_number_workers")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_roster_entries_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_entries")),
        sa.UniqueConstraint(
            "project_id",
            "month",
            "id_number",
            name=op.f("uq_roster_entries_project_id_month_id_number"),
        ),
    )
    with op.batch_alter_table("roster_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_roster_entries_id_number_month", ["id_number", "month"], unique=False
        )

    op.create_table(
        "wage_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("account_no", sa.String(length=40), nullable=False),
        sa.Column("bank", sa.String(length=100), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_wage_accounts_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wage_accounts")),
        sa.UniqueConstraint("account_no", name=op.f("uq_wage_accounts_account_no")),
        sa.UniqueConstraint("project_id", name=op.f("uq_wage_accounts_project_id")),
    )
    op.create_table(
        "account_transactions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("wage_account_id", sa.Integer(), nullable=False),
        sa.Column("txn_id", sa.String(length=64), nullable=False),
        sa.Column("txn_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("counterparty", sa.String(length=200), nullable=True),
        sa.Column("counterparty_account", sa.String(length=40), nullable=True),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("balance", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('labor_cost', 'wage_payout', 'other_in', 'other_out')",
            name=op.f("ck_account_transactions_kind"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_account_transactions_amount_positive")),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_account_transactions_batch_id_import_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["wage_account_id"],
            ["wage_accounts.id"],
            name=op.f("fk_account_transactions_wage_account_id_wage_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_transactions")),
        sa.UniqueConstraint(
            "wage_account_id", "txn_id", name=op.f("uq_account_transactions_wage_account_id_txn_id")
        ),
    )
    with op.batch_alter_table("account_transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_transactions_account_date", ["wage_account_id", "txn_date"], unique=False
        )

    op.create_table(
        "alert_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("from_level", sa.String(length=8), nullable=True),
        sa.Column("to_level", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("scan_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_events_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["scan_run_id"], ["scan_runs.id"], name=op.f("fk_alert_events_scan_run_id_scan_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_events_alert_id"), ["alert_id"], unique=False)

    # The shipped default minimum wage (Tianjin): 2,320 yuan a month, 2,510 from 2025-09-01.
    minimum_wages = sa.table(
        "minimum_wages",
        sa.column("region", sa.String),
        sa.column("effective_from", sa.Date),
        sa.column("monthly", sa.Numeric(14, 2)),
        sa.column("hourly_part_time", sa.Numeric(14, 2)),
    )
    op.bulk_insert(
        minimum_wages,
        [
            {
                "region": "*",
                "effective_from": date(2021, 7, 1),
                "monthly": Decimal("2320.00"),
                "hourly_part_time": Decimal("24.40"),
            },
            {
                "region": "*",
                "effective_from": date(2025, 9, 1),
                "monthly": Decimal("2510.00"),
                "hourly_part_time": Decimal("26.60"),
            },
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_events_alert_id"))

    op.drop_table("alert_events")
    with op.batch_alter_table("account_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_account_transactions_account_date")

    op.drop_table("account_transactions")
    op.drop_table("wage_accounts")
    with op.batch_alter_table("roster_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_roster_entries_id_number_month")

    op.drop_table("roster_entries")
    with op.batch_alter_table("payroll_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_payroll_lines_id_number_month")
        batch_op.drop_index("ix_payroll_lines_bank_card_month")

    op.drop_table("payroll_lines")
    op.drop_table("guarantees")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_status"))
        batch_op.drop_index(batch_op.f("ix_alerts_rule_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_project_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_fingerprint"))

    op.drop_table("alerts")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_status"))
        batch_op.drop_index(batch_op.f("ix_projects_risk_grade"))
        batch_op.drop_index(batch_op.f("ix_projects_owner_id"))
        batch_op.drop_index(batch_op.f("ix_projects_district"))
        batch_op.drop_index(batch_op.f("ix_projects_contractor_id"))

    op.drop_table("projects")
    op.drop_table("minimum_wages")
    op.drop_table("job_claims")
    with op.batch_alter_table("import_replacements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_replacements_batch_id"))

    op.drop_table("import_replacements")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_log_at"))

    op.drop_table("access_log")
    op.drop_table("workers")
    op.drop_table("users")
    with op.batch_alter_table("scan_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_runs_as_of"))

    op.drop_table("scan_runs")
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_import_batches_kind_sha")

    op.drop_table("import_batches")
    op.drop_table("enterprises")
