"""Campaigns on the dwellings list (column, filter, tags) and on the dwelling record (Suivi tab,
history), through HTTP with the real database."""

import datetime
import re
from html import unescape

import pytest
from django.utils import timezone

from tests.factories import EstablishmentFactory, HousingFactory, UserFactory
from tests.teamwork.conftest import text_of
from tests.www.test_housing_edit import HTMX, loaded_form
from tests.www.test_housing_record import QUERY_BUDGET as RECORD_QUERY_BUDGET
from zlv.campaigns.services import campaign_create, campaign_delete, campaign_remove_housing
from zlv.housing.enums import EventKind
from zlv.housing.models import Event
from zlv.teamwork.services import group_create

pytestmark = pytest.mark.django_db

URL = "/parc-de-logements"
TODAY = timezone.localdate()
LONG_TITLE = "Courrier de printemps"  # 21 characters: the column shows 17
# All sources: the dwellings of the fixtures carry no millésime.
ALL = {"dataFileYearsIncluded": ""}


def rows_of(response) -> list[int]:
    assert response.status_code == 200
    return [row["id"] for row in response.context["rows"]]


def tags_of(response) -> dict[str, str]:
    return {tag.label: tag.remove_url for tag in response.context["active_filters"]}


def tab_count(response, tab_id="tab-all") -> int:
    tab = next(tab for tab in response.context["tabs"] if tab["id"] == tab_id)
    return int(tab["count"].replace("\u202f", ""))


@pytest.fixture
def second_campaign(agent, establishment, dwellings):
    """A campaign of the first dwelling only, sent last week (it is then "En attente de retour")."""
    group = group_create(
        establishment=establishment,
        by=agent,
        title="Rue de Bellaing",
        description="Premier logement",
        filters_or_ids=[dwellings[0].pk],
    )
    return campaign_create(group=group, by=agent, title="Relance", sent_at=TODAY - datetime.timedelta(days=7))


@pytest.fixture
def lone(douai):
    """A dwelling of Douai in no campaign."""
    return HousingFactory(geo_code="59178", address_dgfip="9 RUE DE BELLAING", status=0)


@pytest.fixture
def shared_reader(douai, lens):
    """A member of a departmental establishment whose perimeter also holds Douai."""
    department = EstablishmentFactory(name="Département du Nord", communes=[douai, lens])
    return UserFactory(establishment=department, first_name="Dana", last_name="Département")


# ---- The list's "Campagnes" column --------------------------------------------------------------


def test_column_shows_truncated_titles_linked_to_the_campaigns(
    client, agent, campaign, second_campaign, dwellings
):
    client.force_login(agent)

    response = client.get(URL, ALL)

    html = unescape(response.content.decode())
    assert re.search(r"<th scope=\"col\">Campagnes</th>\s*<th scope=\"col\"", html)
    head = html[html.index("<thead>") : html.index("</thead>")]
    assert head.index(">Occupation<") < head.index(">Campagnes<") < head.index(">Suivi<")
    first_row = html[html.index(f'id="housing-row-{dwellings[0].pk}"') :]
    first_row = re.sub(r"\s+", " ", first_row[: first_row.index("</tr>")])
    # Oldest campaign first; the long title is cut to 17 characters, in full for assistive technology.
    assert (
        f'<a class="fr-link fr-text--sm" href="/campagnes/{campaign.pk}" title="{LONG_TITLE}">'
        '<span aria-hidden="true">Courrier de prin…</span>'
        f'<span class="fr-sr-only">{LONG_TITLE}</span></a>'
    ) in first_row
    assert f'<a class="fr-link fr-text--sm" href="/campagnes/{second_campaign.pk}">Relance</a>' in first_row
    assert first_row.index(LONG_TITLE) < first_row.index(">Relance<")
    rows = {row["id"]: row for row in response.context["rows"]}
    assert [c["title"] for c in rows[dwellings[1].pk]["campaigns"]] == [LONG_TITLE]
    assert len(rows[dwellings[1].pk]["campaigns"][0]["short_title"]) == 17


