"""Establishment perimeters: reading files, membership of dwellings, rename/delete, refresh, filter."""

import io
import json
import zipfile

import pytest
import shapefile
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory
from zlv.accounts.enums import Role
from zlv.geo import perimeter_files
from zlv.geo.models import Perimeter, PerimeterHousing
from zlv.geo.perimeter_selectors import (
    housing_in_perimeter_kinds_condition,
    perimeter_kinds,
    perimeters_geojson,
)
from zlv.geo.perimeter_services import (
    perimeter_create_from_upload,
    perimeter_delete,
    perimeter_rename,
    perimeters_refresh_membership,
)
from zlv.housing.models import Housing

pytestmark = pytest.mark.django_db

# EPSG:2154 as ArcGIS and QGIS write it in .prj files (ESRI WKT1).
LAMBERT_93_PRJ = (
    'PROJCS["RGF_1993_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",'
    'SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],'
    'PARAMETER["False_Easting",700000.0],PARAMETER["False_Northing",6600000.0],'
    'PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",49.0],'
    'PARAMETER["Standard_Parallel_2",44.0],PARAMETER["Latitude_Of_Origin",46.5],UNIT["Meter",1.0]]'
)

# A square over central Lille with a hole (a park) in the middle.
LILLE_SQUARE = [[3.00, 50.60], [3.10, 50.60], [3.10, 50.66], [3.00, 50.66], [3.00, 50.60]]
LILLE_HOLE = [[3.04, 50.62], [3.06, 50.62], [3.06, 50.64], [3.04, 50.64], [3.04, 50.62]]


def geojson_file(document, name="zones.geojson") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(document).encode(), content_type="application/geo+json")


def feature(coordinates, geometry_type="Polygon", **properties) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": geometry_type, "coordinates": coordinates},
        "properties": properties,
    }


def collection(*features, **members) -> dict:
    return {"type": "FeatureCollection", "features": list(features), **members}


def zipped_shapefile(
    shapes, *, prj=LAMBERT_93_PRJ, shape_type=shapefile.POLYGON, parts=None, name="zones.zip"
) -> SimpleUploadedFile:
    """A zip holding zones.shp/.shx/.dbf (+ .prj), built in memory with pyshp.

    `shapes` is a list of (rings or point, properties dict).
    """
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shape_type)
    writer.field("nom", "C", size=100)
    writer.field("type", "C", size=50)
    for geometry, properties in shapes:
        if shape_type == shapefile.POINT:
            writer.point(*geometry)
        else:
            writer.poly(geometry)
        writer.record(properties.get("nom", ""), properties.get("type", ""))
    writer.close()
    files = {"zones.shp": shp.getvalue(), "zones.shx": shx.getvalue(), "zones.dbf": dbf.getvalue()}
    if prj is not None:
        files["zones.prj"] = prj.encode()
    if parts is not None:
        files = {file_name: content for file_name, content in files.items() if file_name[-4:] in parts}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name, content in files.items():
            archive.writestr(file_name, content)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


@pytest.fixture
def territory():
    """Lille and Roubaix for the métropole, Dunkerque for another establishment."""
    lille = CommuneFactory(code="59350", name="Lille")
    roubaix = CommuneFactory(code="59512", name="Roubaix")
    dunkerque = CommuneFactory(code="59183", name="Dunkerque")
    metropole = EstablishmentFactory(name="Métropole européenne de Lille", communes=[lille, roubaix])
    littoral = EstablishmentFactory(name="Communauté urbaine de Dunkerque", communes=[dunkerque])
    return metropole, littoral


@pytest.fixture
def admin(territory):
    return UserFactory(establishment=territory[0], establishment__role=Role.ADMIN)


