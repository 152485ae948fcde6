"""The synthetic LOVAC generator, through `manage.py generate_lovac` and real files."""

import csv
import io
import re
from collections import Counter

import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import CommuneFactory, DepartmentFactory, RegionFactory
from zlv.geo.models import Epci
from zlv.lovac.generator import COLUMNS, OWNER_FIELDS, REQUIRED_COLUMNS

MILLESIME = 2025
PUBLIC_GROUPS = {"1", "2", "3", "4", "5", "6", "9"}


def diamond(longitude: float, latitude: float, size: float = 0.04) -> bytes:
    """A small square standing on a corner: half its bounding box, so sampling must reject points."""
    half = size / 2
    square = shapely.Polygon(
        [
            (longitude, latitude - half),
            (longitude + half, latitude),
            (longitude, latitude + half),
            (longitude - half, latitude),
        ]
    )
    return shapely.to_wkb(square)


@pytest.fixture
def communes(db):
    nord = DepartmentFactory(code="59", name="Nord")
    eure = DepartmentFactory(code="27", name="Eure", region=RegionFactory(code="28", name="Normandie"))
    corse = DepartmentFactory(code="2A", name="Corse-du-Sud", region=RegionFactory(code="94", name="Corse"))
    reunion = DepartmentFactory(
        code="974", name="La Réunion", region=RegionFactory(code="04", name="La Réunion")
    )
    places = [
        ("59350", "Lille", nord, 236_000, 3.06, 50.63),
        ("59512", "Roubaix", nord, 98_000, 3.17, 50.69),
        ("59009", "Villeneuve-d'Ascq", nord, 62_000, 3.14, 50.62),
        ("27229", "Évreux", eure, 46_000, 1.15, 49.02),
        ("2A004", "Ajaccio", corse, 73_000, 8.74, 41.93),
        ("97411", "Saint-Denis", reunion, 153_000, 55.45, -20.88),
    ]
    return {
        code: CommuneFactory(
            code=code,
            name=name,
            department=department,
            population=population,
            center_longitude=longitude,
            center_latitude=latitude,
            contour_wkb=diamond(longitude, latitude),
        )
        for code, name, department, population, longitude, latitude in places
    }


def generate(path, *, territory="FR", millesime=MILLESIME, **options) -> str:
    stdout = io.StringIO()
    call_command(
        "generate_lovac", territory=territory, millesime=millesime, out=str(path), stdout=stdout, **options
    )
    return stdout.getvalue()


def read(path, *, encoding="utf-8", delimiter=";") -> tuple[list[str], list[list[str]]]:
    with open(path, encoding=encoding, newline="") as handle:
        header, *records = list(csv.reader(handle, delimiter=delimiter))
    return header, records


def as_dicts(header: list[str], records: list[list[str]]) -> list[dict]:
    return [dict(zip(header, record, strict=True)) for record in records]


def in_scope(line: dict, millesime: int = MILLESIME) -> bool:
    """The scope rule of LOVAC_FORMAT.md."""
    return (
        line["aff"] == "H"
        and line["nature"] in ("APPART", "MAISON")
        and line["groupe"].strip() not in PUBLIC_GROUPS
        and int(line["debutvacance"]) < millesime - 2
    )


def rejection_reason(header: list[str], record: list[str], commune_codes, millesime=MILLESIME) -> str | None:
    """Why the importer must reject a line (LOVAC_FORMAT.md), or None."""
    if len(record) != len(header):
        return "nombre de champs"
    line = dict(zip(header, record, strict=True))
    idlocal, ccodep = line["ff_idlocal"], line["ccodep"]
    if len(idlocal) != 12 or not idlocal.startswith(ccodep):
        return "ff_idlocal"
    if not line["debutvacance"].isdigit() or not 1900 <= int(line["debutvacance"]) <= millesime:
        return "debutvacance"
    if ccodep + line["commune"] not in commune_codes:
        return "commune"
    return None


def test_same_arguments_and_seed_write_the_same_bytes(communes, tmp_path):
    generate(tmp_path / "a.csv", rows=1500, seed=5)
    generate(tmp_path / "b.csv", rows=1500, seed=5)
    generate(tmp_path / "c.csv", rows=1500, seed=6)

    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()


def test_file_has_every_required_and_owner_column_and_the_millesime(communes, tmp_path):
    output = generate(tmp_path / "lovac.csv", rows=2000)

    header, records = read(tmp_path / "lovac.csv")
    assert header == list(COLUMNS)
    assert set(REQUIRED_COLUMNS) <= set(header)
    for slot in range(1, 7):
        assert {f"{name}_{slot}" for name in OWNER_FIELDS} <= set(header)
    assert len(records) == 2000
    assert {line["annee"] for line in as_dicts(header, records)} == {str(MILLESIME)}
    assert "2\u202f000 lignes pour 6 communes" in output


