"""Parc de logements in a real browser: htmx filters and tabs, the selection, the map and its panel."""

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from shapely.geometry import box

from tests.browser.conftest import PHONE
from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    OwnerFactory,
    PerimeterFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(tempfile.gettempdir())  # looked at by hand when the layout changes
NO_HORIZONTAL_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(autouse=True)
def _no_base_map(settings):
    settings.MAP_STYLE_URL = ""  # no network in tests: points on a plain background


@pytest.fixture
def agent():
    douai = CommuneFactory(code="59178", name="Douai")
    sin = CommuneFactory(code="59569", name="Sin-le-Noble")
    for commune, west in ((douai, 3.05), (sin, 3.10)):
        commune.contour_wkb = box(west, 50.35, west + 0.05, 50.40).wkb
        commune.save()
    establishment = EstablishmentFactory(name="Communauté d’Agglomération du Douaisis", communes=[douai, sin])
    statuses = [0, 0, 0, 1, 2, 3, 4, 5]
    for index in range(24):
        in_douai = index % 3 != 0
        housing = HousingFactory(
            geo_code="59178" if in_douai else "59569",
            address_dgfip=f"{index + 1} RUE DE PARIS",
            status=statuses[index % len(statuses)],
            latitude=50.36 + (index % 6) * 0.006,
            longitude=(3.06 if in_douai else 3.11) + (index // 6) * 0.008,
            data_file_years=["lovac-2025"],
        )
        HousingOwnerFactory(housing=housing, owner=OwnerFactory(full_name=f"LEFEBVRE/MARIE {index}"))
    # Two dwellings at one address: the panel lists both.
    for floor in (1, 2):
        housing = HousingFactory(
            geo_code="59178",
            address_dgfip="12 PLACE D'ARMES",
            local_id=f"5917800000{floor}",
            status=2,
            sub_status="En pré-accompagnement",
            latitude=50.371,
            longitude=3.081,
            data_file_years=["lovac-2025"],
        )
        HousingOwnerFactory(housing=housing, owner=OwnerFactory(full_name=f"MARTIN/PAUL {floor}"))
    return UserFactory(establishment=establishment, first_name="Camille", last_name="Martin")


def results_title(page):
    return page.locator("#housing-results-title")


def test_filters_tabs_and_selection_on_a_desktop(signed_in_page, agent):
    page = signed_in_page(agent)
    expect(page.get_by_role("heading", name="Parc de logements", level=1)).to_be_visible()
    expect(results_title(page)).to_have_text(
        "26 logements (26 propriétaires) filtrés sur un total de 26 logements"
    )
    page.screenshot(path=SCREENSHOTS / "zlv_housing_list_desktop.png", full_page=True)

    # Status tab: htmx swaps the results and pushes the URL.
    page.get_by_role("link", name=re.compile(r"^Premier contact")).click()
    expect(results_title(page)).to_have_text("5 logements (5 propriétaires)")
    expect(page).to_have_url(re.compile(r"status=2"))
    expect(page.locator("#housing-table tbody tr")).to_have_count(5)
    # With the keyboard: the activated tab keeps the focus after the swap.
    page.locator("#tab-1").focus()
    page.keyboard.press("Enter")
    expect(results_title(page)).to_have_text("3 logements (3 propriétaires)")
    expect(page.locator("#tab-1")).to_be_focused()
    # Back returns to the previous tab (the server renders it again: htmx keeps no copy).
    page.go_back()
    expect(results_title(page)).to_have_text("5 logements (5 propriétaires)")
    page.get_by_role("link", name=re.compile(r"^Tous")).click()

    # Filter by status in the side menu: ticking applies at once.
    page.get_by_role("button", name="Suivi et campagnes").click()
    page.locator("#filter-statusList").get_by_text("Non suivi", exact=True).click()
    expect(results_title(page)).to_have_text(re.compile(r"^9 logements \(9 propriétaires\) filtrés"))
    expect(page).to_have_url(re.compile(r"statusList=0"))
    expect(page.get_by_role("link", name="Retirer le filtre Statut de suivi : Non suivi")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Suivi et campagnes"))).to_contain_text("1")
    # Space on a focused box applies it too, and the focus stays in the menu.
    in_progress = page.locator("#filter-statusList").get_by_label("Suivi en cours")
    in_progress.focus()
    page.keyboard.press("Space")
    expect(results_title(page)).to_have_text(re.compile(r"^12 logements"))
    expect(in_progress).to_be_focused()
    page.keyboard.press("Space")
    expect(results_title(page)).to_have_text(re.compile(r"^9 logements"))
    # Sub-statuses follow the ticked statuses; the vacancy year waits for "Vacant".
    expect(page.locator("#filter-subStatus").get_by_text("En pré-accompagnement")).to_be_hidden()
    vacancy_2023 = page.locator("#filter-vacancyYears").get_by_label("2023")
    expect(vacancy_2023).to_be_disabled()
    page.locator("#filter-occupancies").get_by_text("Vacant", exact=True).click()
    expect(vacancy_2023).to_be_enabled()

    # Filter by commune: the picker suggests the communes of the perimeter as one types.
    page.get_by_role("button", name="Localisation").click()
    picker = page.get_by_role("combobox", name=re.compile(r"^Ajouter une commune"))
    picker.fill("sin")
    page.get_by_role("option", name="Sin-le-Noble (59569)").click()
    expect(results_title(page)).to_have_text(re.compile(r"^3 logements \(3 propriétaires\) filtrés"))
    expect(page).to_have_url(re.compile(r"localities=59569"))
    expect(page.get_by_role("button", name="Retirer la commune Sin-le-Noble")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "zlv_housing_list_filtered_desktop.png", full_page=True)

    # Removing a tag updates the side menu too.
    page.get_by_role("link", name="Retirer le filtre Commune : Sin-le-Noble").click()
    expect(results_title(page)).to_have_text(re.compile(r"^9 logements"))
    expect(page.get_by_role("button", name="Retirer la commune Sin-le-Noble")).to_have_count(0)
    page.get_by_role("link", name="Réinitialiser les filtres").first.click()
    expect(results_title(page)).to_have_text(re.compile(r"^26 logements"))

    # Selection: rows, then "all N" with an exclusion, kept across a reload.
    rows = page.locator("[data-zlv-select-row]")
    rows.nth(0).check(force=True)
    rows.nth(1).check(force=True)
    expect(page.locator("[data-zlv-selection-count]")).to_have_text("2 logements sélectionnés")
    page.get_by_role("button", name="Sélectionner les 26 logements").click()
    rows.nth(0).uncheck(force=True)
    expect(page.locator("[data-zlv-selection-count]")).to_have_text("25 logements sélectionnés")
    query = page.locator("[data-zlv-results]").get_attribute("data-zlv-selection-query")
    assert "all=true" in query and "housingIds=" in query
    page.reload()
    expect(page.locator("[data-zlv-selection-count]")).to_have_text("25 logements sélectionnés")
    assert page.errors == []


def test_map_draws_points_and_opens_the_panel(signed_in_page, agent, live_server):
    page = signed_in_page(agent)
    page.get_by_role("link", name="Carte").click()
    expect(page).to_have_url(re.compile(r"view=map"))
    page.go_back()
    expect(page.locator("#housing-table")).to_be_visible()
    page.go_forward()
    container = page.locator("#housing-map")
    expect(container).to_have_attribute("data-zlv-map-loaded", "true", timeout=15_000)
    assert int(container.get_attribute("data-zlv-rendered-features")) > 0
    page.screenshot(path=SCREENSHOTS / "zlv_housing_map_clusters_desktop.png", full_page=True)

    # Zoom on the two-dwelling address: clusters give way to addresses.
    page.evaluate(
        "document.getElementById('housing-map').removeAttribute('data-zlv-map-loaded');"
        "document.getElementById('housing-map').zlvMap.jumpTo({center: [3.081, 50.371], zoom: 16})"
    )
    expect(container).to_have_attribute("data-zlv-map-loaded", "true", timeout=15_000)
    point = page.evaluate(
        """() => {
            const map = document.getElementById('housing-map').zlvMap;
            const feature = map.queryRenderedFeatures({layers: ['housing-points']})
                .find((f) => f.properties.count === 2);
            const pixel = map.project(feature.geometry.coordinates);
            return {x: pixel.x, y: pixel.y};
        }"""
    )
    container.scroll_into_view_if_needed()
    bounds = container.bounding_box()
    page.mouse.click(bounds["x"] + point["x"], bounds["y"] + point["y"])
    panel = page.locator("#housing-map-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading")).to_have_text("12 PLACE D'ARMES")
    expect(panel.get_by_text("2 logements à cette adresse")).to_be_visible()
    links = panel.get_by_role("link", name=re.compile(r"^Logement 5917800000"))
    expect(links).to_have_count(2)
    expect(panel.get_by_text("Propriétaire : MARTIN Paul 1")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "zlv_housing_map_panel_desktop.png", full_page=True)
    href = links.first.get_attribute("href")
    assert re.fullmatch(r"/logements/\d+", href)
    response = page.goto(href)
    if response.status == 200:  # the record page is built by another engineer
        expect(page.get_by_role("heading", level=1)).to_contain_text("PLACE D'ARMES")
    assert [error for error in page.errors if "404" not in error] == []


def test_list_and_map_on_a_phone(signed_in_page, agent):
    page = signed_in_page(agent, viewport=PHONE)
    expect(results_title(page)).to_contain_text("26 logements")
    assert page.evaluate(NO_HORIZONTAL_SCROLL)
    page.screenshot(path=SCREENSHOTS / "zlv_housing_list_phone.png", full_page=True)
    page.get_by_role("button", name="Filtres").click()
    page.get_by_role("button", name="Suivi et campagnes").click()
    page.screenshot(path=SCREENSHOTS / "zlv_housing_list_filters_phone.png")
    page.get_by_role("link", name="Carte").click()
    expect(page.locator("#housing-map")).to_have_attribute("data-zlv-map-loaded", "true", timeout=15_000)
    assert page.evaluate(NO_HORIZONTAL_SCROLL)
    page.screenshot(path=SCREENSHOTS / "zlv_housing_map_phone.png", full_page=True)
    assert page.errors == []


def test_commune_picker_with_the_keyboard(signed_in_page, agent):
    page = signed_in_page(agent)
    page.get_by_role("button", name="Localisation").click()
    picker = page.get_by_role("combobox", name=re.compile(r"^Ajouter une commune"))

    picker.focus()
    page.keyboard.type("DOUAÏ")  # accents and case do not matter
    expect(picker).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("option", name="Douai (59178)")).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(picker).to_have_attribute("aria-activedescendant", "filter-localities-listbox-59178")
    page.keyboard.press("Enter")

    expect(results_title(page)).to_have_text(re.compile(r"^18 logements \(18 propriétaires\) filtrés"))
    expect(picker).to_have_value("")
    expect(picker).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("button", name=re.compile(r"^Localisation"))).to_contain_text("1")
    # A chosen commune is not suggested again; a code finds a commune too.
    picker.fill("59")
    expect(page.get_by_role("option")).to_have_count(1)
    expect(page.get_by_role("option")).to_have_text("Sin-le-Noble (59569)")
    page.keyboard.press("Escape")
    expect(page.get_by_role("option")).to_have_count(0)
    # Tab reaches the tag; Enter removes it and the focus stays in the picker.
    picker.fill("")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Retirer la commune Douai")).to_be_focused()
    page.keyboard.press("Enter")
    expect(results_title(page)).to_have_text(re.compile(r"^26 logements"))
    expect(picker).to_be_focused()
    expect(page).not_to_have_url(re.compile(r"localities="))
    assert page.errors == []


