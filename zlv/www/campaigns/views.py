"""Campagnes (DOMAIN §3.8): the establishment's campaigns, their creation from a group, a campaign's
page with its recipients, its edition and deletion.

Campaigns belong to the user's active establishment: another establishment's campaign (or group)
is not found (404). Every write is refused to visitors (403) and goes through a service.
"""

import math

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_safe

from zlv.accounts.decorators import write_access_required
from zlv.accounts.selectors import can_write, membership_of
from zlv.campaigns import services
from zlv.campaigns.selectors import (
    CampaignStats,
    campaign_for_user,
    campaign_housing,
    campaign_stats,
    campaigns_of,
)
from zlv.housing.models import Owner
from zlv.housing.selectors import with_primary_owner
from zlv.teamwork.selectors import group_counts, group_for_user, groups_of
from zlv.utils.numbers import format_number, plural
from zlv.www.campaigns.forms import CampaignForm, housing_ids
from zlv.www.housing_list.filter_ui import STATUS_BADGES
from zlv.www.teamwork.pagination import page_of
from zlv.www.teamwork.selection import count_label, created_label, owners_label

RECIPIENTS_PAGE_SIZE = 50
GROUPS_PAGE_SIZE = 10
WRITE_METHODS = ["GET", "HEAD", "POST"]
WAITING_LABEL = "Envoi en attente"

# Sortable columns of the campaigns table: (key of `?sort=`, label, value of a row; None sorts last).
SORTABLE_COLUMNS = [
    ("title", "Nom", lambda row: row["campaign"].title.casefold()),
    ("createdAt", "Création", lambda row: row["campaign"].created_at),
    ("housingCount", "Logements", lambda row: row["stats"].housing),
    ("ownerCount", "Propriétaires", lambda row: row["stats"].owners),
    ("sentAt", "Date d’envoi", lambda row: row["campaign"].sent_at),
    ("returnCount", "Retours", lambda row: row["stats"].returns if row["stats"].sent else None),
    ("returnRate", "Taux de retour", lambda row: row["stats"].return_rate),
]
SORT_VALUES = {key: value for key, _, value in SORTABLE_COLUMNS}


def _rate_label(stats: CampaignStats) -> str:
    """'33 %' (no decimals, halves rounded up), '—' before the letters went out."""
    rate = stats.return_rate
    return "—" if rate is None else f"{math.floor(rate + 0.5)}\u00a0%"


def _sent_label(campaign) -> str:
    if campaign.is_sent():
        return date_format(campaign.sent_at, "d/m/Y")
    return WAITING_LABEL


def _planned_label(campaign) -> str:
    """'Envoi prévu le 12/03/2026' for a sending date still to come, else ''."""
    if campaign.sent_at is None or campaign.is_sent():
        return ""
    return f"Envoi prévu le {date_format(campaign.sent_at, 'd/m/Y')}"


# ---- The establishment's campaigns --------------------------------------------------------------


def _sorted_rows(rows: list[dict], sort: str) -> list[dict]:
    """The rows by one column (`-` for descending), rows without a value last either way."""
    key = sort.removeprefix("-")
    value = SORT_VALUES[key]
    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]
    return sorted(present, key=value, reverse=sort.startswith("-")) + missing


def _sortable_columns(current: str) -> dict:
    """Each sortable column cycles: ascending → descending → default order (newest first)."""
    base = reverse("campaigns")
    columns = {}
    for key, label, _ in SORTABLE_COLUMNS:
        if current == key:
            direction, next_sort = "ascending", f"-{key}"
        elif current == f"-{key}":
            direction, next_sort = "descending", ""
        else:
            direction, next_sort = "", key
        action = {
            "": f"Trier par {label.lower()}, ordre croissant",
            "ascending": f"Trier par {label.lower()}, ordre décroissant",
            "descending": f"Annuler le tri par {label.lower()}",
        }[direction]
        columns[key] = {
            "label": label,
            "aria_sort": direction,
            "url": f"{base}?sort={next_sort}" if next_sort else base,
            "action": action,
        }
    return columns


