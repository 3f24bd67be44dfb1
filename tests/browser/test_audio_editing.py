"""Editing audio regions in Chromium over a fresh demo store each: an interval drawn by
dragging on the waveform (over the regions already there), labelled, resized by its edge,
moved, undone, found after a reload and accepted in review; Escape dropping a drag; a
transcript segment refusing to lose its words; a segment moved on the slideshow's aligned
narration carrying its words along and flagging its confirmed link as stale; the zoom keys
and Ctrl+wheel; and an interval drawn near the end of an hour of audio, zoomed in, drawn
from its prepared peaks without downloading the file."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from browser.conftest import DemoServer, log_in, require_built_workspace, served
from browser.test_playback_long import HOUR, count_media_bytes, write_hour_of_audio
from rosetta.core.modality import Modality
from rosetta.core.schema import Sample, Stream
from rosetta.demo.build import DEMO_PROJECT, ONTOLOGY_FILE
from rosetta.media.probe import probe
from rosetta.services.accounts import create_user
from rosetta.services.importer import import_samples
from rosetta.services.media_prep import prepare_project
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.engine import open_store
from rosetta.store.events import Actor

PASSWORD = "long-password"


def open_sample(page: Page, server: DemoServer, sample: str) -> None:
    """Log in as the reviewer on the way to `sample` and wait for its waveform's regions."""
    page.goto(f"{server.url}/app/s/{sample}?project={DEMO_PROJECT}")
    log_in(page, "grace")
    expect(page.locator(".player-audio .waveform").first).to_have_attribute("data-state", "done")
    expect(page.locator(".player-audio .waveform [data-annotation]").first).to_be_attached()


def stored(page: Page, server: DemoServer, sample: str) -> dict[str, Any]:
    """The sample as the server has it now (through the page's session)."""
    answer = page.request.get(f"{server.url}/api/samples/{sample}")
    assert answer.ok, answer.text()
    return answer.json()  # type: ignore[no-any-return]


def geometry_of(page: Page, server: DemoServer, sample: str, annotation: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        a["geometry"] for a in stored(page, server, sample)["annotations"] if a["id"] == annotation
    )
    return found


def expect_saved(page: Page) -> None:
    expect(page.get_by_role("status", name="Save state")).to_have_text("Saved", timeout=10_000)


class Wave:
    """The waveform of one audio pane: page x of a media time and back, at the zoom shown."""

    def __init__(self, page: Page, duration: float, pane: int = 0) -> None:
        self.page = page
        self.duration = duration
        self.waveform = page.locator(".player-audio .waveform").nth(pane)
        self.wrapper = self.waveform.locator(".wrapper")
        self.regions = self.waveform.locator("[data-annotation]")

    def box(self) -> dict[str, float]:
        box = self.wrapper.bounding_box()
        assert box is not None
        return box

    def x(self, seconds: float) -> float:
        box = self.box()
        return box["x"] + seconds / self.duration * box["width"]

    @property
    def y(self) -> float:
        box = self.box()
        return box["y"] + box["height"] * 0.7

    @property
    def pixel(self) -> float:
        """Seconds per pixel."""
        return self.duration / self.box()["width"]

    def drag(self, start_x: float, end_x: float, y: float | None = None) -> None:
        at = self.y if y is None else y
        self.page.mouse.move(start_x, at)
        self.page.mouse.down()
        self.page.mouse.move(end_x, at, steps=10)
        self.page.mouse.up()

    def region(self, annotation: str) -> Locator:
        return self.waveform.locator(f"[data-annotation='{annotation}']")

    def left(self, annotation: str) -> float:
        """Where the region starts on the waveform, in media seconds (from its style)."""
        left = self.region(annotation).evaluate("(element) => element.style.left")
        return float(left.rstrip("%")) / 100 * self.duration

    def handle(self, annotation: str, side: str) -> tuple[float, float]:
        box = self.region(annotation).locator(f"[part~='region-handle-{side}']").bounding_box()
        assert box is not None
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def near(found: float, wanted: float, tolerance: float) -> bool:
    return abs(found - wanted) <= tolerance


def open_spoken(page: Page, server: DemoServer) -> tuple[Wave, float]:
    """The first spoken sentence opened, its waveform, and how close a time set with the
    mouse is stored: a pixel of the waveform and half a sample of the 16 kHz audio the
    times are snapped to."""
    open_sample(page, server, "spoken-1")
    sample = stored(page, server, "spoken-1")
    wave = Wave(page, sample["streams"][0]["media"]["duration"])
    return wave, wave.pixel + 1 / 32000


