import datetime
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

pytestmark = pytest.mark.django_db


@pytest.fixture
def douai(db):
    return CommuneFactory(code="59178", name="Douai")


@pytest.fixture
def valenciennes(db):
    return CommuneFactory(code="59606", name="Valenciennes")


@pytest.fixture
def agent(douai):
    establishment = EstablishmentFactory(name="Communauté d’Agglomération du Douaisis", communes=[douai])
    return UserFactory(establishment=establishment)


@pytest.fixture
def owner(douai, valenciennes):
    owner = OwnerFactory(
        full_name="LEFEBVRE/MARIE LOUISE",
        birth_date=datetime.date(1950, 1, 2),
        kind="particulier",
        siren="",
        address_dgfip="4 PLACE D ARMES 59500 DOUAI",
        additional_address="Résidence Les Tilleuls",
        email="marie.lefebvre@example.test",
        phone="06 12 34 56 78",
        do_not_contact=True,
    )
    HousingOwnerFactory(
        owner=owner,
        rank=1,
        housing=HousingFactory(
            geo_code="59178",
            local_id="591780000001",
            address_dgfip="12 RUE DE BELLAING, DOUAI",
            housing_kind="APPART",
            living_area=54,
            status=2,
        ),
    )
    HousingOwnerFactory(
        owner=owner,
        rank=2,
        housing=HousingFactory(
            geo_code="59178", local_id="591780000002", address_dgfip="3 RUE NOTRE DAME, DOUAI"
        ),
    )
    HousingOwnerFactory(
        owner=owner,
        rank=0,
        housing=HousingFactory(
            geo_code="59178", local_id="591780000003", address_dgfip="1 RUE DE PARIS, DOUAI"
        ),
    )
    # Outside the perimeter: never shown.
    HousingOwnerFactory(
        owner=owner,
        rank=1,
        housing=HousingFactory(
            geo_code="59606", local_id="596060000001", address_dgfip="9 RUE DE LILLE, VALENCIENNES"
        ),
    )
    return owner


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_identity_and_contact(client, agent, owner):
    client.force_login(agent)

    response = client.get(f"/proprietaires/{owner.pk}")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<h1[^>]*>LEFEBVRE Marie Louise</h1>", html)
    text = text_of(response)
    today = datetime.date.today()
    age = today.year - 1950 - (today < datetime.date(today.year, 1, 2))
    for expected in [
        "Type de propriétaire : Particulier",
        "Ne pas contacter",
        "Nom et prénom (Fichiers fonciers) LEFEBVRE/MARIE LOUISE",
        f"Date de naissance 02/01/1950 ({age} ans)",
        "SIREN Pas d’information",
        "Adresse fiscale (source : DGFIP) 4 PLACE D ARMES 59500 DOUAI",
        "Complément d’adresse Résidence Les Tilleuls",
        "Adresse e-mail marie.lefebvre@example.test",
        "Téléphone 06 12 34 56 78",
        "Accueil Parc de logements LEFEBVRE Marie Louise",
    ]:
        assert expected in text, expected
    assert 'href="mailto:marie.lefebvre@example.test"' in html


def test_company_shows_its_siren(client, agent, douai):
    company = OwnerFactory(full_name="SCI DES LILAS", kind="sci-copro", siren="812345678")
    HousingOwnerFactory(owner=company, housing=HousingFactory(geo_code="59178"), rank=1)
    client.force_login(agent)

    text = text_of(client.get(f"/proprietaires/{company.pk}"))

    assert "SCI DES LILAS" in text
    assert "SIREN 812345678" in text
    assert "Type de propriétaire SCI, Copropriété, Autres personnes morales" in text
    assert "Ne pas contacter" not in text


