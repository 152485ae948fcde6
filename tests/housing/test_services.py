import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import override_settings

from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory
from zlv.accounts.enums import Role
from zlv.housing import services
from zlv.housing.filters import parse_filters
from zlv.housing.models import BulkUpdateJob, Event, HousingPrecision, Note, Precision
from zlv.housing.services import (
    HousingUpdateError,
    HousingUpdateForbiddenError,
    housing_bulk_update,
    housing_snapshot,
    housing_update,
    note_create,
    note_delete,
    note_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def douai(db):
    return CommuneFactory(code="59178", name="Douai")


@pytest.fixture
def establishment(douai):
    return EstablishmentFactory(name="Douaisis Agglo", communes=[douai])


@pytest.fixture
def agent(establishment):
    return UserFactory(establishment=establishment, first_name="Camille", last_name="Martin")


@pytest.fixture
def colleague(establishment):
    return UserFactory(establishment=establishment, first_name="Dominique", last_name="Petit")


@pytest.fixture
def housing(douai):
    return HousingFactory(geo_code="59178", status=1, occupancy="V")


def precision(category: str, label: str) -> Precision:
    return Precision.objects.get(category=category, label=label)


def events_of(housing, kind=None):
    events = Event.objects.filter(housing=housing).order_by("pk")
    if kind:
        events = events.filter(kind=kind)
    return [(event.kind, event.old, event.new) for event in events]


# ---- One dwelling ------------------------------------------------------------------------------


def test_status_change_records_labels(housing, agent):
    result = housing_update(housing=housing, by=agent, status=3, sub_status="En accompagnement")

    housing.refresh_from_db()
    assert (housing.status, housing.sub_status) == (3, "En accompagnement")
    assert result.changed == ["status"]
    assert events_of(housing) == [
        (
            "housing:status-updated",
            {"status": "En attente de retour", "subStatus": None},
            {"status": "Suivi en cours", "subStatus": "En accompagnement"},
        )
    ]
    assert Event.objects.get(housing=housing).created_by == agent


def test_each_field_group_gets_its_event(housing, agent):
    works = precision("travaux", "En cours")
    housing_update(
        housing=housing,
        by=agent,
        occupancy="L",
        occupancy_intended="P",
        actual_dpe="d",
        precision_ids=[works.pk],
    )
    assert events_of(housing) == [
        (
            "housing:occupancy-updated",
            {"occupancy": "Vacant", "occupancyIntended": None},
            {"occupancy": "En location", "occupancyIntended": "Occupé par le propriétaire"},
        ),
        ("housing:updated", {"actualEnergyConsumption": None}, {"actualEnergyConsumption": "D"}),
        ("housing:precision-attached", None, {"category": "Travaux", "label": "En cours"}),
    ]


def test_nothing_changed_records_nothing(housing, agent):
    result = housing_update(housing=housing, by=agent, status=1, occupancy="V", precision_ids=[])
    assert result.changed == []
    assert Event.objects.count() == 0


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        ({"status": 3, "sub_status": "Sortie de la vacance"}, "sub_status", "ne correspond pas au statut"),
        ({"status": 3}, "sub_status", "Veuillez choisir un sous-statut"),
        ({"status": 1, "sub_status": "En accompagnement"}, "sub_status", "n’a pas de sous-statut"),
        ({"status": 9}, "status", "Statut de suivi inconnu."),
        ({"occupancy": "G"}, "occupancy", "Occupé à titre gratuit"),
        ({"occupancy_intended": "X"}, "occupancy_intended", "Fichiers fonciers"),
        ({"occupancy": ""}, "occupancy", "Veuillez choisir l’occupation actuelle."),
        ({"actual_dpe": "H"}, "actual_dpe", "de A à G"),
    ],
)
def test_invalid_values_are_refused_in_french(housing, agent, arguments, field, message):
    with pytest.raises(HousingUpdateError) as error:
        housing_update(housing=housing, by=agent, **arguments)
    assert message in error.value.errors[field]
    assert Event.objects.count() == 0


