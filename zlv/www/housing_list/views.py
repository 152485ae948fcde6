"""Parc de logements: filters, status tabs, table or map of the dwellings of the user's perimeter.

One view serves the full page and its htmx fragments: the results (tabs, table or map) when a
filter, tab, sort or page changes, the whole filters + results block when a tag is removed.
Small companions keep the page light: the commune picker's suggestions, the perimeter outline of
the map, the perimeters its filter names and its fallback base of communes, and one table row
(refreshed after an edit from the list).
"""

import dataclasses
import math
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django_htmx.http import push_url

from zlv.accounts.selectors import can_write, membership_of
from zlv.campaigns.selectors import campaigns_by_housing, campaigns_of
from zlv.geo.perimeter_selectors import perimeter_kinds, perimeters_geojson
from zlv.housing import list_selectors
from zlv.housing.enums import HousingStatus
from zlv.housing.filters import HousingFilters, parse_filters
from zlv.housing.models import Owner
from zlv.housing.search import searchable_text
from zlv.housing.selectors import (
    MAP_MAX_POINTS,
    MAP_POINTS_MIN_ZOOM,
    filtered_housing,
    housing_counts,
    housing_page,
)
from zlv.utils.numbers import format_number
from zlv.www.housing_list import filter_ui
from zlv.www.records.forms import precision_catalogue

SORTABLE_COLUMNS = (("owner", "Propriétaire"), ("occupancy", "Occupation"), ("status", "Suivi"))
# The table's "Campagnes" column shortens titles to this many characters (DOMAIN §3.2).
CAMPAIGN_TITLE_LENGTH = 17
# The hidden element that asks for fresh counts after an edit from a row (zlv:refresh-counts).
COUNTS_TARGET = "housing-counts"
COMMUNE_SUGGESTIONS = 20
MAX_COMMUNE_QUERY = 100
# The outline changes only with the perimeter; its URL names the establishment, so switching
# establishment never reads another one's copy from the browser's cache.
OUTLINE_MAX_AGE = 3600


@require_safe
def housing_list(request):
    membership = membership_of(request.user)
    if membership is None:
        return render(request, "housing_list/no_establishment.html")
    establishment = membership.establishment
    base = reverse("housing_list")
    view = "map" if request.GET.get("view") == "map" else "table"

    params = filter_ui.query_parameters(request.GET)
    commune_error = _add_typed_commune(params, establishment, request.GET.get("commune", ""))
    tags = list_selectors.data_file_years_in_scope(request.user)
    if not filter_ui.has_filter_parameters(params):
        latest = list_selectors.latest_lovac_tag(tags)
        if latest:
            params["dataFileYearsIncluded"] = latest
    filters = list_selectors.normalized_filters(parse_filters(params))

    # Tabs count every status under the other filters, in one query; the table shows the tab.
    without_tab = dataclasses.replace(filters, status=None)
    counts = housing_counts(filtered_housing(request.user, without_tab))
    if filters.status is None:
        shown = counts
        total = list_selectors.housing_total(request.user, filters)
    else:
        shown = housing_counts(filtered_housing(request.user, filters))
        total = None
    page_count = max(1, math.ceil(shown["housing"] / filters.per_page))
    if filters.page > page_count:
        filters = dataclasses.replace(filters, page=page_count)
    if request.htmx and request.htmx.target == COUNTS_TARGET:
        # After an edit from a row: the tabs, the sentence and the selection's total, nothing else.
        context = {
            "tabs": _tabs(base, filters, view, counts),
            "sentence": filter_ui.count_sentence(
                housing=shown["housing"], owners=shown["owners"], total=total
            ),
            "matching_count": shown["housing"],
            "matching_count_label": format_number(shown["housing"]),
        }
        return render(request, "housing_list/housing_list.html#counts_swap", context)

    menu = filter_ui.build_menu(
        filters,
        tags=tags,
        communes=list_selectors.perimeter_communes(establishment, filters.localities),
        intercommunalities=list_selectors.perimeter_intercommunalities(establishment),
        perimeter_kinds=perimeter_kinds(establishment.pk),
        precisions=precision_catalogue(),
        campaigns=list(campaigns_of(request.user).values_list("pk", "title")),
    )
    filter_query_string = urlencode(
        [(key, value) for key, value in filter_ui.filter_query(filters, with_page=False) if key != "sort"]
    )
    context = {
        "establishment": establishment,
        "view": view,
        "filters": filters,
        "menu": menu,
        "errors": [
            f"{filter_ui.PARAMETER_LABELS.get(parameter, parameter)} : {message}"
            for parameter, message in filters.errors.items()
        ]
        + ([f"Commune : {commune_error}"] if commune_error else []),
        "active_filters": filter_ui.active_filters(base, filters, view, menu=menu),
        "hidden_parameters": filter_ui.hidden_parameters(filters),
        "reset_url": filter_ui.reset_url(base, view),
        "view_urls": {
            "table": filter_ui.page_url(base, filters, "table", page=filters.page),
            "map": filter_ui.page_url(base, filters, "map"),
        },
        "tabs": _tabs(base, filters, view, counts),
        "sentence": filter_ui.count_sentence(housing=shown["housing"], owners=shown["owners"], total=total),
        "matching_count": shown["housing"],
        "can_write": can_write(request.user),
        "communes_url": reverse("housing_list_communes", args=[establishment.pk]),
        "matching_count_label": format_number(shown["housing"]),
        # The selection belongs to one set of filters (sorting and paging keep it).
        "selection_key": filter_query_string,
        "status_badges": [
            {"status": status, "label": label, "colour": colour}
            for status, (label, colour) in filter_ui.STATUS_BADGES.items()
        ],
    }
    canonical = filter_ui.page_url(base, filters, view, page=filters.page)
    if view == "table":
        context.update(_table(request, base, filters, view, shown["housing"], page_count))
        context["counts_url"] = canonical
    else:
        context["map_filters"] = filter_query_string
        context["map_max_points"] = format_number(MAP_MAX_POINTS)
        context["map_config"] = {
            "styleUrl": settings.MAP_STYLE_URL,
            "outlineUrl": reverse("housing_list_outline", args=[establishment.pk]),
            "perimetersUrl": reverse("housing_list_filter_perimeters", args=[establishment.pk]),
            "communesUrl": reverse("housing_list_commune_contours", args=[establishment.pk]),
            "featuresUrl": reverse("api-v1:housing_map"),
            "housingUrl": reverse("api-v1:housing_list"),
            "pointsMinZoom": MAP_POINTS_MIN_ZOOM,
            "maxPoints": MAP_MAX_POINTS,
            "statuses": {
                status: {"label": label, "colour": colour}
                for status, (label, colour) in filter_ui.STATUS_BADGES.items()
            },
        }

    # htmx keeps no copy of these pages (hx-history="false": owners' names stay out of the browser's
    # storage), so "back" asks the server again for the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        partial = "page" if request.htmx.target == "housing-page" else "results_swap"
        response = render(request, f"housing_list/housing_list.html#{partial}", context)
        return push_url(response, canonical)
    return render(request, "housing_list/housing_list.html", context)


