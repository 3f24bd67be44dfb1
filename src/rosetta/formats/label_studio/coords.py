"""Label Studio's percent coordinates and rotated rectangles, converted exactly.

Label Studio (LS) stores positions on images and videos as percentages of the media's
size: ``x`` and ``width`` of its width, ``y`` and ``height`` of its height, written as the
shortest decimal that names a JavaScript double. Rosetta stores pixels as doubles.

- **Reading** (`to_pixels`): the decimal as written in the file (the reader parses JSON
  numbers as `Decimal`) times the size over 100 in exact rational arithmetic, rounded once
  to the nearest double.
- **Writing** (`to_percent`): the shortest decimal that reads back as exactly the pixel
  value: the double nearest to ``pixels * 100 / size`` when it does (nine numbers in ten),
  else the exact quotient to as many digits as that takes (17 to about 22). Pixels ->
  percent -> pixels is therefore the identity, always.
- **Percent -> pixels -> percent**: a double pixel value cannot tell apart every pair of
  double percentages (about one number in ten shares its pixel value with a neighbour), so
  the reader keeps the file's own decimal wherever `to_percent` would not give it back
  (`kept_percent`), and the writer uses it again while the pixel value is still the one it
  was read as (`percent_of`). Every percentage of an unchanged annotation is written back
  exactly as it was read.

A rectangle with a ``rotation`` (degrees, clockwise on screen, about its top-left corner
``(x, y)``, applied in pixels) becomes the polygon of its four corners (`rotated_corners`);
`as_rotated_rect` finds the rectangle again in such a polygon. An ellipse (centre ``x, y``,
radii ``radiusX`` of the width and ``radiusY`` of the height, ``rotation`` clockwise about
the centre) becomes a polygon of vertices on it (`ellipse_points`).
"""

import itertools
import math
from decimal import Decimal, localcontext
from fractions import Fraction

Number = Decimal | int | float

#: How far (relative to the rectangle's size) a polygon may be from a rotated rectangle for
#: `as_rotated_rect` to take it as one: rounding in `rotated_corners`, nothing more.
RECT_TOLERANCE = 1e-9
#: How far (pixels) a side of the polygon an ellipse becomes may be from the ellipse.
ELLIPSE_TOLERANCE = 0.25


def to_pixels(percent: Number, size: int) -> float:
    """``percent`` of ``size`` pixels, computed exactly and rounded once."""
    return float(Fraction(percent) * size / 100)


def to_percent(pixels: float, size: int) -> str:
    """The shortest decimal (JSON number text) that `to_pixels` reads as ``pixels``."""
    exact = Fraction(pixels) * 100 / size
    shortest = repr(float(exact))
    if to_pixels(Decimal(shortest), size) == pixels:
        return shortest
    for digits in itertools.count(17):  # the quotient's digits converge on `pixels`
        with localcontext(prec=digits) as context:
            text = format(context.divide(Decimal(exact.numerator), exact.denominator), "f")
        if to_pixels(Decimal(text), size) == pixels:
            return text
    raise AssertionError("unreachable")  # pragma: no cover


def kept_percent(percent: Number, pixels: float, size: int) -> str | None:
    """The file's decimal when `to_percent` would not write it back, else ``None``."""
    if Decimal(to_percent(pixels, size)) == Decimal(percent):
        return None
    return str(percent)


def percent_of(pixels: float, size: int, kept: str | None) -> str:
    """``pixels`` as a percentage: the kept decimal while it still reads as ``pixels``."""
    if kept is not None and to_pixels(Decimal(kept), size) == pixels:
        return kept
    return to_percent(pixels, size)


def rotated_corners(
    x: float, y: float, w: float, h: float, degrees: float
) -> list[tuple[float, float]]:
    """The corners of the ``w`` x ``h`` rectangle at ``(x, y)`` turned ``degrees``
    clockwise (y points down) about ``(x, y)``: top-left, top-right, bottom-right,
    bottom-left as they were before turning."""
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    return [
        (x + dx * cos - dy * sin, y + dx * sin + dy * cos)
        for dx, dy in ((0.0, 0.0), (w, 0.0), (w, h), (0.0, h))
    ]


def ellipse_points(
    cx: float, cy: float, rx: float, ry: float, degrees: float
) -> list[tuple[float, float]]:
    """The polygon an ellipse (centre, radii, turned `degrees` clockwise about its centre,
    as Label Studio draws it) becomes: vertices on the ellipse, the first at the end of
    the turned x radius, as many as keep every side within `ELLIPSE_TOLERANCE` pixels of
    the curve (at least 8)."""
    radius = max(rx, ry)
    count = 8
    if radius > ELLIPSE_TOLERANCE:
        count = max(count, math.ceil(math.pi / math.acos(1 - ELLIPSE_TOLERANCE / radius)))
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    points = []
    for k in range(count):
        t = 2 * math.pi * k / count
        dx, dy = rx * math.cos(t), ry * math.sin(t)
        points.append((cx + dx * cos - dy * sin, cy + dx * sin + dy * cos))
    return points


def as_rotated_rect(
    points: list[tuple[float, float]],
) -> tuple[float, float, float, float, float] | None:
    """``(x, y, w, h, degrees)`` of the rotated rectangle whose corners `points` are (in
    `rotated_corners`' order), or ``None`` when they are not such a rectangle."""
    if len(points) != 4:
        return None
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    ax, ay, bx, by = x1 - x0, y1 - y0, x3 - x0, y3 - y0
    w, h = math.hypot(ax, ay), math.hypot(bx, by)
    if w == 0 or h == 0:
        return None
    square = RECT_TOLERANCE * w * h
    if abs(ax * bx + ay * by) > square or ax * by - ay * bx <= 0:
        return None  # not a right angle, or the corners run the other way round
    if math.hypot(x2 - (x1 + bx), y2 - (y1 + by)) > RECT_TOLERANCE * (w + h):
        return None
    return x0, y0, w, h, math.degrees(math.atan2(ay, ax))
