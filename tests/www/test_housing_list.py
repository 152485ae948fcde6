"""Parc de logements (/parc-de-logements): filters, tabs, counts, table, map view, htmx fragments."""

import re
from html import unescape

import pytest
from shapely.geometry import box

from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    OwnerFactory,
    PerimeterFactory,
    UserFactory,
)
from zlv.accounts.enums import Role

URL = "/parc-de-logements"
NNBSP = "\u202f"


@pytest.fixture(autouse=True)
def _no_base_map(settings):
    settings.MAP_STYLE_URL = ""


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()  # the perimeter outline is cached


@pytest.fixture
def territory(db):
    douai = CommuneFactory(code="59178", name="Douai")
    sin = CommuneFactory(code="59569", name="Sin-le-Noble")
    valenciennes = CommuneFactory(code="59606", name="Valenciennes")
    for commune, west in ((douai, 3.05), (sin, 3.10), (valenciennes, 3.50)):
        commune.contour_wkb = box(west, 50.35, west + 0.05, 50.40).wkb
        commune.save()
    establishment = EstablishmentFactory(name="CA du Douaisis", communes=[douai, sin])
    agent = UserFactory(establishment=establishment)
    other = UserFactory(establishment=EstablishmentFactory(name="Valenciennes", communes=[valenciennes]))
    return {"agent": agent, "other": other, "establishment": establishment}


def make_housing(geo_code="59178", *, owner_name=None, years=("lovac-2025",), **fields):
    housing = HousingFactory(geo_code=geo_code, data_file_years=list(years), **fields)
    HousingOwnerFactory(housing=housing, owner=OwnerFactory(full_name=owner_name or "DUPONT/JEAN"), rank=1)
    return housing


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def rows_of(response) -> list[int]:
    return [row["id"] for row in response.context["rows"]]


def tab_counts(response) -> dict[str, int]:
    return {tab["id"]: int(tab["count"].replace(NNBSP, "")) for tab in response.context["tabs"]}


@pytest.fixture
def dwellings(territory):
    """Eight dwellings of the perimeter across statuses, occupancies, communes and millésimes."""
    made = {
        "vacant_new": make_housing(owner_name="LEFÈVRE/ÉLODIE", status=0),
        "waiting": make_housing(status=1),
        "first_contact": make_housing(status=2, sub_status="En pré-accompagnement"),
        "in_progress": make_housing("59569", status=3, sub_status="En accompagnement"),
        "completed": make_housing("59569", status=4, occupancy="L", sub_status="Sortie de la vacance"),
        "blocked": make_housing(status=5, occupancy="P"),
        "rented": make_housing("59569", status=0, occupancy="L"),
        "old_millesime": make_housing(status=0, years=("lovac-2024",)),
    }
    made["theirs"] = make_housing("59606", owner_name="LEFÈVRE/ÉLODIE", status=0)
    return made


def test_counts_in_tabs_match_the_table_and_the_api(client, territory, dwellings):
    client.force_login(territory["agent"])

    response = client.get(URL, {"dataFileYearsIncluded": "lovac-2025"})

    counts = tab_counts(response)
    assert counts == {"tab-all": 7, "tab-0": 2, "tab-1": 1, "tab-2": 1, "tab-3": 1, "tab-4": 1, "tab-5": 1}
    assert len(rows_of(response)) == 7
    api = client.get("/api/v1/housing/count", {"dataFileYearsIncluded": "lovac-2025"}).json()
    assert api["housing"] == counts["tab-all"]
    assert {f"tab-{status}": count for status, count in api["by_status"].items()} == {
        key: value for key, value in counts.items() if key != "tab-all"
    }
    html = unescape(html_of(response))
    assert "7 logements (7 propriétaires) filtrés sur un total de 7 logements" in html


@pytest.mark.parametrize(
    ("status", "expected"),
    [(0, {"vacant_new", "rented"}), (1, {"waiting"}), (2, {"first_contact"}), (3, {"in_progress"})]
    + [(4, {"completed"}), (5, {"blocked"})],
)
def test_each_status_tab_lists_its_dwellings(client, territory, dwellings, status, expected):
    client.force_login(territory["agent"])

    response = client.get(URL, {"dataFileYearsIncluded": "lovac-2025", "status": status})

    assert set(rows_of(response)) == {dwellings[name].pk for name in expected}
    # The tabs keep counting every status; the sentence counts the tab, without the total.
    assert tab_counts(response)["tab-all"] == 7
    current = [tab for tab in response.context["tabs"] if tab["current"]]
    assert [tab["id"] for tab in current] == [f"tab-{status}"]
    plural = "s" if len(expected) > 1 else ""
    count = len(expected)
    assert response.context["sentence"] == f"{count} logement{plural} ({count} propriétaire{plural})"
    assert re.search(r'id="tab-5"[^>]*>Bloqué', html_of(response))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"occupancies": "L,P"}, {"completed", "blocked", "rented"}),
        ({"occupancies": ["L", "P"]}, {"completed", "blocked", "rented"}),  # as the form sends them
        ({"statusList": "3,4"}, {"in_progress", "completed"}),
        ({"statusList": "2", "subStatus": "En pré-accompagnement"}, {"first_contact"}),
        ({"localities": "59569"}, {"in_progress", "completed", "rented"}),
        ({"query": "elodie lefevre"}, {"vacant_new"}),  # accents and word order do not matter
        ({"dataFileYearsIncluded": "lovac-2024"}, {"old_millesime"}),
    ],
)
def test_filters_through_the_page(client, territory, dwellings, params, expected):
    client.force_login(territory["agent"])

    response = client.get(URL, {"dataFileYearsIncluded": "", **params})

    assert set(rows_of(response)) == {dwellings[name].pk for name in expected}
    assert response.context["errors"] == []


