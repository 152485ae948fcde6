import pytest

from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory
from zlv.housing.models import Housing


@pytest.mark.django_db
def test_visible_to_returns_only_dwellings_of_the_active_establishment_perimeter():
    lille, roubaix, dunkerque = (
        CommuneFactory(code="59350"),
        CommuneFactory(code="59512"),
        CommuneFactory(code="59183"),
    )
    metropole = EstablishmentFactory(communes=[lille, roubaix])
    littoral = EstablishmentFactory(communes=[dunkerque])
    in_lille = HousingFactory(geo_code="59350")
    in_roubaix = HousingFactory(geo_code="59512")
    in_dunkerque = HousingFactory(geo_code="59183")
    agent = UserFactory(establishment=metropole)
    other = UserFactory(establishment=littoral)

    assert set(Housing.objects.visible_to(agent)) == {in_lille, in_roubaix}
    assert set(Housing.objects.visible_to(other)) == {in_dunkerque}


@pytest.mark.django_db
def test_visible_to_is_empty_without_membership_or_when_anonymous():
    from django.contrib.auth.models import AnonymousUser

    commune = CommuneFactory(code="59350")
    establishment = EstablishmentFactory(communes=[commune])
    HousingFactory(geo_code="59350")
    outsider = UserFactory()
    # Pointing the active establishment at a structure one is not a member of gives nothing.
    outsider.active_establishment = establishment
    outsider.save()

    assert not Housing.objects.visible_to(outsider).exists()
    assert not Housing.objects.visible_to(AnonymousUser()).exists()


@pytest.mark.django_db
def test_switching_establishment_switches_the_perimeter_of_the_same_user_object():
    """The perimeter's codes are read once per user object and establishment, not once for all."""
    from zlv.accounts.models import Membership

    lille, dunkerque = CommuneFactory(code="59350"), CommuneFactory(code="59183")
    metropole = EstablishmentFactory(communes=[lille])
    littoral = EstablishmentFactory(communes=[dunkerque])
    in_lille, in_dunkerque = HousingFactory(geo_code="59350"), HousingFactory(geo_code="59183")
    agent = UserFactory(establishment=metropole)
    Membership.objects.create(user=agent, establishment=littoral, role="usual")

    assert set(Housing.objects.visible_to(agent)) == {in_lille}
    agent.active_establishment = littoral
    assert set(Housing.objects.visible_to(agent)) == {in_dunkerque}
