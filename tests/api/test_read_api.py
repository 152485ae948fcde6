import pytest

from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    OwnerFactory,
    UserFactory,
)
from zlv.api.models import ApiToken


@pytest.fixture
def territory(db):
    douai, valenciennes = CommuneFactory(code="59178"), CommuneFactory(code="59606")
    agent = UserFactory(establishment=EstablishmentFactory(communes=[douai]))
    other = UserFactory(establishment=EstablishmentFactory(communes=[valenciennes]))
    owner = OwnerFactory(full_name="LEFEBVRE/MARIE")
    mine = HousingFactory(geo_code="59178", status=2, sub_status="En pré-accompagnement")
    HousingOwnerFactory(housing=mine, owner=owner, rank=1)
    theirs = HousingFactory(geo_code="59606", status=0)
    HousingOwnerFactory(housing=theirs, rank=1)
    return {"agent": agent, "other": other, "mine": mine, "theirs": theirs, "owner": owner}


def test_list_count_and_detail_for_the_agent(client, territory):
    client.force_login(territory["agent"])

    listing = client.get("/api/v1/housing?status=2").json()
    assert [row["id"] for row in listing["items"]] == [territory["mine"].pk]
    assert listing["items"][0]["primary_owner_name"] == "LEFEBVRE/MARIE"
    assert client.get("/api/v1/housing/count").json() == {
        "housing": 1,
        "owners": 1,
        "by_status": {"0": 0, "1": 0, "2": 1, "3": 0, "4": 0, "5": 0},
    }
    detail = client.get(f"/api/v1/housing/{territory['mine'].pk}").json()
    assert detail["status_label"] == "Premier contact"
    assert detail["owners"][0]["rank_label"] == "Destinataire principal"
    owner = client.get(f"/api/v1/owners/{territory['owner'].pk}").json()
    assert [h["id"] for h in owner["housing"]] == [territory["mine"].pk]


@pytest.mark.parametrize("route", ["/api/v1/housing/{theirs}", "/api/v1/owners/{their_owner}"])
def test_another_establishments_records_are_404(client, territory, route):
    client.force_login(territory["agent"])
    their_owner = territory["theirs"].owner_links.get().owner_id
    response = client.get(route.format(theirs=territory["theirs"].pk, their_owner=their_owner))
    assert response.status_code == 404


def test_lists_only_show_the_users_perimeter(client, territory):
    client.force_login(territory["other"])
    ids = [row["id"] for row in client.get("/api/v1/housing").json()["items"]]
    assert ids == [territory["theirs"].pk]


@pytest.mark.parametrize(
    "route", ["/api/v1/housing", "/api/v1/housing/count", "/api/v1/housing/1", "/api/v1/owners/1"]
)
def test_anonymous_gets_401_json(client, db, route):
    response = client.get(route)
    assert response.status_code == 401


def test_bearer_token_authenticates_and_revoked_token_does_not(client, territory):
    token, clear = ApiToken.issue(user=territory["agent"], name="SIG")
    response = client.get("/api/v1/housing/count", headers={"Authorization": f"Bearer {clear}"})
    assert response.status_code == 200
    assert response.json()["housing"] == 1
    token.revoked_at = token.created_at
    token.save()
    assert (
        client.get("/api/v1/housing/count", headers={"Authorization": f"Bearer {clear}"}).status_code == 401
    )


def test_invalid_filters_are_a_400_with_french_messages(client, territory):
    client.force_login(territory["agent"])
    response = client.get("/api/v1/housing?status=9&ownerAges=vieux")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "ownerAges"}


def test_openapi_document_is_served(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/housing/count" in schema["paths"]


def test_map_clusters_at_low_zoom_and_addresses_at_high_zoom(client, territory):
    mine = territory["mine"]
    mine.latitude, mine.longitude = 50.37, 3.08
    mine.save()
    twin = HousingFactory(geo_code="59178", latitude=50.37, longitude=3.08, status=4)
    HousingFactory(geo_code="59178", latitude=50.40, longitude=3.20)
    HousingFactory(geo_code="59178", latitude=None, longitude=None)  # not located: not on the map
    outside = territory["theirs"]
    outside.latitude, outside.longitude = 50.36, 3.52
    outside.save()
    client.force_login(territory["agent"])

    clusters = client.get("/api/v1/housing/map?zoom=5").json()["features"]
    assert sum(feature["properties"]["count"] for feature in clusters) == 3
    assert all(feature["properties"]["cluster"] for feature in clusters)

    points = client.get("/api/v1/housing/map?zoom=16&bbox=3.0,50.3,3.1,50.4").json()["features"]
    assert len(points) == 1  # the two dwellings at the same address are one feature
    assert points[0]["properties"]["count"] == 2
    assert sorted(points[0]["properties"]["ids"]) == sorted([mine.pk, twin.pk])
    assert points[0]["geometry"]["coordinates"] == [3.08, 50.37]

    filtered = client.get("/api/v1/housing/map?zoom=16&bbox=3.0,50.3,3.1,50.4&status=4").json()["features"]
    assert filtered[0]["properties"]["ids"] == [twin.pk]


def test_map_says_when_it_draws_fewer_addresses_than_match(client, territory, monkeypatch):
    from zlv.housing import selectors

    for latitude in (50.31, 50.32):
        HousingFactory(geo_code="59178", latitude=latitude, longitude=3.05)
    client.force_login(territory["agent"])
    url = "/api/v1/housing/map?zoom=16&bbox=3.0,50.3,3.1,50.4"

    assert client.get(url).json()["truncated"] is False
    monkeypatch.setattr(selectors, "MAP_MAX_POINTS", 1)
    capped = client.get(url).json()
    assert capped["truncated"] is True and len(capped["features"]) == 1


def test_map_rejects_a_malformed_viewport(client, territory):
    client.force_login(territory["agent"])
    response = client.get("/api/v1/housing/map?zoom=16&bbox=nord")
    assert response.status_code == 400
    assert "bbox" in response.json()["errors"]


@pytest.mark.parametrize("query", ["zoom=6", "zoom=16&bbox=3.0,50.3,3.1,50.4"])
def test_map_query_budget_does_not_grow_with_dwellings(
    client, territory, query, django_assert_max_num_queries, django_assert_num_queries
):
    """Clusters and addresses: a fixed number of queries (session, user, scope, the features)."""
    HousingFactory(geo_code="59178", latitude=50.35, longitude=3.05)
    client.force_login(territory["agent"])
    with django_assert_max_num_queries(6) as few:
        client.get(f"/api/v1/housing/map?{query}")
    for index in range(30):
        HousingFactory(geo_code="59178", latitude=50.30 + index / 1000, longitude=3.05)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(f"/api/v1/housing/map?{query}").status_code == 200
