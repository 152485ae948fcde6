"""Reference geography (INSEE COG / IGN Admin Express, Licence Ouverte), loaded by `load_geography`."""

from django.db import models


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