def test_edit_a_status_from_a_row_and_see_the_row_updated(signed_in_page, agent):
    page = signed_in_page(agent)
    row = page.locator("#housing-table tbody tr").filter(
        has=page.get_by_role("link", name="1 RUE DE PARIS", exact=True)
    )
    expect(row).to_contain_text("Non suivi")
    edit = row.get_by_role("button", name="Éditer le logement 1 RUE DE PARIS")
    edit.focus()
    page.keyboard.press("Enter")

    panel = page.get_by_role("dialog", name="Éditer le logement")
    expect(panel).to_be_visible()
    expect(panel.get_by_text("1 RUE DE PARIS", exact=True)).to_be_visible()
    panel.get_by_role("tab", name="Suivi").click()
    panel.get_by_label("Statut de suivi *").select_option(label="Suivi en cours")
    sub_status = panel.get_by_label("Sous-statut de suivi *")
    expect(sub_status).to_be_visible()
    sub_status.select_option(label="En accompagnement")
    panel.get_by_role("tab", name="Informations sur le logement").click()
    panel.get_by_label("Occupation actuelle").select_option(label="En location")
    panel.get_by_role("button", name="Enregistrer").click()

    expect(panel).to_be_hidden()
    expect(row).to_contain_text("Suivi en cours")
    expect(row).to_contain_text("En accompagnement")
    expect(row).to_contain_text("En location")
    expect(row.get_by_role("button", name="Éditer le logement 1 RUE DE PARIS")).to_be_focused()
    expect(page.locator("#housing-live")).to_have_text(
        "Les modifications du logement ont bien été enregistrées."
    )
    # The list stays where it was (no page load, same URL); a reload shows the saved status.
    expect(page).to_have_url(re.compile(r"/parc-de-logements$"))
    page.reload()
    expect(row).to_contain_text("Suivi en cours")
    page.screenshot(path=SCREENSHOTS / "zlv_housing_list_row_edited_desktop.png", full_page=True)
    assert page.errors == []


