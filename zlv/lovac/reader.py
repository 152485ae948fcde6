"""Read and validate a raw LOVAC file (LOVAC_FORMAT.md): decode, detect, parse, validate.

One pass over the file in record-aligned chunks (zlv.lovac.csv_file). Each chunk's records are
validated with vectorised expressions: rejected lines become report rows, out-of-scope lines are
counted, and the in-scope records are typed (zlv.lovac.typed_rows) and handed to a sink (the
staging tables). Nothing else of a chunk is kept but its report rows: duplicates, distinct
owners and buildings are resolved by the sink once the file is read, so that memory depends on
the chunk size, not on the file's.

While the main thread validates and types one chunk, a helper thread already reads and parses
the next one (polars and numpy release the GIL); results are taken strictly in file order.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from zlv.lovac.csv_file import FileRefused, detect_encoding, iter_record_chunks, parse_chunk, read_header
from zlv.lovac.fields import (
    IN_SCOPE_NATURES,
    PUBLIC_OWNER_GROUPS,
    REQUIRED_COLUMNS,
    TRIMMED_COLUMNS,
    USED_COLUMNS,
)
from zlv.lovac.report import REJECTED, REPORT_SCHEMA, WARNING, report_rows
from zlv.lovac.typed_rows import dwelling_rows, owner_rows

__all__ = ["FileRefused", "LovacReader", "ReadResult", "Sink"]


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


class Sink:
    """Receives the rows chunk by chunk (implemented by the staging tables).

    `housing` (in-scope records), `links` (one row per owner slot of those: the right and the
    owner's fields), `buildings` (building id, national id and in-scope flag of every dwelling
    line) and `rejected_ids` (national ids of rejected lines); then `finish()` once the file is
    read, which drops the duplicate records and returns their line numbers.
    """

    def housing(self, frame: pl.DataFrame) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def links(self, frame: pl.DataFrame) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def buildings(self, frame: pl.DataFrame) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def rejected_ids(self, local_ids: pl.Series) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def finish(self) -> list[int]:  # pragma: no cover - interface
        raise NotImplementedError


def _empty_as_null(expression: pl.Expr) -> pl.Expr:
    return pl.when(expression == "").then(None).otherwise(expression)


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

        def parsed_chunks():
            line = 1 + header_lines
            for chunk in iter_record_chunks(self.path, offset):
                frame, newlines = parse_chunk(chunk, encoding, delimiter, wanted, line)
                line += newlines
                yield frame

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lovac-parse") as pool:
            chunks = parsed_chunks()
            pending = pool.submit(next, chunks, None)
            while (frame := pending.result()) is not None:
                pending = pool.submit(next, chunks, None)
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
        self.progress("dédoublonnage", None)
        result.duplicate_lines = self.sink.finish()
        report = pl.concat(self._reports) if self._reports else pl.DataFrame(schema=REPORT_SCHEMA)
        if result.duplicate_lines:
            dropped = pl.Series(result.duplicate_lines, dtype=pl.Int64)
            report = report.filter(~((pl.col("kind") == WARNING) & pl.col("line").is_in(dropped.implode())))
        result.report = report.sort(["line", "kind"], descending=[False, True], maintain_order=True)

    # ---- one chunk ---------------------------------------------------------------------------

    def _process(self, raw: pl.DataFrame) -> None:
        millesime = self.millesime
        absent = [name for name in USED_COLUMNS if name not in raw.columns]
        if absent:
            raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(name) for name in absent)
        # Empty and lone-space values are already null (parse_chunk); key columns are also trimmed.
        frame = raw.with_columns(
            _empty_as_null(pl.col(name).str.strip_chars(" \t\r")).alias(name)
            for name in sorted(TRIMMED_COLUMNS & self.present)
        )
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
            self._report_rejected(pl.concat([frame, checks], how="horizontal"))
            self.sink.rejected_ids(frame.filter(rejected_mask)["ff_idlocal"])
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
            buildings = (
                frame.lazy()
                .filter(housing.fill_null(False) & pl.col("ff_idbat").is_not_null())
                .select(
                    pl.col("ff_idbat").str.slice(0, 20).alias("building_id"),
                    pl.col("ff_idlocal").alias("local_id"),
                    pl.col("_in_scope").alias("vacant"),
                )
                .collect()
            )
            if buildings.height:
                self.sink.buildings(buildings)
        kept = frame.filter(pl.col("_in_scope"))
        self.result.out_of_scope += frame.height - kept.height
        self.result.in_scope_records += kept.height
        if kept.height:
            self._housing(kept)
            self._owners(kept)

    def _report_rejected(self, frame_checks: pl.DataFrame) -> None:
        millesime = self.millesime
        expected = self.expected_fields
        self._reports.extend(
            [
                report_rows(
                    frame_checks,
                    pl.col("ragged"),
                    "",
                    pl.format("{} champs", pl.col("field_count")),
                    f"Nombre de champs incorrect (attendu : {expected})",
                    REJECTED,
                ),
                report_rows(
                    frame_checks,
                    pl.col("idlocal_missing"),
                    "ff_idlocal",
                    pl.col("ff_idlocal"),
                    "Identifiant fiscal national manquant",
                    REJECTED,
                ),
                report_rows(
                    frame_checks,
                    pl.col("idlocal_length"),
                    "ff_idlocal",
                    pl.col("ff_idlocal"),
                    "Identifiant fiscal national invalide : 12 caractères attendus",
                    REJECTED,
                ),
                report_rows(
                    frame_checks,
                    pl.col("idlocal_prefix"),
                    "ff_idlocal",
                    pl.col("ff_idlocal"),
                    pl.format(
                        "Identifiant fiscal national incohérent : ne commence pas par le code département {}",
                        pl.col("_department").fill_null("(vide)"),
                    ),
                    REJECTED,
                ),
                report_rows(
                    frame_checks,
                    pl.col("vacancy_bad"),
                    "debutvacance",
                    pl.col("debutvacance"),
                    f"Année de début de vacance invalide (attendu : une année de 1900 à {millesime})",
                    REJECTED,
                ),
                report_rows(
                    frame_checks,
                    pl.col("commune_bad"),
                    "commune",
                    pl.col("geo_code"),
                    "Code commune inconnu du référentiel géographique",
                    REJECTED,
                ),
            ]
        )

    # ---- typed rows ----------------------------------------------------------------------------

    def _housing(self, frame: pl.DataFrame) -> None:
        housing, warnings = dwelling_rows(frame, self.present, self.millesime)
        self.sink.housing(housing)
        self._reports.extend(warnings)

    def _owners(self, frame: pl.DataFrame) -> None:
        owners, warnings = owner_rows(frame, self.present)
        if owners is not None:
            self.sink.links(owners)
        self._reports.extend(warnings)
