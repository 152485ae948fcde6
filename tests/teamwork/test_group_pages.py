import pytest

from tests.factories import HousingFactory
from tests.teamwork.conftest import text_of
from zlv.housing.enums import EventKind
from zlv.housing.models import Event
from zlv.teamwork import services
from zlv.teamwork.models import Group, GroupHousing

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(agent, establishment, dwellings):
    return services.group_create(
        establishment=establishment,
        by=agent,
        title="Centre-ville",
        description="Logements vacants\ndu centre",
        filters_or_ids=[h.pk for h in dwellings],
    )


def ids(housings) -> str:
    return ",".join(str(h.pk) for h in housings)


def test_create_page_shows_the_count_and_creates_the_group(client, agent, dwellings, elsewhere):
    client.force_login(agent)
    # A dwelling outside the perimeter in the selection is not found.
    assert client.get(f"/groupes/nouveau?housingIds={ids([*dwellings, elsewhere])}").status_code == 404
    url = f"/groupes/nouveau?housingIds={ids(dwellings)}"
    page = client.get(url)
    assert "3 logements sélectionnés" in text_of(page)

    response = client.post(url, {"title": "Centre-ville", "description": "Vacants depuis 2018"})
    group = Group.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/groupes/{group.pk}"
    assert (group.title, group.description, group.created_by) == (
        "Centre-ville",
        "Vacants depuis 2018",
        agent,
    )
    assert GroupHousing.objects.filter(group=group).count() == 3
    assert Event.objects.filter(kind=EventKind.HOUSING_GROUP_ATTACHED).count() == 3
    assert "Le groupe « Centre-ville » a été créé avec 3 logements." in text_of(
        client.get(response["Location"])
    )


def test_create_from_all_matching_with_exclusions(client, agent, dwellings):
    client.force_login(agent)
    url = f"/groupes/nouveau?all=true&housingIds={dwellings[0].pk}&statusList=0,1,3"
    assert "2 logements sélectionnés" in text_of(client.get(url))
    client.post(url, {"title": "Tous sauf un", "description": "D"})
    members = set(GroupHousing.objects.values_list("housing_id", flat=True))
    assert members == {dwellings[1].pk, dwellings[2].pk}


def test_create_requires_title_and_description(client, agent, dwellings):
    client.force_login(agent)
    response = client.post(f"/groupes/nouveau?housingIds={ids(dwellings)}", {"title": "", "description": " "})
    assert response.status_code == 422
    page = text_of(response)
    assert "Veuillez donner un titre au groupe." in page
    assert "Veuillez décrire le groupe" in page
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Group.objects.exists()


def test_create_without_selection(client, agent, dwellings):
    client.force_login(agent)
    page = text_of(client.get("/groupes/nouveau?statusList=1"))
    assert "Aucun logement sélectionné." in page
    response = client.post("/groupes/nouveau", {"title": "T", "description": "D"})
    assert response.status_code == 422
    assert not Group.objects.exists()


def test_add_selection_to_an_existing_group(client, agent, establishment, dwellings):
    first, second, third = dwellings
    group = services.group_create(
        establishment=establishment, by=agent, title="Petit", description="D", filters_or_ids=[first.pk]
    )
    client.force_login(agent)
    url = f"/groupes/ajouter?housingIds={ids(dwellings)}"
    assert "3 logements sélectionnés" in text_of(client.get(url))
    response = client.post(url, {"group": group.pk})
    assert response["Location"] == f"/groupes/{group.pk}"
    assert GroupHousing.objects.filter(group=group).count() == 3
    message = "2 logements ajoutés au groupe « Petit ». 1 logement y figurait déjà."
    assert message in text_of(client.get(response["Location"]))


