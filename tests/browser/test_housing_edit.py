import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _offline_map(settings):
    settings.MAP_STYLE_URL = ""


@pytest.fixture
def agent():
    douai = CommuneFactory(code="59178", name="Douai")
    establishment = EstablishmentFactory(communes=[douai])
    return UserFactory(establishment=establishment, first_name="Camille", last_name="Martin")


@pytest.fixture
def housing(agent):
    return HousingFactory(geo_code="59178", address_dgfip="12 RUE DE BELLAING, DOUAI", status=1)


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["ordinateur", "telephone"])
def test_edit_a_status_from_the_record_and_see_it_in_the_history(signed_in_page, agent, housing, viewport):
    page = signed_in_page(agent, **({"viewport": viewport} if viewport else {}))
    page.errors.clear()
    page.goto(f"/logements/{housing.pk}")

    page.get_by_role("button", name="Éditer").click()
    panel = page.get_by_role("dialog", name="Éditer le logement")
    expect(panel).to_be_visible()
    panel.get_by_role("tab", name="Suivi").click()
    panel.get_by_label("Statut de suivi *").select_option(label="Suivi en cours")
    # The sub-status options arrive with htmx for the chosen status.
    sub_status = panel.get_by_label("Sous-statut de suivi *")
    expect(sub_status).to_be_visible()
    sub_status.select_option(label="En accompagnement")
    panel.get_by_role("button", name="Enregistrer").click()

    expect(panel).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="ont bien été enregistrées")).to_be_visible()
    expect(page.locator("#zlv-record-header")).to_contain_text("Suivi en cours")
    page.get_by_role("tab", name="Notes et historique").click()
    history = page.locator("#historique-logement")
    expect(history).to_contain_text("Camille Martin a mis à jour le statut de suivi")
    expect(history).to_contain_text("Statut de suivi : En attente de retour → Suivi en cours")
    assert page.errors == []


def test_keyboard_opens_the_panel_and_escape_closes_it(signed_in_page, agent, housing):
    page = signed_in_page(agent)
    page.goto(f"/logements/{housing.pk}")
    page.get_by_role("button", name="Éditer").focus()
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog", name="Éditer le logement")
    expect(panel.get_by_label("Occupation actuelle *")).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page.get_by_role("button", name="Éditer")).to_be_focused()
    assert re.search(r"/logements/\d+$", page.url)
