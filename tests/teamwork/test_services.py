import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.factories import HousingFactory
from zlv.housing.enums import EventKind
from zlv.housing.filters import parse_filters
from zlv.housing.models import Event
from zlv.teamwork import services
from zlv.teamwork.models import Group, GroupHousing, HousingReferent
from zlv.teamwork.selectors import SelectionError, group_counts

pytestmark = pytest.mark.django_db


def events(kind):
    return sorted(Event.objects.filter(kind=kind).values_list("housing_id", flat=True))


def members(group):
    return sorted(GroupHousing.objects.filter(group=group).values_list("housing_id", flat=True))


def test_group_create_from_ids(agent, establishment, dwellings):
    first, second, _ = dwellings
    group = services.group_create(
        establishment=establishment,
        by=agent,
        title="Centre-ville",
        description="Logements vacants du centre",
        filters_or_ids=[first.pk, second.pk],
    )
    assert members(group) == sorted([first.pk, second.pk])
    assert events(EventKind.HOUSING_GROUP_ATTACHED) == sorted([first.pk, second.pk])
    event = Event.objects.filter(kind=EventKind.HOUSING_GROUP_ATTACHED).first()
    # The group belongs to the establishment: its title shows only to it (see the history tests).
    assert event.new == {"name": "Centre-ville", "establishmentId": establishment.pk}
    assert event.old is None and event.created_by == agent
    assert group_counts(agent, [group]) == {group.pk: {"housing": 2, "owners": 2}}


def test_a_dwelling_outside_the_perimeter_is_not_found(agent, establishment, dwellings, elsewhere):
    with pytest.raises(Http404):
        services.group_create(
            establishment=establishment,
            by=agent,
            title="T",
            description="D",
            filters_or_ids=[dwellings[0].pk, elsewhere.pk],
        )
    assert not Group.objects.exists()


def test_group_create_from_all_matching_with_exclusions(agent, establishment, dwellings, elsewhere):
    first, second, third = dwellings
    filters = parse_filters({"all": "true", "housingIds": str(second.pk), "statusList": "0,3"})
    group = services.group_create(
        establishment=establishment,
        by=agent,
        title="Tous",
        description="Tous sauf un",
        filters_or_ids=filters,
    )
    assert members(group) == sorted([first.pk, third.pk])


def test_group_create_requires_a_selection_title_and_description(agent, establishment, dwellings):
    with pytest.raises(SelectionError, match="Aucun logement sélectionné"):
        services.group_create(
            establishment=establishment, by=agent, title="T", description="D", filters_or_ids=[]
        )
    with pytest.raises(services.GroupError) as error:
        services.group_create(
            establishment=establishment, by=agent, title=" ", description="", filters_or_ids=[dwellings[0].pk]
        )
    assert set(error.value.errors) == {"title", "description"}
    assert not Group.objects.exists()


def test_group_create_refuses_visitors_and_other_establishments(visitor, outsider, establishment, dwellings):
    for user in (visitor, outsider):
        with pytest.raises(PermissionDenied):
            services.group_create(
                establishment=establishment,
                by=user,
                title="T",
                description="D",
                filters_or_ids=[dwellings[0].pk],
            )


def make_group(agent, establishment, housings, title="Groupe"):
    return services.group_create(
        establishment=establishment,
        by=agent,
        title=title,
        description="Description",
        filters_or_ids=[h.pk for h in housings],
    )


def test_add_and_remove_housing_with_events(agent, colleague, establishment, dwellings):
    first, second, third = dwellings
    group = make_group(agent, establishment, [first])
    added = services.group_add_housing(
        group=group, by=colleague, filters_or_ids=[first.pk, second.pk, third.pk]
    )
    assert added == 2  # the first was already there
    assert members(group) == sorted(h.pk for h in dwellings)
    assert Event.objects.filter(kind=EventKind.HOUSING_GROUP_ATTACHED, housing=first).count() == 1

    removed = services.group_remove_housing(group=group, by=colleague, filters_or_ids=[second.pk, third.pk])
    assert removed == 2
    assert members(group) == [first.pk]
    detached = Event.objects.filter(kind=EventKind.HOUSING_GROUP_DETACHED)
    assert sorted(detached.values_list("housing_id", flat=True)) == sorted([second.pk, third.pk])
    assert [(e.old, e.new, e.created_by_id) for e in detached] == [
        ({"name": "Groupe", "establishmentId": establishment.pk}, None, colleague.pk)
    ] * 2


