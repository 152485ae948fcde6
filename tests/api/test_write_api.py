import pytest
from django.test import Client

from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory
from zlv.accounts.enums import Role
from zlv.api.models import ApiToken
from zlv.housing import services
from zlv.housing.models import BulkUpdateJob, Event, Note, Precision

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory(db):
    douai = CommuneFactory(code="59178")
    CommuneFactory(code="59606")  # another establishment's commune
    establishment = EstablishmentFactory(communes=[douai])
    return {
        "agent": UserFactory(establishment=establishment, first_name="Camille", last_name="Martin"),
        "visitor": UserFactory(establishment=establishment, establishment__role=Role.VISITOR),
        "mine": HousingFactory(geo_code="59178", status=1),
        "also_mine": HousingFactory(geo_code="59178", status=1),
        "theirs": HousingFactory(geo_code="59606", status=1),
    }


def test_patch_changes_only_sent_fields_and_records_events(client, territory):
    client.force_login(territory["agent"])
    works = Precision.objects.get(category="travaux", label="À venir")
    response = client.patch(
        f"/api/v1/housing/{territory['mine'].pk}",
        {
            "status": 3,
            "sub_status": "En accompagnement",
            "precisions": [works.pk],
            "note": "Échange avec le notaire.",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status_label"], body["sub_status"], body["occupancy"]) == (
        "Suivi en cours",
        "En accompagnement",
        "V",
    )
    assert body["precisions"] == [works.pk]
    assert body["changed"] == ["status", "precisions"]
    kinds = list(
        Event.objects.filter(housing=territory["mine"]).values_list("kind", flat=True).order_by("pk")
    )
    assert kinds == ["housing:status-updated", "housing:precision-attached"]
    assert Note.objects.get(housing=territory["mine"]).content == "Échange avec le notaire."


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"status": 1, "sub_status": "En accompagnement"}, "n’a pas de sous-statut"),
        ({"status": 4, "sub_status": "En accompagnement"}, "ne correspond pas au statut « Suivi terminé »"),
        ({"status": 7}, "Statut de suivi inconnu."),
        ({"occupancy": "R"}, "Occupé par un artisan exonéré"),
    ],
)
def test_patch_invalid_pairs_are_422_in_french(client, territory, payload, reason):
    client.force_login(territory["agent"])
    response = client.patch(
        f"/api/v1/housing/{territory['mine'].pk}", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert reason in response.json()["detail"]


def test_patch_another_establishments_dwelling_is_404(client, territory):
    client.force_login(territory["agent"])
    response = client.patch(
        f"/api/v1/housing/{territory['theirs'].pk}", {"occupancy": "L"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_visitor_is_403(client, territory):
    client.force_login(territory["visitor"])
    response = client.patch(
        f"/api/v1/housing/{territory['mine'].pk}", {"occupancy": "L"}, content_type="application/json"
    )
    assert response.status_code == 403
    response = client.post(
        "/api/v1/housing/bulk-update",
        {"ids": [territory["mine"].pk], "occupancy": "L"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_session_writes_need_the_csrf_token(territory):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(territory["agent"])
    url = f"/api/v1/housing/{territory['mine'].pk}"
    refused = browser.patch(url, {"occupancy": "L"}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    browser.get("/parc-de-logements")  # sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.patch(
        url, {"occupancy": "L"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 200


def test_token_writes_need_no_csrf(territory):
    _, clear = ApiToken.issue(user=territory["agent"], name="SIG")
    browser = Client(enforce_csrf_checks=True)
    response = browser.patch(
        f"/api/v1/housing/{territory['mine'].pk}",
        {"occupancy": "L"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {clear}"},
    )
    assert response.status_code == 200


def test_anonymous_is_401(client, territory):
    response = client.patch(
        f"/api/v1/housing/{territory['mine'].pk}", {"occupancy": "L"}, content_type="application/json"
    )
    assert response.status_code == 401


def test_bulk_update_by_ids_and_by_filters_with_exclusions(client, territory):
    client.force_login(territory["agent"])
    response = client.post(
        "/api/v1/housing/bulk-update",
        {
            "ids": [territory["mine"].pk],
            "status": 2,
            "sub_status": "En pré-accompagnement",
            "note": "Relance",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"count": 1, "job_id": None, "status": "succeeded", "progress_url": None}

    response = client.post(
        "/api/v1/housing/bulk-update",
        {"filters": {"statusList": [1, 2]}, "all": True, "ids": [territory["mine"].pk], "occupancy": "P"},
        content_type="application/json",
    )
    assert response.json()["count"] == 1
    territory["also_mine"].refresh_from_db()
    territory["mine"].refresh_from_db()
    territory["theirs"].refresh_from_db()
    assert (territory["also_mine"].occupancy, territory["mine"].occupancy, territory["theirs"].occupancy) == (
        "P",
        "V",
        "V",
    )


def test_bulk_update_rules_are_422(client, territory, monkeypatch):
    client.force_login(territory["agent"])
    response = client.post(
        "/api/v1/housing/bulk-update",
        {"ids": [territory["mine"].pk], "status": 3},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "Veuillez choisir un sous-statut" in response.json()["detail"]

    monkeypatch.setattr(services, "contacted_housing_ids", lambda queryset: {territory["mine"].pk})
    response = client.post(
        "/api/v1/housing/bulk-update",
        {"ids": [territory["mine"].pk], "status": 0},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "« Non suivi »" in response.json()["detail"]

    response = client.post(
        "/api/v1/housing/bulk-update",
        {"filters": {"statusList": "9"}, "all": True, "occupancy": "P"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"statusList": "Valeur non reconnue pour « Statut de suivi »."}


def test_large_bulk_update_returns_a_job(
    client, territory, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(services, "BULK_SYNC_LIMIT", 1)
    client.force_login(territory["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/housing/bulk-update", {"all": True, "occupancy": "L"}, content_type="application/json"
        )
    assert response.status_code == 202
    body = response.json()
    assert body["count"] == 2
    job = client.get(body["progress_url"]).json()
    assert (job["status"], job["done"], job["total"]) == ("succeeded", 2, 2)
    assert BulkUpdateJob.objects.get().user == territory["agent"]
