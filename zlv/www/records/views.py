"""Record pages: the Fiche logement and the owner page, both bounded by the user's perimeter."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from zlv.accounts.selectors import can_write
from zlv.campaigns.selectors import campaigns_by_housing
from zlv.geo.perimeter_selectors import perimeters_containing
from zlv.housing import record_selectors
from zlv.housing.enums import OwnerRank
from zlv.teamwork.selectors import housing_teamwork
from zlv.www.records import document_views, edit_views, presenters

HISTORY_TARGET = "historique-logement"


@require_safe
def housing_record(request, housing_id: int):
    """The Fiche logement; an htmx request from the history filter gets the timeline fragment only."""
    history_filter = request.GET.get("type", "")
    if history_filter not in presenters.TIMELINE_FILTERS:
        history_filter = ""
    if request.htmx and request.htmx.target == HISTORY_TARGET:
        housing = record_selectors.housing_for_user(request.user, housing_id)
        return render(
            request,
            "records/_history_panel.html#history",
            edit_views.history_context(housing, request.user, history_filter),
        )

    housing = record_selectors.housing_record(request.user, housing_id)
    active_owner_ids = [link.owner_id for link in housing.owner_links.all() if link.rank >= OwnerRank.PRIMARY]
    owners = presenters.split_owners(
        housing.owner_links.all(), record_selectors.primary_housing_counts(request.user, active_owner_ids)
    )
    header = edit_views.header_context(housing, request.user)
    title = header["title"]
    context = {
        **header,
        "breadcrumb": {
            "root_dir": "/",
            "links": [{"url": reverse("housing_list"), "title": "Parc de logements"}],
            "current": title,
        },
        "occupancy_intended_label": presenters.occupancy_label(housing.occupancy_intended),
        "ownership_label": presenters.ownership_label(housing.condominium),
        "vacancy_years": presenters.years_since(housing.vacancy_start_year),
        "owners": owners,
        "precision_groups": presenters.precision_groups(housing.precision_links),
        "map_data": _map_data(housing),
        "perimeters": _perimeters(request.user, housing),
        "history_selected": bool(history_filter),
        **edit_views.history_context(housing, request.user, history_filter),
        **document_views.documents_context(housing, request.user),
        "teamwork": housing_teamwork(request.user, housing),
        "campaigns": campaigns_by_housing(request.user, [housing.pk]).get(housing.pk, []),
        "today": timezone.localdate(),
    }
    return render(request, "records/housing_record.html", context)


def _perimeters(user, housing) -> list[dict]:
    """The establishment's perimeters containing the dwelling, each linking to the list filtered by
    its kind (the perimeter filter of the list)."""
    base = reverse("housing_list")
    return [
        {
            "name": perimeter.name,
            "kind": perimeter.kind,
            "url": f"{base}?{urlencode({'geoPerimetersIncluded': perimeter.kind})}",
        }
        for perimeter in perimeters_containing(user, housing)
    ]


def _map_data(housing) -> dict | None:
    if housing.latitude is None or housing.longitude is None:
        return None
    return {
        "longitude": housing.longitude,
        "latitude": housing.latitude,
        # Empty: no base map (offline); the point is drawn on a plain background.
        "styleUrl": getattr(settings, "MAP_STYLE_URL", ""),
    }


@require_safe
def owner_record(request, owner_id: int):
    links = record_selectors.owner_record(request.user, owner_id)
    owner = links[0].owner
    name = owner.display_name
    dwellings = [
        {
            "link": link,
            "housing": link.housing,
            "rank_label": presenters.rank_label(link.rank),
            "is_active": link.rank >= OwnerRank.PRIMARY,
            "status_badge": presenters.status_badge(link.housing.status),
            "occupancy_label": presenters.occupancy_label(link.housing.occupancy),
        }
        for link in links
    ]
    context = {
        "owner": owner,
        "name": name,
        "kind_label": presenters.owner_kind_label(owner.kind),
        "age": presenters.age_of(owner.birth_date),
        "dwellings": dwellings,
        "active_count": sum(1 for dwelling in dwellings if dwelling["is_active"]),
        "can_write": can_write(request.user),
        "breadcrumb": {
            "root_dir": "/",
            "links": [{"url": reverse("housing_list"), "title": "Parc de logements"}],
            "current": name,
        },
    }
    return render(request, "records/owner_record.html", context)
