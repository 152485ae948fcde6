import datetime
import re

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from tests.factories import HousingFactory
from tests.teamwork.conftest import text_of
from zlv.campaigns import services
from zlv.campaigns.models import Campaign, CampaignHousing
from zlv.housing.enums import EventKind
from zlv.housing.models import Event, Housing, Owner
from zlv.housing.services import housing_update
from zlv.teamwork.services import group_create

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)
NEXT_WEEK = TODAY + datetime.timedelta(days=7)


def statuses(dwellings):
    return [Housing.objects.get(pk=housing.pk).status for housing in dwellings]


def members(campaign):
    return sorted(CampaignHousing.objects.filter(campaign=campaign).values_list("housing_id", flat=True))


def column(page_text: str, titles) -> list[str]:
    """The campaign titles in the order the page shows them."""
    return sorted(titles, key=page_text.index)


@pytest.fixture
def sent_campaign(agent, group, dwellings):
    """A campaign of the same group sent yesterday, where the first dwelling has answered since."""
    campaign = services.campaign_create(group=group, by=agent, title="Relance d’hiver", sent_at=YESTERDAY)
    housing_update(housing=dwellings[0], by=agent, status=2, sub_status="En pré-accompagnement")
    return campaign


# ---- The campaigns page -------------------------------------------------------------------------


def test_campaign_list(client, agent, campaign, sent_campaign, django_assert_max_num_queries):
    client.force_login(agent)
    # session, user, membership, campaigns, perimeter codes, stats (one for all campaigns),
    # header memberships + the request savepoint pair
    with django_assert_max_num_queries(9):
        response = client.get("/campagnes")
    assert response.status_code == 200
    page = text_of(response)
    for header in (
        "Nom",
        "Création",
        "Logements",
        "Propriétaires",
        "Date d’envoi",
        "Retours",
        "Taux de retour",
    ):
        assert header in page
    created = timezone.localtime(campaign.created_at).strftime("%d/%m/%Y")
    # Not sent: waiting, no returns, no rate. Sent yesterday: one answer out of three.
    assert f"Courrier de printemps {created} 3 3 Envoi en attente — —" in page
    assert f"Relance d’hiver {created} 3 3 {YESTERDAY:%d/%m/%Y} 1 33 %" in page
    html = response.content.decode()
    assert f'href="/campagnes/{campaign.pk}"' in html
    assert 'href="/campagnes/nouvelle"' in html and "Créer une campagne" in page


def test_campaign_list_shows_a_planned_date_as_waiting(client, agent, group):
    services.campaign_create(group=group, by=agent, title="Plus tard", sent_at=NEXT_WEEK)
    client.force_login(agent)
    page = text_of(client.get("/campagnes"))
    assert f"Envoi en attente Envoi prévu le {NEXT_WEEK:%d/%m/%Y}" in page


def test_campaign_list_sorts_by_each_column_with_empty_values_last(client, agent, group, dwellings):
    small = group_create(
        establishment=group.establishment,
        by=agent,
        title="Un seul",
        description="D",
        filters_or_ids=[dwellings[1].pk],
    )
    services.campaign_create(group=group, by=agent, title="Bravo")  # 3 dwellings, not sent
    services.campaign_create(group=small, by=agent, title="alpha", sent_at=YESTERDAY)  # 1 dwelling
    services.campaign_create(
        group=group, by=agent, title="Charlie", sent_at=YESTERDAY - datetime.timedelta(1)
    )
    titles = ("alpha", "Bravo", "Charlie")
    client.force_login(agent)

    def order(sort):
        response = client.get(f"/campagnes?sort={sort}")
        assert response.status_code == 200
        return column(text_of(response), titles)

    assert order("") == ["Charlie", "alpha", "Bravo"]  # newest first
    assert order("title") == ["alpha", "Bravo", "Charlie"]  # case-insensitive
    assert order("-title") == ["Charlie", "Bravo", "alpha"]
    assert order("createdAt") == ["Bravo", "alpha", "Charlie"]
    assert order("sentAt") == ["Charlie", "alpha", "Bravo"]  # not sent: last
    assert order("-sentAt") == ["alpha", "Charlie", "Bravo"]  # still last
    assert order("housingCount")[0] == "alpha"
    assert order("-housingCount")[-1] == "alpha"
    assert order("ownerCount")[0] == "alpha"
    assert order("returnCount")[-1] == "Bravo"
    assert order("-returnRate")[-1] == "Bravo"
    # The header links cycle ascending → descending → default, and say the current order.
    html = client.get("/campagnes?sort=title").content.decode()
    assert html.count('aria-sort="ascending"') == 1 and "Trier par nom, ordre décroissant" in html
    assert 'href="/campagnes?sort=-title"' in html and 'href="/campagnes?sort=sentAt"' in html
    assert 'href="/campagnes"' in client.get("/campagnes?sort=-title").content.decode()


