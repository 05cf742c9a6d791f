"""What a worksheet photo may be: the picture types we keep, told by their first bytes."""
from __future__ import annotations

# The types we keep (phones send JPEG or HEIC; PNG, GIF and WebP are screenshots and forwards).
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/heic")
SNIFF_BYTES = 32  # enough of the start of a file to tell its type
_HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1")


def declared_type(header: str | None) -> str:
    """The media type of a Content-Type header, lower case, without parameters ("" when absent)."""
    return (header or "").split(";", 1)[0].strip().lower()


def sniff(head: bytes) -> str | None:
    """The picture type the first bytes of a file show, or None when they are not one we keep."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return "image/heic"
    return None


def picture_type(header: str | None, head: bytes) -> str | None:
    """The type to keep a download as: its declared type is a picture we keep and its bytes agree
    that it is a picture; None otherwise (a web page, a video, a file calling itself a JPEG)."""
    declared = declared_type(header)
    if declared == "image/jpg":  # seen in the wild
        declared = "image/jpeg"
    if declared not in IMAGE_TYPES:
        return None
    return sniff(head)


def megabytes(n: int) -> str:
    """A size limit as a chair reads it: "5 MB"."""
    mb = n / (1024 * 1024)
    return f"{mb:.0f} MB" if mb >= 1 else f"{max(1, n // 1024)} KB"
