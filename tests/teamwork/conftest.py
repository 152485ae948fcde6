import re

import pytest

from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    OwnerFactory,
    UserFactory,
)
from zlv.accounts.enums import Role


@pytest.fixture
def douai(db):
    return CommuneFactory(code="59178", name="Douai")


@pytest.fixture
def lens(db):
    return CommuneFactory(code="62498", name="Lens")


@pytest.fixture
def establishment(douai):
    return EstablishmentFactory(name="Douaisis Agglo", communes=[douai])


@pytest.fixture
def other_establishment(lens):
    return EstablishmentFactory(name="Lens-Liévin", communes=[lens])


@pytest.fixture
def agent(establishment):
    return UserFactory(establishment=establishment, first_name="Camille", last_name="Martin")


@pytest.fixture
def colleague(establishment):
    return UserFactory(establishment=establishment, first_name="Dominique", last_name="Petit")


@pytest.fixture
def visitor(establishment):
    return UserFactory(
        establishment=establishment, establishment__role=Role.VISITOR, first_name="Vic", last_name="Lecteur"
    )


@pytest.fixture
def outsider(other_establishment):
    return UserFactory(establishment=other_establishment, first_name="Alex", last_name="Ailleurs")


@pytest.fixture
def dwellings(douai):
    """Three dwellings of Douai, each with a primary owner; the third one's owner asked not to be
    contacted."""
    housings = [
        HousingFactory(geo_code="59178", address_dgfip=f"{number} RUE DE BELLAING", status=status)
        for number, status in ((1, 0), (2, 1), (3, 3))
    ]
    for index, housing in enumerate(housings):
        owner = OwnerFactory(full_name=f"DURAND/MARIE {index}", do_not_contact=index == 2)
        HousingOwnerFactory(housing=housing, owner=owner, rank=1)
    return housings


@pytest.fixture
def elsewhere(lens):
    """A dwelling outside the establishment's perimeter."""
    return HousingFactory(geo_code="62498", address_dgfip="5 RUE DE LENS")


def text_of(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
