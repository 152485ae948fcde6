from django.urls import path

from zlv.www.campaigns import views

urlpatterns = [
    path("campagnes", views.campaign_list, name="campaigns"),
    path("campagnes/nouvelle", views.campaign_group_choice, name="campaign_group_choice"),
    path("groupes/<int:group_id>/campagne", views.campaign_create, name="campaign_create"),
    path("campagnes/<int:campaign_id>", views.campaign_detail, name="campaign_detail"),
    path("campagnes/<int:campaign_id>/modifier", views.campaign_edit, name="campaign_edit"),
    path("campagnes/<int:campaign_id>/supprimer", views.campaign_delete, name="campaign_delete"),
    path(
        "campagnes/<int:campaign_id>/retirer", views.campaign_remove_housing, name="campaign_remove_housing"
    ),
]
