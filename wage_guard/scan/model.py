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

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

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
