"""Reference geography (INSEE COG / IGN Admin Express, Licence Ouverte), loaded by `load_geography`."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Region(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)

    class Meta:
        verbose_name = "région"
        ordering = ["code"]

    def __str__(self):
        return self.name


class Department(models.Model):
    code = models.CharField("code", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments")

    class Meta:
        verbose_name = "département"
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Commune(models.Model):
    code = models.CharField("code INSEE", max_length=5, primary_key=True)
    name = models.CharField("nom", max_length=150)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="communes")
    population = models.PositiveIntegerField("population municipale", null=True, blank=True)
    center_latitude = models.FloatField(null=True, blank=True)
    center_longitude = models.FloatField(null=True, blank=True)
    # Simplified contour, WKB of a (Multi)Polygon in WGS84: drawn on the map, used by the
    # synthetic generator and to check that a dwelling's coordinates fall in its commune.
    contour_wkb = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "commune"
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def contour(self):
        """The contour as a shapely geometry (None when unknown)."""
        if not self.contour_wkb:
            return None
        from shapely import wkb

        return wkb.loads(bytes(self.contour_wkb))


class EpciKind(models.TextChoices):
    CA = "CA", "Communauté d'agglomération"
    CC = "CC", "Communauté de communes"
    CU = "CU", "Communauté urbaine"
    METRO = "METRO", "Métropole"
    EPT = "EPT", "Établissement public territorial"


class Epci(models.Model):
    siren = models.CharField("SIREN", max_length=9, primary_key=True)
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("type", max_length=5, choices=EpciKind.choices)
    communes = models.ManyToManyField(Commune, related_name="epcis", blank=True)

    class Meta:
        verbose_name = "EPCI"
        verbose_name_plural = "EPCI"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Perimeter(models.Model):
    """A zone drawn by an establishment (OPAH, centre-ville…), uploaded as GeoJSON or shapefile.

    The dwellings inside are computed when it is saved (and after each LOVAC import) and kept as
    PerimeterHousing rows, so the list filters need no spatial database.
    """

    establishment = models.ForeignKey(
        "accounts.Establishment",
        on_delete=models.CASCADE,
        related_name="geo_perimeters",
        verbose_name="structure",
        # Indexed in Meta with the kind: every query on perimeters starts from one establishment.
        db_index=False,
    )
    name = models.CharField("nom", max_length=255)
    # Free label chosen by the establishment; the dwellings list filters on it.
    kind = models.CharField("type", max_length=255)
    # WKB of a MultiPolygon in WGS84 (longitude, latitude), full precision.
    geometry_wkb = models.BinaryField("géométrie", editable=False)
    # Bounding box of the geometry: membership only tests the dwellings inside it.
    min_longitude = models.FloatField("longitude minimale")
    min_latitude = models.FloatField("latitude minimale")
    max_longitude = models.FloatField("longitude maximale")
    max_latitude = models.FloatField("latitude maximale")
    housings = models.ManyToManyField(
        "housing.Housing", through="PerimeterHousing", related_name="geo_perimeters", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="déposé par",
    )
    created_at = models.DateTimeField("déposé le", default=timezone.now)
    updated_at = models.DateTimeField("modifié le", default=timezone.now)

    class Meta:
        verbose_name = "périmètre"
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_longitude__lte=models.F("max_longitude"))
                & models.Q(min_latitude__lte=models.F("max_latitude")),
                name="perimeter_bbox_ordered",
                violation_error_message="L’emprise du périmètre est incohérente.",
            ),
        ]
        indexes = [
            # housing_in_perimeter_kinds_condition() and the perimeters page: one establishment's
            # perimeters, by kind.
            models.Index(fields=["establishment", "kind"], name="perimeter_estab_kind_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def geometry(self):
        """The geometry as a shapely MultiPolygon."""
        from shapely import wkb

        return wkb.loads(bytes(self.geometry_wkb))


class PerimeterHousing(models.Model):
    """A dwelling lying inside a perimeter (computed, never entered by hand)."""

    # No single-column index: the unique (perimeter, housing) constraint starts with it.
    perimeter = models.ForeignKey(
        Perimeter, on_delete=models.CASCADE, related_name="housing_links", db_index=False
    )
    # Indexed in Meta: the filters look up the perimeters of each dwelling.
    housing = models.ForeignKey(
        "housing.Housing", on_delete=models.CASCADE, related_name="perimeter_links", db_index=False
    )

    class Meta:
        verbose_name = "logement d’un périmètre"
        verbose_name_plural = "logements des périmètres"
        constraints = [
            models.UniqueConstraint(
                fields=["perimeter", "housing"],
                name="perimeter_housing_unique",
                violation_error_message="Ce logement est déjà rattaché à ce périmètre.",
            ),
        ]
        indexes = [
            # Filters geoPerimetersIncluded / geoPerimetersExcluded: EXISTS on housing_id.
            models.Index(fields=["housing", "perimeter"], name="perimeter_housing_housing_idx"),
        ]
