from django.urls import include, path

from zlv.www import health
from zlv.www.accounts import views as accounts_views
from zlv.www.housing_list import views as housing_list_views
from zlv.www.pages import views as pages_views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("", pages_views.home, name="home"),
    # Accounts
    path("connexion", accounts_views.SignInView.as_view(), name="sign_in"),
    path("deconnexion", accounts_views.SignOutView.as_view(), name="sign_out"),
    path("mot-de-passe/oublie", accounts_views.PasswordForgottenView.as_view(), name="password_forgotten"),
    path(
        "mot-de-passe/definir/<uidb64>/<token>",
        accounts_views.PasswordChooseView.as_view(),
        name="password_choose",
    ),
    path("structure/changer", accounts_views.switch_establishment, name="switch_establishment"),
    # Main navigation
    path("parc-de-logements", housing_list_views.housing_list, name="housing_list"),
    path(
        "parc-de-logements/logements/<int:housing_id>/ligne",
        housing_list_views.housing_row,
        name="housing_list_row",
    ),
    path(
        "parc-de-logements/perimetre/<int:establishment_id>/communes",
        housing_list_views.commune_suggestions,
        name="housing_list_communes",
    ),
    path(
        "parc-de-logements/perimetre/<int:establishment_id>/contour.geojson",
        housing_list_views.perimeter_outline,
        name="housing_list_outline",
    ),
    path(
        "parc-de-logements/perimetre/<int:establishment_id>/perimetres.geojson",
        housing_list_views.filter_perimeters,
        name="housing_list_filter_perimeters",
    ),
    path(
        "parc-de-logements/perimetre/<int:establishment_id>/communes.geojson",
        housing_list_views.commune_contours,
        name="housing_list_commune_contours",
    ),
    path("", include("zlv.www.bulk_edit.urls")),  # parc-de-logements/edition-groupee
    path("", include("zlv.www.records.urls")),  # logements/<id>, proprietaires/<id>
    path("", include("zlv.www.team.urls")),  # equipe, compte, invitation/<token>
    path("", include("zlv.www.perimeters.urls")),  # perimetres, perimetres/deposer, perimetres/<id>/…
    path("", include("zlv.www.teamwork.urls")),  # groupes, groupes/<id>…, parc-de-logements/referent
    path("", include("zlv.www.exports.urls")),  # exports/logements.csv, exports/<id>, groupes/<id>/export…
    path("", include("zlv.www.campaigns.urls")),  # campagnes, campagnes/<id>…, groupes/<id>/campagne
    # Footer (public)
    path("accessibilite", pages_views.accessibility, name="accessibility"),
    path("mentions-legales", pages_views.legal_notice, name="legal_notice"),
    path("donnees-personnelles", pages_views.personal_data, name="personal_data"),
]
