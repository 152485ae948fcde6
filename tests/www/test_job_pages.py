"""The pages of background jobs (exports, bulk edits) say when a job seems stuck: no worker took it,
or its worker died during it (zlv/utils/jobs.py)."""

import datetime
import re

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory
from zlv.housing import services
from zlv.housing.filters import parse_filters
from zlv.housing.models import BulkUpdateJob
from zlv.teamwork.models import ExportJob

HTMX = {"HX-Request": "true"}
STUCK = "Le traitement semble bloqué"


@pytest.fixture
def agent(db):
    douai = CommuneFactory(code="59178", name="Douai")
    return UserFactory(establishment=EstablishmentFactory(communes=[douai]))


def minutes_ago(minutes: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes)


def export_job(agent, **fields):
    job = ExportJob.objects.create(
        establishment=agent.active_establishment, created_by=agent, file_name="x.xlsx", **fields
    )
    return f"/exports/{job.pk}"


def bulk_job(agent, **fields):
    job = BulkUpdateJob.objects.create(establishment=agent.active_establishment, user=agent, **fields)
    return f"/parc-de-logements/edition-groupee/{job.pk}"


def page_text(client, url) -> tuple[str, str]:
    html = client.get(url, headers=HTMX).content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)), html


@pytest.mark.parametrize(("make_job", "subject"), [(export_job, "L’export"), (bulk_job, "L’édition groupée")])
def test_a_job_no_worker_took_for_ten_minutes_seems_stuck(client, agent, make_job, subject):
    waiting = make_job(agent, created_at=minutes_ago(11))
    recent = make_job(agent, created_at=minutes_ago(2))
    client.force_login(agent)

    text, html = page_text(client, waiting)
    assert STUCK in text
    assert f"{subject} attend son démarrage depuis plus de 10 minutes" in text
    assert "Le traitement démarrera dès que ce service sera rétabli." in text
    assert 'hx-trigger="every 2s"' in html  # it may still start: the page keeps watching
    assert STUCK not in page_text(client, recent)[0]


@pytest.mark.parametrize(
    ("make_job", "subject", "what_to_do"),
    [
        (export_job, "L’export", "relancez l’export depuis la sélection de logements."),
        (bulk_job, "L’édition groupée", "relancez l’édition groupée depuis le parc de logements"),
    ],
)
def test_a_running_job_without_progress_for_ten_minutes_seems_stuck(
    client, agent, make_job, subject, what_to_do
):
    dead = make_job(
        agent, status="running", total=10, done=4, created_at=minutes_ago(30), progress_at=minutes_ago(11)
    )
    moving = make_job(
        agent, status="running", total=10, done=4, created_at=minutes_ago(30), progress_at=minutes_ago(1)
    )
    client.force_login(agent)

    text, _ = page_text(client, dead)
    assert STUCK in text
    assert f"{subject} ne progresse plus depuis plus de 10 minutes" in text
    assert what_to_do in text
    assert "Si le problème persiste, prévenez l’administrateur du service." in text
    assert STUCK not in page_text(client, moving)[0]  # a long job that moves is not stuck


@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}})
def test_a_bulk_edit_whose_worker_died_after_a_chunk_is_shown_stuck(
    client, agent, monkeypatch, django_capture_on_commit_callbacks
):
    dwellings = [HousingFactory(geo_code="59178", status=1) for _ in range(4)]
    monkeypatch.setattr(services, "BULK_SYNC_LIMIT", 2)
    monkeypatch.setattr(services, "BULK_CHUNK_SIZE", 3)
    apply_chunk = services._bulk_apply
    chunks = []

    def worker_killed_at_second_chunk(**arguments):
        chunks.append(arguments["ids"])
        if len(chunks) == 2:
            raise SystemExit("the worker process is stopped")  # not an error the job can record
        apply_chunk(**arguments)

    monkeypatch.setattr(services, "_bulk_apply", worker_killed_at_second_chunk)
    filters = parse_filters({"housingIds": ",".join(str(h.pk) for h in dwellings)})
    # The task runner swallows the exit; the job itself could record nothing.
    with django_capture_on_commit_callbacks(execute=True):
        services.housing_bulk_update(user=agent, filters=filters, occupancy="L")
    job = BulkUpdateJob.objects.get()
    assert (job.status, job.done, job.total) == ("running", 3, 4)
    client.force_login(agent)
    url = f"/parc-de-logements/edition-groupee/{job.pk}"
    assert STUCK not in page_text(client, url)[0]

    # Ten minutes later, nothing has moved.
    BulkUpdateJob.objects.filter(pk=job.pk).update(
        created_at=job.created_at - datetime.timedelta(minutes=11),
        progress_at=job.progress_at - datetime.timedelta(minutes=11),
    )
    text, _ = page_text(client, url)
    assert STUCK in text
    assert "3 logements modifiés sur 4" in text