@pytest.mark.parametrize("sort", ["status", "-", "--title", "title,sentAt", "'; DROP TABLE", "é" * 300])
def test_campaign_list_ignores_an_unknown_sort(client, agent, campaign, sort):
    client.force_login(agent)
    response = client.get("/campagnes", {"sort": sort})
    assert response.status_code == 200
    page = text_of(response)
    assert "Ce tri n’existe pas" in page
    assert "Courrier de printemps" in page


def test_campaign_list_empty_state(client, agent, group):
    client.force_login(agent)
    response = client.get("/campagnes")
    page = text_of(response)
    assert "Aucune campagne pour le moment" in page
    assert "Une campagne se crée à partir d’un groupe de logements" in page
    assert 'href="/groupes"' in response.content.decode()


def test_campaign_list_shows_only_the_establishment_campaigns(client, outsider, campaign):
    client.force_login(outsider)
    page = text_of(client.get("/campagnes"))
    assert "Courrier de printemps" not in page
    assert "Aucune campagne pour le moment" in page


def test_campaign_list_without_an_establishment(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get("/campagnes")
    assert response.status_code == 200
    assert "Aucune structure rattachée" in text_of(response)


# ---- Creating a campaign ------------------------------------------------------------------------


def test_group_choice_lists_the_non_empty_groups_newest_first(client, agent, establishment, group, dwellings):
    group_create(
        establishment=establishment,
        by=agent,
        title="Plus récent",
        description="D",
        filters_or_ids=[dwellings[0].pk],
    )
    empty = group_create(
        establishment=establishment, by=agent, title="Vidé", description="D", filters_or_ids=[dwellings[1].pk]
    )
    empty.housing_links.all().delete()
    client.force_login(agent)
    response = client.get("/campagnes/nouvelle")
    page = text_of(response)
    assert page.index("Plus récent 1 logement 1 propriétaire") < page.index("Centre-ville 3 logements")
    assert "Vidé" not in page
    assert f'href="/groupes/{group.pk}/campagne"' in response.content.decode()


def test_group_choice_is_paginated(client, agent, establishment, dwellings):
    for number in range(12):
        group_create(
            establishment=establishment,
            by=agent,
            title=f"Groupe {number:02d}",
            description="D",
            filters_or_ids=[dwellings[0].pk],
        )
    client.force_login(agent)
    first = text_of(client.get("/campagnes/nouvelle"))
    assert "Groupe 11" in first and "Groupe 02" in first and "Groupe 01" not in first
    second = client.get("/campagnes/nouvelle?page=2")
    assert "Groupe 01" in text_of(second) and "Groupe 11" not in text_of(second)
    for page in ("abc", "0", "-3", "999999999999999999999", ""):
        assert client.get("/campagnes/nouvelle", {"page": page}).status_code == 200


def test_group_choice_without_groups(client, agent):
    client.force_login(agent)
    page = text_of(client.get("/campagnes/nouvelle"))
    assert "Aucun groupe de logements à utiliser" in page


def test_group_page_offers_to_create_a_campaign(client, agent, establishment, group, dwellings):
    client.force_login(agent)
    html = client.get(f"/groupes/{group.pk}").content.decode()
    assert f'href="/groupes/{group.pk}/campagne"' in html
    empty = group_create(
        establishment=establishment, by=agent, title="Vide", description="D", filters_or_ids=[dwellings[0].pk]
    )
    empty.housing_links.all().delete()
    response = client.get(f"/groupes/{empty.pk}")
    html = response.content.decode()
    assert f'href="/groupes/{empty.pk}/campagne"' not in html
    assert re.search(r"<button[^>]*disabled[^>]*>Créer une campagne</button>", html)
    assert "Ajoutez des logements au groupe pour créer une campagne." in text_of(response)


def test_create_a_campaign_from_a_group(client, agent, group, dwellings):
    client.force_login(agent)
    form = client.get(f"/groupes/{group.pk}/campagne")
    assert form.status_code == 200
    page = text_of(form)
    assert "À partir du groupe « Centre-ville »" in page and "3 logements · 3 propriétaires" in page
    assert 'type="date"' in form.content.decode()

    response = client.post(
        f"/groupes/{group.pk}/campagne",
        {"title": "Courrier d’été", "description": "Premier courrier", "sent_at": ""},
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/campagnes/{campaign.pk}"
    assert (campaign.title, campaign.description, campaign.sent_at, campaign.created_by, campaign.group) == (
        "Courrier d’été",
        "Premier courrier",
        None,
        agent,
        group,
    )
    assert members(campaign) == sorted(housing.pk for housing in dwellings)
    assert Event.objects.filter(kind=EventKind.HOUSING_CAMPAIGN_ATTACHED).count() == 3
    assert statuses(dwellings) == [0, 1, 3]  # no sending date: nothing moves
    assert "La campagne « Courrier d’été » a été créée avec 3 logements." in text_of(
        client.get(response["Location"])
    )


@pytest.mark.parametrize("typed", ["{iso}", "{french}"], ids=["date-picker", "jj/mm/aaaa"])
def test_create_with_a_past_sending_date_flips_the_never_contacted(client, agent, group, dwellings, typed):
    client.force_login(agent)
    sent_at = typed.format(iso=YESTERDAY.isoformat(), french=YESTERDAY.strftime("%d/%m/%Y"))
    response = client.post(f"/groupes/{group.pk}/campagne", {"title": "Envoyée", "sent_at": sent_at})
    campaign = Campaign.objects.get()
    assert response["Location"] == f"/campagnes/{campaign.pk}"
    assert campaign.sent_at == YESTERDAY and campaign.flipped_at is not None
    assert statuses(dwellings) == [1, 1, 3]
    page = text_of(client.get(response["Location"]))
    assert "ses logements « Non suivi » sont désormais « En attente de retour »" in page


def test_create_with_a_future_sending_date_waits(client, agent, group, dwellings):
    client.force_login(agent)
    client.post(f"/groupes/{group.pk}/campagne", {"title": "Plus tard", "sent_at": NEXT_WEEK.isoformat()})
    assert Campaign.objects.get().sent_at == NEXT_WEEK
    assert statuses(dwellings) == [0, 1, 3]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "Veuillez donner un titre à la campagne."),
        ({"title": "   "}, "title", "Veuillez donner un titre à la campagne."),
        ({"title": "T" * 201}, "title", "Le titre est limité à 200 caractères."),
        (
            {"title": "T", "description": "D" * 2001},
            "description",
            "La description est limitée à 2000 caractères.",
        ),
        (
            {"title": "T", "sent_at": "31/02/2026"},
            "sent_at",
            "Saisissez une date valide, au format jj/mm/aaaa.",
        ),
        ({"title": "T", "sent_at": "demain"}, "sent_at", "Saisissez une date valide, au format jj/mm/aaaa."),
    ],
)
def test_create_shows_each_error_next_to_its_field(client, agent, group, data, field, message):
    client.force_login(agent)
    response = client.post(f"/groupes/{group.pk}/campagne", data)
    assert response.status_code == 422
    html = response.content.decode()
    messages_block = re.search(rf'id="campagne-{field}-messages"[^>]*>(.*?)</div>', html, flags=re.S).group(1)
    assert message in messages_block
    assert re.search(rf'<[^>]*aria-invalid="true"[^>]*id="campagne-{field}"', html) or re.search(
        rf'<[^>]*id="campagne-{field}"[^>]*aria-invalid="true"', html
    )
    assert "Le formulaire contient des erreurs" in text_of(response)
    assert not Campaign.objects.exists()


