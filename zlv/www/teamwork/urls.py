from django.urls import path

from zlv.www.teamwork import views

urlpatterns = [
    path("groupes", views.group_list, name="group_list"),
    path("groupes/nouveau", views.group_create, name="group_create"),
    path("groupes/ajouter", views.group_add, name="group_add"),
    path("groupes/<int:group_id>", views.group_detail, name="group_detail"),
    path("groupes/<int:group_id>/modifier", views.group_edit, name="group_edit"),
    path("groupes/<int:group_id>/supprimer", views.group_delete, name="group_delete"),
    path("groupes/<int:group_id>/retirer", views.group_remove_housing, name="group_remove_housing"),
    path("parc-de-logements/referent", views.referent_assign, name="referent_assign"),
]
