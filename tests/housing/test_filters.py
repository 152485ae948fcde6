"""Each filter of the dwellings list returns exactly the expected dwellings on a small dataset."""

import datetime
from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from tests.factories import HousingFactory, HousingOwnerFactory, OwnerFactory
from zlv.geo.models import Epci
from zlv.housing.filters import apply_filters, order_by_sort, parse_filters
from zlv.housing.models import Building, Housing, HousingPrecision, Precision

TODAY = datetime.date(2026, 11, 29)


@pytest.fixture
def park(db):
    """Five dwellings that differ on every filtered field."""
    small_building = Building.objects.create(id="B1", housing_count=3, vacant_housing_count=3)
    big_building = Building.objects.create(id="B2", housing_count=60, vacant_housing_count=6)
    homes = {
        "old_house": HousingFactory(
            geo_code="59001",
            housing_kind="MAISON",
            status=0,
            occupancy="V",
            vacancy_start_year=2008,
            building_year=1900,
            living_area=120,
            rooms_count=6,
            cadastral_classification=7,
            condominium="",
            data_file_years=["lovac-2024", "lovac-2025"],
            last_mutation_year=2021,
            last_transaction_date=datetime.date(2021, 5, 2),
            building=small_building,
            address_dgfip="12 RUE DES ÉCOLES, DOUAI",
        ),
        "flat": HousingFactory(
            geo_code="59002",
            housing_kind="APPART",
            status=2,
            sub_status="En pré-accompagnement",
            occupancy="L",
            vacancy_start_year=2020,
            building_year=1970,
            living_area=30,
            rooms_count=1,
            cadastral_classification=None,
            condominium="CL",
            data_file_years=["lovac-2025"],
            last_mutation_year=2012,
            building=big_building,
            address_dgfip="3 AVENUE FOCH, SIN",
        ),
        "free_housing": HousingFactory(
            geo_code="59003",
            housing_kind="MAISON",
            status=5,
            sub_status="Tiers en cause",
            occupancy="G",
            vacancy_start_year=None,
            building_year=2000,
            living_area=80,
            rooms_count=3,
            cadastral_classification=5,
            condominium="MP",
            data_file_years=[],
            last_mutation_year=None,
            address_dgfip="LIEU-DIT LES PRÉS",
        ),
        "corsica": HousingFactory(
            geo_code="2A004",
            local_id="2A0040000001",
            housing_kind="APPART",
            status=1,
            occupancy="V",
            vacancy_start_year=2016,
            building_year=1930,
            living_area=50,
            rooms_count=2,
            condominium="co",
            data_file_years=["lovac-2024"],
            invariant="INV0000042",
        ),
    }
    young = OwnerFactory(
        full_name="DUPONT/JÉRÔME PIERRE", kind="particulier", birth_date=datetime.date(1990, 1, 1)
    )
    old = OwnerFactory(full_name="SCI LES TILLEULS", kind="sci-copro", birth_date=None, is_multi_owner=True)
    centenarian = OwnerFactory(
        full_name="MARTIN/LOUISE", kind="particulier", birth_date=datetime.date(1920, 3, 3)
    )
    HousingOwnerFactory(housing=homes["old_house"], owner=young, rank=1, locprop_source=1)
    HousingOwnerFactory(housing=homes["old_house"], owner=centenarian, rank=2, locprop_source=6)
    HousingOwnerFactory(housing=homes["flat"], owner=old, rank=1, locprop_source=4)
    HousingOwnerFactory(housing=homes["free_housing"], owner=old, rank=1, locprop_source=6)
    HousingOwnerFactory(housing=homes["corsica"], owner=centenarian, rank=1, locprop_source=None)
    HousingOwnerFactory(housing=homes["corsica"], owner=young, rank=0)
    return homes


def matching(query: str) -> set[str]:
    filters = parse_filters(QueryDict(query))
    assert not filters.errors, filters.errors
    found = apply_filters(Housing.objects.all(), filters, today=TODAY)
    return {housing.local_id for housing in found}


