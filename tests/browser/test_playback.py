"""Playback on one master clock in Chromium: the narrated slideshow of the demo plays, and
the video frame, the audio cursor and the transcript word agree within one video frame,
while playing and after seeks; paused, the video steps frame by frame exactly. The
screenshot is ``workspace-playback.png``.

Every time pane exposes its position on data attributes (``data-time``: the sample time of
its media element or cursor; ``data-frame``, ``data-word``, ``data-row``, ``data-sweep``),
which the tests read in one script, so one animation frame's values are compared.
"""

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from browser.conftest import log_in
from rosetta.demo.build import DEMO_PROJECT, read_sentences

FRAME = 1 / 25
SLIDESHOW = f"/app/s/slideshow?project={DEMO_PROJECT}"

#: Reads every pane's position in one go (one animation frame's values).
READ_POSITIONS = """() => {
  const read = (selector, name) => document.querySelector(selector)?.getAttribute(name) ?? null;
  return {
    clock: Number(read('.transport', 'data-time')),
    playing: read('.transport', 'data-playing') === 'true',
    video: Number(read('.player-video', 'data-time')),
    frame: Number(read('.player-video', 'data-frame')),
    audio: Number(read('.player-audio', 'data-time')),
    word: read('.player-audio', 'data-word'),
    now: [...document.querySelectorAll('.player-audio .word.now')].map((word) => word.textContent),
    series: Number(read('.series', 'data-time')),
    row: Number(read('.series', 'data-row')),
    sweep: Number(read('.player-pointcloud', 'data-sweep')),
  };
}"""


@dataclass(frozen=True)
class Positions:
    """What the panes showed at one animation frame."""

    clock: float
    playing: bool
    video: float
    frame: int
    audio: float
    word: str | None
    now: list[str]
    series: float
    row: int
    sweep: int


def positions(page: Page) -> Positions:
    """Every pane's position, read in one script."""
    values: dict[str, Any] = page.evaluate(READ_POSITIONS)
    return Positions(**values)


def spoken_words() -> list[tuple[str, float, float]]:
    """The narration's words with their times on the slideshow's timeline (seconds)."""
    return [
        (word, (sentence.offset_ms + start) / 1000, (sentence.offset_ms + end) / 1000)
        for sentence in read_sentences()
        for word, start, end in sentence.words
    ]


WORDS = spoken_words()


def words_near(t: float) -> set[str]:
    """The words spoken within one frame of `t` ("" for a pause there)."""
    near = {word for word, start, end in WORDS if start - FRAME <= t < end + FRAME}
    spoken = {word for word, start, end in WORDS if start <= t < end}
    return near if spoken == near else near | {""}


def assert_video_with_audio(p: Positions) -> None:
    """The video shows the frame the audio is in or a neighbour: the element's time moves by
    frames, so a time difference just over 40 ms can still be the neighbouring frame."""
    assert abs(p.frame - math.floor(p.audio / FRAME)) <= 1, p
    assert abs(p.video - p.audio) < 2 * FRAME, p


def assert_in_step(p: Positions) -> None:
    """Video, audio cursor and transcript word within one frame of each other (the video by
    its frame, `assert_video_with_audio`); the word highlighted on screen is checked where
    the clock stands still, as React draws it on its own schedule."""
    assert_video_with_audio(p)
    assert abs(p.audio - p.clock) <= FRAME, p
    assert p.word in words_near(p.audio), p


def wait_for_time(page: Page, low: float, high: float) -> None:
    """Wait until the audio pane shows a sample time in ``[low, high]``."""
    page.wait_for_function(
        f"() => {{ const t = Number(document.querySelector('.player-audio').dataset.time);"
        f" return t >= {low} && t <= {high}; }}"
    )


