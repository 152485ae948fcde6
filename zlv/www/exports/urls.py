from django.urls import path

from zlv.www.exports import views

urlpatterns = [
    path("exports/logements", views.export_selection, name="export_selection"),
    path("exports/logements.csv", views.export_selection_csv, name="export_selection_csv"),
    path("exports/logements.xlsx", views.export_selection_xlsx, name="export_selection_xlsx"),
    path("exports/<int:job_id>", views.export_job, name="export_job"),
    path("exports/<int:job_id>/telecharger", views.export_job_download, name="export_job_download"),
    path("groupes/<int:group_id>/exporter", views.group_export, name="group_export"),
    path("groupes/<int:group_id>/export.csv", views.group_export_csv, name="group_export_csv"),
    path("groupes/<int:group_id>/export.xlsx", views.group_export_xlsx, name="group_export_xlsx"),
]
