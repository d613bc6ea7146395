"""A certificate prints every name as written, on a machine with no Chinese font: the
fonts are embedded subsets (pdffonts), the text comes back out of the PDF as it went in
(pdftotext), and the page renders (pdftoppm)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.exports.certificate import render_certificate

POPPLER = all(shutil.which(tool) for tool in ("pdffonts", "pdftotext", "pdftoppm"))
pytestmark = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils not installed (scripts/test.sh installs it)")

# a middle dot; Extension B: U+20BB7 (in HanaMinA too), U+20001 (in HanaMinB only)
NAMES = ["买买提·艾力", "𠮷田秀英", "李\U00020001生"]


def certificate(name: str, folder: Path) -> Path:
    pdf = folder / "certificate.pdf"
    pdf.write_bytes(render_certificate(
        {"name": name, "county_name": "亭湖区", "volunteer_id": "v-1", "total_hours": "12.5",
         "verified_hours": "10.0", "star_level": 1, "issued_on": "2026-12-02",
         "code": "ABCD-EFGH-JKLM"}, "https://yinfa.example.cn/certificates/ABCD-EFGH-JKLM"))
    return pdf


# poppler sees no font of this machine: what it shows comes from the PDF alone, as on a
# reader's machine without any Chinese font
NO_FONTS = """<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><cachedir>{cache}</cachedir></fontconfig>"""


def run(*argv: str, folder: Path | None = None) -> str:
    env = dict(os.environ)
    if folder is not None:
        config = folder / "fonts.conf"
        config.write_text(NO_FONTS.format(cache=folder / "fc-cache"))
        env["FONTCONFIG_FILE"] = str(config)
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60,
                          env=env).stdout


@pytest.mark.parametrize("name", NAMES)
def test_the_name_comes_back_out_of_the_pdf_as_written(tmp_path, name):
    pdf = certificate(name, tmp_path)
    text = run("pdftotext", "-enc", "UTF-8", str(pdf), "-", folder=tmp_path)
    assert f"姓名：{name}" in text
    assert "https://yinfa.example.cn/certificates/ABCD-EFGH-JKLM" in text


def test_every_font_is_an_embedded_subset(tmp_path):
    pdf = certificate(NAMES[2], tmp_path)
    rows = run("pdffonts", str(pdf)).splitlines()[2:]
    assert rows, "the PDF names its fonts"
    for row in rows:
        name, emb, sub = row.split()[0], row.split()[-5], row.split()[-4]
        assert (emb, sub) == ("yes", "yes"), row
        assert "HanaMin" in name
    assert any("HanaMinB" in row for row in rows)  # the Extension B character's font


def test_the_page_renders_to_an_image(tmp_path):
    pdf = certificate(NAMES[0], tmp_path)
    run("pdftoppm", "-png", "-r", "50", "-singlefile", str(pdf), str(tmp_path / "page"),
        folder=tmp_path)
    image = tmp_path / "page.png"
    assert image.exists() and image.stat().st_size > 5_000
