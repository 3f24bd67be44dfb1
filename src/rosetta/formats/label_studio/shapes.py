"""A Label Studio region's shape as Rosetta geometry, in pixels, seconds and code points.

Percentages become pixels exactly (`coords`); each conversion notes in ``kept`` the file's
number where the writer could not give it back from the pixels (``kept[key]``: a box's
``x, y, width, height`` or a polygon's ``x, y`` pairs, ``None`` where not needed; key
``""`` for an image, the 0-based frame for a track's key frame), and a rotated rectangle's
five numbers under ``"r" + key``, since turning its corners rounds them. An ellipse keeps
its five numbers (``x, y, radiusX, radiusY, rotation``) under ``"e"``, a vector path
(Label Studio's polylines and closed paths) ``"closed"`` or ``"open"`` and its vertices'
ids under ``"v"``: the writer writes them back as they were while the geometry is the one
they give.
"""

from typing import Any

from rosetta.core.geometry import (
    Box,
    Interval,
    Keypoints,
    Mask,
    Polygon,
    TextSpan,
    Track,
    TrackFrame,
)
from rosetta.core.modality import Modality
from rosetta.core.schema import Stream
from rosetta.formats.interchange import Origin
from rosetta.formats.label_studio.coords import (
    ellipse_points,
    kept_percent,
    rotated_corners,
    to_pixels,
)
from rosetta.formats.label_studio.document import (
    JsonObject,
    as_list,
    as_number,
    as_object,
    checked,
)
from rosetta.formats.label_studio.rle import brush_to_rle

Kept = dict[str, list[str | None]]


def shape_geometry(shape: JsonObject, stream: Stream, origin: Origin, kept: Kept) -> Any:
    """The geometry of the shape result `shape` drawn on `stream`."""
    kind = shape["type"]
    value = shape["value"]
    if kind == "labels":
        start = as_number(value.get("start"), origin, "value.start")
        end = as_number(value.get("end"), origin, "value.end")
        if stream.modality is Modality.TEXT:
            return text_span(int(start), int(end), value, stream, origin)
        if stream.media.duration is None:
            raise origin.error(
                "value.end",
                f"the length of {stream.uri!r} is unknown (no original_length in its results, "
                "no file for it under the media root) and an interval needs it",
            )
        return checked(lambda: Interval(start=float(start), end=float(end)), origin, "value")
    if kind == "videorectangle":
        return video_track(value, stream, origin, kept)
    width, height = stream.media.width, stream.media.height
    if width is None or height is None:
        raise origin.error(
            "original_width", "expected the image's size (original_width, original_height)"
        )
    if kind.startswith("rectangle"):
        return rectangle(value, (width, height), origin, kept, where="value")
    if kind.startswith("polygon"):
        pairs = []
        for i, point in enumerate(as_list(value.get("points"), origin, "value.points")):
            pair = as_list(point, origin, f"value.points[{i}]")
            if len(pair) != 2:
                raise origin.error(
                    f"value.points[{i}]", f"expected [x, y], got {len(pair)} numbers"
                )
            where = f"value.points[{i}]"
            pairs.append(
                (
                    as_number(pair[0], origin, f"{where}[0]"),
                    as_number(pair[1], origin, f"{where}[1]"),
                )
            )
        pixels = _pixels(pairs, (width, height), kept)
        return checked(lambda: Polygon(points=pixels), origin, "value.points")
    if kind.startswith("ellipse"):
        return ellipse(value, (width, height), origin, kept)
    if kind.startswith("vector"):
        return vector_path(value, (width, height), origin, kept)
    if kind.startswith("keypoint"):
        x = as_number(value.get("x"), origin, "value.x")
        y = as_number(value.get("y"), origin, "value.y")
        px, py = to_pixels(x, width), to_pixels(y, height)
        kept[""] = [kept_percent(x, px, width), kept_percent(y, py, height)]
        return Keypoints(points=[(px, py, 2)])
    code_format = value.get("format", "rle")
    if code_format != "rle":
        raise origin.error(
            "value.format", f"only Label Studio's 'rle' brush code can be read, not {code_format!r}"
        )
    code = as_list(value.get("rle"), origin, "value.rle")
    try:
        return Mask(rle=brush_to_rle(code, width, height))
    except (ValueError, TypeError) as exc:
        raise origin.error("value.rle", f"not Label Studio's brush code: {exc}") from None


