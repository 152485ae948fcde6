import datetime

import pytest
from django.utils import timezone

from zlv.campaigns.services import campaign_update

pytestmark = pytest.mark.django_db


def test_campaigns_and_their_figures(client, agent, campaign, dwellings):
    campaign_update(
        campaign=campaign,
        by=agent,
        title=campaign.title,
        description="",
        sent_at=timezone.localdate() - datetime.timedelta(days=1),
    )
    client.force_login(agent)
    listing = client.get("/api/v1/campaigns").json()
    assert [(c["id"], c["title"], c["housing_count"], c["owner_count"]) for c in listing] == [
        (campaign.pk, "Courrier de printemps", 3, 3)
    ]
    assert listing[0]["return_count"] == 0 and listing[0]["return_rate"] == 0
    detail = client.get(f"/api/v1/campaigns/{campaign.pk}").json()
    assert detail == listing[0]


def test_dwellings_carry_their_campaign_ids_and_filter_by_campaign(client, agent, campaign, dwellings):
    client.force_login(agent)
    rows = client.get(f"/api/v1/housing?campaignIds={campaign.pk}").json()["items"]
    assert sorted(row["id"] for row in rows) == sorted(housing.pk for housing in dwellings)
    assert {tuple(row["campaign_ids"]) for row in rows} == {(campaign.pk,)}
    assert client.get("/api/v1/housing/count?campaignIds=null").json()["housing"] == 0
    assert client.get(f"/api/v1/housing/{dwellings[0].pk}").json()["campaign_ids"] == [campaign.pk]
    assert client.get("/api/v1/housing?campaignIds=x").status_code == 400


def test_another_establishment_sees_no_campaign(client, outsider, campaign, elsewhere):
    client.force_login(outsider)
    assert client.get("/api/v1/campaigns").json() == []
    assert client.get(f"/api/v1/campaigns/{campaign.pk}").status_code == 404
    assert client.get(f"/api/v1/housing/{elsewhere.pk}").json()["campaign_ids"] == []
    assert client.get(f"/api/v1/housing?campaignIds={campaign.pk}").json()["items"] == []


@pytest.mark.parametrize("route", ["/api/v1/campaigns", "/api/v1/campaigns/1"])
def test_anonymous_gets_401(client, db, route):
    assert client.get(route).status_code == 401
