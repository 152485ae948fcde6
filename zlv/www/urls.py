from django.urls import path

from zlv.www import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
]
