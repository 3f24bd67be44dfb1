"""Masks and keypoints on the image pane, in Chromium over a fresh demo store: the portrait
photo gets a ring-shaped mask (encoded by pycocotools) and a person's keypoints through the
editing service. The mask is painted in its class colour on the layer of annotations at
rest, only on its pixels (not in its hole); a click on it selects it and lights it, a click
in its hole does not. The pointer over a keypoint names it; a keypoint dragged with the
mouse is lit as the active point, saved where it was dropped (kept inside the image) and
undone, one drag at a time."""

import colorsys
import time
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, expect
from pycocotools import mask as coco_mask

from browser.conftest import DemoServer
from browser.test_editing import PHOTO, drag_on_photo, expect_saved, on_photo, open_portrait, stored
from rosetta.core.geometry import Keypoints, Mask, Rle
from rosetta.core.schema import Annotation
from rosetta.demo.build import ANNOTATOR, DEMO_PROJECT
from rosetta.services.editing import create_annotation
from rosetta.services.projects import find_project

#: The ring: centre and radii in photo pixels, right of the astronaut and below the shuttle
#: (no box there takes the click first).
CENTRE, OUTER, INNER = (440.0, 410.0), 55.0, 25.0
#: The keypoints, right of the shuttle: seen, hidden, absent.
POINTS = [(490.0, 60.0, 2), (495.0, 150.0, 1), (0.0, 0.0, 0)]
LAYERS = ".image-frame .konvajs-content canvas"


def ring() -> Rle:
    y, x = np.mgrid[0:PHOTO, 0:PHOTO]
    distance = np.hypot(x + 0.5 - CENTRE[0], y + 0.5 - CENTRE[1])
    pixels = ((distance <= OUTER) & (distance > INNER)).astype(np.uint8)
    encoded = coco_mask.encode(np.asfortranarray(pixels))
    return Rle(size=(PHOTO, PHOTO), counts=encoded["counts"].decode("ascii"))


def label_rgb(label: str) -> tuple[int, int, int]:
    """The colour the workspace gives `label` (web/src/ui/colour.ts: FNV-1a hue, 70 %, 42 %)."""
    hashed = 0x811C9DC5
    for char in label:
        hashed = ((hashed ^ ord(char)) * 0x01000193) & 0xFFFFFFFF
    red, green, blue = colorsys.hls_to_rgb((hashed % 360) / 360, 0.42, 0.70)
    return round(red * 255), round(green * 255), round(blue * 255)


#: The RGBA of a photo pixel on one of the pane's Konva layers.
PIXEL = """([selector, layer, x, y, size]) => {
    const canvas = document.querySelectorAll(selector)[layer];
    const scale = canvas.width / size;
    return Array.from(canvas.getContext("2d").getImageData(x * scale, y * scale, 1, 1).data);
}"""


def layer_pixel(page: Page, layer: int, x: float, y: float) -> list[int]:
    """The RGBA of photo pixel (x, y) on the pane's Konva layer `layer` (0 the photo, 1 the
    annotations at rest, 2 the lit ones)."""
    return page.evaluate(PIXEL, [LAYERS, layer, x, y, PHOTO])  # type: ignore[no-any-return]


def drawn_pixel(page: Page, layer: int, x: float, y: float, seconds: float = 5) -> list[int]:
    """`layer_pixel` once something is drawn there: Konva draws a layer on the animation
    frame after the change, which may come after the inspector shows it."""
    deadline = time.monotonic() + seconds
    while (found := layer_pixel(page, layer, x, y))[3] == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(20)
    return found


def close_to(found: list[int], wanted: tuple[int, ...], tolerance: int = 8) -> bool:
    return all(abs(f - w) <= tolerance for f, w in zip(found, wanted, strict=True))


@pytest.fixture
def portrait_with_mask_and_keypoints(fresh_demo: DemoServer) -> DemoServer:
    with fresh_demo.engine.connect() as connection:
        project = find_project(connection, DEMO_PROJECT)
    for annotation in (
        Annotation(
            id="portrait.patch", stream="portrait.photo", label="object", geometry=Mask(rle=ring())
        ),
        Annotation(
            id="portrait.pose",
            stream="portrait.photo",
            label="person",
            geometry=Keypoints(points=POINTS, names=["head", "hand", "foot"]),
        ),
    ):
        create_annotation(fresh_demo.engine, project.id, "portrait", annotation, ANNOTATOR)
    return fresh_demo


