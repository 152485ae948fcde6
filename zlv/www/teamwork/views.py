"""Groupes de logements (DOMAIN §3.7) and the assignment of a referent agent to a selection.

Groups belong to the user's active establishment: another establishment's group, or an archived
one, is not found (404). Every write is refused to visitors (403) and goes through a service.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from zlv.accounts.decorators import write_access_required
from zlv.accounts.selectors import can_write, membership_of
from zlv.housing.filters import parse_filters
from zlv.housing.models import Owner
from zlv.housing.selectors import housing_counts, with_primary_owner
from zlv.teamwork import services
from zlv.teamwork.selectors import (
    SelectionError,
    group_counts,
    group_for_user,
    group_housing,
    groups_of,
    referent_candidates,
    selected_housing,
)
from zlv.utils.numbers import plural
from zlv.www.housing_list.filter_ui import STATUS_BADGES
from zlv.www.teamwork.forms import GroupChoiceForm, GroupForm, ReferentForm
from zlv.www.teamwork.pagination import page_of
from zlv.www.teamwork.selection import count_label, created_label, list_url, owners_label, query_string

GROUP_PAGE_SIZE = 50
WRITE_METHODS = ["GET", "HEAD", "POST"]


# ---- Pages of a group --------------------------------------------------------------------------


@require_safe
def group_list(request):
    if membership_of(request.user) is None:
        return render(request, "teamwork/no_establishment.html")
    groups = list(groups_of(request.user))
    counts = group_counts(request.user, groups)
    rows = [
        {
            "group": group,
            "housing": count_label(counts[group.pk]["housing"]),
            "owners": owners_label(counts[group.pk]["owners"]),
            "created": created_label(group),
        }
        for group in groups
    ]
    return render(request, "teamwork/group_list.html", {"rows": rows, "can_write": can_write(request.user)})


@require_safe
def group_detail(request, group_id: int):
    group = group_for_user(request.user, group_id)
    dwellings = group_housing(request.user, group)
    counts = housing_counts(dwellings)
    page = page_of(
        request,
        total=counts["housing"],
        page_size=GROUP_PAGE_SIZE,
        base=reverse("group_detail", args=[group.pk]),
    )
    rows = (
        list(with_primary_owner(dwellings).order_by("geo_code", "pk")[page.start : page.stop])
        if counts["housing"]
        else []
    )
    context = {
        "group": group,
        "housing_label": count_label(counts["housing"]),
        "owners_label": owners_label(counts["owners"]),
        "created_label": created_label(group),
        "can_write": can_write(request.user),
        "rows": [
            {
                "id": housing.pk,
                "address": housing.display_address,
                "owner_id": housing.primary_owner_id,
                "owner_name": Owner(full_name=housing.primary_owner_name or "").display_name,
                "status_label": STATUS_BADGES[housing.status][0],
                "status_colour": STATUS_BADGES[housing.status][1],
                "sub_status": housing.sub_status,
            }
            for housing in rows
        ],
        "page": page.number,
        "pagination": page.links,
        "remove_url": reverse("group_remove_housing", args=[group.pk]),
    }
    return render(request, "teamwork/group_detail.html", context)


@require_http_methods(WRITE_METHODS)
@write_access_required
def group_edit(request, group_id: int):
    group = group_for_user(request.user, group_id)
    form = GroupForm(request.POST or None, initial={"title": group.title, "description": group.description})
    if request.method == "POST" and form.is_valid():
        try:
            services.group_rename(
                group=group,
                by=request.user,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
            )
        except services.GroupError as error:
            form.add_service_errors(error.errors)
        else:
            messages.success(request, "Le groupe a bien été modifié.")
            return redirect("group_detail", group_id=group.pk)
    status = 422 if form.is_bound else 200
    return render(request, "teamwork/group_edit.html", {"group": group, "form": form}, status=status)


@require_http_methods(WRITE_METHODS)
@write_access_required
def group_delete(request, group_id: int):
    """A confirmation page; the POST deletes (or archives, when a campaign uses it) the group."""
    group = group_for_user(request.user, group_id)
    if request.method == "POST":
        try:
            outcome = services.group_delete(group=group, by=request.user)
        except services.GroupError as error:
            messages.error(request, " ".join(error.errors.values()))
        else:
            verb = "archivé" if outcome == "archived" else "supprimé"
            messages.success(request, f"Le groupe « {group.title} » a bien été {verb}.")
        return redirect("group_list")
    count = group_counts(request.user, [group])[group.pk]["housing"]
    return render(
        request,
        "teamwork/group_delete.html",
        {
            "group": group,
            "housing_label": count_label(count),
            "has_campaigns": services.group_has_campaigns(group),
        },
    )


@require_POST
@write_access_required
def group_remove_housing(request, group_id: int):
    """Take the dwellings posted as `housingIds` out of the group."""
    group = group_for_user(request.user, group_id)
    filters = parse_filters({"housingIds": ",".join(request.POST.getlist("housingIds"))})
    try:
        removed = services.group_remove_housing(group=group, by=request.user, filters_or_ids=filters)
    except SelectionError as error:
        messages.error(request, " ".join(error.errors.values()))
    else:
        if removed:
            messages.success(
                request, f"{count_label(removed)} {plural(removed, 'retiré', 'retirés')} du groupe."
            )
        else:
            messages.info(request, "Aucun logement retiré : ils n’étaient plus dans le groupe.")
    return redirect("group_detail", group_id=group.pk)


# ---- From the list's selection -----------------------------------------------------------------


def _selection(request) -> dict:
    """The selection of the query string, counted; `errors` when there is none."""
    filters = parse_filters(request.GET)
    context = {"filters": filters, "list_url": list_url(request.GET), "action": request.get_full_path()}
    try:
        count = selected_housing(request.user, filters).count()
    except SelectionError as error:
        return {**context, "count": 0, "count_label": "", "selection_errors": list(error.errors.values())}
    errors = [] if count else ["Aucun logement ne correspond à la sélection."]
    return {**context, "count": count, "count_label": count_label(count), "selection_errors": errors}


@require_http_methods(WRITE_METHODS)
@write_access_required
def group_create(request):
    """ "Créer un groupe" from the list's selection: title and description required."""
    context = _selection(request)
    form = GroupForm(request.POST or None)
    context["form"] = form
    context["add_url"] = reverse("group_add") + query_string(request.GET)
    context["has_groups"] = groups_of(request.user).exists()
    if context["selection_errors"]:
        return render(request, "teamwork/group_create.html", context, status=422 if form.is_bound else 200)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(
                establishment=membership_of(request.user).establishment,
                by=request.user,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                filters_or_ids=context["filters"],
            )
        except SelectionError as error:
            form.add_service_errors(error.errors)
        else:
            count = group_counts(request.user, [group])[group.pk]["housing"]
            messages.success(request, f"Le groupe « {group.title} » a été créé avec {count_label(count)}.")
            return redirect("group_detail", group_id=group.pk)
    return render(request, "teamwork/group_create.html", context, status=422 if form.is_bound else 200)