def test_codes_agree_with_each_other_and_with_the_geography(communes, tmp_path):
    generate(tmp_path / "lovac.csv", rows=3000)

    lines = as_dicts(*read(tmp_path / "lovac.csv"))
    for line in lines:
        assert len(line["ff_idlocal"]) == 12
        assert len(line["invariant"]) == 10
        assert line["ff_idlocal"] == line["ccodep"] + line["invariant"]
        assert line["ccodep"] + line["commune"] in communes
        assert line["ff_idpar"].startswith(line["ccodep"] + line["commune"])
    by_commune = Counter((line["ccodep"], line["commune"]) for line in lines)
    assert by_commune[("97", "411")] > 0  # La Réunion: département 97, commune 411
    assert by_commune[("2A", "004")] > 0
    # Rows follow population: Lille has five times Évreux's inhabitants.
    assert by_commune[("59", "350")] > 3 * by_commune[("27", "229")]


def test_coordinates_fall_inside_their_commune(communes, tmp_path):
    generate(tmp_path / "lovac.csv", rows=3000)

    contours = {code: commune.contour for code, commune in communes.items()}
    swapped = 0
    for line in as_dicts(*read(tmp_path / "lovac.csv")):
        contour = contours[line["ccodep"] + line["commune"]]
        longitude, latitude = float(line["ff_x_4326"]), float(line["ff_y_4326"])
        if not contour.contains(shapely.Point(longitude, latitude)):
            # A few lines carry latitude and longitude swapped on purpose (an importer warning).
            assert contour.contains(shapely.Point(latitude, longitude))
            swapped += 1
    assert swapped < 30


def test_about_thirty_percent_of_lines_are_out_of_scope_and_some_are_duplicates(communes, tmp_path):
    output = generate(tmp_path / "lovac.csv", rows=5000)

    lines = as_dicts(*read(tmp_path / "lovac.csv"))
    out_of_scope = [line for line in lines if not in_scope(line)]
    assert 0.25 < len(out_of_scope) / len(lines) < 0.35
    assert {line["nature"] for line in out_of_scope} >= {"DEPEND", "COMMERCE"}
    assert {line["groupe"] for line in out_of_scope} & PUBLIC_GROUPS
    assert {line["aff"] for line in out_of_scope} - {"H"}
    assert any(int(line["debutvacance"]) >= MILLESIME - 2 for line in out_of_scope)
    # The same dwelling twice, with another vacancy start year: ~1 % of lines.
    seen: dict[str, list[str]] = {}
    for line in lines:
        seen.setdefault(line["ff_idlocal"], []).append(line["debutvacance"])
    repeated = [years for years in seen.values() if len(years) > 1]
    assert 25 <= len(repeated) <= 75
    assert all(len(set(years)) == len(years) for years in repeated)
    in_scope_dwellings = len({line["ff_idlocal"] for line in lines if in_scope(line)})
    assert f"{in_scope_dwellings:,} logements attendus".replace(",", "\u202f") in output


def test_owners_look_like_the_fichiers_fonciers(communes, tmp_path):
    generate(tmp_path / "lovac.csv", rows=4000)

    lines = as_dicts(*read(tmp_path / "lovac.csv"))
    owner_counts = Counter()
    dwellings_of_primary_owner: dict[str, set[str]] = {}
    for line in lines:
        slots = [slot for slot in range(1, 7) if line[f"ff_idpersonne_{slot}"]]
        assert slots == list(range(1, len(slots) + 1))  # the lowest slot is the primary owner
        owner_counts[len(slots)] += 1
        dwellings_of_primary_owner.setdefault(line["ff_idpersonne_1"], set()).add(line["ff_idlocal"])
        for slot in slots:
            idpersonne = line[f"ff_idpersonne_{slot}"]
            assert len(idpersonne) == 8 and idpersonne.startswith(line["ccodep"])
            assert line[f"ff_idprodroit_{slot}"] == f"{line['ff_idprocpte']}{slot:02d}"
            assert line[f"ff_ccodro_{slot}"] in {"P", "U", "N", "G", "S", "H"}
            assert line[f"ff_locprop_{slot}"] in {"1", "2", "3", "4", "5", "6", "9"}
            name, category = line[f"ff_ddenom_{slot}"], line[f"ff_catpro3_{slot}"]
            if category == "X1a":
                assert re.fullmatch(r"[A-Z][A-Z ]*/[A-Z][A-Z ]*", name)
                assert not line[f"ff_dsiren_{slot}"]
            else:
                assert "/" not in name
                assert _valid_siren(line[f"ff_dsiren_{slot}"])
    assert set(owner_counts) == {1, 2, 3, 4, 5, 6}
    assert len(lines[0]["ff_idprocpte"]) == 11
    assert sum(1 for dwellings in dwellings_of_primary_owner.values() if len(dwellings) > 1) >= 20
    assert any(line["ff_ddenom_1"].startswith("SCI ") for line in lines)