def test_rename(agent, establishment, dwellings):
    group = make_group(agent, establishment, dwellings)
    services.group_rename(group=group, by=agent, title="  Nouveau titre ", description="Nouvelle description")
    group.refresh_from_db()
    assert (group.title, group.description) == ("Nouveau titre", "Nouvelle description")
    with pytest.raises(services.GroupError):
        services.group_rename(group=group, by=agent, title="", description="x")


def test_delete_removes_the_group_and_records_events(agent, establishment, dwellings):
    group = make_group(agent, establishment, dwellings, title="À supprimer")
    assert services.group_delete(group=group, by=agent) == "removed"
    assert not Group.objects.exists() and not GroupHousing.objects.exists()
    assert events(EventKind.HOUSING_GROUP_REMOVED) == sorted(h.pk for h in dwellings)
    assert Event.objects.filter(kind=EventKind.HOUSING_GROUP_REMOVED).first().old == {
        "name": "À supprimer",
        "establishmentId": establishment.pk,
    }


def test_delete_archives_a_group_used_by_a_campaign(agent, establishment, dwellings, monkeypatch):
    monkeypatch.setattr(services, "group_has_campaigns", lambda group: True)
    group = make_group(agent, establishment, dwellings)
    assert services.group_delete(group=group, by=agent) == "archived"
    group.refresh_from_db()
    assert group.archived_at is not None
    assert members(group) == sorted(h.pk for h in dwellings)  # kept for the campaign
    assert events(EventKind.HOUSING_GROUP_ARCHIVED) == sorted(h.pk for h in dwellings)
    with pytest.raises(services.GroupError, match="archivé"):
        services.group_add_housing(group=group, by=agent, filters_or_ids=[dwellings[0].pk])


def test_referent_assign_and_clear(agent, colleague, establishment, dwellings):
    first, second, third = dwellings
    assigned = services.referent_assign(
        establishment=establishment,
        user_filters_selection=[first.pk, second.pk],
        referent=colleague,
        by=agent,
    )
    assert assigned == 2
    # Re-assigning the same referent changes nothing; another one replaces them.
    again = services.referent_assign(
        establishment=establishment, user_filters_selection=[first.pk, third.pk], referent=colleague, by=agent
    )
    assert again == 1
    services.referent_assign(
        establishment=establishment, user_filters_selection=[first.pk], referent=agent, by=agent
    )
    referents = dict(HousingReferent.objects.values_list("housing_id", "user_id"))
    assert referents == {first.pk: agent.pk, second.pk: colleague.pk, third.pk: colleague.pk}
    assert HousingReferent.objects.get(housing=first).assigned_by == agent

    cleared = services.referent_clear(
        establishment=establishment, user_filters_selection=[first.pk, second.pk], by=agent
    )
    assert cleared == 2
    assert list(HousingReferent.objects.values_list("housing_id", flat=True)) == [third.pk]


def test_referent_must_be_a_member(agent, outsider, establishment, dwellings):
    with pytest.raises(services.ReferentError, match="membre de votre structure"):
        services.referent_assign(
            establishment=establishment,
            user_filters_selection=[dwellings[0].pk],
            referent=outsider,
            by=agent,
        )
    assert not HousingReferent.objects.exists()


def test_group_counts_owners_are_distinct_primary_owners(agent, establishment, dwellings):
    from tests.factories import HousingOwnerFactory

    owner = dwellings[0].owner_links.get().owner
    extra = HousingFactory(geo_code="59178")
    HousingOwnerFactory(housing=extra, owner=owner, rank=1)
    HousingOwnerFactory(housing=extra, rank=2)  # secondary owners are not counted
    group = make_group(agent, establishment, [*dwellings, extra])
    assert group_counts(agent, [group])[group.pk] == {"housing": 4, "owners": 3}


def test_group_create_with_a_filter_that_groups_rows(agent, establishment, dwellings):
    from tests.factories import HousingOwnerFactory

    HousingOwnerFactory(housing=dwellings[0], rank=2)  # two active owners on the first dwelling
    filters = parse_filters({"all": "true", "beneficiaryCounts": "1", "query": "BELLAING"})
    group = services.group_create(
        establishment=establishment, by=agent, title="Un seul", description="D", filters_or_ids=filters
    )
    assert members(group) == sorted([dwellings[1].pk, dwellings[2].pk])
