"""Checks, rules and findings: what the scan is made of (STYLE.md, "Checks are code, rules
are data").

A *check* is a registered function with a typed parameter model that looks at the
database through a ``ScanContext`` and returns a findings frame. A *rule* (a TOML file in
``rules/``) picks a check, sets its parameters, its titles, its level ladder and its mode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from wage_guard.masking import mask_ids_series

if TYPE_CHECKING:
    from wage_guard.scan.context import ScanContext

LEVELS = ("yellow", "orange", "red")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS, start=1)}

# The columns of the frame a check returns, one row per alert it wants raised.
FINDING_COLUMNS = (
    "project_id",  # int: every alert belongs to exactly one project
    "subject",  # str | None: the wage month "YYYY-MM", or None for the project itself
    "measure",  # float: what the rule's ladder compares (a share, a count of days ...)
    "arrears_cents",  # int | None: wages owed that the alert is about, in fen
    "workers",  # int | None: number of workers involved
    "evidence",  # dict: the numbers that made it fire (amounts as decimal strings)
    "message_zh",  # str: one line in Chinese
    "message_en",  # str: one line in English
)


def empty_findings() -> pd.DataFrame:
    """A findings frame with no rows and the right columns."""
    return pd.DataFrame({column: pd.Series(dtype="object") for column in FINDING_COLUMNS})


def yuan(cents: int | None) -> str | None:
    """An amount in fen as an exact decimal string of yuan: 123456 -> "1234.56"."""
    if cents is None or pd.isna(cents):
        return None
    return str((Decimal(int(cents)) / 100).quantize(Decimal("0.01")))


# Workers listed by name in one alert's evidence; the evidence always gives the total.
MAX_LISTED = 50


def listed_workers(
    details: pd.DataFrame, fields: list[str], keys: tuple[str, ...] = ("project_id", "subject")
) -> pd.DataFrame:
    """The workers of each alert, for its evidence (RULES.md: workers listed, masked).

    ``details`` holds one row per worker entry with the columns ``keys``, ``id_number``,
    ``worker_name`` and ``fields`` (ready for JSON: amounts already ``yuan`` strings, cards
    masked), in the order they are to be listed. Returns one row per group of ``keys`` with
    ``listed``, at most ``MAX_LISTED`` entries ``{"id_number": masked, "name", *fields}``,
    and ``listed_total``, the number of entries before the cap.
    """
    groups = details.groupby(list(keys), sort=False)
    kept = (groups.cumcount() < MAX_LISTED).to_numpy()
    columns = {
        "id_number": mask_ids_series(details["id_number"]),
        "name": details["worker_name"],
        **{field: details[field] for field in fields},
    }
    values = [_json_values(column[kept]) for column in columns.values()]
    entries = details.loc[kept, list(keys)].assign(
        entry=[dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
    )
    listed = collect(entries, list(keys), "entry").rename("listed")
    return groups.size().rename("listed_total").to_frame().join(listed).reset_index()


def collect(frame: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """``frame[column]`` as one list per group of ``keys`` (never missing), each in the
    frame's order, indexed by the groups in order: ``groupby(keys)[column].agg(list)``
    without a call (and a frame) per group."""
    groups = frame.groupby(keys, sort=True)
    codes = groups.ngroup().to_numpy()
    values = frame[column].to_numpy(dtype=object)[np.argsort(codes, kind="stable")]
    counts = np.bincount(codes, minlength=groups.ngroups)
    ends = np.cumsum(counts)
    lists = [values[end - count : end].tolist() for count, end in zip(counts, ends, strict=True)]
    return pd.Series(lists, index=groups.size().index, name=column, dtype=object)


def _json_values(column: pd.Series) -> list[Any]:
    """A column as plain Python values, missing ones as ``None``."""
    plain = column.astype(object)
    return plain.where(plain.notna(), None).tolist()


class Mode(StrEnum):
    """``active`` raises alerts; ``monitor`` only counts what it would raise; ``disabled``
    does not run."""

    ACTIVE = "active"
    MONITOR = "monitor"
    DISABLED = "disabled"


class LadderStep(BaseModel):
    """One step of a level ladder: the level a finding gets when its measure passes.

    A step with no comparison always applies; otherwise exactly one of ``at_least``,
    ``above``, ``below`` or ``at_most`` compares the finding's measure.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    level: str
    at_least: float | None = None
    above: float | None = None
    below: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _one_comparison(self) -> LadderStep:
        if self.level not in LEVEL_RANK:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {self.level!r}")
        given = [v for v in (self.at_least, self.above, self.below, self.at_most) if v is not None]
        if len(given) > 1:
            raise ValueError("a ladder step takes at most one of at_least, above, below, at_most")
        return self

    def matches(self, measure: pd.Series) -> pd.Series:
        if self.at_least is not None:
            return measure >= self.at_least
        if self.above is not None:
            return measure > self.above
        if self.below is not None:
            return measure < self.below
        if self.at_most is not None:
            return measure <= self.at_most
        return pd.Series(True, index=measure.index)


class Rule(BaseModel):
    """A rule of the pack, as written in ``rules/<id>.toml``."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    check: str
    mode: Mode = Mode.ACTIVE
    title_zh: str
    title_en: str
    description: str = ""
    ladder: list[LadderStep] = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)

    def levels_for(self, measure: pd.Series) -> pd.Series:
        """The level of each finding: the last ladder step whose comparison its measure
        passes (steps are listed from the mildest to the most severe)."""
        levels = pd.Series(None, index=measure.index, dtype="object")
        for step in self.ladder:
            levels = levels.mask(step.matches(measure.astype(float)), step.level)
        return levels


P = TypeVar("P", bound=BaseModel)
CheckFunction = Callable[["ScanContext", Any], pd.DataFrame]


@dataclass(frozen=True)
class Check(Generic[P]):
    """A registered check: its name, parameter model and evaluation."""

    name: str
    params_model: type[P]
    evaluate: Callable[[ScanContext, P], pd.DataFrame]
    doc: str


CHECKS: dict[str, Check[Any]] = {}


class CheckParams(BaseModel):
    """Base of every check's parameters: unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def register(
    name: str, params: type[P]
) -> Callable[[Callable[[ScanContext, P], pd.DataFrame]], Callable[[ScanContext, P], pd.DataFrame]]:
    """Register a check under ``name`` with its parameter model (a ``CheckParams``)."""

    def decorate(
        function: Callable[[ScanContext, P], pd.DataFrame],
    ) -> Callable[[ScanContext, P], pd.DataFrame]:
        if name in CHECKS:
            raise ValueError(f"check {name!r} is registered twice")
        CHECKS[name] = Check(name, params, function, (function.__doc__ or "").strip())
        return function

    return decorate
