"""A photo's thumbnail and phone copy: upright, small, and with nothing personal in them."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from evidence.imaging import PHONE, THUMBNAIL, derivatives
from evidence.inspect import inspect
from tests.evidence import samples


def opened(content: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(content))
    picture.load()
    return picture


def test_both_copies_are_jpegs_within_their_boxes() -> None:
    thumbnail, phone = derivatives(samples.jpeg((3000, 2000)))
    assert opened(thumbnail).format == opened(phone).format == "JPEG"
    assert opened(thumbnail).size == (320, 213)
    assert opened(phone).size == (1280, 853)
    assert max(opened(thumbnail).size) <= max(THUMBNAIL)
    assert max(opened(phone).size) <= max(PHONE)


def test_a_small_photo_is_never_enlarged() -> None:
    thumbnail, phone = derivatives(samples.jpeg((200, 100)))
    assert opened(thumbnail).size == opened(phone).size == (200, 100)


def test_a_portrait_photo_stored_turned_comes_out_upright() -> None:
    # Phones store the sensor's landscape and say "turn a quarter clockwise" (6).
    content = samples.jpeg((1600, 1200), exif=samples.photo_exif(orientation=6))
    for copy in derivatives(content):
        width, height = opened(copy).size
        assert height > width
    assert opened(derivatives(content)[1]).size == (960, 1280)


def test_the_copies_hold_no_metadata_at_all() -> None:
    content = samples.jpeg(
        (800, 600), exif=samples.photo_exif(orientation=6), icc=samples.srgb_profile()
    )
    original = opened(content)
    assert original.getexif() and "icc_profile" in original.info  # planted
    for copy in derivatives(content):
        assert samples.SERIAL.encode() not in copy
        assert samples.OWNER.encode() not in copy
        assert b"Exif\x00\x00" not in copy and b"ICC_PROFILE" not in copy
        assert b"http://ns.adobe.com/xap" not in copy  # no XMP either
        picture = opened(copy)
        assert dict(picture.getexif()) == {}
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(picture.info)


def test_the_same_photo_gives_the_same_bytes() -> None:
    content = samples.jpeg((2000, 1500), exif=samples.photo_exif(orientation=3))
    assert derivatives(content) == derivatives(content)


@pytest.mark.parametrize("mode", ["RGBA", "L", "I;16", "P"])
def test_pngs_of_every_common_mode_become_rgb_jpegs(mode: str) -> None:
    content = samples.png((400, 300), mode=mode)
    assert inspect(content, max_bytes=10**7).kind == "photo"
    for copy in derivatives(content):
        assert opened(copy).mode == "RGB"


def test_transparency_is_flattened_onto_white() -> None:
    clear = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    out = io.BytesIO()
    clear.save(out, format="PNG")
    _, phone = derivatives(out.getvalue())
    red, green, blue = opened(phone).convert("RGB").getpixel((25, 25))  # type: ignore[misc]
    assert min(red, green, blue) > 245
