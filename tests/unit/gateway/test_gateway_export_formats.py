"""Export tables and formats (pure): Chinese headers, formula-safe cells, readable files."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from gateway.exports import formats, tables
from gateway.exports.certificate import render_certificate

RANKING = [{"rank": 1, "county_code": "320902", "total": "88.5", "rows": [
    {"code": "volunteers", "label": "志愿者占比", "points": "30"},
    {"code": "hours", "label": "服务时长", "points": "58.5"}]}]


def test_the_ranking_table_has_a_row_per_county_and_indicator():
    table = tables.county_ranking(RANKING, "排名")
    assert table.headers[0] == "排名" and len(table.rows) == 2
    assert table.rows[0][2] == "亭湖区"


def test_cells_that_would_run_as_formulas_stay_text():
    table = tables.Table("t", ("姓名",), (("=HYPERLINK(\"x\")",), ("王建国",)))
    text = formats.to_csv(table).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1] == ["'=HYPERLINK(\"x\")"]
    sheet = load_workbook(io.BytesIO(formats.to_xlsx(table))).active
    assert sheet["A2"].value == "'=HYPERLINK(\"x\")" and sheet["A3"].value == "王建国"


def test_negative_numbers_stay_numbers_while_formulas_stay_text():
    table = tables.Table("t", ("修正",), (("-2.5",), ("-3",), ("-1+2",), ("-A1",)))
    rows = list(csv.reader(io.StringIO(formats.to_csv(table).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["-2.5", "-3", "'-1+2", "'-A1"]


def test_points_and_totals_are_number_cells_in_a_workbook():
    sheet = load_workbook(io.BytesIO(formats.to_xlsx(tables.county_ranking(RANKING, "排名"))))
    row = [cell for cell in sheet.active[2]]
    total, points = row[3], row[12]
    assert total.data_type == "n" and float(total.value) == 88.5
    assert points.data_type == "n" and float(points.value) == 30
    assert total.number_format == "0.00"


def test_statuses_read_in_chinese_with_their_codes_beside_them():
    table = tables.volunteer_roster([{"volunteer_id": "v1", "name": "王建国",
                                      "status": "active", "county_code": "320902",
                                      "total_hours": "12.5"}], "名册")
    row = dict(zip(table.headers, table.rows[0], strict=True))
    assert row["状态"] == "活跃" and row["状态代码"] == "active"
    assert row["县（市、区）"] == "亭湖区" and row["县（市、区）代码"] == "320902"
    assert str(row["累计服务时长"]) == "12.5"


def test_a_certificate_renders_as_a_pdf():
    pdf = render_certificate({"name": "王建国", "county_name": "亭湖区", "volunteer_id": "v",
                              "total_hours": "12.5", "verified_hours": "10.0",
                              "star_level": 1, "issued_on": "2026-11-30",
                              "code": "ABCD-EFGH-JKLM"},
                             "https://yinfa.example.cn/certificates/ABCD-EFGH-JKLM")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