def test_lists_only_the_dwellings_of_the_perimeter_active_first(client, agent, owner):
    client.force_login(agent)

    response = client.get(f"/proprietaires/{owner.pk}")

    text = text_of(response)
    assert "Logements sur votre territoire (3)" in text
    assert "VALENCIENNES" not in text and "596060000001" not in text
    first = text.index("12 RUE DE BELLAING, DOUAI")
    second = text.index("3 RUE NOTRE DAME, DOUAI")
    former = text.index("1 RUE DE PARIS, DOUAI")
    assert first < second < former
    assert (
        "12 RUE DE BELLAING, DOUAI Identifiant fiscal national : 591780000001 Appartement · 54 m² · Vacant"
        " Destinataire principal Statut de suivi : Premier contact" in text
    )
    assert "Destinataire secondaire" in text[second:former]
    assert "Ancien propriétaire" in text[former:]
    html = response.content.decode()
    for housing in owner.housing_links.filter(housing__geo_code="59178"):
        assert f'href="/logements/{housing.housing_id}"' in html
    assert 'fr-badge--blue-cumulus">' in html


def test_other_establishment_gets_404(client, owner, valenciennes):
    # Valenciennes sees the owner through its own dwelling, Dunkerque does not see it at all.
    dunkerque = CommuneFactory(code="59183", name="Dunkerque")
    outsider = UserFactory(establishment=EstablishmentFactory(communes=[dunkerque]))
    client.force_login(outsider)

    response = client.get(f"/proprietaires/{owner.pk}")

    assert response.status_code == 404
    assert "LEFEBVRE" not in response.content.decode()


def test_owner_only_visible_through_another_establishment_dwelling_gets_404(client, agent, valenciennes):
    elsewhere = OwnerFactory(full_name="DURAND/LUC")
    HousingOwnerFactory(owner=elsewhere, housing=HousingFactory(geo_code="59606"), rank=1)
    client.force_login(agent)

    assert client.get(f"/proprietaires/{elsewhere.pk}").status_code == 404


def test_other_establishment_sees_only_its_own_dwellings(client, owner, valenciennes):
    neighbour = UserFactory(establishment=EstablishmentFactory(communes=[valenciennes]))
    client.force_login(neighbour)

    text = text_of(client.get(f"/proprietaires/{owner.pk}"))

    assert "Logements sur votre territoire (1)" in text
    assert "9 RUE DE LILLE, VALENCIENNES" in text
    assert "DOUAI" not in text.replace("4 PLACE D ARMES 59500 DOUAI", "")


def test_unknown_owner_gets_404(client, agent):
    client.force_login(agent)

    assert client.get("/proprietaires/999999").status_code == 404


def test_anonymous_is_sent_to_sign_in(client, owner):
    response = client.get(f"/proprietaires/{owner.pk}")

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion")


def test_visitor_can_read(client, owner, douai):
    visitor = UserFactory(
        establishment=EstablishmentFactory(communes=[douai]), establishment__role=Role.VISITOR
    )
    client.force_login(visitor)

    response = client.get(f"/proprietaires/{owner.pk}")

    assert response.status_code == 200
    assert "LEFEBVRE Marie Louise" in text_of(response)
    assert client.post(f"/proprietaires/{owner.pk}").status_code == 405


# Measured: 7 — session, user, the owner's rights (owner and dwellings joined), memberships for the
# header, the active membership (may the user edit the contact details?), two savepoints — whatever
# the number of dwellings.
QUERY_BUDGET = 8  # with the perimeter's codes


def test_query_budget_does_not_grow_with_dwellings(client, agent, owner, django_assert_max_num_queries):
    client.force_login(agent)

    with django_assert_max_num_queries(QUERY_BUDGET):
        client.get(f"/proprietaires/{owner.pk}")
    for rank in [1, 1, 2, 0, 1, 3, -1, 1]:
        HousingOwnerFactory(owner=owner, housing=HousingFactory(geo_code="59178"), rank=rank)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = client.get(f"/proprietaires/{owner.pk}")
    assert "Logements sur votre territoire (11)" in text_of(response)
