from django.urls import path

from zlv.www.records import views

urlpatterns = [
    path("logements/<int:housing_id>", views.housing_record, name="housing_record"),
    path("proprietaires/<int:owner_id>", views.owner_record, name="owner_record"),
]