def test_an_invalid_edit_from_a_row_keeps_the_panel_open_with_its_errors(signed_in_page, agent):
    page = signed_in_page(agent)
    page.get_by_role("button", name="Éditer le logement 1 RUE DE PARIS", exact=True).click()
    panel = page.get_by_role("dialog", name="Éditer le logement")
    panel.get_by_role("tab", name="Suivi").click()
    panel.get_by_label("Statut de suivi *").select_option(label="Suivi en cours")
    expect(panel.get_by_label("Sous-statut de suivi *")).to_be_visible()
    panel.get_by_role("button", name="Enregistrer").click()  # no sub-status chosen

    expect(panel.get_by_text("Les modifications n’ont pas été enregistrées")).to_be_visible()
    expect(panel).to_be_visible()
    row = page.locator("#housing-table tbody tr").filter(
        has=page.get_by_role("link", name="1 RUE DE PARIS", exact=True)
    )
    expect(row).to_contain_text("Non suivi")
    assert [error for error in page.errors if "422" not in error] == []


def test_visitors_have_no_edit_button(signed_in_page, agent):
    visitor = UserFactory(establishment=agent.active_establishment, establishment__role="visitor")
    page = signed_in_page(visitor)
    expect(results_title(page)).to_contain_text("26 logements")
    expect(page.get_by_role("button", name=re.compile(r"^Éditer"))).to_have_count(0)
    assert page.errors == []


