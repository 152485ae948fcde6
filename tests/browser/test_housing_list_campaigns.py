"""Parc de logements in a real browser: the "Campagnes" column and filter, and the counts that follow
an edit from a row (zlv:refresh-counts, swapped out of band)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.test_housing_list import _no_base_map, agent, results_title  # noqa: F401 — fixtures
from zlv.campaigns.services import campaign_create
from zlv.housing.models import Housing
from zlv.teamwork.services import group_create

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/parc-de-logements"


@pytest.fixture
def campaign(agent):  # noqa: F811 — the fixture imported above
    """A campaign of the first two dwellings of the rue de Paris."""
    dwellings = Housing.objects.filter(address_dgfip__in=["1 RUE DE PARIS", "2 RUE DE PARIS"])
    group = group_create(
        establishment=agent.active_establishment,
        by=agent,
        title="Rue de Paris",
        description="Deux logements",
        filters_or_ids=[housing.pk for housing in dwellings],
    )
    return campaign_create(group=group, by=agent, title="Courrier de printemps 2026")


def test_campaign_column_and_filter(signed_in_page, agent, campaign):  # noqa: F811
    page = signed_in_page(agent)
    row = page.locator("#housing-table tbody tr").filter(
        has=page.get_by_role("link", name="1 RUE DE PARIS", exact=True)
    )
    link = row.get_by_role("link", name="Courrier de printemps 2026")
    expect(link).to_be_visible()
    expect(link).to_have_text(re.compile(r"Courrier de prin…"))
    expect(link).to_have_attribute("href", f"/campagnes/{campaign.pk}")

    page.get_by_role("button", name="Suivi et campagnes").click()
    page.locator("#filter-campaignIds").get_by_text("Courrier de printemps 2026", exact=True).click()
    expect(results_title(page)).to_have_text(re.compile(r"^2 logements \(2 propriétaires\) filtrés"))
    expect(page).to_have_url(re.compile(rf"campaignIds={campaign.pk}"))
    tag = page.get_by_role("link", name="Retirer le filtre Campagne : Courrier de printemps 2026")
    expect(tag).to_be_visible()
    tag.click()
    expect(results_title(page)).to_have_text(re.compile(r"^26 logements"))
    assert page.errors == []


def test_counts_follow_an_edit_from_a_row(signed_in_page, agent):  # noqa: F811
    page = signed_in_page(agent)
    page.goto(f"{URL}?statusList=0&dataFileYearsIncluded=lovac-2025")
    expect(results_title(page)).to_have_text(
        "9 logements (9 propriétaires) filtrés sur un total de 26 logements"
    )
    expect(page.locator("#tab-all")).to_have_text("Tous (9)")
    expect(page.locator("#tab-3")).to_have_text("Suivi en cours (0)")

    page.get_by_role("button", name="Éditer le logement 1 RUE DE PARIS", exact=True).click()
    panel = page.get_by_role("dialog", name="Éditer le logement")
    panel.get_by_role("tab", name="Suivi").click()
    panel.get_by_label("Statut de suivi *").select_option(label="Suivi en cours")
    panel.get_by_label("Sous-statut de suivi *").select_option(label="En accompagnement")
    panel.get_by_role("button", name="Enregistrer").click()
    expect(panel).to_be_hidden()

    # No filter change needed: the tabs, the sentence and the "select all" total are counted again.
    expect(results_title(page)).to_have_text(
        "8 logements (8 propriétaires) filtrés sur un total de 26 logements"
    )
    expect(page.locator("#tab-all")).to_have_text("Tous (8)")
    expect(page.locator("#tab-0")).to_have_text("Non suivi (8)")
    expect(page.locator("#tab-3")).to_have_text("Suivi en cours (0)")  # under "statusList=0"
    # The row stays (it shows what was saved) and its edit button has the focus back.
    row = page.locator("#housing-table tbody tr").filter(
        has=page.get_by_role("link", name="1 RUE DE PARIS", exact=True)
    )
    expect(row).to_contain_text("Suivi en cours")
    expect(row.get_by_role("button", name="Éditer le logement 1 RUE DE PARIS")).to_be_focused()
    page.get_by_role("button", name="Sélectionner les 8 logements").click()
    expect(page.get_by_text("8 logements sélectionnés")).to_be_visible()
    # The tabs still work after being swapped.
    page.locator("#tab-0").click()
    expect(results_title(page)).to_have_text("8 logements (8 propriétaires)")
    expect(page).to_have_url(re.compile(r"status=0"))
    assert page.errors == []


def test_the_column_fits_a_phone(signed_in_page, agent, campaign):  # noqa: F811
    """The table scrolls on its own: its hidden texts (full titles…) never widen the page."""
    page = signed_in_page(agent, viewport=PHONE)
    expect(results_title(page)).to_contain_text("26 logements")
    assert page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]") == [390, 390]
    assert page.errors == []
