"""A long text and a long transcript in Chromium: only the rows in view are drawn, and what
the person works with is brought into view: the ends of a link picked in the links list,
the words being spoken while the sample plays (in the transcript and in the text holding
them); a selection dragged across two rows is stored in code points; stale links are
flagged on both ends as on the image's tags."""

import re

from playwright.sync_api import Locator, Page, expect

from browser.conftest import DemoServer, log_in, words_rect
from rosetta.core.geometry import TextSpan, TranscriptSegment, Word
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Link, MediaInfo, Sample, Stream
from rosetta.demo.build import BUILDER, DEMO_PROJECT, MEDIA_DIR
from rosetta.media.probe import probe
from rosetta.services.importer import import_samples
from rosetta.services.projects import find_project

LINES = 800
SEGMENTS = 300
#: Each segment's start (seconds) is FIRST + its index × SLOT; its two words share it.
FIRST, SLOT = 0.2, 0.03
LATE_SPAN, LATE_SEGMENT = 700, 250
STALE_SPAN, STALE_SEGMENT = 3, 2


def line(n: int) -> str:
    """Line `n` of the text: an astral character before it (one code point, two UTF-16
    units), a "cup" to mark, and the words of transcript segment `n`."""
    return f"Line {n} 🚀: the astronaut holds a red cup. {words(n)}\n"


def words(n: int) -> str:
    return f"w{n}a w{n}b"


TEXT = "".join(line(n) for n in range(LINES))
#: Where each line begins, in code points (Python's offsets, the API's).
STARTS = [sum(len(line(k)) for k in range(n)) for n in range(LINES)]


def segment(n: int) -> TranscriptSegment:
    start = round(FIRST + n * SLOT, 3)
    middle, end = round(start + SLOT / 2, 3), round(start + SLOT, 3)
    a, b = words(n).split()
    return TranscriptSegment(
        start=start,
        end=end,
        text=words(n),
        words=[Word(text=a, start=start, end=middle), Word(text=b, start=middle, end=end)],
    )


def add_long_sample(server: DemoServer) -> None:
    """A sample of the demo project: the long text with a span on each line's "cup", the
    narration with the long transcript, a link between a late span and a late segment and
    a stale one between early ones."""
    narration = MEDIA_DIR / "audio" / "narration.wav"
    streams = [
        Stream(
            id="long.text",
            name="text",
            modality=Modality.TEXT,
            text=TEXT,
            media=MediaInfo(length=len(TEXT)),
        ),
        Stream(
            id="long.audio",
            name="audio",
            modality=Modality.AUDIO,
            uri=str(narration),
            media=probe(str(narration), Modality.AUDIO),
        ),
    ]
    spans = [
        Annotation(
            id=f"long.span-{n}",
            stream="long.text",
            label="cup",
            geometry=TextSpan(
                start=STARTS[n] + line(n).index("cup"), end=STARTS[n] + line(n).index("cup") + 3
            ),
        )
        for n in range(LINES)
    ]
    segments = [
        Annotation(id=f"long.segment-{n}", stream="long.audio", label="speech", geometry=segment(n))
        for n in range(SEGMENTS)
    ]
    links = [
        Link(
            id="long.late-link",
            type="same-as",
            source=f"long.span-{LATE_SPAN}",
            target=f"long.segment-{LATE_SEGMENT}",
        ),
        Link(
            id="long.stale-link",
            type="same-as",
            source=f"long.span-{STALE_SPAN}",
            target=f"long.segment-{STALE_SEGMENT}",
            status="stale",
        ),
    ]
    with server.engine.connect() as connection:
        project = find_project(connection, DEMO_PROJECT)
    sample = Sample(id="long", streams=streams, annotations=[*spans, *segments], links=links)
    import_samples(server.engine, project.id, [sample], BUILDER)


def open_long(page: Page, server: DemoServer) -> list[str]:
    """Open the long sample as the reviewer, its lists drawn; the uncaught errors."""
    add_long_sample(server)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.goto(f"{server.url}/app/s/long?project={DEMO_PROJECT}")
    log_in(page, "grace")
    expect(text_body(page).locator("mark").first).to_be_visible()
    expect(transcript(page).locator("p").first).to_be_visible()
    return problems


def text_body(page: Page) -> Locator:
    return page.get_by_role("region", name="text").locator(".text-body")


def transcript(page: Page) -> Locator:
    return page.get_by_role("region", name="audio").locator(".transcript")


def in_view(inner: Locator, box: Locator) -> bool:
    """Whether `inner` is drawn wholly inside the visible part of the scrolling `box`."""
    a, b = inner.bounding_box(), box.bounding_box()
    assert a is not None and b is not None
    return a["y"] >= b["y"] - 1 and a["y"] + a["height"] <= b["y"] + b["height"] + 1


def test_only_the_rows_in_view_are_drawn_and_stale_links_are_flagged(
    page: Page, fresh_demo: DemoServer
) -> None:
    problems = open_long(page, fresh_demo)
    expect(text_body(page)).to_have_attribute("data-rows", str(LINES))
    expect(transcript(page)).to_have_attribute("data-rows", str(SEGMENTS))
    rows = text_body(page).locator("[data-offset]").count()
    segments = transcript(page).locator("p[data-annotation]").count()
    assert 5 <= rows <= 40, rows
    assert 5 <= segments <= 40, segments
    # the rows drawn begin at their offsets in the text (UTF-16: each line has a pair)
    offsets = (
        text_body(page)
        .locator("[data-offset]")
        .evaluate_all("(rows) => rows.map((row) => [Number(row.dataset.offset), row.textContent])")
    )
    for n, (offset, shown) in enumerate(offsets):
        assert shown == line(n)
        assert offset == STARTS[n] + n, (n, offset)

    stale_span = text_body(page).locator(f"mark[data-annotations~='long.span-{STALE_SPAN}']")
    expect(stale_span).to_have_class("flagged")
    expect(stale_span).to_have_attribute("data-signs", "⚠")
    expect(stale_span).to_have_attribute("title", "cup (⚠ stale link)")
    stale_segment = transcript(page).locator(f"p[data-annotation='long.segment-{STALE_SEGMENT}']")
    expect(stale_segment).to_have_class("flagged")
    expect(stale_segment).to_have_attribute("data-signs", "⚠")
    assert problems == []


