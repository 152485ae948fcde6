import re

import pytest

from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    UserFactory,
)
from zlv.accounts.enums import Role
from zlv.housing.models import Event, HousingOwner, Owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def douai(db):
    return CommuneFactory(code="59178")


@pytest.fixture
def establishment(douai):
    return EstablishmentFactory(communes=[douai])


@pytest.fixture
def agent(establishment):
    return UserFactory(establishment=establishment)


@pytest.fixture
def housing(douai):
    return HousingFactory(geo_code="59178", address_dgfip="12 RUE DE BELLAING, DOUAI")


@pytest.fixture
def owners(housing):
    primary = HousingOwnerFactory(housing=housing, owner__full_name="LEFEBVRE/MARIE", rank=1).owner
    second = HousingOwnerFactory(housing=housing, owner__full_name="LEFEBVRE/PAUL", rank=2).owner
    return primary, second


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_contact_edit_saves_and_records_an_event(client, agent, owners):
    owner = owners[0]
    client.force_login(agent)

    form = client.get(f"/proprietaires/{owner.pk}/coordonnees")
    response = client.post(
        f"/proprietaires/{owner.pk}/coordonnees",
        {
            "email": "marie@example.fr",
            "phone": "03 27 00 00 00",
            "additional_address": "Bât. B",
            "do_not_contact": "on",
        },
        follow=True,
    )

    assert form.status_code == 200
    assert "Les coordonnées du propriétaire ont bien été enregistrées." in text_of(response)
    owner.refresh_from_db()
    assert (owner.email, owner.additional_address, owner.do_not_contact) == (
        "marie@example.fr",
        "Bât. B",
        True,
    )
    event = Event.objects.get(kind="owner:updated")
    assert event.new["doNotContact"] is True


def test_contact_edit_shows_errors_next_to_the_fields(client, agent, owners):
    client.force_login(agent)

    response = client.post(f"/proprietaires/{owners[0].pk}/coordonnees", {"email": "marie@", "phone": "x"})

    assert response.status_code == 422
    assert "Saisissez une adresse e-mail valide" in text_of(response)
    assert 'id="proprietaire-email-messages"' in response.content.decode()
    assert not Event.objects.exists()


def test_postal_address_edit_shows_on_the_owner_and_dwelling_records(client, agent, housing, owners):
    owner = owners[0]
    owner.address_dgfip = "4 PLACE D ARMES 59500 DOUAI"
    owner.save(update_fields=["address_dgfip"])
    client.force_login(agent)

    page = client.get(f"/proprietaires/{owner.pk}")
    form = client.get(f"/proprietaires/{owner.pk}/coordonnees")
    response = client.post(
        f"/proprietaires/{owner.pk}/coordonnees",
        {"postal_address_line": "8 rue Gambetta", "postal_code": "59000", "postal_city": "Lille"},
        follow=True,
    )

    assert f'href="/proprietaires/{owner.pk}/coordonnees"' in page.content.decode()
    html = form.content.decode()
    assert '<legend class="fr-fieldset__legend fr-text--regular"' in html
    assert 'name="postal_code"' in html and 'for="proprietaire-code-postal"' in html
    text = text_of(response)
    assert "Les coordonnées du propriétaire ont bien été enregistrées." in text
    assert "Adresse fiscale (source : DGFIP) 4 PLACE D ARMES 59500 DOUAI" in text
    assert "Adresse postale 8 rue Gambetta, 59000 Lille" in text
    assert "Utilisée pour les courriers à la place de l’adresse fiscale." in text
    record = text_of(client.get(f"/logements/{housing.pk}"))
    assert "Adresse postale 8 rue Gambetta, 59000 Lille" in record
    assert "a mis à jour les informations d’un propriétaire" in record
    assert "Informations modifiées : adresse postale" in record
    assert Event.objects.get(kind="owner:updated").new["postalAddress"] == "8 rue Gambetta, 59000 Lille"