@require_safe
def campaign_list(request):
    if membership_of(request.user) is None:
        return render(request, "campaigns/no_establishment.html")
    sort = request.GET.get("sort", "")
    if sort and sort.removeprefix("-") not in SORT_VALUES:
        messages.warning(
            request,
            "Ce tri n’existe pas : les campagnes sont affichées de la plus récente à la plus ancienne.",
        )
        sort = ""
    campaigns = list(campaigns_of(request.user))
    stats = campaign_stats(request.user, campaigns)
    rows = [{"campaign": campaign, "stats": stats[campaign.pk]} for campaign in campaigns]
    if sort:
        rows = _sorted_rows(rows, sort)
    context = {
        "rows": [
            {
                "campaign": row["campaign"],
                "created": date_format(timezone.localtime(row["campaign"].created_at), "d/m/Y"),
                "housing": format_number(row["stats"].housing),
                "owners": format_number(row["stats"].owners),
                "sent": _sent_label(row["campaign"]),
                "planned": _planned_label(row["campaign"]),
                "returns": format_number(row["stats"].returns) if row["stats"].sent else "—",
                "rate": _rate_label(row["stats"]),
            }
            for row in rows
        ],
        "columns": _sortable_columns(sort),
        "can_write": can_write(request.user),
    }
    return render(request, "campaigns/campaign_list.html", context)


@require_safe
@write_access_required
def campaign_group_choice(request):
    """ "Créer une campagne" from the campaigns page: pick one of the non-empty groups, newest first."""
    groups = list(groups_of(request.user))
    counts = group_counts(request.user, groups)
    groups = [group for group in groups if counts[group.pk]["housing"]]
    page = page_of(
        request, total=len(groups), page_size=GROUPS_PAGE_SIZE, base=reverse("campaign_group_choice")
    )
    context = {
        "rows": [
            {
                "group": group,
                "housing": count_label(counts[group.pk]["housing"]),
                "owners": owners_label(counts[group.pk]["owners"]),
                "created": created_label(group),
            }
            for group in groups[page.start : page.stop]
        ],
        "page": page.number,
        "pagination": page.links,
    }
    return render(request, "campaigns/campaign_group_choice.html", context)


# ---- Creation from a group ----------------------------------------------------------------------


@require_http_methods(WRITE_METHODS)
@write_access_required
def campaign_create(request, group_id: int):
    """ "Créer une campagne" from a group: its dwellings are copied into the new campaign."""
    group = group_for_user(request.user, group_id)
    counts = group_counts(request.user, [group])[group.pk]
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(group=group, by=request.user, **form.cleaned_data)
        except services.CampaignError as error:
            form.add_service_errors(error.errors)
        else:
            count = campaign_housing(request.user, campaign).count()
            message = f"La campagne « {campaign.title} » a été créée avec {count_label(count)}."
            if campaign.is_sent():
                message += (
                    " Sa date d’envoi étant atteinte, ses logements « Non suivi » sont désormais"
                    " « En attente de retour »."
                )
            messages.success(request, message)
            return redirect("campaign_detail", campaign_id=campaign.pk)
    context = {
        "group": group,
        "form": form,
        "housing_label": count_label(counts["housing"]),
        "owners_label": owners_label(counts["owners"]),
    }
    return render(request, "campaigns/campaign_create.html", context, status=422 if form.is_bound else 200)


# ---- A campaign ---------------------------------------------------------------------------------


@require_safe
def campaign_detail(request, campaign_id: int):
    campaign = campaign_for_user(request.user, campaign_id)
    stats = campaign_stats(request.user, [campaign])[campaign.pk]
    page = page_of(
        request,
        total=stats.housing,
        page_size=RECIPIENTS_PAGE_SIZE,
        base=reverse("campaign_detail", args=[campaign.pk]),
    )
    recipients = (
        list(
            campaign_housing(request.user, campaign)
            .select_related("primary_owner")
            .order_by("pk")[page.start : page.stop]
        )
        if stats.housing
        else []
    )
    context = {
        "campaign": campaign,
        "created_label": created_label(campaign, feminine=True),
        "can_write": can_write(request.user),
        "stats": {
            "housing": format_number(stats.housing),
            "owners": format_number(stats.owners),
            "sent": date_format(campaign.sent_at, "j F Y") if campaign.is_sent() else WAITING_LABEL,
            "planned": _planned_label(campaign),
            "returns": format_number(stats.returns) if stats.sent else "—",
            "rate": _rate_label(stats),
        },
        "housing_list_url": f"{reverse('housing_list')}?campaignIds={campaign.pk}",
        "recipients_label": count_label(stats.housing),
        "rows": [_recipient_row(housing) for housing in recipients],
        "page": page.number,
        "pagination": page.links,
    }
    return render(request, "campaigns/campaign_detail.html", context)


