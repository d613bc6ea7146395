"""A volunteer's service-record certificate (志愿服务记录证明) as a one-page PDF.

The text is set in HanaMin (花园明朝, Debian's fonts-hanazono; its licence allows
embedding): HanaMinA for the Basic Multilingual Plane, HanaMinB for the supplementary
planes (CJK Extension B and beyond), so a name such as 买买提·艾力 or one with an
Extension B character prints as written. reportlab embeds a subset of each font used, so
the PDF reads the same on a machine without any Chinese font. The verification line is a
full URL a reader can open.
"""
from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from contracts.volunteers.recognition import load_recognition_catalog
from yinfa.config import settings

FONTS = ("HanaMinA", "HanaMinB")  # the first that has a character sets it


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """The ToUnicode map of a font subset, with characters beyond the Basic Multilingual
    Plane as UTF-16 surrogate pairs. reportlab writes their code point as five hex
    digits, which readers take for another character (𠮷 comes out as ₻ when copied)."""
    def utf16(code: int) -> str:
        return chr(code).encode("utf-16-be", "surrogatepass").hex().upper()

    mappings = [f"<{index:02X}> <{utf16(code)}>" for index, code in enumerate(subset)]
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        f"/CIDSystemInfo << /Registry ({fontname}) /Ordering ({fontname}) /Supplement 0 >> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def",
        "1 begincodespacerange", f"<00> <{len(subset) - 1:02X}>", "endcodespacerange",
        f"{len(mappings)} beginbfchar", *mappings, "endbfchar",
        "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"])


ttfonts.makeToUnicodeCMap = _to_unicode_cmap  # read by reportlab when it embeds a subset


class FontMissing(RuntimeError):
    """The certificate font is not installed (Debian: apt-get install fonts-hanazono)."""


@lru_cache(maxsize=1)
def _fonts() -> tuple[TTFont, ...]:
    folder = settings().certificate_font_dir
    loaded = []
    for name in FONTS:
        path = folder / f"{name}.ttf"
        if not path.exists():
            raise FontMissing(f"{path} is missing: apt-get install fonts-hanazono")
        font = TTFont(name, str(path))
        pdfmetrics.registerFont(font)
        loaded.append(font)
    return tuple(loaded)


def runs(text: str) -> Iterator[tuple[str, str]]:
    """(font name, text) runs: each character in the first font that has its glyph."""
    fonts = _fonts()
    current, run = None, ""
    for char in text:
        chosen = next((f.fontName for f in fonts if ord(char) in f.face.charToGlyph),
                      fonts[0].fontName)
        if chosen != current and run:
            yield current or fonts[0].fontName, run
            run = ""
        current, run = chosen, run + char
    if run:
        yield current or fonts[0].fontName, run


def _write(page: canvas.Canvas, x: float, y: float, text: str, size: float,
           centred: bool = False) -> None:
    pieces = list(runs(text))
    width = sum(pdfmetrics.stringWidth(part, font, size) for font, part in pieces)
    line = page.beginText(x - width / 2 if centred else x, y)
    for font, part in pieces:
        line.setFont(font, size)
        line.textOut(part)
    page.drawText(line)


def certificate_lines(record: Mapping[str, Any], verify_url: str) -> list[str]:
    """The certificate's body, line by line; the model-volunteer titles announced for the
    holder (荣誉称号) only when there are any."""
    titles = load_recognition_catalog().titles
    honours = "、".join(
        f"{t['year']}年度{titles[t['title']].label if t['title'] in titles else t['title']}"
        for t in record.get("titles") or [])
    return [
        f"姓名：{record['name']}",
        f"所属县（市、区）：{record['county_name']}",
        f"志愿者编号：{record['volunteer_id']}",
        f"累计服务时长：{record['total_hours']} 小时（其中认证 {record['verified_hours']} 小时）",
        f"星级：{record['star_level']} 星",
        *([f"荣誉称号：{honours}"] if honours else []),
        f"出具日期：{record['issued_on']}",
        "",
        "兹证明该同志在银发志愿服务中的服务记录如上。",
        f"验证码：{record['code']}",
        f"核验：{verify_url}",
    ]


def render_certificate(record: Mapping[str, Any], verify_url: str) -> bytes:
    out = io.BytesIO()
    # the page's first font is ours: reportlab's default would add an unembedded Helvetica
    page = canvas.Canvas(out, pagesize=A4, invariant=True,
                         initialFontName=_fonts()[0].fontName, initialFontSize=13)
    page.setTitle("志愿服务记录证明")
    width, height = A4
    _write(page, width / 2, height - 120, "志愿服务记录证明", 24, centred=True)
    y = height - 190
    for line in certificate_lines(record, verify_url):
        _write(page, 80, y, line, 13)
        y -= 28
    _write(page, 80, 80, "本证明由银发志愿服务平台出具，内容以平台记录为准。", 10)
    page.showPage()
    page.save()
    return out.getvalue()
