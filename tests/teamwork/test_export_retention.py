"""Expired background exports: their files and jobs are purged by `purge_exports` and whenever a new
export job is created."""

import datetime
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from zlv.teamwork import exports
from zlv.teamwork.models import ExportJob

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def exports_folder(settings) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "exports"
    folder.mkdir(parents=True)
    return folder


def stored_file(folder: Path, name: str, age_days: float) -> str:
    """A file of the exports folder last written `age_days` ago; its storage name."""
    path = folder / name
    path.write_bytes(b"PK\x03\x04")
    written = (timezone.now() - datetime.timedelta(days=age_days)).timestamp()
    os.utime(path, (written, written))
    return f"exports/{name}"


def job(establishment, agent, folder: Path, name: str, age_days: float) -> ExportJob:
    return ExportJob.objects.create(
        establishment=establishment,
        created_by=agent,
        status="succeeded",
        file=stored_file(folder, name, age_days),
        file_name="20260101-logements.xlsx",
        created_at=timezone.now() - datetime.timedelta(days=age_days),
    )


def test_purge_command_deletes_expired_jobs_and_files_only(
    agent, establishment, exports_folder, capsys, django_capture_on_commit_callbacks
):
    expired = job(establishment, agent, exports_folder, "ancien.xlsx", age_days=8)
    recent = job(establishment, agent, exports_folder, "recent.xlsx", age_days=2)
    stored_file(exports_folder, "orphelin.xlsx", age_days=9)
    stored_file(exports_folder, "en-cours.xlsx", age_days=0.01)  # being written by the worker

    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_exports")

    assert capsys.readouterr().out.strip() == (
        "Exports de plus de 7 jours supprimés : 1 suivi(s) d’export, 2 fichier(s)."
    )
    assert list(ExportJob.objects.all()) == [recent]
    assert not ExportJob.objects.filter(pk=expired.pk).exists()
    assert sorted(path.name for path in exports_folder.iterdir()) == ["en-cours.xlsx", "recent.xlsx"]


def test_purge_dry_run_deletes_nothing(agent, establishment, exports_folder, capsys):
    job(establishment, agent, exports_folder, "ancien.xlsx", age_days=30)

    call_command("purge_exports", "--dry-run")

    assert "seraient supprimés : 1 suivi(s) d’export, 1 fichier(s)." in capsys.readouterr().out
    assert ExportJob.objects.count() == 1
    assert (exports_folder / "ancien.xlsx").exists()


def test_retention_follows_the_setting(agent, establishment, exports_folder, settings):
    settings.EXPORT_RETENTION_DAYS = 30
    kept = job(establishment, agent, exports_folder, "dix-jours.xlsx", age_days=10)

    call_command("purge_exports")

    assert list(ExportJob.objects.all()) == [kept]


def test_a_new_export_job_purges_the_expired_ones(
    client,
    agent,
    establishment,
    dwellings,
    exports_folder,
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    settings.TASKS = IMMEDIATE
    monkeypatch.setattr(exports, "XLSX_SYNC_LIMIT", 2)
    expired = job(establishment, agent, exports_folder, "ancien.xlsx", age_days=8)
    client.force_login(agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/exports/logements.xlsx?all=true")

    new = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{new.pk}"
    assert new.pk != expired.pk and new.status == "succeeded"
    assert not (exports_folder / "ancien.xlsx").exists()
    assert Path(new.file.path).exists()
