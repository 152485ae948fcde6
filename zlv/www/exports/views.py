"""Exports of a selection of the list or of a group: CSV streamed, XLSX in the request up to
exports.XLSX_SYNC_LIMIT dwellings, else written by the task worker with a progress page.

`?purpose=courrier` makes a mailing export (dwellings a letter cannot reach are left out and
counted). Exports read data, so visitors may export; a background export is only downloadable by
its author, in the establishment it was made for (404 otherwise).
"""

import contextlib
import os
import tempfile

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from zlv.accounts.selectors import membership_of
from zlv.housing.filters import parse_filters
from zlv.teamwork import export_jobs, exports
from zlv.teamwork.enums import ExportFormat, ExportPurpose, ExportStatus
from zlv.teamwork.selectors import check_selected_ids, export_job_for_user, group_for_user
from zlv.utils.jobs import STUCK_AFTER_LABEL
from zlv.www.teamwork.selection import count_label, list_url

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SELECTION_TITLE = "logements"


def _purpose(request) -> str:
    return (
        ExportPurpose.MAILING if request.GET.get("purpose") == ExportPurpose.MAILING else ExportPurpose.DATA
    )


def _establishment_id(request) -> int:
    membership = membership_of(request.user)
    if membership is None:
        raise Http404("Aucune structure active.")
    return membership.establishment_id


def _scope(request, group_id: int | None):
    """(queryset, group, title, filters) of the export asked for; filter errors raise 404 for a
    file and are shown on the page."""
    if group_id is not None:
        group = group_for_user(request.user, group_id)
        filters = parse_filters({})
        return exports.export_housing(request.user, filters, group), group, group.title, filters
    filters = parse_filters(request.GET)
    check_selected_ids(request.user, filters)
    return exports.export_housing(request.user, filters), None, SELECTION_TITLE, filters


def _urls(request, group_id: int | None) -> dict:
    if group_id is not None:
        csv_url = reverse("group_export_csv", args=[group_id])
        xlsx_url = reverse("group_export_xlsx", args=[group_id])
        params = ""
    else:
        csv_url, xlsx_url = reverse("export_selection_csv"), reverse("export_selection_xlsx")
        query = request.GET.copy()
        query.pop("purpose", None)
        params = query.urlencode()

    def with_purpose(url: str, purpose: str) -> str:
        parts = [
            part for part in (params, "purpose=courrier" if purpose == ExportPurpose.MAILING else "") if part
        ]
        return url + (f"?{'&'.join(parts)}" if parts else "")

    return {
        purpose: {"csv": with_purpose(csv_url, purpose), "xlsx": with_purpose(xlsx_url, purpose)}
        for purpose in (ExportPurpose.DATA, ExportPurpose.MAILING)
    }


def _export_page(request, group_id: int | None):
    """The page before a download: what will be exported and what a mailing export leaves out."""
    _establishment_id(request)
    queryset, group, _, filters = _scope(request, group_id)
    errors = list(filters.errors.values())
    summary = exports.export_summary(queryset) if not errors else None
    context = {
        "group": group,
        "errors": errors,
        "summary": summary,
        "total_label": count_label(summary.total) if summary else "",
        "mailing_label": count_label(summary.mailing_total) if summary else "",
        "exclusions_sentence": summary.exclusions.sentence() if summary else "",
        "urls": _urls(request, group_id),
        "background": bool(summary and summary.total > exports.XLSX_SYNC_LIMIT),
        "sync_limit": exports.XLSX_SYNC_LIMIT,
        "back_url": reverse("group_detail", args=[group.pk]) if group else list_url(request.GET),
        "back_label": "Retour au groupe" if group else "Retour au parc de logements",
        "mailing_selected": _purpose(request) == ExportPurpose.MAILING,
    }
    return render(request, "teamwork/export.html", context, status=400 if errors else 200)


@require_safe
def export_selection(request):
    return _export_page(request, None)


@require_safe
def group_export(request, group_id: int):
    return _export_page(request, group_id)


def _csv(request, group_id: int | None):
    establishment_id = _establishment_id(request)
    queryset, _, title, filters = _scope(request, group_id)
    if filters.errors:
        return _export_page(request, group_id)
    purpose = _purpose(request)
    response = StreamingHttpResponse(
        exports.csv_stream(queryset, establishment_id=establishment_id, purpose=purpose),
        content_type=CSV_CONTENT_TYPE,
    )
    name = exports.export_file_name(title, purpose, ExportFormat.CSV)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def export_selection_csv(request):
    return _csv(request, None)


@require_safe
def group_export_csv(request, group_id: int):
    return _csv(request, group_id)


def _xlsx(request, group_id: int | None):
    """Small exports are written in the request; larger ones are confirmed (POST) and handed to the
    task worker."""
    establishment_id = _establishment_id(request)
    queryset, group, title, filters = _scope(request, group_id)
    if filters.errors:
        return _export_page(request, group_id)
    purpose = _purpose(request)
    count = queryset.count()
    if count > exports.XLSX_SYNC_LIMIT:
        if request.method == "POST":
            job = export_jobs.export_job_start(
                user=request.user, filters=filters, group=group, purpose=purpose, title=title
            )
            return redirect("export_job", job_id=job.pk)
        return render(
            request,
            "teamwork/export_confirm.html",
            {"count_label": count_label(count), "action": request.get_full_path(), "group": group},
        )
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="zlv-export-")
    os.close(handle)
    try:
        exports.write_xlsx(path, queryset, establishment_id=establishment_id, purpose=purpose)
        # Opened before the name is removed: the file lives until the response closes it.
        file = open(path, "rb")  # noqa: SIM115 — closed by FileResponse
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
    name = exports.export_file_name(title, purpose, ExportFormat.XLSX)
    response = FileResponse(file, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def export_selection_xlsx(request):
    return _xlsx(request, None)


@require_http_methods(["GET", "HEAD", "POST"])
def group_export_xlsx(request, group_id: int):
    return _xlsx(request, group_id)


# ---- Background exports ------------------------------------------------------------------------


@require_safe
def export_job(request, job_id: int):
    """Progress of a background export; htmx polls the fragment until the file is ready."""
    job = export_job_for_user(request.user, job_id)
    context = {
        "job": job,
        "progress_url": reverse("export_job", args=[job.pk]),
        "download_url": reverse("export_job_download", args=[job.pk]),
        "count_label": count_label(job.total),
        "exclusions_sentence": exports.Exclusions(
            without_owner=job.excluded_without_owner, do_not_contact=job.excluded_do_not_contact
        ).sentence(),
        "is_mailing": job.purpose == ExportPurpose.MAILING,
        "is_pending": job.status == ExportStatus.PENDING,
        "stuck_after": STUCK_AFTER_LABEL,
        "back_url": reverse("group_detail", args=[job.group_id]) if job.group_id else reverse("housing_list"),
    }
    template = "teamwork/export_job.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, context)


@require_safe
def export_job_download(request, job_id: int):
    job = export_job_for_user(request.user, job_id)
    if job.status != ExportStatus.SUCCEEDED or not job.file:
        raise Http404("Le fichier de cet export n’est pas disponible.")
    try:
        file = job.file.open("rb")
    except FileNotFoundError:
        raise Http404("Le fichier de cet export n’est plus disponible.") from None
    response = FileResponse(file, as_attachment=True, filename=job.file_name, content_type=XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response
