import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in
from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(tempfile.gettempdir())  # looked at by hand when the layout changes


@pytest.fixture
def agent():
    commune = CommuneFactory(code="59178", name="Douai")
    establishment = EstablishmentFactory(name="Communauté d’Agglomération du Douaisis", communes=[commune])
    HousingFactory.create_batch(2, geo_code="59178")
    return UserFactory(establishment=establishment, first_name="Camille", last_name="Martin")


def dsfr_is_running(page) -> bool:
    """DSFR's JS marks the root element once its engine started; fonts come from our static files."""
    return page.evaluate(
        "async () => { await document.fonts.ready;"
        " return document.documentElement.hasAttribute('data-fr-js')"
        " && document.fonts.check('16px Marianne'); }"
    )


def test_sign_in_from_home_on_a_desktop(page, live_server, agent):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/connexion$"))
    expect(page.get_by_role("heading", name="Connexion à Zéro Logement Vacant")).to_be_visible()

    sign_in(page, agent)

    expect(page).to_have_url(f"{live_server.url}/parc-de-logements")
    expect(page.get_by_role("heading", name="Parc de logements", level=1)).to_be_visible()
    expect(page.get_by_role("main").get_by_text("Communauté d’Agglomération du Douaisis")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("2 logements")
    expect(page.get_by_role("link", name="Je donne mon avis")).to_be_visible()
    assert dsfr_is_running(page)
    page.screenshot(path=SCREENSHOTS / "zlv_parc_desktop.png", full_page=True)

    # DSFR's JS drives the dropdowns: the account menu opens on click.
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_hidden()
    page.get_by_role("button", name=re.compile("Camille Martin")).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    page.wait_for_timeout(400)  # let the DSFR opening transition end before the screenshot
    page.screenshot(path=SCREENSHOTS / "zlv_account_menu_desktop.png")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/connexion$"))
    expect(page.get_by_text("Vous êtes déconnecté(e).")).to_be_visible()
    assert page.errors == []  # no CSP violation, no script error


def test_sign_in_page_and_menu_on_a_phone(new_page, agent):
    page = new_page(PHONE)
    page.goto("/connexion")
    page.screenshot(path=SCREENSHOTS / "zlv_sign_in_phone.png", full_page=True)
    no_horizontal_scroll = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_horizontal_scroll)

    sign_in(page, agent)

    expect(page.get_by_role("heading", name="Parc de logements", level=1)).to_be_visible()
    assert page.evaluate(no_horizontal_scroll)
    assert dsfr_is_running(page)
    page.screenshot(path=SCREENSHOTS / "zlv_parc_phone.png", full_page=True)
    # On a phone the navigation and the header tools live behind the "Menu" button.
    page.get_by_role("button", name="Menu", exact=True).click()
    menu = page.locator("#menu-principal-modale")
    expect(menu.get_by_role("link", name="Campagnes")).to_be_visible()
    expect(menu.get_by_role("link", name="Je donne mon avis")).to_be_visible()
    menu.get_by_role("button", name=re.compile("Camille Martin")).click()
    expect(menu.get_by_role("button", name="Se déconnecter")).to_be_visible()
    page.wait_for_timeout(400)  # let the DSFR opening transition end before the screenshot
    page.screenshot(path=SCREENSHOTS / "zlv_menu_phone.png")
    assert page.errors == []


def test_wrong_password_shows_the_french_message(page, agent):
    sign_in(page, agent, password="pas-le-bon")

    expect(page.get_by_role("alert")).to_contain_text("Adresse e-mail ou mot de passe incorrect.")
    expect(page).to_have_url(re.compile(r"/connexion$"))
    expect(page.get_by_label("Adresse e-mail")).to_have_value(agent.email)
    page.screenshot(path=SCREENSHOTS / "zlv_sign_in_error_desktop.png", full_page=True)


def test_switch_establishment_from_the_account_menu(signed_in_page, agent):
    from zlv.accounts.models import Membership

    other = EstablishmentFactory(name="Département du Nord")
    Membership.objects.create(user=agent, establishment=other)
    page = signed_in_page(agent)

    page.get_by_role("button", name=re.compile("Camille Martin")).click()
    expect(page.get_by_role("button", name="Département du Nord")).to_be_visible()
    page.wait_for_timeout(400)  # let the DSFR opening transition end before the screenshot
    page.screenshot(path=SCREENSHOTS / "zlv_switcher_desktop.png")
    page.get_by_role("button", name="Département du Nord").click()

    expect(page.get_by_text("Vous travaillez maintenant pour Département du Nord.")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("0 logement")
    assert page.errors == []
