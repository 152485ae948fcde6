"""Settings read from environment variables (config/settings.py), with their documented defaults."""

import runpy
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import settings as settings_module


def settings_from_environment(monkeypatch, **variables) -> dict:
    """config/settings.py evaluated afresh with these environment variables (a DATABASE_URL that is
    only parsed, so that the embedded server is left alone)."""
    monkeypatch.setenv("DATABASE_URL", "postgres://zlv@127.0.0.1:5432/zlv")
    for name in ("SITE_URL", "EXPORT_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(settings_module.__file__)))


def test_site_url_and_export_retention_come_from_the_environment(monkeypatch):
    defaults = settings_from_environment(monkeypatch)
    configured = settings_from_environment(
        monkeypatch, SITE_URL="https://zlv.example.gouv.fr/", EXPORT_RETENTION_DAYS="30"
    )

    assert (defaults["SITE_URL"], defaults["EXPORT_RETENTION_DAYS"]) == ("http://127.0.0.1:8000", 7)
    assert (configured["SITE_URL"], configured["EXPORT_RETENTION_DAYS"]) == (
        "https://zlv.example.gouv.fr",
        30,
    )


def test_outside_demo_mode_a_missing_secret_key_stops_the_start(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("ZLV_VAR_DIR", str(tmp_path))

    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY est obligatoire hors du mode démonstration"):
        settings_from_environment(monkeypatch, ZLV_DEMO="0")
    with pytest.raises(ImproperlyConfigured):
        settings_from_environment(monkeypatch, ZLV_DEMO="0", SECRET_KEY="  ")
    assert settings_from_environment(monkeypatch, ZLV_DEMO="0", SECRET_KEY="k" * 50)["SECRET_KEY"] == "k" * 50
    assert not (tmp_path / "secret_key").exists()


def test_the_demo_makes_a_random_key_once_under_var(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("ZLV_VAR_DIR", str(tmp_path))

    first = settings_from_environment(monkeypatch, ZLV_DEMO="1")["SECRET_KEY"]
    again = settings_from_environment(monkeypatch, ZLV_DEMO="1")["SECRET_KEY"]
    monkeypatch.setenv("ZLV_VAR_DIR", str(tmp_path / "another-clone"))
    elsewhere = settings_from_environment(monkeypatch, ZLV_DEMO="1")["SECRET_KEY"]

    key_file = tmp_path / "secret_key"
    assert first == again == key_file.read_text() and len(first) >= 50
    assert elsewhere != first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "insecure" not in first
