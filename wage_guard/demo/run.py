"""The demo: generate the small region, import every file, scan, and show what was found.

It works on a SQLite database of its own inside the output folder, made afresh each time, so
that it never touches a deployment's database.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from rich import box
from rich.table import Table

from wage_guard.config import ImportSettings, Settings
from wage_guard.console import stdout_console
from wage_guard.db import make_engine, make_session_factory
from wage_guard.db.migrate import upgrade
from wage_guard.demo.generate import SCALES, generate
from wage_guard.imports.service import import_file
from wage_guard.scan.cli import LEVEL_STYLES, print_summary
from wage_guard.scan.rules import load_rules, runnable
from wage_guard.scan.service import run_scan

DATABASE_FILE = "wage_guard.db"
RISKIEST_SHOWN = 10


def _fresh_database(out: Path) -> str:
    path = out / DATABASE_FILE
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _contents(engine: sa.Engine) -> Table:
    """How many rows of each kind the database now holds."""
    table = Table(title="What is now in the database", box=box.SIMPLE_HEAD)
    table.add_column("what")
    table.add_column("rows", justify="right")
    queries = {
        "projects (项目)": "SELECT COUNT(*) FROM projects",
        "enterprises (企业)": "SELECT COUNT(*) FROM enterprises",
        "wage accounts (专户)": "SELECT COUNT(*) FROM wage_accounts",
        "guarantees (保证金)": "SELECT COUNT(*) FROM guarantees",
        "workers (工人)": "SELECT COUNT(*) FROM workers",
        "roster rows (考勤)": "SELECT COUNT(*) FROM roster_entries",
        "payroll lines (工资)": "SELECT COUNT(*) FROM payroll_lines",
        "account transactions (流水)": "SELECT COUNT(*) FROM account_transactions",
        "minimum wages (最低工资)": "SELECT COUNT(*) FROM minimum_wages",
        "imported files (导入批次)": "SELECT COUNT(*) FROM import_batches",
    }
    with engine.connect() as conn:
        for label, query in queries.items():
            table.add_row(label, f"{conn.exec_driver_sql(query).scalar_one():,}")
    return table


def _riskiest(engine: sa.Engine) -> Table:
    from wage_guard.projects.service import list_projects

    with make_session_factory(engine)() as session:
        projects, total = list_projects(session, sort="risk", limit=RISKIEST_SHOWN)
    table = Table(
        title=f"The riskiest projects (top {len(projects)} of {total})", box=box.SIMPLE_HEAD
    )
    for column in ("project", "name", "district", "contractor", "grade", "score"):
        table.add_column(column, overflow="fold")
    for level, style in LEVEL_STYLES.items():
        table.add_column(level, justify="right", style=style)
    for project in projects:
        style = LEVEL_STYLES.get(project.risk_grade, "green")
        table.add_row(
            project.code,
            project.name,
            project.district,
            project.contractor,
            f"[{style}]{project.risk_grade}[/{style}]",
            f"{project.risk_score:,.1f}",
            str(project.open_red),
            str(project.open_orange),
            str(project.open_yellow),
        )
    return table


@dataclass(frozen=True)
class DemoUser:
    """A user made for the demo, with its token (printed so that a newcomer can sign in)."""

    name: str
    role: str
    scope: str
    token: str


@dataclass(frozen=True)
class DemoResult:
    """Where the demo's database is and who may sign in to it."""

    database_url: str
    users: list[DemoUser]


def _demo_users(engine: sa.Engine) -> list[DemoUser]:
    """An inspector of every district, and the clerk of the contractor of the riskiest
    project, so that both sides of the pages can be seen."""
    from wage_guard.auth.service import create_user, issue_token
    from wage_guard.projects.orm import Enterprise, Project

    with make_session_factory(engine)() as session, session.begin():
        credit_code, contractor = session.execute(
            sa.select(Enterprise.credit_code, Enterprise.name)
            .join(Project, Project.contractor_id == Enterprise.id)
            .where(Enterprise.credit_code.is_not(None))
            .order_by(
                sa.case(
                    {"red": 3, "orange": 2, "yellow": 1}, value=Project.risk_grade, else_=0
                ).desc(),
                Project.risk_score.desc(),
            )
            .limit(1)
        ).one()
        inspector = create_user(session, name="demo-inspector", role="inspector")
        clerk = create_user(
            session, name="demo-contractor", role="contractor", credit_codes=[str(credit_code)]
        )
        return [
            DemoUser(
                inspector.name, "inspector", "all districts", issue_token(session, user=inspector)
            ),
            DemoUser(clerk.name, "contractor", contractor, issue_token(session, user=clerk)),
        ]


def run_demo(*, out: Path, seed: int, as_of: date, settings: Settings | None) -> DemoResult:
    """Generate, import, scan and report, printing each step; then make the demo's users."""
    console = stdout_console()
    started = time.perf_counter()
    manifest = generate(SCALES["small"], seed=seed, out=out, as_of=as_of)
    counts = manifest["counts"]
    console.print(
        f"1. Generated a small region as of {as_of} (seed {seed}) in {out}/: "
        f"{len(manifest['files'])} files, {counts['projects']} projects, "
        f"{counts['workers']:,} workers, {len(manifest['planted'])} planted problems."
    )

    url = _fresh_database(out)
    engine = make_engine(url)
    upgrade(engine)
    console.print(f"2. Created a fresh SQLite database: {url}")

    limits = settings.imports if settings else ImportSettings()
    outcomes: Counter[tuple[str, str]] = Counter()
    rows: Counter[str] = Counter()
    for entry in manifest["files"]:
        report = import_file(engine, kind=entry["kind"], path=out / entry["path"], limits=limits)
        outcomes[(entry["kind"], report.status.value)] += 1
        rows[entry["kind"]] += report.inserted + report.replaced + report.unchanged
        if report.status.value == "rejected":
            for error in report.errors[:5]:
                console.print(f"   [red]{entry['path']}[/red] row {error.row}: {error.message}")
    summary = ", ".join(
        f"{kind} {count} file{'s' if count > 1 else ''} {status} ({rows[kind]:,} rows)"
        for (kind, status), count in outcomes.items()
    )
    console.print(f"3. Imported: {summary}.")
    console.print(_contents(engine))

    rules = runnable(
        load_rules(
            settings.scan.rule_dirs if settings else None,
            replace_shipped=settings.scan.replace_shipped_rules if settings else False,
        )
    )
    result = run_scan(engine, as_of=as_of, rules=rules, trigger="demo")
    console.print(f"4. Scanned as of {as_of} with {len(rules)} rules:")
    print_summary(result)
    console.print(_riskiest(engine))
    users = _demo_users(engine)
    engine.dispose()
    console.print(
        f"Done in {time.perf_counter() - started:.1f} s. The planted problems are listed in "
        f"{out / 'manifest.json'}. Look further with, for example:"
    )
    for line in (
        f"export WAGE_GUARD_DATABASE_URL={url}",
        "wage-guard alerts list --level red",
        "wage-guard alerts show 1",
        "wage-guard projects list --sort risk",
    ):
        console.print(f"  {line}", markup=False)
    return DemoResult(database_url=url, users=users)
