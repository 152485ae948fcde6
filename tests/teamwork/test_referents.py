from types import SimpleNamespace

import pytest

from tests.factories import HousingFactory
from tests.teamwork.conftest import text_of
from zlv.housing.filters import parse_filters
from zlv.housing.models import Event, Housing
from zlv.housing.selectors import filtered_housing
from zlv.teamwork import services
from zlv.teamwork.filters import group_filter, referents_me_filter, teamwork_filter
from zlv.teamwork.models import HousingReferent
from zlv.teamwork.selectors import housing_teamwork

pytestmark = pytest.mark.django_db


def ids(housings) -> str:
    return ",".join(str(h.pk) for h in housings)


def test_assign_page(client, agent, colleague, visitor, dwellings):
    client.force_login(agent)
    url = f"/parc-de-logements/referent?housingIds={ids(dwellings[:2])}&statusList=0,1"
    page = client.get(url)
    html = page.content.decode()
    assert "2 logements sélectionnés" in text_of(page)
    # Members who may write are offered; visitors are not.
    assert "Dominique Petit" in html and "Camille Martin" in html and "Vic Lecteur" not in html

    response = client.post(url, {"referent": colleague.pk})
    assert response["Location"] == "/parc-de-logements?statusList=0%2C1"
    assert set(HousingReferent.objects.values_list("housing_id", "user_id")) == {
        (dwellings[0].pk, colleague.pk),
        (dwellings[1].pk, colleague.pk),
    }
    assert "Dominique Petit est désormais l’agent référent de 2 logements." in text_of(
        client.get(response["Location"])
    )

    client.post(url, {"referent": ""})
    assert not HousingReferent.objects.exists()


def test_assign_page_refuses_a_non_member(client, agent, outsider, dwellings):
    client.force_login(agent)
    response = client.post(
        f"/parc-de-logements/referent?housingIds={ids(dwellings)}", {"referent": outsider.pk}
    )
    assert response.status_code == 422
    assert "Choisissez un membre de votre structure dans la liste." in text_of(response)
    assert not HousingReferent.objects.exists()


def test_assign_page_without_selection(client, agent, colleague):
    client.force_login(agent)
    response = client.post("/parc-de-logements/referent", {"referent": colleague.pk})
    assert response.status_code == 422
    assert "Aucun logement sélectionné." in text_of(response)


def test_mes_logements_filter(
    agent, colleague, outsider, establishment, other_establishment, dwellings, lens
):
    first, second, third = dwellings
    services.referent_assign(
        establishment=establishment, user_filters_selection=[first.pk, second.pk], referent=agent, by=agent
    )
    services.referent_assign(
        establishment=establishment, user_filters_selection=[third.pk], referent=colleague, by=agent
    )
    mine = Housing.objects.visible_to(agent).filter(referents_me_filter(agent))
    assert set(mine) == {first, second}
    assert set(Housing.objects.visible_to(colleague).filter(referents_me_filter(colleague))) == {third}
    # Combined with the other filters, through the filter model's object.
    filters = SimpleNamespace(referents=("me",), group_ids=())
    narrowed = filtered_housing(agent, parse_filters({"statusList": "1"})).filter(
        teamwork_filter(agent, filters)
    )
    assert set(narrowed) == {second}
    # Being the referent for another establishment does not count here.
    lens_housing = HousingFactory(geo_code="62498")
    services.referent_assign(
        establishment=other_establishment,
        user_filters_selection=[lens_housing.pk],
        referent=outsider,
        by=outsider,
    )
    assert not Housing.objects.filter(referents_me_filter(agent)).filter(pk=lens_housing.pk).exists()
    assert teamwork_filter(agent, parse_filters({})) == teamwork_filter(agent, SimpleNamespace())


def test_group_ids_filter(agent, outsider, establishment, other_establishment, dwellings, monkeypatch):
    first, second, third = dwellings
    kept = services.group_create(
        establishment=establishment, by=agent, title="A", description="D", filters_or_ids=[first.pk]
    )
    archived = services.group_create(
        establishment=establishment, by=agent, title="B", description="D", filters_or_ids=[second.pk]
    )
    monkeypatch.setattr(services, "group_has_campaigns", lambda group: True)
    services.group_delete(group=archived, by=agent)
    visible = Housing.objects.visible_to(agent)
    assert set(visible.filter(group_filter(agent, [kept.pk, archived.pk]))) == {first}
    # Another establishment cannot reach the group's dwellings through its id.
    assert not Housing.objects.filter(group_filter(outsider, [kept.pk])).exists()
    filters = SimpleNamespace(group_ids=(kept.pk,), referents=())
    assert set(filtered_housing(agent, parse_filters({})).filter(teamwork_filter(agent, filters))) == {first}