def _valid_siren(siren: str) -> bool:
    """Nine digits with a valid Luhn key."""
    if not re.fullmatch(r"\d{9}", siren):
        return False
    doubled = [int(char) * (2 if index % 2 else 1) for index, char in enumerate(siren)]
    return sum(value - 9 if value > 9 else value for value in doubled) % 10 == 0


def test_no_rejectable_line_by_default_but_some_messy_values(communes, tmp_path):
    generate(tmp_path / "lovac.csv", rows=4000)

    header, records = read(tmp_path / "lovac.csv")
    assert not [record for record in records if rejection_reason(header, record, communes)]
    lines = as_dicts(header, records)
    assert any(value == " " for line in lines for value in line.values())
    assert any(line["ff_stoth"] in {"abc", "n.c.", "12a", "#N/A"} for line in lines) or any(
        line["ff_npiece_p2"] in {"abc", "n.c.", "12a", "#N/A"} for line in lines
    )
    messy = [
        line for line in lines if any(value in (" ", "abc", "n.c.", "12a", "#N/A") for value in line.values())
    ]
    assert len(messy) < 0.02 * len(lines)


def test_rejects_option_slips_exactly_that_many_rejectable_lines(communes, tmp_path):
    generate(tmp_path / "lovac.csv", rows=3000, rejects=9)

    header, records = read(tmp_path / "lovac.csv")
    reasons = [rejection_reason(header, record, communes) for record in records]
    assert len(records) == 3000
    assert sum(1 for reason in reasons if reason) == 9
    assert set(reasons) >= {"nombre de champs", "ff_idlocal", "debutvacance", "commune"}


def test_previous_millesime_keeps_most_dwellings_and_owners_and_advances_the_year(communes, tmp_path):
    generate(tmp_path / "2025.csv", rows=4000, seed=1)
    output = generate(tmp_path / "2026.csv", millesime=2026, seed=1, previous=str(tmp_path / "2025.csv"))

    before = {line["ff_idlocal"]: line for line in as_dicts(*read(tmp_path / "2025.csv"))}
    after = as_dicts(*read(tmp_path / "2026.csv"))
    assert len(after) == 4000
    assert {line["annee"] for line in after} == {"2026"}
    after_ids = {line["ff_idlocal"] for line in after}
    kept = after_ids & before.keys()
    assert 0.80 < len(kept) / len(before) < 0.93
    arrivals = after_ids - before.keys()
    assert len(arrivals) > 300
    kept_lines = [line for line in after if line["ff_idlocal"] in kept]
    same_owner = [
        line
        for line in kept_lines
        if line["ff_idpersonne_1"] == before[line["ff_idlocal"]]["ff_idpersonne_1"]
    ]
    assert 0.85 < len(same_owner) / len(kept_lines) < 0.99
    old_owners = {line[f"ff_idpersonne_{slot}"] for line in before.values() for slot in range(1, 7)} - {""}
    for line in after:
        if line["ff_idlocal"] in arrivals:
            assert line["ff_idpersonne_1"] not in old_owners
    assert "logements conservés" in output


def test_previous_file_must_be_older(communes, tmp_path):
    generate(tmp_path / "2025.csv", rows=500)

    with pytest.raises(CommandError, match="doit être postérieur"):
        generate(tmp_path / "again.csv", previous=str(tmp_path / "2025.csv"))


def test_latin1_and_comma_are_available_for_import_tests(communes, tmp_path):
    generate(tmp_path / "lovac.csv", rows=1500, encoding="latin-1", delimiter=",")

    content = (tmp_path / "lovac.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    assert "Évreux".encode("latin-1") in content
    header, records = read(tmp_path / "lovac.csv", encoding="latin-1", delimiter=",")
    assert header == list(COLUMNS)
    assert all(len(record) == len(header) for record in records)


def test_territory_may_be_a_departement_or_an_epci(communes, tmp_path):
    generate(tmp_path / "nord.csv", territory="59", rows=800)
    epci = Epci.objects.create(siren="200093201", name="Métropole Européenne de Lille", kind="METRO")
    epci.communes.set([communes["59350"], communes["59512"]])
    generate(tmp_path / "mel.csv", territory="200093201", rows=800)

    nord = as_dicts(*read(tmp_path / "nord.csv"))
    assert {line["ccodep"] + line["commune"] for line in nord} == {"59350", "59512", "59009"}
    mel = as_dicts(*read(tmp_path / "mel.csv"))
    assert {line["ccodep"] + line["commune"] for line in mel} == {"59350", "59512"}


def test_unknown_territory_is_a_clear_french_error(communes, tmp_path):
    with pytest.raises(CommandError, match="Territoire inconnu : Aucune commune de code INSEE 99999"):
        generate(tmp_path / "lovac.csv", territory="99999")
    DepartmentFactory(code="62", name="Pas-de-Calais")
    with pytest.raises(CommandError, match="Aucune commune dans ce territoire"):
        generate(tmp_path / "lovac.csv", territory="62")
    assert not (tmp_path / "lovac.csv").exists()