def test_a_pasted_list_of_identifiers_finds_those_dwellings(client, territory, dwellings):
    client.force_login(territory["agent"])
    wanted = [dwellings["waiting"], dwellings["blocked"]]

    response = client.get(URL, {"query": "\n".join(h.local_id for h in wanted)})

    assert set(rows_of(response)) == {h.pk for h in wanted}


def test_active_filters_are_removable_tags(client, territory, dwellings):
    client.force_login(territory["agent"])

    response = client.get(URL, {"occupancies": "V,L", "localities": "59569"})

    tags = {tag.label: tag.remove_url for tag in response.context["active_filters"]}
    assert set(tags) == {"Occupation : Vacant", "Occupation : En location", "Commune : Sin-le-Noble"}
    assert tags["Occupation : Vacant"] == f"{URL}?occupancies=L&localities=59569"
    # Removing the last commune means every commune again, not none.
    assert tags["Commune : Sin-le-Noble"] == f"{URL}?occupancies=V%2CL"
    html = unescape(html_of(response))
    assert 'aria-label="Retirer le filtre Occupation : Vacant"' in html
    assert "Réinitialiser les filtres" in html


def test_sub_statuses_outside_the_selected_statuses_are_dropped(client, territory, dwellings):
    client.force_login(territory["agent"])

    response = client.get(URL, {"statusList": "3", "subStatus": "En pré-accompagnement"})

    assert response.context["filters"].sub_statuses == ()
    assert set(rows_of(response)) == {dwellings["in_progress"].pk}


def test_vacancy_years_apply_only_with_vacant(client, territory, dwellings):
    HousingFactory.reset_sequence(500)
    recent = make_housing(status=0, vacancy_start_year=2022)
    client.force_login(territory["agent"])

    with_vacant = client.get(URL, {"occupancies": "V", "vacancyYears": "2022"})
    without_vacant = client.get(URL, {"occupancies": "L", "vacancyYears": "2022"})

    assert rows_of(with_vacant) == [recent.pk]
    assert without_vacant.context["filters"].vacancy_years == ()
    assert set(rows_of(without_vacant)) == {dwellings["completed"].pk, dwellings["rented"].pk}
    assert re.search(r'id="filter-vacancyYears"[^>]*disabled', html_of(without_vacant))


def test_invalid_values_show_a_french_alert_and_the_rest_applies(client, territory, dwellings):
    client.force_login(territory["agent"])

    response = client.get(URL, {"occupancies": "L", "statusList": "9", "page": "zéro"})

    html = unescape(html_of(response))
    assert "Certains filtres n’ont pas été compris" in html
    assert "Valeur non reconnue pour « Statut de suivi »." in html
    assert "« Page » doit être un nombre entre 1 et 100000." in html
    assert set(rows_of(response)) == {dwellings["completed"].pk, dwellings["rented"].pk}


@pytest.mark.parametrize(
    "query_string",
    [
        "status=abc",
        "status=7&statusList=-1",
        "page=-3&perPage=100000",
        "localities=ABCDE&intercommunalities=x",
        "sort=password&view=<script>",
        # (a NUL byte is refused before the list: tests/www/test_control_characters.py)
        "occupancies=%C2%A0&dataFileYearsIncluded=lovac-20xx",
        "query=" + "x" * 6000,
        "multiOwners=peut-être&beneficiaryCounts=99",
        "housingIds=1,a&all=maybe",
        "subStatus=%E2%80%AE&vacancyYears=1900",
        "ownerAges=%27;DROP TABLE housing_housing;--",
        "page=100000",
    ],
)
def test_junk_query_strings_never_fail(client, territory, dwellings, query_string):
    client.force_login(territory["agent"])

    for view in ("", "&view=map"):
        response = client.get(f"{URL}?{query_string}{view}")
        assert response.status_code == 200
        fragment = client.get(f"{URL}?{query_string}{view}", headers={"HX-Request": "true"})
        assert fragment.status_code == 200