def open_slideshow(page: Page) -> list[str]:
    """Log in as the reviewer and open the slideshow with its panes ready; the page's
    uncaught errors are collected in the list returned."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.goto("/app/login")
    log_in(page, "grace")
    expect(page.get_by_role("list", name="Projects")).to_be_visible()
    page.goto(SLIDESHOW)
    expect(page.locator(".player-video")).to_have_attribute("data-frame", "0")
    expect(page.locator(".player-audio .waveform")).to_have_attribute("data-state", "done")
    return problems


def test_transcript_word_and_audio_cursor_follow_the_video(page: Page) -> None:
    problems = open_slideshow(page)
    expect(page.get_by_role("region", name="narration")).to_contain_text("waveform")
    page.get_by_role("button", name="Play").click()
    wait_for_time(page, 0.5, 9)
    # the clock follows the narration's element, the hardware clock
    expect(page.locator(".transport")).to_have_attribute("data-leader", "slideshow.narration")
    for _ in range(8):
        assert_in_step(positions(page))
        page.wait_for_timeout(150)

    # seek while playing: a word of the transcript, then the position slider
    for word, start in [("tabby", 3.701), ("espresso", 7.27), ("astronaut", 0.069)]:
        page.locator(".player-audio .word", has_text=re.compile(rf"^{word}$")).click()
        wait_for_time(page, start, start + 0.8)
        page.wait_for_timeout(400)
        p = positions(page)
        assert p.playing
        assert_in_step(p)
    page.get_by_label("Position").fill("5.5")
    wait_for_time(page, 5.5, 6.5)
    page.wait_for_timeout(400)
    assert_in_step(positions(page))

    # paused (K; the slider owns the keys while focused), the video shows the clock's frame
    page.get_by_role("heading", level=1).click()
    page.locator("body").press("k")
    expect(page.locator(".transport")).to_have_attribute("data-playing", "false")
    page.wait_for_timeout(200)
    paused = positions(page)
    assert paused.frame == int(paused.clock * 25 + 1e-9), paused
    expect(page.locator(".player-audio .word.now")).to_have_count(1 if paused.word else 0)
    assert paused.now == ([paused.word] if paused.word else []), paused
    assert problems == []


def test_paused_video_steps_frame_by_frame_and_selects(page: Page, screenshots: Path) -> None:
    problems = open_slideshow(page)
    video = page.locator(".player-video")
    expect(video.locator("[data-annotation='slideshow.track-1']")).to_have_attribute(
        "data-key", "true"
    )
    page.get_by_label("Position").fill("3.7")
    page.get_by_role("heading", level=1).click()
    frame = int(3.7 * 25)
    expect(video).to_have_attribute("data-frame", str(frame))
    for key, step in [(".", 1), (".", 1), (",", -1)]:
        page.locator("body").press(key)
        frame += step
        expect(video).to_have_attribute("data-frame", str(frame))
        p = positions(page)
        assert abs(p.audio - frame * FRAME) < 1e-6, p
        assert frame * FRAME < p.video < (frame + 1) * FRAME, p
    expect(page.get_by_label("Frame", exact=True)).to_have_text(f"frame {frame} / 243")

    # a click on a region or a shape selects its annotation everywhere (the region under the
    # mouse is hovered too)
    region = page.locator(".player-audio .waveform [data-annotation='slideshow.line-2']")
    region.click()
    expect(region).to_have_attribute("data-selected", "")
    expect(page.locator(".player-audio p[data-annotation='slideshow.line-2']")).to_contain_class(
        "selected"
    )
    page.locator(".player-audio .word", has_text=re.compile(r"^cat$")).click()
    page.locator(".video-overlay [data-annotation='slideshow.track-2'] polygon").click()
    expect(video.locator("[data-annotation='slideshow.track-2']")).to_have_attribute(
        "data-selected", "true"
    )
    expect(page.locator(".player-audio .word.now")).to_have_text("cat")
    cat = next(start for word, start, _ in WORDS if word == "cat")
    expect(video).to_have_attribute("data-frame", str(int(cat * 25)))
    page.screenshot(path=screenshots / "workspace-playback.png", full_page=True)
    assert problems == []
