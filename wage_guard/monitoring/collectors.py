"""Prometheus figures read from the database at each scrape: scan runs, the age of the last
successful scan, alerts and import batches (RELIABILITY 13).

Each is one aggregate query (``GROUP BY``), so a scrape costs the same whatever the data.
Counts of rows are gauges: a run's status, an alert's status change, and rows may be deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from wage_guard.alerts.orm import Alert
from wage_guard.context import AppContext
from wage_guard.db import utcnow
from wage_guard.imports.orm import ImportBatch
from wage_guard.masking import describe_error
from wage_guard.scan.orm import ScanRun
from wage_guard.scan.runs import RunStatus

log = logging.getLogger(__name__)


def _families() -> dict[str, GaugeMetricFamily]:
    return {
        "up": GaugeMetricFamily(
            "wage_guard_database_up",
            "1 when the database answered this scrape's queries, else 0.",
        ),
        "scans": GaugeMetricFamily(
            "wage_guard_scan_runs",
            "Scan runs recorded, by status.",
            labels=["status"],
        ),
        "scan_age": GaugeMetricFamily(
            "wage_guard_last_successful_scan_age_seconds",
            "Seconds since the last scan that succeeded ended; absent when none ever did.",
        ),
        "alerts": GaugeMetricFamily(
            "wage_guard_alerts",
            "Alerts, by level and status.",
            labels=["level", "status"],
        ),
        "imports": GaugeMetricFamily(
            "wage_guard_import_batches",
            "Import batches received, by kind and status.",
            labels=["kind", "status"],
        ),
    }


class DatabaseMetrics(Collector):
    """The collector of the database's figures, registered once in an app's registry."""

    def __init__(self, context: AppContext, registry: CollectorRegistry) -> None:
        self.context = context
        registry.register(self)

    def describe(self) -> Iterator[Metric]:
        yield from _families().values()

    def collect(self) -> Iterator[Metric]:
        families = _families()
        try:
            with self.context.engine.connect() as connection:
                self._read(connection, families, now=utcnow())
        except sa.exc.SQLAlchemyError as exc:
            log.warning("metrics: the database does not answer: %s", describe_error(exc))
            families["up"].add_metric([], 0)
            yield families["up"]
            return
        families["up"].add_metric([], 1)
        yield from families.values()

    @staticmethod
    def _read(
        connection: sa.Connection, families: dict[str, GaugeMetricFamily], *, now: datetime
    ) -> None:
        runs = dict.fromkeys(RunStatus, 0)
        for status, count in connection.execute(
            sa.select(ScanRun.status, sa.func.count()).group_by(ScanRun.status)
        ):
            runs[RunStatus(status)] = count
        for status, count in runs.items():
            families["scans"].add_metric([status.value], count)
        last = connection.execute(
            sa.select(sa.func.max(ScanRun.finished_at)).where(ScanRun.status == RunStatus.SUCCEEDED)
        ).scalar_one()
        if last is not None:
            families["scan_age"].add_metric([], (now - last).total_seconds())
        for level, status, count in connection.execute(
            sa.select(Alert.level, Alert.status, sa.func.count()).group_by(
                Alert.level, Alert.status
            )
        ):
            families["alerts"].add_metric([level, status], count)
        for kind, status, count in connection.execute(
            sa.select(ImportBatch.kind, ImportBatch.status, sa.func.count()).group_by(
                ImportBatch.kind, ImportBatch.status
            )
        ):
            families["imports"].add_metric([kind, status], count)