def draw_scene(page: Page, server: DemoServer, wave: Wave, start: float, end: float) -> str:
    """Drag from `start` to `end` seconds on the waveform, label the interval "scene" and
    wait for it to be saved; its id."""
    wave.drag(wave.x(start), wave.x(end))
    picker = page.get_by_role("dialog", name="Label the new interval")
    expect(picker.get_by_role("option", name=re.compile("scene"))).to_be_visible()
    picker.get_by_label("Search the classes").fill("scene")
    picker.get_by_label("Search the classes").press("Enter")
    expect(picker).to_have_count(0)
    expect_saved(page)
    annotations = stored(page, server, "spoken-1")["annotations"]
    drawn = [a["id"] for a in annotations if a["label"] == "scene"]
    assert len(drawn) == 1, drawn
    return drawn[0]


def test_draw_resize_reload_and_review_an_interval(page: Page, fresh_demo: DemoServer) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    wave, tolerance = open_spoken(page, fresh_demo)
    expect(wave.regions).to_have_count(2)

    # a drag over the speaker's turn and the transcript draws a new interval
    scene = draw_scene(page, fresh_demo, wave, 0.8, 1.6)
    interval = geometry_of(page, fresh_demo, "spoken-1", scene)
    assert interval["type"] == "interval"
    assert near(interval["start"], 0.8, tolerance), interval
    assert near(interval["end"], 1.6, tolerance), interval
    region = wave.region(scene)
    expect(region).to_have_attribute("data-selected", "")
    expect(region).to_have_attribute("title", "scene interval")

    # its right edge dragged to 2.2 s
    x, y = wave.handle(scene, "right")
    wave.drag(x, x + wave.x(2.2) - wave.x(interval["end"]), y)
    expect_saved(page)
    resized = geometry_of(page, fresh_demo, "spoken-1", scene)
    assert resized["start"] == interval["start"], resized
    assert near(resized["end"], 2.2, tolerance), resized

    # after a reload: where it was left, and accepted in review
    page.reload()
    expect(wave.waveform).to_have_attribute("data-state", "done")
    expect(region).to_be_attached()
    assert near(wave.left(scene), resized["start"], tolerance)
    region.click()
    expect(region).to_have_attribute("data-selected", "")
    page.keyboard.press("r")
    page.keyboard.press("a")
    expect(region).to_have_attribute("data-review", "accepted")
    expect(region).to_have_attribute("title", "scene interval (accepted)")
    expect(region).to_contain_text("✓ scene")
    assert problems == []


def test_move_escape_and_undo(page: Page, fresh_demo: DemoServer) -> None:
    wave, tolerance = open_spoken(page, fresh_demo)
    scene = draw_scene(page, fresh_demo, wave, 0.6, 1.5)
    region = wave.region(scene)
    drawn = geometry_of(page, fresh_demo, "spoken-1", scene)

    # moved by 0.4 s, its length kept exactly
    middle = wave.x((drawn["start"] + drawn["end"]) / 2)
    wave.drag(middle, middle + wave.x(0.4) - wave.x(0))
    expect_saved(page)
    moved = geometry_of(page, fresh_demo, "spoken-1", scene)
    assert near(moved["start"], drawn["start"] + 0.4, tolerance), moved
    assert abs((moved["end"] - moved["start"]) - (drawn["end"] - drawn["start"])) < 1e-9, moved

    # Escape during a move puts the region back; during a drawing, draws nothing
    middle = wave.x((moved["start"] + moved["end"]) / 2)
    page.mouse.move(middle, wave.y)
    page.mouse.down()
    page.mouse.move(middle + 60, wave.y, steps=6)
    page.keyboard.press("Escape")
    page.mouse.move(middle + 80, wave.y, steps=2)
    page.mouse.up()
    assert near(wave.left(scene), moved["start"], tolerance)
    page.mouse.move(wave.x(2.9), wave.y)
    page.mouse.down()
    page.mouse.move(wave.x(3.2), wave.y, steps=6)
    page.keyboard.press("Escape")
    page.mouse.up()
    expect(page.get_by_role("dialog", name="Label the new interval")).to_have_count(0)
    expect(wave.regions).to_have_count(3)
    # the Escapes were the drags': the selection stays, the page too
    expect(region).to_have_attribute("data-selected", "")
    assert "/app/s/spoken-1" in page.url
    expect_saved(page)
    assert geometry_of(page, fresh_demo, "spoken-1", scene) == moved

    # undo the move: back where it was drawn, on the waveform and on the server
    page.keyboard.press("Control+z")
    expect_saved(page)
    assert geometry_of(page, fresh_demo, "spoken-1", scene) == drawn
    assert near(wave.left(scene), drawn["start"], tolerance)


