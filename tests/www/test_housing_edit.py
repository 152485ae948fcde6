import json
import re

import pytest

from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory
from zlv.accounts.enums import Role
from zlv.housing import services
from zlv.housing.models import BulkUpdateJob, Event, Note, Precision

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def douai(db):
    return CommuneFactory(code="59178", name="Douai")


@pytest.fixture
def establishment(douai):
    return EstablishmentFactory(communes=[douai])


@pytest.fixture
def agent(establishment):
    return UserFactory(establishment=establishment, first_name="Camille", last_name="Martin")


@pytest.fixture
def colleague(establishment):
    return UserFactory(establishment=establishment, first_name="Dominique", last_name="Petit")


@pytest.fixture
def housing(douai):
    return HousingFactory(geo_code="59178", status=1, occupancy="V", address_dgfip="12 RUE DE BELLAING")


def text_of(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def loaded_form(client, housing) -> dict:
    """The fields of the edit panel as a browser would submit them untouched."""
    html = client.get(f"/logements/{housing.pk}/edition", headers=HTMX).content.decode()
    version = re.search(r'name="version" value="([^"]*)"', html).group(1).replace("&quot;", '"')
    snapshot = json.loads(version)
    data = {
        "version": json.dumps(snapshot),
        "status": str(snapshot["status"]),
        "sub_status": snapshot["sub_status"],
        "occupancy": snapshot["occupancy"],
        "occupancy_intended": snapshot["occupancy_intended"],
        "actual_dpe": snapshot["actual_dpe"],
        "precisions": [str(i) for i in snapshot["precision_ids"]],
        "note": "",
    }
    return data


def test_record_shows_edit_button_and_panel_to_writers_only(client, agent, establishment, housing):
    client.force_login(agent)
    assert "Éditer" in text_of(client.get(f"/logements/{housing.pk}"))
    panel = client.get(f"/logements/{housing.pk}/edition", headers=HTMX)
    assert panel.status_code == 200
    text = text_of(panel)
    for label in (
        "Informations sur le logement",
        "Suivi",
        "Note",
        "Occupation actuelle *",
        "Statut de suivi *",
    ):
        assert label in text
    # Read-only occupancies are not offered.
    occupancy_select = re.search(r'name="occupancy".*?</select>', panel.content.decode(), re.S).group(0)
    assert 'value="L"' in occupancy_select and 'value="G"' not in occupancy_select

    visitor = UserFactory(establishment=establishment, establishment__role=Role.VISITOR)
    client.force_login(visitor)
    assert 'id="zlv-edit-button"' not in client.get(f"/logements/{housing.pk}").content.decode()
    assert client.get(f"/logements/{housing.pk}/edition", headers=HTMX).status_code == 403


def test_edit_saves_refreshes_header_and_history(client, agent, housing):
    client.force_login(agent)
    data = loaded_form(client, housing)
    data.update(status="3", sub_status="En accompagnement", occupancy="L", note="Propriétaire rencontré.")
    response = client.post(f"/logements/{housing.pk}/edition", data, headers=HTMX)

    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"]) == {"zlv:housing-saved": {}}
    html = response.content.decode()
    assert 'id="zlv-record-header"' in html and 'hx-swap-oob="true"' in html
    text = text_of(response)
    assert "Les modifications du logement ont bien été enregistrées." in text
    assert "Statut de suivi : En attente de retour → Suivi en cours" in text
    assert "Occupation actuelle : Vacant → En location" in text
    assert "Propriétaire rencontré." in text
    housing.refresh_from_db()
    assert (housing.status, housing.sub_status, housing.occupancy) == (3, "En accompagnement", "L")


def test_errors_show_next_to_the_field(client, agent, housing):
    client.force_login(agent)
    data = loaded_form(client, housing)
    data.update(status="3", sub_status="")
    response = client.post(f"/logements/{housing.pk}/edition", data, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    messages = re.search(r'id="edition-sous-statut-messages"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "Veuillez choisir un sous-statut pour le statut « Suivi en cours »." in messages
    # The tab holding the error is the one shown.
    assert re.search(r'id="edition-onglet-suivi"[^>]*aria-selected="true"', html, re.S)
    assert not Event.objects.exists()


def test_concurrent_forms_field_by_field_with_a_message(client, agent, colleague, housing):
    client.force_login(agent)
    mine = loaded_form(client, housing)
    client.force_login(colleague)
    theirs = loaded_form(client, housing)

    theirs.update(status="2", sub_status="En pré-accompagnement")
    assert client.post(f"/logements/{housing.pk}/edition", theirs, headers=HTMX).status_code == 200

    client.force_login(agent)
    mine.update(status="5", sub_status="Tiers en cause", actual_dpe="C")
    response = client.post(f"/logements/{housing.pk}/edition", mine, headers=HTMX)
    assert "HX-Trigger" not in response.headers  # the panel stays open
    text = text_of(response)
    assert "Vos autres modifications ont bien été enregistrées" in text
    assert "Le statut de suivi a été modifié par Dominique Petit le" in text
    housing.refresh_from_db()
    assert (housing.status, housing.actual_dpe) == (2, "C")


def test_edit_without_javascript_redirects_with_a_message(client, agent, housing):
    client.force_login(agent)
    page = client.get(f"/logements/{housing.pk}/edition")
    assert "<html" in page.content.decode()
    data = loaded_form(client, housing)
    data.update(occupancy="P")
    response = client.post(f"/logements/{housing.pk}/edition", data, follow=True)
    assert "Les modifications du logement ont bien été enregistrées." in text_of(response)


def test_sub_status_options_follow_the_status(client, agent):
    client.force_login(agent)
    options = client.get("/logements/sous-statuts", {"status": "4"}, headers=HTMX).content.decode()
    assert "Sortie de la vacance" in options and "En accompagnement" not in options
    assert "<select" not in client.get("/logements/sous-statuts", {"status": "1"}).content.decode()


def test_single_choice_precisions_are_radio_buttons(client, agent, housing):
    client.force_login(agent)
    html = client.get(f"/logements/{housing.pk}/edition", headers=HTMX).content.decode()
    works = Precision.objects.get(category="travaux", label="En cours")
    assert (
        f'type="radio"\n                                           id="precision-edition-{works.pk}"' in html
        or (re.search(rf'type="radio"\s+id="precision-edition-{works.pk}"', html))
    )


# ---- Notes -------------------------------------------------------------------------------------


def test_note_create_edit_delete_with_confirmation(client, agent, housing):
    client.force_login(agent)
    created = client.post(f"/logements/{housing.pk}/notes", {"content": "Appel passé."}, headers=HTMX)
    assert "La note a bien été enregistrée." in text_of(created)
    note = Note.objects.get()

    form = client.get(f"/notes/{note.pk}/modifier", headers=HTMX)
    assert "Modifier la note" in text_of(form)
    edited = client.post(f"/notes/{note.pk}/modifier", {"content": "Appel passé le 3."}, headers=HTMX)
    assert "La note a bien été modifiée." in text_of(edited)

    confirmation = client.get(f"/notes/{note.pk}/supprimer", headers=HTMX)
    assert "Voulez-vous vraiment supprimer cette note ?" in text_of(confirmation)
    note.refresh_from_db()
    assert note.deleted_at is None
    deleted = client.post(f"/notes/{note.pk}/supprimer", headers=HTMX)
    assert "La note a bien été supprimée." in text_of(deleted)
    note.refresh_from_db()
    assert note.deleted_at is not None


def test_empty_note_shows_an_error(client, agent, housing):
    client.force_login(agent)
    response = client.post(f"/logements/{housing.pk}/notes", {"content": "  "}, headers=HTMX)
    assert response.status_code == 422
    assert "Veuillez saisir le contenu de la note." in text_of(response)


def test_only_author_or_admin_sees_and_uses_note_actions(client, agent, colleague, establishment, housing):
    note = services.note_create(housing=housing, by=agent, content="Visite prévue.")
    client.force_login(colleague)
    assert f"/notes/{note.pk}/modifier" not in client.get(f"/logements/{housing.pk}").content.decode()
    assert client.post(f"/notes/{note.pk}/modifier", {"content": "x"}).status_code == 403
    assert client.post(f"/notes/{note.pk}/supprimer").status_code == 403

    admin = UserFactory(establishment=establishment, establishment__role=Role.ADMIN)
    client.force_login(admin)
    assert f"/notes/{note.pk}/modifier" in client.get(f"/logements/{housing.pk}").content.decode()
    assert client.post(f"/notes/{note.pk}/supprimer", follow=True).status_code == 200


def note_form_version(client, note) -> str:
    html = client.get(f"/notes/{note.pk}/modifier", headers=HTMX).content.decode()
    return re.search(r'name="version"\s+value="([^"]+)"', html).group(1)


def test_note_changed_since_the_form_was_loaded_is_not_overwritten(client, agent, establishment, housing):
    note = services.note_create(housing=housing, by=agent, content="Visite prévue.")
    client.force_login(agent)
    version = note_form_version(client, note)
    admin = UserFactory(establishment=establishment, establishment__role=Role.ADMIN)
    services.note_update(note=note, by=admin, content="Visite prévue le 12 mars.")

    response = client.post(
        f"/notes/{note.pk}/modifier", {"content": "Visite annulée.", "version": version}, headers=HTMX
    )

    assert response.status_code == 200  # htmx swaps no 4xx response
    assert response["HX-Retarget"] == f"#note-{note.pk}"
    text = text_of(response)
    assert "après l’ouverture de ce formulaire : votre modification n’a pas été enregistrée." in text
    assert "Sa dernière version : Visite prévue le 12 mars." in text
    assert "Visite annulée." in text  # the user's text is kept in the field
    note.refresh_from_db()
    assert note.content == "Visite prévue le 12 mars."

    # Saved again after reading the newer version: it is replaced on purpose.
    newer = re.search(r'name="version"\s+value="([^"]+)"', response.content.decode()).group(1)
    assert newer != version
    again = client.post(
        f"/notes/{note.pk}/modifier", {"content": "Visite annulée.", "version": newer}, headers=HTMX
    )
    assert "La note a bien été modifiée." in text_of(again)
    note.refresh_from_db()
    assert note.content == "Visite annulée."


def test_note_conflict_without_javascript_is_409(client, agent, housing):
    note = services.note_create(housing=housing, by=agent, content="Visite prévue.")
    client.force_login(agent)
    version = note_form_version(client, note)
    services.note_update(note=note, by=agent, content="Visite faite.")

    response = client.post(f"/notes/{note.pk}/modifier", {"content": "Autre texte.", "version": version})

    assert response.status_code == 409
    assert "votre modification n’a pas été enregistrée" in text_of(response)
    note.refresh_from_db()
    assert note.content == "Visite faite."


def test_note_deleted_meanwhile_is_not_resurrected(agent, housing):
    note = services.note_create(housing=housing, by=agent, content="Visite prévue.")
    loaded = Note.objects.get(pk=note.pk)
    services.note_delete(note=note, by=agent)

    with pytest.raises(services.NoteConflictError, match="supprimée entre-temps"):
        services.note_update(note=loaded, by=agent, content="Autre.", expected_updated_at=loaded.updated_at)
    loaded.refresh_from_db()
    assert (loaded.content, loaded.deleted_at is not None) == ("Visite prévue.", True)


def test_invalid_note_edit_shows_the_error_next_to_the_form(client, agent, housing):
    note = services.note_create(housing=housing, by=agent, content="Visite prévue.")
    client.force_login(agent)

    response = client.post(
        f"/notes/{note.pk}/modifier",
        {"content": " ", "version": note_form_version(client, note)},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "Veuillez saisir le contenu de la note." in text_of(response)


# ---- Bulk edit ---------------------------------------------------------------------------------


@pytest.fixture
def selection(douai):
    return [HousingFactory(geo_code="59178", status=1) for _ in range(3)]


def bulk_url(housings, **extra) -> str:
    ids = ",".join(str(h.pk) for h in housings)
    query = "&".join(f"{key}={value}" for key, value in extra.items())
    return f"/parc-de-logements/edition-groupee?statusList=1&housingIds={ids}" + (
        f"&{query}" if query else ""
    )


def test_bulk_edit_confirmation_then_success(client, agent, selection):
    client.force_login(agent)
    url = bulk_url(selection[:2])
    assert "2 logements sélectionnés" in text_of(client.get(url))

    fields = {"status": "3", "sub_status": "En accompagnement", "note": "Courrier du 3 mars"}
    confirmation = client.post(url, fields)
    assert confirmation.status_code == 200
    text = text_of(confirmation)
    assert "Vous allez modifier 2 logements" in text
    assert "Statut de suivi : Suivi en cours (En accompagnement)" in text
    assert not Event.objects.exists()

    response = client.post(url, {**fields, "step": "confirm"}, follow=True)
    assert "L’édition groupée de 2 logements a bien été enregistrée." in text_of(response)
    assert response.redirect_chain[-1][0] == "/parc-de-logements?statusList=1"
    assert Note.objects.filter(content="Courrier du 3 mars").count() == 2
    assert Event.objects.filter(kind="housing:status-updated").count() == 2


def test_bulk_edit_requires_the_sub_status(client, agent, selection):
    client.force_login(agent)
    response = client.post(bulk_url(selection), {"status": "4"})
    assert response.status_code == 422
    assert "Veuillez choisir un sous-statut pour le statut « Suivi terminé »." in text_of(response)


def test_bulk_edit_refuses_never_contacted_on_contacted_dwellings(client, agent, selection, monkeypatch):
    monkeypatch.setattr(services, "contacted_housing_ids", lambda queryset: {h.pk for h in selection})
    client.force_login(agent)
    response = client.post(bulk_url(selection), {"status": "0", "step": "confirm"})
    assert response.status_code == 422
    assert "3 logements ont déjà été contactés dans une campagne" in text_of(response)


def test_bulk_edit_all_with_exclusions(client, agent, selection):
    client.force_login(agent)
    url = bulk_url(selection[:1], all="true")
    assert "2 logements sélectionnés" in text_of(client.get(url))
    client.post(url, {"occupancy": "P", "step": "confirm"})
    assert sorted(h.occupancy for h in selection if h.refresh_from_db() is None) == ["P", "P", "V"]


def test_bulk_edit_without_selection(client, agent, selection):
    client.force_login(agent)
    response = client.get("/parc-de-logements/edition-groupee?statusList=1")
    assert "Aucun logement sélectionné." in text_of(response)


def test_bulk_edit_in_the_background_with_progress(
    client, agent, selection, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(services, "BULK_SYNC_LIMIT", 2)
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(bulk_url(selection), {"occupancy": "L", "step": "confirm"})
    job = BulkUpdateJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/parc-de-logements/edition-groupee/{job.pk}"
    progress = client.get(response["Location"], headers=HTMX)
    assert "L’édition groupée de 3 logements a bien été enregistrée." in text_of(progress)
    assert "hx-trigger" not in progress.content.decode()  # polling stops

    # Someone else's job is not found.
    client.force_login(UserFactory(establishment=agent.active_establishment))
    assert client.get(response["Location"]).status_code == 404


def test_bulk_progress_polls_while_running(client, agent):
    job = BulkUpdateJob.objects.create(
        establishment=agent.active_establishment, user=agent, total=5000, done=2000, status="running"
    )
    client.force_login(agent)
    response = client.get(f"/parc-de-logements/edition-groupee/{job.pk}")
    html = response.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "2 000 logements modifiés sur 5 000 (40 %)" in text_of(
        response
    )  # text_of turns every space into " "
