"""The committed reference geography, loaded once for this module by the real service."""

import io

import pytest
import shapely
from django.core.management import call_command

from zlv.geo.models import Commune, Department, Epci, EpciKind, Region
from zlv.geo.selectors import UnknownTerritory, communes_of_territory
from zlv.geo.services import geography_load

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def first_load(django_db_setup, django_db_blocker):
    """Load the real files into an empty geography (committed, outside test transactions), then empty it."""
    with django_db_blocker.unblock():
        empty_geography()  # a run interrupted with --reuse-db may have left rows
        counts = geography_load()
        yield counts
        empty_geography()


def empty_geography():
    Epci.communes.through.objects.all().delete()
    Epci.objects.all().delete()
    Commune.objects.all().delete()
    Department.objects.all().delete()
    Region.objects.all().delete()


def test_first_load_creates_everything(first_load):
    for key in ("regions", "departments", "communes", "epcis", "memberships"):
        assert first_load[key]["created"] == first_load[key]["total"], key
    assert first_load["regions"]["total"] == Region.objects.count() == 18
    assert first_load["departments"]["total"] == Department.objects.count() == 101
    assert first_load["communes"]["total"] == Commune.objects.count() > 34_000
    assert first_load["epcis"]["total"] == Epci.objects.count() > 1_200


def test_second_run_changes_nothing(first_load):
    output = io.StringIO()
    call_command("load_geography", stdout=output)

    again = geography_load()
    for key in ("regions", "departments", "communes", "epcis", "memberships"):
        assert again[key]["total"] == first_load[key]["total"], key
        assert again[key]["created"] == 0, key
        assert again[key].get("updated", 0) == again[key].get("deleted", 0) == 0, key
    assert again["communes"]["obsolete"] == 0
    assert Commune.objects.count() == first_load["communes"]["total"]
    assert Epci.communes.through.objects.count() == first_load["memberships"]["total"]
    total = f"{first_load['communes']['total']:,}".replace(",", "\u202f")
    assert f"Communes : {total} (0 ajoutées, 0 modifiées)" in output.getvalue()
    assert "Géographie chargée en" in output.getvalue()


def test_lille_is_in_the_nord_with_a_contour_around_its_centre():
    lille = Commune.objects.select_related("department__region").get(code="59350")

    assert lille.name == "Lille"
    assert (lille.department.code, lille.department.region.code) == ("59", "32")
    assert lille.population > 200_000
    assert lille.contour.geom_type == "MultiPolygon"
    assert lille.contour.contains(shapely.Point(lille.center_longitude, lille.center_latitude))


def test_every_contour_contains_the_commune_centre():
    rows = list(Commune.objects.values_list("code", "contour_wkb", "center_longitude", "center_latitude"))
    with_contour = [row for row in rows if row[1] is not None]
    contours = shapely.from_wkb([bytes(row[1]) for row in with_contour])
    centres = shapely.points([(row[2], row[3]) for row in with_contour])

    inside = shapely.contains(contours, centres)
    outside = [row[0] for row, is_inside in zip(with_contour, inside, strict=True) if not is_inside]
    assert outside == []
    # Only the few communes re-created after the source's contours were drawn have none.
    assert len(rows) - len(with_contour) < 10


def test_corsica_and_overseas_are_included():
    ajaccio = Commune.objects.select_related("department__region").get(code="2A004")
    saint_denis = Commune.objects.select_related("department__region").get(code="97411")

    assert (ajaccio.name, ajaccio.department.code, ajaccio.department.region.code) == ("Ajaccio", "2A", "94")
    assert (saint_denis.name, saint_denis.department.name) == ("Saint-Denis", "La Réunion")
    assert saint_denis.center_latitude < -20
    for code in ("2A", "2B", "971", "972", "973", "974", "976"):
        assert Commune.objects.filter(department_id=code).exists(), code


def test_paris_and_its_arrondissements_share_departement_and_epci():
    paris = Commune.objects.get(code="75056")
    first = Commune.objects.get(code="75101")

    assert first.name == "Paris 1er Arrondissement"
    assert first.department_id == paris.department_id == "75"
    assert set(first.epcis.values_list("siren", flat=True)) == {"200054781"}  # Métropole du Grand Paris
    assert paris.contour.contains(shapely.Point(first.center_longitude, first.center_latitude))
    assert Commune.objects.filter(code__startswith="6938").count() == 9
    assert Commune.objects.filter(code__startswith="132").count() == 16


def test_metropole_europeenne_de_lille_has_its_member_communes():
    mel = Epci.objects.get(siren="200093201")

    assert mel.kind == EpciKind.METRO
    codes = set(mel.communes.values_list("code", flat=True))
    assert {"59350", "59512", "59599"} <= codes  # Lille, Roubaix, Tourcoing
    assert "59183" not in codes  # Dunkerque
    assert len(codes) > 90
    assert {kind for kind in Epci.objects.values_list("kind", flat=True).distinct()} <= set(EpciKind.values)


@pytest.mark.parametrize(
    ("territory", "expected"),
    [
        ("59350", {"59350"}),
        (" 2a004 ", {"2A004"}),
        ("75056", {"75056", *(f"751{n:02d}" for n in range(1, 21))}),
        ("75101", {"75101"}),
    ],
)
def test_communes_of_a_commune(territory, expected):
    assert set(communes_of_territory(territory).values_list("code", flat=True)) == expected


def test_communes_of_an_epci_a_departement_and_france():
    mel = set(communes_of_territory("200093201").values_list("code", flat=True))
    corse_du_sud = communes_of_territory("2A")
    ain = communes_of_territory("1")

    assert "59350" in mel and len(mel) > 90
    assert corse_du_sud.count() > 100
    assert not corse_du_sud.exclude(code__startswith="2A").exists()
    assert ain.count() > 350
    assert set(ain.values_list("department_id", flat=True)) == {"01"}
    assert communes_of_territory("974").filter(code="97411").exists()
    assert communes_of_territory("fr").count() == Commune.objects.count()


@pytest.mark.parametrize(
    "junk", ["", "XX", "99", "20", "00000", "123456789", "abc123", "59 350", "2000932011"]
)
def test_junk_territory_is_unknown(junk):
    with pytest.raises(UnknownTerritory):
        communes_of_territory(junk)
