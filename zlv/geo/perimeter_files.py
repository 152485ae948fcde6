"""Reading perimeter files: GeoJSON or zipped shapefile → polygons in WGS84 with their properties.

Pure Python (pyshp, pyproj, shapely): no GDAL. Every refusal is a ValidationError with a French
message a user can act on, raised before anything is written.
"""

import codecs
import io
import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
import pyproj
import shapefile
import shapely
from django.core.exceptions import ValidationError
from shapely.geometry import MultiPolygon, Polygon, shape

from zlv.utils.numbers import format_number

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
MAX_FEATURES = 10_000
# Guard against zip bombs: a shapefile compresses about 3:1, rarely more than 10:1.
MAX_UNCOMPRESSED_BYTES = 10 * MAX_UPLOAD_BYTES
NAME_MAX_LENGTH = 255

WGS84 = pyproj.CRS.from_epsg(4326)
SHAPEFILE_POLYGON_TYPES = (shapefile.POLYGON, shapefile.POLYGONZ, shapefile.POLYGONM)
GEOMETRY_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}

# Where LOVAC dwellings can be (longitude min, latitude min, longitude max, latitude max), with a
# margin: metropolitan France and Corsica, then the overseas départements and collectivities.
FRANCE_BOXES = (
    (-5.8, 41.2, 10.0, 51.3),  # métropole et Corse
    (-63.3, 15.7, -60.7, 18.2),  # Guadeloupe, Saint-Martin, Saint-Barthélemy
    (-61.3, 14.3, -60.7, 15.0),  # Martinique
    (-54.7, 2.0, -51.5, 6.0),  # Guyane
    (55.1, -21.5, 56.0, -20.8),  # La Réunion
    (44.9, -13.1, 45.4, -12.5),  # Mayotte
    (-56.5, 46.7, -56.1, 47.2),  # Saint-Pierre-et-Miquelon
)

TOO_BIG_MESSAGE = "Le fichier pèse {size} : la taille maximale est de 100 Mo."
TOO_MANY_FEATURES_MESSAGE = "Le fichier contient {count} entités : 10 000 au maximum."
NOT_POLYGON_MESSAGE = (
    "L’entité n° {number} est de type {kind} : seuls les polygones (Polygon, MultiPolygon) sont acceptés."
)
NOT_POLYGON_LAYER_MESSAGE = (
    "Le shapefile contient des entités de type {kind} : seuls les polygones sont acceptés."
)
UNREADABLE_MESSAGE = (
    "Le fichier est illisible ou corrompu. Déposez un fichier GeoJSON ou un shapefile zippé "
    "(archive .zip contenant les fichiers .shp, .shx, .dbf et .prj)."
)
UNREADABLE_FEATURE_MESSAGE = "L’entité n° {number} est illisible : sa géométrie est corrompue ou vide."
SHAPEFILE_PARTS_MESSAGE = (
    "L’archive doit contenir un seul shapefile, avec ses fichiers .shp, .shx et .dbf de même nom "
    "(il manque : {missing})."
)
SEVERAL_SHAPEFILES_MESSAGE = (
    "L’archive contient plusieurs shapefiles ({names}) : déposez-en un seul par archive."
)
MISSING_PRJ_MESSAGE = (
    "Projection inconnue : l’archive ne contient pas de fichier .prj. Exportez à nouveau le "
    "shapefile avec sa projection (par exemple Lambert-93, EPSG:2154)."
)
UNKNOWN_PROJECTION_MESSAGE = (
    "Projection inconnue : « {projection} » n’est pas reconnue. Exportez le fichier en Lambert-93 "
    "(EPSG:2154) ou en WGS84 (EPSG:4326)."
)
OUTSIDE_FRANCE_MESSAGE = (
    "Les coordonnées de l’entité n° {number} tombent hors de France après reprojection : la "
    "projection déclarée par le fichier est probablement erronée."
)
TOO_BIG_UNCOMPRESSED_MESSAGE = (
    "Une fois décompressé, le shapefile pèse {size} : il ne peut pas dépasser 1 Go."
)
EMPTY_MESSAGE = "Le fichier ne contient aucun polygone."


