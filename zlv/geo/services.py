"""Writes on the reference geography: loading the files committed in zlv/geo/data/."""

import csv
import gzip
from collections.abc import Iterable
from pathlib import Path

import shapely
from django.db import models, transaction

from zlv.geo.models import Commune, Department, Epci, EpciKind, Region

DATA_DIR = Path(__file__).resolve().parent / "data"
BATCH_SIZE = 2000


def geography_load(*, path: Path | None = None, dry_run: bool = False) -> dict[str, dict[str, int]]:
    """Upsert régions, départements, communes, EPCI and EPCI membership from the data files.

    Only rows that differ are written, so a second run writes nothing. Communes missing from the
    files are kept (establishment perimeters may point at them) and counted as `obsolete`; EPCI
    missing from the files are deleted with their membership.
    """
    folder = Path(path) if path else DATA_DIR
    regions = [{"code": row["code"], "name": row["name"]} for row in _read(folder / "regions.csv")]
    departments = [
        {"code": row["code"], "name": row["name"], "region_id": row["region_code"]}
        for row in _read(folder / "departments.csv")
    ]
    epcis = [
        {"siren": row["siren"], "name": row["name"], "kind": row["kind"]}
        for row in _read(folder / "epcis.csv")
    ]
    unknown_kinds = {epci["kind"] for epci in epcis} - set(EpciKind.values)
    if unknown_kinds:
        raise ValueError(f"Types d'EPCI inconnus dans epcis.csv : {', '.join(sorted(unknown_kinds))}.")
    communes, memberships = _communes_and_memberships(_read(folder / "communes.csv.gz"))

    with transaction.atomic():
        counts = {
            "regions": _upsert(Region, regions),
            "departments": _upsert(Department, departments),
            "communes": _upsert(Commune, communes),
        }
        file_sirens = {epci["siren"] for epci in epcis}
        obsolete_epcis = [
            siren for siren in Epci.objects.values_list("siren", flat=True) if siren not in file_sirens
        ]
        Epci.objects.filter(siren__in=obsolete_epcis).delete()
        counts["epcis"] = _upsert(Epci, epcis) | {"deleted": len(obsolete_epcis)}
        counts["memberships"] = _sync_memberships(memberships)
        file_codes = {commune["code"] for commune in communes}
        counts["communes"]["obsolete"] = sum(
            1 for code in Commune.objects.values_list("code", flat=True).iterator() if code not in file_codes
        )
        if dry_run:
            transaction.set_rollback(True)
    return counts


def _read(path: Path) -> list[dict[str, str]]:
    # Contours of large communes exceed csv's default 128 kB field limit.
    csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _communes_and_memberships(rows: list[dict[str, str]]) -> tuple[list[dict], set[tuple[str, str]]]:
    # Vectorised parsing: one call for all ~35 000 contours.
    contours = shapely.from_wkt([row["contour_wkt"] or None for row in rows])
    contours_wkb = shapely.to_wkb(contours, output_dimension=2, byte_order=1)
    communes = [
        {
            "code": row["code"],
            "name": row["name"],
            "department_id": row["department_code"],
            "population": int(row["population"]) if row["population"] else None,
            "center_latitude": float(row["center_latitude"]) if row["center_latitude"] else None,
            "center_longitude": float(row["center_longitude"]) if row["center_longitude"] else None,
            "contour_wkb": contour_wkb,
        }
        for row, contour_wkb in zip(rows, contours_wkb, strict=True)
    ]
    memberships = {(row["epci_siren"], row["code"]) for row in rows if row["epci_siren"]}
    return communes, memberships


def _upsert(model: type[models.Model], rows: list[dict]) -> dict[str, int]:
    """Insert new rows and update changed ones (keyed on the primary key); return the counts."""
    key = model._meta.pk.attname
    fields = [name for name in rows[0] if name != key] if rows else []
    existing = {
        values[0]: _comparable(values[1:]) for values in model.objects.values_list(key, *fields).iterator()
    }
    changed = [row for row in rows if existing.get(row[key]) != _comparable(row[field] for field in fields)]
    model.objects.bulk_create(
        [model(**row) for row in changed],
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=[key],
        update_fields=fields,
    )
    created = sum(1 for row in changed if row[key] not in existing)
    return {"total": len(rows), "created": created, "updated": len(changed) - created}


def _comparable(values: Iterable) -> tuple:
    # BinaryField values come back from the database as memoryview.
    return tuple(bytes(value) if isinstance(value, memoryview) else value for value in values)


def _sync_memberships(wanted: set[tuple[str, str]]) -> dict[str, int]:
    """Make the EPCI ↔ commune links exactly those of the file."""
    through = Epci.communes.through
    existing = {
        (epci_id, commune_id): pk
        for pk, epci_id, commune_id in through.objects.values_list("pk", "epci_id", "commune_id")
    }
    removed = [pk for pair, pk in existing.items() if pair not in wanted]
    through.objects.filter(pk__in=removed).delete()
    added = [through(epci_id=epci_id, commune_id=code) for epci_id, code in sorted(wanted - existing.keys())]
    through.objects.bulk_create(added, batch_size=BATCH_SIZE)
    return {"total": len(wanted), "created": len(added), "deleted": len(removed)}
