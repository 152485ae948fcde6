"""Read and validate a raw LOVAC file (LOVAC_FORMAT.md): decode, detect, parse, validate.

The file is streamed in record-aligned chunks so that memory stays bounded whatever its size.
Each chunk is split into records with numpy (quote parity gives record boundaries, field counts
and physical line numbers), parsed by polars (only the columns we use, all as strings), then
validated with vectorised expressions. Clean in-scope rows are handed to a sink (the staging
tables); rejected lines and warnings become report rows.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

CHUNK_BYTES = 24 * 1024 * 1024

REQUIRED_COLUMNS = ["ff_idlocal", "invariant", "ccodep", "commune", "aff", "nature", "groupe", "debutvacance"]
OWNER_SLOTS = range(1, 7)
OWNER_FIELDS = [
    "ff_ddenom",
    "ff_idpersonne",
    "ff_idprodroit",
    "ff_jdatnss",
    "ff_ccodro",
    "ff_catpro3",
    "ff_dsiren",
    "ff_locprop",
    "cer_ff_adresse",
]
OPTIONAL_COLUMNS = [
    "annee",
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
] + [f"{name}_{slot}" for slot in OWNER_SLOTS for name in OWNER_FIELDS]
USED_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
TRIMMED_COLUMNS = {*REQUIRED_COLUMNS, "annee"} | {f"ff_idpersonne_{slot}" for slot in OWNER_SLOTS}

PUBLIC_OWNER_GROUPS = [1, 2, 3, 4, 5, 6, 9]
IN_SCOPE_NATURES = ["APPART", "MAISON"]

REJECTED = "rejet"
WARNING = "avertissement"
REPORT_HEADER = ["numéro de ligne", "ff_idlocal", "colonne", "valeur", "motif", "type"]
REPORT_SCHEMA = {
    "line": pl.Int64,
    "ff_idlocal": pl.String,
    "column": pl.String,
    "value": pl.String,
    "reason": pl.String,
    "kind": pl.String,
}

# (min longitude, max longitude, min latitude, max latitude), per territory.
METROPOLITAN_BOX = (-5.8, 10.0, 41.0, 51.6)
OVERSEAS_BOXES = {
    "971": (-62.0, -60.8, 15.7, 18.2),  # Guadeloupe (and its dependencies)
    "972": (-61.3, -60.7, 14.3, 15.0),  # Martinique
    "973": (-54.7, -51.5, 2.0, 6.0),  # Guyane
    "974": (55.1, 56.0, -21.5, -20.8),  # La Réunion
    "975": (-56.6, -56.0, 46.7, 47.2),  # Saint-Pierre-et-Miquelon
    "976": (44.9, 45.4, -13.1, -12.5),  # Mayotte
    "977": (-63.0, -62.7, 17.8, 18.0),  # Saint-Barthélemy
    "978": (-63.2, -62.9, 18.0, 18.2),  # Saint-Martin
}

OWNER_KIND_EXACT = {
    "F7B": "promoteur",
    "F7D": "promoteur",
    "F7E": "promoteur",
    "F7F": "promoteur",
    "F7A": "bailleur-social",
    "F7C": "bailleur-social",
    "F7G": "bailleur-social",
}
OWNER_KIND_PREFIX = [
    ("X", "particulier"),
    ("G", "sci-copro"),
    ("M", "sci-copro"),
    ("F6", "promoteur"),
    ("F1", "bailleur-social"),
    ("F2", "bailleur-social"),
    ("F4", "bailleur-social"),
    ("F5", "bailleur-social"),
    ("P", "etat-collectivite"),
]
PROPERTY_RIGHTS = {
    "P": "proprietaire-entier",
    "U": "usufruitier",
    "N": "nu-proprietaire",
    "G": "administrateur",
    "S": "syndic",
    "H": "associe-sci-ir",
}

# Storage limits of the target columns (smallint / integer / bigint).
SMALLINT = (-32768, 32767)
INTEGER = (-2147483648, 2147483647)
BIGINT = (-(2**63), 2**63 - 1)


class FileRefused(Exception):
    """The whole file is refused: nothing is imported."""


@dataclass
class ReadResult:
    encoding: str = ""
    delimiter: str = ""
    lines: int = 0
    in_scope_records: int = 0
    out_of_scope: int = 0
    rejected: int = 0
    duplicate_lines: list[int] = field(default_factory=list)
    report: pl.DataFrame | None = None
    communes: set[str] = field(default_factory=set)
    rejected_local_ids: list[str] = field(default_factory=list)
    buildings: pl.DataFrame | None = None

    @property
    def duplicates(self) -> int:
        return len(self.duplicate_lines)

    @property
    def in_scope(self) -> int:
        return self.in_scope_records - self.duplicates

    @property
    def warnings(self) -> int:
        if self.report is None:
            return 0
        return int((self.report["kind"] == WARNING).sum())


LINK_COLUMNS = ["line", "rank", "idpersonne", "property_right", "locprop", "idprodroit"]
OWNER_COLUMNS = ["line", "rank", "idpersonne", "full_name", "birth_date", "kind", "siren", "address"]


class Sink:
    """Receives the clean in-scope rows (implemented by the staging tables).

    `housing` and `links` (one row per owner slot) come chunk by chunk; `owners` (one row per
    distinct idpersonne, with its number of primary rights in the file) comes once at the end.
    """

    def housing(self, frame: pl.DataFrame) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def links(self, frame: pl.DataFrame) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def owners(self, frame: pl.DataFrame) -> None:  # pragma: no cover - interface
        raise NotImplementedError


# --------------------------------------------------------------------------------------------
# Container: encoding, header, delimiter, record-aligned chunks
# --------------------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """'utf-8-sig', 'utf-8' or 'cp1252'; refuses bytes that are neither."""
    with open(path, "rb") as f:
        has_bom = f.read(3) == codecs.BOM_UTF8
    if _decodes(path, "utf-8"):
        return "utf-8-sig" if has_bom else "utf-8"
    # Windows-1252 leaves 5 bytes undefined; Latin-1's C1 controls there are never text either.
    line = _first_undecodable_line(path, "cp1252")
    if line is None:
        return "cp1252"
    raise FileRefused(
        f"Le fichier contient des octets illisibles (ni UTF-8 ni Windows-1252), à la ligne {line}."
    )


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as f:
        try:
            while block := f.read(CHUNK_BYTES):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _first_undecodable_line(path: Path, encoding: str) -> int | None:
    line = 1
    with open(path, "rb") as f:
        while block := f.read(CHUNK_BYTES):
            try:
                block.decode(encoding)
            except UnicodeDecodeError as error:
                return line + block.count(b"\n", 0, error.start)
            line += block.count(b"\n")
    return None


def _record_cut(data: bytes) -> int | None:
    """Offset just after the last newline of `data` that ends a record (outside quotes)."""
    quotes_total = data.count(b'"')
    position = len(data)
    while True:
        position = data.rfind(b"\n", 0, position)
        if position < 0:
            return None
        if (quotes_total - data.count(b'"', position)) % 2 == 0:
            return position + 1


def iter_record_chunks(path: Path, skip: int, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The file from byte `skip`, in chunks that end on a record boundary."""
    with open(path, "rb") as f:
        f.seek(skip)
        carry = b""
        while True:
            block = f.read(size)
            if not block:
                if carry:
                    yield carry
                return
            data = carry + block if carry else block
            cut = _record_cut(data)
            if cut is None:
                carry = data
                continue
            yield data[:cut]
            carry = data[cut:]


