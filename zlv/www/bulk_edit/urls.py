from django.urls import path

from zlv.www.bulk_edit import views

urlpatterns = [
    path("parc-de-logements/edition-groupee", views.housing_bulk_edit, name="housing_bulk_edit"),
    path(
        "parc-de-logements/edition-groupee/documents",
        views.housing_bulk_documents,
        name="housing_bulk_documents",
    ),
    path(
        "parc-de-logements/edition-groupee/<int:job_id>",
        views.housing_bulk_edit_progress,
        name="housing_bulk_edit_progress",
    ),
]
