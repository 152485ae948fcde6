"""Writes on documents: upload to one dwelling or a selection, rename, detach, remove.

Files go to Django's default storage (local disk or S3-compatible by settings), under a name that
never carries the user's file name. Every change records its events (DOMAIN.md §6, `{filename}`) in
the transaction that makes it; a removed document keeps its row (for the history), not its bytes.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from zlv.accounts.decorators import WRITE_DENIED_MESSAGE
from zlv.accounts.selectors import can_write
from zlv.housing.document_files import (
    CheckedFile,
    check_upload,
    clean_filename,
    extension_of,
    preview_name,
)
from zlv.housing.enums import EventKind
from zlv.housing.event_payloads import owned_payload
from zlv.housing.models import Document, Event, Housing, HousingDocument
from zlv.utils.numbers import format_number

# A document attached to more dwellings than this at once is refused (one row per dwelling).
DOCUMENT_BULK_LIMIT = 10_000
MAX_FILES_PER_UPLOAD = 10


def documents_check(files) -> list[CheckedFile]:
    """Validate every uploaded file; one ValidationError listing each refused file otherwise."""
    files = list(files)
    if not files:
        raise ValidationError("Veuillez choisir au moins un fichier.", code="required")
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise ValidationError(
            f"Vous pouvez ajouter au plus {MAX_FILES_PER_UPLOAD} fichiers à la fois.", code="count"
        )
    checked, errors = [], []
    for uploaded_file in files:
        try:
            checked.append(check_upload(uploaded_file))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return checked


def _check_writer(by) -> int:
    if not can_write(by):
        raise PermissionDenied(WRITE_DENIED_MESSAGE)
    return by.active_establishment_id


def _document_event(kind, document, by, now, *, housing_id=None, old=None, new=None) -> Event:
    return Event(
        kind=kind, document=document, housing_id=housing_id, old=old, new=new, created_by=by, created_at=now
    )


def documents_upload(*, housing_ids, files, by) -> list[Document]:
    """Store the files as documents of the user's establishment, each attached to every dwelling of
    `housing_ids` (already bounded by the caller to the user's perimeter). Nothing is kept when one
    file is refused."""
    establishment_id = _check_writer(by)
    housing_ids = sorted(set(housing_ids))
    if not housing_ids:
        raise ValidationError("Aucun logement ne correspond à la sélection.", code="selection")
    if len(housing_ids) > DOCUMENT_BULK_LIMIT:
        raise ValidationError(
            f"Un document peut être ajouté à au plus {format_number(DOCUMENT_BULK_LIMIT)} logements "
            "à la fois.",
            code="selection",
        )
    checked_files = documents_check(files)
    now = timezone.now()
    documents: list[Document] = []
    try:
        with transaction.atomic():
            for checked in checked_files:
                document = Document(
                    establishment_id=establishment_id,
                    filename=checked.filename,
                    content_type=checked.content_type,
                    size_bytes=checked.size_bytes,
                    created_by=by,
                    created_at=now,
                )
                checked.file.seek(0)
                document.file.save(checked.filename, checked.file, save=False)
                documents.append(document)
                document.save()
            HousingDocument.objects.bulk_create(
                [
                    HousingDocument(document=document, housing_id=housing_id, created_at=now)
                    for document in documents
                    for housing_id in housing_ids
                ],
                batch_size=2000,
            )
            events = []
            for document in documents:
                payload = owned_payload(establishment_id, filename=document.filename)
                events.append(_document_event(EventKind.DOCUMENT_CREATED, document, by, now, new=payload))
                events += [
                    _document_event(
                        EventKind.HOUSING_DOCUMENT_ATTACHED,
                        document,
                        by,
                        now,
                        housing_id=housing_id,
                        new=payload,
                    )
                    for housing_id in housing_ids
                ]
            Event.objects.bulk_create(events, batch_size=2000)
    except Exception:
        for document in documents:
            document.file.delete(save=False)
        raise
    return documents


def document_rename(*, document: Document, filename: str, by) -> Document:
    """Change the display name; the extension stays that of the file (added back when left out)."""
    _check_writer(by)
    name = clean_filename(filename or "")
    if not name:
        raise ValidationError("Veuillez saisir le nom du document.", code="required")
    if document.extension and extension_of(name) != document.extension:
        name = clean_filename(f"{name}.{document.extension}")
    with transaction.atomic():
        current = Document.objects.select_for_update().get(pk=document.pk, deleted_at__isnull=True)
        if current.establishment_id != by.active_establishment_id:
            raise PermissionDenied("Ce document appartient à une autre structure.")
        if current.filename != name:
            Event.objects.create(
                kind=EventKind.DOCUMENT_UPDATED,
                document=current,
                old=owned_payload(current.establishment_id, filename=current.filename),
                new=owned_payload(current.establishment_id, filename=name),
                created_by=by,
            )
            current.filename = name
            current.save(update_fields=["filename"])
    return current


def housing_document_detach(*, housing: Housing, document: Document, by) -> None:
    """Take the document off one dwelling; the last dwelling's detach removes the document."""
    _check_writer(by)
    with transaction.atomic():
        current = Document.objects.select_for_update().get(pk=document.pk, deleted_at__isnull=True)
        if current.establishment_id != by.active_establishment_id:
            raise PermissionDenied("Ce document appartient à une autre structure.")
        links = HousingDocument.objects.filter(document=current)
        if not links.exclude(housing=housing).exists():
            document_remove(document=current, by=by)
            return
        deleted, _ = links.filter(housing=housing).delete()
        if deleted:
            Event.objects.create(
                kind=EventKind.HOUSING_DOCUMENT_DETACHED,
                document=current,
                housing=housing,
                old=owned_payload(current.establishment_id, filename=current.filename),
                created_by=by,
            )


def document_remove(*, document: Document, by) -> Document:
    """Delete a document everywhere: the row stays (marked deleted) for the history, the file goes
    once the transaction commits."""
    _check_writer(by)
    with transaction.atomic():
        current = Document.objects.select_for_update().get(pk=document.pk)
        if current.establishment_id != by.active_establishment_id:
            raise PermissionDenied("Ce document appartient à une autre structure.")
        if current.deleted_at is not None:
            return current
        now = timezone.now()
        payload = owned_payload(current.establishment_id, filename=current.filename)
        housing_ids = HousingDocument.objects.filter(document=current).values_list("housing_id", flat=True)
        Event.objects.bulk_create(
            [
                _document_event(EventKind.DOCUMENT_REMOVED, current, by, now, old=payload),
                *(
                    _document_event(
                        EventKind.HOUSING_DOCUMENT_REMOVED,
                        current,
                        by,
                        now,
                        housing_id=housing_id,
                        old=payload,
                    )
                    for housing_id in housing_ids
                ),
            ],
            batch_size=2000,
        )
        current.deleted_at = now
        current.save(update_fields=["deleted_at"])
        stored_names = [current.file.name]
        if current.has_converted_preview:
            stored_names.append(preview_name(current.file.name))
        transaction.on_commit(lambda: _delete_files(stored_names))
    return current


def _delete_files(stored_names: list[str]) -> None:
    for name in stored_names:
        default_storage.delete(name)