@pytest.fixture
def dwellings():
    """Dwellings named by where they lie relative to LILLE_SQUARE."""
    return {
        "inside": HousingFactory(geo_code="59350", longitude=3.02, latitude=50.61),
        "inside_roubaix_code": HousingFactory(geo_code="59512", longitude=3.09, latitude=50.65),
        "in_the_hole": HousingFactory(geo_code="59350", longitude=3.05, latitude=50.63),
        "outside": HousingFactory(geo_code="59350", longitude=3.20, latitude=50.63),
        "no_coordinates": HousingFactory(geo_code="59350", longitude=None, latitude=None),
        # Inside the square, but in a commune the métropole does not cover.
        "other_establishment": HousingFactory(geo_code="59183", longitude=3.03, latitude=50.61),
    }


def upload(establishment, user, uploaded_file, **form_values) -> list[Perimeter]:
    return perimeter_create_from_upload(
        establishment=establishment, user=user, uploaded_file=uploaded_file, **form_values
    )


def member_ids(perimeter) -> set[int]:
    return set(PerimeterHousing.objects.filter(perimeter=perimeter).values_list("housing_id", flat=True))


# Upload: GeoJSON


def test_geojson_upload_keeps_exactly_the_establishment_dwellings_inside_the_polygon(
    territory, admin, dwellings
):
    metropole, _ = territory
    document = collection(feature([LILLE_SQUARE, LILLE_HOLE], nom="Centre de Lille", type="OPAH-RU"))

    [perimeter] = upload(metropole, admin, geojson_file(document))

    perimeter.refresh_from_db()
    assert (perimeter.name, perimeter.kind, perimeter.establishment, perimeter.created_by) == (
        "Centre de Lille",
        "OPAH-RU",
        metropole,
        admin,
    )
    assert member_ids(perimeter) == {dwellings["inside"].pk, dwellings["inside_roubaix_code"].pk}
    assert perimeter.geometry.geom_type == "MultiPolygon"
    assert (
        perimeter.min_longitude,
        perimeter.min_latitude,
        perimeter.max_longitude,
        perimeter.max_latitude,
    ) == (
        3.00,
        50.60,
        3.10,
        50.66,
    )


def test_each_polygon_feature_becomes_a_perimeter_with_form_values_as_defaults(territory, admin, dwellings):
    metropole, _ = territory
    east = [[3.15, 50.60], [3.25, 50.60], [3.25, 50.66], [3.15, 50.66], [3.15, 50.60]]
    document = collection(
        feature([LILLE_SQUARE], nom="Lille centre"),
        feature([[east]], geometry_type="MultiPolygon"),
        feature([[[3.3, 50.6], [3.31, 50.6], [3.31, 50.61], [3.3, 50.6]]], NAME="Sans type", TYPE="ORT"),
    )

    perimeters = upload(
        metropole, admin, geojson_file(document), name="Zones ORT", kind="Action cœur de ville"
    )

    assert [(p.name, p.kind) for p in perimeters] == [
        ("Lille centre", "Action cœur de ville"),
        ("Zones ORT", "Action cœur de ville"),
        ("Sans type", "ORT"),
    ]
    assert member_ids(perimeters[1]) == {dwellings["outside"].pk}


def test_without_properties_nor_form_values_the_file_name_names_the_perimeters(territory, admin):
    metropole, _ = territory
    document = collection(feature([LILLE_SQUARE]), feature([LILLE_HOLE]))

    perimeters = upload(metropole, admin, geojson_file(document, name="quartiers_prioritaires.geojson"))

    assert [(p.name, p.kind) for p in perimeters] == [
        ("quartiers_prioritaires (1)", "quartiers_prioritaires"),
        ("quartiers_prioritaires (2)", "quartiers_prioritaires"),
    ]


def test_a_bare_geometry_and_a_single_feature_are_accepted(territory, admin, dwellings):
    metropole, _ = territory

    [from_geometry] = upload(
        metropole, admin, geojson_file({"type": "Polygon", "coordinates": [LILLE_SQUARE]})
    )
    [from_feature] = upload(metropole, admin, geojson_file(feature([LILLE_SQUARE], nom="Lille")))

    assert dwellings["in_the_hole"].pk in member_ids(from_geometry)
    assert member_ids(from_feature) == member_ids(from_geometry)


