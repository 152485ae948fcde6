from django.contrib import admin
from django.urls import include, path

from zlv.api.v1 import api_urls
from zlv.www.accounts.views import admin_sign_in

urlpatterns = [
    # Before admin.site.urls: replaces the admin's own sign-in form (no lockout there).
    path("admin/login/", admin_sign_in),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls()),
    path("", include("zlv.www.urls")),
]
