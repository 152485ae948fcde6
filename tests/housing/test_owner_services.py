import datetime

import pytest
from django.db import IntegrityError, transaction

from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    OwnerFactory,
    UserFactory,
)
from zlv.housing import owner_selectors, owner_services
from zlv.housing.models import Event, HousingOwner, Owner
from zlv.housing.owner_services import OwnerEditError

pytestmark = pytest.mark.django_db


@pytest.fixture
def douai(db):
    return CommuneFactory(code="59178")


@pytest.fixture
def agent(douai):
    return UserFactory(establishment=EstablishmentFactory(communes=[douai]))


@pytest.fixture
def housing(douai):
    return HousingFactory(geo_code="59178")


def ranks(housing) -> dict[str, int]:
    return {link.owner.full_name: link.rank for link in HousingOwner.objects.filter(housing=housing)}


# ---- Contact -----------------------------------------------------------------------------------


def test_contact_edit_records_old_and_new_values(agent):
    owner = OwnerFactory(full_name="DURAND/ANNE", email="ancien@example.fr")

    changed = owner_services.owner_update_contact(
        owner=owner, by=agent, email="anne@example.fr", phone="06 12 34 56 78", do_not_contact=True
    )

    owner.refresh_from_db()
    assert (owner.email, owner.phone, owner.do_not_contact) == ("anne@example.fr", "06 12 34 56 78", True)
    assert set(changed) == {"email", "phone", "do_not_contact"}
    event = Event.objects.get(kind="owner:updated", owner=owner)
    assert event.old == {
        "name": "DURAND/ANNE",
        "email": "ancien@example.fr",
        "phone": "",
        "doNotContact": False,
    }
    assert event.new == {
        "name": "DURAND/ANNE",
        "email": "anne@example.fr",
        "phone": "06 12 34 56 78",
        "doNotContact": True,
    }


def test_contact_edit_without_change_records_nothing(agent):
    owner = OwnerFactory(email="a@example.fr")

    assert owner_services.owner_update_contact(owner=owner, by=agent, email=" a@example.fr ") == []
    assert not Event.objects.exists()


def test_contact_edit_refuses_invalid_values(agent):
    owner = OwnerFactory()

    with pytest.raises(OwnerEditError) as error:
        owner_services.owner_update_contact(owner=owner, by=agent, email="pas-un-email", phone="appelez-moi")

    assert set(error.value.errors) == {"email", "phone"}
    assert not Event.objects.exists()


def postal(line="", code="", city="") -> dict:
    return {"postal_address_line": line, "postal_code": code, "postal_city": city}


def test_postal_address_is_kept_apart_from_the_fiscal_one_with_an_event(agent):
    owner = OwnerFactory(full_name="DURAND/ANNE", address_dgfip="4 PLACE D ARMES 59500 DOUAI")

    changed = owner_services.owner_update_contact(
        owner=owner, by=agent, **postal("  8   rue Gambetta ", "59 000", " Lille")
    )

    owner.refresh_from_db()
    assert set(changed) == {"postal_address_line", "postal_code", "postal_city"}
    assert (owner.postal_address_line, owner.postal_code, owner.postal_city) == (
        "8 rue Gambetta",
        "59000",
        "Lille",
    )
    assert owner.address_dgfip == "4 PLACE D ARMES 59500 DOUAI"
    assert owner.mailing_address == "8 rue Gambetta, 59000 Lille"
    event = Event.objects.get(kind="owner:updated", owner=owner)
    assert (event.old, event.new) == (
        {"name": "DURAND/ANNE", "postalAddress": None},
        {"name": "DURAND/ANNE", "postalAddress": "8 rue Gambetta, 59000 Lille"},
    )

    # Emptying the three fields removes it: letters go to the fiscal address again.
    owner_services.owner_update_contact(owner=owner, by=agent, **postal())
    owner.refresh_from_db()
    assert (owner.postal_address, owner.mailing_address) == ("", "4 PLACE D ARMES 59500 DOUAI")
    removal = Event.objects.filter(kind="owner:updated", owner=owner).latest("pk")
    assert removal.new == {"name": "DURAND/ANNE", "postalAddress": None}


