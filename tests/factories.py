"""factory_boy factories shared by the suite (traits, no factory inheritance)."""

import factory
from shapely import MultiPolygon, box

from zlv.accounts.enums import EstablishmentKind, Role
from zlv.accounts.models import Establishment, Membership, User
from zlv.geo.models import Commune, Department, Perimeter, PerimeterHousing, Region
from zlv.housing.models import Housing, HousingOwner, Owner


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "32"
    name = "Hauts-de-France"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "59"
    name = "Nord"
    region = factory.SubFactory(RegionFactory)


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"59{n + 1:03d}")
    name = factory.Sequence(lambda n: f"Commune {n + 1}")
    department = factory.SubFactory(DepartmentFactory)
    population = 1000


class EstablishmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Establishment
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Collectivité {n}")
    kind = EstablishmentKind.COM

    @factory.post_generation
    def communes(self, create, extracted, **kwargs):
        if create and extracted:
            self.communes.set(extracted)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@example.test")
    first_name = "Camille"
    last_name = "Martin"
    password = factory.PostGenerationMethodCall("set_password", "mot-de-passe-solide-2026")

    @factory.post_generation
    def establishment(self, create, extracted, **kwargs):
        """`UserFactory(establishment=e, role=Role.ADMIN)` makes the user a member working for e."""
        if create and extracted:
            Membership.objects.create(user=self, establishment=extracted, role=kwargs.get("role", Role.USUAL))
            self.active_establishment = extracted
        self.save()


class HousingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Housing

    geo_code = "59001"
    local_id = factory.Sequence(lambda n: f"59{n:010d}")
    invariant = factory.Sequence(lambda n: f"{n:010d}")
    housing_kind = "MAISON"
    address_dgfip = factory.Sequence(lambda n: f"{n} RUE DE LA PAIX")
    vacancy_start_year = 2018
    data_file_years = factory.LazyFunction(lambda: ["lovac-2025"])


class OwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Owner

    idpersonne = factory.Sequence(lambda n: f"P{n:07d}")
    full_name = factory.Sequence(lambda n: f"DUPONT/JEAN {n}")
    kind = "particulier"


class HousingOwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HousingOwner
        skip_postgeneration_save = True

    housing = factory.SubFactory(HousingFactory)
    owner = factory.SubFactory(OwnerFactory)
    rank = 1

    @factory.post_generation
    def _copy_primary_owner(self, create, extracted, **kwargs):
        """Keep Housing.primary_owner in step, as the services and the import do."""
        if create:
            from zlv.housing.primary_owner import primary_owner_refresh

            primary_owner_refresh(housing_ids=[self.housing_id])


class PerimeterFactory(factory.django.DjangoModelFactory):
    """A square perimeter of an establishment; `housings=[…]` makes them its members (as the upload
    computes them)."""

    class Meta:
        model = Perimeter
        skip_postgeneration_save = True

    establishment = factory.SubFactory(EstablishmentFactory)
    name = factory.Sequence(lambda n: f"Périmètre {n}")
    kind = "OPAH"
    min_longitude, min_latitude, max_longitude, max_latitude = 3.0, 50.3, 3.2, 50.5
    geometry_wkb = factory.LazyAttribute(
        lambda p: MultiPolygon([box(p.min_longitude, p.min_latitude, p.max_longitude, p.max_latitude)]).wkb
    )

    @factory.post_generation
    def housings(self, create, extracted, **kwargs):
        if create and extracted:
            PerimeterHousing.objects.bulk_create(
                [PerimeterHousing(perimeter=self, housing=housing) for housing in extracted]
            )
