"""Reads on establishment perimeters: the list filter condition, the page list, the map layers,
the perimeters of a dwelling.

A perimeter belongs to one establishment: every read goes through the user's active establishment
(and their membership of it), so another establishment's perimeters are never seen.
"""

import hashlib
from collections.abc import Iterable

import shapely
from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef, QuerySet
from django.http import Http404
from shapely.geometry import MultiPolygon, mapping

from zlv.geo.models import Perimeter, PerimeterHousing

# About 10 m: invisible at the zooms where a perimeter is drawn whole, and it keeps files small.
MAP_TOLERANCE_DEGREES = 0.0001
MAP_PRECISION_DEGREES = 0.00001
MAP_CACHE_SECONDS = 24 * 60 * 60


def housing_in_perimeter_kinds_condition(kinds: Iterable[str], establishment_id: int) -> Exists:
    """True for a dwelling inside a perimeter of the establishment whose kind is one of `kinds`.

    For `Housing` querysets: `.filter(condition)` for geoPerimetersIncluded, `.filter(~condition)`
    for geoPerimetersExcluded. An empty `kinds` matches no dwelling.
    """
    return Exists(
        PerimeterHousing.objects.filter(
            housing_id=OuterRef("pk"),
            perimeter__establishment_id=establishment_id,
            perimeter__kind__in=list(kinds),
        )
    )


def _own_perimeters(user) -> QuerySet[Perimeter]:
    """Perimeters of the user's active establishment, if the user is a member of it."""
    establishment_id = getattr(user, "active_establishment_id", None)
    if not user.is_authenticated or establishment_id is None:
        return Perimeter.objects.none()
    return Perimeter.objects.filter(
        establishment_id=establishment_id, establishment__memberships__user=user
    ).defer("geometry_wkb")


def perimeters_for_list(user) -> list[Perimeter]:
    """The perimeters page: each with its `housing_count` and author, by name (two queries at most)."""
    return list(
        _own_perimeters(user)
        .select_related("created_by")
        .annotate(housing_count=Count("housing_links"))
        .order_by("name", "pk")
    )


def get_perimeter_for_user(user, perimeter_id: int) -> Perimeter:
    """A perimeter of the user's active establishment (without its geometry), else 404."""
    perimeter = _own_perimeters(user).select_related("establishment").filter(pk=perimeter_id).first()
    if perimeter is None:
        raise Http404("Aucun périmètre ne correspond à cette adresse.")
    return perimeter


def perimeters_containing(user, housing) -> list[Perimeter]:
    """The perimeters of the user's active establishment that contain the dwelling, by name (one
    query); another establishment's are never listed."""
    return list(
        _own_perimeters(user)
        .filter(housing_links__housing_id=housing.pk)
        .only("pk", "name", "kind")
        .order_by("name", "pk")
    )


def perimeter_kinds(establishment_id: int) -> list[str]:
    """The distinct kinds of the establishment's perimeters: the values of the perimeter filters."""
    return list(
        Perimeter.objects.filter(establishment_id=establishment_id)
        .order_by("kind")
        .values_list("kind", flat=True)
        .distinct()
    )


def perimeters_geojson(establishment_id: int, *, kinds: Iterable[str] | None = None) -> dict:
    """The establishment's perimeters as a GeoJSON FeatureCollection, simplified for the map.

    Properties: id, name, kind. Cached; any upload, rename or delete yields a new cache entry.
    """
    perimeters = Perimeter.objects.filter(establishment_id=establishment_id)
    if kinds is not None:
        kinds = sorted(set(kinds))
        perimeters = perimeters.filter(kind__in=kinds)
    version = perimeters.aggregate(count=Count("pk"), last_pk=Max("pk"), last_update=Max("updated_at"))
    if not version["count"]:
        return {"type": "FeatureCollection", "features": [], "bbox": None}
    digest = hashlib.sha256(repr((kinds, sorted(version.items()))).encode()).hexdigest()[:16]
    key = f"zlv:perimeters-geojson:{establishment_id}:{digest}"
    collection = cache.get(key)
    if collection is None:
        collection = _feature_collection(perimeters.order_by("name", "pk"))
        cache.set(key, collection, MAP_CACHE_SECONDS)
    return collection


def _feature_collection(perimeters: QuerySet[Perimeter]) -> dict:
    rows = list(perimeters.values_list("pk", "name", "kind", "geometry_wkb"))
    geometries = shapely.from_wkb([bytes(row[3]) for row in rows])
    simplified = shapely.set_precision(
        shapely.simplify(geometries, MAP_TOLERANCE_DEGREES, preserve_topology=True), MAP_PRECISION_DEGREES
    )
    features = []
    for (pk, name, kind, _), original, geometry in zip(rows, geometries, simplified, strict=True):
        # A perimeter smaller than the precision would vanish: it keeps its full geometry.
        shown = original if geometry.is_empty else geometry
        if shown.geom_type == "Polygon":
            shown = MultiPolygon([shown])
        features.append(
            {
                "type": "Feature",
                "id": pk,
                "properties": {"id": pk, "name": name, "kind": kind},
                "geometry": mapping(shown),
            }
        )
    west, south, east, north = shapely.total_bounds(geometries)
    bbox = [float(west), float(south), float(east), float(north)]
    return {"type": "FeatureCollection", "features": features, "bbox": bbox}
