"""Every page a new user reaches fits the screen, on a phone (390 px) and a desktop (1280 px).

The page never scrolls sideways (tables scroll inside their DSFR wrapper) and no tab label is cut.
The pages come from the navigation itself, so that a new entry is checked without touching this
test, plus every object page behind them, filled so that none is empty.
"""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    OwnerFactory,
    UserFactory,
)
from zlv.accounts.enums import Role
from zlv.campaigns.services import campaign_create
from zlv.geo.perimeter_services import perimeter_create_from_upload
from zlv.housing.models import Housing
from zlv.housing.services import note_create
from zlv.teamwork.models import ExportJob
from zlv.teamwork.services import group_create

pytestmark = pytest.mark.django_db(transaction=True)

# The elements that stick out of the window, outermost first, unless a scrolling or clipping
# ancestor (a table wrapper) keeps them inside; `null` when the page fits.
PAGE_OVERFLOW = """() => {
    // Without the room a classic vertical scrollbar takes.
    const width = Math.min(window.innerWidth, document.documentElement.clientWidth);
    if (document.documentElement.scrollWidth <= width) return null;
    // Whether a scrolling or clipping box keeps the element inside: only the boxes it is positioned
    // in count (an absolute element escapes the scrolling boxes between it and its positioned ancestor).
    const clipped = (element) => {
        let box = element;
        for (let parent = element.parentElement; parent !== document.body; parent = parent.parentElement) {
            const position = getComputedStyle(box).position;
            if (position === "fixed") return false;
            if (position === "absolute" && getComputedStyle(parent).position === "static") continue;
            if (getComputedStyle(parent).overflowX !== "visible") return true;
            box = parent;
        }
        return false;
    };
    const name = (element) => element.tagName.toLowerCase()
        + (element.id ? "#" + element.id : "")
        + [...element.classList].map((c) => "." + c).join("")
        + ` (${Math.round(element.getBoundingClientRect().width)} px) « `
        + (element.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60) + " »";
    const culprits = [...document.body.querySelectorAll("*")].filter(
        (element) => element.getBoundingClientRect().right > width + 1 && !clipped(element)
    );
    const outermost = culprits.filter((element) => !culprits.includes(element.parentElement));
    return {
        scrollWidth: document.documentElement.scrollWidth,
        elements: outermost.slice(0, 3).map(name),
    };
}"""

# The tabs (DSFR tabs and the status tabs) whose label is cut: by the tab itself, by the window, or
# by an ancestor that hides what overflows it without showing that it scrolls (a scrollbar that takes
# room, or the DSFR tabs' shadow on the side of the hidden tabs).
CUT_TABS = """() => {
    const scrollsVisibly = (box, side) => box.offsetHeight - box.clientHeight > 4
        || box.closest(`.fr-tabs__shadow--${side}`) !== null;
    const cut = [];
    for (const tab of document.querySelectorAll("[role=tab], .zlv-status-tabs__tab")) {
        const tabBox = tab.getBoundingClientRect();
        if (tabBox.width === 0) continue;  // not displayed (closed modal…)
        let state = tab.scrollWidth > tab.clientWidth + 1 ? "cut" : null;
        for (let parent = tab.parentElement; parent && state === null; parent = parent.parentElement) {
            const overflow = getComputedStyle(parent).overflowX;
            if (overflow === "visible") continue;
            const frame = parent.getBoundingClientRect();
            const side = tabBox.left < frame.left - 1 ? "left"
                : tabBox.right > frame.right + 1 ? "right" : null;
            if (side === null) continue;
            state = ["auto", "scroll"].includes(overflow) && scrollsVisibly(parent, side) ? "scrolls" : "cut";
        }
        if (state === null && (tabBox.left < -1 || tabBox.right > window.innerWidth + 1)) state = "cut";
        if (state === "cut") cut.push(tab.textContent.trim().replace(/\\s+/g, " "));
    }
    return cut;
}"""

SQUARE = [[3.07, 50.36], [3.09, 50.36], [3.09, 50.38], [3.07, 50.38], [3.07, 50.36]]


@pytest.fixture(autouse=True)
def _no_base_map(settings):
    settings.MAP_STYLE_URL = ""  # no network in tests


@pytest.fixture
def admin():
    douai = CommuneFactory(code="59178", name="Douai")
    establishment = EstablishmentFactory(
        name="Communauté d’Agglomération du Douaisis — Direction de l’habitat et du renouvellement urbain",
        communes=[douai],
    )
    return UserFactory(
        establishment=establishment,
        establishment__role=Role.ADMIN,
        first_name="Marie-Christine",
        last_name="de La Tour d’Auvergne-Lauraguais",
        email="marie-christine.delatourdauvergne@agglo-douaisis.example.test",
    )


