from django.urls import path

from zlv.www.records import document_views, edit_views, owner_views, views

DOCUMENT = "logements/<int:housing_id>/documents/<int:document_id>"

urlpatterns = [
    path("logements/<int:housing_id>", views.housing_record, name="housing_record"),
    path("logements/<int:housing_id>/edition", edit_views.housing_edit, name="housing_edit"),
    path("logements/<int:housing_id>/notes", edit_views.housing_note_create, name="housing_note_create"),
    path("logements/sous-statuts", edit_views.sub_status_options, name="sub_status_options"),
    path("notes/<int:note_id>/modifier", edit_views.note_edit, name="note_edit"),
    path("notes/<int:note_id>/supprimer", edit_views.note_delete, name="note_delete"),
    path("proprietaires/<int:owner_id>", views.owner_record, name="owner_record"),
    # Documents of a dwelling
    path("logements/<int:housing_id>/documents", document_views.housing_documents, name="housing_documents"),
    path(DOCUMENT, document_views.housing_document_download, name="housing_document_download"),
    path(f"{DOCUMENT}/apercu", document_views.housing_document_preview, name="housing_document_preview"),
    path(f"{DOCUMENT}/renommer", document_views.housing_document_rename, name="housing_document_rename"),
    path(f"{DOCUMENT}/supprimer", document_views.housing_document_delete, name="housing_document_delete"),
    # Owners of a dwelling, contact of an owner
    path("logements/<int:housing_id>/proprietaires", owner_views.housing_owners, name="housing_owners"),
    path(
        "logements/<int:housing_id>/proprietaires/rattacher",
        owner_views.housing_owner_attach,
        name="housing_owner_attach",
    ),
    path(
        "logements/<int:housing_id>/proprietaires/creer",
        owner_views.housing_owner_create,
        name="housing_owner_create",
    ),
    path(
        "proprietaires/<int:owner_id>/coordonnees", owner_views.owner_contact_edit, name="owner_contact_edit"
    ),
]