def test_geojson_declaring_lambert_93_is_reprojected(territory, admin):
    metropole, _ = territory
    # Lambert-93's origin is by definition 3° E, 46.5° N: a 2 km square around it.
    origin_dwelling = HousingFactory(geo_code="59350", longitude=3.0, latitude=46.5)
    square = [[699000, 6599000], [701000, 6599000], [701000, 6601000], [699000, 6601000], [699000, 6599000]]
    document = collection(
        feature([square], nom="Origine"),
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
    )

    [perimeter] = upload(metropole, admin, geojson_file(document))

    assert perimeter.min_longitude == pytest.approx(2.987, abs=0.001)
    assert perimeter.max_latitude == pytest.approx(46.509, abs=0.001)
    assert member_ids(perimeter) == {origin_dwelling.pk}


def test_self_intersecting_polygons_are_repaired(territory, admin):
    metropole, _ = territory
    bowtie = [[3.0, 50.6], [3.1, 50.66], [3.1, 50.6], [3.0, 50.66], [3.0, 50.6]]

    [perimeter] = upload(metropole, admin, geojson_file(feature([bowtie], nom="Nœud")))

    assert perimeter.geometry.is_valid
    assert perimeter.geometry.area == pytest.approx(0.1 * 0.06 / 2)


# Upload: zipped shapefile


def test_zipped_lambert_93_shapefile_is_reprojected_to_wgs84(territory, admin):
    metropole, _ = territory
    near_origin = HousingFactory(geo_code="59350", longitude=3.0, latitude=46.5)
    far = HousingFactory(geo_code="59512", longitude=3.05, latitude=46.5)  # about 3.8 km east
    square = [[699000, 6599000], [699000, 6601000], [701000, 6601000], [701000, 6599000], [699000, 6599000]]
    hole = [[699900, 6599900], [700100, 6599900], [700100, 6600100], [699900, 6600100], [699900, 6599900]]
    hole_free = [
        [699900, 6600200],
        [699900, 6600300],
        [700000, 6600300],
        [700000, 6600200],
        [699900, 6600200],
    ]
    east = [[702000, 6599000], [702000, 6601000], [705000, 6601000], [705000, 6599000], [702000, 6599000]]
    archive = zipped_shapefile(
        [
            ([square, hole], {"nom": "Autour de l’origine", "type": "OPAH"}),
            ([hole_free], {"nom": "Îlot", "type": "OPAH"}),
            ([east], {"nom": "Est", "type": "ORT"}),
        ]
    )

    origin, islet, east_zone = upload(metropole, admin, archive)

    assert (origin.name, origin.kind, east_zone.kind) == ("Autour de l’origine", "OPAH", "ORT")
    # Reference values: IGN's Circé for these Lambert-93 corners.
    assert origin.min_longitude == pytest.approx(2.986958, abs=1e-5)
    assert origin.max_longitude == pytest.approx(3.013042, abs=1e-5)
    assert origin.min_latitude == pytest.approx(46.490995, abs=1e-5)
    assert origin.max_latitude == pytest.approx(46.509004, abs=1e-5)
    # The origin (3° E, 46.5° N) falls in the hole of the first zone.
    assert member_ids(origin) == set()
    assert member_ids(islet) == set()
    assert member_ids(east_zone) == {far.pk}
    assert near_origin.pk not in member_ids(east_zone)


def test_shapefile_in_a_folder_with_a_windows_1252_dbf_is_read(territory, admin):
    metropole, _ = territory
    square = [[699000, 6599000], [699000, 6601000], [701000, 6601000], [701000, 6599000], [699000, 6599000]]
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding="cp1252")
    writer.field("NOM", "C", size=50)
    writer.poly([square])
    writer.record("Quartier de la Gare Saint-Sauveur — é")  # no .cpg: not UTF-8, read as Windows-1252
    writer.close()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for suffix, content in (("shp", shp), ("shx", shx), ("dbf", dbf)):
            archive.writestr(f"export/zones.{suffix}", content.getvalue())
        archive.writestr("export/zones.prj", LAMBERT_93_PRJ)
        archive.writestr("__MACOSX/export/._zones.shp", b"junk")

    [perimeter] = upload(metropole, admin, SimpleUploadedFile("export.zip", buffer.getvalue()))

    assert perimeter.name == "Quartier de la Gare Saint-Sauveur — é"


