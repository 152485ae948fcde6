import pytest
from django.http import QueryDict

from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    OwnerFactory,
    UserFactory,
)
from zlv.housing.filters import parse_filters
from zlv.housing.selectors import filtered_housing, housing_counts, housing_page


@pytest.fixture
def agent(db):
    establishment = EstablishmentFactory(communes=[CommuneFactory(code="59001")])
    return UserFactory(establishment=establishment)


def test_counts_by_status_and_distinct_primary_owners_in_scope_only(agent):
    shared_owner = OwnerFactory(full_name="BERNARD/ANNE")
    for status in (0, 0, 3):
        HousingOwnerFactory(
            housing=HousingFactory(geo_code="59001", status=status), owner=shared_owner, rank=1
        )
    lonely = HousingFactory(geo_code="59001", status=5)
    HousingOwnerFactory(housing=lonely, rank=2)  # no primary owner
    HousingOwnerFactory(housing=HousingFactory(geo_code="62001", status=0))  # outside the perimeter

    counts = housing_counts(filtered_housing(agent, parse_filters(QueryDict(""))))

    assert counts == {"housing": 4, "owners": 1, "by_status": {0: 2, 1: 0, 2: 0, 3: 1, 4: 0, 5: 1}}


def test_page_rows_carry_the_primary_owner_and_respect_pagination(agent):
    owners = [OwnerFactory(full_name=f"OWNER/{letter}") for letter in "CAB"]
    for owner in owners:
        HousingOwnerFactory(housing=HousingFactory(geo_code="59001"), owner=owner, rank=1)

    filters = parse_filters(QueryDict("sort=owner&perPage=2&page=2"))
    page = housing_page(filtered_housing(agent, filters), filters)

    assert [row.primary_owner_name for row in page] == ["OWNER/C"]
    assert page[0].primary_owner_id == owners[0].pk