def _add_typed_commune(params: dict[str, str], establishment, text: str) -> str:
    """Without JavaScript, the commune picker sends what was typed (`commune`): add the commune of
    the perimeter it names (INSEE code or name) to `localities`; else return a French error."""
    text = text.strip()[:MAX_COMMUNE_QUERY]
    if not text:
        return ""
    matches = list_selectors.perimeter_communes_matching(establishment, text, limit=COMMUNE_SUGGESTIONS)
    exact = [
        commune
        for commune in matches
        if commune.code == text.upper() or searchable_text(commune.name) == searchable_text(text)
    ]
    if len(exact) == 1 or len(matches) == 1:
        chosen = (exact or matches)[0].code
        params["localities"] = ",".join(code for code in (params.get("localities", ""), chosen) if code)
        return ""
    if not matches:
        return f"aucune commune de votre périmètre ne correspond à « {text} »."
    named = ", ".join(f"{commune.name} ({commune.code})" for commune in matches[:5])
    more = "…" if len(matches) > 5 else ""
    return (
        f"plusieurs communes correspondent à « {text} » ({named}{more}) : précisez le nom ou le code INSEE."
    )


def _tabs(base, filters, view, counts) -> list[dict]:
    tabs = [
        {
            "id": "tab-all",
            "label": "Tous",
            "count": format_number(counts["housing"]),
            "url": filter_ui.page_url(base, filters, view, status=None),
            "current": filters.status is None,
        }
    ]
    for status in HousingStatus:
        tabs.append(
            {
                "id": f"tab-{status.value}",
                "label": filter_ui.STATUS_BADGES[status][0],
                "count": format_number(counts["by_status"][status.value]),
                "url": filter_ui.page_url(base, filters, view, status=status.value),
                "current": filters.status == status.value,
            }
        )
    return tabs


@require_safe
def housing_row(request, housing_id: int):
    """One row of the table, as after an edit from the list; 404 outside the user's perimeter."""
    rows = housing_page(
        filtered_housing(request.user, HousingFilters(housing_ids=(housing_id,))), HousingFilters()
    )
    if not rows:
        raise Http404
    campaigns = campaigns_by_housing(request.user, [housing_id])
    context = {"row": _row(rows[0], campaigns), "can_write": can_write(request.user)}
    return render(request, "housing_list/housing_list.html#row", context)


@require_safe
def commune_suggestions(request, establishment_id: int):
    """The commune picker's type-ahead: communes of the active establishment's perimeter (JSON)."""
    establishment = _active_establishment(request.user, establishment_id)
    text = request.GET.get("q", "")[:MAX_COMMUNE_QUERY]
    communes = list_selectors.perimeter_communes_matching(establishment, text, limit=COMMUNE_SUGGESTIONS)
    return JsonResponse({"communes": [{"code": commune.code, "name": commune.name} for commune in communes]})


