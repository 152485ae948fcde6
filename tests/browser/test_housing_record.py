import datetime
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    OwnerFactory,
    UserFactory,
)
from zlv.accounts.services import system_user
from zlv.housing import services
from zlv.housing.models import Building, Event, Note

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(tempfile.gettempdir())  # looked at by hand when the layout changes
NO_HORIZONTAL_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(autouse=True)
def _offline_map(settings):
    """No base map: the point is drawn on a plain background and nothing reaches the network."""
    settings.MAP_STYLE_URL = ""


@pytest.fixture
def record_page(signed_in_page):
    """A signed-in page whose error log starts empty: only the record pages' own errors count."""

    def make(user, **options):
        page = signed_in_page(user, **options)
        page.errors.clear()
        return page

    return make


@pytest.fixture
def agent():
    douai = CommuneFactory(code="59178", name="Douai")
    establishment = EstablishmentFactory(name="Communauté d’Agglomération du Douaisis", communes=[douai])
    return UserFactory(establishment=establishment, first_name="Camille", last_name="Martin")


@pytest.fixture
def housing(agent):
    housing = HousingFactory(
        geo_code="59178",
        address_dgfip="12 RUE DE BELLAING, DOUAI",
        latitude=50.3703,
        longitude=3.0794,
        housing_kind="APPART",
        living_area=54,
        rooms_count=3,
        building=Building.objects.create(id="59178000A0001", housing_count=8, vacant_housing_count=3),
        building_year=1932,
        status=2,
        sub_status="Intérêt potentiel / En réflexion",
        data_file_years=["lovac-2024", "lovac-2025"],
    )
    owner = OwnerFactory(
        full_name="LEFEBVRE/MARIE LOUISE",
        birth_date=datetime.date(1950, 1, 2),
        address_dgfip="4 PLACE D ARMES 59500 DOUAI",
        email="marie.lefebvre@example.test",
    )
    HousingOwnerFactory(
        housing=housing, owner=owner, rank=1, property_right="proprietaire-entier", locprop_source=1
    )
    HousingOwnerFactory(
        housing=housing, owner=OwnerFactory(full_name="SCI DES LILAS", kind="sci-copro"), rank=2
    )
    HousingOwnerFactory(housing=housing, owner=OwnerFactory(full_name="MARTIN/PAUL"), rank=0)
    Event.objects.create(
        kind="housing:created",
        housing=housing,
        new={"source": "lovac-2024", "occupancy": "Vacant"},
        created_by=system_user(),
    )
    Event.objects.create(
        kind="housing:status-updated",
        housing=housing,
        old={"status": "Non suivi"},
        new={"status": "Premier contact", "subStatus": "Intérêt potentiel / En réflexion"},
        created_by=agent,
    )
    Note.objects.create(
        housing=housing, content="Appel de la propriétaire : travaux prévus.", created_by=agent
    )
    return housing


