"""Control characters (the NUL byte first) in any input: a French refusal, never a server error."""

import json

import pytest

from tests.www.test_write_permissions import all_routes, consumed, object_path
from zlv.housing.filters import parse_filters
from zlv.utils.text import CONTROL_CHARACTERS_MESSAGE

pytestmark = pytest.mark.django_db

NUL = "\x00"
# The text inputs of the pages and the API's query strings (the filters, the searches, the pickers).
QUERY = {
    name: f"Douai{NUL}"
    for name in (
        "query",
        "q",
        "commune",
        "localities",
        "geoPerimetersIncluded",
        "geoPerimetersExcluded",
        "campaignIds",
        "status",
        "sort",
        "page",
        "type",
        "view",
        "purpose",
    )
}
FORM = {
    name: f"Douai{NUL}"
    for name in ("content", "note", "title", "description", "name", "kind", "q", "email", "filename")
}
ROUTE_VALUES = {"uidb64": "MQ", "token": "jeton"}


def every_route(objects) -> list[str]:
    return sorted(
        object_path(route, {**ROUTE_VALUES, **objects})
        for route in set(all_routes())
        if not route.startswith("admin/")
    )


def assert_refused(path: str, response):
    if path.startswith("/api/"):
        assert (response.status_code, response.json()["detail"]) == (422, CONTROL_CHARACTERS_MESSAGE), path
    else:
        assert response.status_code == 400, path
        assert CONTROL_CHARACTERS_MESSAGE in response.content.decode(), path


def test_every_route_refuses_a_nul_byte_in_the_query_string_and_the_form(client, world, owned):
    client.force_login(world["agent"])

    for path in every_route(owned):
        assert_refused(path, consumed(client.get(path, QUERY)))
        assert_refused(path, consumed(client.post(path, FORM)))


def test_a_nul_byte_in_the_address_is_refused_too(client, world):
    client.force_login(world["agent"])

    assert_refused("/invitation/", client.get(f"/invitation/jeton{NUL}"))
    assert_refused("/api/", client.get(f"/api/v1/owners/{NUL}"))


@pytest.mark.parametrize("character", ["\x01", "\x08", "\x0b", "\x1f", "\x7f"])
def test_other_control_characters_are_refused_but_tabs_and_line_breaks_are_text(client, world, character):
    client.force_login(world["agent"])
    housing = world["housing"]

    refused = client.post(f"/logements/{housing.pk}/notes", {"content": f"Appel{character}"})
    accepted = client.post(f"/logements/{housing.pk}/notes", {"content": "Appel\tdu 3 mai\r\nRappeler"})

    assert_refused("/logements/", refused)
    assert accepted.status_code == 302
    assert housing.notes.filter(content="Appel\tdu 3 mai\r\nRappeler").exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/v1/housing/{housing}", {"note": f"Appel{NUL}"}),
        ("PATCH", "/api/v1/housing/{housing}", {"occupancy": "L", "expected": {"sub_status": NUL}}),
        ("POST", "/api/v1/housing/bulk-update", {"ids": ["{housing}"], "note": f"Appel{NUL}"}),
        ("POST", "/api/v1/housing/bulk-update", {"filters": {"geoPerimetersIncluded": [NUL]}, "all": True}),
    ],
)
def test_api_bodies_with_a_control_character_are_422_in_french(client, world, method, path, body):
    client.force_login(world["agent"])
    housing_id = world["housing"].pk
    if "ids" in body:
        body = {**body, "ids": [housing_id]}

    response = client.generic(method, path.format(housing=housing_id), json.dumps(body), "application/json")

    assert response.status_code == 422
    assert CONTROL_CHARACTERS_MESSAGE in str(response.json())
    assert list(world["housing"].notes.values_list("content", flat=True)) == ["Note"]


def test_api_accepts_line_breaks_in_a_note(client, world):
    client.force_login(world["agent"])
    housing = world["housing"]

    response = client.patch(
        f"/api/v1/housing/{housing.pk}", {"note": "Appel\r\nRappeler"}, content_type="application/json"
    )

    assert response.status_code == 200
    assert housing.notes.filter(content="Appel\r\nRappeler").exists()


def test_the_filter_parser_refuses_control_characters_in_stored_filters():
    filters = parse_filters({"geoPerimetersIncluded": f"OPAH{NUL}", "query": f"rue{NUL}", "status": "1"})

    assert filters.errors == {
        "geoPerimetersIncluded": CONTROL_CHARACTERS_MESSAGE,
        "query": CONTROL_CHARACTERS_MESSAGE,
    }
    assert (filters.geo_perimeters_included, filters.query, filters.status) == ((), "", 1)
