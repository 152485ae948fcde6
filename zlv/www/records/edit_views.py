"""Writes from the Fiche logement: the edit side panel, the sub-status options and the notes.

Every view is bounded by the user's perimeter (404 elsewhere) and refuses visitors (403). With htmx
the panel and the history are swapped in place; without JavaScript each form is a full page.
"""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import retarget, trigger_client_event

from zlv.accounts.decorators import write_access_required
from zlv.accounts.selectors import can_write, colleagues_among, membership_of
from zlv.housing import record_selectors, services
from zlv.housing.enums import SUB_STATUSES, HousingStatus
from zlv.housing.event_payloads import owning_establishment_id
from zlv.housing.models import Housing, Note
from zlv.housing.services import HousingUpdateError, NoteConflictError
from zlv.www.records import presenters
from zlv.www.records.forms import HousingEditForm, NoteForm, precision_catalogue, precision_sections

EDIT_TABS = {
    "informations": ("occupancy", "occupancy_intended", "actual_dpe"),
    "suivi": ("status", "sub_status", "precision_ids", "precisions"),
    "note": ("note",),
}
ERROR_FIELDS = (
    "__all__",
    "occupancy",
    "occupancy_intended",
    "actual_dpe",
    "status",
    "sub_status",
    "precision_ids",
    "note",
)
SAVED_MESSAGE = "Les modifications du logement ont bien été enregistrées."
SAVED_EVENT = "zlv:housing-saved"


def header_context(housing: Housing, user) -> dict:
    return {
        "housing": housing,
        "title": housing.address_dgfip or f"Logement {housing.local_id}",
        "status_badge": presenters.status_badge(housing.status),
        "occupancy_label": presenters.occupancy_label(housing.occupancy),
        "provenance": presenters.provenance_label(housing.data_file_years),
        "can_write": can_write(user),
    }


def history_context(housing: Housing, user, history_filter: str = "") -> dict:
    entries = record_selectors.housing_history(
        housing, notes=history_filter in ("", "note"), events=history_filter in ("", "update")
    )
    # Documents belong to one establishment: their events stay out of the shared history.
    entries = [entry for entry in entries if not getattr(entry, "document_id", None)]
    notes = [entry for entry in entries if isinstance(entry, Note)]
    # Events recorded before the owning establishment was stored with them: their author's colleagues
    # read the titles.
    unattributed_authors = {
        entry.created_by_id
        for entry in entries
        if not isinstance(entry, Note)
        and entry.kind in presenters.OTHER_ESTABLISHMENT_SENTENCES
        and owning_establishment_id(entry.old, entry.new) is None
    }
    membership = membership_of(user)
    return {
        "housing": housing,
        "history_url": reverse("housing_record", args=[housing.pk]),
        "history_target": "historique-logement",
        "history_filter": history_filter,
        "history_filters": presenters.TIMELINE_FILTERS,
        "history": presenters.timeline(
            entries,
            establishment_id=membership.establishment_id if membership else None,
            colleague_ids=colleagues_among(user, unattributed_authors),
        ),
        "editable_note_ids": services.note_changeable_ids(user, notes) if can_write(user) else set(),
        "can_write": can_write(user),
        "note_form": NoteForm(),
        "note_message": "",
    }


def follow_up_context(housing: Housing) -> dict:
    links = housing.housingprecision_set.select_related("precision").order_by(
        "precision__category", "precision__order", "pk"
    )
    return {
        "housing": housing,
        "status_badge": presenters.status_badge(housing.status),
        "precision_groups": presenters.precision_groups(links),
    }


