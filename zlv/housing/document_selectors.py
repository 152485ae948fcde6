"""Reads of documents: always those of the user's active establishment, through a dwelling of the
user's perimeter (DOMAIN.md §7: documents belong to an establishment)."""

from django.db.models import QuerySet
from django.http import Http404

from zlv.housing.models import Document, Housing, HousingDocument
from zlv.housing.record_selectors import housing_for_user


def _documents_of(user) -> QuerySet:
    establishment_id = getattr(user, "active_establishment_id", None)
    if not user.is_authenticated or establishment_id is None:
        return Document.objects.none()
    return Document.objects.filter(establishment_id=establishment_id, deleted_at__isnull=True)


def housing_documents(user, housing: Housing) -> list[Document]:
    """The establishment's documents attached to a dwelling already checked to be visible, newest
    first. One query."""
    return list(
        _documents_of(user)
        .filter(housing_links__housing=housing)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def document_for_user(user, document_id: int) -> Document:
    """A document of the user's establishment (not deleted), else 404. One query."""
    document = _documents_of(user).filter(pk=document_id).first()
    if document is None:
        raise Http404("Document introuvable.")
    return document


def housing_document_for_user(user, housing_id: int, document_id: int) -> tuple[Housing, Document]:
    """The dwelling (in the user's perimeter) and one of its documents (of the user's establishment,
    not deleted); 404 otherwise. Two queries."""
    housing = housing_for_user(user, housing_id)
    document = _documents_of(user).filter(pk=document_id, housing_links__housing=housing).first()
    if document is None:
        raise Http404("Document introuvable.")
    return housing, document


def other_housing_count(document: Document, housing: Housing) -> int:
    """How many other dwellings the document is attached to (deleting it removes it there too)."""
    return HousingDocument.objects.filter(document=document).exclude(housing=housing).count()