def test_pagination_and_sort(client, territory):
    for index in range(120):
        make_housing(owner_name=f"PROPRIETAIRE/{index:03d}")
    client.force_login(territory["agent"])

    first = client.get(URL)
    last = client.get(URL, {"page": "3"})
    beyond = client.get(URL, {"page": "99"})

    assert len(rows_of(first)) == 50 and len(rows_of(last)) == 20
    assert rows_of(beyond) == rows_of(last)
    assert not set(rows_of(first)) & set(rows_of(last))
    pagination = first.context["pagination"]
    assert [page["number"] for page in pagination["pages"] if not page["ellipsis"]] == [1, 2, 3]
    assert pagination["next"].endswith("page=2") and pagination["previous"] == ""
    html = html_of(first)
    assert 'class="fr-pagination"' in html and 'aria-current="page"' in html

    by_owner = client.get(URL, {"sort": "owner"})
    names = [row["owner_name"] for row in by_owner.context["rows"]]
    assert names == sorted(names) and names[0] == "PROPRIETAIRE 000"
    reverse = client.get(URL, {"sort": "-owner", "page": "3"})
    assert reverse.context["rows"][-1]["owner_name"] == "PROPRIETAIRE 000"
    assert re.search(
        r'<th scope="col"\s+aria-sort="ascending">\s*<div class="fr-cell--sort">\s*'
        r'<span class="fr-cell__title">Propriétaire',
        html_of(by_owner),
    )
    assert "aria-sort=" not in html  # default order: no column sorted
    columns = by_owner.context["columns"]
    assert columns["owner"]["url"].endswith("sort=-owner")
    assert columns["status"]["url"].endswith("sort=status")


def test_the_latest_millesime_is_the_default(client, territory, dwellings):
    client.force_login(territory["agent"])

    default = client.get(URL)
    explicit_none = client.get(URL, {"dataFileYearsIncluded": ""})

    assert default.context["filters"].data_file_years_included == ("lovac-2025",)
    assert dwellings["old_millesime"].pk not in rows_of(default)
    assert dwellings["old_millesime"].pk in rows_of(explicit_none)
    # Unticking the source keeps "no source filter" in the links, not the default.
    assert explicit_none.context["view_urls"]["map"] == f"{URL}?dataFileYearsIncluded=&view=map"
    # The default appears as a tag that can be removed.
    labels = [tag.label for tag in default.context["active_filters"]]
    assert labels == ["Sources et millésimes inclus : LOVAC 2025 (vacant > 2 ans)"]


def test_htmx_requests_get_only_the_fragment(client, territory, dwellings):
    client.force_login(territory["agent"])

    results = client.get(URL, {"status": "2"}, headers={"HX-Request": "true", "HX-Target": "housing-results"})
    page = client.get(URL, {"status": "2"}, headers={"HX-Request": "true", "HX-Target": "housing-page"})

    html = html_of(results)
    assert "<html" not in html and "<header" not in html
    assert html.lstrip().startswith('<div id="housing-results"')
    assert 'id="housing-filter-state" hx-swap-oob="true"' in html
    assert '<input type="hidden" name="status" value="2">' in html
    assert 'hx-swap-oob="innerHTML:#housing-live"' in html
    assert 'id="housing-filters"' not in html
    assert results["HX-Push-Url"] == f"{URL}?dataFileYearsIncluded=lovac-2025&status=2"
    page_html = html_of(page)
    assert "<html" not in page_html
    assert page_html.lstrip().startswith('<div id="housing-page"')
    assert 'id="housing-filters"' in page_html and 'id="housing-results"' in page_html