def _panel_context(request, housing, form, *, conflicts=None, saved=False, selected_tab="informations"):
    catalogue = form.catalogue
    if form.is_bound:
        selected = set()
        for key in ("precisions", *(name for name in form.fields if name.startswith("precision_"))):
            values = form.data.getlist(key) if hasattr(form.data, "getlist") else []
            selected |= {int(value) for value in values if str(value).isdigit()}
        status_value = form.data.get("status", "")
        sub_status_value = form.data.get("sub_status", "")
    else:
        selected = set(form.initial.get("precision_ids", []))
        status_value = form.initial.get("status")
        sub_status_value = form.initial.get("sub_status", "")
    try:
        status = int(status_value)
    except (TypeError, ValueError):
        status = housing.status
    errors = {name: [] for name in ERROR_FIELDS}
    for name, messages_ in form.errors.items():
        errors.setdefault(name, []).extend(messages_)
    for name, message in (conflicts or {}).items():
        errors.setdefault(name, []).append(message)
    for tab, names in EDIT_TABS.items():
        if any(errors.get(name) for name in names):
            selected_tab = tab
            break
    values = {}
    for name in ("occupancy", "occupancy_intended", "actual_dpe", "note"):
        value = form[name].value()
        values[name] = "" if value is None else str(value)
    return {
        "housing": housing,
        "form": form,
        "values": values,
        "in_panel": bool(request.htmx),
        "errors": errors,
        "has_errors": any(errors.values()),
        "general_errors": errors["__all__"],
        "saved": saved,
        "selected_tab": selected_tab,
        "status_choices": HousingStatus.choices,
        "status_value": status,
        "sub_status": {
            "options": SUB_STATUSES.get(status, []),
            "value": sub_status_value,
            "errors": errors.get("sub_status", []),
            "required": True,
        },
        "occupancy_choices": form.fields["occupancy"].choices,
        "occupancy_intended_choices": form.fields["occupancy_intended"].choices,
        "dpe_choices": form.fields["actual_dpe"].choices,
        "precision_sections": precision_sections(catalogue, selected),
        "action": reverse("housing_edit", args=[housing.pk]),
        "sub_status_url": reverse("sub_status_options"),
        "record_url": reverse("housing_record", args=[housing.pk]),
    }


def _form(housing, data=None):
    catalogue = precision_catalogue()
    snapshot = services.housing_snapshot(housing)
    initial = {**snapshot, "version": json.dumps(snapshot)}
    form = HousingEditForm(data, housing=housing, catalogue=catalogue, initial=initial)
    form.catalogue = catalogue
    return form


@require_http_methods(["GET", "HEAD", "POST"])
@write_access_required
def housing_edit(request, housing_id: int):
    """The edit panel (htmx fragment) or page (without JavaScript); POST saves through housing_update."""
    housing = record_selectors.housing_for_user(request.user, housing_id)
    if request.method != "POST":
        context = _panel_context(request, housing, _form(housing))
        template = "records/_edit_panel.html" if request.htmx else "records/housing_edit.html"
        return render(request, template, context)

    form = _form(housing, request.POST)
    conflicts: dict[str, str] = {}
    result = None
    if form.is_valid():
        try:
            result = services.housing_update(housing=housing, by=request.user, **form.service_arguments())
        except HousingUpdateError as error:
            for name, message in error.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            conflicts = result.conflicts
            note = form.cleaned_data["note"].strip()
            if note:
                services.note_create(housing=result.housing, by=request.user, content=note)
    saved = result is not None and (bool(result.changed) or bool(form.cleaned_data.get("note", "").strip()))
    fully_saved = result is not None and not conflicts

    if not request.htmx:
        if fully_saved:
            messages.success(request, SAVED_MESSAGE)
            return redirect("housing_record", housing_id=housing.pk)
        if result is not None:
            housing.refresh_from_db()
            form = _form(housing)
        context = _panel_context(request, housing, form, conflicts=conflicts, saved=saved)
        return render(request, "records/housing_edit.html", context, status=200 if result else 422)

    if result is None:
        context = _panel_context(request, housing, form)
        return render(request, "records/_edit_panel.html", context, status=422)

    housing = record_selectors.housing_record(request.user, housing.pk)
    fresh = _form(housing)
    context = {
        **_panel_context(request, housing, fresh, conflicts=conflicts, saved=saved),
        "refresh": {
            "header": header_context(housing, request.user),
            "history": history_context(housing, request.user),
            "follow_up": follow_up_context(housing),
            "occupancy_label": presenters.occupancy_label(housing.occupancy),
            "occupancy_intended_label": presenters.occupancy_label(housing.occupancy_intended),
            "message": SAVED_MESSAGE if fully_saved else "",
        },
    }
    response = render(request, "records/_edit_panel.html", context)
    if fully_saved:
        trigger_client_event(response, SAVED_EVENT)
    return response