def test_map_without_clusters_and_with_the_keyboard(signed_in_page, agent):
    page = signed_in_page(agent)
    with page.expect_response(lambda response: response.url.endswith("/contour.geojson")) as outline:
        page.goto("/parc-de-logements?view=map")
    assert outline.value.status == 200 and "max-age=3600" in outline.value.headers["cache-control"]
    container = page.locator("#housing-map")
    expect(container).to_have_attribute("data-zlv-map-loaded", "true", timeout=15_000)
    assert page.evaluate("!!document.getElementById('housing-map').zlvMap.getSource('perimeter')")
    rendered = """(layer) => document.getElementById('housing-map').zlvMap
        .queryRenderedFeatures({layers: [layer]}).length"""
    # At the perimeter's zoom the server groups the dwellings; the list offers the groups.
    assert page.evaluate("document.getElementById('housing-map').zlvMap.getZoom()") < 14
    assert page.evaluate(rendered, "housing-clusters") > 0
    entries = page.locator("#housing-map-list").get_by_role("button")
    expect(entries.first).to_have_text(re.compile(r"^Groupe de \d+ logements? : zoomer dessus$"))

    # "Regrouper les logements" off: every address of the view, at the same zoom.
    page.evaluate("document.getElementById('housing-map').removeAttribute('data-zlv-map-loaded')")
    page.get_by_text("Regrouper les logements").click()
    expect(container).to_have_attribute("data-zlv-map-loaded", "true", timeout=15_000)
    assert page.evaluate(rendered, "housing-clusters") == 0
    assert page.evaluate(rendered, "housing-points") == 25  # 26 dwellings, two at one address
    expect(entries).to_have_count(25)
    expect(page.locator("[data-zlv-map-list-summary]")).to_have_text("25 adresses dans la zone affichée.")
    page.screenshot(path=SCREENSHOTS / "zlv_housing_map_points_desktop.png", full_page=True)

    # The keyboard reaches the list from the toggle, and an entry opens the same panel as a click.
    page.locator("#housing-map-cluster").focus()
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#housing-map-list') !== null"):
            break
    else:
        pytest.fail("La liste des adresses n’est pas atteignable au clavier.")
    entry = entries.filter(has_text="12 PLACE D'ARMES")
    expect(entry).to_have_text("12 PLACE D'ARMES · 2 logements · Premier contact")
    entry.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#housing-map-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading")).to_have_text("12 PLACE D'ARMES")
    expect(panel.get_by_role("heading")).to_be_focused()
    expect(panel.get_by_role("link", name=re.compile(r"^Logement 5917800000"))).to_have_count(2)
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(entry).to_be_focused()

    # A filter change keeps the choice and refreshes the list.
    page.evaluate("document.getElementById('housing-map').removeAttribute('data-zlv-map-loaded')")
    page.get_by_role("link", name=re.compile(r"^Premier contact")).click()
    expect(container).to_have_attribute("data-zlv-map-loaded", "true", timeout=15_000)
    expect(page.locator("#housing-map-cluster")).not_to_be_checked()
    expect(entries).to_have_count(4)  # three single addresses and the shared one
    assert page.errors == []


