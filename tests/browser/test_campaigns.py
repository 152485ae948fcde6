"""Campagnes in a real browser: from a group to a campaign page, then to the list of its dwellings."""

import datetime
import re
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    OwnerFactory,
    UserFactory,
)
from zlv.campaigns.models import Campaign
from zlv.housing.models import Housing
from zlv.teamwork.services import group_create

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(tempfile.gettempdir())  # looked at by hand when the layout changes


@pytest.fixture(autouse=True)
def _no_base_map(settings):
    settings.MAP_STYLE_URL = ""  # no network in tests


@pytest.fixture
def agent():
    douai = CommuneFactory(code="59178", name="Douai")
    establishment = EstablishmentFactory(name="Douaisis Agglo", communes=[douai])
    return UserFactory(establishment=establishment, first_name="Camille", last_name="Martin")


@pytest.fixture
def group(agent):
    """A group of three dwellings of Douai (two "Non suivi"), and a fourth dwelling outside it."""
    dwellings = []
    for number, status in ((1, 0), (2, 0), (3, 3), (4, 0)):
        housing = HousingFactory(geo_code="59178", address_dgfip=f"{number} RUE DE BELLAING", status=status)
        HousingOwnerFactory(housing=housing, owner=OwnerFactory(full_name=f"DURAND/MARIE {number}"))
        dwellings.append(housing)
    return group_create(
        establishment=agent.memberships.get().establishment,
        by=agent,
        title="Centre-ville",
        description="Logements vacants du centre",
        filters_or_ids=[housing.pk for housing in dwellings[:3]],
    )


def test_create_a_campaign_from_a_group_and_see_its_dwellings(signed_in_page, agent, group):
    sent_at = timezone.localdate() - datetime.timedelta(days=2)
    page = signed_in_page(agent)
    page.errors.clear()
    page.goto(f"/groupes/{group.pk}")

    page.get_by_role("link", name="Créer une campagne").click()
    expect(page.get_by_role("heading", name="Créer une campagne", level=1)).to_be_visible()
    page.get_by_label("Titre de la campagne").fill("Courrier de printemps")
    page.get_by_label("Description").fill("Premier envoi aux propriétaires du centre")
    page.get_by_label("Date d’envoi").fill(sent_at.isoformat())  # the browser's date picker
    page.screenshot(path=SCREENSHOTS / "zlv_campaign_create.png", full_page=True)
    page.get_by_role("button", name="Créer la campagne").click()

    campaign = Campaign.objects.get()
    expect(page).to_have_url(re.compile(rf"/campagnes/{campaign.pk}$"))
    expect(page.get_by_role("heading", name="Courrier de printemps", level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="a été créée avec 3 logements")).to_be_visible()
    figures = page.locator("#campagne-chiffres")
    expect(figures).to_contain_text("Nombre de logements 3")
    expect(figures).to_contain_text("Nombre de propriétaires 3")
    expect(figures).to_contain_text(f"Date d’envoi {date_format(sent_at, 'j F Y')}")
    expect(figures).to_contain_text("Nombre de retours 0")
    expect(figures).to_contain_text("Taux de retour 0 %")
    # The sending date has come: the "Non suivi" recipients now wait for an answer.
    recipients = page.locator("#campagne-destinataires tbody tr")
    expect(recipients).to_have_count(3)
    expect(recipients.filter(has_text="En attente de retour")).to_have_count(2)
    assert sorted(Housing.objects.values_list("status", flat=True)) == [0, 1, 1, 3]
    page.screenshot(path=SCREENSHOTS / "zlv_campaign_page.png", full_page=True)
    page.goto("/campagnes")
    expect(page.locator("#campagnes-table")).to_contain_text("Courrier de printemps")
    page.screenshot(path=SCREENSHOTS / "zlv_campaign_list.png", full_page=True)
    page.go_back()

    page.get_by_role("link", name="Voir les logements").click()
    expect(page).to_have_url(re.compile(rf"/parc-de-logements\?campaignIds={campaign.pk}$"))
    expect(page.locator("#housing-results-title")).to_have_text(
        re.compile(r"^3 logements \(3 propriétaires\)")
    )
    table = page.locator("#housing-table")
    for number in (1, 2, 3):
        expect(table).to_contain_text(f"{number} RUE DE BELLAING")
    expect(table).not_to_contain_text("4 RUE DE BELLAING")
    assert page.errors == []
