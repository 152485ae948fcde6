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
        "occupancies=%00&dataFileYearsIncluded=lovac-20xx",
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


def test_long_commune_lists_can_be_narrowed(client, territory):
    communes = [CommuneFactory(code=f"59{index:03d}") for index in range(700, 715)]
    territory["establishment"].communes.add(*communes)
    client.force_login(territory["agent"])

    html = html_of(client.get(URL))

    assert "data-zlv-option-search" in html and "Chercher dans la liste" in html


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


def test_map_view_keeps_the_filters_and_draws_the_perimeter(client, territory, dwellings):
    client.force_login(territory["agent"])

    response = client.get(URL, {"occupancies": "V", "view": "map"})

    html = html_of(response)
    config = response.context["map_config"]
    assert config["styleUrl"] == ""
    assert config["featuresUrl"] == "/api/v1/housing/map"
    outline = config["outline"]
    assert outline["geometry"]["type"] in ("Polygon", "MultiPolygon")  # the two communes' union
    assert outline["bounds"] == pytest.approx([3.05, 50.35, 3.15, 50.40])
    assert response.context["map_filters"] == "occupancies=V"
    assert 'data-zlv-map="housing-map-config"' in html and 'id="housing-map-config"' in html
    assert 'hx-preserve="true"' in html
    assert "<table" not in html
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
    client.get(URL, {"view": view})  # warm the perimeter outline cache

    # session, user, savepoint, membership, sources in scope, tab counts, total, communes, rows
    # (table only; the map's perimeter outline is cached), header memberships, release savepoint.
    with django_assert_max_num_queries(13) as few:  # perimeter kinds; page ids then rows
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
