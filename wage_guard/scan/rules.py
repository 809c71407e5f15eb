"""Loading the rule pack: ``rules/*.toml`` shipped with wage_guard, plus configured folders.

Loading refuses an unknown check, a bad or unknown parameter and a duplicate id, naming the
file and the rule id, so a deployment's mistake stops the scan before it starts.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ValidationError

import wage_guard.scan.checks  # noqa: F401  (fills the registry)
from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CHECKS, FINDING_COLUMNS, Check, Mode, Rule

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "rules"


class RuleError(Exception):
    """One or more rule files are wrong; each error names the file and the rule id."""

    def __init__(self, *errors: str) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class LoadedRule:
    """A rule with its check and its validated parameters."""

    rule: Rule
    check: Check[Any]
    params: BaseModel
    path: Path

    @property
    def id(self) -> str:
        return self.rule.id

    def evaluate(self, context: ScanContext) -> pd.DataFrame:
        """Run the check and give each finding its level from the rule's ladder."""
        findings = self.check.evaluate(context, self.params)
        missing = [c for c in FINDING_COLUMNS if c not in findings.columns]
        if missing:
            raise RuntimeError(f"check {self.check.name} returned no column {missing}")
        findings = findings.loc[:, list(FINDING_COLUMNS)].copy()
        findings["level"] = self.rule.levels_for(findings["measure"])
        return findings[findings["level"].notna()].reset_index(drop=True)


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'rule'}: "
        + ("unknown key" if e["type"] == "extra_forbidden" else e["msg"])
        for e in exc.errors()
    )


def load_rule_file(path: Path, overrides: dict[str, Any] | None = None) -> LoadedRule:
    """Read and validate one rule file; ``overrides`` replace some of its parameters."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path}: cannot read the rule: {exc}") from exc
    rule_id = data.get("id", path.stem)
    try:
        rule = Rule(**data)
    except ValidationError as exc:
        raise RuleError(f"{path}: rule {rule_id!r}: {_describe(exc)}") from exc
    check = CHECKS.get(rule.check)
    if check is None:
        known = ", ".join(sorted(CHECKS))
        raise RuleError(f"{path}: rule {rule.id!r}: unknown check {rule.check!r} (known: {known})")
    try:
        params = check.params_model(**{**rule.params, **(overrides or {})})
    except ValidationError as exc:
        raise RuleError(f"{path}: rule {rule.id!r}: parameter {_describe(exc)}") from exc
    return LoadedRule(rule=rule, check=check, params=params, path=path)


def load_rules(
    extra_dirs: list[Path] | None = None, *, replace_shipped: bool = False
) -> list[LoadedRule]:
    """The rule pack: the shipped rules (unless replaced) and those of ``extra_dirs``.

    A rule id may appear once; a folder's rule with a shipped rule's id is an error unless
    ``replace_shipped`` is set, in which case the shipped pack is not loaded at all. Every
    file is read before failing, and the ``RuleError`` lists every error found.
    """
    folders = ([] if replace_shipped else [SHIPPED_RULES]) + list(extra_dirs or [])
    loaded: dict[str, LoadedRule] = {}
    errors: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            errors.append(f"{folder}: not a folder of rules")
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                rule = load_rule_file(path)
            except RuleError as exc:
                errors.extend(exc.errors)
                continue
            if rule.id in loaded:
                errors.append(
                    f"{path}: rule {rule.id!r}: duplicate id, already defined in "
                    f"{loaded[rule.id].path}"
                )
                continue
            loaded[rule.id] = rule
    if errors:
        raise RuleError(*errors)
    return sorted(loaded.values(), key=lambda r: r.id)


def runnable(rules: list[LoadedRule]) -> list[LoadedRule]:
    """The rules a scan runs: active and monitor ones."""
    return [r for r in rules if r.rule.mode is not Mode.DISABLED]
