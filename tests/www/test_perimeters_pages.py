"""The perimeters pages (/perimetres): list, upload, rename, delete, map layer."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory
from zlv.accounts.enums import Role
from zlv.geo.models import Perimeter, PerimeterHousing
from zlv.geo.perimeter_services import perimeter_create_from_upload

pytestmark = pytest.mark.django_db

LILLE_SQUARE = [[3.00, 50.60], [3.10, 50.60], [3.10, 50.66], [3.00, 50.66], [3.00, 50.60]]


def geojson(*features, name="zones.geojson") -> SimpleUploadedFile:
    document = {"type": "FeatureCollection", "features": list(features)}
    return SimpleUploadedFile(name, json.dumps(document).encode(), content_type="application/geo+json")


def polygon(ring=LILLE_SQUARE, **properties) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": properties,
    }


@pytest.fixture
def establishment():
    lille = CommuneFactory(code="59350", name="Lille")
    return EstablishmentFactory(name="Métropole européenne de Lille", communes=[lille])


@pytest.fixture
def other_establishment():
    dunkerque = CommuneFactory(code="59183", name="Dunkerque")
    return EstablishmentFactory(name="Communauté urbaine de Dunkerque", communes=[dunkerque])


@pytest.fixture
def admin(establishment):
    return UserFactory(
        first_name="Alice", last_name="Admin", establishment=establishment, establishment__role=Role.ADMIN
    )


@pytest.fixture
def perimeter(establishment, admin):
    HousingFactory(geo_code="59350", longitude=3.05, latitude=50.63)
    HousingFactory(geo_code="59350", longitude=3.06, latitude=50.64)
    HousingFactory(geo_code="59350", longitude=3.50, latitude=50.64)
    [perimeter] = perimeter_create_from_upload(
        establishment=establishment,
        user=admin,
        uploaded_file=geojson(polygon(nom="Centre-ville", type="OPAH-RU")),
    )
    return perimeter


@pytest.fixture
def other_perimeter(other_establishment):
    other_admin = UserFactory(establishment=other_establishment, establishment__role=Role.ADMIN)
    [perimeter] = perimeter_create_from_upload(
        establishment=other_establishment,
        user=other_admin,
        uploaded_file=geojson(polygon(nom="Port", type="ORT")),
    )
    return perimeter


def page(client, url="/perimetres") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# List


def test_admin_sees_the_perimeters_with_their_dwelling_counts_and_actions(
    client, admin, perimeter, other_perimeter, django_assert_max_num_queries
):
    client.force_login(admin)

    with django_assert_max_num_queries(8):
        html = page(client)

    assert "Périmètres de Métropole européenne de Lille" in html
    row = html[html.index(f'id="perimetre-{perimeter.pk}"') :]
    row = row[: row.index("</tr>")]
    for text in ("Centre-ville", "OPAH-RU", ">2<", "Alice Admin"):
        assert text in row
    assert f'href="/perimetres/{perimeter.pk}/modifier"' in row
    assert f'href="/perimetres/{perimeter.pk}/supprimer"' in row
    assert 'href="/perimetres/deposer"' in html
    assert "Port" not in html  # another establishment's perimeter


def test_query_count_does_not_grow_with_the_perimeters(
    client, admin, establishment, perimeter, django_assert_max_num_queries
):
    for number in range(10):
        perimeter_create_from_upload(
            establishment=establishment, user=admin, uploaded_file=geojson(polygon(nom=f"Zone {number}"))
        )
    client.force_login(admin)

    with django_assert_max_num_queries(8):
        html = page(client)

    assert html.count('id="perimetre-') == 11


@pytest.mark.parametrize("role", [Role.USUAL, Role.VISITOR])
def test_usual_users_and_visitors_read_the_list_without_controls(client, establishment, perimeter, role):
    client.force_login(UserFactory(establishment=establishment, establishment__role=role))

    html = page(client)

    assert "Centre-ville" in html
    assert "Seuls les administrateurs de la structure peuvent déposer" in html
    assert "/perimetres/deposer" not in html
    assert "/modifier" not in html
    assert "/supprimer" not in html


def test_empty_list_and_user_without_establishment(client, admin):
    client.force_login(admin)
    assert "Aucun périmètre n’a encore été déposé" in page(client)

    client.force_login(UserFactory())
    assert "Aucune structure rattachée" in page(client)


# Upload


def test_admin_uploads_a_geojson_file(client, admin, establishment):
    inside = HousingFactory(geo_code="59350", longitude=3.05, latitude=50.63)
    client.force_login(admin)
    html = page(client, "/perimetres/deposer")
    assert 'enctype="multipart/form-data"' in html
    assert 'class="fr-upload"' in html

    response = client.post(
        "/perimetres/deposer",
        {"file": geojson(polygon(), name="centre.geojson"), "name": "", "kind": "OPAH"},
        follow=True,
    )

    assert response.redirect_chain == [("/perimetres", 302)]
    perimeter = Perimeter.objects.get()
    assert (perimeter.name, perimeter.kind, perimeter.establishment) == ("centre", "OPAH", establishment)
    assert list(PerimeterHousing.objects.values_list("housing_id", flat=True)) == [inside.pk]
    assert "Périmètre « centre » ajouté." in response.content.decode()


def test_a_refused_file_shows_its_error_next_to_the_field_and_saves_nothing(client, admin):
    client.force_login(admin)
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3.05, 50.63]}, "properties": {}}

    response = client.post("/perimetres/deposer", {"file": geojson(point), "name": "Mairie", "kind": ""})

    assert response.status_code == 200
    html = response.content.decode()
    # Inside the upload group, before the next field.
    group = html[
        html.index('<div class="fr-upload-group fr-upload-group--error">') : html.index('id="id_name"')
    ]
    assert (
        "L’entité n° 1 est de type Point : seuls les polygones (Polygon, MultiPolygon) sont acceptés."
        in group
    )
    assert 'value="Mairie"' in html  # the form keeps what was typed
    assert not Perimeter.objects.exists()


def test_upload_without_a_file_asks_for_one(client, admin):
    client.force_login(admin)

    html = client.post("/perimetres/deposer", {"name": "Zone"}).content.decode()

    assert "Choisissez le fichier du périmètre." in html
    assert "fr-upload-group--error" in html


@pytest.mark.parametrize("role", [Role.USUAL, Role.VISITOR])
def test_usual_users_and_visitors_cannot_upload(client, establishment, role):
    client.force_login(UserFactory(establishment=establishment, establishment__role=role))

    assert client.get("/perimetres/deposer").status_code == 403
    response = client.post(
        "/perimetres/deposer", {"file": geojson(polygon()), "name": "Zone", "kind": "OPAH"}
    )

    assert response.status_code == 403
    assert not Perimeter.objects.exists()


# Rename


def test_admin_renames_a_perimeter(client, admin, perimeter):
    client.force_login(admin)
    html = page(client, f"/perimetres/{perimeter.pk}/modifier")
    assert 'value="Centre-ville"' in html
    assert 'value="OPAH-RU"' in html

    response = client.post(
        f"/perimetres/{perimeter.pk}/modifier", {"name": "Centre ancien", "kind": "ORT"}, follow=True
    )

    assert response.redirect_chain == [("/perimetres", 302)]
    perimeter.refresh_from_db()
    assert (perimeter.name, perimeter.kind) == ("Centre ancien", "ORT")
    assert "Périmètre « Centre ancien » modifié." in response.content.decode()


def test_rename_shows_errors_next_to_the_fields(client, admin, perimeter):
    client.force_login(admin)

    html = client.post(f"/perimetres/{perimeter.pk}/modifier", {"name": "", "kind": ""}).content.decode()

    assert "Saisissez le nom du périmètre." in html
    assert "Saisissez le type du périmètre." in html
    assert html.count("fr-input-group--error") == 2
    perimeter.refresh_from_db()
    assert perimeter.name == "Centre-ville"


# Delete


def test_admin_deletes_a_perimeter_after_confirmation(client, admin, perimeter):
    client.force_login(admin)
    html = page(client, f"/perimetres/{perimeter.pk}/supprimer")
    assert "Supprimer le périmètre « Centre-ville » ?" in html
    assert Perimeter.objects.filter(pk=perimeter.pk).exists()

    response = client.post(f"/perimetres/{perimeter.pk}/supprimer", follow=True)

    assert response.redirect_chain == [("/perimetres", 302)]
    assert not Perimeter.objects.exists()
    assert not PerimeterHousing.objects.exists()
    assert "Périmètre « Centre-ville » supprimé." in response.content.decode()


# Roles and establishments


@pytest.mark.parametrize("role", [Role.USUAL, Role.VISITOR])
@pytest.mark.parametrize("action", ["modifier", "supprimer"])
def test_usual_users_and_visitors_cannot_rename_or_delete(client, establishment, perimeter, role, action):
    client.force_login(UserFactory(establishment=establishment, establishment__role=role))

    assert client.get(f"/perimetres/{perimeter.pk}/{action}").status_code == 403
    response = client.post(f"/perimetres/{perimeter.pk}/{action}", {"name": "Piraté", "kind": "X"})

    assert response.status_code == 403
    perimeter.refresh_from_db()
    assert perimeter.name == "Centre-ville"


@pytest.mark.parametrize("action", ["modifier", "supprimer"])
def test_another_establishment_perimeter_is_a_404(client, admin, other_perimeter, action):
    client.force_login(admin)

    assert client.get(f"/perimetres/{other_perimeter.pk}/{action}").status_code == 404
    response = client.post(f"/perimetres/{other_perimeter.pk}/{action}", {"name": "Piraté", "kind": "X"})

    assert response.status_code == 404
    other_perimeter.refresh_from_db()
    assert other_perimeter.name == "Port"


def test_a_former_member_cannot_write(client, admin, establishment, perimeter):
    """Still pointing at the establishment after leaving it: no role there, so no write — and, like
    any other establishment's user, not even a hint that the perimeter exists."""
    outsider = UserFactory(establishment__role=Role.ADMIN)
    outsider.active_establishment = establishment
    outsider.save()
    client.force_login(outsider)

    assert client.post(f"/perimetres/{perimeter.pk}/supprimer").status_code == 404
    assert Perimeter.objects.filter(pk=perimeter.pk).exists()


# Map layer


def test_map_layer_lists_only_the_establishment_perimeters(client, establishment, perimeter, other_perimeter):
    client.force_login(UserFactory(establishment=establishment, establishment__role=Role.VISITOR))

    response = client.get("/perimetres/carte.geojson")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    layer = response.json()
    assert [feature["properties"] for feature in layer["features"]] == [
        {"id": perimeter.pk, "name": "Centre-ville", "kind": "OPAH-RU"}
    ]


def test_map_layer_is_empty_without_establishment(client):
    client.force_login(UserFactory())

    assert client.get("/perimetres/carte.geojson").json() == {
        "type": "FeatureCollection",
        "features": [],
        "bbox": None,
    }
