"""Parc de logements: filters, status tabs, table or map of the dwellings of the user's perimeter.

One view serves the full page and its htmx fragments: the results (tabs, table or map) when a
filter, tab, sort or page changes, the whole filters + results block when a tag is removed.
"""

import dataclasses
import math
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe
from django_htmx.http import push_url

from zlv.accounts.selectors import can_write, membership_of
from zlv.geo.perimeter_selectors import perimeter_kinds
from zlv.housing import list_selectors
from zlv.housing.enums import HousingStatus
from zlv.housing.filters import parse_filters
from zlv.housing.models import Owner
from zlv.housing.selectors import MAP_POINTS_MIN_ZOOM, filtered_housing, housing_counts, housing_page
from zlv.www.housing_list import filter_ui

SORTABLE_COLUMNS = (("owner", "Propriétaire"), ("occupancy", "Occupation"), ("status", "Suivi"))


@require_safe
def housing_list(request):
    membership = membership_of(request.user)
    if membership is None:
        return render(request, "housing_list/no_establishment.html")
    establishment = membership.establishment
    base = reverse("housing_list")
    view = "map" if request.GET.get("view") == "map" else "table"

    params = filter_ui.query_parameters(request.GET)
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

    communes = list_selectors.perimeter_communes(establishment)
    menu = filter_ui.build_menu(
        filters,
        tags=tags,
        communes=communes,
        intercommunalities=list_selectors.perimeter_intercommunalities(establishment),
        perimeter_kinds=perimeter_kinds(establishment.pk),
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
        ],
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
        "matching_count_label": filter_ui.format_number(shown["housing"]),
        # The selection belongs to one set of filters (sorting and paging keep it).
        "selection_key": filter_query_string,
        "status_badges": [
            {"status": status, "label": label, "colour": colour}
            for status, (label, colour) in filter_ui.STATUS_BADGES.items()
        ],
    }
    if view == "table":
        context.update(_table(request, base, filters, view, shown["housing"], page_count))
    else:
        codes = [commune.code for commune in communes]
        context["map_filters"] = filter_query_string
        context["map_config"] = {
            "styleUrl": settings.MAP_STYLE_URL,
            "outline": list_selectors.perimeter_outline(establishment, codes),
            "featuresUrl": reverse("api-v1:housing_map"),
            "housingUrl": reverse("api-v1:housing_list"),
            "pointsMinZoom": MAP_POINTS_MIN_ZOOM,
            "statuses": {
                status: {"label": label, "colour": colour}
                for status, (label, colour) in filter_ui.STATUS_BADGES.items()
            },
        }

    canonical = filter_ui.page_url(base, filters, view, page=filters.page)
    # htmx keeps no copy of these pages (hx-history="false": owners' names stay out of the browser's
    # storage), so "back" asks the server again for the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        partial = "page" if request.htmx.target == "housing-page" else "results_swap"
        response = render(request, f"housing_list/housing_list.html#{partial}", context)
        return push_url(response, canonical)
    return render(request, "housing_list/housing_list.html", context)


def _tabs(base, filters, view, counts) -> list[dict]:
    tabs = [
        {
            "id": "tab-all",
            "label": "Tous",
            "count": filter_ui.format_number(counts["housing"]),
            "url": filter_ui.page_url(base, filters, view, status=None),
            "current": filters.status is None,
        }
    ]
    for status in HousingStatus:
        tabs.append(
            {
                "id": f"tab-{status.value}",
                "label": filter_ui.STATUS_BADGES[status][0],
                "count": filter_ui.format_number(counts["by_status"][status.value]),
                "url": filter_ui.page_url(base, filters, view, status=status.value),
                "current": filters.status == status.value,
            }
        )
    return tabs


def _table(request, base, filters, view, matching: int, page_count: int) -> dict:
    rows = housing_page(filtered_housing(request.user, filters), filters) if matching else []
    badges = filter_ui.STATUS_BADGES
    return {
        "rows": [
            {
                "id": housing.pk,
                "address": housing.address_dgfip or housing.ban_address or housing.local_id,
                "owner_id": housing.primary_owner_id,
                "owner_name": Owner(full_name=housing.primary_owner_name or "").display_name,
                "occupancy": housing.get_occupancy_display(),
                "status_label": badges[housing.status][0],
                "status_colour": badges[housing.status][1],
                "sub_status": housing.sub_status,
            }
            for housing in rows
        ],
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
