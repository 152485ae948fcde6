"""communes_of_territory on a handful of communes made by factories."""

import pytest

from tests.factories import CommuneFactory, DepartmentFactory, RegionFactory
from zlv.geo.models import Epci, EpciKind
from zlv.geo.selectors import ARRONDISSEMENTS_OF_CITY, UnknownTerritory, communes_of_territory

pytestmark = pytest.mark.django_db


def codes(territory: str) -> set[str]:
    return set(communes_of_territory(territory).values_list("code", flat=True))


@pytest.fixture
def territory():
    ain = DepartmentFactory(
        code="01", name="Ain", region=RegionFactory(code="84", name="Auvergne-Rhône-Alpes")
    )
    corse_du_sud = DepartmentFactory(
        code="2A", name="Corse-du-Sud", region=RegionFactory(code="94", name="Corse")
    )
    paris = DepartmentFactory(code="75", name="Paris", region=RegionFactory(code="11", name="Île-de-France"))
    CommuneFactory(code="01001", department=ain)
    CommuneFactory(code="01002", department=ain)
    CommuneFactory(code="2A004", name="Ajaccio", department=corse_du_sud)
    CommuneFactory(code="75056", name="Paris", department=paris)
    CommuneFactory(code="75101", name="Paris 1er Arrondissement", department=paris)
    CommuneFactory(code="75102", name="Paris 2e Arrondissement", department=paris)
    epci = Epci.objects.create(siren="200069193", name="CC de la Dombes", kind=EpciKind.CC)
    epci.communes.set(["01001"])


def test_commune_department_epci_and_france(territory):
    assert codes("01002") == {"01002"}
    assert codes("2a004") == {"2A004"}
    assert codes("1") == codes("01") == {"01001", "01002"}
    assert codes("2A") == {"2A004"}
    assert codes(" 200069193 ") == {"01001"}
    assert codes("FR") == {"01001", "01002", "2A004", "75056", "75101", "75102"}


def test_a_plm_city_includes_its_arrondissements_but_not_the_reverse(territory):
    assert codes("75056") == {"75056", "75101", "75102"}
    assert codes("75101") == {"75101"}


def test_plm_arrondissement_codes():
    assert ARRONDISSEMENTS_OF_CITY["75056"][0] == "75101" and len(ARRONDISSEMENTS_OF_CITY["75056"]) == 20
    assert ARRONDISSEMENTS_OF_CITY["13055"][-1] == "13216" and len(ARRONDISSEMENTS_OF_CITY["13055"]) == 16
    assert ARRONDISSEMENTS_OF_CITY["69123"] == tuple(f"6938{n}" for n in range(1, 10))


@pytest.mark.parametrize("code", ["01003", "200000000", "02", "2C", "", "FRANCE", "0100", "20"])
def test_unknown_territories_raise(territory, code):
    with pytest.raises(UnknownTerritory):
        communes_of_territory(code)
