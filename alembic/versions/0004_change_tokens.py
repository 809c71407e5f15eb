"""Change tokens: a random token per area of the database, renewed by triggers in the same
transaction as every write to the area's tables (``wage_guard.db.changes``).

On SQLite the triggers run after each row written; on PostgreSQL before each statement,
so that the token's row is locked before any row of the area, renewing it once per
transaction.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each area, and per table the columns whose update renews the token (None: any column).
_AREAS: dict[str, dict[str, tuple[str, ...] | None]] = {
    "alert_store": {"alerts": None, "alert_events": None, "projects": None, "enterprises": None},
    # Recording when a token was last used changes no one's access.
    "access": {
        "users": None,
        "api_tokens": ("user_id", "digest", "prefix", "created_at", "revoked_at"),
    },
}
_RANDOM = {
    "sqlite": "lower(hex(randomblob(16)))",
    "postgresql": "md5(random()::text || clock_timestamp()::text)",
}


def _triggers() -> list[tuple[str, str, str, tuple[str, ...] | None]]:
    """(trigger name, area, table, columns) of every trigger."""
    return [
        (f"tr_{table}_renews_{area}", area, table, columns)
        for area, tables in _AREAS.items()
        for table, columns in tables.items()
    ]


def upgrade() -> None:
    op.create_table(
        "change_tokens",
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("area", name=op.f("pk_change_tokens")),
    )
    dialect = op.get_bind().dialect.name
    renew = _RANDOM[dialect]
    for area in _AREAS:
        op.execute(f"INSERT INTO change_tokens (area, token) VALUES ('{area}', {renew})")
    if dialect == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION renew_change_token() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                renewed text := 'wage_guard.renewed_' || TG_ARGV[0];
            BEGIN
                -- Once per transaction (the flag is undone with a rolled-back savepoint):
                -- each renewal of the row in one transaction would stack a version of it.
                IF current_setting(renewed, true) IS DISTINCT FROM '1' THEN
                    UPDATE change_tokens SET token = {renew} WHERE area = TG_ARGV[0];
                    PERFORM set_config(renewed, '1', true);
                END IF;
                RETURN NULL;
            END $$
            """
        )
        for name, area, table, columns in _triggers():
            update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
            op.execute(
                f"CREATE TRIGGER {name} BEFORE INSERT OR {update} OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION renew_change_token('{area}')"
            )
        return
    for name, area, table, columns in _triggers():
        update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
        for event, suffix in (("INSERT", "insert"), (update, "update"), ("DELETE", "delete")):
            op.execute(
                f"CREATE TRIGGER {name}_{suffix} AFTER {event} ON {table} BEGIN "
                f"UPDATE change_tokens SET token = {renew} WHERE area = '{area}'; END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, _, table, _ in _triggers():
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER {name} ON {table}")
        else:
            for suffix in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {name}_{suffix}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION renew_change_token()")
    op.drop_table("change_tokens")