# Refusals: nothing is saved


def refused(establishment, user, uploaded_file, code) -> str:
    with pytest.raises(ValidationError) as caught:
        upload(establishment, user, uploaded_file)
    assert caught.value.code == code
    assert not Perimeter.objects.exists()
    assert not PerimeterHousing.objects.exists()
    return caught.value.messages[0]


POINT_FEATURE = feature([3.05, 50.63], geometry_type="Point", nom="Mairie")


@pytest.mark.parametrize(
    ("uploaded_file", "code", "message"),
    [
        (
            geojson_file(collection(feature([LILLE_SQUARE], nom="Lille"), POINT_FEATURE)),
            "not_polygon",
            "L’entité n° 2 est de type Point : seuls les polygones (Polygon, MultiPolygon) sont acceptés.",
        ),
        (
            zipped_shapefile([((3.05, 50.63), {})], shape_type=shapefile.POINT),
            "not_polygon",
            "Le shapefile contient des entités de type POINT : seuls les polygones sont acceptés.",
        ),
        (
            SimpleUploadedFile("zones.geojson", b"\x00\x01 pas du json"),
            "unreadable",
            "Le fichier est illisible ou corrompu. Déposez un fichier GeoJSON ou un shapefile zippé "
            "(archive .zip contenant les fichiers .shp, .shx, .dbf et .prj).",
        ),
        (
            SimpleUploadedFile("zones.zip", b"PK\x03\x04 truncated archive"),
            "unreadable",
            "Le fichier est illisible ou corrompu. Déposez un fichier GeoJSON ou un shapefile zippé "
            "(archive .zip contenant les fichiers .shp, .shx, .dbf et .prj).",
        ),
        (
            geojson_file(collection(feature([[[3.0, 50.6], [3.1, 50.6]]], nom="Deux points"))),
            "unreadable",
            "L’entité n° 1 est illisible : sa géométrie est corrompue ou vide.",
        ),
        (
            zipped_shapefile([([[[0, 0], [0, 1], [1, 1], [0, 0]]], {})], parts={".shp", ".shx", ".prj"}),
            "unreadable",
            "L’archive doit contenir un seul shapefile, avec ses fichiers .shp, .shx et .dbf de même nom "
            "(il manque : .dbf).",
        ),
        (
            zipped_shapefile([([[[0, 0], [0, 1], [1, 1], [0, 0]]], {})], prj=None),
            "unknown_projection",
            "Projection inconnue : l’archive ne contient pas de fichier .prj. Exportez à nouveau le "
            "shapefile avec sa projection (par exemple Lambert-93, EPSG:2154).",
        ),
        (
            zipped_shapefile([([[[0, 0], [0, 1], [1, 1], [0, 0]]], {})], prj='PROJCS["Maison",BIDULE[1]]'),
            "unknown_projection",
            'Projection inconnue : « PROJCS["Maison",BIDULE[1]] » n’est pas reconnue. Exportez le fichier '
            "en Lambert-93 (EPSG:2154) ou en WGS84 (EPSG:4326).",
        ),
        (
            geojson_file(
                collection(
                    feature([LILLE_SQUARE]), crs={"type": "name", "properties": {"name": "EPSG:999999"}}
                )
            ),
            "unknown_projection",
            "Projection inconnue : « EPSG:999999 » n’est pas reconnue. Exportez le fichier en Lambert-93 "
            "(EPSG:2154) ou en WGS84 (EPSG:4326).",
        ),
        (
            # Lambert-93 coordinates in a GeoJSON that does not say so (read as WGS84).
            geojson_file(
                collection(
                    feature([[[699000, 6599000], [701000, 6599000], [701000, 6601000], [699000, 6599000]]])
                )
            ),
            "outside_france",
            "Les coordonnées de l’entité n° 1 tombent hors de France après reprojection : la projection "
            "déclarée par le fichier est probablement erronée.",
        ),
        (
            # WGS84 coordinates in a shapefile whose .prj says Lambert-93.
            zipped_shapefile([([[[3.0, 50.6], [3.0, 50.66], [3.1, 50.66], [3.0, 50.6]]], {})]),
            "outside_france",
            "Les coordonnées de l’entité n° 1 tombent hors de France après reprojection : la projection "
            "déclarée par le fichier est probablement erronée.",
        ),
        (
            geojson_file(collection()),
            "empty",
            "Le fichier ne contient aucun polygone.",
        ),
    ],
    ids=[
        "geojson-point",
        "shapefile-points",
        "not-json",
        "broken-zip",
        "ring-too-short",
        "missing-dbf",
        "missing-prj",
        "unknown-prj",
        "unknown-geojson-crs",
        "geojson-in-lambert-93",
        "shapefile-wrong-prj",
        "empty",
    ],
)
def test_bad_files_are_refused_with_a_french_message_and_nothing_saved(
    territory, admin, dwellings, uploaded_file, code, message
):
    assert refused(territory[0], admin, uploaded_file, code) == message


