"""Reading partners' files: encodings told apart or refused, XLSX bombs and oversize files
refused before they are expanded, bad rows rejected alone with their line."""
from __future__ import annotations

import codecs
import io
import json
import time
import zipfile

import pytest
from openpyxl import Workbook

from contracts.feeds.imports import COLUMNS
from services.feeds.domain.rows import FirstSeen, Rejected, Row, header_problem, row_of
from services.feeds.imports.files import FileRefused, open_rows

HEADER = "external_id,volunteer_id,hours,served_on"
ROWS = ["h1,v-1,2.5,2026-10-01", "h2,v-2,1.0,2026-10-02"]
LIMIT = 10 * 1024 * 1024
NAME = "欧阳·娜娜"
VOLUNTEER_HEADER = list(COLUMNS["volunteers"][0])


def read(tmp_path, content: bytes, name: str = "f.csv", kind: str = "hours",
         limit: int = LIMIT) -> list:
    path = tmp_path / name
    path.write_bytes(content)
    return list(open_rows(path, name, kind, limit))


def volunteer_csv(name: str = NAME) -> str:
    row = ["x1", name, "女", "1956", "320902195603080023", "13812345678", "320902", "退休"]
    return ",".join(VOLUNTEER_HEADER) + "\n" + ",".join(row) + "\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_gb18030_round_trips_a_middle_dot(
        tmp_path, encoding):
    (line, cells), = read(tmp_path, volunteer_csv().encode(encoding), kind="volunteers")
    assert line == 2 and cells["name"] == NAME  # the middle dot is A1A4 in GBK and GB18030
    assert cells["external_id"] == "x1"  # the BOM is not part of the first column's name


def test_a_gb18030_only_character_is_read_too(tmp_path):
    name = "𠀾·王"  # Extension B: four bytes in GB18030, not in GBK
    (_, cells), = read(tmp_path, volunteer_csv(name).encode("gb18030"), kind="volunteers")
    assert cells["name"] == name


@pytest.mark.parametrize("content, reason", [
    (codecs.BOM_UTF16_LE + "external_id".encode("utf-16-le"), "UTF-16"),
    (b"\x00\x01\x02\xff\xfe\x80" * 100, "neither UTF-8 nor GB18030"),
    (b"external_id,volunteer_id,hours\nh1,v,1\n", "missing columns: served_on"),
    (f"{HEADER},comment\n".encode(), "unknown columns: comment"),
    (b"", "no header row"),
])
def test_files_that_cannot_be_read_are_refused_with_the_reason(tmp_path, content, reason):
    with pytest.raises(FileRefused, match=reason):
        read(tmp_path, content)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    with pytest.raises(FileRefused, match="more than the limit"):
        read(tmp_path, (HEADER + "\n" + "\n".join(ROWS * 100)).encode(), limit=1024)


def test_bad_rows_are_rejected_alone_with_their_line(tmp_path):
    lines = [HEADER, ROWS[0], "h3,v-3,2.0", "", ROWS[1] + ",,", "h4,v-4,1,2026-10-01,extra"]
    got = read(tmp_path, "\n".join(lines).encode())
    assert [g[0] if isinstance(g, tuple) else g.line for g in got] == [2, 3, 5, 6]
    assert isinstance(got[1], Rejected) and "3 cells where the header has 4" in got[1].reason
    assert isinstance(got[3], Rejected) and got[3].external_id == "h4"
    assert got[2][1]["external_id"] == "h2"  # trailing empty cells are dropped


def test_rows_become_commands_and_a_repeated_external_id_is_rejected():
    seen = FirstSeen()
    cells = {"external_id": "h1", "volunteer_id": "v", "hours": "2", "served_on": "2026-10-01"}
    first, again = (row_of("hours", line, cells, "mca") for line in (2, 9))
    assert isinstance(first, Row) and isinstance(again, Row)
    assert first.payload["source"] == "partner" and first.payload["entry_id"] == (
        again.payload["entry_id"])  # the same row, the same ledger entry, every time
    assert seen.duplicate(first) is None
    assert seen.duplicate(again) == Rejected(9, "h1", "external_id repeated (first on line 2)")
    assert row_of("hours", 3, {**cells, "external_id": " "}, "mca") == Rejected(
        3, None, "no external_id")
    volunteer = row_of("volunteers", 4, dict(zip(VOLUNTEER_HEADER, [
        "x", NAME, "女", "1956", "id", "138", "320902", "退休"], strict=True)) | {
        "skills": "书法；摄影", "party_member": "是"}, "mca")
    assert isinstance(volunteer, Row)
    assert volunteer.payload["birth_year"] == 1956 and volunteer.payload["party_member"] is True
    assert volunteer.payload["skills"] == ["书法", "摄影"] and "external_id" not in (
        volunteer.payload)


def test_an_hours_row_names_its_volunteer_by_id_or_by_id_number_not_both():
    assert header_problem("hours", ["external_id", "hours", "served_on"]) == (
        "missing columns: one of volunteer_id, id_number")
    assert header_problem("hours", ["external_id", "id_number", "hours", "served_on"]) is None
    cells = {"external_id": "h1", "hours": "2", "served_on": "2026-10-01"}
    by_number = row_of("hours", 2, {**cells, "id_number": "x"}, "mca")
    assert isinstance(by_number, Row) and by_number.payload["id_number"] == "x"
    for wrong in ({}, {"volunteer_id": "v", "id_number": "x"}, {"volunteer_id": " "}):
        assert row_of("hours", 3, {**cells, **wrong}, "mca") == Rejected(
            3, "h1", "give exactly one of: volunteer_id, id_number")


def xlsx(rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_is_read_row_by_row(tmp_path):
    content = xlsx([["external_id", "volunteer_id", "hours", "served_on"],
                    ["h1", "v-1", 2.5, "2026-10-01"],
                    ["h2", "v-2", 1, None]])
    first, second = read(tmp_path, content, "f.xlsx")
    assert first == (2, {"external_id": "h1", "volunteer_id": "v-1", "hours": 2.5,
                         "served_on": "2026-10-01"})
    assert isinstance(row_of("hours", 3, second[1], "mca"), Rejected)


def test_an_xlsx_zip_bomb_is_refused_before_it_is_expanded(tmp_path):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (200 * 1024 * 1024))
    started = time.monotonic()
    with pytest.raises(FileRefused, match="zip bomb|expand"):
        read(tmp_path, bomb.getvalue(), "bomb.xlsx", limit=LIMIT)
    assert time.monotonic() - started < 1.0  # only its directory was read
    with pytest.raises(FileRefused, match="not an XLSX"):
        read(tmp_path, b"PK not a zip", "f.xlsx")


def test_json_lines_reject_a_bad_line_and_go_on(tmp_path):
    lines = [json.dumps({"external_id": "h1", "volunteer_id": "v", "hours": 1,
                         "served_on": "2026-10-01"}), "{broken", "[1]",
             json.dumps({"external_id": "h2", "colour": "red"}), ""]
    got = read(tmp_path, "\n".join(lines).encode(), "f.jsonl")
    assert got[0][0] == 1
    assert [(r.line, r.reason.split(":")[0]) for r in got[1:]] == [
        (2, "not JSON"), (3, "not a JSON object"), (4, "unknown fields")]