def _recipient_row(housing) -> dict:
    owner = housing.primary_owner
    return {
        "id": housing.pk,
        "address": housing.display_address,
        "owner_id": housing.primary_owner_id,
        "owner_name": owner.display_name if owner else "",
        "owner_address": owner.address_dgfip if owner else "",
        "status_label": STATUS_BADGES[housing.status][0],
        "status_colour": STATUS_BADGES[housing.status][1],
        "sub_status": housing.sub_status,
    }


SENT_AT_EDIT_HELP = (
    "Format attendu : jj/mm/aaaa. Le jour venu (ou tout de suite si la date est passée), les logements "
    "« Non suivi » de la campagne passent « En attente de retour ». Une fois indiquée, la date d’envoi "
    "peut être changée mais plus retirée."
)


@require_http_methods(WRITE_METHODS)
@write_access_required
def campaign_edit(request, campaign_id: int):
    campaign = campaign_for_user(request.user, campaign_id)
    form = CampaignForm(
        request.POST or None,
        initial={"title": campaign.title, "description": campaign.description, "sent_at": campaign.sent_at},
        sent_at_help=SENT_AT_EDIT_HELP,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(campaign=campaign, by=request.user, **form.cleaned_data)
        except services.CampaignError as error:
            form.add_service_errors(error.errors)
        else:
            messages.success(request, "La campagne a bien été modifiée.")
            return redirect("campaign_detail", campaign_id=campaign.pk)
    status = 422 if form.is_bound else 200
    return render(
        request, "campaigns/campaign_edit.html", {"campaign": campaign, "form": form}, status=status
    )


@require_http_methods(WRITE_METHODS)
@write_access_required
def campaign_delete(request, campaign_id: int):
    """A confirmation page; the POST deletes the campaign."""
    campaign = campaign_for_user(request.user, campaign_id)
    if request.method == "POST":
        try:
            services.campaign_delete(campaign=campaign, by=request.user)
        except services.CampaignError as error:
            messages.error(request, " ".join(error.errors.values()))
        else:
            messages.success(request, f"La campagne « {campaign.title} » a bien été supprimée.")
        return redirect("campaigns")
    count = campaign_stats(request.user, [campaign])[campaign.pk].housing
    return render(
        request, "campaigns/campaign_delete.html", {"campaign": campaign, "housing_label": count_label(count)}
    )


@require_http_methods(WRITE_METHODS)
@write_access_required
def campaign_remove_housing(request, campaign_id: int):
    """A confirmation page for the dwellings given as `housingIds`; the POST takes them out."""
    campaign = campaign_for_user(request.user, campaign_id)
    source = request.POST if request.method == "POST" else request.GET
    ids = housing_ids(source.getlist("housingIds"))
    if request.method == "POST":
        try:
            removed = services.campaign_remove_housing(campaign=campaign, by=request.user, housing_ids=ids)
        except services.CampaignError as error:
            messages.error(request, " ".join(error.errors.values()))
        else:
            if removed:
                messages.success(
                    request, f"{count_label(removed)} {plural(removed, 'retiré', 'retirés')} de la campagne."
                )
            else:
                messages.info(request, "Aucun logement retiré : ils n’étaient plus dans la campagne.")
        return redirect("campaign_detail", campaign_id=campaign.pk)
    dwellings = list(
        with_primary_owner(campaign_housing(request.user, campaign).filter(pk__in=ids)).order_by("pk")
    )
    if not dwellings:
        raise Http404("Logement introuvable dans cette campagne.")
    context = {
        "campaign": campaign,
        "rows": [
            {
                "id": housing.pk,
                "address": housing.display_address,
                "owner_name": Owner(full_name=housing.primary_owner_name or "").display_name,
            }
            for housing in dwellings
        ],
        "housing_label": count_label(len(dwellings)),
    }
    return render(request, "campaigns/campaign_remove_housing.html", context)