def names(park, *keys) -> set[str]:
    return {park[key].local_id for key in keys}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["old_house", "flat", "free_housing", "corsica"]),
        ("status=0", ["old_house"]),
        ("statusList=1,2", ["flat", "corsica"]),
        ("subStatus=Tiers en cause", ["free_housing"]),
        ("occupancies=V", ["old_house", "corsica"]),
        ("occupancies=A", ["free_housing"]),  # "Autres" also matches the read-only codes
        ("vacancyYears=before2010", ["old_house"]),
        ("vacancyYears=2018to2015,2020", ["flat", "corsica"]),
        ("vacancyYears=missingData", ["free_housing"]),
        ("dataFileYearsIncluded=lovac-2025", ["old_house", "flat"]),
        ("dataFileYearsIncluded=null", ["free_housing"]),
        ("dataFileYearsExcluded=lovac-2025", ["free_housing", "corsica"]),
        ("localities=59001,2A004", ["old_house", "corsica"]),
        ("departments=2A", ["corsica"]),
        ("buildingPeriods=lt1919", ["old_house"]),
        ("buildingPeriods=1919to1945,gte1991", ["corsica", "free_housing"]),
        ("ownershipKinds=single", ["old_house"]),
        ("ownershipKinds=co", ["flat", "corsica"]),
        ("ownershipKinds=other", ["free_housing"]),
        ("housingCounts=lt5", ["old_house"]),
        ("housingCounts=gte50", ["flat"]),
        ("vacancyRates=gte80", ["old_house"]),
        ("vacancyRates=lt20", ["flat"]),
        ("housingKinds=APPART", ["flat", "corsica"]),
        ("housingAreas=lt35", ["flat"]),
        ("housingAreas=75to99,gte100", ["old_house", "free_housing"]),
        ("roomsCounts=gte5", ["old_house"]),
        ("roomsCounts=2,3", ["corsica", "free_housing"]),
        ("cadastralClassifications=7", ["old_house"]),
        ("cadastralClassifications=null", ["flat", "corsica"]),
        ("lastMutationTypes=sale", ["old_house"]),
        ("lastMutationTypes=donation", ["flat"]),
        ("lastMutationTypes=null", ["free_housing", "corsica"]),
        ("lastMutationYears=2021", ["old_house"]),
        ("lastMutationYears=2010to2014", ["flat"]),
        ("ownerKinds=sci-copro", ["flat", "free_housing"]),
        ("ownerKinds=particulier", ["old_house", "corsica"]),
        ("ownerAges=lt40", ["old_house"]),  # the young secondary owner of corsica does not count
        ("ownerAges=gte100", ["corsica"]),
        ("ownerAges=null", ["flat", "free_housing"]),
        ("relativeLocations=same-commune", ["old_house"]),
        ("relativeLocations=other-region", ["flat"]),
        ("relativeLocations=foreign-country", ["free_housing"]),
        ("relativeLocations=other", ["corsica"]),
        ("multiOwners=true", ["flat", "free_housing"]),
        ("multiOwners=false", ["old_house", "corsica"]),
        ("beneficiaryCounts=2", ["old_house"]),
        ("beneficiaryCounts=1", ["flat", "free_housing", "corsica"]),
        ("query=jerome dupont", ["old_house"]),  # accent-insensitive, any word order
        ("query=tilleuls", ["flat", "free_housing"]),
        ("query=sci les tilleuls", ["flat", "free_housing"]),
        ("query=dupont, j.", ["old_house"]),  # punctuation splits; a one-letter word does not narrow
        ("query=dupont x", ["old_house"]),
        ("query=ecoles", ["old_house"]),  # address
        ("query=INV0000042", ["corsica"]),
        ("status=1&housingKinds=APPART", ["corsica"]),
    ],
)
def test_each_filter_value_returns_exactly_the_expected_dwellings(park, query, expected):
    assert matching(query) == names(park, *expected)


@pytest.fixture
def streets(db):
    """Addresses as the Fichiers fonciers write them: abbreviated street types, or spelt out."""
    addresses = {
        "av": "12 AV DE PELLETIER, DOUAI",
        "avenue": "3 AVENUE FOCH, SIN",
        "bd": "1 BD DE LA LIBERTÉ, LILLE",
        "place": "5 PLACE DU MARCHÉ, LILLE",
        "st": "7 R ST-JEAN, STE-MARIE",
        "saint": "9 RUE SAINT GEORGES, LILLE",
        "stade": "2 RUE DU STADE, LILLE",
    }
    return {key: HousingFactory(address_dgfip=address).local_id for key, address in addresses.items()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("avenue de pelletier", ["av"]),  # typed in full, abbreviated in the file
        ("av foch", ["avenue"]),  # and the other way round
        ("boulevard liberte", ["bd"]),
        ("pl du marche", ["place"]),
        ("rue saint jean", ["st"]),
        ("saint-jean sainte-marie", ["st"]),
        ("st georges", ["saint"]),
        ("ste marie", ["st"]),
        ("stade", ["stade"]),  # ST inside a word is no abbreviation
        ("saint", ["st", "saint"]),
        ("st", ["st", "saint", "stade"]),  # an abbreviation typed still matches as written
        ("aven", ["av", "avenue"]),
    ],
)
def test_street_abbreviations_match_both_ways(streets, query, expected):
    assert matching(urlencode({"query": query})) == {streets[key] for key in expected}