def test_postal_address_errors_show_next_to_the_fields(client, agent, owners):
    client.force_login(agent)

    response = client.post(
        f"/proprietaires/{owners[0].pk}/coordonnees",
        {"postal_address_line": "8 rue Gambetta", "postal_code": "590", "postal_city": ""},
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Le code postal doit comporter 5 chiffres, par exemple 59500." in text_of(response)
    assert "Veuillez saisir la commune." in text_of(response)
    assert 'id="proprietaire-code-postal-messages"' in html
    assert 'value="8 rue Gambetta"' in html
    owners[0].refresh_from_db()
    assert owners[0].postal_address == ""
    assert not Event.objects.exists()


def test_contact_edit_of_an_owner_out_of_the_perimeter_is_404(client, agent):
    stranger = HousingOwnerFactory(housing=HousingFactory(geo_code="59606")).owner
    client.force_login(agent)

    assert client.get(f"/proprietaires/{stranger.pk}/coordonnees").status_code == 404


def test_owners_page_lists_owners_with_rank_selects(client, agent, housing, owners):
    client.force_login(agent)

    response = client.get(f"/logements/{housing.pk}/proprietaires")

    text = text_of(response)
    assert "LEFEBVRE Marie" in text and "LEFEBVRE Paul" in text
    html = response.content.decode()
    assert f'name="rank-{owners[0].pk}"' in html
    assert "Seuls les propriétaires de logements de votre territoire sont proposés" in text


def test_record_page_links_to_the_owners_page_for_writers_only(client, agent, establishment, housing, owners):
    client.force_login(agent)
    assert (
        f'href="/logements/{housing.pk}/proprietaires"'
        in client.get(f"/logements/{housing.pk}").content.decode()
    )

    client.force_login(UserFactory(establishment=establishment, establishment__role=Role.VISITOR))
    assert f'href="/logements/{housing.pk}/proprietaires"' not in (
        client.get(f"/logements/{housing.pk}").content.decode()
    )


def test_setting_the_primary_former_promotes_the_next_owner(client, agent, housing, owners):
    primary, second = owners
    client.force_login(agent)

    response = client.post(
        f"/logements/{housing.pk}/proprietaires",
        {f"rank-{primary.pk}": "0", f"rank-{second.pk}": "2"},
        follow=True,
    )

    text = text_of(response)
    assert "Les propriétaires du logement ont bien été mis à jour." in text
    assert "LEFEBVRE Paul est désormais destinataire principal du logement." in text
    assert HousingOwner.objects.get(owner=second).rank == 1
    assert Event.objects.filter(kind="housing:owner-updated").count() == 2


def test_two_primaries_are_refused(client, agent, housing, owners):
    primary, second = owners
    client.force_login(agent)

    response = client.post(
        f"/logements/{housing.pk}/proprietaires", {f"rank-{primary.pk}": "1", f"rank-{second.pk}": "1"}
    )

    assert response.status_code == 422
    assert "Un seul propriétaire peut être destinataire principal." in text_of(response)


def test_search_is_accent_insensitive_and_scoped(client, agent, housing, owners):
    neighbour = HousingFactory(geo_code="59178")
    HousingOwnerFactory(housing=neighbour, owner__full_name="LÉGER/ÉMILE")
    HousingOwnerFactory(housing=HousingFactory(geo_code="59606"), owner__full_name="LEGER/EMILIE")
    client.force_login(agent)

    response = client.get(
        f"/logements/{housing.pk}/proprietaires/rattacher",
        {"q": "emile leger"},
        headers={"HX-Request": "true"},
    )

    text = text_of(response)
    assert "LÉGER Émile" in text
    assert "Emilie" not in text


def test_attach_an_existing_owner_with_a_rank(client, agent, housing, owners):
    newcomer = HousingOwnerFactory(
        housing=HousingFactory(geo_code="59178"), owner__full_name="DUBOIS/LUC"
    ).owner
    client.force_login(agent)

    response = client.post(
        f"/logements/{housing.pk}/proprietaires/rattacher",
        {"owner_id": newcomer.pk, "rank": "2", "q": "dubois"},
        follow=True,
    )

    assert "DUBOIS Luc a bien été rattaché au logement." in text_of(response)
    assert HousingOwner.objects.get(housing=housing, owner=newcomer).rank == 3
    assert Event.objects.get(kind="housing:owner-attached").new == {
        "name": "DUBOIS/LUC",
        "rank": "Destinataire secondaire",
    }


def test_attaching_an_owner_out_of_the_perimeter_needs_the_idpersonne(client, agent, housing):
    stranger = HousingOwnerFactory(
        housing=HousingFactory(geo_code="59606"), owner__idpersonne="ZX987654"
    ).owner
    client.force_login(agent)
    url = f"/logements/{housing.pk}/proprietaires/rattacher"

    assert client.post(url, {"owner_id": stranger.pk, "rank": "2", "q": "dupont"}).status_code == 404
    response = client.post(url, {"owner_id": stranger.pk, "rank": "2", "q": "zx987654"})
    assert response.status_code == 302
    assert HousingOwner.objects.filter(housing=housing, owner=stranger).exists()


def test_create_a_new_owner(client, agent, housing, owners):
    client.force_login(agent)

    response = client.post(
        f"/logements/{housing.pk}/proprietaires/creer",
        {
            "full_name": "Martin Léa",
            "birth_date": "1960-07-14",
            "email": "lea@example.fr",
            "postal_address_line": "3 rue des Lilas",
            "postal_code": "59500",
            "postal_city": "Douai",
            "rank": "1",
        },
        follow=True,
    )

    assert "Martin Léa a bien été créé et rattaché au logement." in text_of(response)
    owner = Owner.objects.get(full_name="Martin Léa")
    assert (owner.address_dgfip, owner.postal_address) == ("", "3 rue des Lilas, 59500 Douai")
    assert HousingOwner.objects.get(owner=owner).rank == 1
    assert HousingOwner.objects.get(owner=owners[0]).rank == 3
    assert Event.objects.filter(kind="owner:created", owner=owner).exists()


def test_create_refuses_a_missing_name(client, agent, housing):
    client.force_login(agent)

    response = client.post(f"/logements/{housing.pk}/proprietaires/creer", {"full_name": "", "rank": "2"})

    assert response.status_code == 422
    assert "Veuillez saisir le nom et le prénom du propriétaire." in text_of(response)
    assert not Owner.objects.exists()


def test_owners_page_of_another_territory_is_404(client, agent):
    other = HousingFactory(geo_code="59606")
    client.force_login(agent)

    assert client.get(f"/logements/{other.pk}/proprietaires").status_code == 404


def test_visitors_get_403(client, establishment, housing, owners):
    client.force_login(UserFactory(establishment=establishment, establishment__role=Role.VISITOR))

    assert client.get(f"/logements/{housing.pk}/proprietaires").status_code == 403
    assert client.post(f"/proprietaires/{owners[0].pk}/coordonnees", {"email": "a@b.fr"}).status_code == 403