def read_header(path: Path, encoding: str) -> tuple[list[str], str, int, int]:
    """Column names, delimiter, byte offset of the first data record, number of header lines."""
    with open(path, "rb") as f:
        head = f.read(1024 * 1024)
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) and encoding == "utf-8-sig" else 0
    # The header record ends at the first newline outside quotes.
    end, quotes = None, 0
    for index in range(bom, len(head)):
        byte = head[index]
        if byte == 0x22:
            quotes += 1
        elif byte == 0x0A and quotes % 2 == 0:
            end = index
            break
    if end is None:
        end = len(head)
    raw = head[bom:end]
    if not raw.strip(b" \r\n\t"):
        raise FileRefused("Le fichier est vide.")
    text = raw.decode("utf-8" if encoding.startswith("utf-8") else encoding).rstrip("\r")
    candidates = []
    for delimiter in (";", ","):
        names = next(csv.reader([text], delimiter=delimiter))
        candidates.append((len(names), delimiter, names))
    _count, delimiter, names = max(candidates, key=lambda item: item[0])
    names = [name.strip().lower() for name in names]
    return names, delimiter, min(end + 1, len(head)), raw.count(b"\n") + 1


# --------------------------------------------------------------------------------------------
# Parsing one chunk
# --------------------------------------------------------------------------------------------


