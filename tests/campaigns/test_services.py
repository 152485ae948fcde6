import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from zlv.accounts.services import system_user
from zlv.campaigns import services
from zlv.campaigns.models import Campaign, CampaignHousing
from zlv.campaigns.selectors import campaign_stats, campaigns_by_housing
from zlv.housing.enums import EventKind
from zlv.housing.models import Event, Housing
from zlv.housing.services import housing_update
from zlv.teamwork.models import Group
from zlv.teamwork.services import group_delete

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)
NEXT_WEEK = TODAY + datetime.timedelta(days=7)


def members(campaign):
    return sorted(CampaignHousing.objects.filter(campaign=campaign).values_list("housing_id", flat=True))


def statuses(dwellings):
    return [Housing.objects.get(pk=housing.pk).status for housing in dwellings]


def status_events(housing):
    return list(
        Event.objects.filter(housing=housing, kind=EventKind.HOUSING_STATUS_UPDATED)
        .order_by("created_at", "id")
        .values_list("old__status", "new__status", "created_by__email")
    )


def test_create_copies_the_group_with_events_and_waits_for_the_sending_date(agent, campaign, dwellings):
    assert members(campaign) == sorted(housing.pk for housing in dwellings)
    attached = Event.objects.filter(kind=EventKind.HOUSING_CAMPAIGN_ATTACHED)
    assert sorted(attached.values_list("housing_id", flat=True)) == members(campaign)
    assert {(event.new["name"], event.created_by_id) for event in attached} == {
        ("Courrier de printemps", agent.pk)
    }
    # No sending date: nothing moves.
    assert statuses(dwellings) == [0, 1, 3]
    assert campaign.flipped_at is None


def test_create_with_a_past_sending_date_moves_never_contacted_to_waiting(agent, group, dwellings):
    campaign = services.campaign_create(group=group, by=agent, title="Envoyée", sent_at=YESTERDAY)
    assert statuses(dwellings) == [1, 1, 3]
    assert status_events(dwellings[0]) == [("Non suivi", "En attente de retour", system_user().email)]
    assert status_events(dwellings[2]) == []
    assert Campaign.objects.get(pk=campaign.pk).flipped_at is not None


def test_create_only_copies_the_author_perimeter_and_refuses_an_empty_one(
    agent, establishment, group, elsewhere
):
    group.housing_links.all().delete()
    with pytest.raises(services.CampaignError, match="aucun logement"):
        services.campaign_create(group=group, by=agent, title="Vide")
    assert not Campaign.objects.exists()


def test_create_validates_the_title(agent, group):
    with pytest.raises(services.CampaignError) as error:
        services.campaign_create(group=group, by=agent, title="  ", description="x" * 2001)
    assert set(error.value.errors) == {"title", "description"}


def test_create_is_refused_to_visitors_and_other_establishments(visitor, outsider, group):
    for user in (visitor, outsider):
        with pytest.raises(PermissionDenied):
            services.campaign_create(group=group, by=user, title="Non")
    assert not Campaign.objects.exists()


def test_setting_the_sending_date_flips_once_and_postponing_undoes_untouched_dwellings(
    agent, campaign, dwellings
):
    campaign = services.campaign_update(
        campaign=campaign, by=agent, title=campaign.title, description="", sent_at=YESTERDAY
    )
    assert statuses(dwellings) == [1, 1, 3]
    # An agent followed up the first dwelling since: postponing must not undo their work.
    assert statuses(dwellings)[0] == 1
    services.campaign_update(campaign=campaign, by=agent, title="Reportée", description="", sent_at=NEXT_WEEK)
    assert statuses(dwellings) == [0, 1, 3]
    assert status_events(dwellings[0])[-1] == ("En attente de retour", "Non suivi", agent.email)
    # The second dwelling was already waiting before the campaign: left as it was.
    assert status_events(dwellings[1]) == []
    assert Campaign.objects.get(pk=campaign.pk).flipped_at is None


def test_postponing_keeps_a_dwelling_an_agent_changed_after_the_flip(agent, campaign, dwellings):
    campaign = services.campaign_update(
        campaign=campaign, by=agent, title=campaign.title, description="", sent_at=YESTERDAY
    )
    housing_update(housing=dwellings[0], by=agent, status=1, sub_status="")  # no change: no event
    housing_update(housing=dwellings[0], by=agent, status=2, sub_status="En pré-accompagnement")
    housing_update(housing=dwellings[0], by=agent, status=1, sub_status="")
    services.campaign_update(
        campaign=campaign, by=agent, title=campaign.title, description="", sent_at=NEXT_WEEK
    )
    assert statuses(dwellings)[0] == 1


def test_the_sending_date_cannot_be_removed(agent, campaign):
    campaign = services.campaign_update(
        campaign=campaign, by=agent, title=campaign.title, description="", sent_at=NEXT_WEEK
    )
    with pytest.raises(services.CampaignError) as error:
        services.campaign_update(
            campaign=campaign, by=agent, title=campaign.title, description="", sent_at=None
        )
    assert "sent_at" in error.value.errors
    assert Campaign.objects.get(pk=campaign.pk).sent_at == NEXT_WEEK


