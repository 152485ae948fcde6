import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.urls import include, path
from django.views import View

from tests.factories import EstablishmentFactory, UserFactory
from zlv.accounts.decorators import WriteAccessRequiredMixin, write_access_required
from zlv.accounts.enums import Role
from zlv.accounts.selectors import can_write, membership_of, role_of


@write_access_required
def write_view(request):
    return HttpResponse("écrit")


class WriteView(WriteAccessRequiredMixin, View):
    def post(self, request):
        return HttpResponse("écrit")


urlpatterns = [
    path("ecrire", write_view),
    path("ecrire-cbv", WriteView.as_view()),
    path("", include("config.urls")),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "writes"), [(Role.USUAL, True), (Role.ADMIN, True), (Role.VISITOR, False)])
def test_role_helpers_follow_the_active_establishment(role, writes):
    establishment = EstablishmentFactory()
    user = UserFactory(establishment=establishment, establishment__role=role)

    assert membership_of(user).establishment == establishment
    assert role_of(user) == role
    assert can_write(user) is writes


@pytest.mark.django_db
def test_role_changes_with_the_active_establishment():
    usual_at, visitor_at = EstablishmentFactory(), EstablishmentFactory()
    user = UserFactory(establishment=visitor_at, establishment__role=Role.VISITOR)
    user.memberships.create(establishment=usual_at, role=Role.USUAL)
    assert not can_write(user)

    user.active_establishment = usual_at

    assert can_write(user)


@pytest.mark.django_db
def test_no_role_without_membership_of_the_active_establishment():
    user = UserFactory()
    user.active_establishment = EstablishmentFactory()

    assert membership_of(user) is None
    assert role_of(user) is None
    assert not can_write(user)
    assert not can_write(AnonymousUser())


@pytest.mark.django_db
def test_membership_of_is_cached_for_the_request(django_assert_num_queries):
    user = UserFactory(establishment=EstablishmentFactory())

    with django_assert_num_queries(1):
        role_of(user)
        can_write(user)
        membership_of(user)


@pytest.mark.django_db
@pytest.mark.urls("tests.accounts.test_roles")
@pytest.mark.parametrize("url", ["/ecrire", "/ecrire-cbv"])
def test_visitor_cannot_write(client, url):
    client.force_login(UserFactory(establishment=EstablishmentFactory(), establishment__role=Role.VISITOR))

    response = client.post(url)

    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.urls("tests.accounts.test_roles")
@pytest.mark.parametrize("url", ["/ecrire", "/ecrire-cbv"])
def test_usual_user_can_write(client, url):
    client.force_login(UserFactory(establishment=EstablishmentFactory(), establishment__role=Role.USUAL))

    response = client.post(url)

    assert response.status_code == 200
