import csv
import datetime
import io
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE
from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    OwnerFactory,
    UserFactory,
)
from zlv.teamwork import services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def group():
    douai = CommuneFactory(code="59178", name="Douai")
    establishment = EstablishmentFactory(name="Douaisis Agglo", communes=[douai])
    agent = UserFactory(establishment=establishment, first_name="Camille", last_name="Martin")
    housings = [HousingFactory(geo_code="59178", address_dgfip=f"{n} RUE DE BELLAING") for n in (1, 2)]
    for housing in housings:
        HousingOwnerFactory(housing=housing, owner=OwnerFactory(full_name="DURAND/MARIE"), rank=1)
    return services.group_create(
        establishment=establishment,
        by=agent,
        title="Centre-ville",
        description="Logements vacants du centre",
        filters_or_ids=[h.pk for h in housings],
    )


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_export_csv_from_the_group_page_starts_a_download(signed_in_page, group, viewport):
    page = signed_in_page(group.created_by, **({"viewport": viewport} if viewport else {}))
    page.errors.clear()
    page.goto(f"/groupes/{group.pk}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    button = page.get_by_role("link", name="Exporter (CSV)")
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    today = datetime.date.today().strftime("%Y%m%d")
    assert download.suggested_filename == f"{today}-centre-ville.csv"
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert [row[5] for row in rows[1:]] == ["1 RUE DE BELLAING", "2 RUE DE BELLAING"]
    assert page.errors == []


def test_export_buttons_are_reachable_with_the_keyboard(signed_in_page, group):
    page = signed_in_page(group.created_by)
    page.goto(f"/groupes/{group.pk}")
    link = page.get_by_role("link", name="Exporter (CSV)")
    for _ in range(60):
        page.keyboard.press("Tab")
        if link.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("« Exporter (CSV) » n’est pas atteignable au clavier.")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    assert download_info.value.suggested_filename.endswith("-centre-ville.csv")
