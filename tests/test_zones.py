"""The zone rule: ZIP lists, point in polygon, and what a stored zone may hold."""

from __future__ import annotations

import pytest

from models.zones import (
    ZoneError,
    ZoneShape,
    clean_polygon,
    clean_zips,
    point_in_polygon,
    zip5,
    zip_in_address,
    zones_for,
)

DOWNTOWN = [[30.26, -97.76], [30.26, -97.73], [30.28, -97.73], [30.28, -97.76]]
CONCAVE = [[0, 0], [0, 4], [4, 4], [4, 3], [1, 3], [1, 1], [4, 1], [4, 0]]  # a "U" opening north


def test_point_in_polygon_inside_outside_and_edges() -> None:
    assert point_in_polygon(30.27, -97.745, DOWNTOWN)
    assert not point_in_polygon(30.30, -97.745, DOWNTOWN)
    assert point_in_polygon(30.26, -97.745, DOWNTOWN)  # on the south edge
    assert point_in_polygon(30.28, -97.73, DOWNTOWN)  # a corner


def test_concave_polygon_mouth_is_outside() -> None:
    assert point_in_polygon(0.5, 2, CONCAVE)
    assert not point_in_polygon(2, 2, CONCAVE)  # inside the C's mouth
    assert point_in_polygon(3.5, 3.5, CONCAVE)  # the right arm


def test_zip_or_polygon_puts_a_site_in_a_zone() -> None:
    central = ZoneShape(1, "Central", tuple(map(tuple, DOWNTOWN)), frozenset({"78704"}))
    north = ZoneShape(2, "North", (), frozenset({"78758"}))
    assert [z.name for z in zones_for([central, north], 30.27, -97.745)] == ["Central"]
    assert [z.name for z in zones_for([central, north], None, None, "78704-1234")] == ["Central"]
    assert [z.name for z in zones_for([central, north], 30.40, -97.70, "78758")] == ["North"]
    assert zones_for([central, north], 30.40, -97.70, "") == []


def test_clean_zips_and_polygons_name_the_problem() -> None:
    assert clean_zips(["78701", "78701-1234", 78702]) == ["78701", "78702"]
    with pytest.raises(ZoneError, match="'7870' is not a ZIP"):
        clean_zips(["7870"])
    assert clean_polygon(DOWNTOWN + [DOWNTOWN[0]]) == DOWNTOWN
    with pytest.raises(ZoneError, match="three different points"):
        clean_polygon([[1, 1], [1, 1], [2, 2]])
    with pytest.raises(ZoneError, match="not a place on Earth"):
        clean_polygon([[91, 0], [0, 0], [1, 1]])
    assert zip5(" 78701-0001") == "78701" and zip5("abc") == ""


def test_the_zip_at_the_end_of_an_address() -> None:
    assert zip_in_address("3505 Stassney Ln, Austin, TX 78741") == "78741"
    assert zip_in_address("1 Main St, Austin, TX 78741-1234 ") == "78741"
    assert zip_in_address("12345 Research Blvd") == ""  # a house number is not a ZIP code
    assert zip_in_address("") == zip_in_address(None) == ""
