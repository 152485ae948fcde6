"""`manage.py setup_demo` (the set-up half of `make run`), on the real reference geography."""

import io

import pytest
from django.core.management import call_command

from zlv.accounts.models import User
from zlv.campaigns.models import Campaign
from zlv.campaigns.selectors import campaign_housing
from zlv.housing.models import Housing
from zlv.lovac.management.commands import setup_demo


@pytest.fixture
def small_demo(db, settings, monkeypatch, tmp_path):
    settings.DEMO_MODE = True
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(setup_demo, "DEMO_EPCI_ROWS", 1_500)
    monkeypatch.setattr(setup_demo, "OTHER_COMMUNE_ROWS", 100)
    call_command("load_geography", stdout=io.StringIO())


def test_demo_has_accounts_and_an_example_campaign_and_runs_twice(small_demo):
    call_command("setup_demo", stdout=io.StringIO())
    agent = User.objects.get(email="agent@demo.test")
    campaign = Campaign.objects.get()
    assert campaign.establishment_id == agent.active_establishment_id and campaign.is_sent()
    dwellings = campaign_housing(agent, campaign)
    assert dwellings.exists()
    assert set(dwellings.values_list("geo_code", flat=True)) == {"59178"}
    # Sent a month ago: none of its dwellings is still "Non suivi".
    assert not dwellings.filter(status=0).exists()

    housing_count = Housing.objects.count()
    output = io.StringIO()
    call_command("setup_demo", stdout=output)
    assert Campaign.objects.count() == 1 and Housing.objects.count() == housing_count
    assert "aucun import" in output.getvalue()