def test_a_transcript_segment_keeps_its_words(page: Page, fresh_demo: DemoServer) -> None:
    wave, tolerance = open_spoken(page, fresh_demo)
    segment = geometry_of(page, fresh_demo, "spoken-1", "spoken-1.words")

    # the turn and the transcript lie on each other: a click picks one, a second the other
    speaker, words = wave.region("spoken-1.speaker"), wave.region("spoken-1.words")
    page.mouse.click(wave.x(0.4), wave.y)
    expect(speaker).to_have_attribute("data-selected", "")
    page.mouse.click(wave.x(0.4), wave.y)
    expect(words).to_have_attribute("data-selected", "")
    expect(speaker).not_to_have_attribute("data-selected", "")

    # its start dragged past its first word: refused, and the region goes back
    x, y = wave.handle("spoken-1.words", "left")
    wave.drag(x, x + wave.x(0.5) - wave.x(0), y)
    expect(page.get_by_role("alert").filter(has_text="must keep its words")).to_be_visible()
    assert near(wave.left("spoken-1.words"), segment["start"], tolerance)
    assert geometry_of(page, fresh_demo, "spoken-1", "spoken-1.words") == segment

    # its end dragged later: taken, the words as they were
    x, y = wave.handle("spoken-1.words", "right")
    wave.drag(x, x + wave.x(3.3) - wave.x(segment["end"]), y)
    expect_saved(page)
    longer = geometry_of(page, fresh_demo, "spoken-1", "spoken-1.words")
    assert near(longer["end"], 3.3, tolerance), longer
    assert (longer["start"], longer["words"]) == (segment["start"], segment["words"])


def test_moving_a_segment_of_the_aligned_narration(page: Page, fresh_demo: DemoServer) -> None:
    """The narration's clock maps media time to the sample's (an audio sync point): a segment
    dragged 0.3 s on the waveform moves 0.3 s on the sample's timeline with its words, and
    its confirmed synchronized-with link turns stale, flagged on the region."""
    open_sample(page, fresh_demo, "slideshow")
    sample = stored(page, fresh_demo, "slideshow")
    narration = next(s for s in sample["streams"] if s["id"] == "slideshow.narration")
    wave = Wave(page, narration["media"]["duration"])
    line = "slideshow.line-2"
    before = geometry_of(page, fresh_demo, "slideshow", line)
    tolerance = wave.pixel + 1 / 32000
    region = wave.region(line)
    region.click()
    expect(region).to_have_attribute("data-selected", "")
    start = wave.left(line)
    box = region.bounding_box()
    assert box is not None
    middle = box["x"] + box["width"] / 2
    wave.drag(middle, middle + wave.x(start + 0.3) - wave.x(start))
    expect_saved(page)
    after = geometry_of(page, fresh_demo, "slideshow", line)
    shift = after["start"] - before["start"]
    assert near(shift, 0.3, tolerance), (before, after)
    for old, new in zip(before["words"], after["words"], strict=True):
        assert abs(new["start"] - old["start"] - shift) < 1e-9 and new["text"] == old["text"]
    assert near(wave.left(line), start + 0.3, tolerance)
    expect(region).to_have_attribute("data-flagged", "")
    expect(region).to_have_attribute("title", re.compile(r"stale link"))


def test_zoom_with_keys_and_ctrl_wheel(page: Page, fresh_demo: DemoServer) -> None:
    open_sample(page, fresh_demo, "spoken-1")
    waveform = page.locator(".player-audio .waveform")
    zoom_text = page.locator(".player-audio").get_by_label("Zoom", exact=True)
    expect(zoom_text).to_have_text("Whole file")
    fit_width = page.locator(".player-audio .waveform .wrapper").bounding_box()
    assert fit_width is not None

    page.locator("body").press("+")
    expect(zoom_text).to_have_text(re.compile(r"^×2\.0 · "))
    wide = page.locator(".player-audio .waveform .wrapper").evaluate("(e) => e.scrollWidth")
    assert abs(wide - 2 * fit_width["width"]) <= 2, (wide, fit_width)

    # Ctrl+wheel up at a point zooms in and keeps the time under the pointer there
    view = page.locator(".player-audio .waveform .scroll").bounding_box()
    assert view is not None
    pointer = view["x"] + view["width"] * 0.75
    read_time = """([x]) => {
        const wrapper = document.querySelector('.player-audio .waveform > div').shadowRoot.querySelector('.wrapper');
        const box = wrapper.getBoundingClientRect();
        return (x - box.left) / box.width;
    }"""
    share_before = page.evaluate(read_time, [pointer])
    page.mouse.move(pointer, view["y"] + 20)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -125)
    page.keyboard.up("Control")
    # a turn of 125 pixels zooms by √2
    expect(zoom_text).to_have_text(re.compile(r"^×2\.8 · "))
    assert abs(page.evaluate(read_time, [pointer]) - share_before) < 0.002
    assert float(waveform.get_attribute("data-zoom") or 0) > 0

    page.locator("body").press("-")
    page.locator("body").press("0")
    expect(zoom_text).to_have_text("Whole file")
    expect(waveform).to_have_attribute("data-zoom", "0")