@pytest.fixture
def pages(admin):
    """The object pages, each filled: a dwelling with owners and a note, a group, a campaign, a
    perimeter, an export, a colleague."""
    establishment = admin.active_establishment
    UserFactory(establishment=establishment, first_name="Paul", last_name="Durand")
    dwellings = []
    for number in range(1, 5):
        housing = HousingFactory(
            geo_code="59178",
            address_dgfip=f"{number} RUE DU FAUBOURG DE BETHUNE PROLONGEE, DOUAI",
            latitude=50.37,
            longitude=3.08,
            status=number % 3,
            living_area=54,
            rooms_count=3,
            building_year=1932,
        )
        owner = OwnerFactory(
            full_name=f"SOCIETE CIVILE IMMOBILIERE DES RESIDENCES DU DOUAISIS {number}",
            kind="sci-copro",
            address_dgfip="RESIDENCE LES TILLEULS BAT C ESC 4 12 AVENUE DU MARECHAL LECLERC 59500 DOUAI",
            birth_date=datetime.date(1950, 1, 2),
            email=f"gestion.residences.douaisis.{number}@example.test",
        )
        HousingOwnerFactory(housing=housing, owner=owner, rank=1, property_right="proprietaire-entier")
        HousingOwnerFactory(housing=housing, owner=OwnerFactory(full_name="LEFEBVRE/MARIE LOUISE"), rank=2)
        HousingOwnerFactory(housing=housing, owner=OwnerFactory(full_name="MARTIN/PAUL"), rank=0)
        dwellings.append(housing)
    # A territory's worth of other dwellings, so that the status tabs carry counts as long as real ones.
    statuses = [0] * 1500 + [1] * 1100 + [2] * 400 + [3] * 300 + [4] * 150 + [5] * 60
    Housing.objects.bulk_create(
        [HousingFactory.build(geo_code="59178", status=status) for status in statuses], batch_size=2000
    )
    housing = dwellings[0]
    note_create(housing=housing, by=admin, content="Appel de la propriétaire : travaux prévus au printemps.")
    group = group_create(
        establishment=establishment,
        by=admin,
        title="Centre-ville — logements vacants depuis plus de deux ans",
        description="Logements vacants du centre ancien, propriétaires personnes morales",
        filters_or_ids=[dwelling.pk for dwelling in dwellings],
    )
    campaign = campaign_create(
        group=group,
        by=admin,
        title="Courrier de printemps aux propriétaires du centre ancien",
        description="Premier envoi",
        sent_at=datetime.date(2026, 3, 2),
    )
    feature = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
        "properties": {"nom": "Opération programmée d’amélioration de l’habitat", "type": "OPAH-RU"},
    }
    upload = SimpleUploadedFile(
        "zones.geojson", json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    )
    [perimeter] = perimeter_create_from_upload(establishment=establishment, user=admin, uploaded_file=upload)
    job = ExportJob.objects.create(
        establishment=establishment,
        created_by=admin,
        total=10_000,
        done=4000,
        status="running",
        file_name="export.xlsx",
    )
    owner = housing.owner_links.get(rank=1).owner
    return [
        reverse("housing_record", args=[housing.pk]),
        reverse("housing_edit", args=[housing.pk]),
        reverse("housing_documents", args=[housing.pk]),
        reverse("housing_owners", args=[housing.pk]),
        reverse("housing_owners", args=[housing.pk]) + "?q=lefebvre",  # with the owners found
        reverse("owner_record", args=[owner.pk]),
        reverse("housing_list") + "?view=map",
        reverse("group_detail", args=[group.pk]),
        reverse("group_edit", args=[group.pk]),
        reverse("group_export", args=[group.pk]),
        reverse("campaign_create", args=[group.pk]),
        reverse("campaign_group_choice"),
        reverse("campaign_detail", args=[campaign.pk]),
        reverse("campaign_edit", args=[campaign.pk]),
        reverse("perimeter_upload"),
        reverse("perimeter_edit", args=[perimeter.pk]),
        reverse("export_selection"),
        reverse("export_job", args=[job.pk]),
    ]


@pytest.fixture
def window(browser, live_server, transactional_db):
    """A signed-in browser window of the given width. Not an emulated phone: a phone's browser widens
    its layout to whatever overflows, and the page would always seem to fit."""
    contexts = []

    def make(user, viewport):
        context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="fr-FR")
        contexts.append(context)
        return sign_in(context.new_page(), user)

    yield make
    for context in contexts:
        context.close()


def navigation_urls(page) -> list[str]:
    """The main navigation and the account menu, as a user finds them."""
    links = page.locator("#navigation-principale a[href], #menu-compte a[href]")
    return [href for href in links.evaluate_all("links => links.map(link => link.getAttribute('href'))")]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_every_page_fits_the_screen_and_shows_its_tabs_whole(window, admin, pages, viewport):
    page = window(admin, viewport)
    urls = navigation_urls(page)
    assert {"/parc-de-logements", "/groupes", "/campagnes", "/perimetres", "/equipe", "/compte"} <= set(urls)

    problems = []
    for url in dict.fromkeys(urls + pages):  # in order, once each
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
        tabs = page.get_by_role("tab")
        for index in range(-1, tabs.count()):  # the page as it opens, then with each of its tabs open
            label = url
            if index >= 0:
                tab = tabs.nth(index)
                if not tab.is_visible():
                    continue
                label = f"{url}, onglet « {tab.inner_text().strip()} »"
                tab.click()
                page.wait_for_timeout(300)  # the DSFR tab transition
            if overflow := page.evaluate(PAGE_OVERFLOW):
                problems.append(
                    f"{label} : {overflow['scrollWidth']} px de large pour {viewport['width']} px, "
                    f"à cause de {' ; '.join(overflow['elements'])}"
                )
            if cut := page.evaluate(CUT_TABS):
                problems.append(f"{label} : onglets coupés {cut}")

    assert not problems, "\n".join(problems)
