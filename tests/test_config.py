"""Settings: TOML file, environment overrides, and errors that name the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wage_guard.cli import app
from wage_guard.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WAGE_GUARD_CONFIG", "WAGE_GUARD_DATABASE_URL", "WAGE_GUARD_IMPORTS__MAX_ROWS"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_use_a_sqlite_file_in_the_working_directory() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///wage_guard.db"
    assert settings.scan.time_zone == "Asia/Shanghai"
    assert settings.imports.max_file_mb == 100
    assert settings.imports.max_rows == 2_000_000


def test_example_config_parses_and_documents_every_key() -> None:
    example = ROOT / "config.example.toml"
    settings = load_settings(example)
    data = tomllib.loads(example.read_text(encoding="utf-8"))
    text = example.read_text(encoding="utf-8")

    def keys(model: type, prefix: str = "") -> set[str]:
        found: set[str] = set()
        for name, field in model.model_fields.items():  # type: ignore[attr-defined]
            annotation = field.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                found |= keys(annotation, f"{prefix}{name}.")
            else:
                found.add(f"{prefix}{name}")
        return found

    documented = {
        f"{section}.{key}"
        for section, body in data.items()
        if isinstance(body, dict)
        for key in body
    } | {k for k, v in data.items() if not isinstance(v, dict)}
    assert documented == keys(Settings)
    for key in documented:
        line_index = next(
            i
            for i, line in enumerate(text.splitlines())
            if line.startswith(key.split(".")[-1] + " ")
        )
        assert text.splitlines()[line_index - 1].startswith("#"), f"{key} has no comment"
    assert settings == Settings()


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('database_url = "sqlite:///from-file.db"\n[imports]\nmax_rows = 10\n')
    monkeypatch.setenv("WAGE_GUARD_CONFIG", str(config))
    assert load_settings().database_url == "sqlite:///from-file.db"
    monkeypatch.setenv("WAGE_GUARD_DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("WAGE_GUARD_IMPORTS__MAX_ROWS", "20")
    settings = load_settings()
    assert settings.database_url == "sqlite:///from-env.db"
    assert settings.imports.max_rows == 20


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('[imports]\nmax_rows = "many"\n', "imports.max_rows"),
        ('[scan]\ntime_zone = "Mars/Olympus"\n', "scan.time_zone"),
        ('[scan]\ncron = "every night"\n', "scan.cron"),
        ('database_url = "mysql://x"\n', "database_url"),
        ("colour = 1\n", "colour"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, body: str, key: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(body)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(config)


def test_bad_settings_stop_the_command_line_with_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[imports]\nmax_file_mb = -1\n")
    result = CliRunner().invoke(app, ["--config", str(config), "db", "current"])
    assert result.exit_code == 2
    assert "imports.max_file_mb" in result.output


def test_missing_or_broken_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("database_url = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken)