def geometry_of(page: Page, server: DemoServer, annotation: str) -> dict[str, Any]:
    found = next(a for a in stored(page, server)["annotations"] if a["id"] == annotation)
    return found["geometry"]  # type: ignore[no-any-return]


def test_a_mask_is_painted_on_its_pixels_and_selected_by_them(
    page: Page, portrait_with_mask_and_keypoints: DemoServer
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    open_portrait(page, portrait_with_mask_and_keypoints, "ada")
    expect(page.get_by_role("img", name="photo with 5 shapes drawn")).to_be_visible()
    on_ring = (CENTRE[0], CENTRE[1] - (OUTER + INNER) / 2)
    in_hole, outside = CENTRE, (CENTRE[0] - OUTER - 8, CENTRE[1])
    colour = label_rgb("object")

    # at rest: the class colour, 45 % opaque, on the ring only
    assert close_to(layer_pixel(page, 1, *on_ring), (*colour, round(0.45 * 255)))
    assert layer_pixel(page, 1, *in_hole)[3] == 0
    assert layer_pixel(page, 1, *outside)[3] == 0
    assert layer_pixel(page, 2, *on_ring)[3] == 0

    # a click in the hole, inside the mask's bounding box, selects nothing
    inspector = page.get_by_role("region", name="Selection")
    page.mouse.click(*on_photo(page, *in_hole))
    expect(inspector).to_contain_text("Nothing selected")

    # a click on the ring selects the mask and lights it on the layer above
    page.mouse.click(*on_photo(page, *on_ring))
    expect(inspector.get_by_role("heading", name="object mask on photo")).to_be_visible()
    lit = drawn_pixel(page, 2, *on_ring)
    assert close_to(lit[:3], colour)
    assert lit[3] >= 0.8 * 255  # 80 % opaque, and its glow under it
    assert layer_pixel(page, 2, *in_hole)[3] < 255  # only its glow reaches into the hole
    page.mouse.click(*on_photo(page, *in_hole))
    expect(inspector).to_contain_text("Nothing selected")
    assert problems == []


def test_a_keypoint_is_dragged_saved_kept_inside_and_undone(
    page: Page, portrait_with_mask_and_keypoints: DemoServer
) -> None:
    server = portrait_with_mask_and_keypoints
    open_portrait(page, server, "ada")
    colour = label_rgb("person")
    assert close_to(layer_pixel(page, 1, *POINTS[0][:2]), (*colour, 255))
    # the hidden point is hollow: white inside
    assert close_to(layer_pixel(page, 1, *POINTS[1][:2]), (255, 255, 255, 255))

    # the pointer over a point names it on a dark tag beside it (a canvas's text cannot be
    # read: the tag's padding, left of the name, is sampled)
    scale = page.evaluate(f"document.querySelector('{LAYERS}').width") / PHOTO
    tag = (POINTS[0][0] + 9.5 / scale, POINTS[0][1] - 17 / scale)
    assert layer_pixel(page, 2, *tag)[3] == 0
    page.mouse.move(*on_photo(page, *POINTS[0][:2]))
    page.wait_for_function(f"(at) => ({PIXEL})(at)[3] > 0", arg=[LAYERS, 2, *tag, PHOTO])
    assert close_to(layer_pixel(page, 2, *tag), (16, 24, 40, round(0.85 * 255)))

    inspector = page.get_by_role("region", name="Selection")
    drag_on_photo(page, POINTS[0][:2], (470, 100))
    expect(inspector.get_by_role("heading", name="person keypoints on photo")).to_be_visible()
    # the point pressed is the active one: lit white with a ring of the class colour
    assert close_to(layer_pixel(page, 2, 470, 100), (255, 255, 255, 255))
    expect_saved(page)
    points = geometry_of(page, server, "portrait.pose")["points"]
    assert all(abs(f - w) <= 1.5 for f, w in zip(points[0][:2], (470, 100), strict=True))
    assert points[0][2] == 2
    assert points[1:] == [list(p) for p in POINTS[1:]]

    # dragged past the right edge, the hidden point stops on it and stays hidden
    drag_on_photo(page, POINTS[1][:2], (PHOTO + 30, 160))
    expect_saved(page)
    points = geometry_of(page, server, "portrait.pose")["points"]
    assert points[1][0] == PHOTO
    assert abs(points[1][1] - 160) <= 1.5
    assert points[1][2] == 1

    # undo brings the hidden point back, then the first one
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    expect_saved(page)
    assert geometry_of(page, server, "portrait.pose")["points"] == [list(p) for p in POINTS]
