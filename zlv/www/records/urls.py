from django.urls import path

from zlv.www.records import edit_views, views

urlpatterns = [
    path("logements/<int:housing_id>", views.housing_record, name="housing_record"),
    path("logements/<int:housing_id>/edition", edit_views.housing_edit, name="housing_edit"),
    path("logements/<int:housing_id>/notes", edit_views.housing_note_create, name="housing_note_create"),
    path("logements/sous-statuts", edit_views.sub_status_options, name="sub_status_options"),
    path("notes/<int:note_id>/modifier", edit_views.note_edit, name="note_edit"),
    path("notes/<int:note_id>/supprimer", edit_views.note_delete, name="note_delete"),
    path("proprietaires/<int:owner_id>", views.owner_record, name="owner_record"),
]