def test_a_truncated_shapefile_is_refused(territory, admin):
    square = [[699000, 6599000], [699000, 6601000], [701000, 6601000], [701000, 6599000], [699000, 6599000]]
    archive = zipped_shapefile([([square], {"nom": "A"}), ([square], {"nom": "B"})])
    with zipfile.ZipFile(io.BytesIO(archive.read())) as source:
        contents = {info.filename: source.read(info) for info in source.infolist()}
    contents["zones.shp"] = contents["zones.shp"][:150]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for file_name, content in contents.items():
            target.writestr(file_name, content)

    message = refused(territory[0], admin, SimpleUploadedFile("zones.zip", buffer.getvalue()), "unreadable")

    assert message.startswith("Le fichier est illisible ou corrompu.")


def test_files_over_100_mb_are_refused(territory, admin):
    big = geojson_file(collection(feature([LILLE_SQUARE])))
    big.size = 100 * 1024 * 1024 + 1

    message = refused(territory[0], admin, big, "too_big")

    assert message == "Le fichier pèse 100,1\xa0Mo : la taille maximale est de 100 Mo."


def test_files_over_10_000_features_are_refused(territory, admin):
    square = [[3.0, 50.6], [3.001, 50.6], [3.001, 50.601], [3.0, 50.6]]
    document = collection(*[feature([square]) for _ in range(10_001)])

    message = refused(territory[0], admin, geojson_file(document), "too_many_features")

    assert message == "Le fichier contient 10\u202f001 entités : 10 000 au maximum."


def test_shapefiles_over_10_000_features_are_refused(territory, admin):
    square = [[699000, 6599000], [699000, 6599010], [699010, 6599010], [699000, 6599000]]
    archive = zipped_shapefile([([square], {})] * 10_001)

    refused(territory[0], admin, archive, "too_many_features")


def test_zip_bombs_are_refused_before_extraction(territory, admin, monkeypatch):
    monkeypatch.setattr(perimeter_files, "MAX_UNCOMPRESSED_BYTES", 100)
    square = [[699000, 6599000], [699000, 6601000], [701000, 6601000], [699000, 6599000]]

    message = refused(territory[0], admin, zipped_shapefile([([square], {})] * 5), "too_big")

    assert message.startswith("Une fois décompressé, le shapefile pèse")


def test_only_admins_of_the_establishment_upload(territory, dwellings):
    metropole, littoral = territory
    usual = UserFactory(establishment=metropole)
    visitor = UserFactory(establishment=metropole, establishment__role=Role.VISITOR)
    other_admin = UserFactory(establishment=littoral, establishment__role=Role.ADMIN)

    for user in (usual, visitor, other_admin):
        with pytest.raises(PermissionDenied):
            upload(metropole, user, geojson_file(feature([LILLE_SQUARE])))
    assert not Perimeter.objects.exists()


