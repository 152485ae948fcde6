"""The container: encodings, delimiters, quoting, line numbers, refused files, the JSON summary."""

import io

import pytest
from django.core.management import call_command

from tests.lovac.conftest import (
    HEADER,
    MILLESIME,
    import_file,
    lovac_row,
    read_report,
    run_import,
    write_lovac,
)
from zlv.housing.models import Event, Housing, HousingOwner, Owner
from zlv.lovac.models import ImportRun

JSON_KEYS = {
    "status",
    "lines",
    "in_scope",
    "duplicates",
    "out_of_scope",
    "rejected",
    "warnings",
    "housing_created",
    "housing_updated",
    "housing_exited",
    "owners_created",
    "owners_updated",
    "owner_links_attached",
    "owner_links_detached",
    "owner_links_updated",
    "seconds",
}


def data_row_count():
    return (
        Housing.objects.count(),
        Owner.objects.count(),
        HousingOwner.objects.count(),
        Event.objects.count(),
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_encodings_and_delimiters(communes, tmp_path, encoding, delimiter):
    rows = [lovac_row(1, ccodep="27", commune="229", ff_idlocal="270000000001", libcom="Évreux")]
    code, summary, _report = import_file(tmp_path, rows, encoding=encoding, delimiter=delimiter)
    assert code == 0, summary
    housing = Housing.objects.get()
    assert housing.geo_code == "27229"
    assert housing.address_dgfip == "12 RUE DE LA PAIX, Évreux"


def test_undecodable_bytes_are_refused(communes, tmp_path):
    path = write_lovac(tmp_path / "lovac.csv", [lovac_row(1)])
    path.write_bytes(path.read_bytes().replace(b"LILLE", b"LI\x81\x8dLE"))
    code, summary = run_import(path)
    assert code == 2
    assert summary["status"] == "refused"
    assert data_row_count() == (0, 0, 0, 0)
    assert "illisibles" in ImportRun.objects.get().refusal_reason


def test_quoted_fields_and_line_numbers(communes, tmp_path):
    rows = [
        lovac_row(1, libvoie='RUE "DU; PARC"', ff_ddenom_1="SCI LE CLOS; DES\nLILAS"),
        lovac_row(2, ff_stoth="beaucoup"),
    ]
    code, summary, report = import_file(tmp_path, rows, quote_all=True)
    assert code == 0
    assert summary["in_scope"] == 2
    first = Housing.objects.get(local_id="590000000001")
    assert first.address_dgfip == 'RUE "DU; PARC"'.join(["12 ", ", LILLE"])
    assert Owner.objects.get(idpersonne="P0000001").full_name == "SCI LE CLOS; DES\nLILAS"
    # The first record spans lines 2 and 3: the second one starts on line 4.
    assert [(row["numéro de ligne"], row["colonne"]) for row in report] == [("4", "ff_stoth")]


def test_extra_columns_free_order_empty_and_space_values(communes, tmp_path):
    header = ["colonne_en_plus", *reversed(HEADER)]
    rows = [lovac_row(1, colonne_en_plus="x", ff_stoth=" ", ff_ctpdl="", groupe=" ")]
    code, summary, report = import_file(tmp_path, rows, header=header)
    assert code == 0
    housing = Housing.objects.get()
    assert housing.living_area is None
    assert housing.condominium == ""
    assert report == []


def test_crlf_line_endings(communes, tmp_path):
    path = write_lovac(tmp_path / "lovac.csv", [lovac_row(1), lovac_row(2, ff_stoth="x")])
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    report = tmp_path / "report.csv"
    code, summary = run_import(path, "--report", str(report))
    assert code == 0
    assert summary["in_scope"] == 2
    assert [row["numéro de ligne"] for row in read_report(report)] == ["3"]


def test_missing_required_columns_are_refused_with_their_names(communes, tmp_path):
    header = [column for column in HEADER if column not in ("aff", "debutvacance")]
    path = write_lovac(tmp_path / "lovac.csv", [lovac_row(1)], header=header)
    code, summary = run_import(path)
    assert code == 2
    assert summary["status"] == "refused"
    reason = ImportRun.objects.get().refusal_reason
    assert "aff" in reason and "debutvacance" in reason
    assert data_row_count() == (0, 0, 0, 0)


@pytest.mark.parametrize("content", [b"", b"\n", ";".join(HEADER).encode() + b"\n"])
def test_empty_file_is_refused(communes, tmp_path, content):
    path = tmp_path / "lovac.csv"
    path.write_bytes(content)
    code, summary = run_import(path)
    assert code == 2
    assert summary["status"] == "refused"


def test_millesime_mismatch_is_refused(communes, tmp_path):
    path = write_lovac(tmp_path / "lovac.csv", [lovac_row(1), lovac_row(2, annee="2024")])
    code, summary = run_import(path)
    assert code == 2
    assert "2024" in ImportRun.objects.get().refusal_reason
    assert data_row_count() == (0, 0, 0, 0)


def test_too_many_rejected_lines_are_refused(communes, tmp_path):
    rows = [lovac_row(n) for n in range(1, 100)] + [lovac_row(100, ff_idlocal="")]
    path = write_lovac(tmp_path / "lovac.csv", rows)
    code, summary = run_import(path)  # default: at most 1 % of 100 lines = 1
    assert code == 0
    assert summary["rejected"] == 1

    rows.append(lovac_row(101, debutvacance="1850"))
    path = write_lovac(tmp_path / "lovac2.csv", rows)
    before = data_row_count()
    code, summary = run_import(path)
    assert code == 2
    assert summary["status"] == "refused"
    assert data_row_count() == before

    code, summary = run_import(path, "--max-rejected", "2")
    assert code == 0


def test_json_summary_keys_and_identity(communes, tmp_path):
    rows = [
        lovac_row(1),
        lovac_row(1, debutvacance="2010"),  # duplicate
        lovac_row(2, aff="C"),  # out of scope
        lovac_row(3, ff_idlocal="12345"),  # rejected
        lovac_row(4, dvf_datemut="31/02/2020"),  # warning
    ]
    code, summary, _report = import_file(tmp_path, rows)
    assert code == 0
    assert set(summary) == JSON_KEYS
    assert summary["status"] == "imported"
    assert summary["lines"] == 5
    assert summary["lines"] == (
        summary["in_scope"] + summary["duplicates"] + summary["out_of_scope"] + summary["rejected"]
    )
    assert (summary["in_scope"], summary["duplicates"], summary["out_of_scope"], summary["rejected"]) == (
        2,
        1,
        1,
        1,
    )
    assert summary["warnings"] == 1
    assert summary["housing_created"] == 2


def test_report_is_stored_on_the_import_run(communes, tmp_path):
    code, _summary, report = import_file(tmp_path, [lovac_row(1, ff_idlocal="")])
    run = ImportRun.objects.get()
    assert run.status == "imported"
    assert run.report.splitlines()[0] == "numéro de ligne;ff_idlocal;colonne;valeur;motif;type"
    assert report[0]["type"] == "rejet"
    assert len(run.checksum) == 64
    assert run.counts["rejected"] == 1


def test_human_summary_in_french(communes, tmp_path):
    path = write_lovac(tmp_path / "lovac.csv", [lovac_row(1)])
    out = io.StringIO()
    call_command("import_lovac", str(path), "--millesime", str(MILLESIME), stdout=out)
    text = out.getvalue()
    assert "Import terminé." in text
    assert "Logements créés : 1" in text


def test_dry_run_writes_nothing_but_reports_real_counts(communes, tmp_path):
    path = write_lovac(tmp_path / "lovac.csv", [lovac_row(1), lovac_row(2)])
    code, summary = run_import(path, "--dry-run")
    assert code == 0
    assert summary["status"] == "dry-run"
    assert summary["housing_created"] == 2
    assert summary["owners_created"] == 2
    assert data_row_count() == (0, 0, 0, 0)
    assert ImportRun.objects.get().status == "dry-run"