def test_status_without_sub_statuses_clears_the_sub_status(housing, agent):
    housing_update(housing=housing, by=agent, status=4, sub_status="Sortie de la vacance")
    housing_update(housing=housing, by=agent, status=1)
    housing.refresh_from_db()
    assert (housing.status, housing.sub_status) == (1, "")


def test_single_choice_precision_replaces_multi_choice_accumulates(housing, agent):
    planned, ongoing = precision("travaux", "À venir"), precision("travaux", "En cours")
    local_aid, tax = (
        precision("dispositifs-incitatifs", "Aides locales travaux"),
        precision("dispositifs-incitatifs", "Dispositif fiscal"),
    )
    housing_update(housing=housing, by=agent, precision_ids=[planned.pk, local_aid.pk])
    housing_update(housing=housing, by=agent, precision_ids=[ongoing.pk, local_aid.pk, tax.pk])

    assert set(HousingPrecision.objects.filter(housing=housing).values_list("precision_id", flat=True)) == {
        ongoing.pk,
        local_aid.pk,
        tax.pk,
    }
    assert events_of(housing, "housing:precision-detached") == [
        ("housing:precision-detached", {"category": "Travaux", "label": "À venir"}, None)
    ]
    with pytest.raises(HousingUpdateError, match="Une seule précision"):
        housing_update(housing=housing, by=agent, precision_ids=[planned.pk, ongoing.pk])


def test_concurrent_forms_keep_both_changes_field_by_field(housing, agent, colleague):
    """Two forms loaded on the same version; each changes different fields, then the same one."""
    loaded = housing_snapshot(housing)
    local_aid = precision("dispositifs-incitatifs", "Aides locales travaux")
    tax = precision("dispositifs-incitatifs", "Dispositif fiscal")

    first = housing_update(
        housing=housing,
        by=colleague,
        status=2,
        sub_status="En pré-accompagnement",
        occupancy="V",
        precision_ids=[local_aid.pk],
        expected_version=loaded,
    )
    assert first.conflicts == {}

    # The second form still shows status 1 and occupancy V: it changes the occupancy and the status.
    second = housing_update(
        housing=housing,
        by=agent,
        status=3,
        sub_status="En accompagnement",
        occupancy="L",
        precision_ids=[tax.pk],
        expected_version=loaded,
    )
    housing.refresh_from_db()
    # The colleague's status is kept, the agent's occupancy saved, both précisions merged.
    assert (housing.status, housing.sub_status, housing.occupancy) == (2, "En pré-accompagnement", "L")
    assert set(housing.precisions.values_list("pk", flat=True)) == {local_aid.pk, tax.pk}
    assert set(second.conflicts) == {"status"}
    message = second.conflicts["status"]
    assert "Le statut de suivi a été modifié par Dominique Petit le " in message
    assert "Valeur actuelle : Premier contact (En pré-accompagnement)." in message
    assert second.changed == ["occupancy", "precisions"]


def test_untouched_field_keeps_another_users_change(housing, agent, colleague):
    loaded = housing_snapshot(housing)
    housing_update(housing=housing, by=colleague, occupancy="L", expected_version=loaded)
    # The agent's form still says "V" for the occupancy (untouched) and changes the DPE.
    result = housing_update(housing=housing, by=agent, occupancy="V", actual_dpe="C", expected_version=loaded)
    housing.refresh_from_db()
    assert (housing.occupancy, housing.actual_dpe) == ("L", "C")
    assert result.conflicts == {}


def test_single_choice_precision_changed_by_both_is_a_conflict(housing, agent, colleague):
    planned, ongoing, done = (precision("travaux", label) for label in ("À venir", "En cours", "Terminés"))
    housing_update(housing=housing, by=agent, precision_ids=[planned.pk])
    loaded = housing_snapshot(housing)
    housing_update(housing=housing, by=colleague, precision_ids=[ongoing.pk], expected_version=loaded)
    result = housing_update(housing=housing, by=agent, precision_ids=[done.pk], expected_version=loaded)
    assert list(housing.precisions.values_list("pk", flat=True)) == [ongoing.pk]
    assert "La précision « Travaux » a été modifiée par Dominique Petit" in result.conflicts["precision_ids"]


