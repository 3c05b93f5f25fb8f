"""An image bomb is refused from its header, before decoding: a 233 KB PNG of 7740 × 7740 pixels
(60 MP) cost 515 MB to decode. Formats decoded whole take at most 20 MP; a JPEG (what phones send)
at most 50 MP, decoded already scaled down to about the stored size."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageFile

from central.fieldwork import photos
from central.fieldwork.models import TaskPhoto
from tests.fieldwork.test_api import count, jpeg, upload


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares `width` × `height` pixels: signature, IHDR, a tiny IDAT and IEND,
    built by hand so that the test never holds the image in memory."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    idat = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def never_decoded(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize(("width", "height"), [(7740, 7740), (5000, 4001), (100_000, 300)])
def test_a_png_image_bomb_is_refused_before_decoding(client, field, never_decoded, width, height):
    response = upload(client, field.crew, field.tasks[0], png_header(width, height), "x.png")
    assert response.status_code == 400
    assert "te veel pixels" in response.json["error"]["message"]
    assert response.json["error"]["fields"]["file"]
    assert count(TaskPhoto) == 0


def test_the_pixel_limits_are_below_the_60_megapixels_that_let_a_bomb_through():
    assert photos.MAX_PIXELS <= 20_000_000 < 7740 * 7740
    assert photos.MAX_PIXELS_JPEG <= 50_000_000 < 7740 * 7740


def test_a_png_within_the_limit_is_still_accepted(client, field):
    out = io.BytesIO()
    Image.new("RGB", (3000, 2000), (10, 120, 10)).save(out, "PNG")
    response = upload(client, field.crew, field.tasks[0], out.getvalue(), "x.png")
    assert response.status_code == 201, response.json
    assert max(response.json["width"], response.json["height"]) == 1600


def test_a_large_jpeg_is_decoded_already_scaled_down(monkeypatch):
    """A 4800 × 3600 phone photo decodes at 1/2 scale (2400 × 1800): a quarter of the memory."""
    decoded = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        decoded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    processed = photos.process_image(jpeg(4800, 3600, gps=False), keep_location=False)
    assert decoded and decoded[0] == (2400, 1800)
    assert (processed.width, processed.height) == (1600, 1200)