@pytest.mark.parametrize(
    ("address", "errors"),
    [
        (postal("8 rue Gambetta", "5900", "Lille"), {"postal_code": "5 chiffres, par exemple 59500"}),
        (postal("8 rue Gambetta", "59OOO", "Lille"), {"postal_code": "5 chiffres, par exemple 59500"}),
        (postal("8 rue Gambetta", "", ""), {"postal_code": "code postal", "postal_city": "commune"}),
        (postal("", "59000", "Lille"), {"postal_address_line": "numéro et la voie"}),
        (postal("x" * 301, "59000", "Lille"), {"postal_address_line": "300 caractères"}),
    ],
)
def test_postal_address_refuses_incomplete_or_invalid_parts(agent, address, errors):
    owner = OwnerFactory()

    with pytest.raises(OwnerEditError) as error:
        owner_services.owner_update_contact(owner=owner, by=agent, email="pas-un-email", **address)

    assert set(error.value.errors) == {"email", *errors}
    for name, fragment in errors.items():
        assert fragment in error.value.errors[name]
    owner.refresh_from_db()
    assert owner.postal_address == ""
    assert not Event.objects.exists()


def test_postal_address_parts_go_together(agent):
    with pytest.raises(TypeError):
        owner_services.owner_update_contact(owner=OwnerFactory(), by=agent, postal_code="59000")


def test_database_refuses_an_invalid_or_partial_postal_address():
    for address in (postal("8 rue Gambetta", "ABCDE", "Lille"), postal("8 rue Gambetta", "59000", "")):
        with pytest.raises(IntegrityError), transaction.atomic():
            OwnerFactory(**address)


# ---- Ranks -------------------------------------------------------------------------------------


@pytest.fixture
def owners(housing):
    primary = HousingOwnerFactory(housing=housing, owner__full_name="A/PRIMAIRE", rank=1)
    second = HousingOwnerFactory(housing=housing, owner__full_name="B/SECOND", rank=2)
    third = HousingOwnerFactory(housing=housing, owner__full_name="C/TROISIEME", rank=3)
    return primary.owner, second.owner, third.owner


def test_primary_set_inactive_promotes_the_next_active_owner(agent, housing, owners):
    primary, second, _ = owners

    result = owner_services.housing_owners_update(housing=housing, ranks={primary.pk: 0}, by=agent)

    assert ranks(housing) == {"A/PRIMAIRE": 0, "B/SECOND": 1, "C/TROISIEME": 3}
    assert result.promoted.owner == second
    assert HousingOwner.objects.get(owner=primary).end_date is not None
    events = {
        (e.owner_id, e.old["rank"], e.new["rank"]) for e in Event.objects.filter(kind="housing:owner-updated")
    }
    assert events == {
        (primary.pk, "Destinataire principal", "Ancien propriétaire"),
        (second.pk, "Destinataire secondaire", "Destinataire principal"),
    }


def test_choosing_a_new_primary_requires_demoting_the_former_one(agent, housing, owners):
    primary, second, _ = owners

    with pytest.raises(OwnerEditError):
        owner_services.housing_owners_update(housing=housing, ranks={second.pk: 1}, by=agent)

    owner_services.housing_owners_update(housing=housing, ranks={second.pk: 1, primary.pk: 2}, by=agent)

    assert ranks(housing) == {"A/PRIMAIRE": 4, "B/SECOND": 1, "C/TROISIEME": 3}


def test_deceased_and_detached_owners(agent, housing, owners):
    primary, second, third = owners

    owner_services.housing_owners_update(housing=housing, ranks={third.pk: -3}, detach={second.pk}, by=agent)

    assert ranks(housing) == {"A/PRIMAIRE": 1, "C/TROISIEME": -3}
    detached = Event.objects.get(kind="housing:owner-detached")
    assert detached.old == {"name": "B/SECOND", "rank": "Destinataire secondaire"}


def test_detaching_the_primary_promotes_the_next_one(agent, housing, owners):
    primary, second, _ = owners

    owner_services.housing_owners_update(housing=housing, ranks={}, detach={primary.pk}, by=agent)

    assert ranks(housing) == {"B/SECOND": 1, "C/TROISIEME": 3}


def test_unknown_owner_is_refused(agent, housing, owners):
    with pytest.raises(OwnerEditError):
        owner_services.housing_owners_update(housing=housing, ranks={OwnerFactory().pk: 2}, by=agent)


