"""An index of payroll lines by wages paid, so that the lines paid above a cap
(``abnormal_high_pay``) are read from it instead of from the whole payroll.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payroll_lines", schema=None) as batch_op:
        batch_op.create_index("ix_payroll_lines_wage_paid", ["wage_paid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payroll_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_payroll_lines_wage_paid")
