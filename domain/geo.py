"""Places on the Earth: how far apart two are, and a position written in free text.

A photo's EXIF says where it was taken; an action item says where its activity was
("Simulasi di Desa Oelnasi (-10.1772, 123.6070)"). The reviewer sees how far apart the
two are, which makes a photo taken in the office rather than the village stand out.
"""

from __future__ import annotations

import math
import re

EARTH_RADIUS_KM = 6371.0
"""The Earth's mean radius, which the haversine formula takes the Earth to be."""

# A decimal number, perhaps signed (a typed minus or U+2212), perhaps with a degree sign
# and a hemisphere after it: English N/S/E/W or Indonesian LU/LS/BT/BB (lintang utara,
# lintang selatan, bujur timur, bujur barat). Not part of a longer number or word
# ("v1.2.3", "RT01.5"), and with a decimal point: "12, 45" is a count, not a place.
_NUMBER = re.compile(
    r"(?<![\w.])([+\-\u2212]?)(\d{1,3}\.\d+)(?!\.?\d)\s*°?"
    r"(?:\s*(LU|LS|BT|BB|[NSEW])(?![^\W\d_]))?",
    re.IGNORECASE,
)
_BETWEEN = re.compile(r"\s*[,;/]?\s*")
_LATITUDE_LETTERS = {"N": 1, "LU": 1, "S": -1, "LS": -1}
_LONGITUDE_LETTERS = {"E": 1, "BT": 1, "W": -1, "BB": -1}


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points in decimal degrees (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def coordinates_in(text: str) -> tuple[float, float] | None:
    """The first decimal (latitude, longitude) pair written in `text`, or None.

    Two decimal numbers next to each other, apart by spaces and perhaps a comma,
    semicolon or slash: "(-10.1772, 123.6070)", "-8.65 121.08", "10.1772 LS, 123.6070 BT".
    South and west are negative, by a minus sign or by their letter; a pair written
    longitude first with its letters ("123.6 E, 10.2 S") is read the right way round.
    A pair out of range (latitude beyond ±90, longitude beyond ±180) is no position.
    """
    numbers = list(_NUMBER.finditer(text))
    for first, second in zip(numbers, numbers[1:], strict=False):
        if not _BETWEEN.fullmatch(text, first.end(), second.start()):
            continue
        a, b = _letter(first), _letter(second)
        if a in _LONGITUDE_LETTERS and b in _LATITUDE_LETTERS:
            first, second = second, first
        latitude = _signed(first, _LATITUDE_LETTERS)
        longitude = _signed(second, _LONGITUDE_LETTERS)
        if latitude is None or longitude is None:
            continue
        if abs(latitude) <= 90 and abs(longitude) <= 180:
            return latitude, longitude
    return None


def _letter(number: re.Match[str]) -> str:
    return (number[3] or "").upper()


def _signed(number: re.Match[str], letters: dict[str, int]) -> float | None:
    """The number with its sign; None if its letter belongs to the other axis."""
    value = float(number[2])
    letter = _letter(number)
    if letter:
        if letter not in letters:
            return None
        return value * letters[letter]
    return -value if number[1] in ("-", "\u2212") else value
