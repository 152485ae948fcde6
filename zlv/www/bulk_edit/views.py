"""Édition groupée: the same follow-up fields for a selection of the list (ids, or all matching the
filters minus exclusions), a confirmation step with the count, then the edit — in the task worker
with a progress page above services.BULK_SYNC_LIMIT dwellings."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from zlv.accounts.decorators import write_access_required
from zlv.housing import document_services, services
from zlv.housing.document_files import ACCEPT_ATTRIBUTE, ACCEPTED_LABEL, max_size_bytes
from zlv.housing.enums import SUB_STATUSES, HousingStatus, Occupancy
from zlv.housing.filters import parse_filters
from zlv.housing.models import BulkUpdateJob, BulkUpdateJobStatus
from zlv.housing.services import HousingUpdateError
from zlv.utils.jobs import STUCK_AFTER_LABEL
from zlv.www.records.forms import BulkEditForm, precision_catalogue, precision_sections
from zlv.www.teamwork.selection import count_label

SELECTION_PARAMETERS = ("housingIds", "all")
FORM_FIELDS = ("occupancy", "occupancy_intended", "status", "sub_status", "note")


def success_message(count: int) -> str:
    if count == 1:
        return "L’édition groupée de 1 logement a bien été enregistrée."
    return f"L’édition groupée de {count} logements a bien été enregistrée."


def _list_url(query) -> str:
    """The list with the same filters, without the selection."""
    params = [
        (key, value) for key in query for value in query.getlist(key) if key not in SELECTION_PARAMETERS
    ]
    return reverse("housing_list") + (f"?{urlencode(params)}" if params else "")


@require_http_methods(["GET", "HEAD", "POST"])
@write_access_required
def housing_bulk_edit(request):
    filters = parse_filters(request.GET)
    catalogue = precision_catalogue()
    form = BulkEditForm(request.POST or None, catalogue=catalogue)
    context = {
        "action": request.get_full_path(),
        "list_url": _list_url(request.GET),
        "catalogue": catalogue,
        **_documents_form_context(request),
    }
    try:
        count = services.bulk_selection(request.user, filters).count()
    except HousingUpdateError as error:
        return render(
            request,
            "bulk_edit/bulk_edit.html",
            {**context, **_form_context(form, catalogue), **error_context(error)},
        )
    context["selection_errors"] = []
    context["count"] = count
    context["count_label"] = count_label(count)
    context["background"] = count > services.BULK_SYNC_LIMIT
    if request.method != "POST":
        return render(request, "bulk_edit/bulk_edit.html", {**context, **_form_context(form, catalogue)})

    if form.is_valid() and request.POST.get("step") != "edit":
        arguments = form.service_arguments()
        try:
            if request.POST.get("step") == "confirm":
                outcome = services.housing_bulk_update(user=request.user, filters=filters, **arguments)
            else:
                count = services.housing_bulk_update_preview(user=request.user, filters=filters, **arguments)
        except HousingUpdateError as error:
            for name, message in error.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            if request.POST.get("step") != "confirm":
                context.update(count=count, count_label=count_label(count))
                return render(
                    request,
                    "bulk_edit/bulk_edit_confirm.html",
                    {
                        **context,
                        "summary": _summary(arguments, catalogue),
                        "hidden": _hidden_fields(request.POST),
                    },
                )
            if outcome.job is not None:
                return redirect("housing_bulk_edit_progress", job_id=outcome.job.pk)
            messages.success(request, success_message(outcome.count))
            return redirect(context["list_url"])
    status = 200 if request.POST.get("step") == "edit" else 422
    return render(
        request, "bulk_edit/bulk_edit.html", {**context, **_form_context(form, catalogue)}, status=status
    )


def error_context(error: HousingUpdateError) -> dict:
    return {
        "selection_errors": list(error.errors.values()),
        "count": 0,
        "count_label": "",
        "background": False,
    }


def _form_context(form: BulkEditForm, catalogue) -> dict:
    data = form.data if form.is_bound else {}
    selected = set()
    if form.is_bound:
        for key in ("precisions", *(name for name in form.fields if name.startswith("precision_"))):
            selected |= {int(value) for value in data.getlist(key) if value.isdigit()}
    try:
        status = int(data.get("status", ""))
    except ValueError:
        status = None
    errors = {name: [] for name in ("__all__", *FORM_FIELDS, "precision_ids")}
    if form.is_bound and form.data.get("step") != "edit":
        for name, messages_ in form.errors.items():
            errors.setdefault(name, []).extend(messages_)
    return {
        "form": form,
        "values": {name: data.get(name, "") for name in FORM_FIELDS},
        "errors": errors,
        "has_errors": any(errors.values()),
        "general_errors": errors["__all__"],
        "occupancy_choices": form.fields["occupancy"].choices,
        "occupancy_intended_choices": form.fields["occupancy_intended"].choices,
        "status_choices": form.fields["status"].choices,
        "sub_status": {
            "options": SUB_STATUSES.get(status, []),
            "value": data.get("sub_status", ""),
            "errors": errors.get("sub_status", []),
            "required": True,
        },
        "sub_status_url": reverse("sub_status_options"),
        "precision_sections": precision_sections(catalogue, selected, add_only=True),
        "precision_errors": errors["precision_ids"],
    }


def _summary(arguments: dict, catalogue) -> list[str]:
    lines = []
    if arguments.get("occupancy"):
        lines.append(f"Occupation actuelle : {Occupancy(arguments['occupancy']).label}")
    if arguments.get("occupancy_intended"):
        lines.append(f"Occupation prévisionnelle : {Occupancy(arguments['occupancy_intended']).label}")
    if "status" in arguments:
        status = HousingStatus(arguments["status"]).label
        sub_status = arguments.get("sub_status")
        lines.append(f"Statut de suivi : {status}" + (f" ({sub_status})" if sub_status else ""))
    labels = {precision.pk: precision for precision in catalogue}
    added = [labels[i] for i in arguments.get("precision_ids", []) if i in labels]
    if added:
        lines.append(
            "Précisions ajoutées : " + ", ".join(f"{p.label} ({p.get_category_display()})" for p in added)
        )
    if (arguments.get("note") or "").strip():
        lines.append("Note ajoutée à chaque logement")
    return lines


def _hidden_fields(post) -> list[tuple[str, str]]:
    return [
        (key, value)
        for key in post
        for value in post.getlist(key)
        if key not in ("csrfmiddlewaretoken", "step")
    ]


@require_safe
def housing_bulk_edit_progress(request, job_id: int):
    """Progress of a background bulk edit; htmx polls the fragment until it is finished."""
    job = BulkUpdateJob.objects.filter(pk=job_id, user=request.user).first()
    if job is None:
        raise Http404("Édition groupée introuvable.")
    context = {
        "job": job,
        "progress_url": reverse("housing_bulk_edit_progress", args=[job.pk]),
        "list_url": reverse("housing_list"),
        "success_message": success_message(job.done),
        "is_pending": job.status == BulkUpdateJobStatus.PENDING,
        "stuck_after": STUCK_AFTER_LABEL,
    }
    template = "bulk_edit/bulk_edit_progress.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, context)


# ---- A document attached to each dwelling of the selection -------------------------------------


def _documents_form_context(request, errors=()) -> dict:
    query = request.GET.urlencode()
    return {
        "documents_action": reverse("housing_bulk_documents") + (f"?{query}" if query else ""),
        "documents_errors": list(errors),
        "documents_accept": ACCEPT_ATTRIBUTE,
        "documents_accepted_label": ACCEPTED_LABEL,
        "documents_max_size_label": filesizeformat(max_size_bytes()),
    }


def documents_success_message(documents, count: int) -> str:
    subject = (
        f"Le document « {documents[0].filename} » a bien été ajouté"
        if len(documents) == 1
        else f"{len(documents)} documents ont bien été ajoutés"
    )
    return f"{subject} à {count_label(count)}."


@require_http_methods(["GET", "HEAD", "POST"])
@write_access_required
def housing_bulk_documents(request):
    """Attach the same uploaded files to every dwelling of the selection (one document, many links)."""
    filters = parse_filters(request.GET)
    context = {"list_url": _list_url(request.GET), "selection_errors": []}
    try:
        housing_ids = list(services.bulk_selection(request.user, filters).values_list("pk", flat=True))
    except HousingUpdateError as error:
        context.update(selection_errors=list(error.errors.values()), count=0, count_label="")
        return render(
            request, "bulk_edit/bulk_documents.html", {**context, **_documents_form_context(request)}
        )
    context.update(count=len(housing_ids), count_label=count_label(len(housing_ids)))
    if request.method != "POST":
        return render(
            request, "bulk_edit/bulk_documents.html", {**context, **_documents_form_context(request)}
        )
    try:
        documents = document_services.documents_upload(
            housing_ids=housing_ids, files=request.FILES.getlist("files"), by=request.user
        )
    except ValidationError as error:
        context.update(_documents_form_context(request, error.messages))
        return render(request, "bulk_edit/bulk_documents.html", context, status=422)
    messages.success(request, documents_success_message(documents, len(housing_ids)))
    return redirect(context["list_url"])
