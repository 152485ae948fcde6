"""Writes on establishment perimeters: upload, rename, delete, and the dwellings they contain.

Which dwellings lie inside a perimeter is computed here, in Python with shapely, when the perimeter
is saved and by each LOVAC import (`perimeters_refresh_dwellings`), and kept as PerimeterHousing
rows: the filters of the dwellings list then need a plain EXISTS, and no spatial extension.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from zlv.accounts.enums import Role
from zlv.accounts.models import Establishment, Membership
from zlv.geo.models import Perimeter, PerimeterHousing
from zlv.geo.perimeter_files import NAME_MAX_LENGTH, read_perimeter_file
from zlv.housing.models import Housing

ADMIN_ONLY_MESSAGE = "Seuls les administrateurs de la structure peuvent gérer ses périmètres."
NAME_REQUIRED_MESSAGE = "Saisissez le nom du périmètre."
KIND_REQUIRED_MESSAGE = "Saisissez le type du périmètre."
BATCH_SIZE = 5000


def perimeter_create_from_upload(
    *,
    establishment: Establishment,
    user,
    uploaded_file,
    name: str | None = None,
    kind: str | None = None,
) -> list[Perimeter]:
    """One perimeter per polygon feature of a GeoJSON file or zipped shapefile, with its dwellings.

    Names come from the features' `nom`/`name` property, else `name`, else the file name; kinds
    from their `type` property, else `kind`, else that default name. Any refusal
    (ValidationError) saves nothing.
    """
    _check_admin(user, establishment)
    shapes = read_perimeter_file(uploaded_file)
    default_name = _clean(name) or _clean(PurePath(uploaded_file.name or "").stem) or "Périmètre"
    default_kind = _clean(kind) or default_name
    unnamed_count = sum(1 for shape in shapes if not shape.name)
    now = timezone.now()
    perimeters, geometries = [], []
    unnamed_number = 0
    for shape in shapes:
        perimeter_name = shape.name
        if not perimeter_name:
            unnamed_number += 1
            perimeter_name = default_name if unnamed_count == 1 else f"{default_name} ({unnamed_number})"
        perimeters.append(
            _new_perimeter(
                establishment=establishment,
                name=perimeter_name[:NAME_MAX_LENGTH],
                kind=(shape.kind or default_kind)[:NAME_MAX_LENGTH],
                geometry=shape.geometry,
                user=user,
                now=now,
            )
        )
        geometries.append(shape.geometry)
    with transaction.atomic():
        Perimeter.objects.bulk_create(perimeters, batch_size=500)
        links = _links_inside(perimeters, _dwelling_points(establishment.pk, perimeters), geometries)
        PerimeterHousing.objects.bulk_create(
            [PerimeterHousing(perimeter_id=p, housing_id=h) for p, h in links], batch_size=BATCH_SIZE
        )
    return perimeters


def perimeter_rename(*, perimeter: Perimeter, name: str, kind: str, by) -> Perimeter:
    """Change the name and the kind (the filter value) of a perimeter."""
    _check_admin(by, perimeter.establishment)
    name, kind = _clean(name), _clean(kind)
    errors = {}
    if not name:
        errors["name"] = ValidationError(NAME_REQUIRED_MESSAGE, code="required")
    if not kind:
        errors["kind"] = ValidationError(KIND_REQUIRED_MESSAGE, code="required")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        perimeter.name = name[:NAME_MAX_LENGTH]
        perimeter.kind = kind[:NAME_MAX_LENGTH]
        perimeter.updated_at = timezone.now()
        perimeter.save(update_fields=["name", "kind", "updated_at"])
    return perimeter


def perimeter_delete(*, perimeter: Perimeter, by) -> None:
    """Delete a perimeter and its dwelling links (the dwellings stay)."""
    _check_admin(by, perimeter.establishment)
    with transaction.atomic():
        # Deleting the links first keeps it to two statements, whatever their number.
        PerimeterHousing.objects.filter(perimeter=perimeter).delete()
        perimeter.delete()


@dataclass
class RefreshSummary:
    perimeters: int = 0
    added: int = 0
    removed: int = 0


def perimeters_refresh_membership(*, geo_codes: Iterable[str] | None = None) -> RefreshSummary:
    """Recompute the dwellings of the perimeters, for the dwellings of `geo_codes` (all when None).

    Call it after a LOVAC import with the communes it touched: new dwellings join the perimeters
    they fall in, moved ones change, and dwellings that left an establishment's communes leave its
    perimeters. One transaction per establishment.
    """
    codes = sorted(set(geo_codes)) if geo_codes is not None else None
    summary = RefreshSummary()
    if codes == []:
        return summary
    establishments = set(Perimeter.objects.values_list("establishment_id", flat=True).distinct())
    if codes is not None:
        # Establishments covering these communes, and those that no longer do but still hold links.
        covering = Perimeter.objects.filter(establishment__communes__code__in=codes)
        linked = PerimeterHousing.objects.filter(housing__geo_code__in=codes)
        establishments = set(covering.values_list("establishment_id", flat=True).distinct()) | set(
            linked.values_list("perimeter__establishment_id", flat=True).distinct()
        )
    for establishment_id in sorted(establishments):
        with transaction.atomic():
            perimeters = list(
                Perimeter.objects.select_for_update().filter(establishment_id=establishment_id).order_by("pk")
            )
            geometries = [perimeter.geometry for perimeter in perimeters]
            points = _dwelling_points(establishment_id, perimeters, geo_codes=codes)
            wanted = set(_links_inside(perimeters, points, geometries))
            existing_links = PerimeterHousing.objects.filter(perimeter__establishment_id=establishment_id)
            if codes is not None:
                existing_links = existing_links.filter(housing__geo_code__in=codes)
            existing = {
                (perimeter_id, housing_id): pk
                for pk, perimeter_id, housing_id in existing_links.values_list(
                    "pk", "perimeter_id", "housing_id"
                )
            }
            stale = [pk for pair, pk in existing.items() if pair not in wanted]
            for start in range(0, len(stale), BATCH_SIZE):
                PerimeterHousing.objects.filter(pk__in=stale[start : start + BATCH_SIZE]).delete()
            added = [
                PerimeterHousing(perimeter_id=perimeter_id, housing_id=housing_id)
                for perimeter_id, housing_id in sorted(wanted - existing.keys())
            ]
            PerimeterHousing.objects.bulk_create(added, batch_size=BATCH_SIZE, ignore_conflicts=True)
        summary.perimeters += len(perimeters)
        summary.added += len(added)
        summary.removed += len(stale)
    return summary


HOUSING = Housing._meta.db_table
PERIMETER = Perimeter._meta.db_table
MEMBERSHIP = PerimeterHousing._meta.db_table
ESTABLISHMENT_COMMUNES = Establishment.communes.through._meta.db_table


def perimeters_refresh_dwellings(cursor, dwellings: str) -> RefreshSummary:
    """Recompute the perimeters of the dwellings listed by `dwellings` (SQL with a `housing_id` column).

    For the LOVAC import, in its transaction: only the perimeters of the establishments covering
    each dwelling's commune, and of those only the ones whose box holds its point, are tested
    (exactly, with shapely, as on upload); the rows that differ are then deleted and inserted in
    two statements. The cost follows the dwellings inside perimeter boxes, not the file's size.
    """
    summary = RefreshSummary()
    cursor.execute(
        f"""
        SELECT p.id, h.id, h.longitude, h.latitude
          FROM ({dwellings}) d
          JOIN {HOUSING} h ON h.id = d.housing_id
          JOIN {ESTABLISHMENT_COMMUNES} ec ON ec.commune_id = h.geo_code
          JOIN {PERIMETER} p ON p.establishment_id = ec.establishment_id
         WHERE h.longitude BETWEEN p.min_longitude AND p.max_longitude
           AND h.latitude BETWEEN p.min_latitude AND p.max_latitude
         ORDER BY p.id
        """  # noqa: S608 — table names from the models, the selection from the caller's code
    )
    candidates = cursor.fetchall()
    inside: list[tuple[int, int]] = []
    if candidates:
        perimeter_ids, housing_ids, longitudes, latitudes = (
            np.array(c) for c in zip(*candidates, strict=True)
        )
        geometries = dict(
            Perimeter.objects.filter(pk__in=np.unique(perimeter_ids).tolist()).values_list(
                "pk", "geometry_wkb"
            )
        )
        starts = np.flatnonzero(np.r_[True, perimeter_ids[1:] != perimeter_ids[:-1]])
        for start, stop in zip(starts, [*starts[1:], len(perimeter_ids)], strict=True):
            perimeter_id = int(perimeter_ids[start])
            geometry = shapely.from_wkb(bytes(geometries[perimeter_id]))
            shapely.prepare(geometry)
            within = shapely.contains_xy(geometry, longitudes[start:stop], latitudes[start:stop])
            inside.extend((perimeter_id, int(housing_id)) for housing_id in housing_ids[start:stop][within])
        summary.perimeters = len(geometries)
    cursor.execute("DROP TABLE IF EXISTS perimeter_refresh_inside")
    cursor.execute("CREATE TEMP TABLE perimeter_refresh_inside (perimeter_id bigint, housing_id bigint)")
    if inside:
        with getattr(cursor, "cursor", cursor).copy(
            "COPY perimeter_refresh_inside (perimeter_id, housing_id) FROM STDIN"
        ) as copy:
            for row in inside:
                copy.write_row(row)
    cursor.execute(
        f"""
        DELETE FROM {MEMBERSHIP} m
         WHERE m.housing_id IN (SELECT housing_id FROM ({dwellings}) d)
           AND NOT EXISTS (SELECT 1 FROM perimeter_refresh_inside i
                            WHERE i.perimeter_id = m.perimeter_id AND i.housing_id = m.housing_id)
        """  # noqa: S608
    )
    summary.removed = cursor.rowcount
    cursor.execute(
        f"""
        INSERT INTO {MEMBERSHIP} (perimeter_id, housing_id)
        SELECT perimeter_id, housing_id FROM perimeter_refresh_inside i
         WHERE NOT EXISTS (SELECT 1 FROM {MEMBERSHIP} m
                            WHERE m.perimeter_id = i.perimeter_id AND m.housing_id = i.housing_id)
         ORDER BY perimeter_id, housing_id
        """  # noqa: S608
    )
    summary.added = cursor.rowcount
    cursor.execute("DROP TABLE perimeter_refresh_inside")
    return summary


# Helpers


def _check_admin(user, establishment: Establishment) -> None:
    is_admin = (
        user is not None
        and user.is_authenticated
        and Membership.objects.filter(user=user, establishment=establishment, role=Role.ADMIN).exists()
    )
    if not is_admin:
        raise PermissionDenied(ADMIN_ONLY_MESSAGE)


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _new_perimeter(*, establishment, name, kind, geometry, user, now) -> Perimeter:
    west, south, east, north = geometry.bounds
    return Perimeter(
        establishment=establishment,
        name=name,
        kind=kind,
        geometry_wkb=shapely.to_wkb(geometry, output_dimension=2, byte_order=1),
        min_longitude=west,
        min_latitude=south,
        max_longitude=east,
        max_latitude=north,
        created_by=user,
        created_at=now,
        updated_at=now,
    )


@dataclass(frozen=True)
class DwellingPoints:
    """Dwellings with coordinates, sorted by longitude so a bounding box is two binary searches."""

    ids: np.ndarray
    longitudes: np.ndarray
    latitudes: np.ndarray


def _dwelling_points(
    establishment_id: int, perimeters: list[Perimeter], *, geo_codes: list[str] | None = None
) -> DwellingPoints:
    """Dwellings of the establishment's communes (of `geo_codes` if given) in the perimeters' bounding box.

    Not `visible_to(user)`: membership belongs to the establishment, whoever uploaded the file, and
    is also computed by the import, which has no user.
    """
    if not perimeters:
        return DwellingPoints(np.empty(0, np.int64), np.empty(0), np.empty(0))
    communes = Establishment.communes.through.objects.filter(establishment_id=establishment_id).values(
        "commune_id"
    )
    dwellings = Housing.objects.filter(
        geo_code__in=communes,
        longitude__gte=min(p.min_longitude for p in perimeters),
        longitude__lte=max(p.max_longitude for p in perimeters),
        latitude__gte=min(p.min_latitude for p in perimeters),
        latitude__lte=max(p.max_latitude for p in perimeters),
    )
    if geo_codes is not None:
        dwellings = dwellings.filter(geo_code__in=geo_codes)
    rows = list(dwellings.values_list("pk", "longitude", "latitude").iterator(chunk_size=BATCH_SIZE))
    if not rows:
        return DwellingPoints(np.empty(0, np.int64), np.empty(0), np.empty(0))
    ids, longitudes, latitudes = (np.array(column) for column in zip(*rows, strict=True))
    order = np.argsort(longitudes, kind="stable")
    return DwellingPoints(ids[order].astype(np.int64), longitudes[order], latitudes[order])


def _links_inside(
    perimeters: list[Perimeter], points: DwellingPoints, geometries: list
) -> list[tuple[int, int]]:
    """(perimeter id, dwelling id) for each dwelling strictly inside each perimeter (like ST_Contains)."""
    links = []
    for perimeter, geometry in zip(perimeters, geometries, strict=True):
        start = np.searchsorted(points.longitudes, perimeter.min_longitude, side="left")
        stop = np.searchsorted(points.longitudes, perimeter.max_longitude, side="right")
        latitudes = points.latitudes[start:stop]
        in_box = (latitudes >= perimeter.min_latitude) & (latitudes <= perimeter.max_latitude)
        if not in_box.any():
            continue
        candidates = np.flatnonzero(in_box) + start
        shapely.prepare(geometry)
        inside = shapely.contains_xy(geometry, points.longitudes[candidates], points.latitudes[candidates])
        links.extend((perimeter.pk, int(housing_id)) for housing_id in points.ids[candidates[inside]])
    return links