def test_the_searched_address_spells_out_abbreviations_as_whole_words(streets):
    searched = dict(Housing.objects.values_list("local_id", "address_search"))
    assert searched[streets["st"]] == "7 RUE SAINT JEAN SAINTE MARIE"
    assert searched[streets["stade"]] == "2 RUE DU STADE LILLE"


def test_pasted_list_of_identifiers(park):
    pasted = f"{park['flat'].local_id}\n{park['corsica'].local_id}, {park['old_house'].invariant}"
    assert matching(urlencode({"query": pasted})) == names(park, "flat", "corsica", "old_house")


def test_owner_ids_and_intercommunalities(park):
    owner_id = park["flat"].owner_links.get(rank=1).owner_id
    assert matching(f"ownerIds={owner_id}") == names(park, "flat", "free_housing")
    from tests.factories import CommuneFactory

    epci = Epci.objects.create(siren="200044618", name="CA du Douaisis", kind="CA")
    epci.communes.set([CommuneFactory(code="59001"), CommuneFactory(code="59003")])
    assert matching("intercommunalities=200044618") == names(park, "old_house", "free_housing")


def test_precisions(park):
    precision = Precision.objects.get(category="travaux", label="En cours")
    HousingPrecision.objects.create(housing=park["flat"], precision=precision)
    assert matching(f"precisions={precision.pk}") == names(park, "flat")


def test_selection_of_ids_and_all_but_ids(park):
    ids = f"{park['flat'].pk},{park['corsica'].pk}"
    assert matching(f"housingIds={ids}") == names(park, "flat", "corsica")
    assert matching(f"housingIds={ids}&all=true") == names(park, "old_house", "free_housing")


def test_empty_localities_list_matches_nothing(park):
    assert matching("localities=") == set()


@pytest.mark.parametrize(
    "query",
    [
        "status=9",
        "statusList=abc",
        "occupancies=ZZ",
        "ownerAges=old",
        "page=0",
        "perPage=10000",
        "localities=Lille",
        "multiOwners=peut-etre",
        "sort=price",
        "dataFileYearsIncluded=lovac-20xx",
    ],
)
def test_invalid_values_are_reported_in_french_and_ignored(park, query):
    filters = parse_filters(QueryDict(query))
    parameter = query.split("=")[0]
    assert parameter in filters.errors
    assert "«" in filters.errors[parameter] or "Statut" in filters.errors[parameter]
    # the invalid parameter is ignored: every dwelling still matches
    assert apply_filters(Housing.objects.all(), filters).count() == 4


def test_sort_by_owner_status_and_occupancy(park):
    def ordered(query):
        filters = parse_filters(QueryDict(query))
        return [h.local_id for h in order_by_sort(apply_filters(Housing.objects.all(), filters), filters)]

    assert ordered("sort=owner")[:2] == [park["old_house"].local_id, park["corsica"].local_id]
    assert ordered("sort=-status")[0] == park["free_housing"].local_id
    assert ordered("sort=occupancy")[0] == park["free_housing"].local_id  # "G" < "L" < "V"


def test_perimeter_filters_use_the_establishments_perimeters(park):
    from shapely.geometry import MultiPolygon, box

    from tests.factories import CommuneFactory, EstablishmentFactory, UserFactory
    from zlv.geo.models import Perimeter, PerimeterHousing
    from zlv.housing.selectors import filtered_housing

    establishment = EstablishmentFactory(communes=[CommuneFactory(code=code) for code in ("59001", "59002")])
    agent = UserFactory(establishment=establishment)
    other = EstablishmentFactory()
    geometry = MultiPolygon([box(3, 50, 3.1, 50.1)]).wkb
    bbox = {"min_longitude": 3, "min_latitude": 50, "max_longitude": 3.1, "max_latitude": 50.1}
    centre = Perimeter.objects.create(
        establishment=establishment, name="Centre", kind="ORT", geometry_wkb=geometry, **bbox
    )
    theirs = Perimeter.objects.create(
        establishment=other, name="Autre", kind="ORT", geometry_wkb=geometry, **bbox
    )
    PerimeterHousing.objects.create(perimeter=centre, housing=park["old_house"])
    PerimeterHousing.objects.create(perimeter=theirs, housing=park["flat"])

    def found(query):
        return {h.local_id for h in filtered_housing(agent, parse_filters(QueryDict(query)))}

    assert found("geoPerimetersIncluded=ORT") == names(park, "old_house")
    assert found("geoPerimetersExcluded=ORT") == names(park, "flat")
