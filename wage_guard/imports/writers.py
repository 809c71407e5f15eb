"""Writing validated rows to the database, one chunk at a time (FORMATS.md, "Idempotency").

For each kind a writer resolves the references of a chunk (a project code to its project,
an account number to its wage account; unknown ones, rows of another contractor's project
and statements of another bank's account are row errors), finds the rows already stored
under the same natural keys with set-based queries, and sorts every row into *inserted*,
*replaced* (different values: the stored row is replaced and its previous values recorded
in ``import_replacements``) or *unchanged* (identical: not rewritten). Roster, payroll and
escrow files may hold a million rows, so their writers work on whole frames and write with
``bulk_insert``; project files are small and go through the ORM.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, selectinload

from wage_guard.db import Base, utcnow
from wage_guard.db.bulk import bulk_insert, driver_value, stored_values
from wage_guard.escrow.orm import AccountTransaction
from wage_guard.imports.kinds import ESCROW, MINIMUM_WAGES, PAYROLL, PROJECTS, ROSTER, Kind
from wage_guard.imports.orm import ImportReplacement
from wage_guard.imports.validate import RowErrors
from wage_guard.minimum_wages.orm import MinimumWage
from wage_guard.payroll.orm import PayrollLine
from wage_guard.projects.orm import Enterprise, Guarantee, Project, WageAccount
from wage_guard.roster.orm import RosterEntry
from wage_guard.workers.orm import Worker

IN_BATCH = 1000  # values per IN (...) list, well inside SQLite's and psycopg's limits


def table_of(model: type[Base]) -> sa.Table:
    """The table a mapped class is stored in."""
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


@dataclass
class Counts:
    """Rows of a file by what became of them."""

    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.inserted += other.inserted
        self.replaced += other.replaced
        self.unchanged += other.unchanged
        return self


def canonical(value: Any) -> Any:
    """A stored value as a file gives it: money ``1234.50``, dates ``YYYY-MM-DD``."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _batches(values: Sequence[Any], size: int = IN_BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _lookup(values: np.ndarray, mapping: Mapping[Any, Any]) -> np.ndarray:
    """``mapping[value]`` for each value (None where absent), looked up once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    found = np.empty(len(uniques) + 1, dtype=object)
    found[:-1] = [mapping.get(value) for value in uniques.tolist()]
    found[-1] = None
    return found[codes]


def _given(values: np.ndarray) -> np.ndarray:
    return np.asarray(pd.notna(values), dtype=bool)


@dataclass(frozen=True)
class ProjectRef:
    """A project as rows refer to it: its id, its contractor and its wage account (with
    the bank that holds it)."""

    id: int
    code: str
    contractor_credit_code: str | None
    account_id: int | None
    account_no: str | None
    account_bank: str | None


OUT_OF_SCOPE = "this project belongs to another contractor"
OTHER_BANK = "this wage account is held at another bank"


def _within(values: np.ndarray, allowed: set[str] | None) -> np.ndarray:
    """Which of ``values`` are in ``allowed`` (None: all of them)."""
    if allowed is None:
        return np.ones(len(values), dtype=bool)
    return np.asarray(pd.Series(values, dtype=object).isin(allowed), dtype=bool)


class Writer(ABC):
    """Resolves, classifies and writes the rows of one kind of file, chunk by chunk.

    ``scope``, when given, is the set of contractor credit codes the submitter may write
    for; a row of any other contractor's project is an ``out_of_scope`` error. ``banks``,
    when given, is the set of banks whose wage accounts the submitter may send statements
    for (only statements name an account).
    """

    kind: ClassVar[Kind]

    def __init__(
        self,
        connection: sa.Connection,
        *,
        scope: set[str] | None = None,
        banks: set[str] | None = None,
    ) -> None:
        self.connection = connection
        self.scope = scope
        self.banks = banks
        self._projects: dict[str, ProjectRef | None] = {}

    @abstractmethod
    def resolve(self, clean: pd.DataFrame, errors: RowErrors) -> pd.DataFrame:
        """The chunk with its references resolved; unknown ones are added to ``errors``."""

    def keys(self, resolved: pd.DataFrame) -> pd.DataFrame:
        """The natural key of each row, by the kind's column names."""
        return resolved[list(self.kind.natural_key)]

    @abstractmethod
    def store(self, resolved: pd.DataFrame, *, batch_id: int | None) -> Counts:
        """Write a chunk whose rows are all valid; without ``batch_id`` only count what
        would be written (a dry run)."""

    def project_refs(self, codes: Iterable[str]) -> dict[str, ProjectRef | None]:
        """The projects of ``codes`` (None for unknown ones), remembered for later chunks."""
        missing = sorted({code for code in codes if code not in self._projects})
        contractor = aliased(Enterprise)
        for batch in _batches(missing):
            query = (
                sa.select(
                    Project.id,
                    Project.code,
                    contractor.credit_code,
                    WageAccount.id,
                    WageAccount.account_no,
                    WageAccount.bank,
                )
                .join(contractor, contractor.id == Project.contractor_id)
                .outerjoin(WageAccount, WageAccount.project_id == Project.id)
                .where(Project.code.in_(batch))
            )
            for row in self.connection.execute(query):
                self._projects[row[1]] = ProjectRef(*row)
        for code in missing:
            self._projects.setdefault(code, None)
        return self._projects

    def in_scope(self, contractor_codes: np.ndarray) -> np.ndarray:
        """Which contractor credit codes the submitter may write for."""
        return _within(contractor_codes, self.scope)

    def at_banks(self, banks: np.ndarray) -> np.ndarray:
        """Which banks the submitter may send statements for."""
        return _within(banks, self.banks)

    def resolve_projects(self, frame: pd.DataFrame, errors: RowErrors) -> np.ndarray:
        """``project_id`` of each row from its ``project_code``: ``unknown_project`` and
        ``out_of_scope`` errors where it cannot be used."""
        codes = frame["project_code"].to_numpy()
        given = _given(codes)
        refs = self.project_refs(pd.unique(codes[given]).tolist())
        known = {code: ref for code, ref in refs.items() if ref is not None}
        ids = _lookup(codes, {code: ref.id for code, ref in known.items()})
        unknown = given & ~_given(ids)
        errors.add(
            frame.index[unknown],
            "project_code",
            "unknown_project",
            "no project has this project_code; import the project first",
            codes[unknown],
        )
        contractors = _lookup(codes, {c: ref.contractor_credit_code for c, ref in known.items()})
        outside = _given(ids) & ~self.in_scope(contractors)
        errors.add(
            frame.index[outside], "project_code", "out_of_scope", OUT_OF_SCOPE, codes[outside]
        )
        ids[outside] = None
        return ids