@dataclass(frozen=True)
class PerimeterShape:
    """One polygon feature of the file, reprojected to WGS84."""

    geometry: MultiPolygon
    name: str
    kind: str


def read_perimeter_file(uploaded_file) -> list[PerimeterShape]:
    """Polygons of a GeoJSON file or zipped shapefile, in WGS84; `name`/`kind` empty when absent."""
    size = uploaded_file.size
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(TOO_BIG_MESSAGE.format(size=_megabytes(size)), code="too_big")
    uploaded_file.seek(0)
    head = uploaded_file.read(4)
    uploaded_file.seek(0)
    if head.startswith(b"PK"):
        features = _read_zipped_shapefile(uploaded_file)
    else:
        features = _read_geojson(uploaded_file.read())
    shapes = [_to_shape(number, geometry, properties) for number, geometry, properties in features]
    if not shapes:
        raise ValidationError(EMPTY_MESSAGE, code="empty")
    return shapes


# GeoJSON


def _read_geojson(content: bytes) -> list[tuple[int, object, dict]]:
    try:
        document = json.loads(content)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValidationError(UNREADABLE_MESSAGE, code="unreadable") from None
    if not isinstance(document, dict):
        raise ValidationError(UNREADABLE_MESSAGE, code="unreadable")
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise ValidationError(UNREADABLE_MESSAGE, code="unreadable")
    elif kind == "Feature":
        features = [document]
    elif kind in GEOMETRY_TYPES:
        features = [{"type": "Feature", "geometry": document, "properties": {}}]
    else:
        raise ValidationError(UNREADABLE_MESSAGE, code="unreadable")
    _check_feature_count(len(features))
    transformer = _transformer_to_wgs84(_geojson_crs(document.get("crs")))

    read = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raise ValidationError(UNREADABLE_FEATURE_MESSAGE.format(number=number), code="unreadable")
        geometry_data = feature.get("geometry")
        if geometry_data is None:
            continue  # GeoJSON allows features without geometry: nothing to draw.
        if not isinstance(geometry_data, dict):
            raise ValidationError(UNREADABLE_FEATURE_MESSAGE.format(number=number), code="unreadable")
        geometry_kind = geometry_data.get("type")
        if geometry_kind not in ("Polygon", "MultiPolygon"):
            raise ValidationError(
                NOT_POLYGON_MESSAGE.format(number=number, kind=geometry_kind or "inconnu"), code="not_polygon"
            )
        geometry = _geometry_from_mapping(number, geometry_data)
        properties = feature.get("properties")
        read.append(
            (number, _reproject(geometry, transformer), properties if isinstance(properties, dict) else {})
        )
    return read


def _geojson_crs(crs: object) -> pyproj.CRS:
    """The CRS a GeoJSON declares (2008 `crs` member), WGS84 when it declares none (RFC 7946)."""
    if crs is None:
        return WGS84
    declared = None
    if isinstance(crs, dict) and isinstance(crs.get("properties"), dict):
        properties = crs["properties"]
        if crs.get("type") == "name":
            declared = properties.get("name")
        elif crs.get("type") == "EPSG" and properties.get("code") is not None:
            declared = f"EPSG:{properties['code']}"
    if not isinstance(declared, str) or not declared.strip():
        raise ValidationError(
            UNKNOWN_PROJECTION_MESSAGE.format(projection=_shorten(json.dumps(crs, ensure_ascii=False))),
            code="unknown_projection",
        )
    try:
        return pyproj.CRS.from_user_input(declared.strip())
    except pyproj.exceptions.CRSError:
        raise ValidationError(
            UNKNOWN_PROJECTION_MESSAGE.format(projection=_shorten(declared)), code="unknown_projection"
        ) from None


def _geometry_from_mapping(number: int, data: dict):
    try:
        return shape(data)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.ShapelyError):
        raise ValidationError(UNREADABLE_FEATURE_MESSAGE.format(number=number), code="unreadable") from None


# Zipped shapefile