# Rename, delete


@pytest.fixture
def perimeter(territory, admin, dwellings):
    [perimeter] = upload(
        territory[0], admin, geojson_file(feature([LILLE_SQUARE, LILLE_HOLE], nom="Centre", type="OPAH"))
    )
    return perimeter


def test_rename_changes_name_and_kind(perimeter, admin):
    perimeter_rename(perimeter=perimeter, name="  Centre   historique ", kind="ORT", by=admin)

    perimeter.refresh_from_db()
    assert (perimeter.name, perimeter.kind) == ("Centre historique", "ORT")


def test_rename_refuses_blank_values_and_non_admins(perimeter, admin, territory):
    with pytest.raises(ValidationError) as caught:
        perimeter_rename(perimeter=perimeter, name=" ", kind="", by=admin)
    assert caught.value.message_dict == {
        "name": ["Saisissez le nom du périmètre."],
        "kind": ["Saisissez le type du périmètre."],
    }
    with pytest.raises(PermissionDenied):
        perimeter_rename(perimeter=perimeter, name="X", kind="Y", by=UserFactory(establishment=territory[0]))
    perimeter.refresh_from_db()
    assert (perimeter.name, perimeter.kind) == ("Centre", "OPAH")


def test_delete_removes_the_perimeter_and_its_links_not_the_dwellings(perimeter, admin, dwellings):
    perimeter_delete(perimeter=perimeter, by=admin)

    assert not Perimeter.objects.exists()
    assert not PerimeterHousing.objects.exists()
    assert Housing.objects.count() == len(dwellings)


def test_delete_is_refused_to_visitors(perimeter, territory):
    visitor = UserFactory(establishment=territory[0], establishment__role=Role.VISITOR)

    with pytest.raises(PermissionDenied):
        perimeter_delete(perimeter=perimeter, by=visitor)
    assert Perimeter.objects.filter(pk=perimeter.pk).exists()


# Refresh after an import


def test_refresh_adds_new_dwellings_and_drops_moved_ones(perimeter, dwellings):
    new_inside = HousingFactory(geo_code="59350", longitude=3.01, latitude=50.65)
    new_outside = HousingFactory(geo_code="59350", longitude=3.5, latitude=50.65)
    Housing.objects.filter(pk=dwellings["inside"].pk).update(longitude=3.3)  # geolocation corrected
    untouched = set(member_ids(perimeter))

    summary = perimeters_refresh_membership(geo_codes=["59183"])  # another establishment's commune
    assert (summary.perimeters, summary.added, summary.removed) == (0, 0, 0)
    assert member_ids(perimeter) == untouched

    summary = perimeters_refresh_membership(geo_codes=["59350"])

    assert (summary.perimeters, summary.added, summary.removed) == (1, 1, 1)
    assert member_ids(perimeter) == {new_inside.pk, dwellings["inside_roubaix_code"].pk}
    assert new_outside.pk not in member_ids(perimeter)


def test_refresh_only_touches_the_given_communes(perimeter, dwellings):
    PerimeterHousing.objects.filter(perimeter=perimeter).delete()

    perimeters_refresh_membership(geo_codes=["59512"])

    assert member_ids(perimeter) == {dwellings["inside_roubaix_code"].pk}


def test_full_refresh_follows_the_establishment_communes(perimeter, territory, dwellings):
    metropole, _ = territory
    metropole.communes.remove("59512")

    summary = perimeters_refresh_membership()

    assert summary.removed == 1
    assert member_ids(perimeter) == {dwellings["inside"].pk}
    assert perimeters_refresh_membership().added == 0  # idempotent


# Selectors


