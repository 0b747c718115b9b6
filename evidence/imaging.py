"""What a phone shows of a photo: a thumbnail and a phone copy, with nothing personal in them.

The original stays as it was handed in (it is the evidence); these copies are what the
pages show. Each is turned upright by its EXIF orientation, converted to sRGB when the
photo carries a colour profile (phones take Display P3), flattened onto white if it has
transparency, shrunk (never enlarged) and encoded as a baseline JPEG with no metadata at
all: no EXIF (GPS, time, camera and its serial number), no XMP, no ICC profile, no
comment. The same photo always gives the same bytes.
"""

from __future__ import annotations

import io

from PIL import Image, ImageCms, ImageOps

THUMBNAIL = (320, 320)
"""The box a thumbnail fits in, for lists and the reviewer's overview."""

PHONE = (1280, 1280)
"""The box a phone copy fits in: sharp on a phone, small enough on a slow link."""

QUALITY = 80
"""JPEG quality of both copies."""

_SRGB = ImageCms.createProfile("sRGB")


def derivatives(content: bytes) -> tuple[bytes, bytes]:
    """The (thumbnail, phone copy) of a photo `inspect` took, as metadata-free JPEGs."""
    with Image.open(io.BytesIO(content)) as original:
        if original.format == "JPEG":
            # Decode a large JPEG at 1/2, 1/4 or 1/8 scale, still no smaller than the phone
            # copy: a 40 MP photo then takes a few dozen MB instead of hundreds.
            original.draft(None, PHONE)
        picture = _upright_rgb(original)
    return _jpeg(picture, THUMBNAIL), _jpeg(picture, PHONE)


def _upright_rgb(original: Image.Image) -> Image.Image:
    """The picture as shown: orientation applied, in sRGB, without transparency."""
    profile = original.info.get("icc_profile")
    picture = ImageOps.exif_transpose(original)
    if picture.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit and float greyscale: scale to 8 bits, as RGB conversion would clip it.
        picture = picture.convert("I").point(lambda value: value / 256).convert("L")
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        picture = Image.alpha_composite(white, rgba)
    if isinstance(profile, bytes) and picture.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(picture, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # a broken profile: the colours as stored are near enough
        if converted is not None:
            picture = converted
    return picture.convert("RGB")


def _jpeg(picture: Image.Image, box: tuple[int, int]) -> bytes:
    """`picture` shrunk to fit `box` and encoded with no metadata."""
    copy = picture.copy()
    copy.thumbnail(box, Image.Resampling.LANCZOS)  # keeps the ratio, never enlarges
    out = io.BytesIO()
    # No exif=, icc_profile= or comment=: Pillow writes only what it is given.
    copy.save(out, format="JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()