def test_add_refuses_another_establishments_group(
    client, agent, outsider, other_establishment, group, dwellings, lens
):
    theirs_housing = HousingFactory(geo_code="62498")
    theirs = services.group_create(
        establishment=other_establishment,
        by=outsider,
        title="Lens",
        description="D",
        filters_or_ids=[theirs_housing.pk],
    )
    client.force_login(agent)
    response = client.post(f"/groupes/ajouter?housingIds={ids(dwellings)}", {"group": theirs.pk})
    assert response.status_code == 422
    assert "Choisissez un groupe dans la liste." in text_of(response)
    assert GroupHousing.objects.filter(group=theirs).count() == 1


def test_group_page(client, agent, group, django_assert_max_num_queries):
    client.force_login(agent)
    # session, user, membership, perimeter codes, group, counts, page, header memberships
    # + the request savepoint pair
    with django_assert_max_num_queries(10):
        response = client.get(f"/groupes/{group.pk}")
    page = text_of(response)
    assert "Centre-ville" in page
    assert "3 logements · 3 propriétaires" in page
    assert "par Camille Martin" in page
    assert "Logements vacants du centre" in page
    for label in ("Exporter (CSV)", "Exporter (XLSX)", "Modifier", "Supprimer"):
        assert label in page
    assert "DURAND Marie 0" in page and "Suivi en cours" in page
    html = response.content.decode()
    for housing in group.housing_links.values_list("housing_id", flat=True):
        assert f'href="/logements/{housing}"' in html


def test_group_page_is_paginated(client, agent, establishment, douai):
    housings = [HousingFactory(geo_code="59178") for _ in range(55)]
    group = services.group_create(
        establishment=establishment,
        by=agent,
        title="Grand",
        description="D",
        filters_or_ids=[h.pk for h in housings],
    )
    client.force_login(agent)
    first = client.get(f"/groupes/{group.pk}").content.decode()
    assert first.count('href="/logements/') == 50
    assert f'href="/groupes/{group.pk}?page=2"' in first
    second = client.get(f"/groupes/{group.pk}?page=2").content.decode()
    assert second.count('href="/logements/') == 5
    assert client.get(f"/groupes/{group.pk}?page=abc").status_code == 200


def test_group_list(client, agent, group, outsider, other_establishment):
    services.group_create(
        establishment=other_establishment,
        by=outsider,
        title="Groupe de Lens",
        description="D",
        filters_or_ids=[HousingFactory(geo_code="62498").pk],
    )
    client.force_login(agent)
    page = text_of(client.get("/groupes"))
    assert "Centre-ville 3 logements 3 propriétaires" in page
    assert "Groupe de Lens" not in page


def test_rename(client, agent, group):
    client.force_login(agent)
    assert 'value="Centre-ville"' in client.get(f"/groupes/{group.pk}/modifier").content.decode()
    response = client.post(f"/groupes/{group.pk}/modifier", {"title": "Nouveau", "description": "Autre"})
    assert response["Location"] == f"/groupes/{group.pk}"
    group.refresh_from_db()
    assert (group.title, group.description) == ("Nouveau", "Autre")
    response = client.post(f"/groupes/{group.pk}/modifier", {"title": "", "description": "Autre"})
    assert response.status_code == 422


def test_remove_a_dwelling(client, agent, group, dwellings):
    client.force_login(agent)
    response = client.post(f"/groupes/{group.pk}/retirer", {"housingIds": dwellings[0].pk})
    assert response["Location"] == f"/groupes/{group.pk}"
    assert GroupHousing.objects.filter(group=group).count() == 2
    assert Event.objects.filter(kind=EventKind.HOUSING_GROUP_DETACHED, housing=dwellings[0]).exists()
    assert "1 logement retiré du groupe." in text_of(client.get(response["Location"]))