def _pixels(
    pairs: list[tuple[Any, Any]], size: tuple[int, int], kept: Kept
) -> list[tuple[float, float]]:
    """Percent ``(x, y)`` pairs in pixels, the file's numbers kept under ``""`` where the
    pixels would not give them back."""
    width, height = size
    pixels: list[tuple[float, float]] = []
    numbers: list[str | None] = []
    for x, y in pairs:
        px, py = to_pixels(x, width), to_pixels(y, height)
        pixels.append((px, py))
        numbers += [kept_percent(x, px, width), kept_percent(y, py, height)]
    kept[""] = numbers
    return pixels


def ellipse(value: JsonObject, size: tuple[int, int], origin: Origin, kept: Kept) -> Polygon:
    """An ellipse (``x, y`` its centre, ``radiusX`` and ``radiusY`` in percent of the width
    and of the height, ``rotation`` in degrees): the `Polygon` of `ellipse_points`, its five
    numbers kept under ``"e"``."""
    width, height = size
    x = as_number(value.get("x"), origin, "value.x")
    y = as_number(value.get("y"), origin, "value.y")
    rx = as_number(value.get("radiusX"), origin, "value.radiusX")
    ry = as_number(value.get("radiusY"), origin, "value.radiusY")
    rotation = as_number(value.get("rotation", 0), origin, "value.rotation")
    if rx <= 0 or ry <= 0:
        raise origin.error("value.radiusX", f"expected positive radii, got {rx} and {ry}")
    kept["e"] = [str(number) for number in (x, y, rx, ry, rotation)]
    points = ellipse_points(
        to_pixels(x, width),
        to_pixels(y, height),
        to_pixels(rx, width),
        to_pixels(ry, height),
        float(rotation),
    )
    return checked(lambda: Polygon(points=points), origin, "value")


def vector_path(
    value: JsonObject, size: tuple[int, int], origin: Origin, kept: Kept
) -> Polygon | Keypoints:
    """A vector path (``vertices``, each ``x, y`` in percent and the id of the vertex
    before it): a closed one is a `Polygon`, an open one (a polyline) `Keypoints` along it,
    in path order, all seen. Bézier vertices and branching (skeleton) paths have no
    Rosetta geometry: an error names them."""
    closed = value.get("closed", False)
    if not isinstance(closed, bool):
        raise origin.error("value.closed", f"expected true or false, got {closed!r}")
    pairs = []
    ids: list[str | None] = []
    for i, item in enumerate(as_list(value.get("vertices"), origin, "value.vertices")):
        where = f"value.vertices[{i}]"
        vertex = as_object(item, origin, where)
        if vertex.get("isBezier"):
            raise origin.error(
                where, "a Bézier vertex has no Rosetta geometry (only straight sides)"
            )
        before = vertex.get("prevPointId")
        if before != (ids[-1] if ids else None):
            raise origin.error(
                f"{where}.prevPointId",
                f"expected the vertex before it ({ids[-1] if ids else None!r}): a branching "
                "path has no Rosetta geometry",
            )
        ids.append(str(vertex.get("id", f"point-{i + 1}")))
        pairs.append(
            (
                as_number(vertex.get("x"), origin, f"{where}.x"),
                as_number(vertex.get("y"), origin, f"{where}.y"),
            )
        )
    kept["v"] = ["closed" if closed else "open", *ids]
    pixels = _pixels(pairs, size, kept)
    if closed:
        return checked(lambda: Polygon(points=pixels), origin, "value.vertices")
    return checked(
        lambda: Keypoints(points=[(x, y, 2) for x, y in pixels]), origin, "value.vertices"
    )


def text_span(start: int, end: int, value: JsonObject, stream: Stream, origin: Origin) -> TextSpan:
    """A text region: code-point offsets, checked against the region's ``text``; offsets
    that count UTF-16 code units (Label Studio before 1.6) are converted."""
    text = stream.text or ""
    quoted = value.get("text")
    if quoted is not None and text[start:end] != quoted:
        units = text.encode("utf-16-le")
        if units[2 * start : 2 * end].decode("utf-16-le", errors="replace") != quoted:
            raise origin.error(
                "value.start",
                f"the offsets [{start}, {end}) cover {text[start:end]!r}, not the region's "
                f"text {quoted!r}",
            )
        start = len(units[: 2 * start].decode("utf-16-le"))
        end = start + len(quoted)
    return checked(lambda: TextSpan(start=start, end=end), origin, "value")


