"""The alert queue's order: one integer of level, arrears and workers, and its index, so that
"riskiest first" reads the first rows of an index instead of sorting every alert.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# wage_guard.alerts.orm.queue_order in SQL, for the alerts already stored.
_ORDER = """
    -((CASE level WHEN 'red' THEN 3 WHEN 'orange' THEN 2 WHEN 'yellow' THEN 1 ELSE 0 END)
        * 2305843009213693952
    + (CASE
        WHEN arrears IS NULL OR arrears <= 0 THEN 0
        WHEN arrears * 100 >= 17592186044415 THEN 17592186044415
        ELSE CAST(ROUND(arrears * 100) AS BIGINT)
       END) * 131072
    + (CASE
        WHEN workers_affected IS NULL OR workers_affected <= 0 THEN 0
        WHEN workers_affected >= 131071 THEN 131071
        ELSE workers_affected
       END))
"""


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("queue_order", sa.BigInteger(), server_default="0", nullable=False)
        )
    op.execute(f"UPDATE alerts SET queue_order = {_ORDER}")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_queue", ["queue_order", "first_seen", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_queue")
        batch_op.drop_column("queue_order")