@require_http_methods(WRITE_METHODS)
@write_access_required
def group_add(request):
    """ "Ajouter à un groupe existant": the list's selection into one of the establishment's groups."""
    context = _selection(request)
    groups = list(groups_of(request.user))
    form = GroupChoiceForm(request.POST or None, groups=groups)
    context.update(
        form=form,
        has_groups=bool(groups),
        create_url=reverse("group_create") + query_string(request.GET),
    )
    if context["selection_errors"]:
        return render(request, "teamwork/group_add.html", context, status=422 if form.is_bound else 200)
    if request.method == "POST" and form.is_valid():
        group = group_for_user(request.user, form.cleaned_data["group"])
        try:
            added = services.group_add_housing(
                group=group, by=request.user, filters_or_ids=context["filters"]
            )
        except SelectionError as error:
            form.add_service_errors(error.errors)
        else:
            already = context["count"] - added
            message = (
                f"{count_label(added)} {plural(added, 'ajouté', 'ajoutés')} au groupe « {group.title} »."
            )
            if already > 0:
                message += f" {count_label(already)} y {plural(already, 'figurait', 'figuraient')} déjà."
            messages.success(request, message)
            return redirect("group_detail", group_id=group.pk)
    return render(request, "teamwork/group_add.html", context, status=422 if form.is_bound else 200)


@require_http_methods(WRITE_METHODS)
@write_access_required
def referent_assign(request):
    """Choose the referent agent of the list's selection (or remove it)."""
    context = _selection(request)
    membership = membership_of(request.user)
    form = ReferentForm(request.POST or None, candidates=referent_candidates(membership.establishment_id))
    context["form"] = form
    if context["selection_errors"]:
        return render(request, "teamwork/referent_assign.html", context, status=422 if form.is_bound else 200)
    if request.method == "POST" and form.is_valid():
        referent_id = form.cleaned_data["referent"]
        arguments = {
            "establishment": membership.establishment,
            "user_filters_selection": context["filters"],
            "by": request.user,
        }
        try:
            if referent_id is None:
                changed = services.referent_clear(**arguments)
                message = f"Agent référent retiré de {count_label(changed)}."
            else:
                changed = services.referent_assign(**arguments, referent=referent_id)
                name = dict(form.fields["referent"].choices)[referent_id]
                message = f"{name} est désormais l’agent référent de {context['count_label']}."
        except SelectionError as error:
            form.add_service_errors(error.errors)
        else:
            messages.success(request, message)
            return redirect(context["list_url"])
    return render(request, "teamwork/referent_assign.html", context, status=422 if form.is_bound else 200)
