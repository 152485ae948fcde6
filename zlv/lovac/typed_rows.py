"""Typing of the clean in-scope records: one dwelling row per record, one owner row per filled slot.

Values that do not parse or fall outside their bounds are left empty and reported as warnings
(LOVAC_FORMAT.md, "Bad optional values"). The cheap parse of every column runs in one polars
`select` (so columns are parsed in parallel); the slower fallbacks (comma decimals, ISO dates)
only run for the columns that need them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zlv.lovac.fields import (
    INTEGER,
    METROPOLITAN_BOX,
    OVERSEAS_BOXES,
    OWNER_KIND_EXACT,
    OWNER_KIND_PREFIX,
    OWNER_SLOTS,
    PROPERTY_RIGHTS,
    SMALLINT,
)
from zlv.lovac.report import WARNING, masked_report_rows

UNREADABLE_NUMBER = "Nombre illisible : valeur ignorée"
UNREADABLE_DATE = "Date illisible (attendu : jj/mm/aaaa) : valeur ignorée"
OUT_OF_BOUNDS = "Valeur hors des bornes admises : valeur ignorée"

NUMBER_COLUMNS = [
    "ban_result_score",
    "ff_x_4326",
    "ff_y_4326",
    "ff_x",
    "ff_y",
    "ban_longitude",
    "ban_latitude",
    "ff_stoth",
    "ff_npiece_p2",
    "ff_dcapec2",
    "ff_dnbwc",
    "ff_dnbbai",
    "ff_dnbdou",
    "ff_jannath",
    "ff_ndroit",
    "vlcad",
    "ff_dcntpa",
    "anmutation",
    "dvf_valeurfonc",
]
DATE_COLUMNS = ["dvf_datemut"]

OWNER_LINK_COLUMNS = ["line", "rank", "idpersonne", "property_right", "locprop", "idprodroit"]
OWNER_COLUMNS = ["line", "rank", "idpersonne", "full_name", "birth_date", "kind", "siren", "address"]


def _number(name: str) -> pl.Expr:
    """A number, also with a decimal comma or surrounding blanks."""
    value = pl.col(name)
    return pl.coalesce(
        value.cast(pl.Float64, strict=False),
        value.str.strip_chars(" \t\r").str.replace(",", ".", literal=True).cast(pl.Float64, strict=False),
    )


def _date(name: str) -> pl.Expr:
    """A date written dd/mm/yyyy, or yyyy-mm-dd."""
    value = pl.col(name)
    return pl.coalesce(
        value.str.to_date("%d/%m/%Y", strict=False),
        value.str.to_date("%Y-%m-%d", strict=False),
    )


def _empty_as_null(expression: pl.Expr) -> pl.Expr:
    return pl.when(expression == "").then(None).otherwise(expression)


def _without(series: pl.Series, mask: pl.Series) -> pl.Series:
    """`series` with the values where `mask` is true set to null."""
    if not mask.any():
        return series
    return pl.select(pl.when(mask).then(None).otherwise(series)).to_series()


class _Parsed:
    """The numbers and dates of a frame, parsed the cheap way first, fully on demand."""

    def __init__(self, frame: pl.DataFrame):
        self.frame = frame
        self.fast = frame.select(
            *(pl.col(name).cast(pl.Float64, strict=False) for name in NUMBER_COLUMNS),
            *(pl.col(name).str.to_date("%d/%m/%Y", strict=False) for name in DATE_COLUMNS),
        )

    def _full(self, column: str, expression) -> tuple[pl.Series, pl.Series]:
        raw = self.frame[column]
        parsed = self.fast[column]
        unreadable = raw.is_not_null() & parsed.is_null()
        if unreadable.any():
            parsed = self.frame.select(expression(column)).to_series()
            unreadable = raw.is_not_null() & parsed.is_null()
        return parsed, unreadable

    def number(self, column: str) -> tuple[pl.Series, pl.Series]:
        """The parsed values and the mask of unreadable ones."""
        return self._full(column, _number)

    def date(self, column: str) -> tuple[pl.Series, pl.Series]:
        return self._full(column, _date)


def dwelling_rows(frame: pl.DataFrame, present: set[str], millesime: int) -> tuple[pl.DataFrame, list]:
    """One typed dwelling row per record (the staging columns) and the warnings."""
    warnings: list[pl.DataFrame] = []
    values: dict[str, pl.Series] = {}
    parsed = _Parsed(frame)

    def number(column: str, bounds: tuple[float, float], *, integer: bool = True, reason=None):
        value, unreadable = parsed.number(column)
        out = value.is_not_null() & ((value < bounds[0]) | (value > bounds[1]))
        if unreadable.any():
            warnings.append(masked_report_rows(frame, unreadable, column, UNREADABLE_NUMBER))
        if out.any():
            warnings.append(masked_report_rows(frame, out, column, reason or OUT_OF_BOUNDS))
        value = _without(value, out)
        if integer:
            return value.round(0).cast(pl.Int64)
        return value

    def date(column: str) -> pl.Series:
        value, bad = parsed.date(column)
        if bad.any():
            warnings.append(masked_report_rows(frame, bad, column, UNREADABLE_DATE))
        return value

    def text(column: str, length: int) -> pl.Series:
        return frame[column].str.slice(0, length)

    def identifier(column: str, length: int) -> pl.Series:
        raw = frame[column]
        too_long = raw.str.len_chars() > length
        if too_long.any():
            reason = f"Identifiant trop long (au plus {length} caractères) : valeur ignorée"
            warnings.append(masked_report_rows(frame, too_long, column, reason))
        return _without(raw, too_long.fill_null(False))

    values["line"] = frame["line"]
    values["local_id"] = frame["ff_idlocal"]
    values["invariant"] = text("invariant", 20)
    values["geo_code"] = frame["geo_code"]
    values["housing_kind"] = frame["nature"].str.to_uppercase()
    street = pl.concat_str(
        pl.col("loc_num").str.replace(r"^0+(\d)", "$1"), pl.col("libvoie"), separator=" ", ignore_nulls=True
    )
    address = pl.concat_str(_empty_as_null(street), pl.col("libcom"), separator=", ", ignore_nulls=True)
    values["address_dgfip"] = frame.select(_empty_as_null(address).str.slice(0, 300)).to_series()
    values["ban_address"] = text("ban_result_label", 300)
    values["ban_id"] = identifier("ban_result_id", 50)
    values["ban_score"] = number("ban_result_score", (0, 1), integer=False)
    latitude, longitude = _coordinates(frame, parsed, present, warnings)
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
    values["uncomfortable"] = pl.select(
        pl.when(known).then(
            ((classification > 6).fill_null(False))
            | ((wc == 0).fill_null(False))
            | (((bath == 0).fill_null(False)) & ((shower == 0).fill_null(False)))
        )
    ).to_series()
    building_year = number("ff_jannath", (0, millesime + 1))
    values["building_year"] = _without(building_year, (building_year == 0).fill_null(False))
    values["condominium"] = text("ff_ctpdl", 5)
    values["beneficiary_count"] = number("ff_ndroit", (0, SMALLINT[1]))
    values["rental_value"] = number("vlcad", (0, INTEGER[1]))
    if "potentiel_tlv_thlv" in present:
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
    return pl.DataFrame({name: series.alias(name) for name, series in values.items()}), warnings


def _coordinates(frame: pl.DataFrame, parsed: _Parsed, present: set[str], warnings: list):
    """Latitude and longitude: the file's WGS84 point (or Lambert-93 converted), else BAN's;
    a point outside its territory's box is ignored with a warning."""

    def parse(column: str) -> pl.Series:
        value, bad = parsed.number(column)
        if bad.any():
            warnings.append(masked_report_rows(frame, bad, column, UNREADABLE_NUMBER))
        return value

    longitude = parse("ff_x_4326")
    latitude = parse("ff_y_4326")
    source = pl.Series(["ff_x_4326/ff_y_4326"] * frame.height, dtype=pl.String)
    missing = (longitude.is_null() | latitude.is_null()).to_numpy()
    if missing.any() and ("ff_x" in present or "ff_y" in present):
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
                    pl.Series("column", columns) if label is not None else pl.lit(columns).alias("column"),
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
    points = pl.DataFrame(
        {"keep": keep, "ban_keep": ban_keep, "lat": latitude, "lon": longitude}
    ).with_columns(ban_lat=ban_latitude, ban_lon=ban_longitude)
    located = points.select(
        pl.when("keep").then("lat").when("ban_keep").then("ban_lat").otherwise(None).alias("lat"),
        pl.when("keep").then("lon").when("ban_keep").then("ban_lon").otherwise(None).alias("lon"),
    )
    return located["lat"], located["lon"]


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


