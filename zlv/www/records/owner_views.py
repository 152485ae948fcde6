"""Owners editing: an owner's contact details, the ranks of a dwelling's owners, attaching an
existing owner (searched in the user's perimeter) or a new one.

Every view is bounded by the user's perimeter (404 elsewhere) and refuses visitors (403).
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from zlv.accounts.decorators import write_access_required
from zlv.housing import owner_selectors, owner_services, record_selectors
from zlv.housing.enums import OwnerRank
from zlv.housing.owner_services import OwnerEditError
from zlv.www.records import presenters
from zlv.www.records.owner_forms import RANK_CHOICES, OwnerAttachForm, OwnerContactForm, OwnerCreateForm

RANKS_SAVED = "Les propriétaires du logement ont bien été mis à jour."
STATE_LABELS = {
    OwnerRank.FORMER: "Ancien",
    OwnerRank.INCORRECT: "Incorrect",
    OwnerRank.AWAITING: "En attente",
    OwnerRank.DECEASED: "Décédé",
}


def _errors(form, service_errors: dict | None = None) -> dict[str, list[str]]:
    """Messages by field, every field present (the templates read each one)."""
    errors: dict[str, list[str]] = {name: [] for name in ("__all__", *form.fields)}
    if form.is_bound:
        for name, messages_ in form.errors.items():
            errors[name].extend(messages_)
    for name, message in (service_errors or {}).items():
        errors.setdefault(name, []).append(message)
    return errors


# ---- Contact of an owner ------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@write_access_required
def owner_contact_edit(request, owner_id: int):
    links = record_selectors.owner_record(request.user, owner_id)
    owner = links[0].owner
    form = OwnerContactForm(
        request.POST or None,
        initial={
            "email": owner.email,
            "phone": owner.phone,
            "additional_address": owner.additional_address,
            "postal_address_line": owner.postal_address_line,
            "postal_code": owner.postal_code,
            "postal_city": owner.postal_city,
            "do_not_contact": owner.do_not_contact,
        },
    )
    service_errors = {}
    if request.method == "POST" and form.is_valid():
        try:
            changed = owner_services.owner_update_contact(owner=owner, by=request.user, **form.cleaned_data)
        except OwnerEditError as error:
            service_errors = error.errors
        else:
            if changed:
                messages.success(request, "Les coordonnées du propriétaire ont bien été enregistrées.")
            else:
                messages.info(request, "Aucune modification à enregistrer.")
            return redirect("owner_record", owner_id=owner.pk)
    errors = _errors(form, service_errors)
    context = {
        "owner": owner,
        "name": owner.display_name,
        "values": {name: form[name].value() for name in form.fields},
        "errors": errors,
        "has_errors": any(errors.values()),
    }
    return render(
        request, "records/owner_contact_edit.html", context, status=422 if request.method == "POST" else 200
    )


# ---- Owners of a dwelling -----------------------------------------------------------------------


def _rank_value(rank: int) -> str:
    return str(OwnerRank.SECONDARY_2 if rank >= OwnerRank.SECONDARY_2 else rank)


def _owner_rows(housing, submitted=None) -> list[dict]:
    rows = []
    for link in sorted(housing.owner_links.all(), key=record_selectors.rank_order):
        choices = list(RANK_CHOICES)
        if link.rank == OwnerRank.AWAITING:
            choices.append((str(OwnerRank.AWAITING), OwnerRank.AWAITING.label))
        value = _rank_value(link.rank)
        if submitted is not None:
            value = submitted.get(f"rank-{link.owner_id}", value)
        rows.append(
            {
                "link": link,
                "owner": link.owner,
                "kind_label": presenters.owner_kind_label(link.owner.kind),
                "property_right_label": link.get_property_right_display() or presenters.NO_INFORMATION,
                "rank_label": presenters.rank_label(link.rank),
                "state_label": "Actuel"
                if link.rank >= OwnerRank.PRIMARY
                else STATE_LABELS.get(link.rank, ""),
                "is_active": link.rank >= OwnerRank.PRIMARY,
                "choices": choices,
                "value": value,
                "detach_checked": submitted is not None and str(link.owner_id) in submitted.getlist("detach"),
            }
        )
    return rows


def _owners_context(request, housing, *, submitted=None, errors=(), search=None, create_form=None) -> dict:
    query = (request.GET.get("q") or "").strip()
    return {
        "housing": housing,
        "title": housing.address_dgfip or f"Logement {housing.local_id}",
        "rows": _owner_rows(housing, submitted),
        "errors": list(errors),
        "query": query,
        "search": search if search is not None else _search_context(request, housing, query),
        "rank_choices": RANK_CHOICES,
        "record_url": reverse("housing_record", args=[housing.pk]),
        "owners_url": reverse("housing_owners", args=[housing.pk]),
        "attach_url": reverse("housing_owner_attach", args=[housing.pk]),
        "create_url": reverse("housing_owner_create", args=[housing.pk]),
    }


def _search_context(request, housing, query: str, *, errors=()) -> dict:
    too_short = 0 < len(query) < owner_selectors.OWNER_SEARCH_MIN_LENGTH
    results = owner_selectors.owner_search(request.user, query, exclude_housing=housing) if query else []
    return {
        "housing": housing,
        "query": query,
        "too_short": too_short,
        "searched": bool(query) and not too_short,
        "results": [
            {"owner": owner, "kind_label": presenters.owner_kind_label(owner.kind)} for owner in results
        ],
        "limit": owner_selectors.OWNER_SEARCH_LIMIT,
        "rank_choices": RANK_CHOICES,
        "default_rank": str(OwnerRank.SECONDARY_2),
        "attach_url": reverse("housing_owner_attach", args=[housing.pk]),
        "errors": list(errors),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@write_access_required
def housing_owners(request, housing_id: int):
    """The owners of a dwelling with their ranks (POST saves the ranks and the detachments)."""
    housing = record_selectors.housing_record(request.user, housing_id)
    if request.method != "POST":
        return render(request, "records/housing_owners.html", _owners_context(request, housing))
    ranks = {}
    for link in housing.owner_links.all():
        value = request.POST.get(f"rank-{link.owner_id}")
        if value is not None and value != _rank_value(link.rank):
            ranks[link.owner_id] = value
    detach = set()
    for value in request.POST.getlist("detach"):
        if value.isdigit():
            detach.add(int(value))
    try:
        result = owner_services.housing_owners_update(
            housing=housing, ranks=ranks, detach=detach, by=request.user
        )
    except OwnerEditError as error:
        context = _owners_context(request, housing, submitted=request.POST, errors=error.errors.values())
        return render(request, "records/housing_owners.html", context, status=422)
    if not result.events:
        messages.info(request, "Aucune modification à enregistrer.")
    else:
        messages.success(request, RANKS_SAVED)
        if result.promoted is not None:
            messages.info(
                request,
                f"{result.promoted.owner.display_name} est désormais destinataire principal du logement.",
            )
    return redirect("housing_owners", housing_id=housing.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@write_access_required
def housing_owner_attach(request, housing_id: int):
    """GET: search results (the fragment with htmx); POST: attach the chosen owner with a rank."""
    housing = record_selectors.housing_record(request.user, housing_id)
    if request.method != "POST":
        query = (request.GET.get("q") or "").strip()
        search = _search_context(request, housing, query)
        if request.htmx:
            return render(request, "records/_owner_search_results.html", search)
        return render(
            request, "records/housing_owners.html", _owners_context(request, housing, search=search)
        )
    form = OwnerAttachForm(request.POST)
    errors = []
    if form.is_valid():
        owner = owner_selectors.owner_for_user(
            request.user, form.cleaned_data["owner_id"], idpersonne=form.cleaned_data["q"]
        )
        try:
            owner_services.housing_owner_attach(
                housing=housing, owner=owner, rank=form.cleaned_data["rank"], by=request.user
            )
        except OwnerEditError as error:
            errors = list(error.errors.values())
        else:
            messages.success(request, f"{owner.display_name} a bien été rattaché au logement.")
            return redirect("housing_owners", housing_id=housing.pk)
    else:
        errors = [message for messages_ in form.errors.values() for message in messages_]
    search = _search_context(request, housing, (request.POST.get("q") or "").strip(), errors=errors)
    return render(
        request, "records/housing_owners.html", _owners_context(request, housing, search=search), status=422
    )


@require_http_methods(["GET", "HEAD", "POST"])
@write_access_required
def housing_owner_create(request, housing_id: int):
    """A new owner, entered by hand, attached to the dwelling with a rank."""
    housing = record_selectors.housing_for_user(request.user, housing_id)
    form = OwnerCreateForm(request.POST or None, initial={"rank": str(OwnerRank.SECONDARY_2)})
    service_errors = {}
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        rank = data.pop("rank")
        try:
            owner = owner_services.housing_owner_create(housing=housing, rank=rank, by=request.user, **data)
        except OwnerEditError as error:
            service_errors = error.errors
        else:
            messages.success(request, f"{owner.display_name} a bien été créé et rattaché au logement.")
            return redirect("housing_owners", housing_id=housing.pk)
    errors = _errors(form, service_errors)
    values = {name: form[name].value() for name in form.fields}
    values["birth_date"] = form.data.get("birth_date", "") if form.is_bound else ""
    context = {
        "housing": housing,
        "values": values,
        "errors": errors,
        "has_errors": any(errors.values()),
        "general_errors": errors["__all__"],
        "kind_choices": form.fields["kind"].choices,
        "rank_choices": RANK_CHOICES,
        "owners_url": reverse("housing_owners", args=[housing.pk]),
    }
    return render(
        request, "records/housing_owner_create.html", context, status=422 if request.method == "POST" else 200
    )