def _split_records(chunk: bytes, delimiter: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per record of the chunk: newlines before its start, number of fields, whether it is blank.

    Quotes pair up into quoted sections (the chunk starts on a record boundary; a doubled quote
    is an empty section next to another). Newlines and delimiters inside sections with content
    are not structural.
    """
    array = np.frombuffer(chunk, dtype=np.uint8)
    newlines = np.flatnonzero(array == 0x0A)
    delimiters = np.flatnonzero(array == ord(delimiter))
    quotes = np.flatnonzero(array == 0x22) if chunk.find(b'"') >= 0 else np.zeros(0, dtype=np.intp)
    opening, closing = quotes[0::2], quotes[1::2]
    if opening.size > closing.size:  # unterminated quote: it runs to the end of the chunk
        closing = np.append(closing, array.size)
    wide = closing - opening > 1
    opening, closing = opening[wide], closing[wide]
    if opening.size:
        section = np.searchsorted(opening, newlines) - 1
        quoted = (section >= 0) & (newlines < closing[np.maximum(section, 0)])
        record_ends = newlines[~quoted]
    else:
        record_ends = newlines
    starts = np.concatenate(([0], record_ends + 1))
    ends = np.concatenate((record_ends, [array.size]))
    if starts[-1] >= array.size:  # nothing after the final newline
        starts, ends = starts[:-1], ends[:-1]
    if record_ends.size == newlines.size:
        lines_before = np.arange(starts.size)
    else:  # records spanning several physical lines
        lines_before = np.searchsorted(newlines, starts)
    field_counts = np.searchsorted(delimiters, ends) - np.searchsorted(delimiters, starts) + 1
    if opening.size:
        inside = np.searchsorted(delimiters, closing) - np.searchsorted(delimiters, opening)
        has = inside > 0
        if has.any():
            record = np.searchsorted(starts, opening[has], side="right") - 1
            field_counts = field_counts - np.bincount(
                record, weights=inside[has], minlength=starts.size
            ).astype(field_counts.dtype)
    lengths = ends - starts
    last_is_cr = np.zeros(starts.size, dtype=bool)
    nonempty = lengths > 0
    last_is_cr[nonempty] = array[ends[nonempty] - 1] == 0x0D
    blank = (lengths - last_is_cr) == 0
    return lines_before, field_counts, blank


def _parse_chunk(
    chunk: bytes,
    encoding: str,
    delimiter: str,
    header: list[str],
    wanted: dict[str, int],
    first_line: int,
) -> pl.DataFrame:
    """The chunk's records as strings: `line`, `field_count` and the wanted columns."""
    lines_before, field_counts, blank = _split_records(chunk, delimiter)
    utf8 = chunk if encoding.startswith("utf-8") else chunk.decode(encoding).encode("utf-8")
    indices = sorted(wanted.values())
    frame = None
    if indices:
        try:
            frame = pl.read_csv(
                utf8,
                has_header=False,
                separator=delimiter,
                columns=indices,
                infer_schema=False,
                truncate_ragged_lines=True,
                quote_char='"',
            )
        except pl.exceptions.PolarsError:
            frame = None
        if frame is not None:
            if frame.height != lines_before.size:
                frame = None
            else:
                by_index = {index: name for name, index in wanted.items()}
                frame.columns = [by_index[index] for index in indices]
    if frame is None:
        return _parse_chunk_slowly(utf8, delimiter, wanted, first_line)
    frame = frame.with_columns(
        pl.Series("line", lines_before + first_line, dtype=pl.Int64),
        pl.Series("field_count", field_counts, dtype=pl.Int32),
    ).filter(pl.Series(~blank))
    return frame


def _parse_chunk_slowly(utf8: bytes, delimiter: str, wanted: dict[str, int], first_line: int) -> pl.DataFrame:
    """Fallback for records polars and the quote-parity split disagree on (stray quotes…)."""
    columns: dict[str, list] = {name: [] for name in wanted}
    lines, counts = [], []
    reader = csv.reader(io.StringIO(utf8.decode("utf-8"), newline=""), delimiter=delimiter)
    previous_end = 0
    for row in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if not row:
            continue
        lines.append(first_line + start - 1)
        counts.append(len(row))
        for name, index in wanted.items():
            columns[name].append(row[index] if index < len(row) else None)
    data = {name: pl.Series(name, values, dtype=pl.String) for name, values in columns.items()}
    return pl.DataFrame(
        {
            **data,
            "line": pl.Series("line", lines, dtype=pl.Int64),
            "field_count": pl.Series("field_count", counts, dtype=pl.Int32),
        }
    )


# --------------------------------------------------------------------------------------------
# Validation and typing (vectorised)
# --------------------------------------------------------------------------------------------


def _number(name: str) -> pl.Expr:
    value = pl.col(name)
    return pl.coalesce(
        value.cast(pl.Float64, strict=False),
        value.str.strip_chars(" \t\r").str.replace(",", ".", literal=True).cast(pl.Float64, strict=False),
    )


def _date(name: str) -> pl.Expr:
    value = pl.col(name)
    return pl.coalesce(
        value.str.to_date("%d/%m/%Y", strict=False),
        value.str.to_date("%Y-%m-%d", strict=False),
    )


def _report_rows(frame: pl.DataFrame, condition: pl.Expr, column: str, value: pl.Expr, reason, kind: str):
    """Report rows for the records of `frame` matching `condition`."""
    reason_expr = reason if isinstance(reason, pl.Expr) else pl.lit(reason)
    return frame.filter(condition).select(
        pl.col("line").cast(pl.Int64),
        pl.col("ff_idlocal").cast(pl.String),
        pl.lit(column).alias("column"),
        value.cast(pl.String).alias("value"),
        reason_expr.cast(pl.String).alias("reason"),
        pl.lit(kind).alias("kind"),
    )


class LovacReader:
    """One pass over the file; see `read()`."""

    def __init__(
        self,
        *,
        path: Path,
        millesime: int,
        commune_codes: pl.Series,
        sink: Sink,
        progress: Callable[[str, int], None] | None = None,
    ):
        self.path = Path(path)
        self.millesime = millesime
        self.commune_codes = commune_codes
        self.sink = sink
        self.progress = progress or (lambda phase, count: None)
        self.tag = f"lovac-{millesime}"
        self.result = ReadResult()
        self._reports: list[pl.DataFrame] = []
        self._keys: list[pl.DataFrame] = []
        self._buildings: list[pl.DataFrame] = []
        self._rejected_ids: list[pl.Series] = []
        self._owner_frames: list[pl.DataFrame] = []

    # ---- driver ------------------------------------------------------------------------------

    def read(self) -> ReadResult:
        if self.path.stat().st_size == 0:
            raise FileRefused("Le fichier est vide.")
        encoding = detect_encoding(self.path)
        header, delimiter, offset, header_lines = read_header(self.path, encoding)
        self.result.encoding = "UTF-8" if encoding.startswith("utf-8") else "Windows-1252"
        self.result.delimiter = delimiter
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            raise FileRefused("Colonnes obligatoires absentes : " + ", ".join(missing) + ".")
        self.header = header
        self.present = {name for name in USED_COLUMNS if name in header}
        wanted = {name: header.index(name) for name in USED_COLUMNS if name in header}
        self.expected_fields = len(header)

        line = 1 + header_lines
        for chunk in iter_record_chunks(self.path, offset):
            frame = _parse_chunk(chunk, encoding, delimiter, header, wanted, line)
            line += chunk.count(b"\n")
            if frame.height:
                self._process(frame)
            self.progress("lecture", self.result.lines)
        if self.result.lines == 0:
            raise FileRefused("Le fichier ne contient aucune ligne de données.")
        self._finish()
        return self.result

    def report_so_far(self) -> pl.DataFrame:
        """Report rows of the chunks read before the file was refused."""
        report = pl.concat(self._reports) if self._reports else pl.DataFrame(schema=REPORT_SCHEMA)
        return report.sort("line", maintain_order=True)

    def _finish(self) -> None:
        result = self.result
        keys = pl.concat(self._keys) if self._keys else None
        if keys is not None and keys.height:
            ranked = keys.sort(
                ["local_id", "vacancy_start_year", "anmutation", "vlcad", "line"],
                descending=[False, True, True, True, False],
                nulls_last=True,
            )
            first = ranked.select(pl.col("line"), pl.col("local_id").is_first_distinct().alias("kept"))
            result.duplicate_lines = first.filter(~pl.col("kept"))["line"].to_list()
        report = pl.concat(self._reports) if self._reports else pl.DataFrame(schema=REPORT_SCHEMA)
        if result.duplicate_lines:
            dropped = pl.Series(result.duplicate_lines, dtype=pl.Int64)
            report = report.filter(~((pl.col("kind") == WARNING) & pl.col("line").is_in(dropped.implode())))
        result.report = report.sort(["line", "kind"], descending=[False, True], maintain_order=True)
        if self._owner_frames:
            owners = pl.concat(self._owner_frames)
            self._owner_frames = []
            if result.duplicate_lines:
                owners = owners.filter(
                    ~pl.col("line").is_in(pl.Series(result.duplicate_lines, dtype=pl.Int64).implode())
                )
            primaries = owners.group_by("idpersonne").agg((pl.col("rank") == 1).sum().alias("primary_count"))
            owners = owners.unique("idpersonne", keep="first", maintain_order=True).join(
                primaries, on="idpersonne", how="left"
            )
            self.sink.owners(owners.drop("line", "rank"))
        if self._buildings:
            buildings = pl.concat(self._buildings).unique(["building_id", "local_id"], keep="any")
            result.buildings = buildings.group_by("building_id").agg(
                pl.len().alias("housing_count"), pl.col("vacant").sum().alias("vacant_housing_count")
            )
        if self._rejected_ids:
            result.rejected_local_ids = pl.concat(self._rejected_ids).drop_nulls().unique().to_list()

    # ---- one chunk ---------------------------------------------------------------------------

    def _process(self, raw: pl.DataFrame) -> None:
        millesime = self.millesime
        for name in USED_COLUMNS:
            if name not in raw.columns:
                raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(name))
        # Empty and lone-space values mean "no value"; key columns are also trimmed.
        normalised = []
        for name in USED_COLUMNS:
            value = pl.col(name).str.strip_chars(" \t\r") if name in TRIMMED_COLUMNS else pl.col(name)
            normalised.append(pl.when((value == "") | (value == " ")).then(None).otherwise(value).alias(name))
        frame = raw.with_columns(normalised)
        if "annee" in self.present:
            year = frame.filter(pl.col("field_count") == self.expected_fields)["annee"].drop_nulls()
            wrong = year.filter(year.str.replace(r"\.0+$", "") != str(millesime))
            if wrong.len():
                raise FileRefused(
                    f"Le millésime du fichier (annee = {wrong[0]}) ne correspond pas au millésime "
                    f"demandé ({millesime})."
                )
        self.result.lines += frame.height

        department = pl.col("ccodep").str.to_uppercase().str.zfill(2)
        commune = pl.col("commune").str.to_uppercase()
        geo_code = (
            pl.when(commune.str.len_chars() == 5)
            .then(commune)
            .otherwise(pl.concat_str(department, commune.str.zfill(3)))
        )
        vacancy = pl.col("debutvacance").str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
        frame = frame.with_columns(
            department.alias("_department"),
            geo_code.alias("geo_code"),
            pl.when((vacancy == vacancy.floor()) & (vacancy >= 1900) & (vacancy <= millesime))
            .then(vacancy)
            .cast(pl.Int32)
            .alias("vacancy_start_year"),
            (pl.col("field_count") != self.expected_fields).alias("_ragged"),
        )
        local_id = pl.col("ff_idlocal")
        idlocal_missing = local_id.is_null()
        idlocal_length = ~idlocal_missing & (local_id.str.len_chars() != 12)
        idlocal_prefix = (
            ~idlocal_missing
            & ~idlocal_length
            & (local_id.str.slice(0, 2).str.to_uppercase() != pl.col("_department").fill_null(""))
        )
        vacancy_bad = pl.col("vacancy_start_year").is_null()
        commune_bad = pl.col("geo_code").is_null() | ~pl.col("geo_code").is_in(self.commune_codes.implode())
        ragged = pl.col("_ragged")
        checks = frame.select(
            ragged.alias("ragged"),
            (~ragged & idlocal_missing).alias("idlocal_missing"),
            (~ragged & idlocal_length).alias("idlocal_length"),
            (~ragged & idlocal_prefix).alias("idlocal_prefix"),
            (~ragged & vacancy_bad).alias("vacancy_bad"),
            (~ragged & commune_bad).alias("commune_bad"),
        )
        rejected_mask = checks.select(pl.any_horizontal(pl.all())).to_series()
        if rejected_mask.any():
            frame_checks = pl.concat([frame, checks], how="horizontal")
            expected = self.expected_fields
            self._reports.extend(
                [
                    _report_rows(
                        frame_checks,
                        pl.col("ragged"),
                        "",
                        pl.format("{} champs", pl.col("field_count")),
                        f"Nombre de champs incorrect (attendu : {expected})",
                        REJECTED,
                    ),
                    _report_rows(
                        frame_checks,
                        pl.col("idlocal_missing"),
                        "ff_idlocal",
                        pl.col("ff_idlocal"),
                        "Identifiant fiscal national manquant",
                        REJECTED,
                    ),
                    _report_rows(
                        frame_checks,
                        pl.col("idlocal_length"),
                        "ff_idlocal",
                        pl.col("ff_idlocal"),
                        "Identifiant fiscal national invalide : 12 caractères attendus",
                        REJECTED,
                    ),
                    _report_rows(
                        frame_checks,
                        pl.col("idlocal_prefix"),
                        "ff_idlocal",
                        pl.col("ff_idlocal"),
                        pl.format(
                            "Identifiant fiscal national incohérent : ne commence pas par le "
                            "code département {}",
                            pl.col("_department").fill_null("(vide)"),
                        ),
                        REJECTED,
                    ),
                    _report_rows(
                        frame_checks,
                        pl.col("vacancy_bad"),
                        "debutvacance",
                        pl.col("debutvacance"),
                        f"Année de début de vacance invalide (attendu : une année de 1900 à {millesime})",
                        REJECTED,
                    ),
                    _report_rows(
                        frame_checks,
                        pl.col("commune_bad"),
                        "commune",
                        pl.col("geo_code"),
                        "Code commune inconnu du référentiel géographique",
                        REJECTED,
                    ),
                ]
            )
            self._rejected_ids.append(frame.filter(rejected_mask)["ff_idlocal"])
            self.result.rejected += int(rejected_mask.sum())
            frame = frame.filter(~rejected_mask)

        self.result.communes.update(frame["geo_code"].unique().to_list())

        group = pl.col("groupe").cast(pl.Float64, strict=False)
        in_scope = (
            (pl.col("aff").str.to_uppercase() == "H")
            & pl.col("nature").str.to_uppercase().is_in(IN_SCOPE_NATURES)
            & (
                pl.col("groupe").is_null()
                | ~group.is_in([float(g) for g in PUBLIC_OWNER_GROUPS]).fill_null(False)
            )
            & (pl.col("vacancy_start_year") < millesime - 2)
        ).fill_null(False)
        frame = frame.with_columns(in_scope.alias("_in_scope"))
        if "ff_idbat" in self.present:
            housing = pl.col("aff").str.to_uppercase() == "H"
            self._buildings.append(
                frame.filter(housing.fill_null(False) & pl.col("ff_idbat").is_not_null()).select(
                    pl.col("ff_idbat").str.slice(0, 20).alias("building_id"),
                    pl.col("ff_idlocal").alias("local_id"),
                    pl.col("_in_scope").cast(pl.Int32).alias("vacant"),
                )
            )
        kept = frame.filter(pl.col("_in_scope"))
        self.result.out_of_scope += frame.height - kept.height
        self.result.in_scope_records += kept.height
        if kept.height:
            self._housing(kept)
            self._owners(kept)

    # ---- typed dwellings -----------------------------------------------------------------------

    def _housing(self, frame: pl.DataFrame) -> None:
        warnings: list[pl.DataFrame] = []
        values: dict[str, pl.Series] = {}

        def number(column: str, bounds: tuple[float, float], *, integer: bool = True, reason=None):
            parsed = frame.select(_number(column)).to_series()
            raw = frame[column]
            unreadable = raw.is_not_null() & parsed.is_null()
            out = parsed.is_not_null() & ((parsed < bounds[0]) | (parsed > bounds[1]))
            if unreadable.any():
                warnings.append(
                    _report_rows(
                        frame.with_columns(unreadable.alias("_w")),
                        pl.col("_w"),
                        column,
                        pl.col(column),
                        "Nombre illisible : valeur ignorée",
                        WARNING,
                    )
                )
            if out.any():
                warnings.append(
                    _report_rows(
                        frame.with_columns(out.alias("_w")),
                        pl.col("_w"),
                        column,
                        pl.col(column),
                        reason or "Valeur hors des bornes admises : valeur ignorée",
                        WARNING,
                    )
                )
            parsed = pl.select(pl.when(out).then(None).otherwise(parsed)).to_series()
            if integer:
                return parsed.round(0).cast(pl.Int64)
            return parsed

        def date(column: str) -> pl.Series:
            parsed = frame.select(_date(column)).to_series()
            bad = frame[column].is_not_null() & parsed.is_null()
            if bad.any():
                warnings.append(
                    _report_rows(
                        frame.with_columns(bad.alias("_w")),
                        pl.col("_w"),
                        column,
                        pl.col(column),
                        "Date illisible (attendu : jj/mm/aaaa) : valeur ignorée",
                        WARNING,
                    )
                )
            return parsed

        def text(column: str, length: int) -> pl.Series:
            return frame[column].str.slice(0, length)

        def identifier(column: str, length: int) -> pl.Series:
            raw = frame[column]
            too_long = raw.str.len_chars() > length
            if too_long.any():
                warnings.append(
                    _report_rows(
                        frame.with_columns(too_long.alias("_w")),
                        pl.col("_w"),
                        column,
                        pl.col(column),
                        f"Identifiant trop long (au plus {length} caractères) : valeur ignorée",
                        WARNING,
                    )
                )
            return pl.select(pl.when(too_long).then(None).otherwise(raw)).to_series()

        values["line"] = frame["line"]
        values["local_id"] = frame["ff_idlocal"]
        values["invariant"] = text("invariant", 20)
        values["geo_code"] = frame["geo_code"]
        values["housing_kind"] = frame["nature"].str.to_uppercase()
        number_text = frame["loc_num"].str.replace(r"^0+(\d)", "$1")
        street = pl.select(
            pl.concat_str(number_text, frame["libvoie"], separator=" ", ignore_nulls=True)
        ).to_series()
        address = pl.select(
            pl.concat_str(
                pl.when(street == "").then(None).otherwise(street),
                frame["libcom"],
                separator=", ",
                ignore_nulls=True,
            )
        ).to_series()
        values["address_dgfip"] = (
            pl.select(pl.when(address == "").then(None).otherwise(address)).to_series().str.slice(0, 300)
        )
        values["ban_address"] = text("ban_result_label", 300)
        values["ban_id"] = identifier("ban_result_id", 50)
        values["ban_score"] = number("ban_result_score", (0, 1), integer=False)
        latitude, longitude = self._coordinates(frame, warnings)
        values["latitude"] = latitude
        values["longitude"] = longitude
        values["living_area"] = number("ff_stoth", (0, INTEGER[1]))
        values["rooms_count"] = number("ff_npiece_p2", (0, SMALLINT[1]))
        classification = number(
            "ff_dcapec2", (1, 8), reason="Classement cadastral hors de 1 à 8 : valeur ignorée"
        )
        values["cadastral_classification"] = classification
        wc = number("ff_dnbwc", (0, SMALLINT[1]))
        bath = number("ff_dnbbai", (0, SMALLINT[1]))
        shower = number("ff_dnbdou", (0, SMALLINT[1]))
        known = classification.is_not_null() | wc.is_not_null() | bath.is_not_null() | shower.is_not_null()
        uncomfortable = pl.select(
            pl.when(known).then(
                ((classification > 6).fill_null(False))
                | ((wc == 0).fill_null(False))
                | (((bath == 0).fill_null(False)) & ((shower == 0).fill_null(False)))
            )
        ).to_series()
        values["uncomfortable"] = uncomfortable
        building_year = number("ff_jannath", (0, self.millesime + 1))
        values["building_year"] = pl.select(
            pl.when(building_year == 0).then(None).otherwise(building_year)
        ).to_series()
        values["condominium"] = text("ff_ctpdl", 5)
        values["beneficiary_count"] = number("ff_ndroit", (0, SMALLINT[1]))
        values["rental_value"] = number("vlcad", (0, INTEGER[1]))
        if "potentiel_tlv_thlv" in self.present:
            values["taxed"] = (frame["potentiel_tlv_thlv"] == "*").fill_null(False)
        else:
            values["taxed"] = pl.Series([None] * frame.height, dtype=pl.Boolean)
        values["occupancy_source"] = text("ff_ccthp", 7)
        values["building_id"] = identifier("ff_idbat", 20)
        values["plot_id"] = identifier("ff_idpar", 20)
        values["plot_area"] = number("ff_dcntpa", (0, INTEGER[1]))
        values["cadastral_reference"] = identifier("ff_idsec", 20)
        values["last_mutation_year"] = number("anmutation", (1000, SMALLINT[1]))
        values["last_transaction_date"] = date("dvf_datemut")
        values["last_transaction_value"] = number("dvf_valeurfonc", (0, 9e18))
        values["vacancy_start_year"] = frame["vacancy_start_year"]
        values["idprocpte"] = identifier("ff_idprocpte", 11)

        housing = pl.DataFrame({name: series.alias(name) for name, series in values.items()})
        self.sink.housing(housing)
        self._keys.append(
            pl.DataFrame(
                {
                    "line": frame["line"],
                    "local_id": frame["ff_idlocal"],
                    "vacancy_start_year": frame["vacancy_start_year"],
                    "anmutation": values["last_mutation_year"],
                    "vlcad": values["rental_value"],
                }
            )
        )
        self._reports.extend(warnings)

    def _coordinates(self, frame: pl.DataFrame, warnings: list) -> tuple[pl.Series, pl.Series]:
        def parse(column: str) -> pl.Series:
            parsed = frame.select(_number(column)).to_series()
            bad = frame[column].is_not_null() & parsed.is_null()
            if bad.any():
                warnings.append(
                    _report_rows(
                        frame.with_columns(bad.alias("_w")),
                        pl.col("_w"),
                        column,
                        pl.col(column),
                        "Nombre illisible : valeur ignorée",
                        WARNING,
                    )
                )
            return parsed

        longitude = parse("ff_x_4326")
        latitude = parse("ff_y_4326")
        source = pl.Series(["ff_x_4326/ff_y_4326"] * frame.height, dtype=pl.String)
        missing = (longitude.is_null() | latitude.is_null()).to_numpy()
        if missing.any() and ("ff_x" in self.present or "ff_y" in self.present):
            x = parse("ff_x").to_numpy()
            y = parse("ff_y").to_numpy()
            convert = missing & ~np.isnan(x) & ~np.isnan(y)
            if convert.any():
                lon, lat = _lambert93_to_wgs84(x[convert], y[convert])
                lon_values = longitude.to_numpy().copy()
                lat_values = latitude.to_numpy().copy()
                lon_values[convert] = lon
                lat_values[convert] = lat
                longitude = pl.Series(lon_values, dtype=pl.Float64).fill_nan(None)
                latitude = pl.Series(lat_values, dtype=pl.Float64).fill_nan(None)
                source = pl.Series(np.where(convert, "ff_x/ff_y", source.to_numpy()), dtype=pl.String)
        ban_longitude = parse("ban_longitude")
        ban_latitude = parse("ban_latitude")

        prefix = frame["geo_code"].str.slice(0, 3)
        inside = _inside_france(prefix, longitude, latitude)
        outside = longitude.is_not_null() & latitude.is_not_null() & ~inside
        ban_inside = _inside_france(prefix, ban_longitude, ban_latitude)
        ban_outside = ban_longitude.is_not_null() & ban_latitude.is_not_null() & ~ban_inside
        for mask, label, lon, lat in (
            (outside, source, longitude, latitude),
            (ban_outside, None, ban_longitude, ban_latitude),
        ):
            if mask.any():
                columns = label.filter(mask) if label is not None else "ban_longitude/ban_latitude"
                warnings.append(
                    pl.DataFrame(
                        {
                            "line": frame["line"].filter(mask),
                            "ff_idlocal": frame["ff_idlocal"].filter(mask),
                        }
                    ).with_columns(
                        pl.Series("column", columns)
                        if label is not None
                        else pl.lit(columns).alias("column"),
                        pl.Series(
                            "value",
                            pl.select(pl.format("{} {}", lon.filter(mask), lat.filter(mask))).to_series(),
                        ),
                        pl.lit("Coordonnées hors de France : valeur ignorée").alias("reason"),
                        pl.lit(WARNING).alias("kind"),
                    )
                )
        keep = longitude.is_not_null() & latitude.is_not_null() & inside
        ban_keep = ban_longitude.is_not_null() & ban_latitude.is_not_null() & ban_inside
        lat_out = pl.select(
            pl.when(keep).then(latitude).when(ban_keep).then(ban_latitude).otherwise(None)
        ).to_series()
        lon_out = pl.select(
            pl.when(keep).then(longitude).when(ban_keep).then(ban_longitude).otherwise(None)
        ).to_series()
        return lat_out, lon_out

    # ---- typed owners (long format: one row per filled slot) -----------------------------------

    def _owners(self, frame: pl.DataFrame) -> None:
        slots = []
        for slot in OWNER_SLOTS:
            name, person = f"ff_ddenom_{slot}", f"ff_idpersonne_{slot}"
            if name not in self.present and person not in self.present:
                continue
            filled = frame.filter(pl.col(name).is_not_null() | pl.col(person).is_not_null())
            if not filled.height:
                continue
            slots.append(
                filled.select(
                    pl.col("line"),
                    pl.col("ff_idlocal"),
                    pl.lit(slot, dtype=pl.Int16).alias("slot"),
                    pl.col(person).alias("idpersonne"),
                    pl.col(name).str.slice(0, 300).alias("full_name"),
                    pl.col(f"ff_jdatnss_{slot}").alias("birth_date_raw"),
                    pl.col(f"ff_catpro3_{slot}").alias("catpro3"),
                    pl.col(f"ff_ccodro_{slot}").alias("ccodro"),
                    pl.col(f"ff_dsiren_{slot}").alias("siren_raw"),
                    pl.col(f"ff_locprop_{slot}").alias("locprop_raw"),
                    pl.col(f"cer_ff_adresse_{slot}").str.slice(0, 500).alias("address"),
                    pl.col(f"ff_idprodroit_{slot}").alias("idprodroit_raw"),
                )
            )
        if not slots:
            return
        owners = pl.concat(slots).sort(["line", "slot"])
        warnings = []

        def warn(mask: pl.Expr, column_prefix: str, value: str, reason: str):
            rows = owners.filter(mask)
            if rows.height:
                warnings.append(
                    rows.select(
                        pl.col("line"),
                        pl.col("ff_idlocal"),
                        pl.format(column_prefix + "_{}", pl.col("slot")).alias("column"),
                        pl.col(value).cast(pl.String).alias("value"),
                        pl.lit(reason).alias("reason"),
                        pl.lit(WARNING).alias("kind"),
                    )
                )

        no_id = pl.col("idpersonne").is_null()
        bad_id = pl.col("idpersonne").str.len_chars() > 8
        warn(no_id, "ff_idpersonne", "full_name", "Propriétaire sans identifiant personne : ignoré")
        warn(bad_id, "ff_idpersonne", "idpersonne", "Identifiant personne trop long (8 caractères) : ignoré")
        owners = owners.filter(~no_id & ~bad_id.fill_null(False))

        birth = pl.coalesce(
            pl.col("birth_date_raw").str.to_date("%d/%m/%Y", strict=False),
            pl.col("birth_date_raw").str.to_date("%Y-%m-%d", strict=False),
        )
        locprop = pl.col("locprop_raw").cast(pl.Float64, strict=False)
        owners = owners.with_columns(birth.alias("birth_date"), locprop.alias("_locprop"))
        warn(
            pl.col("birth_date_raw").is_not_null() & pl.col("birth_date").is_null(),
            "ff_jdatnss",
            "birth_date_raw",
            "Date illisible (attendu : jj/mm/aaaa) : valeur ignorée",
        )
        locprop_bad = pl.col("locprop_raw").is_not_null() & (
            pl.col("_locprop").is_null()
            | ~pl.col("_locprop").is_in([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 9.0]).fill_null(False)
        )
        warn(
            locprop_bad, "ff_locprop", "locprop_raw", "Localisation du propriétaire inconnue : valeur ignorée"
        )
        siren_bad = pl.col("siren_raw").str.len_chars() > 9
        warn(siren_bad, "ff_dsiren", "siren_raw", "SIREN trop long (9 chiffres) : valeur ignoré")
        idprodroit_bad = pl.col("idprodroit_raw").str.len_chars() > 13
        warn(
            idprodroit_bad,
            "ff_idprodroit",
            "idprodroit_raw",
            "Identifiant trop long (au plus 13 caractères) : valeur ignorée",
        )

        category = pl.col("catpro3").str.to_uppercase()
        kind = pl.when(category.is_null()).then(None)
        for code, label in OWNER_KIND_EXACT.items():
            kind = kind.when(category == code).then(pl.lit(label))
        for prefix, label in OWNER_KIND_PREFIX:
            kind = kind.when(category.str.starts_with(prefix)).then(pl.lit(label))
        kind = kind.otherwise(pl.lit("autres"))
        right_code = pl.col("ccodro").str.to_uppercase()
        right = pl.when(right_code.is_null()).then(None)
        for code, label in PROPERTY_RIGHTS.items():
            right = right.when(right_code == code).then(pl.lit(label))
        right = right.otherwise(pl.lit("autre"))

        owners = (
            owners.unique(["line", "idpersonne"], keep="first", maintain_order=True)
            .with_columns(
                (pl.int_range(pl.len()).over("line") + 1).cast(pl.Int16).alias("rank"),
                kind.alias("kind"),
                right.alias("property_right"),
                pl.when(siren_bad.fill_null(False)).then(None).otherwise(pl.col("siren_raw")).alias("siren"),
                pl.when(locprop_bad.fill_null(False))
                .then(None)
                .otherwise(pl.col("_locprop"))
                .cast(pl.Int16)
                .alias("locprop"),
                pl.when(idprodroit_bad.fill_null(False))
                .then(None)
                .otherwise(pl.col("idprodroit_raw"))
                .alias("idprodroit"),
            )
            .select(
                "line",
                "slot",
                "rank",
                "idpersonne",
                pl.col("full_name").fill_null(""),
                "birth_date",
                "kind",
                "property_right",
                "siren",
                "locprop",
                "address",
                "idprodroit",
            )
        )
        if owners.height:
            self.sink.links(owners.select(LINK_COLUMNS))
            self._owner_frames.append(owners.select(OWNER_COLUMNS))
        self._reports.extend(warnings)


