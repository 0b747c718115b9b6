"""Distances on the Earth and positions written in free text."""

from __future__ import annotations

import pytest

from domain.geo import coordinates_in, distance_km

KUPANG = (-10.1772, 123.6070)
ENDE = (-8.8432, 121.6623)


def test_the_distance_between_two_places() -> None:
    assert distance_km(*KUPANG, *KUPANG) == 0
    # Kupang to Ende, about 260 km as the crow flies.
    assert distance_km(*KUPANG, *ENDE) == pytest.approx(259, abs=3)
    assert distance_km(*KUPANG, *ENDE) == pytest.approx(distance_km(*ENDE, *KUPANG))


def test_a_degree_along_the_equator_and_half_the_earth_round() -> None:
    assert distance_km(0, 0, 0, 1) == pytest.approx(111.19, abs=0.01)
    assert distance_km(0, 0, 0, 180) == pytest.approx(20015.09, abs=0.1)
    assert distance_km(90, 0, -90, 0) == pytest.approx(20015.09, abs=0.1)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Desa Oelnasi (-10.1772, 123.6070)", (-10.1772, 123.6070)),
        ("-8.65 121.08", (-8.65, 121.08)),
        ("titik kumpul: -8.65,121.08.", (-8.65, 121.08)),
        ("lokasi −9.4567; 119.8765", (-9.4567, 119.8765)),  # a typographic minus
        ("10.1772 LS, 123.6070 BT", (-10.1772, 123.6070)),
        ("10.1772° S 123.6070° E", (-10.1772, 123.6070)),
        ("123.6070 E, 10.1772 S", (-10.1772, 123.6070)),  # longitude first, by its letters
        ("Gudang logistik 8.5 N / 70.25 W", (8.5, -70.25)),
        ("Simulasi tahap 1.2.3 di -10.1772, 123.6070", (-10.1772, 123.6070)),
    ],
)
def test_a_position_is_found_in_free_text(text: str, found: tuple[float, float]) -> None:
    assert coordinates_in(text) == pytest.approx(found)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Desa Oelnasi, Kecamatan Kupang Tengah",
        "RT 12, RW 45",  # numbers without decimals are counts
        "-10.1772",  # one number is not a position
        "-95.5, 123.6",  # latitude beyond 90
        "-10.2, 181.5",  # longitude beyond 180
        "10.2 E, 120.3 E",  # two longitudes
        "anggaran 12.5 juta, 30 peserta",
        "-10.1772 dan 123.6070",  # apart by a word, not a pair
    ],
)
def test_no_position_where_none_is_written(text: str) -> None:
    assert coordinates_in(text) is None
