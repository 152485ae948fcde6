"""Role × route matrix over every write route of the pages and the API.

WRITE_ROUTES is checked against the URL resolver: any route under /logements/, /parc-de-logements/,
/notes/, /proprietaires/ or /api/v1/ that accepts POST, PATCH, PUT or DELETE must be listed here, so a
new write route cannot ship without these checks.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import UserFactory
from zlv.accounts.enums import Role

pytestmark = pytest.mark.django_db

PREFIXES = ("logements/", "parc-de-logements/", "notes/", "proprietaires/", "api/v1/")
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")
# (method, path with {housing}/{note} placeholders, is the API)
WRITE_ROUTES = [
    ("POST", "/logements/{housing}/edition", False),
    ("POST", "/logements/{housing}/notes", False),
    ("POST", "/notes/{note}/modifier", False),
    ("POST", "/notes/{note}/supprimer", False),
    ("POST", "/parc-de-logements/edition-groupee?housingIds={housing}", False),
    ("POST", "/parc-de-logements/referent?housingIds={housing}", False),
    ("POST", "/logements/{housing}/documents", False),
    ("POST", "/logements/{housing}/documents/{document}/renommer", False),
    ("POST", "/logements/{housing}/documents/{document}/supprimer", False),
    ("POST", "/parc-de-logements/edition-groupee/documents?housingIds={housing}", False),
    ("POST", "/logements/{housing}/proprietaires", False),
    ("POST", "/logements/{housing}/proprietaires/rattacher", False),
    ("POST", "/logements/{housing}/proprietaires/creer", False),
    ("POST", "/proprietaires/{owner}/coordonnees", False),
    ("PATCH", "/api/v1/housing/{housing}", True),
    ("POST", "/api/v1/housing/bulk-update", True),
]
# Routes that answer any method without changing anything.
READ_ONLY_ANY_METHOD = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/"}
SAMPLE_VALUES = {
    "housing_id": "{housing}",
    "note_id": "{note}",
    "owner_id": "{owner}",
    "document_id": "{document}",
    "job_id": "1",
    "campaign_id": "1",  # /api/v1/campaigns/<campaign_id>: read only
    "establishment_id": "1",
}


def all_routes(patterns=None, prefix="") -> list[str]:
    routes = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            routes += all_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            routes.append(prefix + str(entry.pattern))
    return routes


def sample_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: SAMPLE_VALUES[match.group(1)], route)


def fill(path: str, world) -> str:
    return path.format(
        housing=world["housing"].pk,
        note=world["note"].pk,
        owner=world["owner"].pk,
        document=world["document"].pk,
    )


def request(client, method: str, path: str, is_api: bool):
    if is_api:
        return client.generic(method, path, '{"occupancy": "L", "ids": []}', content_type="application/json")
    return client.generic(method, path, "occupancy=L", content_type="application/x-www-form-urlencoded")


def test_write_routes_list_covers_every_write_route(world):
    """Probe every route under the prefixes with each write method (a visitor: nothing changes)."""
    client = Client()
    client.force_login(world["visitor"])
    discovered = set()
    for route in set(all_routes()):
        if not route.startswith(PREFIXES):
            continue
        path = sample_path(route)
        if path in READ_ONLY_ANY_METHOD:
            continue
        for method in WRITE_METHODS:
            response = request(client, method, fill(path, world), path.startswith("/api/"))
            if response.status_code != 405:
                discovered.add((method, path))
    listed = {(method, path.split("?")[0]) for method, path, _ in WRITE_ROUTES}
    assert discovered == listed


@pytest.mark.parametrize(("method", "path", "is_api"), WRITE_ROUTES)
def test_visitors_get_403(client, world, method, path, is_api):
    client.force_login(world["visitor"])
    assert request(client, method, fill(path, world), is_api).status_code == 403


@pytest.mark.parametrize(("method", "path", "is_api"), WRITE_ROUTES)
def test_another_establishments_user_gets_404(client, world, method, path, is_api):
    client.force_login(world["outsider"])
    response = request(client, method, fill(path, world), is_api)
    if path == "/api/v1/housing/bulk-update":
        # No object in the path: the selection is in the body.
        response = client.post(
            path, {"ids": [world["housing"].pk], "occupancy": "L"}, content_type="application/json"
        )
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "path", "is_api"), WRITE_ROUTES)
def test_anonymous_is_redirected_or_401(client, world, method, path, is_api):
    response = request(client, method, fill(path, world), is_api)
    if is_api:
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/connexion")


# ---- Every route naming an object: another establishment gets 404 -----------------------------

# Routes whose path parameter is not an object id of one establishment.
NOT_OBJECT_ROUTES = {"mot-de-passe/definir/<uidb64>/<token>", "invitation/<str:token>"}
# POST routes that only read (a large export is confirmed by a POST that queues it): visitors may.
READING_POSTS = {"groupes/<int:group_id>/export.xlsx", "exports/logements.xlsx"}


def consumed(response):
    """A streamed answer (a download) read to its end, which closes its file."""
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def object_routes() -> list[str]:
    return sorted(
        route
        for route in set(all_routes())
        if "<" in route and not route.startswith("admin/") and route not in NOT_OBJECT_ROUTES
    )


def object_path(route: str, owned: dict) -> str:
    def value(match):
        name = match.group(1)
        if name == "job_id":
            name = "export_job_id" if route.startswith("exports/") else "bulk_job_id"
        return str(owned[name])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.USUAL, Role.VISITOR])
def test_another_establishments_user_gets_404_on_every_object_route(client, world, owned, role):
    """Whatever their role, the object's existence is not revealed (no 403, no 200)."""
    client.force_login(
        UserFactory(establishment=world["outsider"].active_establishment, establishment__role=role)
    )
    answers = {}
    for route in object_routes():
        path = object_path(route, owned)
        for method in ("GET", "POST"):
            response = consumed(request(client, method, path, path.startswith("/api/")))
            if response.status_code not in (404, 405):
                answers[f"{method} {route}"] = response.status_code
    assert not answers, "\n".join(f"{key}: {status}" for key, status in sorted(answers.items()))


def test_a_visitor_of_the_establishment_gets_403_on_every_object_write(client, world, owned):
    client.force_login(world["visitor"])
    answers = {}
    for route in object_routes():
        if route in READING_POSTS:
            continue
        path = object_path(route, owned)
        response = consumed(request(client, "POST", path, path.startswith("/api/")))
        if response.status_code not in (403, 405):
            answers[route] = response.status_code
    assert not answers, "\n".join(f"{key}: {status}" for key, status in sorted(answers.items()))
