"""geography_load on small data files: updates, deletions, dry run, command options."""

import csv
import gzip
import io

import pytest
import shapely
from django.core.management import CommandError, call_command

from zlv.geo.models import Commune, Epci
from zlv.geo.services import geography_load

pytestmark = pytest.mark.django_db

SQUARE = "MULTIPOLYGON (((3 50, 3.1 50, 3.1 50.1, 3 50.1, 3 50)))"
COMMUNES = [
    # code, name, department, population, EPCI, latitude, longitude, contour
    ("59350", "Lille", "59", "232787", "200093201", "50.05", "3.05", SQUARE),
    ("59512", "Roubaix", "59", "98089", "200093201", "50.05", "3.05", SQUARE),
    ("59183", "Dunkerque", "59", "86279", "245900428", "", "", ""),
]


def write_data(folder, communes=COMMUNES, epcis=None):
    epcis = epcis or [
        ("200093201", "Métropole Européenne de Lille", "METRO"),
        ("245900428", "CU de Dunkerque", "CU"),
    ]
    tables = {
        "regions.csv": [("code", "name"), ("32", "Hauts-de-France")],
        "departments.csv": [("code", "name", "region_code"), ("59", "Nord", "32")],
        "epcis.csv": [("siren", "name", "kind"), *epcis],
    }
    for name, rows in tables.items():
        with (folder / name).open("w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows(rows)
    header = [
        "code",
        "name",
        "department_code",
        "population",
        "epci_siren",
        "center_latitude",
        "center_longitude",
        "contour_wkt",
    ]
    with gzip.open(folder / "communes.csv.gz", "wt", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([header, *communes])
    return folder


def test_load_stores_fields_contours_and_membership(tmp_path):
    counts = geography_load(path=write_data(tmp_path))

    assert counts["communes"] == {"total": 3, "created": 3, "updated": 0, "obsolete": 0}
    lille = Commune.objects.get(code="59350")
    assert (lille.name, lille.department_id, lille.population) == ("Lille", "59", 232787)
    assert (lille.center_latitude, lille.center_longitude) == (50.05, 3.05)
    assert lille.contour.equals(shapely.from_wkt(SQUARE))
    dunkerque = Commune.objects.get(code="59183")
    assert dunkerque.contour is None and dunkerque.center_latitude is None
    assert set(Epci.objects.get(siren="200093201").communes.values_list("code", flat=True)) == {
        "59350",
        "59512",
    }


def test_changes_in_the_files_are_applied_and_counted(tmp_path):
    geography_load(path=write_data(tmp_path))
    renamed = [("59350", "Lille-Lomme", *COMMUNES[0][2:]), COMMUNES[1]]
    moved = [(*COMMUNES[2][:4], "200093201", *COMMUNES[2][5:])]
    only_mel = [("200093201", "Métropole Européenne de Lille", "METRO")]

    counts = geography_load(path=write_data(tmp_path, communes=renamed + moved, epcis=only_mel))

    assert counts["communes"] == {"total": 3, "created": 0, "updated": 1, "obsolete": 0}
    assert counts["epcis"] == {"total": 1, "created": 0, "updated": 0, "deleted": 1}
    assert counts["memberships"] == {"total": 3, "created": 1, "deleted": 0}
    assert Commune.objects.get(code="59350").name == "Lille-Lomme"
    assert not Epci.objects.filter(siren="245900428").exists()
    assert Epci.objects.get(siren="200093201").communes.count() == 3


def test_communes_gone_from_the_files_are_kept_and_reported(tmp_path):
    geography_load(path=write_data(tmp_path))

    counts = geography_load(path=write_data(tmp_path, communes=COMMUNES[:2]))

    assert counts["communes"]["obsolete"] == 1
    assert Commune.objects.filter(code="59183").exists()
    assert counts["memberships"]["deleted"] == 1


def test_dry_run_counts_without_writing(tmp_path):
    output = io.StringIO()
    call_command("load_geography", "--dry-run", "--path", str(write_data(tmp_path)), stdout=output)

    assert not Commune.objects.exists()
    assert "Communes : 3 (3 ajoutées, 0 modifiées)" in output.getvalue()
    assert "Simulation terminée" in output.getvalue()
    assert "rien n'a été enregistré" in output.getvalue()


def test_missing_files_and_unknown_epci_kinds_are_refused(tmp_path):
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("load_geography", "--path", str(tmp_path), stdout=io.StringIO())
    write_data(tmp_path, epcis=[("200093201", "Métropole Européenne de Lille", "ME")])
    with pytest.raises(CommandError, match="Types d'EPCI inconnus dans epcis.csv : ME"):
        call_command("load_geography", "--path", str(tmp_path), stdout=io.StringIO())
    assert not Commune.objects.exists()
