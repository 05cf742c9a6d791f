"""Which downloads are worksheet pictures: the declared type must be one we keep, and the bytes agree."""
from __future__ import annotations

import pytest

from hotline.domain.media import IMAGE_TYPES, declared_type, megabytes, picture_type, sniff

HEADS = {
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "image/gif": b"GIF89a\x01\x00",
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    "image/heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
}


@pytest.mark.parametrize("kind", IMAGE_TYPES)
def test_each_kept_type_is_told_by_its_first_bytes(kind):
    assert sniff(HEADS[kind]) == kind
    assert picture_type(f"{kind}; charset=binary", HEADS[kind]) == kind


@pytest.mark.parametrize("header, head", [
    ("text/html", b"<html>"), ("image/png", b"<html><script>"), ("application/pdf", b"%PDF-1.4"),
    ("video/mp4", b"\x00\x00\x00\x18ftypmp42"), ("image/svg+xml", b"<svg xmlns="), (None, HEADS["image/png"]),
    ("", b""),
])
def test_anything_else_is_not_a_picture(header, head):
    assert picture_type(header, head) is None


def test_headers_and_limits_read_as_people_write_them():
    assert declared_type("Image/JPEG ; q=1") == "image/jpeg" and declared_type(None) == ""
    assert picture_type("image/jpg", HEADS["image/jpeg"]) == "image/jpeg"
    assert megabytes(5 * 1024 * 1024) == "5 MB" and megabytes(2048) == "2 KB"
