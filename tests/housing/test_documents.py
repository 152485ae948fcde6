import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage

from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory
from tests.housing.document_samples import SAMPLES, ooxml_bytes, upload
from zlv.accounts.enums import Role
from zlv.housing import document_services
from zlv.housing.document_files import check_upload
from zlv.housing.models import Document, Event, HousingDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def douai(db):
    return CommuneFactory(code="59178")


@pytest.fixture
def agent(douai):
    return UserFactory(establishment=EstablishmentFactory(communes=[douai]))


@pytest.fixture
def housing(douai):
    return HousingFactory(geo_code="59178")


# ---- Validation by the bytes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "content_type"),
    [
        ("pdf", "application/pdf"),
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("webp", "image/webp"),
        ("heic", "image/heic"),
        ("doc", "application/msword"),
        ("xls", "application/vnd.ms-excel"),
        ("ppt", "application/vnd.ms-powerpoint"),
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ],
)
def test_each_accepted_type_is_recognised_by_its_bytes(extension, content_type):
    checked = check_upload(upload(f"Fichier.{extension.upper()}"))

    assert checked.extension == extension
    assert checked.content_type == content_type


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("facture.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(64), "ne correspond pas à un fichier .pdf"),
        ("photo.png", b"<!DOCTYPE html><script>alert(1)</script>", "ne correspond pas à un fichier .png"),
        ("photo.jpg", SAMPLES["png"], "ne correspond pas à un fichier .jpg"),
        ("tableau.xlsx", ooxml_bytes("word/"), "ne correspond pas à un fichier .xlsx"),
        ("lettre.docx", b"PK\x03\x04 not really a zip", "ne correspond pas à un fichier .docx"),
        ("programme.exe", b"MZ\x90\x00", "n’est pas d’un format accepté"),
        ("sans-extension", SAMPLES["pdf"], "n’est pas d’un format accepté"),
        ("vide.pdf", b"", "est vide"),
    ],
)
def test_disguised_or_unknown_files_are_refused(name, content, message):
    with pytest.raises(ValidationError) as error:
        check_upload(upload(name, content))

    assert message in error.value.messages[0]
    assert name in error.value.messages[0] or name == "sans-extension"


def test_oversized_files_are_refused(settings):
    settings.DOCUMENT_MAX_SIZE_BYTES = 100

    with pytest.raises(ValidationError) as error:
        check_upload(upload("plan.pdf", SAMPLES["pdf"] + bytes(200)))

    assert "la taille maximale est de 100" in error.value.messages[0]


def test_browser_paths_are_stripped_from_the_name():
    assert check_upload(upload("C:\\Users\\agent\\photo.png")).filename == "photo.png"


# ---- Upload ----------------------------------------------------------------------------------------


def test_upload_stores_the_file_and_records_events(agent, housing):
    (document,) = document_services.documents_upload(
        housing_ids=[housing.pk], files=[upload("Façade.jpg")], by=agent
    )

    assert document.filename == "Façade.jpg"
    assert document.content_type == "image/jpeg"
    assert document.size_bytes == len(SAMPLES["jpg"])
    assert document.establishment_id == agent.active_establishment_id
    assert document.file.name.startswith(f"documents/{agent.active_establishment_id}/")
    assert "Façade" not in document.file.name
    with default_storage.open(document.file.name) as stored:
        assert stored.read() == SAMPLES["jpg"]
    assert list(HousingDocument.objects.values_list("housing_id", flat=True)) == [housing.pk]
    events = {(e.kind, e.housing_id, str(e.new)) for e in Event.objects.filter(document=document)}
    payload = str({"filename": "Façade.jpg", "establishmentId": document.establishment_id})
    assert events == {
        ("document:created", None, payload),
        ("housing:document-attached", housing.pk, payload),
    }


def test_one_refused_file_saves_nothing(agent, housing, settings):
    with pytest.raises(ValidationError) as error:
        document_services.documents_upload(
            housing_ids=[housing.pk], files=[upload("ok.pdf"), upload("ko.png", b"GIF89a")], by=agent
        )

    assert len(error.value.messages) == 1
    assert not Document.objects.exists()
    assert not Event.objects.exists()
    assert not (settings.MEDIA_ROOT / "documents").exists()


def test_upload_on_a_selection_attaches_one_document_to_each(agent, housing):
    others = [HousingFactory(geo_code="59178") for _ in range(3)]
    ids = [housing.pk, *(other.pk for other in others)]

    (document,) = document_services.documents_upload(housing_ids=ids, files=[upload("arrêté.pdf")], by=agent)

    assert set(HousingDocument.objects.filter(document=document).values_list("housing_id", flat=True)) == set(
        ids
    )
    attached = Event.objects.filter(kind="housing:document-attached", document=document)
    assert set(attached.values_list("housing_id", flat=True)) == set(ids)


def test_visitors_cannot_upload(douai, housing):
    visitor = UserFactory(
        establishment=EstablishmentFactory(communes=[douai]), establishment__role=Role.VISITOR
    )

    with pytest.raises(PermissionDenied):
        document_services.documents_upload(housing_ids=[housing.pk], files=[upload("a.pdf")], by=visitor)


# ---- Rename, detach, remove --------------------------------------------------------------------


@pytest.fixture
def document(agent, housing):
    (document,) = document_services.documents_upload(
        housing_ids=[housing.pk], files=[upload("photo.png")], by=agent
    )
    return document


def test_rename_keeps_the_extension_and_records_the_change(agent, document):
    document_services.document_rename(document=document, filename="  Façade nord ", by=agent)

    document.refresh_from_db()
    assert document.filename == "Façade nord.png"
    event = Event.objects.get(kind="document:updated")
    owner = {"establishmentId": document.establishment_id}
    assert (event.old, event.new) == (
        {"filename": "photo.png", **owner},
        {"filename": "Façade nord.png", **owner},
    )


def test_rename_refuses_an_empty_name(agent, document):
    with pytest.raises(ValidationError):
        document_services.document_rename(document=document, filename="  ", by=agent)


def test_remove_keeps_the_row_deletes_the_file_and_records_events(
    agent, housing, document, django_capture_on_commit_callbacks
):
    name = document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        document_services.document_remove(document=document, by=agent)

    document.refresh_from_db()
    assert document.deleted_at is not None
    assert not default_storage.exists(name)
    kinds = set(Event.objects.filter(document=document).values_list("kind", "housing_id"))
    assert {("document:removed", None), ("housing:document-removed", housing.pk)} <= kinds


def test_detach_takes_the_document_off_one_dwelling_only(agent, housing):
    other = HousingFactory(geo_code="59178")
    (document,) = document_services.documents_upload(
        housing_ids=[housing.pk, other.pk], files=[upload("a.pdf")], by=agent
    )

    document_services.housing_document_detach(housing=housing, document=document, by=agent)

    assert list(HousingDocument.objects.values_list("housing_id", flat=True)) == [other.pk]
    event = Event.objects.get(kind="housing:document-detached")
    assert (event.housing_id, event.old) == (
        housing.pk,
        {"filename": "a.pdf", "establishmentId": agent.active_establishment_id},
    )
    document.refresh_from_db()
    assert document.deleted_at is None


def test_another_establishment_cannot_rename(douai, document):
    stranger = UserFactory(establishment=EstablishmentFactory(communes=[douai]))

    with pytest.raises(PermissionDenied):
        document_services.document_rename(document=document, filename="x", by=stranger)