def test_filter_condition_on_visible_dwellings(perimeter, territory, dwellings, admin):
    metropole, _ = territory
    square_east = [[3.15, 50.60], [3.25, 50.60], [3.25, 50.66], [3.15, 50.66], [3.15, 50.60]]
    upload(metropole, admin, geojson_file(feature([square_east], nom="Est", type="ORT")))
    visible = Housing.objects.visible_to(admin)

    included = visible.filter(housing_in_perimeter_kinds_condition(["OPAH"], metropole.pk))
    excluded = visible.filter(~housing_in_perimeter_kinds_condition(["OPAH"], metropole.pk))
    both = visible.filter(housing_in_perimeter_kinds_condition(["OPAH", "ORT"], metropole.pk))
    none = visible.filter(housing_in_perimeter_kinds_condition([], metropole.pk))

    assert set(included) == {dwellings["inside"], dwellings["inside_roubaix_code"]}
    assert set(excluded) == {
        dwellings["in_the_hole"],
        dwellings["outside"],
        dwellings["no_coordinates"],
    }
    assert set(both) == {dwellings["inside"], dwellings["inside_roubaix_code"], dwellings["outside"]}
    assert not none.exists()


def test_filter_condition_ignores_perimeters_of_other_establishments(territory, dwellings):
    metropole, _ = territory
    # The city of Lille is itself an establishment, sharing the commune with the métropole.
    city = EstablishmentFactory(name="Ville de Lille", communes=list(metropole.communes.filter(code="59350")))
    city_admin = UserFactory(establishment=city, establishment__role=Role.ADMIN)
    upload(city, city_admin, geojson_file(feature([LILLE_SQUARE], nom="Centre", type="OPAH")))
    metropole_agent = UserFactory(establishment=metropole)

    condition = housing_in_perimeter_kinds_condition(["OPAH"], metropole.pk)

    assert not Housing.objects.visible_to(metropole_agent).filter(condition).exists()
    assert set(
        Housing.objects.visible_to(city_admin).filter(housing_in_perimeter_kinds_condition(["OPAH"], city.pk))
    ) == {dwellings["inside"], dwellings["in_the_hole"]}


def test_map_layer_is_a_small_geojson_of_the_establishment_perimeters(
    perimeter, territory, admin, django_assert_num_queries
):
    cache.clear()
    metropole, littoral = territory
    detailed_ring = [[3.0 + i * 0.000001, 50.6 + (i % 2) * 0.000001] for i in range(2000)]
    detailed_ring += [[3.002, 50.61], [3.0, 50.61], [3.0, 50.6]]
    littoral_admin = UserFactory(establishment=littoral, establishment__role=Role.ADMIN)
    upload(littoral, littoral_admin, geojson_file(feature([LILLE_SQUARE], nom="Digue")))
    upload(metropole, admin, geojson_file(feature([detailed_ring], nom="Détaillé", type="OPAH")))

    layer = perimeters_geojson(metropole.pk)
    with django_assert_num_queries(1):  # cached: only the version check
        assert perimeters_geojson(metropole.pk) == layer

    assert layer["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in layer["features"]] == ["Centre", "Détaillé"]
    assert layer["features"][0]["properties"] == {"id": perimeter.pk, "name": "Centre", "kind": "OPAH"}
    detailed = layer["features"][1]["geometry"]
    assert detailed["type"] == "MultiPolygon"
    assert len(detailed["coordinates"][0][0]) < 10
    assert layer["bbox"] == pytest.approx([3.0, 50.6, 3.1, 50.66])
    assert json.dumps(layer)
    assert perimeter_kinds(metropole.pk) == ["OPAH"]

    perimeter_rename(perimeter=perimeter, name="Centre ancien", kind="OPAH", by=admin)
    assert perimeters_geojson(metropole.pk)["features"][0]["properties"]["name"] == "Centre ancien"


def test_refresh_of_a_commune_the_establishment_no_longer_covers_drops_its_links(
    perimeter, territory, dwellings
):
    metropole, _ = territory
    metropole.communes.remove("59512")

    summary = perimeters_refresh_membership(geo_codes=["59512"])

    assert (summary.perimeters, summary.removed) == (1, 1)
    assert member_ids(perimeter) == {dwellings["inside"].pk}