# ---- A selection -------------------------------------------------------------------------------


@pytest.fixture
def selection(douai):
    return [HousingFactory(geo_code="59178", status=1) for _ in range(4)]


def ids_filters(housings, *, all_selected=False, **params):
    query = {"housingIds": ",".join(str(h.pk) for h in housings), **params}
    if all_selected:
        query["all"] = "true"
    return parse_filters(query)


def test_bulk_update_sets_fields_events_and_notes(selection, agent):
    tax = precision("dispositifs-incitatifs", "Dispositif fiscal")
    outcome = housing_bulk_update(
        user=agent,
        filters=ids_filters(selection[:3]),
        status=2,
        sub_status="En pré-accompagnement",
        occupancy="L",
        precision_ids=[tax.pk],
        note="Courrier envoyé le 3 mars.",
    )
    assert outcome.count == 3 and outcome.job is None
    for housing in selection[:3]:
        housing.refresh_from_db()
        assert (housing.status, housing.sub_status, housing.occupancy) == (2, "En pré-accompagnement", "L")
        assert events_of(housing) == [
            (
                "housing:status-updated",
                {"status": "En attente de retour", "subStatus": None},
                {"status": "Premier contact", "subStatus": "En pré-accompagnement"},
            ),
            (
                "housing:occupancy-updated",
                {"occupancy": "Vacant", "occupancyIntended": None},
                {"occupancy": "En location", "occupancyIntended": None},
            ),
            (
                "housing:precision-attached",
                None,
                {"category": "Dispositifs incitatifs", "label": "Dispositif fiscal"},
            ),
        ]
        assert list(Note.objects.filter(housing=housing).values_list("content", "created_by")) == [
            ("Courrier envoyé le 3 mars.", agent.pk)
        ]
    untouched = selection[3]
    untouched.refresh_from_db()
    assert untouched.status == 1 and not Event.objects.filter(housing=untouched).exists()


def test_bulk_all_with_exclusions(selection, agent):
    outcome = housing_bulk_update(
        user=agent, filters=ids_filters(selection[:1], all_selected=True), occupancy="P"
    )
    assert outcome.count == 3
    assert [h.occupancy for h in sorted(selection, key=lambda h: h.pk) if h.refresh_from_db() is None] == [
        "V",
        "P",
        "P",
        "P",
    ]


def test_bulk_never_touches_another_perimeter(selection, agent):
    elsewhere = HousingFactory(geo_code="59606")
    with pytest.raises(Http404):
        housing_bulk_update(user=agent, filters=ids_filters([*selection, elsewhere]), occupancy="P")
    # "All matching" only ever means the user's perimeter.
    outcome = housing_bulk_update(user=agent, filters=ids_filters([], all_selected=True), occupancy="P")
    assert outcome.count == 4
    elsewhere.refresh_from_db()
    assert elsewhere.occupancy == "V"


def test_bulk_precisions_are_add_only_and_single_choice_replaces(selection, agent):
    planned, ongoing = precision("travaux", "À venir"), precision("travaux", "En cours")
    local_aid = precision("dispositifs-incitatifs", "Aides locales travaux")
    first = selection[0]
    HousingPrecision.objects.create(housing=first, precision=planned)
    HousingPrecision.objects.create(housing=first, precision=local_aid)

    housing_bulk_update(user=agent, filters=ids_filters(selection[:2]), precision_ids=[ongoing.pk])

    assert set(first.precisions.values_list("pk", flat=True)) == {local_aid.pk, ongoing.pk}
    assert set(selection[1].precisions.values_list("pk", flat=True)) == {ongoing.pk}
    assert events_of(first, "housing:precision-detached") == [
        ("housing:precision-detached", {"category": "Travaux", "label": "À venir"}, None)
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"status": 3}, "Veuillez choisir un sous-statut pour le statut « Suivi en cours »."),
        ({"sub_status": "En accompagnement"}, "Choisissez le statut de suivi"),
        ({"occupancy": "F"}, "Fonctionnaire logé"),
        ({}, "Aucune modification à enregistrer"),
    ],
)
def test_bulk_rules(selection, agent, arguments, message):
    with pytest.raises(HousingUpdateError) as error:
        housing_bulk_update(user=agent, filters=ids_filters(selection), **arguments)
    assert message in " ".join(error.value.errors.values())


