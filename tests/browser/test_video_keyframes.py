"""Key frames of a video track edited in Chromium over a fresh demo store each: the
slideshow's first track, dragged on a frame between its key frames, gets a key frame on
exactly that frame with the box where it was dropped (checked through the HTTP API after
the autosave); a resize updates that key frame, Shift+N deletes it, ] and [ and the
strip's marks go to the key frames around; and a box drawn with the box tool on the
paused video becomes a new track with one key frame on the frame shown
(``workspace-video-keyframes.png``)."""

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from browser.conftest import DemoServer, log_in
from rosetta.demo.build import DEMO_PROJECT

SLIDESHOW = f"/app/s/slideshow?project={DEMO_PROJECT}"
TRACK = "slideshow.track-1"
#: The slideshow video: its size in pixels and frame rate.
WIDTH, HEIGHT, FPS = 320, 240, 25


def open_slideshow(page: Page, server: DemoServer) -> list[str]:
    """Log in as the reviewer and open the slideshow with its video ready; the page's
    uncaught errors are collected in the list returned."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.goto(server.url + SLIDESHOW)
    log_in(page, "grace")
    expect(page.locator(".player-video")).to_have_attribute("data-frame", "0")
    return problems


def keyframes(page: Page, server: DemoServer, annotation: str) -> list[dict[str, Any]]:
    """The key frames of track `annotation` as the server has them now."""
    answer = page.request.get(f"{server.url}/api/samples/slideshow")
    assert answer.ok, answer.text()
    found = [a for a in answer.json()["annotations"] if a["id"] == annotation]
    assert len(found) == 1, found
    frames: list[dict[str, Any]] = found[0]["geometry"]["keyframes"]
    return frames


def show_frame(page: Page, frame: int) -> None:
    """Seek the paused video to `frame` with the position slider and leave the keys to the page."""
    page.get_by_label("Position").fill(str((frame + 0.5) / FPS))
    page.get_by_role("heading", level=1).click()
    expect(page.locator(".player-video")).to_have_attribute("data-frame", str(frame))


def on_video(page: Page, x: float, y: float) -> tuple[float, float]:
    """The page coordinates of video pixel (x, y)."""
    box = page.locator(".video-overlay").bounding_box()
    assert box is not None
    scale = box["width"] / WIDTH
    return box["x"] + x * scale, box["y"] + y * scale


def drag_on_video(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*on_video(page, *start))
    page.mouse.down()
    page.mouse.move(*on_video(page, *end), steps=8)
    page.mouse.up()


def saved(page: Page) -> None:
    """Wait for the autosave of the edit just made."""
    state = page.get_by_role("status", name="Save state")
    expect(state).not_to_have_text("Saved")
    expect(state).to_have_text("Saved", timeout=10_000)


def box_of(key: dict[str, Any]) -> list[float]:
    return [key["x"], key["y"], key["w"], key["h"]]


def near(found: list[float], wanted: list[float]) -> bool:
    """Whether pixel coordinates match within what a mouse at screen pixels can hit (the
    video is drawn about twice its size)."""
    return all(abs(f - w) <= 1 for f, w in zip(found, wanted, strict=True))


def interpolated(before: dict[str, Any], after: dict[str, Any], frame: int) -> list[float]:
    t = (frame - before["frame"]) / (after["frame"] - before["frame"])
    return [a + (b - a) * t for a, b in zip(box_of(before), box_of(after), strict=True)]


def track_outline(page: Page, annotation: str) -> Locator:
    return page.locator(f".video-overlay [data-annotation='{annotation}']")


def test_dragging_a_track_sets_a_key_frame_on_the_frame_shown(
    page: Page, fresh_demo: DemoServer
) -> None:
    problems = open_slideshow(page, fresh_demo)
    video = page.locator(".player-video")
    original = keyframes(page, fresh_demo, TRACK)
    first, last = original[0], original[1]
    frame = (first["frame"] + last["frame"]) // 2 + 3
    assert frame not in [key["frame"] for key in original]

    show_frame(page, frame)
    outline = track_outline(page, TRACK)
    expect(outline).to_have_attribute("data-key", "false")
    outline.locator("polygon").click()
    expect(outline).to_have_attribute("data-selected", "true")
    lane = page.locator(f".keyframe-lane[data-track='{TRACK}']")
    expect(lane).to_have_attribute("data-selected", "true")
    expect(lane.locator(".key")).to_have_count(len(original))

    # move the interpolated box 30 px right: a key frame on exactly this frame
    x, y, w, h = interpolated(first, last, frame)
    drag_on_video(page, (x + w / 2, y + h / 2), (x + w / 2 + 30, y + h / 2 + 20))
    expect(outline).to_have_attribute("data-key", "true")
    expect(video).to_have_attribute("data-frame", str(frame))
    saved(page)
    stored = keyframes(page, fresh_demo, TRACK)
    assert [key["frame"] for key in stored] == sorted([frame, *(k["frame"] for k in original)])
    added = next(key for key in stored if key["frame"] == frame)
    assert near(box_of(added), [x + 30, 0, w, HEIGHT]), added  # full height: y stays 0
    assert added["outside"] is False
    assert [key for key in stored if key["frame"] != frame] == original
    expect(lane.locator(f".key[data-frame='{frame}']")).to_have_count(1)

    # its left side dragged 15 px right: the same key frame, narrower
    moved = box_of(added)
    drag_on_video(page, (moved[0], HEIGHT / 2), (moved[0] + 15, HEIGHT / 2))
    saved(page)
    resized = next(key for key in keyframes(page, fresh_demo, TRACK) if key["frame"] == frame)
    assert near(box_of(resized), [moved[0] + 15, 0, moved[2] - 15, HEIGHT]), resized

    # ] and [ go to the key frames around it; Shift+N on it deletes it
    page.keyboard.press("]")
    expect(video).to_have_attribute("data-frame", str(last["frame"]))
    page.keyboard.press("[")
    expect(video).to_have_attribute("data-frame", str(frame))
    page.keyboard.press("Shift+N")
    expect(outline).to_have_attribute("data-key", "false")
    saved(page)
    assert keyframes(page, fresh_demo, TRACK) == original
    # a key frame's mark in the strip goes there
    lane.locator(f".key[data-frame='{first['frame']}']").click()
    expect(video).to_have_attribute("data-frame", str(first["frame"]))
    expect(outline).to_have_attribute("data-key", "true")
    assert problems == []


def test_a_box_drawn_on_the_paused_video_starts_a_track(
    page: Page, fresh_demo: DemoServer, screenshots: Path
) -> None:
    problems = open_slideshow(page, fresh_demo)
    show_frame(page, 40)
    page.keyboard.press("b")
    drag_on_video(page, (40, 50), (140, 170))
    picker = page.get_by_role("dialog", name="Label the new track")
    expect(picker.get_by_role("option", name=re.compile("speech"))).to_have_count(0)
    picker.get_by_label("Search the classes").fill("car")
    picker.get_by_label("Search the classes").press("Enter")
    expect(picker).to_have_count(0)
    saved(page)

    answer = page.request.get(f"{fresh_demo.url}/api/samples/slideshow")
    made = [a for a in answer.json()["annotations"] if a["label"] == "car"]
    assert len(made) == 1, made
    [key] = made[0]["geometry"]["keyframes"]
    assert key["frame"] == 40 and key["outside"] is False, key
    assert near(box_of(key), [40, 50, 100, 120]), key
    outline = track_outline(page, made[0]["id"])
    expect(outline).to_have_attribute("data-selected", "true")
    expect(outline).to_have_attribute("data-key", "true")
    page.keyboard.press("v")
    page.screenshot(path=screenshots / "workspace-video-keyframes.png", full_page=True)
    assert problems == []