def test_record_draws_the_mini_map_and_filters_the_history(record_page, agent, housing):
    page = record_page(agent)
    page.goto(f"/logements/{housing.pk}")

    expect(page.get_by_role("heading", name="12 RUE DE BELLAING, DOUAI", level=1)).to_be_visible()
    map_container = page.locator("[data-zlv-housing-map]")
    expect(map_container.locator("canvas.maplibregl-canvas")).to_have_count(1)
    expect(map_container).to_have_attribute("data-zlv-map-loaded", "true", timeout=15_000)
    canvas_size = map_container.locator("canvas").bounding_box()
    assert canvas_size["width"] > 200 and canvas_size["height"] > 200
    page.screenshot(path=SCREENSHOTS / "zlv_housing_record_desktop.png", full_page=True)

    page.get_by_role("tab", name="Suivi").click()
    expect(page.get_by_role("heading", name="Suivi du logement")).to_be_visible()
    page.wait_for_timeout(400)  # let the DSFR tab transition end before the screenshot
    page.screenshot(path=SCREENSHOTS / "zlv_housing_record_follow_up_desktop.png")
    page.get_by_role("tab", name="Notes et historique").click()
    history = page.locator("#historique-logement")
    expect(history).to_contain_text("a rédigé une note")
    expect(history).to_contain_text("Zéro Logement Vacant (import LOVAC) a ajouté ce logement")
    page.wait_for_timeout(400)
    page.screenshot(path=SCREENSHOTS / "zlv_housing_record_history_all_desktop.png")
    page.get_by_text("Mises à jour", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?type=update$"))
    expect(history).not_to_contain_text("a rédigé une note")
    expect(history).to_contain_text("a mis à jour le statut de suivi")
    page.get_by_text("Notes", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?type=note$"))
    expect(history).to_contain_text("Appel de la propriétaire : travaux prévus.")
    expect(history).not_to_contain_text("a mis à jour")
    expect(history.get_by_text("Appel de la propriétaire : travaux prévus.")).to_be_visible()
    page.wait_for_timeout(400)  # let the DSFR tab transition end before the screenshot
    page.screenshot(path=SCREENSHOTS / "zlv_housing_record_history_desktop.png", full_page=True)

    # Reloading the pushed URL opens the history tab with the same filter.
    page.reload()
    expect(page.get_by_role("tab", name="Notes et historique")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#historique-type-note")).to_be_checked()

    page.get_by_role("link", name="LEFEBVRE Marie Louise").click()
    expect(page.get_by_role("heading", name="LEFEBVRE Marie Louise", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="12 RUE DE BELLAING, DOUAI")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "zlv_owner_record_desktop.png", full_page=True)
    assert page.errors == []  # no CSP violation, no script error


def test_record_on_a_phone(record_page, agent, housing):
    page = record_page(agent, viewport=PHONE)
    page.goto(f"/logements/{housing.pk}")

    expect(page.locator("[data-zlv-housing-map]")).to_have_attribute(
        "data-zlv-map-loaded", "true", timeout=15_000
    )
    assert page.evaluate(NO_HORIZONTAL_SCROLL)
    page.screenshot(path=SCREENSHOTS / "zlv_housing_record_phone.png", full_page=True)
    page.goto(f"/proprietaires/{housing.owner_links.get(rank=1).owner_id}")
    assert page.evaluate(NO_HORIZONTAL_SCROLL)
    page.screenshot(path=SCREENSHOTS / "zlv_owner_record_phone.png", full_page=True)
    assert page.errors == []


def test_record_without_coordinates_says_so(record_page, agent):
    housing = HousingFactory(geo_code="59178", latitude=None, longitude=None)
    page = record_page(agent)
    page.goto(f"/logements/{housing.pk}")

    expect(page.get_by_text("Localisation inconnue")).to_be_visible()
    expect(page.locator("canvas")).to_have_count(0)
    assert page.errors == []


def test_note_changed_meanwhile_shows_a_message_next_to_the_form(record_page, agent, housing):
    note = services.note_create(housing=housing, by=agent, content="Visite prévue.")
    page = record_page(agent)
    page.goto(f"/logements/{housing.pk}?type=note")
    page.locator(f"#note-{note.pk}").get_by_role("link", name=re.compile(r"^Modifier la note")).click()
    field = page.get_by_label("Modifier la note")
    expect(field).to_have_value("Visite prévue.")
    services.note_update(note=note, by=agent, content="Visite prévue le 12 mars.")  # another tab

    field.fill("Visite annulée.")
    page.get_by_role("button", name="Enregistrer la note").click()

    alert = page.locator(f"#note-{note.pk} .fr-alert--warning")
    expect(alert).to_contain_text("Visite prévue le 12 mars.")
    expect(page.locator(f"#note-{note.pk}")).to_contain_text("votre modification n’a pas été enregistrée")
    expect(page.get_by_label("Modifier la note")).to_have_value("Visite annulée.")
    note.refresh_from_db()
    assert note.content == "Visite prévue le 12 mars."
    assert page.errors == []