def test_bulk_empty_selection_is_refused(selection, agent):
    with pytest.raises(HousingUpdateError, match="Aucun logement sélectionné"):
        housing_bulk_update(user=agent, filters=parse_filters({}), occupancy="P")


def test_bulk_never_contacted_refused_for_contacted_dwellings(selection, agent, monkeypatch):
    monkeypatch.setattr(services, "contacted_housing_ids", lambda queryset: {selection[0].pk})
    with pytest.raises(HousingUpdateForbiddenError) as error:
        housing_bulk_update(user=agent, filters=ids_filters(selection), status=0)
    assert "1 logement a déjà été contacté dans une campagne" in error.value.errors["status"]
    assert not Event.objects.exists()
    # Without contacted dwellings, "Non suivi" is allowed.
    monkeypatch.setattr(services, "contacted_housing_ids", lambda queryset: set())
    assert housing_bulk_update(user=agent, filters=ids_filters(selection), status=0).count == 4


def test_contacted_housing_ids_is_empty_until_campaigns_exist(selection):
    from zlv.housing.models import Housing

    assert services.contacted_housing_ids(Housing.objects.all()) == set()


@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}})
def test_large_bulk_runs_in_the_background(selection, agent, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "BULK_SYNC_LIMIT", 2)
    monkeypatch.setattr(services, "BULK_CHUNK_SIZE", 3)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = housing_bulk_update(
            user=agent, filters=ids_filters(selection), status=5, sub_status="Tiers en cause", note="Relance"
        )
    assert outcome.count == 4
    job = BulkUpdateJob.objects.get(pk=outcome.job.pk)
    assert (job.status, job.total, job.done, job.error) == ("succeeded", 4, 4, "")
    assert job.finished_at is not None
    assert Event.objects.filter(kind="housing:status-updated").count() == 4
    assert Note.objects.filter(content="Relance").count() == 4


@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}})
def test_background_failure_is_recorded_without_traceback(
    selection, agent, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "BULK_SYNC_LIMIT", 2)

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "_bulk_apply", broken)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = housing_bulk_update(user=agent, filters=ids_filters(selection), occupancy="P")
    job = BulkUpdateJob.objects.get(pk=outcome.job.pk)
    assert job.status == "failed"
    assert "Une erreur technique a interrompu l’édition groupée après 0 logements" in job.error
    assert "boom" not in job.error


# ---- Notes -------------------------------------------------------------------------------------


def test_note_create_update_delete_by_author(housing, agent):
    note = note_create(housing=housing, by=agent, content="  Propriétaire rappelé.  ")
    assert note.content == "Propriétaire rappelé."
    note_update(note=note, by=agent, content="Propriétaire rappelé le 3 mars.")
    note.refresh_from_db()
    assert note.content == "Propriétaire rappelé le 3 mars."
    note_delete(note=note, by=agent)
    note.refresh_from_db()
    assert note.deleted_at is not None


def test_empty_note_is_refused(housing, agent):
    with pytest.raises(HousingUpdateError, match="Veuillez saisir le contenu de la note."):
        note_create(housing=housing, by=agent, content="   ")


def test_only_author_or_establishment_admin_changes_a_note(housing, agent, colleague, establishment):
    note = note_create(housing=housing, by=agent, content="Visite prévue.")
    with pytest.raises(PermissionDenied):
        note_update(note=note, by=colleague, content="Changé")
    with pytest.raises(PermissionDenied):
        note_delete(note=note, by=colleague)
    admin = UserFactory(establishment=establishment, establishment__role=Role.ADMIN)
    note_update(note=note, by=admin, content="Visite prévue le 5.")
    # An admin of another establishment covering the dwelling cannot.
    other = EstablishmentFactory(communes=[housing.geo_code])
    other_admin = UserFactory(establishment=other, establishment__role=Role.ADMIN)
    with pytest.raises(PermissionDenied):
        note_delete(note=note, by=other_admin)
