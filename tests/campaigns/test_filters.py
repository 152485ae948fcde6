import pytest

from zlv.campaigns.services import campaign_create
from zlv.housing.filters import parse_filters
from zlv.housing.selectors import filtered_housing
from zlv.teamwork.services import group_create

pytestmark = pytest.mark.django_db


def matching(user, **params):
    filters = parse_filters(params)
    assert not filters.errors
    return sorted(filtered_housing(user, filters).values_list("pk", flat=True))


@pytest.fixture
def second_campaign(agent, establishment, dwellings):
    group = group_create(
        establishment=establishment,
        by=agent,
        title="Un seul",
        description="Relance",
        filters_or_ids=[dwellings[0].pk],
    )
    return campaign_create(group=group, by=agent, title="Relance")


def test_campaign_ids_null_and_count(agent, campaign, second_campaign, dwellings, douai):
    first, second, third = (housing.pk for housing in dwellings)
    assert matching(agent, campaignIds=str(second_campaign.pk)) == [first]
    assert matching(agent, campaignIds=f"{campaign.pk},{second_campaign.pk}") == sorted(
        [first, second, third]
    )
    assert matching(agent, campaignIds="null") == []
    assert matching(agent, campaignIds=f"null,{second_campaign.pk}") == [first]
    assert matching(agent, campaignCount="2") == [first]
    assert matching(agent, campaignCount="1") == sorted([second, third])
    assert matching(agent, campaignCount="0") == []


def test_another_establishment_campaign_matches_nothing(agent, outsider, campaign, dwellings, elsewhere):
    assert matching(outsider, campaignIds=str(campaign.pk)) == []
    # For the outsider, the Lens dwelling is in none of *their* campaigns.
    assert matching(outsider, campaignIds="null") == [elsewhere.pk]


def test_bad_values_are_reported():
    assert set(parse_filters({"campaignIds": "abc", "campaignCount": "-1"}).errors) == {
        "campaignIds",
        "campaignCount",
    }