def test_daily_run_flips_campaigns_whose_date_has_come(agent, campaign, dwellings):
    services.campaign_update(
        campaign=campaign, by=agent, title=campaign.title, description="", sent_at=NEXT_WEEK
    )
    assert services.campaigns_flip_due() == (0, 0)
    assert statuses(dwellings) == [0, 1, 3]
    assert services.campaigns_flip_due(today=NEXT_WEEK) == (1, 1)
    assert statuses(dwellings) == [1, 1, 3]
    # Once only: an agent putting it back to "Non suivi" is not overridden the next day.
    housing_update(housing=dwellings[0], by=agent, status=0, sub_status="")
    assert services.campaigns_flip_due(today=NEXT_WEEK + datetime.timedelta(days=1)) == (0, 0)
    assert statuses(dwellings)[0] == 0


def test_removing_a_recipient_records_it_and_resets_a_waiting_dwelling(agent, campaign, dwellings, elsewhere):
    services.campaign_update(
        campaign=campaign, by=agent, title=campaign.title, description="", sent_at=YESTERDAY
    )
    removed = services.campaign_remove_housing(
        campaign=campaign, by=agent, housing_ids=[dwellings[0].pk, dwellings[2].pk, elsewhere.pk]
    )
    assert removed == 2
    assert members(campaign) == [dwellings[1].pk]
    assert statuses(dwellings) == [0, 1, 3]
    detached = Event.objects.filter(kind=EventKind.HOUSING_CAMPAIGN_DETACHED)
    assert sorted(detached.values_list("housing_id", flat=True)) == sorted([dwellings[0].pk, dwellings[2].pk])


def test_a_dwelling_in_another_sent_campaign_stays_waiting(agent, group, campaign, dwellings):
    services.campaign_update(
        campaign=campaign, by=agent, title=campaign.title, description="", sent_at=YESTERDAY
    )
    other = services.campaign_create(group=group, by=agent, title="Relance", sent_at=YESTERDAY)
    assert statuses(dwellings) == [1, 1, 3]
    services.campaign_delete(campaign=campaign, by=agent)
    assert statuses(dwellings) == [1, 1, 3]
    services.campaign_delete(campaign=other, by=agent)
    # Only the automatic move is undone: the second dwelling was set waiting by an agent.
    assert statuses(dwellings) == [0, 1, 3]
    removed = Event.objects.filter(kind=EventKind.HOUSING_CAMPAIGN_REMOVED)
    assert removed.count() == 6
    assert not Campaign.objects.exists()


def test_deleting_a_campaign_never_sent_changes_no_status(agent, campaign, dwellings):
    services.campaign_delete(campaign=campaign, by=agent)
    assert statuses(dwellings) == [0, 1, 3]
    assert not Event.objects.filter(kind=EventKind.HOUSING_STATUS_UPDATED).exists()


def test_write_services_refuse_visitors_and_other_establishments(visitor, outsider, campaign, dwellings):
    for user in (visitor, outsider):
        with pytest.raises(PermissionDenied):
            services.campaign_update(campaign=campaign, by=user, title="Non", description="", sent_at=None)
        with pytest.raises(PermissionDenied):
            services.campaign_remove_housing(campaign=campaign, by=user, housing_ids=[dwellings[0].pk])
        with pytest.raises(PermissionDenied):
            services.campaign_delete(campaign=campaign, by=user)
    assert members(campaign) == sorted(housing.pk for housing in dwellings)


def test_a_group_with_a_campaign_is_archived_not_deleted(agent, group, campaign):
    assert group_delete(group=group, by=agent) == "archived"
    assert Group.objects.get(pk=group.pk).archived_at is not None
    assert members(campaign)


def test_stats_count_returns_after_the_sending_date(agent, campaign, dwellings, outsider):
    stats = campaign_stats(agent, [campaign])[campaign.pk]
    assert (stats.housing, stats.owners, stats.returns, stats.return_rate) == (3, 3, 0, None)
    campaign = services.campaign_update(
        campaign=campaign, by=agent, title=campaign.title, description="", sent_at=YESTERDAY
    )
    # The third dwelling was followed (status 3) before: it is no return until it changes again.
    housing_update(housing=dwellings[0], by=agent, status=2, sub_status="En pré-accompagnement")
    stats = campaign_stats(agent, [campaign])[campaign.pk]
    assert (stats.housing, stats.returns) == (3, 1)
    assert stats.return_rate == pytest.approx(100 / 3)
    # Another establishment's user sees none of these dwellings.
    assert campaign_stats(outsider, [campaign])[campaign.pk].housing == 0


def test_campaigns_by_housing_lists_only_the_reader_establishment(agent, outsider, campaign, dwellings):
    assert [c.title for c in campaigns_by_housing(agent, [dwellings[0].pk])[dwellings[0].pk]] == [
        "Courrier de printemps"
    ]
    assert campaigns_by_housing(outsider, [dwellings[0].pk]) == {}


def test_the_daily_command_reports_what_it_moved(agent, campaign, dwellings):
    from io import StringIO

    from django.core.management import CommandError, call_command

    services.campaign_update(
        campaign=campaign, by=agent, title=campaign.title, description="", sent_at=NEXT_WEEK
    )
    out = StringIO()
    call_command("flip_sent_campaigns", "--date", NEXT_WEEK.isoformat(), stdout=out)
    assert "1 campagne(s)" in out.getvalue() and "1 logement(s)" in out.getvalue()
    assert statuses(dwellings) == [1, 1, 3]
    with pytest.raises(CommandError, match="AAAA-MM-JJ"):
        call_command("flip_sent_campaigns", "--date", "demain")