@pytest.fixture(scope="module")
def hour_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A server holding one sample of an hour of prepared audio; its base URL and the size
    of the file."""
    require_built_workspace()
    folder = tmp_path_factory.mktemp("hour")
    audio = folder / "hour.wav"
    write_hour_of_audio(audio)
    stream = Stream(
        id="hour-audio",
        name="microphone",
        modality=Modality.AUDIO,
        uri=str(audio),
        media=probe(str(audio), Modality.AUDIO),
    )
    engine = open_store(f"sqlite:///{folder / 'hour.db'}")
    actor = Actor("hour-builder")
    project = create_project(engine, "hour", load_ontology_file(ONTOLOGY_FILE), actor)
    import_samples(engine, project.id, [Sample(id="hour", streams=[stream])], actor)
    prepare_project(engine, actor, project.id)
    create_user(engine, "hour-admin", PASSWORD, is_admin=True)
    with served(engine, folder, (folder,)) as url:
        yield url, Path(audio).stat().st_size


def test_draw_zoomed_in_near_the_end_of_an_hour(page: Page, hour_server: tuple[str, int]) -> None:
    url, size = hour_server
    page.goto(f"{url}/app/login")
    log_in(page, "hour-admin", PASSWORD)
    expect(page.get_by_role("list", name="Projects")).to_be_visible()
    received = count_media_bytes(page)
    page.goto(f"{url}/app/s/hour")
    expect(page.locator(".player-audio .waveform")).to_have_attribute("data-state", "done")
    expect(page.locator(".player-audio .waveform .wrapper")).to_be_attached()

    # two minutes before the end, zoomed in 2⁸ times around the play cursor, still in view
    page.get_by_label("Position").fill(str(HOUR - 120))
    page.get_by_role("heading", level=1).click()
    for _ in range(8):
        page.locator("body").press("=")
    zoom_text = page.locator(".player-audio").get_by_label("Zoom", exact=True)
    expect(zoom_text).to_have_text(re.compile(r"^×256 · "))
    wave = Wave(page, HOUR)
    view = page.locator(".player-audio .waveform .scroll").bounding_box()
    assert view is not None
    assert view["x"] <= wave.x(HOUR - 120) <= view["x"] + view["width"]

    # a drag of 100 pixels in the middle of the view draws an interval where the pointer was
    start_x = view["x"] + view["width"] * 0.4
    left = wave.box()["x"]
    first, last = (start_x - left) * wave.pixel, (start_x + 100 - left) * wave.pixel
    wave.drag(start_x, start_x + 100)
    picker = page.get_by_role("dialog", name="Label the new interval")
    picker.get_by_label("Search the classes").fill("scene")
    picker.get_by_label("Search the classes").press("Enter")
    expect_saved(page)
    answer = page.request.get(f"{url}/api/samples/hour")
    assert answer.ok, answer.text()
    (interval,) = [a["geometry"] for a in answer.json()["annotations"]]
    assert near(interval["start"], first, wave.pixel) and near(interval["end"], last, wave.pixel), (
        interval,
        first,
        last,
    )

    # playing, the view follows the cursor
    page.get_by_role("heading", level=1).click()
    page.locator("body").press("Space")
    page.wait_for_function(
        f"() => Number(document.querySelector('.player-audio').dataset.time) > {HOUR - 117}"
    )
    page.locator("body").press("k")
    played = float(page.locator(".player-audio").get_attribute("data-time") or 0)
    assert view["x"] <= wave.x(played) <= view["x"] + view["width"], (played, view)
    # all of it from the peaks: the audio file itself was read only where it played from
    assert received.get("hour-audio", 0) < 0.1 * size, (received, size)
