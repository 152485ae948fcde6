"""Reads of the "Parc de logements" page that the shared selectors do not cover.

The counts, rows and map features themselves come from zlv.housing.selectors so that the page,
the API and the exports always agree.
"""

import dataclasses
import hashlib
import re

from django.core.cache import cache
from django.db.models import BooleanField, ExpressionWrapper, F, Func, Q

from zlv.accounts.enums import EstablishmentKind
from zlv.geo.models import Commune, Epci
from zlv.housing.enums import SUB_STATUSES, Occupancy
from zlv.housing.filters import HousingFilters
from zlv.housing.models import Housing
from zlv.housing.search import searchable_text
from zlv.housing.selectors import filtered_housing

LOVAC_TAG = re.compile(r"^lovac-(\d{4})$")
# Establishments covering several EPCI may narrow their list by intercommunality (DOMAIN §1.10).
DEPARTMENTAL_KINDS = frozenset(
    {
        EstablishmentKind.DEP,
        EstablishmentKind.REG,
        EstablishmentKind.TOM,
        EstablishmentKind.CTU,
        EstablishmentKind.PETR,
        EstablishmentKind.SDED,
        EstablishmentKind.SDER,
        EstablishmentKind.SIVOM,
    }
)
OUTLINE_CACHE_SECONDS = 24 * 3600
# Communes closer than this (~1 km) to the perimeter are drawn around it.
COMMUNES_MAP_MARGIN_DEGREES = 0.01


# Values that only an import changes are cached until the next import (or this long).
IMPORT_DERIVED_CACHE_SECONDS = 3600


def _import_generation(user) -> int:
    """The latest successful import: keys of values that only imports change end with it.

    Read once per request (memoized on the user object, like the perimeter's codes).
    """
    from zlv.lovac.models import ImportRun, ImportRunStatus

    if not hasattr(user, "_import_generation_cache"):
        runs = ImportRun.objects.filter(status=ImportRunStatus.IMPORTED).order_by("-pk")
        user._import_generation_cache = runs.values_list("pk", flat=True).first() or 0
    return user._import_generation_cache


def _cached_until_next_import(user, name: str, compute):
    key = f"zlv:{name}:{getattr(user, 'active_establishment_id', None)}:{_import_generation(user)}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, IMPORT_DERIVED_CACHE_SECONDS)
    return value


def data_file_years_in_scope(user) -> list[str]:
    """The provenance tags ("lovac-2025", "ff-2024-locatif"…) of the user's dwellings, newest first.

    Reading them scans every dwelling of the perimeter, and only an import adds tags: cached.
    """

    def compute() -> list[str]:
        tags = (
            Housing.objects.visible_to(user)
            .order_by()
            .annotate(tag=Func(F("data_file_years"), function="unnest"))
            .values_list("tag", flat=True)
            .distinct()
        )
        return sorted(tags, key=_tag_sort_key, reverse=True)

    return _cached_until_next_import(user, "data-file-years", compute)


def latest_lovac_tag(tags: list[str]) -> str | None:
    """The newest LOVAC millésime among the tags: the list's default source."""
    years = [int(match.group(1)) for tag in tags if (match := LOVAC_TAG.match(tag))]
    return f"lovac-{max(years)}" if years else None


def _tag_sort_key(tag: str) -> tuple[int, int]:
    year = re.search(r"\d{4}", tag)
    return (int(year.group()) if year else 0, tag.startswith("lovac-"))


def normalized_filters(filters: HousingFilters) -> HousingFilters:
    """Drop the values that the selected filters make meaningless (DOMAIN §2, #5 and #8).

    The vacancy start year only applies to vacant dwellings; sub-statuses must belong to one of
    the selected statuses.
    """
    changes = {}
    if filters.vacancy_years and Occupancy.VACANT not in filters.occupancies:
        changes["vacancy_years"] = ()
    if filters.sub_statuses and filters.status_list:
        allowed = {label for status in filters.status_list for label in SUB_STATUSES[status]}
        changes["sub_statuses"] = tuple(label for label in filters.sub_statuses if label in allowed)
    return dataclasses.replace(filters, **changes) if changes else filters


def housing_total(user, filters: HousingFilters) -> int:
    """T of "N logements filtrés sur un total de T": only the source and occupancy filters apply."""
    base = HousingFilters(
        data_file_years_included=filters.data_file_years_included,
        data_file_years_excluded=filters.data_file_years_excluded,
        occupancies=filters.occupancies,
    )
    if base.occupancies:  # agents change occupancies: always counted afresh
        return filtered_housing(user, base).count()
    # Sources only change with imports: cached until the next one.
    name = f"total:{','.join(base.data_file_years_included)}:{','.join(base.data_file_years_excluded)}"
    return _cached_until_next_import(user, name, lambda: filtered_housing(user, base).count())


def perimeter_communes(establishment, codes) -> list[Commune]:
    """These communes of the establishment's perimeter (code and name), by name; others are ignored."""
    if not codes:
        return []
    return list(establishment.communes.filter(code__in=codes).only("code", "name").order_by("name", "code"))


def perimeter_communes_matching(establishment, text: str, *, limit: int) -> list[Commune]:
    """Communes of the perimeter whose name contains every word of `text` (accents and case ignored)
    or whose INSEE code starts with it; names starting with the text first."""
    words = [searchable_text(word) for word in re.split(r"[\s\-'’]+", text) if word]
    if not words:
        return []
    by_name = Q()
    for word in words:
        by_name &= Q(name__searchable__contains=word)
    return list(
        establishment.communes.filter(by_name | Q(code__startswith=text.strip()))
        .annotate(starts_with=ExpressionWrapper(Q(name__searchable__startswith=words[0]), BooleanField()))
        .only("code", "name")
        .order_by("-starts_with", "name", "code")[:limit]
    )


