from django.urls import path

from zlv.www.perimeters import views

urlpatterns = [
    path("perimetres", views.perimeter_list, name="perimeter_list"),
    path("perimetres/deposer", views.perimeter_upload, name="perimeter_upload"),
    path("perimetres/carte.geojson", views.perimeters_map_layer, name="perimeters_map_layer"),
    path("perimetres/<int:perimeter_id>/modifier", views.perimeter_edit, name="perimeter_edit"),
    path("perimetres/<int:perimeter_id>/supprimer", views.perimeter_delete_confirm, name="perimeter_delete"),
]
