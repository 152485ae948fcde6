"""Reads of dwellings and owners shared by the list, the map, the API and exports."""

from django.db import connection
from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import Floor

from zlv.housing.enums import HousingStatus
from zlv.housing.filters import HousingFilters, apply_filters, order_by_sort
from zlv.housing.models import Housing


def with_primary_owner(queryset: QuerySet) -> QuerySet:
    """Add the primary owner's name (the id is the `primary_owner_id` column)."""
    return queryset.annotate(primary_owner_name=F("primary_owner__full_name"))


def filtered_housing(user, filters: HousingFilters) -> QuerySet:
    """The user's dwellings narrowed by the filters (unordered)."""
    from zlv.campaigns.filters import campaigns_filter
    from zlv.teamwork.filters import teamwork_filter

    establishment_id = getattr(user, "active_establishment_id", None)
    filtered = apply_filters(Housing.objects.visible_to(user), filters, establishment_id=establishment_id)
    return filtered.filter(teamwork_filter(user, filters), campaigns_filter(user, filters))


def housing_counts(queryset: QuerySet) -> dict:
    """Dwellings, distinct primary owners and dwellings per status, in one query on `housing` only."""
    aggregates = {
        # Only columns of housing_scope_counts_idx, so PostgreSQL answers from the index alone.
        "housing": Count("*"),
        "owners": Count("primary_owner_id", distinct=True),
        **{
            f"status_{status.value}": Count("status", filter=Q(status=status.value))
            for status in HousingStatus
        },
    }
    row = queryset.order_by().aggregate(**aggregates)
    return {
        "housing": row["housing"],
        "owners": row["owners"],
        "by_status": {status.value: row[f"status_{status.value}"] for status in HousingStatus},
    }


def housing_page(queryset: QuerySet, filters: HousingFilters) -> list[Housing]:
    """One page of the list, sorted, with the primary owner's id and name on each row.

    The page's ids are chosen first, without the owner join, so that a deep page does not join the
    owner of every skipped row; sorting by owner needs the join and does it in one query.
    """
    start = (filters.page - 1) * filters.per_page
    if any(key.lstrip("-") == "owner" for key in filters.sort):
        return list(order_by_sort(with_primary_owner(queryset), filters)[start : start + filters.per_page])
    ids = list(
        order_by_sort(queryset, filters).values_list("id", flat=True)[start : start + filters.per_page]
    )
    rows = {row.pk: row for row in with_primary_owner(Housing.objects.filter(pk__in=ids))}
    return [rows[pk] for pk in ids]


# Zoom level from which the map shows addresses instead of clusters.
MAP_POINTS_MIN_ZOOM = 14
MAP_MAX_POINTS = 5000


def map_features(queryset: QuerySet, *, bbox: tuple[float, float, float, float] | None, zoom: float) -> dict:
    """GeoJSON of the filtered dwellings for MapLibre: grid clusters below MAP_POINTS_MIN_ZOOM, else
    one feature per address (dwellings at the same coordinates grouped) inside the viewport.

    Clustering happens in SQL so that the map never ships every dwelling; clusters aggregate the
    filtered query itself (one pass over the perimeter's rows, no second lookup by id).
    """
    located = queryset.order_by().filter(latitude__isnull=False, longitude__isnull=False)
    if bbox is not None:
        west, south, east, north = bbox
        located = located.filter(
            longitude__gte=west, longitude__lte=east, latitude__gte=south, latitude__lte=north
        )
    if zoom < MAP_POINTS_MIN_ZOOM:
        return {"type": "FeatureCollection", "truncated": False, "features": _grid_clusters(located, zoom)}
    sql, params = located.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT round(h.longitude::numeric, 6), round(h.latitude::numeric, 6), count(*),
                   (array_agg(h.id ORDER BY h.id))[1:50], min(h.status),
                   (array_agg(h.address_dgfip ORDER BY h.id))[1]
            FROM housing_housing h WHERE h.id IN ({sql})
            GROUP BY 1, 2 LIMIT %s
            """,  # noqa: S608 — `sql` is Django's own compiled query, values are parameters
            [*params, MAP_MAX_POINTS + 1],
        )
        rows = cursor.fetchall()
    return {
        "type": "FeatureCollection",
        # More addresses than drawn: the page says so and invites to zoom in.
        "truncated": len(rows) > MAP_MAX_POINTS,
        "features": [
            _feature(lon, lat, {"count": count, "ids": ids, "status": status, "address": address})
            for lon, lat, count, ids, status, address in rows[:MAP_MAX_POINTS]
        ],
    }


def _grid_clusters(located: QuerySet, zoom: float) -> list[dict]:
    """Dwellings counted per grid cell of about 60 px at this zoom, placed at their mean position."""
    cell = 360 / (2 ** max(zoom, 0)) / 256 * 60  # 256 px tiles: 360° / 2^zoom / 256 · 60
    cells = (
        located.annotate(cell_x=Floor(F("longitude") / cell), cell_y=Floor(F("latitude") / cell))
        .values("cell_x", "cell_y")
        .annotate(dwellings=Count("*"), mean_longitude=Avg("longitude"), mean_latitude=Avg("latitude"))
    )
    return [
        _feature(
            round(row["mean_longitude"], 5),
            round(row["mean_latitude"], 5),
            {"count": row["dwellings"], "cluster": True},
        )
        for row in cells
    ]


def _feature(longitude, latitude, properties: dict) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [float(longitude), float(latitude)]},
        "properties": properties,
    }