def _read_zipped_shapefile(uploaded_file) -> list[tuple[int, object, dict]]:
    try:
        archive = zipfile.ZipFile(uploaded_file)
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and "__MACOSX" not in PurePosixPath(info.filename).parts
            and not PurePosixPath(info.filename).name.startswith(".")
        ]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ValidationError(UNREADABLE_MESSAGE, code="unreadable") from None

    stems: dict[str, dict[str, zipfile.ZipInfo]] = {}
    for info in members:
        path = PurePosixPath(info.filename)
        stems.setdefault(str(path.with_suffix("")), {})[path.suffix.lower()] = info
    layers = {stem: parts for stem, parts in stems.items() if ".shp" in parts}
    if len(layers) > 1:
        names = ", ".join(sorted(f"{PurePosixPath(stem).name}.shp" for stem in layers))
        raise ValidationError(SEVERAL_SHAPEFILES_MESSAGE.format(names=names), code="unreadable")
    parts = next(iter(layers.values()), {})
    missing = [suffix for suffix in (".shp", ".shx", ".dbf") if suffix not in parts]
    if missing:
        raise ValidationError(SHAPEFILE_PARTS_MESSAGE.format(missing=", ".join(missing)), code="unreadable")
    if ".prj" not in parts:
        raise ValidationError(MISSING_PRJ_MESSAGE, code="unknown_projection")
    if sum(info.file_size for info in parts.values()) > MAX_UNCOMPRESSED_BYTES:
        raise ValidationError(
            TOO_BIG_UNCOMPRESSED_MESSAGE.format(
                size=_megabytes(sum(info.file_size for info in parts.values()))
            ),
            code="too_big",
        )

    try:
        contents = {suffix: archive.read(info) for suffix, info in parts.items()}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise ValidationError(UNREADABLE_MESSAGE, code="unreadable") from None
    crs = _prj_crs(contents[".prj"])
    transformer = _transformer_to_wgs84(crs)
    encoding = _cpg_encoding(contents.get(".cpg"))
    try:
        records = _shapefile_records(contents, encoding)
    except ValidationError:
        raise
    except Exception:
        # pyshp raises ShapefileException, struct.error, IndexError… on broken files, and on text
        # not in the expected encoding: older French tools write Windows-1252 without a .cpg.
        try:
            records = _shapefile_records(contents, "cp1252", errors="replace")
        except ValidationError:
            raise
        except Exception:
            raise ValidationError(UNREADABLE_MESSAGE, code="unreadable") from None

    read = []
    for number, (geo_interface, properties) in enumerate(records, start=1):
        if geo_interface is None:
            continue  # null shape
        geometry = _geometry_from_mapping(number, geo_interface)
        read.append((number, _reproject(geometry, transformer), properties))
    return read


def _shapefile_records(
    contents: dict[str, bytes], encoding: str, errors: str = "strict"
) -> list[tuple[dict | None, dict]]:
    """(GeoJSON-like geometry or None, attributes) of each record; pyshp's own errors pass through."""
    reader = shapefile.Reader(
        shp=io.BytesIO(contents[".shp"]),
        shx=io.BytesIO(contents[".shx"]),
        dbf=io.BytesIO(contents[".dbf"]),
        encoding=encoding,
        encodingErrors=errors,
    )
    with reader:
        _check_feature_count(len(reader))
        if reader.shapeType not in (shapefile.NULL, *SHAPEFILE_POLYGON_TYPES):
            raise ValidationError(
                NOT_POLYGON_LAYER_MESSAGE.format(kind=reader.shapeTypeName), code="not_polygon"
            )
        records = []
        for shape_record in reader.iterShapeRecords():
            shape_data = shape_record.shape
            if shape_data.shapeType == shapefile.NULL:
                records.append((None, shape_record.record.as_dict()))
                continue
            if shape_data.shapeType not in SHAPEFILE_POLYGON_TYPES:
                raise ValidationError(
                    NOT_POLYGON_MESSAGE.format(number=len(records) + 1, kind=shape_data.shapeTypeName),
                    code="not_polygon",
                )
            records.append((shape_data.__geo_interface__, shape_record.record.as_dict()))
        return records


