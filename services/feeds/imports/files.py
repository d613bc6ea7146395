"""Reading a partner's file as rows, streamed, whatever its format.

CSV: UTF-8 (with or without a BOM) or GB18030 (which GBK and GB2312 are subsets of),
told apart by decoding the whole file once, a megabyte at a time; anything else (UTF-16,
a binary file) is refused with the reason. XLSX: refused before it is expanded when its
parts would be larger than ten times the size limit, or one part more than a hundred
times its compressed size (a zip bomb); then read by openpyxl in read-only mode, row by
row. JSON lines: one object per line. A row that cannot be read is rejected alone.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from contracts.feeds.imports import COLUMNS
from services.feeds.domain.rows import Rejected, header_problem

Cells = dict[str, Any]
Read = tuple[int, Cells] | Rejected

CHUNK = 1024 * 1024
EXPANSION = 10  # an XLSX's parts together: at most ten times the size limit
MAX_RATIO = 100  # one part: at most a hundred times its compressed size
SMALL_PART = 1024 * 1024  # parts below this are not held to the ratio
ENCODINGS = ("utf-8", "gb18030")


class FileRefused(Exception):
    """The whole file is refused: nothing of it is imported."""


def format_of(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    formats = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl",
               ".ndjson": "jsonl"}
    if suffix not in formats:
        raise FileRefused(f"unknown file type {suffix or '(none)'}: send .csv, .xlsx or .jsonl")
    return formats[suffix]


def open_rows(path: Path, file_name: str, kind: str, max_bytes: int) -> Iterator[Read]:
    """The file's rows as (line, cells), or a row's rejection; FileRefused at once if the
    file cannot be read at all (size, encoding, format, header)."""
    size = path.stat().st_size
    if size > max_bytes:
        raise FileRefused(f"the file is {size} bytes, more than the limit of {max_bytes}")
    readers = {"csv": _csv_rows, "xlsx": _xlsx_rows, "jsonl": _jsonl_rows}
    return readers[format_of(file_name)](path, kind, max_bytes)


# ---- CSV ------------------------------------------------------------------------------


def csv_encoding(path: Path) -> str:
    with path.open("rb") as raw:
        start = raw.read(4)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise FileRefused("UTF-16 text is not accepted: save the file as UTF-8 (or GB18030)")
    for encoding in ENCODINGS:
        if _decodes(path, encoding):
            return encoding
    raise FileRefused("the file is neither UTF-8 nor GB18030/GBK text (or holds binary data)")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as raw:
            while chunk := raw.read(CHUNK):
                if b"\x00" in chunk:
                    return False
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _csv_rows(path: Path, kind: str, max_bytes: int) -> Iterator[Read]:
    encoding = csv_encoding(path)
    text = path.open("r", encoding=encoding, newline="")
    reader = csv.reader(text)
    try:
        header = [cell.strip() for cell in next(reader)]
    except (StopIteration, csv.Error) as error:
        text.close()
        raise FileRefused(f"no header row: {error or 'the file is empty'}") from None
    _check_header(kind, header)
    return _csv_records(text, reader, header)


def _csv_records(text: io.TextIOBase, reader: Any, header: list[str]) -> Iterator[Read]:
    with text:
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield Rejected(line, None, f"not readable as CSV: {error}")
                line = reader.line_num + 1
                continue
            yield from _cells(line, cells, header)
            line = reader.line_num + 1


def _cells(line: int, cells: Sequence[Any], header: list[str], pad: bool = False
           ) -> Iterator[Read]:
    """`pad`: a short row's missing cells are empty (a spreadsheet leaves empty cells at
    the end of a row out); in a CSV they are missing."""
    values = list(cells)
    if pad and len(values) < len(header):
        values += [None] * (len(header) - len(values))
    while len(values) > len(header) and values[-1] in (None, ""):
        values.pop()  # trailing empty cells, as spreadsheets write them
    if not any(v not in (None, "") for v in values):
        return  # a blank line
    if len(values) != len(header):
        first = values[0] if values else None
        yield Rejected(line, str(first) if first not in (None, "") else None,
                       f"{len(values)} cells where the header has {len(header)}")
        return
    yield line, dict(zip(header, values, strict=True))


def _check_header(kind: str, header: list[str]) -> None:
    problem = header_problem(kind, header)
    if problem:
        raise FileRefused(f"the header does not fit {kind}: {problem}")


# ---- XLSX -----------------------------------------------------------------------------


def check_zip(path: Path, max_bytes: int) -> None:
    """Refuse a zip bomb from its directory alone, before anything is expanded. zipfile
    never expands a part past its declared size (it stops there, and the CRC fails)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise FileRefused(f"not an XLSX file: {error}") from None
    total = sum(part.file_size for part in parts)
    if total > EXPANSION * max_bytes:
        raise FileRefused(f"the XLSX would expand to {total} bytes, more than "
                          f"{EXPANSION * max_bytes}: refused before expanding it")
    for part in parts:
        if part.file_size > SMALL_PART and part.file_size > MAX_RATIO * max(
                part.compress_size, 1):
            raise FileRefused(f"the XLSX part {part.filename} expands {part.file_size} bytes "
                              f"from {part.compress_size}: refused as a zip bomb")


def _xlsx_rows(path: Path, kind: str, max_bytes: int) -> Iterator[Read]:
    check_zip(path, max_bytes)
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(cell).strip() if cell is not None else "" for cell in next(rows)]
    except StopIteration:
        raise FileRefused("no header row: the first sheet is empty") from None
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise FileRefused(f"not a readable XLSX workbook: {error}") from None
    while header and header[-1] == "":
        header.pop()
    _check_header(kind, header)
    return _xlsx_records(book, rows, header)


def _xlsx_records(book: Any, rows: Iterator[tuple], header: list[str]) -> Iterator[Read]:
    try:
        for line, cells in enumerate(rows, start=2):
            yield from _cells(line, cells, header, pad=True)
    finally:
        book.close()


# ---- JSON lines -----------------------------------------------------------------------


def _jsonl_rows(path: Path, kind: str, max_bytes: int) -> Iterator[Read]:
    required, optional = COLUMNS[kind]
    known = set(required) | set(optional)
    with path.open("r", encoding="utf-8-sig", errors="strict") as text:
        try:
            for line, raw in enumerate(text, start=1):
                if not raw.strip():
                    continue
                try:
                    cells = json.loads(raw)
                except ValueError as error:
                    yield Rejected(line, None, f"not JSON: {error}")
                    continue
                if not isinstance(cells, dict):
                    yield Rejected(line, None, "not a JSON object")
                    continue
                unknown = sorted(set(cells) - known)
                if unknown:
                    yield Rejected(line, _id_of(cells), f"unknown fields: {', '.join(unknown)}")
                    continue
                yield line, cells
        except UnicodeDecodeError:
            yield Rejected(0, None, "the rest of the file is not UTF-8: not read")


def _id_of(cells: Cells) -> str | None:
    value = cells.get("external_id")
    return None if value in (None, "") else str(value)