def test_delete_after_confirmation(client, agent, group):
    client.force_login(agent)
    confirm = text_of(client.get(f"/groupes/{group.pk}/supprimer"))
    assert "Supprimer le groupe « Centre-ville » ?" in confirm
    assert "Ses 3 logements restent dans le parc de logements" in confirm
    assert Group.objects.exists()
    response = client.post(f"/groupes/{group.pk}/supprimer")
    assert response["Location"] == "/groupes"
    assert not Group.objects.exists()
    assert Event.objects.filter(kind=EventKind.HOUSING_GROUP_REMOVED).count() == 3
    assert "Le groupe « Centre-ville » a bien été supprimé." in text_of(client.get("/groupes"))


def test_delete_archives_when_a_campaign_uses_the_group(client, agent, group, monkeypatch):
    monkeypatch.setattr(services, "group_has_campaigns", lambda group: True)
    client.force_login(agent)
    assert "il sera archivé" in text_of(client.get(f"/groupes/{group.pk}/supprimer"))
    client.post(f"/groupes/{group.pk}/supprimer")
    group.refresh_from_db()
    assert group.archived_at is not None
    assert Event.objects.filter(kind=EventKind.HOUSING_GROUP_ARCHIVED).count() == 3
    # Archived groups are hidden: 404 everywhere, absent from the list.
    for url in ("", "/modifier", "/supprimer", "/exporter", "/export.csv", "/export.xlsx"):
        assert client.get(f"/groupes/{group.pk}{url}").status_code == 404
    assert "Centre-ville" not in text_of(client.get("/groupes"))


def test_another_establishment_gets_404(client, outsider, group, dwellings):
    client.force_login(outsider)
    for url in ("", "/modifier", "/supprimer", "/exporter", "/export.csv", "/export.xlsx"):
        assert client.get(f"/groupes/{group.pk}{url}").status_code == 404
    assert client.post(f"/groupes/{group.pk}/modifier", {"title": "X", "description": "Y"}).status_code == 404
    assert client.post(f"/groupes/{group.pk}/supprimer").status_code == 404
    assert client.post(f"/groupes/{group.pk}/retirer", {"housingIds": dwellings[0].pk}).status_code == 404
    assert Group.objects.get().title == "Centre-ville"


WRITE_ROUTES = [
    ("get", "/groupes/nouveau?housingIds={ids}"),
    ("post", "/groupes/nouveau?housingIds={ids}"),
    ("get", "/groupes/ajouter?housingIds={ids}"),
    ("post", "/groupes/ajouter?housingIds={ids}"),
    ("get", "/groupes/{group}/modifier"),
    ("post", "/groupes/{group}/modifier"),
    ("get", "/groupes/{group}/supprimer"),
    ("post", "/groupes/{group}/supprimer"),
    ("post", "/groupes/{group}/retirer"),
    ("get", "/parc-de-logements/referent?housingIds={ids}"),
    ("post", "/parc-de-logements/referent?housingIds={ids}"),
]


@pytest.mark.parametrize(("method", "route"), WRITE_ROUTES)
def test_visitors_cannot_write(client, visitor, agent, group, dwellings, method, route):
    client.force_login(visitor)
    url = route.format(ids=ids(dwellings), group=group.pk)
    data = {
        "title": "X",
        "description": "Y",
        "group": group.pk,
        "housingIds": dwellings[0].pk,
        "referent": agent.pk,
    }
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    assert response.status_code == 403
    assert GroupHousing.objects.filter(group=group).count() == 3
    assert Group.objects.get().title == "Centre-ville"


def test_visitors_read_groups_without_write_buttons(client, visitor, group):
    client.force_login(visitor)
    response = client.get(f"/groupes/{group.pk}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Exporter (CSV)" in page
    assert "Modifier" not in page and "Supprimer" not in page and "Retirer" not in page


def test_selection_of_another_establishment_is_not_found(client, outsider, dwellings):
    client.force_login(outsider)
    for route in ("/groupes/nouveau", "/groupes/ajouter"):
        url = f"{route}?housingIds={ids(dwellings)}"
        assert client.get(url).status_code == 404
        assert client.post(url, {"title": "T", "description": "D"}).status_code == 404
    assert not Group.objects.exists()
