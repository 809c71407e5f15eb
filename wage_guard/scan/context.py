"""What a scan sees: the database as of a date, through set-based queries cached per scan.

Every query aggregates in the database (``GROUP BY`` project and month, or returns only the
exceptions a check looks for); nothing here loops over projects or rows. Amounts come back
as integers of fen (``*_cents``), exact on SQLite and PostgreSQL alike. Nothing dated after
the scan date is seen: later months, later payments and later transactions are left out.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from wage_guard.scan.calendar import month_ends, month_of, pay_deadlines

# A month is closed `grace_days` after its last day (RULES.md, labor_cost_not_allocated).
DEFAULT_GRACE_DAYS = 5

# Keys bound in one statement by ``query_keys``: within SQLite's smallest limit on the
# parameters of a statement (999), far within PostgreSQL's.
KEYS_PER_STATEMENT = 900


def cents(expression: str) -> str:
    """SQL turning a sum of yuan into whole fen, exact on both databases."""
    return f"CAST(ROUND(({expression}) * 100) AS BIGINT)"


def up_to_scan_month(column: str) -> str:
    """SQL keeping the rows of months up to the scan's, for a query that reads nearly a whole
    table: an expression, so that the table is scanned in order rather than an index skip-
    scanned and each row fetched by its id (what SQLite does once ANALYZE has run)."""
    return f"substr({column}, 1, 7) <= :as_of_month"


def _dates(series: pd.Series) -> pd.Series:
    """Dates from either driver (strings on SQLite, ``date`` on PostgreSQL) as datetime64[ns]."""
    return pd.to_datetime(series, errors="coerce").astype("datetime64[ns]")


# The columns of ``ScanContext.payroll_exceptions``, in order.
EXCEPTION_COLUMNS = (
    "project_id", "month", "id_number", "worker_name", "days_present", "payable_cents",
    "paid_cents", "paid_on", "paid_via", "worked_tenths",
)  # fmt: skip

# On PostgreSQL, the share of the payroll lines above which the months that may have lines off
# the roster are found by joining the whole payroll to the roster rather than read whole
# (``ScanContext._months_off_roster``).
OFF_ROSTER_SHARE = 0.25

# An extract of the context, as ``prefetch`` takes it: ``ScanContext.payroll_months``.
Extract = Callable[["ScanContext"], Any]


def _cancel(connection: sa.Connection) -> None:
    """Cancel the statement running on ``connection``, from another thread (none running:
    nothing happens)."""
    driver = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        driver.cancel()  # type: ignore[union-attr]
    else:
        driver.interrupt()  # type: ignore[union-attr]


@dataclass
class ScanContext:
    """A scan's view of the database as of ``as_of``; each extract is computed once.

    Helper threads may compute extracts ahead of the checks (``prefetch``), each on its own
    connection to the same snapshot: an extract is computed by whichever thread asks for it
    first, and a thread asking for one under way elsewhere waits for it.
    """

    connection: sa.Connection
    as_of: date
    grace_days: int = DEFAULT_GRACE_DAYS
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    # The seed of ``_ids_hash``, drawn anew for each scan: no one can choose ID numbers
    # whose hashes add up to those of others.
    _hash_seed: int = field(default_factory=lambda: secrets.randbits(63), repr=False)
    _under_way: dict[str, Future[pd.DataFrame]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _thread: threading.local = field(default_factory=threading.local, repr=False)
    _prefetching: list[tuple[threading.Thread, sa.Connection]] = field(
        default_factory=list, repr=False
    )
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _prefetch_queue: deque[Extract] = field(default_factory=deque, repr=False)

    @property
    def as_of_month(self) -> str:
        return month_of(self.as_of)

    @property
    def as_of_ts(self) -> pd.Timestamp:
        return pd.Timestamp(self.as_of)

    def query(self, sql: str, **params: Any) -> pd.DataFrame:
        """Run ``sql`` (with ``:as_of`` and ``:as_of_month`` always bound) into a frame."""
        return self._frame(sa.text(sql), params)

    def query_keys(self, sql: str, keys: pd.DataFrame, **params: Any) -> pd.DataFrame:
        """``query`` for the rows of many keys an earlier query found, read through an index
        a chunk of keys at a time rather than joined to that query (which the planner may
        answer by reading the whole table).

        ``keys`` has the columns ``value``, ``first`` and ``last`` (a range of months); ``sql``
        takes the chunk's values as a list (``... IN :values``) and its months as ``:first``
        and ``:last``. Chunks follow the months' order; a chunk crosses its values and its
        months, so the rows are a superset of the keys' for the caller to narrow. No keys,
        no query: an empty frame.
        """
        statement = sa.text(sql).bindparams(sa.bindparam("values", expanding=True))
        ordered = keys.sort_values(["first", "value"])
        frames = [
            self._frame(
                statement,
                {
                    **params,
                    "values": sorted(set(chunk["value"])),
                    "first": chunk["first"].min(),
                    "last": chunk["last"].max(),
                },
            )
            for chunk in (
                ordered.iloc[start : start + KEYS_PER_STATEMENT]
                for start in range(0, len(ordered), KEYS_PER_STATEMENT)
            )
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def _frame(self, statement: sa.TextClause, params: dict[str, Any]) -> pd.DataFrame:
        bound = {"as_of": self.as_of, "as_of_month": self.as_of_month, **params}
        result = self._connection().execute(statement, bound)
        # Plain tuples: pandas builds a frame from SQLAlchemy rows many times slower.
        rows = [tuple(row) for row in result]
        return pd.DataFrame(rows, columns=list(result.keys()))

    def _connection(self) -> sa.Connection:
        """This thread's connection: a helper thread's own, else the scan's main one."""
        return getattr(self._thread, "connection", None) or self.connection

    def _up_to_scan_month(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of months up to the scan's, of an aggregate grouped by month. Kept here
        rather than in its SQL: the test on every row costs more than the few groups it
        drops, and makes SQLite skip-scan its index."""
        return frame[frame["month"] <= self.as_of_month].reset_index(drop=True)

    def _cached(self, key: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """The extract ``key``: kept, waited for when another thread is computing it, else
        built here. A failed build is raised to every thread waiting for it, and built
        again by the next that asks."""
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            under_way = self._under_way.get(key)
            if under_way is None:
                mine: Future[pd.DataFrame] = Future()
                self._under_way[key] = mine
        if under_way is not None:
            while not under_way.done() and self._prefetch_next():
                pass
            return under_way.result()
        try:
            frame = build()
        except BaseException as exc:
            with self._lock:
                del self._under_way[key]
            mine.set_exception(exc)
            raise
        with self._lock:
            self._cache[key] = frame
            del self._under_way[key]
        mine.set_result(frame)
        return frame

    def prefetch(self, connections: Sequence[sa.Connection], extracts: Sequence[Extract]) -> None:
        """Compute ``extracts`` ahead of the checks, in order, a thread for each of the
        ``connections`` (helpers of the scan's snapshot), each extract in a savepoint. A check
        that must wait for one under way computes the next ones meanwhile, on its own
        connection. An extract that another has begun is skipped; one that fails is left for
        the check that asks for it, which builds it again. Call ``stop`` before the
        connections close."""
        with self._lock:
            self._prefetch_queue.extend(extracts)

        def work(connection: sa.Connection) -> None:
            self._thread.connection = connection
            while not self._stopping.is_set() and self._prefetch_next():
                pass

        for connection in connections:
            thread = threading.Thread(
                target=work, args=(connection,), name="scan-prefetch", daemon=True
            )
            self._prefetching.append((thread, connection))
            thread.start()

    def _prefetch_next(self) -> bool:
        """Compute the next extract of the ``prefetch`` queue on this thread's connection;
        False when the queue is empty."""
        with self._lock:
            if not self._prefetch_queue:
                return False
            extract = self._prefetch_queue.popleft()
        try:
            with self._connection().begin_nested():
                extract(self)
        except Exception:  # the check that asks for it meets it again
            pass
        return True

    def stop(self) -> None:
        """Stop the prefetching threads, cancelling the statement each is running (a scan of
        a few rules does not wait for extracts it will never use)."""
        self._stopping.set()
        for thread, connection in self._prefetching:
            if thread.is_alive():
                _cancel(connection)
            thread.join()

    # -- projects ---------------------------------------------------------------------------

    def projects(self) -> pd.DataFrame:
        """One row per project with its account and guarantee.

        Columns: project_id, code, name, district, status, start_date, planned_end_date,
        contract_signed_on, contract_amount_cents, pay_day, rights_board, labor_officer,
        contractor_credit_code, account_id, account_no, account_opened_on, guarantee_form,
        guarantee_amount_cents, guarantee_valid_until. Dates are ``datetime64``.
        """

        def build() -> pd.DataFrame:
            frame = self.query(
                f"""
                SELECT p.id AS project_id, p.code, p.name, p.district, p.status,
                       p.start_date, p.planned_end_date, p.contract_signed_on,
                       {cents("p.contract_amount")} AS contract_amount_cents,
                       p.pay_day, p.rights_board, p.labor_officer,
                       c.credit_code AS contractor_credit_code,
                       a.id AS account_id, a.account_no, a.opened_on AS account_opened_on,
                       g.form AS guarantee_form,
                       {cents("g.amount")} AS guarantee_amount_cents,
                       g.valid_until AS guarantee_valid_until
                FROM projects p
                JOIN enterprises c ON c.id = p.contractor_id
                LEFT JOIN wage_accounts a ON a.project_id = p.id
                LEFT JOIN guarantees g ON g.project_id = p.id
                ORDER BY p.id
                """
            )
            for column in (
                "start_date",
                "planned_end_date",
                "contract_signed_on",
                "account_opened_on",
                "guarantee_valid_until",
            ):
                frame[column] = _dates(frame[column])
            for column in ("contract_amount_cents", "guarantee_amount_cents", "account_id"):
                frame[column] = frame[column].astype("Int64")
            frame["pay_day"] = frame["pay_day"].astype(int)
            frame["rights_board"] = frame["rights_board"].astype("boolean")
            return frame

        return self._cached("projects", build)

    def project_months(self) -> pd.DataFrame:
        """One row per project and wage month, from its start month to the scan's month.

        Columns: project_id, month, month_start, month_end, pay_deadline, due, closed,
        active, days_past_deadline. Active follows RULES.md: started by the month's end, and
        in progress, or completed/suspended with the best known end date on or after the
        month's first day (the planned end date, else the last month with roster or payroll
        data); a project still preparing has no active month.
        """

        def build() -> pd.DataFrame:
            projects = self.projects()
            columns = [
                "project_id", "month", "month_start", "month_end", "pay_deadline",
                "due", "closed", "active", "days_past_deadline",
            ]  # fmt: skip
            started = projects[projects["start_date"].notna()]
            if started.empty:
                return pd.DataFrame(columns=columns)
            # Months as integers (year * 12 + month - 1), each project's from its first on.
            start = started["start_date"]
            first = (start.dt.year * 12 + start.dt.month - 1).to_numpy()
            last = self.as_of.year * 12 + self.as_of.month - 1
            spans = np.clip(last - first + 1, 0, None)
            repeated = started.loc[started.index.repeat(spans)]
            index = np.repeat(first, spans) + repeated.groupby(level=0).cumcount().to_numpy()
            month_start = pd.to_datetime(
                pd.DataFrame({"year": index // 12, "month": index % 12 + 1, "day": 1})
            )
            frame = pd.DataFrame(
                {
                    "project_id": repeated["project_id"].to_numpy(),
                    "month": month_start.dt.strftime("%Y-%m").to_numpy(),
                    "month_start": month_start.to_numpy(),
                    "pay_day": repeated["pay_day"].to_numpy(),
                    "status": repeated["status"].to_numpy(),
                    "planned_end_date": repeated["planned_end_date"].to_numpy(),
                }
            )
            frame["month_end"] = month_ends(frame["month"])
            frame["pay_deadline"] = pay_deadlines(frame["month"], frame["pay_day"])
            as_of = self.as_of_ts
            frame["due"] = as_of > frame["pay_deadline"]
            frame["closed"] = as_of > frame["month_end"] + timedelta(days=self.grace_days)
            frame["days_past_deadline"] = (as_of - frame["pay_deadline"]).dt.days
            last_data = self._last_data_month()
            best_end = frame["planned_end_date"].fillna(
                frame["project_id"].map(last_data).pipe(pd.to_datetime) + pd.offsets.MonthEnd(0)
            )
            in_progress = frame["status"] == "in_progress"
            ended_later = frame["status"].isin(["completed", "suspended"]) & (
                best_end >= frame["month_start"]
            )
            frame["active"] = (in_progress | ended_later).fillna(False).astype(bool)
            return frame[columns]

        return self._cached("project_months", build)

    def _last_data_month(self) -> pd.Series:
        """Each project's last month with roster or payroll data, from the cached monthly
        extracts (no further pass over the big tables). The payroll's first: a helper thread
        begins with the roster's (``WHOLE_TABLE_EXTRACTS``)."""
        months = pd.concat(
            [
                self.payroll_months()[["project_id", "month"]],
                self.roster_months()[["project_id", "month"]],
            ]
        )
        if months.empty:
            return pd.Series(dtype="object")
        last = months.sort_values("month").drop_duplicates("project_id", keep="last")
        return (last["month"] + "-01").set_axis(last["project_id"])

    # -- payroll and roster ----------------------------------------------------------------

    def payroll_months(self) -> pd.DataFrame:
        """Payroll per project and month: lines, payable, paid (only payments dated by the
        scan date count), the last pay date. Counts of workers owed or paid outside the
        account come from the lines of ``payroll_exceptions``.

        Columns: project_id, month, lines, payable_cents, paid_cents, unpaid_cents,
        last_paid_on (datetime64, <NaT> when nothing was paid by the scan date); on
        PostgreSQL also ids_hash (``_ids_hash``).
        """

        def build() -> pd.DataFrame:
            paid = "CASE WHEN paid_on IS NOT NULL AND paid_on <= :as_of THEN wage_paid ELSE 0 END"
            frame = self.query(
                f"""
                SELECT project_id, month, COUNT(*) AS lines,
                       {cents("SUM(wage_payable)")} AS payable_cents,
                       {cents(f"SUM({paid})")} AS paid_cents,
                       MAX(CASE WHEN wage_paid > 0 AND paid_on <= :as_of THEN paid_on END)
                           AS last_paid_on{self._ids_hash("id_number")}
                FROM payroll_lines
                GROUP BY project_id, month
                """
            ).pipe(self._up_to_scan_month)
            frame["last_paid_on"] = _dates(frame["last_paid_on"])
            numeric = [
                c
                for c in frame.columns
                if c not in ("project_id", "month", "last_paid_on", "ids_hash")
            ]
            frame[numeric] = frame[numeric].fillna(0).astype("int64")
            frame["unpaid_cents"] = (frame["payable_cents"] - frame["paid_cents"]).clip(lower=0)
            return frame

        return self._cached("payroll_months", build)

    def roster_months(self) -> pd.DataFrame:
        """Roster per project and month. Columns: project_id, month, rows, attended
        (workers with days present > 0), days (total days present); on PostgreSQL also
        ids_hash, of the attended workers (``_ids_hash``)."""

        def build() -> pd.DataFrame:
            attended = "CASE WHEN days_present > 0 THEN id_number END"
            frame = self.query(
                f"""
                SELECT project_id, month, COUNT(*) AS rows,
                       SUM(CASE WHEN days_present > 0 THEN 1 ELSE 0 END) AS attended,
                       SUM(days_present) AS days{self._ids_hash(attended)}
                FROM roster_entries
                GROUP BY project_id, month
                """
            ).pipe(self._up_to_scan_month)
            frame[["rows", "attended", "days"]] = frame[["rows", "attended", "days"]].astype(
                "int64"
            )
            return frame

        return self._cached("roster_months", build)

    def payroll_exceptions(self) -> pd.DataFrame:
        """The payroll lines, up to the scan's month, that worker-level checks look at, with
        the roster row of their project, month and worker: lines of months before the scan's
        owed (payable above what was paid by the scan date) or paid nothing by it, lines that
        may be payable below their minimum wage (below the highest monthly minimum of the
        table prorated by their days worked, ``below_minimum_wage``), lines paid by the scan
        date outside the wage account, and lines with no roster row or whose roster row shows
        no day present. Each check narrows them to its own.

        SQLite reads them in one pass joining the payroll to the roster. PostgreSQL, for
        which that join costs as much as several passes over either table, reads only the
        months that may have lines off the roster (``_months_off_roster``) whole.

        Columns: project_id, month, id_number, worker_name, days_present (on the roster;
        <NA> when it has no row), payable_cents, paid_cents (paid by the scan date), paid_on
        (datetime64, <NaT> unless paid by then), paid_via, worked_tenths (days worked in
        tenths, <NA> when not given).
        """

        def build() -> pd.DataFrame:
            paid = (
                "CASE WHEN p.paid_on IS NOT NULL AND p.paid_on <= :as_of "
                "THEN p.wage_paid ELSE 0 END"
            )
            line = f"""
                p.project_id, p.month, p.id_number, p.worker_name,
                {cents("p.wage_payable")} AS payable_cents, {cents(paid)} AS paid_cents,
                CASE WHEN p.wage_paid > 0 AND p.paid_on <= :as_of THEN p.paid_on END AS paid_on,
                p.paid_via, CAST(ROUND(p.days_worked * 10) AS INTEGER) AS worked_tenths
            """
            minimums = self.minimum_wages()["monthly_cents"]
            # payable * 100 < round(highest * min(days, 21.75) / 21.75) implies, times 2175,
            # payable * 217500 < highest * min(days, 21.75) * 100 + 1087.5 (days unknown: a
            # full month), which implies payable < highest // 100 + 1 in whole yuan, a cheaper
            # test made first.
            highest = int(minimums.max()) if len(minimums) else 0
            prorated_highest = (
                ":highest_minimum_cents * (CASE WHEN p.days_worked < 21.75 "
                "THEN p.days_worked * 100 ELSE 2175 END) + 1088"
            )
            # Exceptional whatever the roster says. Months before the scan's: lines paid
            # nothing by the scan date (roster_mismatches) or paid less than payable (owed).
            exceptional = f"""
                (p.month < :as_of_month
                 AND (p.wage_paid = 0 OR p.paid_on IS NULL OR p.paid_on > :as_of
                      OR p.wage_payable > p.wage_paid))
                OR (p.wage_payable < :highest_minimum_yuan
                    AND p.wage_payable * 217500 < {prorated_highest})
                OR (p.paid_via <> 'account' AND p.wage_paid > 0 AND p.paid_on <= :as_of)
            """
            bounds = {"highest_minimum_cents": highest, "highest_minimum_yuan": highest // 100 + 1}
            differ = self._months_off_roster()
            if differ is not None:
                frame = self._payroll_exceptions_in(differ, line, exceptional, bounds)
            else:
                frame = self.query(
                    f"""
                    SELECT {line}, r.days_present
                    FROM payroll_lines p
                    LEFT JOIN roster_entries r
                      ON r.project_id = p.project_id AND r.month = p.month
                     AND r.id_number = p.id_number
                    WHERE {up_to_scan_month("p.month")}
                      AND (r.id IS NULL OR r.days_present = 0 OR {exceptional})
                    """,
                    **bounds,
                )
            frame = frame[list(EXCEPTION_COLUMNS)].copy()
            frame["days_present"] = frame["days_present"].astype("Int64")
            frame["paid_on"] = _dates(frame["paid_on"])
            frame["worked_tenths"] = frame["worked_tenths"].astype("Int64")
            return frame

        return self._cached("payroll_exceptions", build)

    def _months_off_roster(self) -> pd.DataFrame | None:
        """On PostgreSQL, the months up to the scan's that may have payroll lines off the
        roster (no row, or a row with no day present); None elsewhere, or when they hold more
        than ``OFF_ROSTER_SHARE`` of the lines (``payroll_exceptions`` then joins the whole
        payroll to the roster).

        Such a line can only be in a month whose lines and attended workers differ: in number,
        or in the sum of a 64-bit hash of their ID numbers (``_ids_hash``), which
        ``payroll_months`` and ``roster_months`` carry at little cost. Two different sets of
        workers of one size with the same sum would be taken for equal: about one chance in
        2^64. The hash is seeded anew for each scan, so that sets cannot be built to that
        end: with a known seed, a search over some 2^32 made-up ID numbers would find two
        whose hashes add up to those of two real workers.

        Columns: project_id, month, lines.
        """
        if self.connection.dialect.name != "postgresql":
            return None
        keys = ["project_id", "month"]
        months = self.payroll_months()[[*keys, "lines", "ids_hash"]].merge(
            self.roster_months()[[*keys, "attended", "ids_hash"]],
            on=keys,
            how="left",
            suffixes=("", "_attended"),
        )
        differ = months[
            (months["lines"] != months["attended"])
            | (months["ids_hash"] != months["ids_hash_attended"])
        ]
        if differ["lines"].sum() > OFF_ROSTER_SHARE * months["lines"].sum():
            return None
        return differ[[*keys, "lines"]].reset_index(drop=True)

    def _payroll_exceptions_in(
        self, months: pd.DataFrame, line: str, exceptional: str, bounds: dict[str, int]
    ) -> pd.DataFrame:
        """``payroll_exceptions`` on PostgreSQL without joining the whole payroll to the whole
        roster, which costs there as much as several passes over either: the lines exceptional
        on their own, read from the payroll alone; the lines of the ``months`` that may have
        lines off the roster (``_months_off_roster``), read whole through the payroll's key;
        and the roster rows of both, through the roster's key."""
        lines = self.query(
            f"""
            SELECT {line} FROM payroll_lines p
            WHERE {up_to_scan_month("p.month")} AND ({exceptional})
            """,
            **bounds,
        ).assign(exceptional=True)
        in_months = self.query(
            f"""
            SELECT {line} FROM payroll_lines p
            JOIN unnest(CAST(:projects AS integer[]), CAST(:months AS text[]))
                 AS k(project_id, month)
              ON p.project_id = k.project_id AND p.month = k.month
            """,
            projects=months["project_id"].tolist(),
            months=months["month"].tolist(),
        ).assign(exceptional=False)
        found = pd.concat([lines, in_months], ignore_index=True).drop_duplicates(
            ["project_id", "month", "id_number"]
        )
        # A subquery a line, so that each is one lookup in the roster's key (joined, the
        # planner would rather hash the whole roster).
        roster = self.query(
            """
            SELECT k.project_id, k.month, k.id_number,
                   (SELECT r.days_present FROM roster_entries r
                    WHERE r.project_id = k.project_id AND r.month = k.month
                      AND r.id_number = k.id_number) AS days_present
            FROM unnest(CAST(:projects AS integer[]), CAST(:months AS text[]),
                        CAST(:ids AS text[])) AS k(project_id, month, id_number)
            """,
            projects=found["project_id"].tolist(),
            months=found["month"].tolist(),
            ids=found["id_number"].tolist(),
        )
        found = found.merge(
            roster.astype({"project_id": found["project_id"].dtype}),
            on=["project_id", "month", "id_number"],
            how="left",
        )
        off_roster = found["days_present"].isna() | (found["days_present"] == 0)
        return found[found["exceptional"] | off_roster].reset_index(drop=True)

    def _ids_hash(self, id_number: str) -> str:
        """On PostgreSQL, SQL for one more column of a query grouped by project and month:
        ``ids_hash``, the sum of a 64-bit hash of the non-null values of ``id_number`` (for
        ``_months_off_roster``), seeded with the scan's own ``_hash_seed``; else nothing."""
        if self.connection.dialect.name != "postgresql":
            return ""
        return f", SUM(hashtextextended({id_number}, {self._hash_seed})) AS ids_hash"

    def roster_mismatches(self) -> pd.DataFrame:
        """The payroll lines, up to the scan's month, at odds with the roster of their project
        and month (from ``payroll_exceptions``): lines with no roster row, lines whose roster
        row shows no day present, and, in months before the scan's, lines of workers with
        days present paid nothing by the scan date.

        With the line counts of ``payroll_months`` and the attended workers of
        ``roster_months`` this also tells, per project and month, how many attended workers
        have no payroll line: attended - (lines - lines with no roster row - lines whose row
        shows no day).

        Columns: those of ``payroll_exceptions``.
        """

        def build() -> pd.DataFrame:
            lines = self.payroll_exceptions()
            present = lines["days_present"]
            unpaid = (lines["month"] < self.as_of_month) & lines["paid_on"].isna()
            mismatched = present.isna() | (present == 0).fillna(False) | unpaid
            return lines[mismatched.to_numpy()].reset_index(drop=True)

        return self._cached("roster_mismatches", build)

    def workers_on_several_projects(self, table: str) -> pd.DataFrame:
        """Worker-months in which one worker has rows on two or more projects of ``table``
        (``payroll_lines`` or ``roster_entries``: one row per project, month and worker), up
        to the scan's month, counted from the worker index alone.

        Columns: id_number, month, projects.
        """
        if table not in ("payroll_lines", "roster_entries"):
            raise ValueError(f"no worker index on {table!r}")

        def build() -> pd.DataFrame:
            frame = self._repeated(table, "id_number", "projects")
            frame = self._up_to_scan_month(frame)
            frame["projects"] = frame["projects"].astype("int64")
            return frame

        return self._cached(f"workers_on_several_projects:{table}", build)

    def _repeated(self, table: str, key: str, count: str) -> pd.DataFrame:
        """The pairs of ``key`` (a column with an index on it and the month, never empty) and
        month on two or more rows of ``table``, with how many (as ``count``), grouped from the
        index alone."""
        return self.query(
            f"""
            SELECT {key}, month, COUNT(*) AS {count} FROM {table}
            WHERE {key} IS NOT NULL AND {key} <> ''
            GROUP BY {key}, month
            HAVING COUNT(*) > 1
            """
        )

    def shared_cards(self) -> pd.DataFrame:
        """Bank cards on two or more payroll lines of a month, up to the scan's month (read from
        the card index alone; ``shared_bank_card`` drops those of one worker).

        Columns: bank_card, month.
        """

        def build() -> pd.DataFrame:
            frame = self._repeated("payroll_lines", "bank_card", "lines")
            return self._up_to_scan_month(frame)[["bank_card", "month"]]

        return self._cached("shared_cards", build)

    # -- the wage account ------------------------------------------------------------------

    def account_days(self) -> pd.DataFrame:
        """Account transactions per project, day and kind, up to the scan date.

        Columns: project_id, account_id, txn_date (datetime64), month, kind, count,
        amount_cents.
        """

        def build() -> pd.DataFrame:
            frame = self.query(
                f"""
                SELECT a.project_id, t.wage_account_id AS account_id, t.txn_date, t.kind,
                       COUNT(*) AS count, {cents("SUM(t.amount)")} AS amount_cents
                FROM account_transactions t
                JOIN wage_accounts a ON a.id = t.wage_account_id
                WHERE t.txn_date <= :as_of
                GROUP BY a.project_id, t.wage_account_id, t.txn_date, t.kind
                """
            )
            frame["txn_date"] = _dates(frame["txn_date"])
            frame["month"] = frame["txn_date"].dt.strftime("%Y-%m")
            frame[["count", "amount_cents"]] = frame[["count", "amount_cents"]].astype("int64")
            return frame

        return self._cached("account_days", build)

    def account_balances(self) -> pd.DataFrame:
        """Each account's balance at the scan date: the bank's last reported balance when the
        statement carries one, else deposits minus withdrawals.

        Columns: project_id, account_id, balance_cents, reported (bool).
        """

        def build() -> pd.DataFrame:
            days = self.account_days()
            sign = np.where(days["kind"].isin(["labor_cost", "other_in"]), 1, -1)
            computed = (
                (days["amount_cents"] * sign)
                .groupby([days["project_id"], days["account_id"]])
                .sum()
                .rename("computed_cents")
                .reset_index()
            )
            # The balance after the statement's last line up to the scan date (lines of a
            # day keep the statement's order, which is the order they were imported in).
            reported = self.query(
                f"""
                SELECT t.wage_account_id AS account_id, {cents("t.balance")} AS reported_cents
                FROM account_transactions t
                JOIN (
                    SELECT x.wage_account_id, MAX(x.id) AS last_id
                    FROM account_transactions x
                    JOIN (
                        SELECT wage_account_id, MAX(txn_date) AS last_date
                        FROM account_transactions
                        WHERE txn_date <= :as_of AND balance IS NOT NULL
                        GROUP BY wage_account_id
                    ) d ON d.wage_account_id = x.wage_account_id AND x.txn_date = d.last_date
                    WHERE x.balance IS NOT NULL
                    GROUP BY x.wage_account_id
                ) last ON last.last_id = t.id
                """
            )
            frame = computed.merge(reported, on="account_id", how="left")
            frame["reported"] = frame["reported_cents"].notna()
            frame["balance_cents"] = (
                frame["reported_cents"].fillna(frame["computed_cents"]).astype("int64")
            )
            return frame[["project_id", "account_id", "balance_cents", "reported"]]

        return self._cached("account_balances", build)

    # -- reference data --------------------------------------------------------------------

    def minimum_wages(self) -> pd.DataFrame:
        """The minimum-wage table. Columns: region, effective_from (datetime64),
        monthly_cents."""

        def build() -> pd.DataFrame:
            frame = self.query(
                f"""
                SELECT region, effective_from, {cents("monthly")} AS monthly_cents
                FROM minimum_wages WHERE effective_from <= :as_of
                ORDER BY region, effective_from
                """
            )
            frame["effective_from"] = _dates(frame["effective_from"])
            frame["monthly_cents"] = frame["monthly_cents"].astype("int64")
            return frame

        return self._cached("minimum_wages", build)

    def minimum_wage_for(self, districts: pd.Series, months: pd.Series) -> pd.Series:
        """The monthly minimum (fen) in force in each district and month: the district's own
        row when it has one, else the default region ``*``; <NA> when none is known."""
        table = self.minimum_wages()
        result = pd.Series(pd.NA, index=districts.index, dtype="Int64")
        if table.empty:
            return result
        lookup = pd.DataFrame(
            {"district": districts.astype(str), "month_start": _dates(months.astype(str) + "-01")}
        )
        lookup["order"] = np.arange(len(lookup))
        lookup = lookup.sort_values("month_start")
        for scope in ("district", "default"):
            regions = table if scope == "district" else table[table["region"] == "*"]
            if scope == "district":
                regions = regions[regions["region"] != "*"]
                by = {"left_by": "district", "right_by": "region"}
            else:
                by = {}
            if regions.empty:
                continue
            matched = pd.merge_asof(
                lookup,
                regions.sort_values("effective_from"),
                left_on="month_start",
                right_on="effective_from",
                direction="backward",
                **by,
            ).set_index("order")["monthly_cents"]
            values = pd.Series(matched.to_numpy(), index=districts.index[matched.index.to_numpy()])
            result = result.fillna(values.astype("Int64"))
        return result


# The extracts that read a whole big table, in the order a helper thread computes them. The
# first rules of the shipped pack (run by id) ask at once for the payroll's worker index and
# then for payroll and roster by month: the helper begins with the roster while the checks
# compute the others, goes on to what later rules need, and ends with what the checks will
# have computed before it comes to them.
WHOLE_TABLE_EXTRACTS: tuple[Extract, ...] = (
    ScanContext.roster_months,
    ScanContext.payroll_exceptions,
    lambda context: context.workers_on_several_projects("roster_entries"),
    ScanContext.shared_cards,
    ScanContext.account_days,
    ScanContext.payroll_months,
    lambda context: context.workers_on_several_projects("payroll_lines"),
)