class TableWriter(Writer):
    """A kind stored as one row per natural key in one table, written in bulk.

    ``key`` names the table columns of the natural key (references resolved) and ``values``
    the other columns the file fills; the resolved frame has a column of each name.
    """

    table: ClassVar[sa.Table]
    key: ClassVar[tuple[str, ...]]
    values: ClassVar[tuple[str, ...]]
    batch_column: ClassVar[str] = "batch_id"

    def __init__(
        self,
        connection: sa.Connection,
        *,
        scope: set[str] | None = None,
        banks: set[str] | None = None,
    ) -> None:
        super().__init__(connection, scope=scope, banks=banks)
        self._groups: dict[tuple[Any, ...], bool] = {}

    def store(self, resolved: pd.DataFrame, *, batch_id: int | None) -> Counts:
        existing = self._existing(resolved)
        replaced_ids: list[int] = []
        records: list[tuple[Any, ...]] = []
        unchanged = np.zeros(len(resolved), dtype=bool)
        if existing:
            key_parts = [resolved[name].tolist() for name in self.key]
            value_parts = [resolved[name].tolist() for name in self.values]
            rows = resolved.index.tolist()
            for i, key in enumerate(zip(*key_parts, strict=True)):
                stored = existing.get(key)
                if stored is None:
                    continue
                stored_id, stored_values = stored
                if tuple(part[i] for part in value_parts) == stored_values:
                    unchanged[i] = True
                    continue
                replaced_ids.append(stored_id)
                records.append((rows[i], i, stored_values))
        counts = Counts(
            inserted=len(resolved) - int(unchanged.sum()) - len(records),
            replaced=len(records),
            unchanged=int(unchanged.sum()),
        )
        if batch_id is None:
            return counts
        written = resolved[~unchanged]
        if records:
            self._record_replacements(resolved, records, batch_id)
            for batch in _batches(replaced_ids):
                self.connection.execute(sa.delete(self.table).where(self.table.c.id.in_(batch)))
        self.before_insert(written)
        columns = [*self.key, *self.values]
        parts = [written[name].tolist() for name in columns]
        parts.append([batch_id] * len(written))
        bulk_insert(
            self.connection, self.table, [*columns, self.batch_column], zip(*parts, strict=True)
        )
        return counts

    def before_insert(self, rows: pd.DataFrame) -> None:
        """Write what the rows refer to and may not exist yet (workers)."""

    def _bind(self, name: str, value: Any) -> Any:
        if isinstance(self.table.c[name].type, sa.Date) and isinstance(value, str):
            return date.fromisoformat(value)
        return value

    def _existing(
        self, resolved: pd.DataFrame
    ) -> dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]]:
        """Stored rows under the chunk's keys: key -> (id, values as a file gives them).

        Keys are looked up per group (the key without its last part: a project's month, an
        account), and only in the groups that already had rows when the file started, so
        a new month's payroll costs one tiny query per group.
        """
        prefix = self.key[:-1]
        groups = list(zip(*[resolved[name].tolist() for name in prefix], strict=True))
        distinct = set(groups)
        unseen = sorted(distinct - self._groups.keys())
        if unseen:
            found = self._stored_groups(unseen)
            self._groups.update((group, group in found) for group in unseen)
        if not any(self._groups[group] for group in distinct):
            return {}
        wanted: dict[tuple[Any, ...], list[Any]] = {}
        for group, last in zip(groups, resolved[self.key[-1]].tolist(), strict=True):
            if self._groups[group]:
                wanted.setdefault(group, []).append(last)
        selected = [self.table.c.id, *(self.table.c[name] for name in (*self.key, *self.values))]
        last_column = self.table.c[self.key[-1]]
        existing: dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]] = {}
        width = len(self.key)
        for group, lasts in wanted.items():
            for batch in _batches(lasts):
                bound = [self._bind(last_column.name, last) for last in batch]
                query = sa.select(*selected).where(*self._in_group(group), last_column.in_(bound))
                for row in self.connection.execute(query):
                    cells: tuple[Any, ...] = tuple(row)
                    stored = tuple(canonical(cell) for cell in cells[1:])
                    existing[stored[:width]] = (cells[0], stored[width:])
        return existing

    def _stored_groups(self, groups: list[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
        """Which of ``groups`` have rows: each part of the group key in an ``IN`` list, so
        that both databases search the unique index; the combinations are sorted out here."""
        names = self.key[:-1]
        columns = [self.table.c[name] for name in names]
        found: set[tuple[Any, ...]] = set()
        for batch in _batches(groups):
            parts = [sorted({group[i] for group in batch}) for i in range(len(names))]
            query = (
                sa.select(*columns)
                .distinct()
                .where(
                    *(
                        column.in_([self._bind(column.name, part) for part in values])
                        for column, values in zip(columns, parts, strict=True)
                    )
                )
            )
            found.update(
                tuple(canonical(cell) for cell in row) for row in self.connection.execute(query)
            )
        return found & set(groups)

    def _in_group(self, group: tuple[Any, ...]) -> list[sa.ColumnElement[bool]]:
        return [
            self.table.c[name] == self._bind(name, part)
            for name, part in zip(self.key[:-1], group, strict=True)
        ]

    def natural_key(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The natural key of a row as the file names it, for the replacement record."""
        return {name: row[name] for name in self.kind.natural_key}

    def _record_replacements(
        self,
        resolved: pd.DataFrame,
        records: list[tuple[int, int, tuple[Any, ...]]],
        batch_id: int,
    ) -> None:
        positions = [position for _, position, _ in records]
        rows = resolved.iloc[positions].to_dict("records")
        bulk_insert(
            self.connection,
            table_of(ImportReplacement),
            ["batch_id", "row_number", "natural_key", "previous"],
            (
                (
                    batch_id,
                    row_number,
                    json.dumps(self.natural_key(row), ensure_ascii=False),
                    json.dumps(dict(zip(self.values, previous, strict=True)), ensure_ascii=False),
                )
                for (row_number, _, previous), row in zip(records, rows, strict=True)
            ),
        )


class WorkerRowsWriter(TableWriter):
    """Roster and payroll rows: a project's month per worker; new workers are added."""

    key = ("project_id", "month", "id_number")

    def resolve(self, clean: pd.DataFrame, errors: RowErrors) -> pd.DataFrame:
        resolved = clean.copy()
        resolved["project_id"] = self.resolve_projects(clean, errors)
        return resolved

    def before_insert(self, rows: pd.DataFrame) -> None:
        """Add the workers (by resident ID, the primary key) that are not stored yet."""
        workers = rows.drop_duplicates("id_number")
        ids = workers["id_number"].tolist()
        table = table_of(Worker)
        known = stored_values(self.connection, table.c.id_number, ids)
        new = [
            (id_number, name)
            for id_number, name in zip(ids, workers["worker_name"].tolist(), strict=True)
            if id_number not in known
        ]
        if not new:
            return
        created_at = driver_value(self.connection, table.c.created_at, utcnow())
        rows_out = ((id_number, name, created_at) for id_number, name in new)
        bulk_insert(self.connection, table, ["id_number", "name", "created_at"], rows_out)


class RosterWriter(WorkerRowsWriter):
    """Monthly attendance (实名制考勤) into ``roster_entries``."""

    kind = ROSTER
    table = table_of(RosterEntry)
    values = ("worker_name", "employer", "team", "trade", "days_present", "entered_on", "left_on")


class PayrollWriter(WorkerRowsWriter):
    """Payroll sheets (工资支付表) into ``payroll_lines``."""

    kind = PAYROLL
    table = table_of(PayrollLine)
    values = (
        "worker_name",
        "employer",
        "days_worked",
        "wage_payable",
        "wage_paid",
        "paid_on",
        "bank_card",
        "paid_via",
    )


class EscrowWriter(TableWriter):
    """Wage-account statements (专户流水) into ``account_transactions``.

    A row names its account by number or by its project; both must agree when both are
    given. The natural key is the account (its number, whichever way the row named it) and
    the bank's transaction id. A bank sends statements only of the accounts it holds: a row
    of another bank's account is ``out_of_scope``.
    """

    kind = ESCROW
    table = table_of(AccountTransaction)
    key = ("wage_account_id", "txn_id")
    values = (
        "txn_date",
        "kind",
        "amount",
        "counterparty",
        "counterparty_account",
        "id_number",
        "balance",
    )

    def __init__(
        self,
        connection: sa.Connection,
        *,
        scope: set[str] | None = None,
        banks: set[str] | None = None,
    ) -> None:
        super().__init__(connection, scope=scope, banks=banks)
        self._accounts: dict[str, tuple[int, str] | None] = {}

    def _account_projects(self, numbers: Iterable[str]) -> dict[str, tuple[int, str] | None]:
        """Account number -> (account id, project code), None for unknown accounts."""
        missing = sorted({n for n in numbers if n not in self._accounts})
        for batch in _batches(missing):
            query = (
                sa.select(WageAccount.account_no, WageAccount.id, Project.code)
                .join(Project, Project.id == WageAccount.project_id)
                .where(WageAccount.account_no.in_(batch))
            )
            for number, account_id, code in self.connection.execute(query):
                self._accounts[number] = (account_id, code)
        for number in missing:
            self._accounts.setdefault(number, None)
        return self._accounts

    def resolve(self, clean: pd.DataFrame, errors: RowErrors) -> pd.DataFrame:
        rows = clean.index
        numbers = clean["wage_account_no"].to_numpy()
        by_number = _given(numbers)
        accounts = self._account_projects(pd.unique(numbers[by_number]).tolist())
        # The project of the account each row names, if it names a known one.
        account_codes = _lookup(numbers, {n: a[1] for n, a in accounts.items() if a is not None})
        unknown_account = by_number & ~_given(account_codes)
        errors.add(
            rows[unknown_account],
            "wage_account_no",
            "unknown_account",
            "no wage account has this number",
            numbers[unknown_account],
        )
        codes = clean["project_code"].to_numpy()
        # The project: the row's own code, else its account's.
        project_codes = np.where(_given(codes), codes, account_codes)
        refs = self.project_refs(pd.unique(project_codes[_given(project_codes)]).tolist())
        known = {code: ref for code, ref in refs.items() if ref is not None}
        project_ids = _lookup(project_codes, {code: ref.id for code, ref in known.items()})
        unknown_project = _given(codes) & ~_given(project_ids)
        errors.add(
            rows[unknown_project],
            "project_code",
            "unknown_project",
            "no project has this project_code; import the project first",
            codes[unknown_project],
        )
        mismatch = _given(codes) & _given(account_codes) & (codes != account_codes)
        errors.add(
            rows[mismatch],
            "wage_account_no",
            "account_mismatch",
            [
                f"this wage account belongs to project {code}, not to the row's project_code"
                for code in account_codes[mismatch].tolist()
            ],
            numbers[mismatch],
        )
        account_ids = _lookup(project_codes, {c: ref.account_id for c, ref in known.items()})
        no_account = ~by_number & _given(project_ids) & ~_given(account_ids)
        errors.add(
            rows[no_account],
            "project_code",
            "no_wage_account",
            "this project has no wage account on record; give wage_account_no or import "
            "the account with the project",
            codes[no_account],
        )
        contractors = _lookup(
            project_codes, {c: ref.contractor_credit_code for c, ref in known.items()}
        )
        outside = _given(project_ids) & ~self.in_scope(contractors)
        account_banks = _lookup(project_codes, {c: ref.account_bank for c, ref in known.items()})
        other_bank = _given(account_ids) & ~self.at_banks(account_banks)
        for name, named in (("wage_account_no", by_number), ("project_code", ~by_number)):
            shown = numbers if name == "wage_account_no" else codes
            for hit, text in ((outside & named, OUT_OF_SCOPE), (other_bank & named, OTHER_BANK)):
                errors.add(rows[hit], name, "out_of_scope", text, shown[hit])
        unusable = unknown_account | unknown_project | mismatch | no_account | outside | other_bank
        account_ids[unusable] = None
        resolved = clean.copy()
        resolved["wage_account_id"] = account_ids
        resolved["wage_account_no"] = _lookup(
            project_codes, {c: ref.account_no for c, ref in known.items()}
        )
        resolved.loc[unusable, "wage_account_no"] = None
        return resolved


class MinimumWagesWriter(TableWriter):
    """The minimum wage table (最低工资标准) by region and effective date."""

    kind = MINIMUM_WAGES
    table = table_of(MinimumWage)
    key = ("region", "effective_from")
    values = ("monthly", "hourly_part_time")

    def resolve(self, clean: pd.DataFrame, errors: RowErrors) -> pd.DataFrame:
        return clean


PROJECT_COLUMNS = (
    "project_code",
    "project_name",
    "district",
    "owner_name",
    "owner_credit_code",
    "contractor_name",
    "contractor_credit_code",
    "contract_signed_on",
    "contract_amount",
    "start_date",
    "planned_end_date",
    "status",
    "pay_day",
    "rights_board",
    "labor_officer",
)
ACCOUNT_COLUMNS = ("wage_account_no", "wage_account_bank", "wage_account_opened_on")
GUARANTEE_COLUMNS = ("guarantee_form", "guarantee_amount", "guarantee_valid_until")


def _project_snapshot(project: Project) -> dict[str, Any]:
    """A stored project in the columns of a projects file."""
    account, guarantee = project.wage_account, project.guarantee
    values = {
        "project_code": project.code,
        "project_name": project.name,
        "district": project.district,
        "owner_name": project.owner.name,
        "owner_credit_code": project.owner.credit_code,
        "contractor_name": project.contractor.name,
        "contractor_credit_code": project.contractor.credit_code,
        "contract_signed_on": project.contract_signed_on,
        "contract_amount": project.contract_amount,
        "start_date": project.start_date,
        "planned_end_date": project.planned_end_date,
        "status": project.status,
        "pay_day": project.pay_day,
        "rights_board": project.rights_board,
        "labor_officer": project.labor_officer,
        "wage_account_no": account.account_no if account else None,
        "wage_account_bank": account.bank if account else None,
        "wage_account_opened_on": account.opened_on if account else None,
        "guarantee_form": guarantee.form if guarantee else None,
        "guarantee_amount": guarantee.amount if guarantee else None,
        "guarantee_valid_until": guarantee.valid_until if guarantee else None,
    }
    return {name: canonical(value) for name, value in values.items()}


def _compared(row: Mapping[str, Any]) -> tuple[str, ...]:
    """The columns a projects row decides: a blank account or guarantee keeps the stored
    one, and a blank owner credit code keeps the owner found by name."""
    names = [n for n in PROJECT_COLUMNS if n != "owner_credit_code" or row[n] is not None]
    if row["wage_account_no"] is not None:
        names.extend(ACCOUNT_COLUMNS)
    if row["guarantee_form"] is not None:
        names.extend(GUARANTEE_COLUMNS)
    return tuple(names)


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


class ProjectsWriter(Writer):
    """The bureau's project register (项目信息): projects with their owner and contractor
    (enterprises upserted by credit code, an owner without one by name), wage account and
    guarantee. A small file, written through the ORM."""

    kind = PROJECTS

    def __init__(
        self,
        connection: sa.Connection,
        *,
        scope: set[str] | None = None,
        banks: set[str] | None = None,
    ) -> None:
        super().__init__(connection, scope=scope, banks=banks)
        self._account_rows: dict[str, tuple[str, int]] = {}

    def resolve(self, clean: pd.DataFrame, errors: RowErrors) -> pd.DataFrame:
        rows = clean.index
        contractors = clean["contractor_credit_code"].to_numpy()
        outside = _given(contractors) & ~self.in_scope(contractors)
        errors.add(
            rows[outside],
            "contractor_credit_code",
            "out_of_scope",
            "this contractor is not one the submitter may write for",
            contractors[outside],
        )
        codes = clean["project_code"].to_numpy()
        refs = _lookup(codes, self.project_refs(pd.unique(codes[_given(codes)]).tolist()))
        stored_contractors = np.array(
            [ref.contractor_credit_code if ref else None for ref in refs.tolist()], dtype=object
        )
        taken = _given(refs) & ~self.in_scope(stored_contractors) & ~outside
        errors.add(rows[taken], "project_code", "out_of_scope", OUT_OF_SCOPE, codes[taken])
        self._check_accounts(clean, errors)
        return clean

    def _check_accounts(self, clean: pd.DataFrame, errors: RowErrors) -> None:
        """A wage account belongs to one project (one account per project, Art. 26)."""
        numbers = clean["wage_account_no"].to_numpy()
        given = _given(numbers)
        owners: dict[str, str] = {}
        for batch in _batches(pd.unique(numbers[given]).tolist()):
            query = (
                sa.select(WageAccount.account_no, Project.code)
                .join(Project, Project.id == WageAccount.project_id)
                .where(WageAccount.account_no.in_(batch))
            )
            owners.update((number, code) for number, code in self.connection.execute(query))
        codes = clean["project_code"].tolist()
        for row, number, code in zip(clean.index, numbers.tolist(), codes, strict=True):
            if number is None:
                continue
            stored = owners.get(number)
            earlier = self._account_rows.setdefault(number, (code, row))
            if stored is not None and stored != code:
                text = f"this wage account is already the account of project {stored}"
            elif earlier[0] != code:
                text = (
                    f"this wage account is also given for project {earlier[0]} in row {earlier[1]}"
                )
            else:
                continue
            errors.add([row], "wage_account_no", "account_in_use", text, [number])

    def store(self, resolved: pd.DataFrame, *, batch_id: int | None) -> Counts:
        counts = Counts()
        session = Session(bind=self.connection, autoflush=False)
        try:
            codes = resolved["project_code"].tolist()
            stored = {
                project.code: project
                for project in session.scalars(
                    sa.select(Project)
                    .where(Project.code.in_(codes))
                    .options(
                        selectinload(Project.owner),
                        selectinload(Project.contractor),
                        selectinload(Project.wage_account),
                        selectinload(Project.guarantee),
                    )
                )
            }
            enterprises = _Enterprises(session)
            for row_number, row in zip(resolved.index, resolved.to_dict("records"), strict=True):
                project = stored.get(row["project_code"])
                before = _project_snapshot(project) if project is not None else None
                if before is not None and all(before[n] == row[n] for n in _compared(row)):
                    counts.unchanged += 1
                    continue
                if before is None:
                    counts.inserted += 1
                else:
                    counts.replaced += 1
                if batch_id is None:
                    continue
                if project is None:
                    project = Project(code=row["project_code"])
                    session.add(project)
                    stored[project.code] = project
                else:
                    session.add(
                        ImportReplacement(
                            batch_id=batch_id,
                            row_number=int(row_number),
                            natural_key={"project_code": project.code},
                            previous=before,
                        )
                    )
                self._fill(project, row, enterprises, batch_id)
            session.flush()
        finally:
            session.close()
        return counts

    @staticmethod
    def _fill(
        project: Project, row: Mapping[str, Any], enterprises: _Enterprises, batch_id: int
    ) -> None:
        project.name = row["project_name"]
        project.district = row["district"]
        project.owner = enterprises.get(row["owner_credit_code"], row["owner_name"])
        project.contractor = enterprises.get(row["contractor_credit_code"], row["contractor_name"])
        project.contract_signed_on = _date(row["contract_signed_on"])
        project.contract_amount = _money(row["contract_amount"])
        project.start_date = date.fromisoformat(row["start_date"])
        project.planned_end_date = _date(row["planned_end_date"])
        project.status = row["status"]
        project.pay_day = row["pay_day"]
        project.rights_board = row["rights_board"]
        project.labor_officer = row["labor_officer"]
        project.batch_id = batch_id
        if row["wage_account_no"] is not None:
            account = project.wage_account or WageAccount()
            account.account_no = row["wage_account_no"]
            account.bank = row["wage_account_bank"]
            account.opened_on = _date(row["wage_account_opened_on"])
            project.wage_account = account
        if row["guarantee_form"] is not None:
            guarantee = project.guarantee or Guarantee()
            guarantee.form = row["guarantee_form"]
            guarantee.amount = _money(row["guarantee_amount"])
            guarantee.valid_until = _date(row["guarantee_valid_until"])
            project.guarantee = guarantee


class _Enterprises:
    """Owners and contractors met in a file: by credit code, or by name when it has none."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_code: dict[str, Enterprise] = {}
        self._by_name: dict[str, Enterprise] = {}

    def get(self, credit_code: str | None, name: str) -> Enterprise:
        if credit_code is not None:
            enterprise = (
                self._by_code.get(credit_code)
                or self.session.scalars(
                    sa.select(Enterprise).where(Enterprise.credit_code == credit_code)
                ).first()
            )
            if enterprise is None:
                enterprise = Enterprise(name=name, credit_code=credit_code)
                self.session.add(enterprise)
            enterprise.name = name
            self._by_code[credit_code] = enterprise
            return enterprise
        enterprise = (
            self._by_name.get(name)
            or self.session.scalars(
                sa.select(Enterprise)
                .where(Enterprise.name == name)
                .order_by(Enterprise.credit_code.is_not(None), Enterprise.id)
            ).first()
        )
        if enterprise is None:
            enterprise = Enterprise(name=name)
            self.session.add(enterprise)
        self._by_name[name] = enterprise
        return enterprise


WRITERS: dict[str, type[Writer]] = {
    writer.kind.name: writer
    for writer in (ProjectsWriter, RosterWriter, PayrollWriter, EscrowWriter, MinimumWagesWriter)
}
