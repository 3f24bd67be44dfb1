"""A Label Studio region's shape as Rosetta geometry, in pixels, seconds and code points.

Percentages become pixels exactly (`coords`); each conversion notes in ``kept`` the file's
number where the writer could not give it back from the pixels (``kept[key]``: a box's
``x, y, width, height`` or a polygon's ``x, y`` pairs, ``None`` where not needed; key
``""`` for an image, the 0-based frame for a track's key frame), and a rotated rectangle's
five numbers under ``"r" + key``, since turning its corners rounds them.
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
from rosetta.formats.label_studio.coords import kept_percent, rotated_corners, to_pixels
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
        pixels: list[tuple[float, float]] = []
        numbers: list[str | None] = []
        for i, point in enumerate(as_list(value.get("points"), origin, "value.points")):
            pair = as_list(point, origin, f"value.points[{i}]")
            if len(pair) != 2:
                raise origin.error(
                    f"value.points[{i}]", f"expected [x, y], got {len(pair)} numbers"
                )
            x = as_number(pair[0], origin, f"value.points[{i}][0]")
            y = as_number(pair[1], origin, f"value.points[{i}][1]")
            px, py = to_pixels(x, width), to_pixels(y, height)
            pixels.append((px, py))
            numbers += [kept_percent(x, px, width), kept_percent(y, py, height)]
        kept[""] = numbers
        return checked(lambda: Polygon(points=pixels), origin, "value.points")
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
