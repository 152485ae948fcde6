import pytest
from django.contrib.auth.decorators import login_not_required
from django.test import Client, RequestFactory
from django.urls import include, path
from django.views.defaults import server_error

from tests.factories import EstablishmentFactory, UserFactory


@login_not_required
def broken_view(request):
    raise RuntimeError("secret internal detail")


urlpatterns = [
    path("casse", broken_view),
    path("", include("config.urls")),
]


@pytest.mark.django_db
def test_404_page_is_french_dsfr(client):
    client.force_login(UserFactory(establishment=EstablishmentFactory()))

    response = client.get("/nexiste-pas")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page non trouvée" in html
    assert "Erreur 404" in html
    assert "navigation-principale" in html  # the full layout


@pytest.mark.django_db
def test_404_page_for_anonymous_visitors(client):
    response = client.get("/nexiste-pas")

    assert response.status_code == 404
    assert "Page non trouvée" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls("tests.www.test_errors")
def test_500_page_is_french_without_a_stack_trace(client):
    client.raise_request_exception = False

    response = client.get("/casse")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Erreur inattendue" in html
    assert "secret internal detail" not in html
    assert "Traceback" not in html


def test_500_page_renders_without_the_database(django_assert_num_queries, db):
    request = RequestFactory().get("/")

    with django_assert_num_queries(0):
        response = server_error(request)

    assert response.status_code == 500
    assert "Erreur inattendue" in response.content.decode()


@pytest.mark.django_db
def test_csrf_failure_page_is_french():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/connexion", {"email": "a@example.test", "password": "x"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "Votre formulaire a expiré" in html
    assert "CSRF verification failed" not in html
