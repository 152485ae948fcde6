"""Settings read from environment variables (config/settings.py), with their documented defaults."""

import runpy
from pathlib import Path

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
