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


# ---- Optimistic concurrency (`expected`) ----------------------------------------------------


def read(client, housing) -> dict:
    """What a client copies into `expected` from the detail it read."""
    detail = client.get(f"/api/v1/housing/{housing.pk}").json()
    names = ("status", "sub_status", "occupancy", "occupancy_intended", "actual_dpe", "precisions")
    return {name: detail[name] for name in names}


def test_detail_gives_what_expected_needs(client, territory):
    works = Precision.objects.get(category="travaux", label="À venir")
    housing = territory["mine"]
    housing.precisions.add(works)
    client.force_login(territory["agent"])

    assert read(client, housing) == {
        "status": 1,
        "sub_status": "",
        "occupancy": "V",
        "occupancy_intended": "",
        "actual_dpe": "",
        "precisions": [works.pk],
    }


def test_patch_with_unchanged_expected_values_saves(client, territory):
    client.force_login(territory["agent"])
    expected = read(client, territory["mine"])

    response = client.patch(
        f"/api/v1/housing/{territory['mine'].pk}",
        {"status": 3, "sub_status": "En accompagnement", "occupancy": "L", "expected": expected},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["changed"] == ["status", "occupancy"]


def test_patch_over_another_users_change_is_409_and_saves_nothing(client, territory):
    colleague = UserFactory(
        establishment=territory["agent"].active_establishment, first_name="Dominique", last_name="Petit"
    )
    housing = territory["mine"]
    client.force_login(territory["agent"])
    expected = read(client, housing)
    services.housing_update(housing=housing, by=colleague, status=4, sub_status="Sortie de la vacance")
    services.housing_update(housing=housing, by=colleague, occupancy="L")
    events_before = Event.objects.count()

    response = client.patch(
        f"/api/v1/housing/{housing.pk}",
        {
            "status": 5,
            "sub_status": "Tiers en cause",
            "occupancy": "B",
            "actual_dpe": "C",
            "note": "Appel du propriétaire.",
            "expected": expected,
        },
        content_type="application/json",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["detail"].startswith(
        "Ce logement a été modifié par une autre personne depuis votre lecture "
        "(le statut de suivi, l’occupation actuelle) : rien n’a été enregistré."
    )
    assert set(body["errors"]) == {"status", "occupancy"}
    assert "par Dominique Petit" in body["errors"]["status"]
    assert "Valeur actuelle : Suivi terminé (Sortie de la vacance)" in body["errors"]["status"]
    housing.refresh_from_db()
    # Nothing saved: neither the conflicting fields, nor the others, nor the note.
    assert (housing.status, housing.occupancy, housing.actual_dpe) == (4, "L", "")
    assert Event.objects.count() == events_before
    assert not Note.objects.filter(housing=housing).exists()


def test_patch_conflict_on_precisions_is_409(client, territory):
    works = Precision.objects.get(category="travaux", label="À venir")
    done = Precision.objects.get(category="travaux", label="En cours")
    housing = territory["mine"]
    client.force_login(territory["agent"])
    expected = read(client, housing)
    services.housing_update(housing=housing, by=territory["agent"], precision_ids=[done.pk])

    response = client.patch(
        f"/api/v1/housing/{housing.pk}",
        {"precisions": [works.pk], "expected": expected},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert "(les précisions)" in response.json()["detail"]
    assert list(housing.precisions.values_list("pk", flat=True)) == [done.pk]


def test_patch_leaves_fields_changed_elsewhere_alone_when_not_sent_or_unchanged(client, territory):
    colleague = UserFactory(establishment=territory["agent"].active_establishment)
    housing = territory["mine"]
    client.force_login(territory["agent"])
    expected = read(client, housing)
    services.housing_update(housing=housing, by=colleague, occupancy="L")

    # `occupancy` is sent as it was read: the client did not change it, the colleague's value stays.
    response = client.patch(
        f"/api/v1/housing/{housing.pk}",
        {"status": 0, "occupancy": expected["occupancy"], "expected": expected},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["occupancy"]) == (0, "L")


def test_patch_without_expected_keeps_last_write_wins(client, territory):
    colleague = UserFactory(establishment=territory["agent"].active_establishment)
    housing = territory["mine"]
    services.housing_update(housing=housing, by=colleague, occupancy="L")
    client.force_login(territory["agent"])

    response = client.patch(
        f"/api/v1/housing/{housing.pk}", {"occupancy": "B"}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["occupancy"] == "B"