# --------------------------------------------------------------------------------------------
# Owners (long format: one row per filled slot)
# --------------------------------------------------------------------------------------------


def owner_kind(category: str) -> str:
    """The owner kind of an `ff_catpro3` code (LOVAC_FORMAT.md)."""
    category = category.upper()
    if category in OWNER_KIND_EXACT:
        return OWNER_KIND_EXACT[category]
    for prefix, label in OWNER_KIND_PREFIX:
        if category.startswith(prefix):
            return label
    return "autres"


def property_right(code: str) -> str:
    """The nature of the right of an `ff_ccodro` code."""
    return PROPERTY_RIGHTS.get(code.upper(), "autre")


def _mapped(column: str, frame: pl.DataFrame, function) -> pl.Expr:
    """`function` applied to `column` (null stays null), through a map of its few distinct values."""
    values = frame[column].drop_nulls().unique().to_list()
    mapping = {value: function(value) for value in values}
    return pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String)


def owner_rows(frame: pl.DataFrame, present: set[str]) -> tuple[pl.DataFrame | None, list]:
    """One typed row per filled owner slot (both the link and the owner columns) and the warnings."""
    slots = []
    for slot in OWNER_SLOTS:
        name, person = f"ff_ddenom_{slot}", f"ff_idpersonne_{slot}"
        if name not in present and person not in present:
            continue
        slots.append(
            frame.lazy()
            .filter(pl.col(name).is_not_null() | pl.col(person).is_not_null())
            .select(
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
        return None, []
    owners = pl.concat(pl.collect_all(slots)).sort(["line", "slot"])
    if not owners.height:
        return None, []
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

    birth = pl.col("birth_date_raw").str.to_date("%d/%m/%Y", strict=False)
    locprop = pl.col("locprop_raw").cast(pl.Float64, strict=False)
    owners = owners.with_columns(birth.alias("birth_date"), locprop.alias("_locprop"))
    unreadable_birth = pl.col("birth_date_raw").is_not_null() & pl.col("birth_date").is_null()
    if owners.select(unreadable_birth.any()).item():
        owners = owners.with_columns(_date("birth_date_raw").alias("birth_date"))
    warn(unreadable_birth, "ff_jdatnss", "birth_date_raw", UNREADABLE_DATE)
    locprop_bad = pl.col("locprop_raw").is_not_null() & (
        pl.col("_locprop").is_null()
        | ~pl.col("_locprop").is_in([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 9.0]).fill_null(False)
    )
    warn(locprop_bad, "ff_locprop", "locprop_raw", "Localisation du propriétaire inconnue : valeur ignorée")
    siren_bad = pl.col("siren_raw").str.len_chars() > 9
    warn(siren_bad, "ff_dsiren", "siren_raw", "SIREN trop long (9 chiffres) : valeur ignoré")
    idprodroit_bad = pl.col("idprodroit_raw").str.len_chars() > 13
    warn(
        idprodroit_bad,
        "ff_idprodroit",
        "idprodroit_raw",
        "Identifiant trop long (au plus 13 caractères) : valeur ignorée",
    )

    kind = _mapped("catpro3", owners, owner_kind)
    right = _mapped("ccodro", owners, property_right)
    owners = owners.filter(pl.struct("line", "idpersonne").is_first_distinct())
    # Rows are sorted by line: the rank is the position within the line's run.
    position = pl.int_range(pl.len())
    run_start = pl.when((pl.col("line") != pl.col("line").shift(1)).fill_null(True)).then(position)
    owners = owners.with_columns(
        (position - run_start.forward_fill() + 1).cast(pl.Int16).alias("rank"),
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
    ).select(
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
    if not owners.height:
        return None, warnings
    return owners, warnings