def _lambert93_to_wgs84(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    transformer = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _inside_france(prefix: pl.Series, longitude: pl.Series, latitude: pl.Series) -> pl.Series:
    """Whether each point lies in the bounding box of its dwelling's territory."""
    box_min_lon = pl.lit(METROPOLITAN_BOX[0])
    box_max_lon = pl.lit(METROPOLITAN_BOX[1])
    box_min_lat = pl.lit(METROPOLITAN_BOX[2])
    box_max_lat = pl.lit(METROPOLITAN_BOX[3])
    code = pl.col("prefix")
    min_lon = max_lon = min_lat = max_lat = None
    for territory, (a, b, c, d) in OVERSEAS_BOXES.items():
        if min_lon is None:
            min_lon = pl.when(code == territory).then(pl.lit(a))
            max_lon = pl.when(code == territory).then(pl.lit(b))
            min_lat = pl.when(code == territory).then(pl.lit(c))
            max_lat = pl.when(code == territory).then(pl.lit(d))
        else:
            min_lon = min_lon.when(code == territory).then(pl.lit(a))
            max_lon = max_lon.when(code == territory).then(pl.lit(b))
            min_lat = min_lat.when(code == territory).then(pl.lit(c))
            max_lat = max_lat.when(code == territory).then(pl.lit(d))
    frame = pl.DataFrame({"prefix": prefix, "lon": longitude, "lat": latitude})
    return frame.select(
        (
            (pl.col("lon") >= min_lon.otherwise(box_min_lon))
            & (pl.col("lon") <= max_lon.otherwise(box_max_lon))
            & (pl.col("lat") >= min_lat.otherwise(box_min_lat))
            & (pl.col("lat") <= max_lat.otherwise(box_max_lat))
        ).fill_null(False)
    ).to_series()


def write_report(report: pl.DataFrame, destination) -> None:
    """The report as a French CSV (`;`-separated, UTF-8)."""
    writer = csv.writer(destination, delimiter=";")
    writer.writerow(REPORT_HEADER)
    for row in report.iter_rows():
        line, local_id, column, value, reason, kind = row
        writer.writerow([line, local_id or "", column or "", value or "", reason, kind])


def report_csv(report: pl.DataFrame) -> str:
    buffer = io.StringIO()
    write_report(report, buffer)
    return buffer.getvalue()
