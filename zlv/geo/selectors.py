"""Reads of the reference geography."""

from django.db.models import QuerySet

from zlv.geo.models import Commune, Department, Epci

# Paris, Marseille and Lyon are divided into municipal arrondissements, which have their own
# INSEE codes; fiscal files (LOVAC) locate dwellings by arrondissement, so the city's territory
# must include them. The list is fixed by law (PLM law of 1982).
ARRONDISSEMENTS_OF_CITY = {
    "75056": tuple(f"751{number:02d}" for number in range(1, 21)),
    "13055": tuple(f"132{number:02d}" for number in range(1, 17)),
    "69123": tuple(f"6938{number}" for number in range(1, 10)),
}


class UnknownTerritory(ValueError):
    """The code names no commune, EPCI, département or 'FR'."""


def communes_of_territory(code: str) -> QuerySet[Commune]:
    """Communes of a territory given as an INSEE commune code, an EPCI SIREN, a département code or 'FR'.

    Paris, Marseille and Lyon come with their municipal arrondissements.
    """
    code = code.strip().upper()
    if code == "FR":
        return Commune.objects.all()
    if len(code) == 9 and code.isdigit():
        epci = Epci.objects.filter(siren=code).first()
        if epci is None:
            raise UnknownTerritory(f"Aucun EPCI de SIREN {code}.")
        return epci.communes.all()
    if len(code) == 5:
        if not Commune.objects.filter(code=code).exists():
            raise UnknownTerritory(f"Aucune commune de code INSEE {code}.")
        return Commune.objects.filter(code__in=(code, *ARRONDISSEMENTS_OF_CITY.get(code, ())))
    if len(code) in (1, 2, 3):
        department_code = code.zfill(2) if code.isdigit() else code
        if not Department.objects.filter(code=department_code).exists():
            raise UnknownTerritory(f"Aucun département de code {code}.")
        return Commune.objects.filter(department_id=department_code)
    raise UnknownTerritory(
        f"« {code} » n'est ni un code commune (5 caractères), ni un SIREN d'EPCI (9 chiffres), "
        "ni un code département, ni FR."
    )