def rectangle(
    value: JsonObject,
    size: tuple[int, int],
    origin: Origin,
    kept: Kept,
    *,
    where: str,
    key: str = "",
    frame: int | None = None,
    turned: bool = False,
) -> Box | Polygon:
    """A rectangle (``x, y, width, height`` in percent, ``rotation`` in degrees): a `Box`,
    or the `Polygon` of its corners when it is rotated or `turned` is asked for. A negative
    width or height (drawn leftwards or upwards) counts from the other corner (in decimal
    arithmetic, exact for Label Studio's numbers, so the sums can be kept too)."""
    width, height = size
    x = as_number(value.get("x"), origin, f"{where}.x")
    y = as_number(value.get("y"), origin, f"{where}.y")
    w = as_number(value.get("width"), origin, f"{where}.width")
    h = as_number(value.get("height"), origin, f"{where}.height")
    rotation = as_number(value.get("rotation", 0), origin, f"{where}.rotation")
    if w == 0 or h == 0:
        raise origin.error(f"{where}.width", f"expected a rectangle of some size, got {w} x {h}")
    if rotation or turned:
        kept["r" + key] = [str(number) for number in (x, y, w, h, rotation)]
        corners = rotated_corners(
            to_pixels(x, width),
            to_pixels(y, height),
            to_pixels(w, width),
            to_pixels(h, height),
            float(rotation),
        )
        return checked(lambda: Polygon(points=corners, frame=frame), origin, where)
    if w < 0:
        x, w = x + w, -w
    if h < 0:
        y, h = y + h, -h
    px, py = to_pixels(x, width), to_pixels(y, height)
    pw, ph = to_pixels(w, width), to_pixels(h, height)
    kept[key] = [
        kept_percent(x, px, width),
        kept_percent(y, py, height),
        kept_percent(w, pw, width),
        kept_percent(h, ph, height),
    ]
    return checked(lambda: Box(x=px, y=py, w=pw, h=ph, frame=frame), origin, where)


def video_track(value: JsonObject, stream: Stream, origin: Origin, kept: Kept) -> Track:
    """A ``videorectangle``: its ``sequence`` of key frames (frame numbers from 1) as a
    track, of boxes, or of polygons when any key frame is rotated. ``enabled: false``
    shows the box on its own frame and hides it after, until the next key frame (Label
    Studio's ``isInLifespan``), so the next frame becomes an outside key frame unless a key
    frame follows at once or the video ends."""
    media = stream.media
    if media.width is None or media.height is None or media.frame_count is None:
        raise origin.error(
            "value.sequence",
            f"a track needs the size and frame count of {stream.uri!r}: no file for it under "
            "the media root",
        )
    numbered: list[tuple[int, str, JsonObject]] = []
    for i, entry in enumerate(as_list(value.get("sequence"), origin, "value.sequence")):
        where = f"value.sequence[{i}]"
        item = as_object(entry, origin, where)
        frame = as_number(item.get("frame"), origin, f"{where}.frame")
        if frame < 1 or frame != int(frame):
            raise origin.error(f"{where}.frame", f"expected a frame number from 1, got {frame}")
        numbered.append((int(frame) - 1, where, item))
    numbered.sort(key=lambda entry: entry[0])
    rotated = any(item.get("rotation", 0) for _, _, item in numbered)
    size = (media.width, media.height)
    keys: list[TrackFrame] = []
    for i, (index, where, item) in enumerate(numbered):
        shape = rectangle(
            item, size, origin, kept, where=where, key=str(index), frame=index, turned=rotated
        )
        fields: JsonObject = (
            {"points": shape.points}
            if isinstance(shape, Polygon)
            else {"x": shape.x, "y": shape.y, "w": shape.w, "h": shape.h}
        )
        keys.append(TrackFrame(frame=index, **fields))
        if item.get("enabled", True) is False:
            following = numbered[i + 1][0] if i + 1 < len(numbered) else None
            if (following is None or following > index + 1) and index + 1 < media.frame_count:
                keys.append(TrackFrame(frame=index + 1, outside=True, **fields))
    return checked(
        lambda: Track(shape="polygon" if rotated else None, keyframes=keys),
        origin,
        "value.sequence",
    )