def test_a_link_picked_in_the_list_brings_both_its_ends_into_view(
    page: Page, fresh_demo: DemoServer
) -> None:
    problems = open_long(page, fresh_demo)
    late_span = text_body(page).locator(f"mark[data-annotations~='long.span-{LATE_SPAN}']")
    late_segment = transcript(page).locator(f"p[data-annotation='long.segment-{LATE_SEGMENT}']")
    expect(late_span).to_have_count(0)
    expect(late_segment).to_have_count(0)

    row = page.get_by_role("list", name="All links").locator("[data-link='long.late-link']")
    row.get_by_role("button").click()
    expect(late_span).to_have_count(1)
    expect(late_segment).to_have_count(1)
    page.wait_for_function(
        """([span, segment]) => [span, segment].every((selector) => {
          const element = document.querySelector(selector);
          const box = element?.closest(".text-body, .transcript")?.getBoundingClientRect();
          const r = element?.getBoundingClientRect();
          return r && box && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
        })""",
        arg=[
            f"mark[data-annotations~='long.span-{LATE_SPAN}']",
            f"p[data-annotation='long.segment-{LATE_SEGMENT}']",
        ],
    )
    assert in_view(late_span, text_body(page))
    assert in_view(late_segment, transcript(page))
    # hovering the link highlights both ends, now drawn
    row.get_by_role("button").hover()
    expect(late_span).to_have_class("hovered")
    expect(late_segment).to_have_class("hovered")
    assert problems == []


def test_a_selection_dragged_across_two_rows_is_stored_in_code_points(
    page: Page, fresh_demo: DemoServer
) -> None:
    problems = open_long(page, fresh_demo)
    # far into the text, so the rows drawn begin well after the text does
    text_body(page).evaluate("(body) => { body.scrollTop = body.scrollHeight / 2; }")
    first = text_body(page).locator("[data-offset]").nth(4)
    # the rows are drawn again on the next frame after the scroll, not at once
    expect(first).to_have_attribute("data-index", re.compile(r"^[1-9][0-9]{2,}$"))
    n = int(first.get_attribute("data-index") or "")
    assert n > 100, n
    start = rect_of(page, n, "astronaut")
    end = rect_of(page, n + 1, "holds")
    page.mouse.move(start["left"] + 1, start["y"])
    page.mouse.down()
    page.mouse.move(end["right"] - 1, end["y"], steps=6)
    page.mouse.up()
    picker = page.get_by_role("dialog", name="Label the new span")
    expect(picker.get_by_role("option", name="1 thing", exact=False).first).to_be_visible()
    page.keyboard.press("1")
    expect(picker).to_have_count(0)
    expect(page.get_by_role("status", name="Save state")).to_have_text("Saved", timeout=10_000)

    answer = page.request.get(f"{fresh_demo.url}/api/samples/long")
    assert answer.ok, answer.text()
    added = [a for a in answer.json()["annotations"] if a["label"] == "thing"]
    wanted_start = STARTS[n] + line(n).index("astronaut")
    wanted_end = STARTS[n + 1] + line(n + 1).index("holds") + len("holds")
    assert [(a["geometry"]["start"], a["geometry"]["end"]) for a in added] == [
        (wanted_start, wanted_end)
    ]
    assert (
        TEXT[wanted_start:wanted_end].startswith("astronaut")
        and "\n" in TEXT[wanted_start:wanted_end]
    )
    # drawn as one span over the two rows
    # row n: the words before "cup", "cup" (in its own span too) and the rest; row n + 1:
    # up to "holds"
    marks = text_body(page).locator(f"mark[data-annotations~='{added[0]['id']}']")
    expect(marks).to_have_count(4)
    assert problems == []


def rect_of(page: Page, row: int, word: str) -> dict[str, float]:
    """The page rectangle of `word` in drawn row `row` of the text, and its middle's y."""
    rect = words_rect(page.locator(f'.text-body [data-index="{row}"]').first, word)
    return {**rect, "y": rect["top"] + rect["height"] / 2}


def test_the_words_being_spoken_are_kept_in_view_while_playing(
    page: Page, fresh_demo: DemoServer
) -> None:
    problems = open_long(page, fresh_demo)
    expect(page.locator(".player-audio .waveform")).to_have_attribute("data-state", "done")
    page.get_by_role("button", name="Play").click()
    page.get_by_label("Position").fill("7")
    # segment 226 is spoken from 6.98 s: both lists follow it
    late = int((7 - FIRST) / SLOT)
    page.wait_for_function(
        "(least) => Number(document.querySelector('.transcript .word.now')?.closest('p')"
        "?.dataset.index) >= least",
        arg=late,
    )
    # paused (K; the slider owns the keys while focused), the words last followed stay put
    page.get_by_role("heading", level=1).click()
    page.locator("body").press("k")
    expect(page.locator(".transport")).to_have_attribute("data-playing", "false")
    now = transcript(page).locator(".word.now")
    expect(now).to_have_count(1)
    assert in_view(now, transcript(page))
    spoken = text_body(page).locator(".spoken")
    expect(spoken).to_have_count(1)
    assert in_view(spoken, text_body(page))
    assert spoken.text_content() == now.text_content()
    assert problems == []
