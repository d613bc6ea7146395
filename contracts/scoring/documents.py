"""What a submitted document is, by its bytes: the allowed file types, told by their magic
bytes (a declared Content-Type alone proves nothing), and the hash a document is known by.

Shared by the gateway (which refuses a bad upload before any call) and the scoring service
(which checks again: the RPC is a trust boundary too).
"""
from __future__ import annotations

import hashlib
import io
import zipfile

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JPEG = "image/jpeg"
PNG = "image/png"

# the short names settings use (YINFA_REPORT_TYPES) and the media type of each
MEDIA_TYPES = {"pdf": PDF, "docx": DOCX, "xlsx": XLSX, "jpeg": JPEG, "png": PNG}
EXTENSIONS = {PDF: "pdf", DOCX: "docx", XLSX: "xlsx", JPEG: "jpg", PNG: "png"}


def sniff(content: bytes) -> str | None:
    """The media type the bytes are (None: none of the known types)."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return _office(content)
    return None


def _office(content: bytes) -> str | None:
    """DOCX and XLSX are ZIP packages: told apart by the part the package is built on."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def media_type(declared: str | None) -> str:
    """The media type of a Content-Type header, without parameters, lower case."""
    return (declared or "").split(";", 1)[0].strip().lower()


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