def test_housing_teamwork_for_the_record_page(agent, colleague, outsider, establishment, dwellings):
    first = dwellings[0]
    services.referent_assign(
        establishment=establishment, user_filters_selection=[first.pk], referent=colleague, by=agent
    )
    group = services.group_create(
        establishment=establishment, by=agent, title="Centre", description="D", filters_or_ids=[first.pk]
    )
    teamwork = housing_teamwork(agent, first)
    assert teamwork.referent == colleague
    assert teamwork.groups == [group]
    assert housing_teamwork(outsider, first).groups == []


def test_record_page_snippet_renders(agent, colleague, establishment, dwellings):
    from django.template.loader import render_to_string

    group = services.group_create(
        establishment=establishment,
        by=agent,
        title="Centre",
        description="D",
        filters_or_ids=[dwellings[0].pk],
    )
    html = render_to_string("teamwork/_housing_teamwork.html", {"referent": colleague, "groups": [group]})
    assert "Dominique Petit" in html and f'href="/groupes/{group.pk}"' in html
    assert "Aucun groupe" in render_to_string(
        "teamwork/_housing_teamwork.html", {"referent": None, "groups": []}
    )


def test_another_establishment_and_anonymous(client, outsider, dwellings):
    url = f"/parc-de-logements/referent?housingIds={dwellings[0].pk}"
    response = client.post(url, {"referent": ""})
    assert response.status_code == 302 and response["Location"].startswith("/connexion")
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"referent": outsider.pk}).status_code == 404
    assert not HousingReferent.objects.exists()


def test_referent_changes_are_events_in_the_history(
    client, agent, colleague, establishment, dwellings, django_assert_num_queries
):
    first, second, third = dwellings
    services.referent_assign(
        establishment=establishment, user_filters_selection=[first.pk], referent=agent, by=agent
    )
    # First, second and third at once: one changes referent, two get one, in a fixed number of queries.
    with django_assert_num_queries(6):
        changed = services.referent_assign(
            establishment=establishment,
            user_filters_selection=parse_filters({"all": "true"}),
            referent=colleague,
            by=agent,
        )
    assert changed == 3
    # Same referent again: nothing changes, no event.
    services.referent_assign(
        establishment=establishment, user_filters_selection=[first.pk], referent=colleague, by=agent
    )
    services.referent_clear(establishment=establishment, user_filters_selection=[second.pk], by=agent)

    events = Event.objects.filter(kind="housing:referent-updated").order_by("pk")
    by_housing = {}
    for event in events:
        by_housing.setdefault(event.housing_id, []).append((event.old, event.new))
        assert event.created_by == agent
    douaisis = {"establishment": "Douaisis Agglo"}
    assert by_housing == {
        first.pk: [
            (None, {"referent": "Camille Martin", **douaisis}),
            ({"referent": "Camille Martin", **douaisis}, {"referent": "Dominique Petit", **douaisis}),
        ],
        second.pk: [
            (None, {"referent": "Dominique Petit", **douaisis}),
            ({"referent": "Dominique Petit", **douaisis}, None),
        ],
        third.pk: [(None, {"referent": "Dominique Petit", **douaisis})],
    }

    client.force_login(agent)
    history = text_of(client.get(f"/logements/{first.pk}?type=update"))
    assert "a changé l’agent référent de ce logement" in history
    assert "Agent référent : Camille Martin → Dominique Petit" in history
    assert "Structure : Douaisis Agglo" in history
    history = text_of(client.get(f"/logements/{second.pk}?type=update"))
    assert "a retiré l’agent référent de ce logement" in history
    assert "Agent référent : Dominique Petit → aucun" in history
    assert "a désigné un agent référent pour ce logement" in history


def test_referent_page_records_events(client, agent, colleague, dwellings):
    client.force_login(agent)
    client.post(f"/parc-de-logements/referent?housingIds={ids(dwellings[:2])}", {"referent": colleague.pk})

    assert set(
        Event.objects.filter(kind="housing:referent-updated").values_list("housing_id", flat=True)
    ) == {dwellings[0].pk, dwellings[1].pk}