def test_multi_owner_flag_follows_primary_rights(agent, douai, housing, owners):
    primary, second, _ = owners
    other = HousingFactory(geo_code="59178")
    HousingOwnerFactory(housing=other, owner=second, rank=1)

    owner_services.housing_owners_update(housing=housing, ranks={primary.pk: 0}, by=agent)

    second.refresh_from_db()
    assert second.is_multi_owner
    # The copies on both dwellings of `second` follow (read by the list's owner filters).
    housing.refresh_from_db()
    other.refresh_from_db()
    assert (housing.primary_owner_id, housing.primary_owner_multi) == (second.pk, True)
    assert (other.primary_owner_multi, other.primary_owner_kind) == (True, second.kind)
    assert housing.owner_count == 2


# ---- Attach and create -------------------------------------------------------------------------


def test_attach_as_primary_demotes_the_former_primary(agent, housing, owners):
    newcomer = OwnerFactory(full_name="D/NOUVEAU")

    owner_services.housing_owner_attach(housing=housing, owner=newcomer, rank=1, by=agent)

    assert ranks(housing) == {"A/PRIMAIRE": 4, "B/SECOND": 2, "C/TROISIEME": 3, "D/NOUVEAU": 1}
    attached = Event.objects.get(kind="housing:owner-attached")
    assert attached.new == {"name": "D/NOUVEAU", "rank": "Destinataire principal"}
    assert Event.objects.filter(kind="housing:owner-updated", owner=owners[0]).exists()


def test_attach_twice_is_refused(agent, housing, owners):
    with pytest.raises(OwnerEditError):
        owner_services.housing_owner_attach(housing=housing, owner=owners[1], rank=2, by=agent)


def test_first_current_owner_becomes_primary(agent, housing):
    owner = OwnerFactory(full_name="SEUL/PROPRIETAIRE")

    owner_services.housing_owner_attach(housing=housing, owner=owner, rank=2, by=agent)

    assert ranks(housing) == {"SEUL/PROPRIETAIRE": 1}


def test_create_owner_and_attach(agent, housing):
    owner = owner_services.housing_owner_create(
        housing=housing,
        rank=2,
        by=agent,
        full_name="  Martin   Léa ",
        birth_date=datetime.date(1960, 7, 14),
        postal_address_line="3 rue des Lilas",
        postal_code="59 500",
        postal_city="Douai",
        email="lea@example.fr",
    )

    assert owner.full_name == "Martin Léa"
    assert owner.idpersonne is None
    # A hand-made owner has no fiscal address: what was typed is its postal address.
    assert (owner.address_dgfip, owner.postal_address) == ("", "3 rue des Lilas, 59500 Douai")
    assert ranks(housing) == {"Martin Léa": 1}
    created = Event.objects.get(kind="owner:created")
    assert created.new["birthdate"] == "1960-07-14"
    assert created.new["postalAddress"] == "3 rue des Lilas, 59500 Douai"


def test_create_owner_refuses_a_missing_name(agent, housing):
    with pytest.raises(OwnerEditError) as error:
        owner_services.housing_owner_create(housing=housing, rank=2, by=agent, full_name=" ")

    assert "full_name" in error.value.errors
    assert not Owner.objects.exists()


# ---- Search ------------------------------------------------------------------------------------


def test_search_ignores_accents_case_and_word_order_within_the_perimeter(agent, housing):
    HousingOwnerFactory(housing=housing, owner__full_name="LÉVÊQUE/HÉLÈNE MARIE")
    elsewhere = HousingFactory(geo_code="59606")
    HousingOwnerFactory(housing=elsewhere, owner__full_name="LEVEQUE/HELENE", owner__idpersonne="AB123456")

    found = owner_selectors.owner_search(agent, "helene leveque")

    assert [owner.full_name for owner in found] == ["LÉVÊQUE/HÉLÈNE MARIE"]
    assert owner_selectors.owner_search(agent, "he") == []


def test_search_outside_the_perimeter_needs_the_exact_idpersonne(agent):
    HousingOwnerFactory(housing=HousingFactory(geo_code="59606"), owner__idpersonne="AB123456")

    assert [owner.idpersonne for owner in owner_selectors.owner_search(agent, "ab123456")] == ["AB123456"]
    assert owner_selectors.owner_search(agent, "AB12345") == []


def test_search_leaves_out_the_dwelling_own_owners(agent, housing, owners):
    assert owner_selectors.owner_search(agent, "second", exclude_housing=housing) == []
