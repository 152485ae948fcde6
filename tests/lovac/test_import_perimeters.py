"""The import keeps the uploaded perimeters' dwellings up to date, in its own transaction."""

from django.http import QueryDict
from shapely.geometry import MultiPolygon, box

from tests.factories import EstablishmentFactory, UserFactory
from tests.lovac.conftest import MILLESIME, import_file, lovac_row, run_import, write_lovac
from zlv.geo.models import Perimeter, PerimeterHousing
from zlv.housing.filters import parse_filters
from zlv.housing.selectors import filtered_housing

NEXT = MILLESIME + 1
# Around the default point of the test lines (3.0573, 50.6292), in Lille.
CENTRE = (3.05, 50.62, 3.07, 50.64)
OUTSIDE = {"ff_x_4326": "3.1000", "ff_y_4326": "50.6500"}


def perimeter(establishment, kind: str) -> Perimeter:
    west, south, east, north = CENTRE
    return Perimeter.objects.create(
        establishment=establishment,
        name=kind,
        kind=kind,
        geometry_wkb=MultiPolygon([box(*CENTRE)]).wkb,
        min_longitude=west,
        min_latitude=south,
        max_longitude=east,
        max_latitude=north,
    )


def members(perimeter) -> set[str]:
    return set(
        PerimeterHousing.objects.filter(perimeter=perimeter).values_list("housing__local_id", flat=True)
    )


def test_new_and_moved_dwellings_follow_the_perimeters_they_lie_in(communes, tmp_path):
    metropole = EstablishmentFactory(communes=[communes["59350"], communes["59512"]])
    agent = UserFactory(establishment=metropole)
    centre = perimeter(metropole, "OPAH")
    # The same drawing by an establishment that does not cover Lille.
    elsewhere = perimeter(EstablishmentFactory(communes=[communes["27229"]]), "OPAH")

    code, summary, _report = import_file(tmp_path, [lovac_row(1), lovac_row(2, **OUTSIDE)], name="a.csv")

    assert code == 0
    assert members(centre) == {"590000000001"}
    assert members(elsewhere) == set()

    def found(query):
        return {h.local_id for h in filtered_housing(agent, parse_filters(QueryDict(query)))}

    assert found("geoPerimetersIncluded=OPAH") == {"590000000001"}
    assert found("geoPerimetersExcluded=OPAH") == {"590000000002"}

    # Next file: dwelling 1 is geolocated elsewhere, dwelling 3 is new and inside.
    rows = [lovac_row(n, annee=str(NEXT), **values) for n, values in ((1, OUTSIDE), (2, OUTSIDE), (3, {}))]
    code, summary = run_import(write_lovac(tmp_path / "b.csv", rows), millesime=NEXT)

    assert code == 0
    assert members(centre) == {"590000000003"}
    assert found("geoPerimetersIncluded=OPAH") == {"590000000003"}


def test_a_dry_run_leaves_the_perimeters_as_they_were(communes, tmp_path):
    centre = perimeter(EstablishmentFactory(communes=[communes["59350"]]), "OPAH")

    code, summary, _report = import_file(tmp_path, [lovac_row(1)], "--dry-run")

    assert (code, summary["status"]) == (0, "dry-run")
    assert members(centre) == set()


def test_a_dwelling_moved_to_a_commune_the_establishment_does_not_cover_leaves_its_perimeters(
    communes, tmp_path
):
    centre = perimeter(EstablishmentFactory(communes=[communes["59350"]]), "OPAH")
    import_file(tmp_path, [lovac_row(1)], name="a.csv")
    assert members(centre) == {"590000000001"}

    # Same point, but the file now places the dwelling in Roubaix (a commune merge).
    code, _summary = run_import(
        write_lovac(tmp_path / "b.csv", [lovac_row(1, annee=str(NEXT), commune="512")]), millesime=NEXT
    )

    assert code == 0
    assert members(centre) == set()