RENDERED = (
    "(layer) => document.getElementById('housing-map').zlvMap.queryRenderedFeatures({layers: [layer]}).length"
)


def rendered_count(page, layer) -> int:
    """Features of `layer` drawn once the map has settled."""
    page.wait_for_function(
        """(layer) => new Promise((resolve) => {
            const map = document.getElementById('housing-map').zlvMap;
            map.once('idle', () => resolve(true));
            map.triggerRepaint();
        })""",
        arg=layer,
    )
    return page.evaluate(RENDERED, layer)


def open_map(page, url):
    """The map of `url`, once drawn."""
    page.goto(url)
    container = page.locator("#housing-map")
    expect(container).to_have_attribute("data-zlv-map-loaded", "true", timeout=15_000)
    return container


def test_without_a_base_map_the_map_draws_its_own_communes(signed_in_page, agent):
    neighbour = CommuneFactory(code="59170", name="Dechy", center_longitude=3.125, center_latitude=50.34)
    neighbour.contour_wkb = box(3.10, 50.30, 3.15, 50.35).wkb
    neighbour.save()
    page = signed_in_page(agent)
    with page.expect_response(lambda response: response.url.endswith("/communes.geojson")) as communes:
        container = open_map(page, "/parc-de-logements?view=map")
    assert communes.value.status == 200 and "max-age=3600" in communes.value.headers["cache-control"]

    expect(container).to_have_attribute("data-zlv-map-base", "communes")
    assert rendered_count(page, "communes-line") >= 3  # Douai, Sin-le-Noble and their neighbour Dechy
    assert rendered_count(page, "communes-fill") >= 3
    assert rendered_count(page, "communes-label") >= 2  # named, with local fonts (no glyph server)
    assert int(container.get_attribute("data-zlv-rendered-features")) > 0  # dwellings drawn on top
    page.screenshot(path=SCREENSHOTS / "zlv_housing_map_communes_desktop.png", full_page=True)
    assert page.errors == []


def test_an_unreachable_base_map_gives_way_to_the_communes(signed_in_page, agent, settings, live_server):
    settings.MAP_STYLE_URL = f"{live_server.url}/static/introuvable/style.json"
    page = signed_in_page(agent)
    container = open_map(page, "/parc-de-logements?view=map")

    expect(container).to_have_attribute("data-zlv-map-base", "communes")
    assert page.evaluate("!!document.getElementById('housing-map').zlvMap.getLayer('communes-label')")
    assert rendered_count(page, "communes-line") >= 2
    assert int(container.get_attribute("data-zlv-rendered-features")) > 0


def test_the_perimeters_of_the_filter_are_drawn_on_the_map(signed_in_page, agent):
    mine = agent.active_establishment
    PerimeterFactory(establishment=mine, name="Centre", kind="ORT", min_longitude=3.06, max_longitude=3.09)
    PerimeterFactory(establishment=mine, name="Autre type", kind="OPAH")
    PerimeterFactory(establishment=EstablishmentFactory(), name="Pas le nôtre", kind="ORT")
    page = signed_in_page(agent)
    container = open_map(page, "/parc-de-logements?view=map&geoPerimetersIncluded=ORT")

    expect(container).to_have_attribute("data-zlv-filter-perimeters", "1")
    assert rendered_count(page, "filter-perimeters-line") > 0
    assert rendered_count(page, "filter-perimeters-excluded-line") == 0
    page.screenshot(path=SCREENSHOTS / "zlv_housing_map_filter_perimeters_desktop.png", full_page=True)
    assert page.errors == []
