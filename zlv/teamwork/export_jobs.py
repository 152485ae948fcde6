"""Background XLSX exports: an ExportJob recorded by the request, written by the task worker under
MEDIA_ROOT/exports/ with its progress, downloaded by its author from the job page, and purged with
its file after settings.EXPORT_RETENTION_DAYS (personal data must not pile up on disk)."""

import contextlib
import dataclasses
import datetime
import logging
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from zlv.accounts.models import Membership
from zlv.housing.filters import HousingFilters
from zlv.teamwork.enums import ExportFormat, ExportStatus
from zlv.teamwork.exports import export_file_name, export_housing, write_xlsx
from zlv.teamwork.models import ExportJob, Group

logger = logging.getLogger(__name__)


def filters_to_json(filters: HousingFilters) -> dict:
    data = dataclasses.asdict(filters)
    data.pop("errors", None)
    return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


def filters_from_json(data: dict) -> HousingFilters:
    names = {field.name for field in dataclasses.fields(HousingFilters)} - {"errors"}
    return HousingFilters(
        **{
            key: tuple(value) if isinstance(value, list) else value
            for key, value in data.items()
            if key in names
        }
    )


def export_job_start(
    *, user, filters: HousingFilters, group: Group | None, purpose: str, title: str
) -> ExportJob:
    """Record an XLSX export for the task worker, enqueued when the request's transaction commits."""
    job = ExportJob.objects.create(
        establishment_id=user.active_establishment_id,
        created_by=user,
        group=group,
        filters={"filters": filters_to_json(filters), "group_id": group.pk if group else None},
        file_format=ExportFormat.XLSX,
        purpose=purpose,
        file_name=export_file_name(title, purpose, ExportFormat.XLSX),
    )
    from zlv.teamwork.tasks import export_run

    transaction.on_commit(lambda: export_run.enqueue(job_id=job.pk))
    # Each new export clears the expired ones, so that no scheduler is needed; a failure there must
    # not cost the user their export.
    transaction.on_commit(export_jobs_purge, robust=True)
    return job


class ExportRefused(Exception):
    """An export job that can no longer run; the message is shown to its author."""


def export_job_run(*, job_id: int) -> ExportJob:
    """Write a background XLSX export under MEDIA_ROOT/exports/, recording progress."""
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    if job.is_finished:
        return job
    user = job.created_by
    # The selection belongs to the establishment the export was started for.
    user.active_establishment_id = job.establishment_id
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, progress_at=timezone.now())
    directory = Path(settings.MEDIA_ROOT) / "exports"
    directory.mkdir(parents=True, exist_ok=True)
    relative = f"exports/{uuid.uuid4().hex}.xlsx"
    path = Path(settings.MEDIA_ROOT) / relative
    try:
        if not Membership.objects.filter(user=user, establishment_id=job.establishment_id).exists():
            raise ExportRefused("Vous n’êtes plus membre de cette structure.")
        group = None
        group_id = job.filters.get("group_id")
        if group_id is not None:
            group = Group.objects.active().filter(pk=group_id, establishment_id=job.establishment_id).first()
            if group is None:
                raise ExportRefused("Le groupe a été supprimé ou archivé avant la fin de l’export.")
        queryset = export_housing(user, filters_from_json(job.filters.get("filters", {})), group)
        total = queryset.count()
        ExportJob.objects.filter(pk=job.pk).update(total=total, progress_at=timezone.now())
        written, exclusions = write_xlsx(
            path,
            queryset,
            establishment_id=job.establishment_id,
            purpose=job.purpose,
            progress=lambda done: ExportJob.objects.filter(pk=job.pk).update(
                done=done, progress_at=timezone.now()
            ),
        )
    except ExportRefused as error:
        _finish(job, ExportStatus.FAILED, error=str(error))
        _remove(path)
    except Exception:
        logger.exception("Export job %s failed", job.pk)
        _finish(
            job,
            ExportStatus.FAILED,
            error="Une erreur technique a interrompu l’export. "
            "L’équipe en a été informée ; vous pouvez le relancer.",
        )
        _remove(path)
    else:
        _finish(
            job,
            ExportStatus.SUCCEEDED,
            file=relative,
            done=written + exclusions.total,
            total=written + exclusions.total,
            excluded_without_owner=exclusions.without_owner,
            excluded_do_not_contact=exclusions.do_not_contact,
        )
    job.refresh_from_db()
    return job


def _finish(job: ExportJob, status: str, **fields) -> None:
    ExportJob.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now(), **fields)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


# ---- Retention ---------------------------------------------------------------------------------

EXPORTS_FOLDER = "exports"


@dataclasses.dataclass
class PurgeSummary:
    jobs: int = 0
    files: int = 0


def export_jobs_purge(*, now: datetime.datetime | None = None, dry_run: bool = False) -> PurgeSummary:
    """Delete the export jobs created more than EXPORT_RETENTION_DAYS ago with their files, and the
    files of that age no job refers to (left by an interrupted worker)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS)
    with transaction.atomic():
        expired = dict(ExportJob.objects.filter(created_at__lt=cutoff).values_list("pk", "file"))
        referenced = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
        orphans = [name for name in _stored_exports(cutoff) if name not in referenced]
        files = [name for name in expired.values() if name] + orphans
        if not dry_run:
            ExportJob.objects.filter(pk__in=expired).delete()
            transaction.on_commit(lambda: _delete_stored(files))
    return PurgeSummary(jobs=len(expired), files=len(files))


def _stored_exports(cutoff: datetime.datetime) -> list[str]:
    """Names of the export files last written before `cutoff`."""
    if not default_storage.exists(EXPORTS_FOLDER):
        return []
    _, files = default_storage.listdir(EXPORTS_FOLDER)
    names = [f"{EXPORTS_FOLDER}/{file}" for file in files]
    return [name for name in names if default_storage.get_modified_time(name) < cutoff]


def _delete_stored(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