def test_column_is_a_dash_without_campaign(client, agent, lone):
    client.force_login(agent)

    html = client.get(URL, ALL).content.decode()

    row = html[html.index(f'id="housing-row-{lone.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<span aria-hidden="true">—</span><span class="fr-sr-only">Aucune campagne</span>' in row


def test_the_row_fragment_shows_the_campaigns(client, agent, campaign, dwellings):
    client.force_login(agent)

    html = client.get(f"{URL}/logements/{dwellings[1].pk}/ligne").content.decode()

    assert html.lstrip().startswith(f'<tr id="housing-row-{dwellings[1].pk}"')
    assert f'href="/campagnes/{campaign.pk}"' in html and LONG_TITLE in html


def test_the_column_costs_one_query_per_page(
    client, agent, campaign, dwellings, django_assert_num_queries, django_assert_max_num_queries
):
    client.force_login(agent)
    client.get(URL, ALL)
    with django_assert_max_num_queries(20) as few:
        client.get(URL, ALL)
    # Many more dwellings, each in several campaigns: not one query more.
    group = group_create(
        establishment=campaign.establishment,
        by=agent,
        title="Tout Douai",
        description="Tous",
        filters_or_ids=[HousingFactory(geo_code="59178").pk for _ in range(30)] + [dwellings[0].pk],
    )
    for title in ("Deuxième envoi", "Troisième envoi"):
        campaign_create(group=group, by=agent, title=title)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(URL, ALL)


# ---- The "Campagne" filter -----------------------------------------------------------------------


def test_filter_options_are_the_establishment_campaigns_newest_first(
    client, agent, campaign, second_campaign, outsider, other_establishment, elsewhere
):
    theirs = campaign_create(
        group=group_create(
            establishment=other_establishment,
            by=outsider,
            title="Lens",
            description="Lens",
            filters_or_ids=[elsewhere.pk],
        ),
        by=outsider,
        title="Campagne de Lens",
    )
    client.force_login(agent)

    response = client.get(URL, ALL)

    follow_up = next(section for section in response.context["menu"] if section.key == "suivi")
    assert follow_up.title == "Suivi et campagnes"
    keys = [field.key for field in follow_up.fields]
    assert keys.index("vacancyYears") < keys.index("campaignIds") < keys.index("statusList")
    field = next(field for field in follow_up.fields if field.parameter == "campaignIds")
    assert field.label == "Campagne"
    assert [(option.value, option.label) for option in field.options] == [
        (str(second_campaign.pk), "Relance"),
        (str(campaign.pk), LONG_TITLE),
        ("null", "Dans aucune campagne"),
    ]
    html = unescape(response.content.decode())
    assert re.search(
        rf'<input type="checkbox"\s+name="campaignIds"\s+id="[^"]+"\s+value="{campaign.pk}"', html
    )
    assert "Campagne de Lens" not in html and str(theirs.pk) not in [o.value for o in field.options]


def test_filter_by_one_campaign_two_campaigns_or_none(
    client, agent, campaign, second_campaign, dwellings, lone
):
    client.force_login(agent)

    spring = client.get(URL, {**ALL, "campaignIds": str(campaign.pk)})
    relance = client.get(URL, {**ALL, "campaignIds": str(second_campaign.pk)})
    both = client.get(URL, {**ALL, "campaignIds": [str(campaign.pk), str(second_campaign.pk)]})
    none = client.get(URL, {**ALL, "campaignIds": "null"})
    relance_or_none = client.get(URL, {**ALL, "campaignIds": f"{second_campaign.pk},null"})

    assert set(rows_of(spring)) == {housing.pk for housing in dwellings}
    assert rows_of(relance) == [dwellings[0].pk]
    assert set(rows_of(both)) == {housing.pk for housing in dwellings}
    assert rows_of(none) == [lone.pk]
    assert set(rows_of(relance_or_none)) == {dwellings[0].pk, lone.pk}
    # Tabs and sentence count what the table shows.
    for response in (spring, relance, both, none, relance_or_none):
        assert tab_count(response) == len(rows_of(response))
    assert spring.context["sentence"].startswith("3 logements (3 propriétaires) filtrés")
    # Sent last week: its dwelling moved to "En attente de retour".
    assert tab_count(relance, "tab-1") == 1 and tab_count(relance, "tab-0") == 0
    api = client.get("/api/v1/housing/count", {**ALL, "campaignIds": f"{second_campaign.pk},null"}).json()
    assert api["housing"] == 2


def test_tags_show_the_campaign_titles_and_are_removable(client, agent, campaign, second_campaign):
    client.force_login(agent)

    response = client.get(URL, {**ALL, "campaignIds": f"{campaign.pk},{second_campaign.pk},null"})

    tags = tags_of(response)
    assert {label for label in tags if label.startswith("Campagne")} == {
        f"Campagne : {LONG_TITLE}",
        "Campagne : Relance",
        "Campagne : Dans aucune campagne",
    }
    assert tags[f"Campagne : {LONG_TITLE}"] == f"{URL}?campaignIds={second_campaign.pk}%2Cnull"
    assert tags["Campagne : Dans aucune campagne"] == (
        f"{URL}?campaignIds={campaign.pk}%2C{second_campaign.pk}"
    )
    html = unescape(response.content.decode())
    assert f'aria-label="Retirer le filtre Campagne : {LONG_TITLE}"' in html
    assert client.get(tags["Campagne : Relance"]).context["filters"].campaign_ids == (campaign.pk, "null")
    # The chosen campaigns are ticked in the menu, and open its section.
    follow_up = next(section for section in response.context["menu"] if section.key == "suivi")
    field = next(field for field in follow_up.fields if field.parameter == "campaignIds")
    assert field.selected_count == 3 and follow_up.selected_count == 3


def test_another_establishments_campaign_matches_nothing_and_keeps_its_title(
    client, agent, outsider, other_establishment, elsewhere, campaign, dwellings
):
    theirs = campaign_create(
        group=group_create(
            establishment=other_establishment,
            by=outsider,
            title="Lens",
            description="Lens",
            filters_or_ids=[elsewhere.pk],
        ),
        by=outsider,
        title="Campagne secrète de Lens",
    )
    client.force_login(agent)

    response = client.get(URL, {**ALL, "campaignIds": str(theirs.pk)})
    unknown = client.get(URL, {**ALL, "campaignIds": "999999"})

    assert response.status_code == 200 and rows_of(response) == []
    assert tab_count(response) == 0
    assert "Campagne secrète" not in response.content.decode()
    assert f"Campagne : campagne n° {theirs.pk} (introuvable)" in tags_of(response)
    assert rows_of(unknown) == [] and "Campagne : campagne n° 999999 (introuvable)" in tags_of(unknown)
    # Still offered, ticked, so that it can be unticked.
    follow_up = next(section for section in response.context["menu"] if section.key == "suivi")
    field = next(field for field in follow_up.fields if field.parameter == "campaignIds")
    assert [option.value for option in field.options if option.checked] == [str(theirs.pk)]


def test_junk_campaign_values_are_reported(client, agent, campaign):
    client.force_login(agent)

    response = client.get(URL, {**ALL, "campaignIds": "abc", "campaignCount": "-1"})

    assert response.status_code == 200
    text = text_of(response)
    assert "Valeur non reconnue pour « Campagne »." in text
    assert "Valeur non reconnue pour « Nombre de campagnes »." in text


def test_campaign_count_has_a_readable_tag(client, agent, campaign, second_campaign, dwellings, lone):
    client.force_login(agent)

    two = client.get(URL, {**ALL, "campaignCount": "2"})
    zero = client.get(URL, {**ALL, "campaignCount": "0"})

    assert rows_of(two) == [dwellings[0].pk] and rows_of(zero) == [lone.pk]
    assert "Nombre de campagnes : 2" in tags_of(two)
    assert tags_of(two)["Nombre de campagnes : 2"] == f"{URL}?dataFileYearsIncluded="
    # No field in the menu: the form carries it along.
    assert '<input type="hidden" name="campaignCount" value="2">' in two.content.decode()


def test_the_outsider_never_sees_the_campaigns(client, outsider, elsewhere, campaign, dwellings):
    client.force_login(outsider)

    response = client.get(URL, ALL)
    filtered = client.get(URL, {**ALL, "campaignIds": str(campaign.pk)})

    assert LONG_TITLE not in response.content.decode()
    assert rows_of(response) == [elsewhere.pk]
    assert rows_of(filtered) == [] and LONG_TITLE not in filtered.content.decode()
    assert client.get(f"/logements/{dwellings[0].pk}").status_code == 404
    assert client.get(f"{URL}/logements/{dwellings[0].pk}/ligne").status_code == 404


def test_a_reader_of_another_establishment_sharing_the_perimeter(client, shared_reader, campaign, dwellings):
    """The dwelling is shared, its campaigns are not: neither the column nor the record name them."""
    client.force_login(shared_reader)

    listing = client.get(URL, ALL)
    record = client.get(f"/logements/{dwellings[0].pk}")
    none = client.get(URL, {**ALL, "campaignIds": "null"})

    assert set(rows_of(listing)) >= {housing.pk for housing in dwellings}
    assert LONG_TITLE not in listing.content.decode()
    assert all(row["campaigns"] == [] for row in listing.context["rows"])
    assert {housing.pk for housing in dwellings} <= set(rows_of(none))  # in none of *its* campaigns
    text = text_of(record)
    assert LONG_TITLE not in text
    assert "Campagnes (0) Ce logement n’est dans aucune campagne." in text
    assert "a ajouté ce logement dans une campagne d’une autre structure" in text


# ---- The record --------------------------------------------------------------------------------


def test_record_lists_the_dwelling_campaigns(client, agent, campaign, second_campaign, dwellings):
    client.force_login(agent)

    response = client.get(f"/logements/{dwellings[0].pk}")

    text = text_of(response)
    html = response.content.decode()
    sent = second_campaign.sent_at
    assert (f"Campagnes (2) {LONG_TITLE} — Envoi en attente Relance — Envoyée le {sent.day} ") in text
    assert f'<a class="fr-link" href="/campagnes/{campaign.pk}">{LONG_TITLE}</a>' in html
    assert f'<a class="fr-link" href="/campagnes/{second_campaign.pk}">Relance</a>' in html
    # In the "Suivi" tab, after the status and before the teamwork block.
    follow_up = text[text.index("Suivi du logement") :]
    assert (
        follow_up.index("Statut de suivi")
        < follow_up.index("Campagnes (2)")
        < follow_up.index("Travail en équipe")
    )


def test_record_of_a_dwelling_in_no_campaign(client, agent, lone, campaign):
    client.force_login(agent)

    text = text_of(client.get(f"/logements/{lone.pk}"))

    assert "Campagnes (0) Ce logement n’est dans aucune campagne." in text
    assert LONG_TITLE not in text


def test_record_shows_a_future_sending_date_as_pending(client, agent, group, dwellings):
    later = TODAY + datetime.timedelta(days=30)
    campaign_create(group=group, by=agent, title="Envoi d’été", sent_at=later)
    client.force_login(agent)

    text = text_of(client.get(f"/logements/{dwellings[0].pk}"))

    assert "Envoi d’été — Envoi en attente (prévu le" in text


def test_record_editing_keeps_the_campaigns_and_teamwork_blocks(client, agent, campaign, dwellings):
    """The edit panel refreshes the status block out of band, not the blocks after it."""
    client.force_login(agent)
    housing = dwellings[1]
    data = loaded_form(client, housing)
    data.update(status="3", sub_status="En accompagnement")

    response = client.post(f"/logements/{housing.pk}/edition", data, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    oob = html[html.index('<div id="zlv-follow-up" hx-swap-oob="true">') :]
    oob = oob[: oob.index("</dl>")]
    assert "Suivi en cours" in oob
    record = client.get(f"/logements/{housing.pk}").content.decode()
    assert (
        record.index('id="zlv-follow-up"') < record.index("Campagnes (1)") < record.index("Travail en équipe")
    )


def test_record_query_budget_with_campaigns(
    client, agent, campaign, group, dwellings, django_assert_max_num_queries
):
    """The record's budget, + 1 when campaign events are in the history (whose authors are members
    of the reader's establishment?), whatever the number of campaigns and events."""
    client.force_login(agent)
    with django_assert_max_num_queries(RECORD_QUERY_BUDGET + 1):
        client.get(f"/logements/{dwellings[0].pk}")
    for number in range(5):
        campaign_create(group=group, by=agent, title=f"Envoi {number}")
    with django_assert_max_num_queries(RECORD_QUERY_BUDGET + 1):
        response = client.get(f"/logements/{dwellings[0].pk}")
    assert "Campagnes (6)" in text_of(response)


# ---- History -----------------------------------------------------------------------------------


def test_history_tells_the_campaign_events(client, agent, campaign, second_campaign, dwellings):
    campaign_remove_housing(campaign=second_campaign, by=agent, housing_ids=[dwellings[0].pk])
    campaign_delete(campaign=campaign, by=agent)
    client.force_login(agent)

    response = client.get(f"/logements/{dwellings[0].pk}", {"type": "update"})

    text = text_of(response)
    timeline = text[text.index("Type d’événement") :]
    expected = [
        f"Camille Martin a supprimé la campagne « {LONG_TITLE} » dans laquelle le logement se trouvait",
        "Camille Martin a retiré ce logement de la campagne « Relance »",
        # Taken out of the only sent campaign that moved it, untouched since: back to "Non suivi"
        # (written in the same instant, just before the detachment).
        "Camille Martin a mis à jour le statut de suivi",
        "Zéro Logement Vacant (envoi de campagne) a mis à jour le statut de suivi : "
        "la date d’envoi d’une campagne est arrivée",
        "Camille Martin a ajouté ce logement dans la campagne « Relance »",
        f"Camille Martin a ajouté ce logement dans la campagne « {LONG_TITLE} »",
    ]
    positions = [timeline.index(sentence) for sentence in expected]
    assert positions == sorted(positions)
    assert "Statut de suivi : Non suivi → En attente de retour" in timeline
    assert "Statut de suivi : En attente de retour → Non suivi" in timeline
    assert "import LOVAC" not in timeline


def test_history_of_another_establishment_hides_campaign_titles(client, shared_reader, campaign, dwellings):
    campaign_delete(campaign=campaign, by=campaign.created_by)
    client.force_login(shared_reader)

    text = text_of(client.get(f"/logements/{dwellings[0].pk}"))

    assert LONG_TITLE not in text
    assert "Camille Martin a ajouté ce logement dans une campagne d’une autre structure" in text
    assert (
        "Camille Martin a supprimé une campagne d’une autre structure dans laquelle le logement se trouvait"
        in text
    )
    assert Event.objects.filter(kind=EventKind.HOUSING_CAMPAIGN_REMOVED, housing=dwellings[0]).exists()


# ---- Bulk edit -----------------------------------------------------------------------------------


def test_bulk_edit_refuses_never_contacted_for_dwellings_contacted_in_a_campaign(
    client, agent, campaign, dwellings
):
    """Statuses 0, 1 and 3, all in the campaign: the two followed ones cannot go back to "Non suivi"."""
    client.force_login(agent)
    url = f"{URL}/edition-groupee?housingIds={','.join(str(housing.pk) for housing in dwellings)}"

    response = client.post(url, {"status": "0", "step": "confirm"})

    assert response.status_code == 422
    assert (
        "2 logements ont déjà été contactés dans une campagne : leur statut ne peut pas repasser à "
        "« Non suivi »." in text_of(response)
    )
    assert [housing.status for housing in dwellings if housing.refresh_from_db() is None] == [0, 1, 3]
    # The one never followed may.
    single = f"{URL}/edition-groupee?housingIds={dwellings[0].pk}"
    assert client.post(single, {"status": "0", "occupancy": "V", "step": "confirm"}).status_code == 302
