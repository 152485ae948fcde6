"""A dwelling's history is shared by the establishments covering it; the titles of one
establishment's objects (groups, campaigns, documents…) are not."""

import pytest

from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory
from tests.teamwork.conftest import text_of
from zlv.campaigns.services import campaign_create
from zlv.housing.enums import EventKind
from zlv.housing.event_payloads import owned_payload
from zlv.housing.models import Event
from zlv.teamwork.services import group_add_housing, group_create, group_delete, group_remove_housing
from zlv.www.records.presenters import OTHER_ESTABLISHMENT_SENTENCES, SHARED_EVENT_KINDS

pytestmark = pytest.mark.django_db

SECRET = "Douai — vacance de plus de 10 ans"
DOCUMENT_KINDS = {kind for kind in EventKind if "document" in kind}


@pytest.fixture
def world(db):
    """One dwelling of Douai, covered by two establishments (overrides the route walks' world)."""
    douai = CommuneFactory(code="59178", name="Douai")
    ours = EstablishmentFactory(name="Commune de Douai", communes=[douai])
    theirs = EstablishmentFactory(name="Douaisis Agglo", communes=[douai])
    return {
        "housing": HousingFactory(geo_code="59178"),
        "ours": ours,
        "agent": UserFactory(establishment=ours, first_name="Camille", last_name="Martin"),
        "colleague": UserFactory(establishment=ours, first_name="Dominique", last_name="Petit"),
        "other": UserFactory(establishment=theirs, first_name="Alex", last_name="Ailleurs"),
    }


def history_text(client, user, housing) -> str:
    client.force_login(user)
    response = client.get(f"/logements/{housing.pk}", {"type": "update"})
    assert response.status_code == 200
    text = text_of(response)
    return text[text.index("Type d’événement") :]


def test_every_event_kind_is_either_shared_or_owned_by_one_establishment():
    """A new kind must be classified: naming one establishment's object, or shared."""
    owned = set(OTHER_ESTABLISHMENT_SENTENCES)
    assert owned | SHARED_EVENT_KINDS == set(EventKind)
    assert not owned & SHARED_EVENT_KINDS


@pytest.mark.parametrize("kind", list(EventKind))
def test_other_establishments_never_read_a_title_of_ours(client, world, kind):
    """Every event kind, with the secret title in every payload field the sentences read."""
    fields = {"name": SECRET, "filename": SECRET, "label": SECRET}
    Event.objects.create(
        kind=kind,
        housing=world["housing"],
        old=owned_payload(world["ours"].pk, **fields),
        new=owned_payload(world["ours"].pk, **fields),
        created_by=world["agent"],
    )

    theirs = history_text(client, world["other"], world["housing"])
    ours = history_text(client, world["colleague"], world["housing"])

    if kind in OTHER_ESTABLISHMENT_SENTENCES:
        assert SECRET not in theirs
        # Document events stay out of the shared history altogether.
        if kind not in DOCUMENT_KINDS:
            assert f"Camille Martin {OTHER_ESTABLISHMENT_SENTENCES[kind]}" in theirs
            assert SECRET in ours


def secret_group(world):
    return group_create(
        establishment=world["ours"],
        by=world["agent"],
        title=SECRET,
        description="Vacance longue",
        filters_or_ids=[world["housing"].pk],
    )


def test_group_events_keep_the_title_within_the_establishment(client, world):
    housing, agent = world["housing"], world["agent"]
    group = secret_group(world)
    group_remove_housing(group=group, by=agent, filters_or_ids=[housing.pk])
    group_add_housing(group=group, by=agent, filters_or_ids=[housing.pk])
    campaign_create(group=group, by=agent, title="Courrier de printemps")
    group_delete(group=group, by=agent)  # archived: a campaign was made from it
    group_delete(group=secret_group(world), by=agent)

    theirs = history_text(client, world["other"], housing)
    ours = history_text(client, world["colleague"], housing)

    assert SECRET not in theirs and "Courrier de printemps" not in theirs
    for kind in (
        EventKind.HOUSING_GROUP_ATTACHED,
        EventKind.HOUSING_GROUP_DETACHED,
        EventKind.HOUSING_GROUP_ARCHIVED,
        EventKind.HOUSING_GROUP_REMOVED,
        EventKind.HOUSING_CAMPAIGN_ATTACHED,
    ):
        assert f"Camille Martin {OTHER_ESTABLISHMENT_SENTENCES[kind]}" in theirs
    assert "Camille Martin a ajouté ce logement dans un groupe " in ours and f"Groupe : {SECRET}" in ours
    assert f"a archivé le groupe « {SECRET} »" in ours
    assert f"a supprimé le groupe « {SECRET} »" in ours


def test_events_recorded_before_the_establishment_was_stored_follow_their_author(client, world):
    """Older events carry only the title: the author's colleagues read it, the others do not."""
    Event.objects.create(
        kind=EventKind.HOUSING_GROUP_DETACHED,
        housing=world["housing"],
        old={"name": SECRET},
        created_by=world["agent"],
    )

    assert SECRET not in history_text(client, world["other"], world["housing"])
    assert f"Groupe : {SECRET}" in history_text(client, world["colleague"], world["housing"])