def test_back_button_requests_get_the_whole_page(client, territory, dwellings):
    client.force_login(territory["agent"])

    html = html_of(
        client.get(URL, {"status": "2"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    )

    assert "<html" in html and 'hx-history="false"' in html


def test_the_page_carries_only_the_chosen_communes(client, territory):
    """The commune list of a large perimeter stays out of the page: the picker asks for it."""
    communes = [CommuneFactory(code=f"59{index:03d}", name=f"Bourg {index}") for index in range(700, 760)]
    territory["establishment"].communes.add(*communes)
    client.force_login(territory["agent"])

    html = unescape(html_of(client.get(URL, {"localities": "59569,59606"})))

    assert "Bourg 7" not in html and "Douai</label>" not in html
    assert 'role="combobox"' in html and "Ajouter une commune" in html
    establishment_id = territory["establishment"].pk
    assert f'data-zlv-commune-picker="/parc-de-logements/perimetre/{establishment_id}/communes"' in html
    # Chosen communes: hidden inputs of the form, shown as removable tags; a code outside the
    # perimeter (a shared link) keeps its code as label so that it can be removed.
    assert re.search(r'aria-label="Retirer la commune Sin-le-Noble"', html)
    assert re.search(r'name="localities"\s+value="59569"', html)
    assert 'aria-label="Retirer la commune 59606"' in html
    assert "Valenciennes" not in html


def suggestions(client, establishment, text) -> list[str]:
    response = client.get(f"{URL}/perimetre/{establishment.pk}/communes", {"q": text})
    assert response.status_code == 200
    return [f"{commune['name']} ({commune['code']})" for commune in response.json()["communes"]]


def test_commune_suggestions_by_name_or_code_ignoring_accents(client, territory):
    establishment = territory["establishment"]
    establishment.communes.add(
        CommuneFactory(code="59486", name="Râches"),
        CommuneFactory(code="59526", name="Saint-Amand-les-Eaux"),
        CommuneFactory(code="59327", name="Lallaing"),
        CommuneFactory(code="59170", name="Cuincy"),
    )
    client.force_login(territory["agent"])

    assert suggestions(client, establishment, "raches") == ["Râches (59486)"]
    assert suggestions(client, establishment, "RÂCH") == ["Râches (59486)"]
    assert suggestions(client, establishment, "saint amand") == ["Saint-Amand-les-Eaux (59526)"]
    assert suggestions(client, establishment, "59569") == ["Sin-le-Noble (59569)"]
    assert suggestions(client, establishment, "591") == ["Cuincy (59170)", "Douai (59178)"]
    # Names starting with the text come first.
    assert suggestions(client, establishment, "in") == [
        "Cuincy (59170)",
        "Lallaing (59327)",
        "Saint-Amand-les-Eaux (59526)",
        "Sin-le-Noble (59569)",
    ]
    assert suggestions(client, establishment, "si")[0] == "Sin-le-Noble (59569)"
    # Only the perimeter: Valenciennes belongs to another establishment.
    assert suggestions(client, establishment, "valenciennes") == []
    assert suggestions(client, establishment, "59606") == []
    assert suggestions(client, establishment, "  ") == []


def test_commune_suggestions_are_capped(client, territory):
    communes = [CommuneFactory(code=f"59{index:03d}", name=f"Bourg {index}") for index in range(700, 760)]
    territory["establishment"].communes.add(*communes)
    client.force_login(territory["agent"])

    assert len(suggestions(client, territory["establishment"], "bourg")) == 20


def test_perimeter_outline_is_its_own_cacheable_geojson(client, territory):
    establishment = territory["establishment"]
    client.force_login(territory["agent"])

    response = client.get(f"{URL}/perimetre/{establishment.pk}/contour.geojson")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert "private" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")  # the two communes' union
    assert feature["bbox"] == pytest.approx([3.05, 50.35, 3.15, 50.40])
    assert feature["properties"] == {"name": "CA du Douaisis"}


def test_perimeter_without_contours_has_no_geometry(client, territory):
    establishment = EstablishmentFactory(communes=[CommuneFactory(code="59999", name="Sans contour")])
    user = UserFactory(establishment=establishment)
    client.force_login(user)

    feature = client.get(f"{URL}/perimetre/{establishment.pk}/contour.geojson").json()

    assert feature == {"type": "Feature", "geometry": None, "properties": {"name": establishment.name}}


def test_communes_and_outline_of_another_establishment_are_not_found(client, territory):
    mine, theirs = territory["establishment"], territory["other"].active_establishment
    client.force_login(territory["agent"])

    companions = ("communes?q=val", "contour.geojson", "communes.geojson", "perimetres.geojson")
    for url in (f"{URL}/perimetre/{{}}/{companion}" for companion in companions):
        assert client.get(url.format(theirs.pk)).status_code == 404
        assert client.get(url.format(999_999)).status_code == 404
    # The other establishment's user only ever reads their own.
    client.force_login(territory["other"])
    assert suggestions(client, theirs, "d") == []
    assert suggestions(client, theirs, "val") == ["Valenciennes (59606)"]
    assert client.get(f"{URL}/perimetre/{mine.pk}/communes", {"q": "douai"}).status_code == 404
    assert client.get(f"{URL}/perimetre/{mine.pk}/contour.geojson").status_code == 404


def test_communes_and_outline_follow_the_active_establishment(client, territory):
    from zlv.accounts.models import Membership

    agent, mine = territory["agent"], territory["establishment"]
    theirs = territory["other"].active_establishment
    Membership.objects.create(user=agent, establishment=theirs, role=Role.USUAL)
    client.force_login(agent)

    # A member of both reads only the active one's; switching makes the other one readable.
    assert client.get(f"{URL}/perimetre/{theirs.pk}/contour.geojson").status_code == 404
    agent.active_establishment = theirs
    agent.save(update_fields=["active_establishment"])
    assert client.get(f"{URL}/perimetre/{theirs.pk}/contour.geojson").status_code == 200
    assert client.get(f"{URL}/perimetre/{mine.pk}/contour.geojson").status_code == 404


def test_communes_of_the_perimeter_and_around_it_are_the_map_fallback_base(client, territory):
    establishment = territory["establishment"]
    dechy = CommuneFactory(code="59170", name="Dechy", center_longitude=3.125, center_latitude=50.34)
    dechy.contour_wkb = box(3.10, 50.30, 3.15, 50.35).wkb
    dechy.save()
    client.force_login(territory["agent"])

    response = client.get(f"{URL}/perimetre/{establishment.pk}/communes.geojson")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert "private" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    features = response.json()["features"]
    # Douai and Sin-le-Noble, and their neighbour Dechy (public geography, seen at the perimeter's
    # edge); not Valenciennes, farther away.
    shapes = {
        (f["properties"]["name"], f["properties"]["inPerimeter"], f["geometry"]["type"]) for f in features
    }
    assert shapes == {
        (name, in_perimeter, kind)
        for name, in_perimeter in (("Douai", True), ("Sin-le-Noble", True), ("Dechy", False))
        for kind in ("Polygon", "Point")
    }


def filter_perimeters(client, establishment, query="") -> dict:
    response = client.get(f"{URL}/perimetre/{establishment.pk}/perimetres.geojson?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    return response.json()


def test_the_perimeters_named_by_the_filter_are_served_for_the_map(client, territory):
    mine, theirs = territory["establishment"], territory["other"].active_establishment
    PerimeterFactory(establishment=mine, name="Centre", kind="ORT")
    PerimeterFactory(establishment=mine, name="Faubourgs", kind="OPAH")
    PerimeterFactory(establishment=mine, name="Friches", kind="Friches")
    PerimeterFactory(establishment=theirs, name="Leur centre", kind="ORT")  # same kind, not ours
    client.force_login(territory["agent"])

    layer = filter_perimeters(client, mine, "geoPerimetersIncluded=ORT&geoPerimetersExcluded=OPAH&status=1")

    drawn = {(f["properties"]["name"], f["properties"]["excluded"]) for f in layer["features"]}
    assert drawn == {("Centre", False), ("Faubourgs", True)}
    assert layer["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert filter_perimeters(client, mine, "status=1")["features"] == []


def test_another_establishment_perimeters_are_not_found(client, territory):
    mine, theirs = territory["establishment"], territory["other"].active_establishment
    PerimeterFactory(establishment=theirs, name="Leur centre", kind="ORT")
    client.force_login(territory["agent"])

    assert (
        client.get(f"{URL}/perimetre/{theirs.pk}/perimetres.geojson?geoPerimetersIncluded=ORT").status_code
        == 404
    )
    assert filter_perimeters(client, mine, "geoPerimetersIncluded=ORT")["features"] == []
    assert client.post(f"{URL}/perimetre/{mine.pk}/perimetres.geojson").status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "perimetre/1/communes?q=a",
        "perimetre/1/contour.geojson",
        "perimetre/1/communes.geojson",
        "perimetre/1/perimetres.geojson",
        "logements/1/ligne",
    ],
)
def test_companion_urls_need_sign_in(client, db, path):
    response = client.get(f"{URL}/{path}")

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion")


def test_full_page_works_without_javascript(client, territory, dwellings):
    client.force_login(territory["agent"])

    html = html_of(client.get(URL))

    assert '<form id="housing-filters"' in html
    assert 'method="get"' in html and 'action="/parc-de-logements"' in html
    assert "Appliquer les filtres" in html
    assert 'href="/parc-de-logements?dataFileYearsIncluded=lovac-2025&amp;status=2"' in html
    for section in ["Fichiers sources", "Suivi et campagnes", "Localisation", "Bâtiment", "Logement"]:
        assert section in html
    assert "Propriétaires" in html and "Multi-propriétaire" in html
    assert "Intercommunalités" not in html  # only for departmental establishments


def test_intercommunalities_for_departmental_establishments(client, territory):
    from zlv.accounts.enums import EstablishmentKind
    from zlv.geo.models import Epci

    establishment = territory["establishment"]
    establishment.kind = EstablishmentKind.DEP
    establishment.save()
    epci = Epci.objects.create(siren="200044618", name="CA du Douaisis Agglo", kind="CA")
    epci.communes.set(establishment.communes.all())
    client.force_login(territory["agent"])

    html = unescape(html_of(client.get(URL)))

    assert "Intercommunalités" in html and "CA du Douaisis Agglo" in html


def test_another_establishments_dwellings_never_appear(client, territory, dwellings):
    client.force_login(territory["agent"])
    theirs = dwellings["theirs"]

    for params in (
        {"dataFileYearsIncluded": ""},
        {"localities": "59606"},
        {"housingIds": str(theirs.pk)},
        {"query": theirs.local_id},
        {"query": "lefevre"},
    ):
        response = client.get(URL, params)
        assert theirs.pk not in rows_of(response)
        assert f'/logements/{theirs.pk}"' not in html_of(response)
    assert tab_counts(client.get(URL, {"localities": "59606"}))["tab-all"] == 0


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion")


def test_visitors_can_read_the_list(client, territory, dwellings):
    visitor = UserFactory(establishment=territory["establishment"], establishment__role=Role.VISITOR)
    client.force_login(visitor)

    response = client.get(URL)

    assert len(rows_of(response)) == 7


def test_user_without_establishment_sees_an_explanation(client, db):
    client.force_login(UserFactory())

    html = html_of(client.get(URL))

    assert "Aucune structure rattachée" in html


def test_empty_state(client, territory, dwellings):
    client.force_login(territory["agent"])

    html = html_of(client.get(URL, {"occupancies": "B"}))

    assert "Aucun logement ne correspond à ces filtres." in html
    assert "0 logement (0 propriétaire) filtré sur un total de 0 logement" in unescape(html)


def test_numbers_are_french(client, territory):
    from zlv.www.housing_list.filter_ui import count_sentence

    assert count_sentence(housing=1234, owners=1, total=84_000) == (
        f"1{NNBSP}234 logements (1 propriétaire) filtrés sur un total de 84{NNBSP}000 logements"
    )
    assert count_sentence(housing=1, owners=1, total=None) == "1 logement (1 propriétaire)"


def test_map_view_keeps_the_filters_and_loads_the_perimeter_apart(client, territory, dwellings):
    client.force_login(territory["agent"])

    response = client.get(URL, {"occupancies": "V", "view": "map"})

    html = html_of(response)
    config = response.context["map_config"]
    assert config["styleUrl"] == ""
    assert config["featuresUrl"] == "/api/v1/housing/map"
    # The outline is not in the page: the map script fetches it.
    assert config["outlineUrl"] == f"{URL}/perimetre/{territory['establishment'].pk}/contour.geojson"
    assert "coordinates" not in html
    assert config["pointsMinZoom"] == 14 and config["maxPoints"] == 5000
    assert response.context["map_filters"] == "occupancies=V"
    assert 'data-zlv-map="housing-map-config"' in html and 'id="housing-map-config"' in html
    assert 'hx-preserve="true"' in html
    assert "<table" not in html
    # The clustering toggle and the keyboard list of what the map shows.
    assert re.search(r'<input type="checkbox"\s+class="fr-toggle__input"\s+id="housing-map-cluster"', html)
    assert "Regrouper les logements" in html and f"au plus 5{NNBSP}000 adresses" in html
    assert 'id="housing-map-list"' in html and "Adresses de la zone affichée" in html
    # The same filters reach the map endpoint.
    features = client.get("/api/v1/housing/map", {"occupancies": "V", "zoom": 10}).json()
    assert features["type"] == "FeatureCollection"


def test_csp_allows_the_map_and_nothing_more(client, territory, settings):
    client.force_login(territory["agent"])

    policy = client.get(URL, {"view": "map"})["Content-Security-Policy"]

    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["worker-src"] == "'self' blob:"
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy


@pytest.mark.parametrize("view", ["table", "map"])
def test_query_budget_does_not_grow_with_rows(
    client, territory, django_assert_max_num_queries, django_assert_num_queries, view
):
    client.force_login(territory["agent"])
    make_housing(status=2)
    client.get(URL, {"view": view})

    # session, user, savepoint, membership, perimeter codes, sources in scope, tab counts, total,
    # précisions, rows (table only), header memberships, release savepoint; no commune unless one
    # is chosen.
    # + 2: the establishment's campaigns (the "Campagne" filter), the campaigns of the page's
    # dwellings (the "Campagnes" column, table only).
    with django_assert_max_num_queries(16) as few:  # perimeter kinds; page ids then rows
        client.get(URL, {"view": view})
    for index in range(60):
        make_housing(status=index % 6, owner_name=f"PROPRIETAIRE/{index}")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(URL, {"view": view})
    with django_assert_max_num_queries(len(few.captured_queries) + 1):  # + the tab's owner count
        client.get(URL, {"view": view, "status": "2"})


def test_bulk_edit_action_is_offered_to_writers_only(client, territory, dwellings):
    client.force_login(territory["agent"])
    html = html_of(client.get("/parc-de-logements"))
    assert "Édition groupée" in html and "Créer un groupe" in html and "Exporter" in html
    visitor = UserFactory(establishment=territory["establishment"], establishment__role="visitor")
    client.force_login(visitor)
    html = html_of(client.get("/parc-de-logements"))
    assert "Édition groupée" not in html and "Créer un groupe" not in html
    assert "Exporter" in html  # reading, so visitors may export


def test_rows_offer_the_edit_panel_to_writers_only(client, territory, dwellings):
    housing = dwellings["waiting"]
    client.force_login(territory["agent"])

    html = unescape(html_of(client.get(URL)))

    assert '<th scope="col">Action</th>' in html
    assert re.search(
        rf'aria-controls="modale-edition-logement"\s+hx-get="/logements/{housing.pk}/edition"\s+'
        r'hx-target="#zlv-edit-panel"',
        html,
    )
    assert f'Éditer<span class="fr-sr-only"> le logement {housing.address_dgfip}</span>' in html
    assert '<dialog id="modale-edition-logement"' in html and 'id="zlv-edit-panel"' in html
    assert f'hx-get="/parc-de-logements/logements/{housing.pk}/ligne"' in html

    visitor = UserFactory(establishment=territory["establishment"], establishment__role=Role.VISITOR)
    client.force_login(visitor)
    html = html_of(client.get(URL))
    assert "/edition" not in html and "modale-edition-logement" not in html
    assert '<th scope="col">Action</th>' not in html


def test_a_row_alone_shows_the_dwelling_as_saved(client, territory, dwellings):
    from zlv.housing.models import Housing

    housing = dwellings["waiting"]
    client.force_login(territory["agent"])
    Housing.objects.filter(pk=housing.pk).update(status=3, sub_status="En accompagnement", occupancy="L")

    html = unescape(html_of(client.get(f"{URL}/logements/{housing.pk}/ligne")))

    assert html.lstrip().startswith(f'<tr id="housing-row-{housing.pk}"')
    assert "Suivi en cours" in html and "En accompagnement" in html and "En location" in html
    assert "<html" not in html and f'id="edit-{housing.pk}"' in html


def test_a_row_of_another_establishment_is_not_found(client, territory, dwellings):
    client.force_login(territory["agent"])

    assert client.get(f"{URL}/logements/{dwellings['theirs'].pk}/ligne").status_code == 404
    assert client.get(f"{URL}/logements/999999/ligne").status_code == 404


def test_a_visitor_reads_a_row_without_the_edit_button(client, territory, dwellings):
    visitor = UserFactory(establishment=territory["establishment"], establishment__role=Role.VISITOR)
    client.force_login(visitor)

    html = html_of(client.get(f"{URL}/logements/{dwellings['waiting'].pk}/ligne"))

    assert "Non suivi" not in html and "En attente de retour" in html
    assert "data-zlv-edit-row" not in html


def precision(category: str, label: str):
    from zlv.housing.models import Precision

    return Precision.objects.get_or_create(category=category, label=label)[0]


def test_precision_pickers_grouped_by_category(client, territory, dwellings):
    from zlv.housing.models import HousingPrecision

    works = precision("travaux", "En cours")
    succession = precision("blocage-involontaire", "Succession en cours")
    precision("dispositifs-incitatifs", "Dispositif fiscal")
    HousingPrecision.objects.create(housing=dwellings["waiting"], precision=works)
    HousingPrecision.objects.create(housing=dwellings["blocked"], precision=succession)
    client.force_login(territory["agent"])

    response = client.get(URL, {"precisions": f"{works.pk},{succession.pk}"})

    assert set(rows_of(response)) == {dwellings["waiting"].pk, dwellings["blocked"].pk}
    follow_up = next(section for section in response.context["menu"] if section.key == "suivi")
    pickers = {f.key: f for f in follow_up.fields if f.parameter == "precisions"}
    assert [f.label for f in pickers.values()] == [
        "Dispositifs",
        "Points de blocage",
        "Évolutions du logement",
    ]
    blocking = pickers["precisions-points-de-blocage"]
    assert blocking.groups[0].label == "Blocage involontaire"
    assert [group.label for group in pickers["precisions-evolutions-du-logement"].groups][:1] == ["Travaux"]
    assert follow_up.selected_count == 2
    labels = [tag.label for tag in response.context["active_filters"]]
    assert "Précisions : En cours (Travaux)" in labels
    assert "Précisions : Succession en cours (Blocage involontaire)" in labels
    html = unescape(html_of(response))
    assert re.search(
        r'<input type="checkbox"\s+name="precisions"\s+'
        rf'id="filter-precisions-evolutions-du-logement-\d+-\d+"\s+value="{works.pk}"\s+checked',
        html,
    )
    assert '<legend class="fr-fieldset__legend fr-text--sm fr-mb-1w"' in html
    # The précisions are fields of the menu now, not hidden inputs repeated by the form.
    assert '<input type="hidden" name="precisions"' not in html
    removal = {tag.label: tag.remove_url for tag in response.context["active_filters"]}
    assert removal["Précisions : En cours (Travaux)"].endswith(f"precisions={succession.pk}")


def test_sources_are_grouped_by_recency(client, territory):
    from zlv.www.housing_list.filter_ui import data_file_year_groups

    for years in (["lovac-2025", "lovac-2024"], ["ff-2024-locatif"], ["ff-2023-locatif"], ["ff-2023"]):
        make_housing(years=years)
    client.force_login(territory["agent"])

    response = client.get(URL)

    sources = next(section for section in response.context["menu"] if section.key == "sources")
    included = sources.fields[0]
    assert [(group.label, [option.value for option in group.options]) for group in included.groups] == [
        ("Sources les plus récentes", ["lovac-2025", "ff-2024-locatif"]),
        ("Autres sources", ["datafoncier-manual", "null", "ff-2023"]),
        ("Sources antérieures", ["lovac-2024", "ff-2023-locatif"]),
    ]
    assert [option.label for option in included.groups[0].options] == [
        "LOVAC 2025 (vacant > 2 ans)",
        "Fichiers fonciers 2024 (en location)",
    ]
    assert included.groups[0].options[0].checked  # the default millésime
    assert [group.label for group in sources.fields[1].groups] == [group.label for group in included.groups]
    html = unescape(html_of(response))
    assert (
        html.index("Sources les plus récentes")
        < html.index("Autres sources")
        < html.index("Sources antérieures")
    )
    # Without any millésime, only the other sources remain; a bookmarked one stays removable.
    assert data_file_year_groups([]) == [("Autres sources", ["datafoncier-manual", "null"])]
    old = client.get(URL, {"dataFileYearsIncluded": "lovac-2019"}).context["menu"][0].fields[0]
    assert old.groups[-1].options[-1].value == "lovac-2019" and old.groups[-1].options[-1].checked


def test_sources_and_total_are_read_again_after_an_import(client, territory):
    """Both are cached until the next import: a new millésime shows up as soon as it is imported."""
    from zlv.accounts.services import system_user
    from zlv.lovac.models import ImportRun, ImportRunStatus

    make_housing(years=("lovac-2024",))
    client.force_login(territory["agent"])
    first = client.get(URL)
    assert "sur un total de 1 logement" in first.context["sentence"]
    assert "lovac-2025" not in html_of(first)

    make_housing(years=("lovac-2025",))
    make_housing(years=("lovac-2025",))
    cached = client.get(URL)  # no import since: the sources read before still stand
    assert "lovac-2025" not in html_of(cached)
    ImportRun.objects.create(
        file_name="lovac.csv", millesime=2025, status=ImportRunStatus.IMPORTED, created_by=system_user()
    )

    after = client.get(URL)  # the default source is now the new millésime
    assert "sur un total de 2 logements" in after.context["sentence"]
    assert "lovac-2025" in html_of(after)


def test_counts_fragment_after_an_edit_from_a_row(
    client, territory, dwellings, django_assert_max_num_queries
):
    """zlv:refresh-counts asks the list's URL for the tabs, the sentence and the total, out of band."""
    from zlv.housing.models import Housing

    client.force_login(territory["agent"])
    page = client.get(URL, {"dataFileYearsIncluded": "lovac-2025", "statusList": "0,1"})
    html = unescape(html_of(page))
    counts_url = f"{URL}?statusList=0%2C1&dataFileYearsIncluded=lovac-2025"
    assert re.search(
        rf'<div id="housing-counts"\s+hidden\s+hx-get="{re.escape(counts_url)}"\s+'
        r'hx-trigger="zlv:refresh-counts from:body"\s+hx-target="this"\s+hx-swap="none"',
        html,
    )
    assert "3 logements (3 propriétaires) filtrés" in html
    # The dwelling "waiting" is now followed: it leaves the filters.
    Housing.objects.filter(pk=dwellings["waiting"].pk).update(status=3)

    with django_assert_max_num_queries(10):  # no menu, no rows: session, user, counts…
        response = client.get(counts_url, headers={"HX-Request": "true", "HX-Target": "housing-counts"})

    html = unescape(html_of(response))
    assert "HX-Push-Url" not in response.headers
    assert '<div hx-swap-oob="innerHTML:#housing-status-tabs">' in html
    assert re.search(r'id="tab-all"[^>]*>Tous <span class="zlv-status-tabs__count">\(2\)</span>', html)
    assert re.search(r'id="tab-1"[^>]*>En attente de retour <span class="zlv-status-tabs__count">\(0\)', html)
    sentence = "2 logements (2 propriétaires) filtrés sur un total"
    assert f'<div hx-swap-oob="innerHTML:#housing-results-title">{sentence}' in html
    assert re.search(r'hx-swap-oob="innerHTML:#housing-select-all">\s*Sélectionner les 2 logements', html)
    assert 'data-zlv-matching-count="2"' in html
    assert "<table" not in html and 'id="housing-filters"' not in html


def test_commune_typed_without_javascript_is_added(client, territory, dwellings):
    client.force_login(territory["agent"])
    html = unescape(html_of(client.get(URL)))
    assert re.search(r'<input class="fr-input"\s+type="text"\s+name="commune"', html)

    by_name = client.get(URL, {"dataFileYearsIncluded": "", "commune": "sin le noble"})
    by_code = client.get(URL, {"dataFileYearsIncluded": "", "localities": "59569", "commune": "59178"})

    expected = {"in_progress", "completed", "rented"}
    assert set(rows_of(by_name)) == {dwellings[name].pk for name in expected}
    assert by_name.context["filters"].localities == ("59569",)
    assert "Commune : Sin-le-Noble" in [tag.label for tag in by_name.context["active_filters"]]
    assert by_code.context["filters"].localities == ("59569", "59178")
    assert dwellings["theirs"].pk not in rows_of(by_code)
    # The links forget what was typed: the commune is a filter now.
    assert "commune=" not in by_name.context["view_urls"]["table"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Valenciennes", "Commune : aucune commune de votre périmètre ne correspond à « Valenciennes »."),
        ("59606", "Commune : aucune commune de votre périmètre ne correspond à « 59606 »."),
        (
            "59",
            "Commune : plusieurs communes correspondent à « 59 » (Douai (59178), Sin-le-Noble (59569)) : "
            "précisez le nom ou le code INSEE.",
        ),
    ],
)
def test_commune_typed_without_javascript_errors(client, territory, dwellings, typed, message):
    client.force_login(territory["agent"])

    response = client.get(URL, {"dataFileYearsIncluded": "", "commune": typed})

    assert message in response.context["errors"]
    assert message in unescape(html_of(response))
    assert response.context["filters"].localities is None  # the other filters still apply
    assert len(rows_of(response)) == 8
