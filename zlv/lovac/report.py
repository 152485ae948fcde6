"""The import report: one row per rejected line or warning (line number, column, value, reason)."""

from __future__ import annotations

import csv
import io

import polars as pl

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


def report_rows(frame: pl.DataFrame, condition: pl.Expr, column: str, value: pl.Expr, reason, kind: str):
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


def masked_report_rows(frame: pl.DataFrame, mask: pl.Series, column: str, reason, kind: str = WARNING):
    """Report rows for the records of `frame` where `mask` is true; the value is `column`'s."""
    return report_rows(
        frame.select("line", "ff_idlocal", column).with_columns(mask.alias("_w")),
        pl.col("_w"),
        column,
        pl.col(column),
        reason,
        kind,
    )


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