@require_safe
@cache_control(private=True, max_age=OUTLINE_MAX_AGE)
def perimeter_outline(request, establishment_id: int):
    """The perimeter outline drawn on the map, as a GeoJSON Feature with its bbox."""
    establishment = _active_establishment(request.user, establishment_id)
    outline = list_selectors.perimeter_outline(establishment)
    feature = {"type": "Feature", "geometry": outline["geometry"], "properties": {"name": establishment.name}}
    if outline["bounds"]:
        feature["bbox"] = outline["bounds"]
    return JsonResponse(feature, content_type="application/geo+json")


@require_safe
@cache_control(private=True, max_age=OUTLINE_MAX_AGE)
def commune_contours(request, establishment_id: int):
    """The communes of the perimeter and around it (contours and label points), drawn by the map
    when its base map cannot load."""
    establishment = _active_establishment(request.user, establishment_id)
    collection = list_selectors.perimeter_communes_map(establishment)
    return JsonResponse(collection, content_type="application/geo+json")


@require_safe
def filter_perimeters(request, establishment_id: int):
    """The perimeters the filter names (geoPerimetersIncluded/Excluded), drawn on the map: only the
    active establishment's, as a GeoJSON FeatureCollection whose features say if they are excluded."""
    establishment = _active_establishment(request.user, establishment_id)
    filters = parse_filters(request.GET)
    features = []
    for kinds, excluded in (
        (filters.geo_perimeters_included, False),
        (filters.geo_perimeters_excluded, True),
    ):
        if not kinds:
            continue
        for feature in perimeters_geojson(establishment.pk, kinds=kinds)["features"]:
            features.append({**feature, "properties": {**feature["properties"], "excluded": excluded}})
    collection = {"type": "FeatureCollection", "features": features}
    return JsonResponse(collection, content_type="application/geo+json")


def _active_establishment(user, establishment_id: int):
    """The user's active establishment if it is the one asked for; any other one is a 404."""
    membership = membership_of(user)
    if membership is None or membership.establishment_id != establishment_id:
        raise Http404
    return membership.establishment


def _row(housing, campaigns: dict) -> dict:
    """One table row; `campaigns` maps dwelling ids to their campaigns (campaigns_by_housing)."""
    label, colour = filter_ui.STATUS_BADGES[housing.status]
    return {
        "id": housing.pk,
        "address": housing.display_address,
        "owner_id": housing.primary_owner_id,
        "owner_name": Owner(full_name=housing.primary_owner_name or "").display_name,
        "occupancy": housing.get_occupancy_display(),
        "status_label": label,
        "status_colour": colour,
        "sub_status": housing.sub_status,
        "campaigns": [_campaign_link(campaign) for campaign in campaigns.get(housing.pk, [])],
    }


def _campaign_link(campaign) -> dict:
    short = Truncator(campaign.title).chars(CAMPAIGN_TITLE_LENGTH)
    return {
        "title": campaign.title,
        "short_title": short,
        "truncated": short != campaign.title,
        "url": reverse("campaign_detail", args=[campaign.pk]),
    }


def _table(request, base, filters, view, matching: int, page_count: int) -> dict:
    rows = housing_page(filtered_housing(request.user, filters), filters) if matching else []
    # One query for the whole page: the campaigns of its dwellings in the reader's establishment.
    campaigns = campaigns_by_housing(request.user, [housing.pk for housing in rows])
    return {
        "rows": [_row(housing, campaigns) for housing in rows],
        "columns": _sortable_columns(base, filters, view),
        "pagination": _pagination(base, filters, view, page_count),
    }


def _sortable_columns(base, filters, view) -> dict:
    """Each sortable column cycles: ascending → descending → default order."""
    current = filters.sort[0] if filters.sort else ""
    columns = {}
    for key, label in SORTABLE_COLUMNS:
        if current == key:
            direction, next_sort = "ascending", (f"-{key}",)
        elif current == f"-{key}":
            direction, next_sort = "descending", ()
        else:
            direction, next_sort = "", (key,)
        next_label = {
            "": f"Trier par {label.lower()}, ordre croissant",
            "ascending": f"Trier par {label.lower()}, ordre décroissant",
            "descending": f"Annuler le tri par {label.lower()}",
        }[direction]
        columns[key] = {
            "label": label,
            "aria_sort": direction,
            "url": filter_ui.page_url(base, filters, view, sort=next_sort),
            "action": next_label,
        }
    return columns


def _pagination(base, filters, view, page_count: int) -> dict | None:
    if page_count <= 1:
        return None
    current = filters.page
    shown = sorted({1, page_count, *range(max(1, current - 2), min(page_count, current + 2) + 1)})
    pages, previous = [], 0
    for number in shown:
        if number - previous > 1:
            pages.append({"ellipsis": True})
        pages.append(
            {
                "ellipsis": False,
                "number": number,
                "url": filter_ui.page_url(base, filters, view, page=number),
                "current": number == current,
                "near": abs(number - current) <= 1,
            }
        )
        previous = number
    link = lambda number: filter_ui.page_url(base, filters, view, page=number)  # noqa: E731
    return {
        "pages": pages,
        "first": link(1) if current > 1 else "",
        "previous": link(current - 1) if current > 1 else "",
        "next": link(current + 1) if current < page_count else "",
        "last": link(page_count) if current < page_count else "",
    }