@require_safe
def sub_status_options(request):
    """The sub-status field for the chosen status (htmx, edit panel and bulk edit)."""
    try:
        status = int(request.GET.get("status", ""))
    except ValueError:
        status = None
    context = {
        "sub_status": {
            "options": SUB_STATUSES.get(status, []),
            "value": request.GET.get("sub_status", ""),
            "errors": [],
            "required": request.GET.get("bulk") != "1",
        }
    }
    return render(request, "records/_sub_status_field.html", context)


# ---- Notes -------------------------------------------------------------------------------------


def _history_panel(request, housing, *, note_message="", note_form=None, status=200):
    context = history_context(housing, request.user)
    context["note_message"] = note_message
    if note_form is not None:
        context["note_form"] = note_form
    return render(request, "records/_history_panel.html", context, status=status)


@require_POST
@write_access_required
def housing_note_create(request, housing_id: int):
    housing = record_selectors.housing_for_user(request.user, housing_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_create(housing=housing, by=request.user, content=form.cleaned_data["content"])
        except HousingUpdateError as error:
            form.add_error("content", error.errors.get("content", "Note invalide."))
    if form.is_valid():
        if request.htmx:
            return _history_panel(request, housing, note_message="La note a bien été enregistrée.")
        messages.success(request, "La note a bien été enregistrée.")
        return redirect(reverse("housing_record", args=[housing.pk]) + "?type=note")
    if request.htmx:
        return _history_panel(request, housing, note_form=form, status=422)
    return render(request, "records/note_form_page.html", {"housing": housing, "form": form}, status=422)


def _note_context(note, form=None, *, newer_note=None) -> dict:
    """`newer_note`: the current version of a note changed since the form was loaded."""
    return {
        "note": note,
        "housing": note.housing,
        "form": form or NoteForm(initial={"content": note.content, "version": note.updated_at.isoformat()}),
        "newer_note": newer_note,
        "entry_id": f"note-{note.pk}",
        "record_url": reverse("housing_record", args=[note.housing_id]) + "?type=note",
    }


@require_http_methods(["GET", "HEAD", "POST"])
@write_access_required
def note_edit(request, note_id: int):
    note = record_selectors.note_for_user(request.user, note_id)
    if not services.note_can_change(note, request.user):
        raise PermissionDenied(
            "Seul l’auteur de la note ou un administrateur de la structure peut la modifier."
        )
    template = "records/_note_edit.html" if request.htmx else "records/note_edit.html"
    if request.method != "POST":
        return render(request, template, _note_context(note))
    form = NoteForm(request.POST)
    conflict, newer_note = False, None
    if form.is_valid():
        try:
            services.note_update(
                note=note,
                by=request.user,
                content=form.cleaned_data["content"],
                expected_updated_at=form.cleaned_data["version"],
            )
        except NoteConflictError as error:
            form.add_error("content", error.errors["content"])
            conflict, newer_note = True, error.note
            if newer_note is not None:
                # Saving again, after reading the newer version, replaces it on purpose.
                form.data = form.data.copy()
                form.data["version"] = newer_note.updated_at.isoformat()
        except HousingUpdateError as error:
            form.add_error("content", error.errors.get("content", "Note invalide."))
    if not form.is_valid():
        # 200 for htmx, which swaps no 4xx response (the message must show next to the form).
        status = 200 if request.htmx else (409 if conflict else 422)
        response = render(request, template, _note_context(note, form, newer_note=newer_note), status=status)
        return retarget(response, f"#note-{note.pk}") if request.htmx else response
    if request.htmx:
        return _history_panel(request, note.housing, note_message="La note a bien été modifiée.")
    messages.success(request, "La note a bien été modifiée.")
    return redirect(_note_context(note)["record_url"])


@require_http_methods(["GET", "HEAD", "POST"])
@write_access_required
def note_delete(request, note_id: int):
    """GET asks for confirmation; POST deletes (soft)."""
    note = record_selectors.note_for_user(request.user, note_id)
    if not services.note_can_change(note, request.user):
        raise PermissionDenied(
            "Seul l’auteur de la note ou un administrateur de la structure peut la supprimer."
        )
    if request.method != "POST":
        template = "records/_note_delete.html" if request.htmx else "records/note_delete.html"
        return render(request, template, _note_context(note))
    services.note_delete(note=note, by=request.user)
    if request.htmx:
        return _history_panel(request, note.housing, note_message="La note a bien été supprimée.")
    messages.success(request, "La note a bien été supprimée.")
    return redirect(_note_context(note)["record_url"])
