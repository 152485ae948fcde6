"""The CSV container of a raw LOVAC file: encoding, header and delimiter, record-aligned chunks.

The file is streamed in chunks that end on a record boundary so that memory stays bounded
whatever its size. Each chunk is split into records with numpy (quote parity gives record
boundaries, field counts and physical line numbers) and parsed by polars (only the wanted
columns, all as strings; empty and lone-space values come out as null).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

CHUNK_BYTES = 24 * 1024 * 1024

# "No value" (LOVAC_FORMAT.md): an empty string or a lone space.
NULL_VALUES = ["", " "]


class FileRefused(Exception):
    """The whole file is refused: nothing is imported."""


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """'utf-8-sig', 'utf-8' or 'cp1252'; refuses bytes that are neither."""
    with open(path, "rb") as f:
        has_bom = f.read(3) == codecs.BOM_UTF8
    if _is_utf8(path):
        return "utf-8-sig" if has_bom else "utf-8"
    # Windows-1252 leaves 5 bytes undefined; Latin-1's C1 controls there are never text either.
    line = _first_undecodable_line(path, "cp1252")
    if line is None:
        return "cp1252"
    raise FileRefused(
        f"Le fichier contient des octets illisibles (ni UTF-8 ni Windows-1252), à la ligne {line}."
    )


def _is_utf8(path: Path) -> bool:
    """Whether the whole file is valid UTF-8.

    Blocks are cut just after a newline (a byte that never occurs inside a multi-byte sequence)
    and validated by polars, several times faster than decoding them.
    """
    with open(path, "rb") as f:
        carry = b""
        while block := f.read(CHUNK_BYTES):
            data = carry + block if carry else block
            cut = data.rfind(b"\n") + 1
            if cut and not _valid_utf8(data[:cut]):
                return False
            carry = data[cut:]
    return _valid_utf8(carry)


def _valid_utf8(data: bytes) -> bool:
    if not data:
        return True
    try:
        pl.Series([data], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.PolarsError:
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


# --------------------------------------------------------------------------------------------
# Header and chunks
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# One chunk
# --------------------------------------------------------------------------------------------


def split_records(chunk: bytes, delimiter: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Per record of the chunk: newlines before its start, number of fields, whether it is blank;
    and the number of newlines of the chunk.

    Quotes pair up into quoted sections (the chunk starts on a record boundary; a doubled quote
    is an empty section next to another). Newlines and delimiters inside sections with content
    are not structural.
    """
    array = np.frombuffer(chunk, dtype=np.uint8)
    newlines = np.flatnonzero(array == 0x0A)
    if chunk.find(b'"') >= 0:
        quotes = np.flatnonzero(array == 0x22)
        opening, closing = quotes[0::2], quotes[1::2]
        if opening.size > closing.size:  # unterminated quote: it runs to the end of the chunk
            closing = np.append(closing, array.size)
        wide = closing - opening > 1
        opening, closing = opening[wide], closing[wide]
    else:
        opening = closing = np.zeros(0, dtype=np.intp)
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
    field_counts = np.ones(starts.size, dtype=np.int64)
    if starts.size:
        is_delimiter = (array == ord(delimiter)).view(np.uint8)
        # Delimiters between a record's start and the next one's (its newline is not one).
        longest = max(int(np.diff(starts).max(initial=0)), array.size - int(starts[-1]))
        field_counts += _sums(is_delimiter, starts, longest)
        if opening.size:
            # Delimiters inside each quoted section: sums over [opening, closing) pairs.
            bounds = np.empty(opening.size * 2, dtype=np.intp)
            bounds[0::2], bounds[1::2] = opening, closing
            if bounds[-1] >= array.size:
                bounds = bounds[:-1]  # the last section runs to the end of the chunk
            inside = _sums(is_delimiter, bounds, int((closing - opening).max()))[0::2]
            has = inside > 0
            if has.any():
                record = np.searchsorted(starts, opening[has], side="right") - 1
                in_quotes = np.bincount(record, weights=inside[has], minlength=starts.size)
                field_counts -= in_quotes.astype(np.int64)
    lengths = ends - starts
    last_is_cr = np.zeros(starts.size, dtype=bool)
    nonempty = lengths > 0
    last_is_cr[nonempty] = array[ends[nonempty] - 1] == 0x0D
    blank = (lengths - last_is_cr) == 0
    return lines_before, field_counts, blank, int(newlines.size)


def _sums(flags: np.ndarray, bounds: np.ndarray, longest: int) -> np.ndarray:
    """Sums of `flags` (0/1 bytes) from each bound to the next (the last: to the end).

    Summed as 16-bit integers when the spans of interest are shorter than 65 536 bytes (several
    times faster); a longer span in between may wrap, but such sums are never used.
    """
    dtype = np.uint16 if longest < 65536 else np.int64
    return np.add.reduceat(flags, bounds, dtype=dtype).astype(np.int64)


def parse_chunk(
    chunk: bytes,
    encoding: str,
    delimiter: str,
    wanted: dict[str, int],
    first_line: int,
) -> tuple[pl.DataFrame, int]:
    """The chunk's records as strings (`line`, `field_count` and the wanted columns; empty and
    lone-space values are null) and the number of physical lines of the chunk."""
    lines_before, field_counts, blank, newline_count = split_records(chunk, delimiter)
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
                null_values=NULL_VALUES,
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
        return _parse_chunk_slowly(utf8, delimiter, wanted, first_line), newline_count
    frame = frame.with_columns(
        pl.Series("line", lines_before + first_line, dtype=pl.Int64),
        pl.Series("field_count", field_counts, dtype=pl.Int32),
    )
    if blank.any():
        frame = frame.filter(pl.Series(~blank))
    return frame, newline_count


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
            value = row[index] if index < len(row) else None
            columns[name].append(None if value in NULL_VALUES else value)
    data = {name: pl.Series(name, values, dtype=pl.String) for name, values in columns.items()}
    return pl.DataFrame(
        {
            **data,
            "line": pl.Series("line", lines, dtype=pl.Int64),
            "field_count": pl.Series("field_count", counts, dtype=pl.Int32),
        }
    )