def _prj_crs(prj: bytes) -> pyproj.CRS:
    text = prj.decode("utf-8", errors="replace").strip()
    if not text:
        raise ValidationError(MISSING_PRJ_MESSAGE, code="unknown_projection")
    try:
        return pyproj.CRS.from_wkt(text)
    except pyproj.exceptions.CRSError:
        raise ValidationError(
            UNKNOWN_PROJECTION_MESSAGE.format(projection=_shorten(text)), code="unknown_projection"
        ) from None


def _cpg_encoding(cpg: bytes | None) -> str:
    """The .dbf encoding named by the .cpg file ("UTF-8", "1252", "ANSI 1252"…), UTF-8 by default."""
    name = (cpg or b"").decode("ascii", errors="ignore").strip().upper().removeprefix("ANSI").strip()
    if name.isdigit():
        name = f"cp{name}"
    try:
        return codecs.lookup(name).name if name else "utf-8"
    except LookupError:
        return "utf-8"


# Shared


def _check_feature_count(count: int) -> None:
    if count > MAX_FEATURES:
        raise ValidationError(
            TOO_MANY_FEATURES_MESSAGE.format(count=format_number(count)),
            code="too_many_features",
        )


def _transformer_to_wgs84(crs: pyproj.CRS) -> pyproj.Transformer | None:
    """None when the coordinates already are WGS84 longitudes and latitudes."""
    if crs.equals(WGS84, ignore_axis_order=True):
        return None
    try:
        return pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    except pyproj.exceptions.ProjError:
        raise ValidationError(
            UNKNOWN_PROJECTION_MESSAGE.format(projection=_shorten(crs.name)), code="unknown_projection"
        ) from None


def _reproject(geometry, transformer: pyproj.Transformer | None):
    geometry = shapely.force_2d(geometry)
    if transformer is None:
        return geometry

    def transform(coordinates: np.ndarray) -> np.ndarray:
        longitudes, latitudes = transformer.transform(coordinates[:, 0], coordinates[:, 1], errcheck=False)
        return np.column_stack([longitudes, latitudes])

    return shapely.transform(geometry, transform)


def _to_shape(number: int, geometry, properties: dict) -> PerimeterShape:
    if geometry.is_empty:
        raise ValidationError(UNREADABLE_FEATURE_MESSAGE.format(number=number), code="unreadable")
    coordinates = shapely.get_coordinates(geometry)
    if not np.isfinite(coordinates).all() or not _inside_france(geometry.bounds):
        raise ValidationError(OUTSIDE_FRANCE_MESSAGE.format(number=number), code="outside_france")
    if not geometry.is_valid:
        # Self-intersections are common in hand-drawn zones: keep the area they enclose.
        geometry = shapely.make_valid(geometry)
    polygons = [
        part for part in getattr(geometry, "geoms", [geometry]) if isinstance(part, Polygon | MultiPolygon)
    ]
    polygons = [
        polygon for part in polygons for polygon in getattr(part, "geoms", [part]) if not polygon.is_empty
    ]
    if not polygons:
        raise ValidationError(UNREADABLE_FEATURE_MESSAGE.format(number=number), code="unreadable")
    lowered = {str(key).strip().lower(): value for key, value in properties.items()}
    return PerimeterShape(
        geometry=MultiPolygon(polygons),
        name=_text(lowered.get("nom") or lowered.get("name")),
        kind=_text(lowered.get("type") or lowered.get("kind")),
    )


def _inside_france(bounds: tuple[float, float, float, float]) -> bool:
    west, south, east, north = bounds
    return any(
        box_west <= west and east <= box_east and box_south <= south and north <= box_north
        for box_west, box_south, box_east, box_north in FRANCE_BOXES
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())[:NAME_MAX_LENGTH]


def _megabytes(size: int) -> str:
    """Rounded up, so that a file just over the limit does not read as exactly at it."""
    tenths = math.ceil(size * 10 / (1024 * 1024))
    return f"{tenths // 10}{',' + str(tenths % 10) if tenths % 10 else ''}\xa0Mo"


def _shorten(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else f"{text[: length - 1]}…"
