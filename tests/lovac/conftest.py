"""Helpers for the LOVAC import tests: write small raw files, run the command, read the JSON."""

import csv
import io
import json

import pytest
from django.core.management import call_command

from tests.factories import CommuneFactory, DepartmentFactory, RegionFactory

MILLESIME = 2025

HEADER = [
    "annee",
    "ff_idlocal",
    "invariant",
    "ccodep",
    "commune",
    "aff",
    "nature",
    "groupe",
    "debutvacance",
    "loc_num",
    "libvoie",
    "libcom",
    "ff_x_4326",
    "ff_y_4326",
    "ff_x",
    "ff_y",
    "ban_result_label",
    "ban_result_score",
    "ban_result_id",
    "ban_latitude",
    "ban_longitude",
    "ff_stoth",
    "ff_npiece_p2",
    "ff_dcapec2",
    "ff_dnbwc",
    "ff_dnbbai",
    "ff_dnbdou",
    "ff_jannath",
    "ff_ctpdl",
    "ff_ndroit",
    "vlcad",
    "potentiel_tlv_thlv",
    "ff_ccthp",
    "ff_idbat",
    "ff_idpar",
    "ff_idsec",
    "ff_dcntpa",
    "anmutation",
    "dvf_datemut",
    "dvf_valeurfonc",
    "ff_idprocpte",
]
# The columns of one owner slot (1 to 6) of the file, without their `_N` suffix.
OWNER_FIELDS = (
    "ff_ddenom",
    "ff_idpersonne",
    "ff_idprodroit",
    "ff_jdatnss",
    "ff_ccodro",
    "ff_catpro3",
    "ff_dsiren",
    "ff_locprop",
    "cer_ff_adresse",
)
HEADER += [f"{name}_{slot}" for slot in (1, 2) for name in OWNER_FIELDS]


def lovac_row(number: int = 1, **values) -> dict:
    """A valid in-scope LOVAC line of Lille (59350); `values` override columns."""
    row = {
        "annee": str(MILLESIME),
        "ff_idlocal": f"59{number:010d}",
        "invariant": f"35{number:08d}",
        "ccodep": "59",
        "commune": "350",
        "aff": "H",
        "nature": "APPART",
        "groupe": "",
        "debutvacance": "2015",
        "loc_num": "12",
        "libvoie": "RUE DE LA PAIX",
        "libcom": "LILLE",
        "ff_x_4326": "3.0573",
        "ff_y_4326": "50.6292",
        "ban_result_label": "12 Rue de la Paix 59000 Lille",
        "ban_result_score": "0.93",
        "ban_result_id": "59350_1234_00012",
        "ff_stoth": "54",
        "ff_npiece_p2": "3",
        "ff_dcapec2": "6",
        "ff_dnbwc": "1",
        "ff_dnbbai": "1",
        "ff_dnbdou": "0",
        "ff_jannath": "1930",
        "ff_ctpdl": "CL",
        "ff_ndroit": "1",
        "vlcad": "2450",
        "potentiel_tlv_thlv": "*",
        "ff_ccthp": "V",
        "ff_idbat": "59350A000001",
        "ff_idpar": "59350000AB0012",
        "ff_idsec": "59350000AB",
        "ff_dcntpa": "320",
        "anmutation": "2012",
        "dvf_datemut": "15/03/2012",
        "dvf_valeurfonc": "98000",
        "ff_idprocpte": f"59350{number:06d}",
        "ff_ddenom_1": f"DUPONT/JEAN {number}",
        "ff_idpersonne_1": f"P{number:07d}",
        "ff_idprodroit_1": f"59350{number:06d}01",
        "ff_jdatnss_1": "02/05/1950",
        "ff_ccodro_1": "P",
        "ff_catpro3_1": "X1a",
        "ff_dsiren_1": "",
        "ff_locprop_1": "1",
        "cer_ff_adresse_1": "3 AVENUE FOCH 75016 PARIS",
    }
    row.update(values)
    return row


def write_lovac(path, rows, *, header=None, delimiter=";", encoding="utf-8", quote_all=False):
    """Write `rows` (dicts) as a LOVAC CSV file and return its path."""
    header = header or HEADER
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        lineterminator="\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run_import(path, *args, millesime=MILLESIME):
    """Run the command with --json; returns (exit code, parsed JSON summary)."""
    out = io.StringIO()
    code = 0
    try:
        call_command("import_lovac", str(path), "--millesime", str(millesime), "--json", *args, stdout=out)
    except SystemExit as exit_:
        code = exit_.code
    last_line = out.getvalue().strip().splitlines()[-1]
    return code, json.loads(last_line)


@pytest.fixture
def communes(db):
    """The communes the test files use: Lille, Roubaix, Ajaccio (2A), Saint-Pierre (La Réunion)."""
    hdf = RegionFactory(code="32", name="Hauts-de-France")
    nord = DepartmentFactory(code="59", name="Nord", region=hdf)
    corse = RegionFactory(code="94", name="Corse")
    corse_du_sud = DepartmentFactory(code="2A", name="Corse-du-Sud", region=corse)
    reunion = RegionFactory(code="04", name="La Réunion")
    dept_974 = DepartmentFactory(code="974", name="La Réunion", region=reunion)
    eure = DepartmentFactory(code="27", name="Eure", region=RegionFactory(code="28", name="Normandie"))
    return {
        "59350": CommuneFactory(code="59350", name="Lille", department=nord),
        "59512": CommuneFactory(code="59512", name="Roubaix", department=nord),
        "2A004": CommuneFactory(code="2A004", name="Ajaccio", department=corse_du_sud),
        "97411": CommuneFactory(code="97411", name="Saint-Denis", department=dept_974),
        "27229": CommuneFactory(code="27229", name="Évreux", department=eure),
    }


def read_report(path) -> list[dict]:
    """The rows of a report written by --report."""
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def import_file(tmp_path, rows, *args, name="lovac.csv", **write_options):
    """Write `rows`, import them with a report; returns (exit code, summary, report rows)."""
    path = write_lovac(tmp_path / name, rows, **write_options)
    report = tmp_path / f"{name}.report.csv"
    code, summary = run_import(path, "--report", str(report), "--max-rejected", "1000", *args)
    return code, summary, read_report(report)