def test_create_from_a_group_without_dwelling_shows_a_general_error(client, agent, group):
    group.housing_links.all().delete()
    client.force_login(agent)
    response = client.post(f"/groupes/{group.pk}/campagne", {"title": "Vide"})
    assert response.status_code == 422
    html = response.content.decode()
    alert = re.search(r'<div class="fr-alert fr-alert--error[^"]*"[^>]*>(.*?)</div>', html, flags=re.S).group(
        1
    )
    assert "Ce groupe ne contient aucun logement de votre périmètre." in alert
    assert not Campaign.objects.exists()


# ---- A campaign's page --------------------------------------------------------------------------


def test_campaign_page(client, agent, campaign, dwellings, django_assert_max_num_queries):
    owner = Owner.objects.get(housing_links__housing=dwellings[0], housing_links__rank=1)
    Owner.objects.filter(pk=owner.pk).update(address_dgfip="10 RUE DU MARCHÉ 59500 DOUAI")
    client.force_login(agent)
    # session, user, membership, campaign, perimeter codes, stats, recipients with their owners,
    # header memberships + the request savepoint pair
    with django_assert_max_num_queries(10):
        response = client.get(f"/campagnes/{campaign.pk}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Campagnes Courrier de printemps" in page  # breadcrumb
    assert "Premier envoi" in page
    assert "Créée le" in page and "par Camille Martin" in page
    assert "Nombre de logements 3" in page and "Nombre de propriétaires 3" in page
    assert "Date d’envoi Envoi en attente" in page
    assert "Nombre de retours —" in page
    assert "Taux de retour — logements dont le suivi a évolué depuis la date d’envoi" in page
    for label in ("Voir les logements", "Modifier", "Supprimer la campagne", "Destinataires", "Retirer"):
        assert label in page
    html = response.content.decode()
    assert f'href="/parc-de-logements?campaignIds={campaign.pk}"' in html
    # The recipients: owner → owner record, owner address, dwelling → record, status badge.
    assert f'href="/proprietaires/{owner.pk}">DURAND Marie 0</a>' in html
    assert "DURAND Marie 0 10 RUE DU MARCHÉ 59500 DOUAI 1 RUE DE BELLAING Non suivi" in page
    assert "DURAND Marie 2 Non renseignée 3 RUE DE BELLAING Suivi en cours" in page
    for housing in dwellings:
        assert f'href="/logements/{housing.pk}"' in html
        assert f'href="/campagnes/{campaign.pk}/retirer?housingIds={housing.pk}"' in html


def test_sent_campaign_page_shows_returns(client, agent, sent_campaign):
    client.force_login(agent)
    page = text_of(client.get(f"/campagnes/{sent_campaign.pk}"))
    assert f"Date d’envoi {date_format(YESTERDAY, 'j F Y')}" in page
    assert "Nombre de retours 1" in page
    assert "Taux de retour 33 %" in page


def test_campaign_page_only_lists_the_perimeter_and_is_paginated(
    client, agent, establishment, douai, elsewhere
):
    housings = [HousingFactory(geo_code="59178") for _ in range(55)]
    group = group_create(
        establishment=establishment,
        by=agent,
        title="Grand",
        description="D",
        filters_or_ids=[h.pk for h in housings],
    )
    campaign = services.campaign_create(group=group, by=agent, title="Grande campagne")
    client.force_login(agent)
    first = client.get(f"/campagnes/{campaign.pk}")
    assert "55 logements de votre périmètre" in text_of(first)
    assert first.content.decode().count('href="/logements/') == 50
    assert f'href="/campagnes/{campaign.pk}?page=2"' in first.content.decode()
    second = client.get(f"/campagnes/{campaign.pk}?page=2").content.decode()
    assert second.count('href="/logements/') == 5
    for page in ("abc", "0", "-1", "99", "1.5", "99999999999999999999999"):
        assert client.get(f"/campagnes/{campaign.pk}", {"page": page}).status_code == 200


def test_campaign_page_without_dwelling_in_the_perimeter(client, agent, campaign):
    CampaignHousing.objects.filter(campaign=campaign).delete()
    client.force_login(agent)
    page = text_of(client.get(f"/campagnes/{campaign.pk}"))
    assert "Cette campagne ne contient aucun logement de votre périmètre." in page
    assert "Nombre de logements 0" in page


def test_voir_les_logements_filters_the_list(client, agent, campaign, dwellings, establishment):
    outside = HousingFactory(geo_code="59178", address_dgfip="99 RUE HORS CAMPAGNE")
    client.force_login(agent)
    page = text_of(client.get(f"/parc-de-logements?campaignIds={campaign.pk}"))
    assert "1 RUE DE BELLAING" in page and "3 RUE DE BELLAING" in page
    assert outside.address_dgfip not in page


# ---- Editing, deleting, removing recipients -----------------------------------------------------


def test_edit(client, agent, campaign, dwellings):
    client.force_login(agent)
    form = client.get(f"/campagnes/{campaign.pk}/modifier")
    html = form.content.decode()
    assert 'value="Courrier de printemps"' in html
    assert "passent « En attente de retour »" in text_of(form)
    assert "peut être changée mais plus retirée" in text_of(form)

    response = client.post(
        f"/campagnes/{campaign.pk}/modifier",
        {"title": "Nouveau titre", "description": "Autre", "sent_at": YESTERDAY.strftime("%d/%m/%Y")},
    )
    assert response["Location"] == f"/campagnes/{campaign.pk}"
    campaign.refresh_from_db()
    assert (campaign.title, campaign.description, campaign.sent_at) == ("Nouveau titre", "Autre", YESTERDAY)
    assert statuses(dwellings) == [1, 1, 3]
    assert "La campagne a bien été modifiée." in text_of(client.get(response["Location"]))
    # The date is shown in the form as the date picker expects it.
    assert (
        f'value="{YESTERDAY.isoformat()}"'
        in client.get(f"/campagnes/{campaign.pk}/modifier").content.decode()
    )


def test_edit_errors(client, agent, campaign):
    campaign = services.campaign_update(
        campaign=campaign, by=agent, title=campaign.title, description="", sent_at=NEXT_WEEK
    )
    client.force_login(agent)
    response = client.post(f"/campagnes/{campaign.pk}/modifier", {"title": "", "sent_at": ""})
    assert response.status_code == 422
    assert "Veuillez donner un titre à la campagne." in text_of(response)
    # The sending date cannot be removed (a refusal of the service, shown next to the field).
    response = client.post(f"/campagnes/{campaign.pk}/modifier", {"title": "Titre", "sent_at": ""})
    assert response.status_code == 422
    html = response.content.decode()
    block = re.search(r'id="campagne-sent_at-messages"[^>]*>(.*?)</div>', html, flags=re.S).group(1)
    assert "La date d’envoi ne peut pas être retirée une fois indiquée." in block
    campaign.refresh_from_db()
    assert (campaign.title, campaign.sent_at) == ("Courrier de printemps", NEXT_WEEK)


def test_delete_after_confirmation(client, agent, campaign, dwellings):
    services.campaign_update(
        campaign=campaign, by=agent, title=campaign.title, description="", sent_at=YESTERDAY
    )
    assert statuses(dwellings) == [1, 1, 3]
    client.force_login(agent)
    confirm = text_of(client.get(f"/campagnes/{campaign.pk}/supprimer"))
    assert "Supprimer la campagne « Courrier de printemps » ?" in confirm
    assert "Ses 3 logements restent dans le parc de logements" in confirm
    assert "sans suivi depuis et dans aucune autre campagne envoyée, repasseront « Non suivi »" in confirm
    assert Campaign.objects.exists()

    response = client.post(f"/campagnes/{campaign.pk}/supprimer")
    assert response["Location"] == "/campagnes"
    assert not Campaign.objects.exists()
    assert Event.objects.filter(kind=EventKind.HOUSING_CAMPAIGN_REMOVED).count() == 3
    # Only the campaign's automatic move is undone; the second one was waiting before it.
    assert statuses(dwellings) == [0, 1, 3]
    assert "La campagne « Courrier de printemps » a bien été supprimée." in text_of(client.get("/campagnes"))


def test_remove_a_recipient_after_confirmation(client, agent, campaign, dwellings):
    client.force_login(agent)
    url = f"/campagnes/{campaign.pk}/retirer"
    confirm = client.get(url, {"housingIds": dwellings[0].pk})
    assert confirm.status_code == 200
    page = text_of(confirm)
    assert "Retirer 1 logement de la campagne « Courrier de printemps » ?" in page
    assert "1 RUE DE BELLAING — DURAND Marie 0" in page
    assert f'name="housingIds" value="{dwellings[0].pk}"' in confirm.content.decode()
    assert len(members(campaign)) == 3

    response = client.post(url, {"housingIds": dwellings[0].pk})
    assert response["Location"] == f"/campagnes/{campaign.pk}"
    assert members(campaign) == sorted(h.pk for h in dwellings[1:])
    assert Event.objects.filter(kind=EventKind.HOUSING_CAMPAIGN_DETACHED, housing=dwellings[0]).exists()
    assert "1 logement retiré de la campagne." in text_of(client.get(response["Location"]))
    # Again: nothing left to remove.
    client.post(url, {"housingIds": dwellings[0].pk})
    assert "Aucun logement retiré" in text_of(client.get(f"/campagnes/{campaign.pk}"))


def test_remove_confirmation_of_a_dwelling_not_in_the_campaign(client, agent, campaign, elsewhere):
    client.force_login(agent)
    url = f"/campagnes/{campaign.pk}/retirer"
    for ids in ({"housingIds": elsewhere.pk}, {"housingIds": "abc"}, {"housingIds": "²"}, {}):
        assert client.get(url, ids).status_code == 404
    response = client.post(url, {"housingIds": ["abc", "²", "99999999999999999999999"]})
    assert response.status_code == 302
    assert len(members(campaign)) == 3


# ---- Access -------------------------------------------------------------------------------------


OBJECT_ROUTES = [
    ("get", "/campagnes/{campaign}"),
    ("get", "/campagnes/{campaign}/modifier"),
    ("post", "/campagnes/{campaign}/modifier"),
    ("get", "/campagnes/{campaign}/supprimer"),
    ("post", "/campagnes/{campaign}/supprimer"),
    ("get", "/campagnes/{campaign}/retirer?housingIds={housing}"),
    ("post", "/campagnes/{campaign}/retirer"),
    ("get", "/groupes/{group}/campagne"),
    ("post", "/groupes/{group}/campagne"),
]
ALL_ROUTES = [("get", "/campagnes"), ("get", "/campagnes/nouvelle"), *OBJECT_ROUTES]
WRITE_ROUTES = [
    route for route in ALL_ROUTES if route[1] != "/campagnes" and route[1] != "/campagnes/{campaign}"
]
FORM = {"title": "Pirate", "description": "X", "sent_at": YESTERDAY.isoformat()}


def request(client, method, route, campaign, dwellings):
    url = route.format(campaign=campaign.pk, group=campaign.group_id, housing=dwellings[0].pk)
    if method == "post":
        return client.post(url, {**FORM, "housingIds": dwellings[0].pk})
    return client.get(url)


def assert_untouched(campaign, dwellings):
    current = Campaign.objects.get(pk=campaign.pk)
    assert (current.title, current.sent_at) == ("Courrier de printemps", None)
    assert Campaign.objects.count() == 1
    assert len(members(campaign)) == 3
    assert statuses(dwellings) == [0, 1, 3]


@pytest.mark.parametrize(("method", "route"), OBJECT_ROUTES)
def test_another_establishment_gets_404(client, outsider, campaign, dwellings, method, route):
    client.force_login(outsider)
    assert request(client, method, route, campaign, dwellings).status_code == 404
    assert_untouched(campaign, dwellings)


@pytest.mark.parametrize(("method", "route"), ALL_ROUTES)
def test_anonymous_users_are_sent_to_sign_in(client, campaign, dwellings, method, route):
    response = request(client, method, route, campaign, dwellings)
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion?next=")
    assert_untouched(campaign, dwellings)


@pytest.mark.parametrize(("method", "route"), WRITE_ROUTES)
def test_visitors_cannot_write(client, visitor, campaign, dwellings, method, route):
    client.force_login(visitor)
    assert request(client, method, route, campaign, dwellings).status_code == 403
    assert_untouched(campaign, dwellings)


def test_visitors_read_campaigns_without_write_buttons(client, visitor, campaign, group):
    client.force_login(visitor)
    listing = client.get("/campagnes")
    assert listing.status_code == 200
    assert "Courrier de printemps" in text_of(listing)
    assert "Créer une campagne" not in text_of(listing)
    response = client.get(f"/campagnes/{campaign.pk}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Voir les logements" in page and "DURAND Marie 0" in page
    for label in ("Modifier", "Supprimer", "Retirer"):
        assert label not in page
    assert "Créer une campagne" not in text_of(client.get(f"/groupes/{group.pk}"))


def test_archived_group_cannot_start_a_campaign(client, agent, group, campaign):
    from zlv.teamwork.services import group_delete

    group_delete(group=group, by=agent)  # archived: a campaign uses it
    client.force_login(agent)
    assert client.get(f"/groupes/{group.pk}/campagne").status_code == 404
    assert client.post(f"/groupes/{group.pk}/campagne", {"title": "Encore"}).status_code == 404
    # The campaign itself lives on.
    assert client.get(f"/campagnes/{campaign.pk}").status_code == 200
