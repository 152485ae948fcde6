import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory
from tests.housing.document_samples import png_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _offline_map(settings):
    settings.MAP_STYLE_URL = ""


@pytest.fixture
def agent():
    douai = CommuneFactory(code="59178", name="Douai")
    return UserFactory(establishment=EstablishmentFactory(communes=[douai]))


@pytest.fixture
def housing(agent):
    return HousingFactory(geo_code="59178", address_dgfip="12 RUE DE BELLAING, DOUAI")


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["ordinateur", "telephone"])
def test_upload_a_photo_and_see_its_thumbnail(signed_in_page, agent, housing, viewport):
    page = signed_in_page(agent, **({"viewport": viewport} if viewport else {}))
    page.errors.clear()
    page.goto(f"/logements/{housing.pk}")

    page.get_by_role("tab", name="Documents").click()
    page.get_by_label("Ajouter des documents").set_input_files(
        {"name": "façade.png", "mimeType": "image/png", "buffer": png_bytes(32, 32)}
    )
    page.get_by_role("button", name="Ajouter au logement").click()

    # Generous timeout: the upload, its checks and the swap are slow on a loaded 2-core CI machine.
    expect(page.get_by_text("Le document « façade.png » a bien été ajouté.")).to_be_visible(timeout=20_000)
    thumbnail = page.get_by_role("img", name="Aperçu de façade.png")
    expect(thumbnail).to_be_visible()
    # The image was really served and decoded (not a broken image).
    assert thumbnail.evaluate("image => image.decode().then(() => image.naturalWidth)") == 32
    assert page.errors == []


def test_a_disguised_file_is_refused_next_to_the_field(signed_in_page, agent, housing):
    page = signed_in_page(agent)
    page.goto(f"/logements/{housing.pk}")

    page.get_by_role("tab", name="Documents").click()
    page.get_by_label("Ajouter des documents").set_input_files(
        {"name": "photo.png", "mimeType": "image/png", "buffer": b"<html><script>alert(1)</script></html>"}
    )
    page.get_by_role("button", name="Ajouter au logement").click()

    expect(page.locator("#documents-fichiers-messages")).to_contain_text(
        "Le contenu de « photo.png » ne correspond pas à un fichier .png"
    )
