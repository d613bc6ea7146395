"""A volunteer's service-record certificate (志愿服务记录证明) as a one-page PDF.

Chinese text uses reportlab's built-in CID font (STSong-Light), so no font file ships.
The verification code printed on it is what /certificates/{code} checks.
"""
from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def render_certificate(record: Mapping[str, Any]) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=True)
    page.setTitle("志愿服务记录证明")
    width, height = A4
    page.setFont(FONT, 24)
    page.drawCentredString(width / 2, height - 120, "志愿服务记录证明")
    page.setFont(FONT, 13)
    lines = [
        f"姓名：{record['name']}",
        f"所属县（市、区）：{record['county_name']}",
        f"志愿者编号：{record['volunteer_id']}",
        f"累计服务时长：{record['total_hours']} 小时（其中认证 {record['verified_hours']} 小时）",
        f"星级：{record['star_level']} 星",
        f"出具日期：{record['issued_on']}",
        "",
        "兹证明该同志在银发志愿服务中的服务记录如上。",
        f"验证码：{record['code']}",
        f"核验：访问本平台 /certificates/{record['code']}",
    ]
    y = height - 190
    for line in lines:
        page.drawString(80, y, line)
        y -= 28
    page.setFont(FONT, 10)
    page.drawString(80, 80, "本证明由银发志愿服务平台出具，内容以平台记录为准。")
    page.showPage()
    page.save()
    return out.getvalue()
