"""Settings: one object from a TOML file, overridden by ``WAGE_GUARD_*`` environment variables.

The file is ``--config PATH`` on the command line or ``WAGE_GUARD_CONFIG``; without one the
defaults apply. Nested keys are overridden with a double underscore, for example
``WAGE_GUARD_IMPORTS__MAX_ROWS=500000``. Settings are read once at start and passed in; nothing
reads them at import time.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

CONFIG_ENV = "WAGE_GUARD_CONFIG"


class ConfigError(Exception):
    """A setting is wrong; the message names the key."""


class ImportSettings(BaseModel):
    """Limits and tuning of file imports (FORMATS.md, "Limits")."""

    model_config = ConfigDict(extra="forbid")

    max_file_mb: Annotated[float, Field(gt=0)] = 100.0
    max_rows: Annotated[int, Field(gt=0)] = 2_000_000
    chunk_rows: Annotated[int, Field(ge=100)] = 50_000


class ScanSettings(BaseModel):
    """The risk scan: its time zone, its rule folders and its nightly schedule."""

    model_config = ConfigDict(extra="forbid")

    time_zone: str = "Asia/Shanghai"
    rule_dirs: list[Path] = Field(default_factory=list)
    replace_shipped_rules: bool = False
    cron: str = "0 2 * * *"
    lease_minutes: Annotated[int, Field(gt=0)] = 120
    misfire_grace_hours: Annotated[int, Field(ge=0)] = 12
    embed_in_server: bool = False

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError("a cron expression has five fields: minute hour day month weekday")
        return value


class ServerSettings(BaseModel):
    """The API server (``wage-guard serve``): where it listens and how pages sign sessions."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    # Signs the pages' session cookies; empty: a new random key at each start, so sessions
    # end when the server restarts and several workers cannot share them.
    secret_key: str = ""
    # Served over HTTPS: session cookies are sent only over it.
    https: bool = False

    @field_validator("secret_key")
    @classmethod
    def _strong_secret(cls, value: str) -> str:
        if value and (len(value) < 32 or value.lower() in {"changeme", "secret", "change-me"}):
            raise ValueError("at least 32 characters of a random value (or empty)")
        return value


class Settings(BaseSettings):
    """Every setting of a wage_guard deployment; see ``config.example.toml``."""

    model_config = SettingsConfigDict(
        env_prefix="WAGE_GUARD_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    database_url: str = "sqlite:///wage_guard.db"
    # Connections a process keeps open: a server worker runs up to 40 requests at once.
    database_pool_size: int = Field(40, ge=1, le=200)
    log_level: str = "INFO"
    imports: ImportSettings = Field(default_factory=ImportSettings)
    scan: ScanSettings = Field(default_factory=ScanSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("only sqlite:// and postgresql:// URLs are supported")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("one of DEBUG, INFO, WARNING, ERROR")
        return upper

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment variables win over the TOML file, which arrives as init arguments.
        return env_settings, init_settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from exc


def _describe(exc: ValidationError, source: str) -> str:
    lines = [f"invalid settings ({source}):"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown setting")
        else:
            lines.append(f"  {key}: {error['msg']}")
    return "\n".join(lines)


def load_settings(config_path: Path | str | None = None) -> Settings:
    """Read the settings from ``config_path`` (or ``$WAGE_GUARD_CONFIG``) and the environment.

    Raises ``ConfigError`` naming the offending key when a value is missing, unknown or wrong.
    """
    path = config_path or os.environ.get(CONFIG_ENV)
    data = _read_toml(Path(path)) if path else {}
    source = str(path) if path else "environment"
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from exc