def perimeter_intercommunalities(establishment) -> list[Epci]:
    """EPCI overlapping the perimeter, offered only to departmental establishments."""
    if establishment.kind not in DEPARTMENTAL_KINDS:
        return []
    return list(
        Epci.objects.filter(communes__establishments=establishment).distinct().order_by("name", "siren")
    )


def perimeter_outline(establishment) -> dict:
    """One simplified (Multi)Polygon of the perimeter as GeoJSON, and its bounds [w, s, e, n].

    Unions are costly for large perimeters: the result is cached per establishment and list of
    communes, so a change of perimeter yields a new entry.
    """
    return _cached_for_perimeter(establishment, "perimeter-outline", _outline)


def perimeter_communes_map(establishment) -> dict:
    """The communes of the perimeter and their neighbours as a GeoJSON FeatureCollection: the map's
    own base layer when the base map cannot load (air-gapped installs). Each commune gives its
    simplified contour and a label point (its centre, else a point inside), with `name` and
    `inPerimeter`. Cached as the outline is."""
    return _cached_for_perimeter(establishment, "perimeter-communes", _communes_map)


def _cached_for_perimeter(establishment, name: str, compute) -> dict:
    """`compute(commune_codes)`, cached per establishment and list of communes."""
    commune_codes = list(establishment.communes.values_list("code", flat=True))
    digest = hashlib.sha256(",".join(sorted(commune_codes)).encode()).hexdigest()[:16]
    key = f"zlv:{name}:{establishment.pk}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute(commune_codes)
        cache.set(key, value, OUTLINE_CACHE_SECONDS)
    return value


def _neighbours(commune_codes, contours, bounds, fields) -> list[Commune]:
    """The communes bordering the perimeter (the first ring): the map reads the same at its edges."""
    import shapely

    west, south, east, north = bounds
    margin = COMMUNES_MAP_MARGIN_DEGREES
    candidates = [
        commune
        for commune in Commune.objects.exclude(code__in=commune_codes)
        .filter(
            center_longitude__range=(west - 10 * margin, east + 10 * margin),
            center_latitude__range=(south - 10 * margin, north + 10 * margin),
        )
        .only(*fields)
        .order_by("code")
        if commune.contour is not None
    ]
    if not candidates:
        return []
    tree = shapely.STRtree(contours)
    close, _ = tree.query([commune.contour for commune in candidates], predicate="dwithin", distance=margin)
    return [candidates[index] for index in sorted(set(close.tolist()))]


def _communes_map(commune_codes: list[str]) -> dict:
    import shapely
    from shapely.geometry import mapping

    fields = ("code", "name", "contour_wkb", "center_latitude", "center_longitude")
    communes = list(Commune.objects.filter(code__in=commune_codes).only(*fields).order_by("code"))
    contours = [commune.contour for commune in communes if commune.contour is not None]
    tolerance = 0.0
    if contours:
        west, south, east, north = shapely.total_bounds(contours)
        extent = max(east - west, north - south)
        communes += _neighbours(commune_codes, contours, (west, south, east, north), fields)
        tolerance = extent / 600  # ~250 m for a département: below what its zoom shows
    own = set(commune_codes)
    features = []
    for commune in communes:
        properties = {"code": commune.code, "name": commune.name, "inPerimeter": commune.code in own}
        contour = commune.contour
        if contour is not None:
            simplified = shapely.set_precision(contour.simplify(tolerance, preserve_topology=True), 1e-4)
            shown = contour if simplified.is_empty else simplified  # a tiny commune keeps its contour
            features.append({"type": "Feature", "properties": properties, "geometry": mapping(shown)})
        if commune.center_latitude is not None and commune.center_longitude is not None:
            label = [commune.center_longitude, commune.center_latitude]
        elif contour is not None:
            label = [round(value, 5) for value in contour.representative_point().coords[0]]
        else:
            continue
        features.append(
            {"type": "Feature", "properties": properties, "geometry": {"type": "Point", "coordinates": label}}
        )
    return {"type": "FeatureCollection", "features": features}


def _outline(commune_codes: list[str]) -> dict:
    import shapely
    from shapely.geometry import mapping

    communes = Commune.objects.filter(code__in=commune_codes).only(
        "contour_wkb", "center_latitude", "center_longitude"
    )
    contours, centres = [], []
    for commune in communes:
        if commune.contour is not None:
            contours.append(commune.contour)
        elif commune.center_latitude is not None and commune.center_longitude is not None:
            centres.append((commune.center_longitude, commune.center_latitude))
    if contours:
        union = shapely.union_all(contours)
        west, south, east, north = union.bounds
        # About 1/400 of the perimeter's extent: invisible at the zooms that show it whole.
        tolerance = max(east - west, north - south) / 400
        simplified = shapely.set_precision(union.simplify(tolerance, preserve_topology=True), 1e-5)
        return {"geometry": mapping(simplified), "bounds": [west, south, east, north]}
    if centres:
        longitudes, latitudes = zip(*centres, strict=True)
        margin = 0.02
        bounds = [min(longitudes) - margin, min(latitudes) - margin, max(longitudes) + margin]
        return {"geometry": None, "bounds": [*bounds, max(latitudes) + margin]}
    return {"geometry": None, "bounds": None}
