"""The "Documents" tab of the Fiche logement: upload (files or a phone photo), preview, download,
rename, detach or delete.

Reads need the dwelling in the user's perimeter and the document in their active establishment (404
otherwise); files are served by these views only, never from the media URL. Writes refuse visitors
(403). With htmx the tab is swapped in place; without JavaScript each step is a full page.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_safe

from zlv.accounts.decorators import WRITE_DENIED_MESSAGE, write_access_required
from zlv.accounts.selectors import can_write
from zlv.housing import document_selectors, document_services
from zlv.housing.document_files import (
    ACCEPT_ATTRIBUTE,
    ACCEPTED_LABEL,
    PreviewError,
    jpeg_preview,
    max_size_bytes,
)
from zlv.housing.record_selectors import housing_for_user

PANEL_TEMPLATE = "records/_documents.html"


def _refused_status(request) -> int:
    """422 for a page; 200 for htmx, which swaps no 4xx response (the errors must show)."""
    return 200 if request.htmx else 422


def documents_context(housing, user, *, documents=None, errors=(), message="") -> dict:
    """Context of the tab; `documents` when already loaded (one query otherwise)."""
    if documents is None:
        documents = document_selectors.housing_documents(user, housing)
    return {
        "housing": housing,
        "documents": documents,
        "can_write": can_write(user),
        "upload_errors": list(errors),
        "documents_message": message,
        "accept": ACCEPT_ATTRIBUTE,
        "accepted_label": ACCEPTED_LABEL,
        "max_size_label": filesizeformat(max_size_bytes()),
    }


def _uploaded_message(documents) -> str:
    if len(documents) == 1:
        return f"Le document « {documents[0].filename} » a bien été ajouté."
    return f"{len(documents)} documents ont bien été ajoutés."


@require_http_methods(["GET", "HEAD", "POST"])
def housing_documents(request, housing_id: int):
    """GET: the documents (the tab with htmx, a page without); POST: upload."""
    housing = housing_for_user(request.user, housing_id)  # 404 before 403: existence stays private
    if request.method == "POST" and not can_write(request.user):
        raise PermissionDenied(WRITE_DENIED_MESSAGE)
    template = PANEL_TEMPLATE if request.htmx else "records/housing_documents.html"
    if request.method != "POST":
        return render(request, template, documents_context(housing, request.user))
    try:
        documents = document_services.documents_upload(
            housing_ids=[housing.pk], files=request.FILES.getlist("files"), by=request.user
        )
    except ValidationError as error:
        context = documents_context(housing, request.user, errors=error.messages)
        return render(request, template, context, status=_refused_status(request))
    if request.htmx:
        context = documents_context(housing, request.user, message=_uploaded_message(documents))
        return render(request, PANEL_TEMPLATE, context)
    messages.success(request, _uploaded_message(documents))
    return redirect("housing_documents", housing_id=housing.pk)


def _file_response(document, *, inline: bool) -> FileResponse:
    try:
        handle = document.file.open("rb")
    except OSError:
        raise Http404("Fichier introuvable.") from None
    response = FileResponse(
        handle, as_attachment=not inline, filename=document.filename, content_type=document.content_type
    )
    return _private(response)


def _private(response):
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=600"
    return response


@require_safe
def housing_document_download(request, housing_id: int, document_id: int):
    _, document = document_selectors.housing_document_for_user(request.user, housing_id, document_id)
    return _file_response(document, inline=False)


@require_safe
def housing_document_preview(request, housing_id: int, document_id: int):
    """Shown in the page (images, HEIC as a JPEG copy) or in a new tab (PDF); other types are only
    downloaded."""
    _, document = document_selectors.housing_document_for_user(request.user, housing_id, document_id)
    if not (document.is_image_previewable or document.is_pdf):
        raise Http404("Aucun aperçu pour ce type de document.")
    if not document.has_converted_preview:
        return _file_response(document, inline=True)
    try:
        preview = jpeg_preview(document)
    except PreviewError:
        raise Http404("Aperçu impossible : l’image ne peut pas être lue.") from None
    response = HttpResponse(preview, content_type="image/jpeg")
    stem = document.filename.rpartition(".")[0] or document.filename
    response["Content-Disposition"] = content_disposition_header(False, f"{stem}.jpg")
    return _private(response)


def _action_context(housing, document, *, errors=(), value=None) -> dict:
    return {
        "housing": housing,
        "document": document,
        "errors": list(errors),
        "value": document.filename if value is None else value,
        "documents_url": reverse("housing_documents", args=[housing.pk]),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@write_access_required
def housing_document_rename(request, housing_id: int, document_id: int):
    housing, document = document_selectors.housing_document_for_user(request.user, housing_id, document_id)
    fragment = "records/_document_rename.html"
    template = fragment if request.htmx else "records/document_action.html"
    if request.method != "POST":
        return render(request, template, {**_action_context(housing, document), "fragment": fragment})
    filename = request.POST.get("filename", "")
    try:
        document = document_services.document_rename(document=document, filename=filename, by=request.user)
    except ValidationError as error:
        context = {
            **_action_context(housing, document, errors=error.messages, value=filename),
            "fragment": fragment,
        }
        return render(request, template, context, status=_refused_status(request))
    message = f"Le document a été renommé « {document.filename} »."
    if request.htmx:
        return render(request, PANEL_TEMPLATE, documents_context(housing, request.user, message=message))
    messages.success(request, message)
    return redirect("housing_documents", housing_id=housing.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@write_access_required
def housing_document_delete(request, housing_id: int, document_id: int):
    """GET asks for confirmation; POST deletes the document, or only detaches it from this dwelling
    (`scope=housing`) when it is attached to others too."""
    housing, document = document_selectors.housing_document_for_user(request.user, housing_id, document_id)
    fragment = "records/_document_delete.html"
    if request.method != "POST":
        template = fragment if request.htmx else "records/document_action.html"
        context = {
            **_action_context(housing, document),
            "fragment": fragment,
            "other_count": document_selectors.other_housing_count(document, housing),
        }
        return render(request, template, context)
    if request.POST.get("scope") == "housing":
        document_services.housing_document_detach(housing=housing, document=document, by=request.user)
        message = f"Le document « {document.filename} » a été retiré de ce logement."
    else:
        document_services.document_remove(document=document, by=request.user)
        message = f"Le document « {document.filename} » a été supprimé."
    if request.htmx:
        return render(request, PANEL_TEMPLATE, documents_context(housing, request.user, message=message))
    messages.success(request, message)
    return redirect("housing_documents", housing_id=housing.pk)
