"""Two spoken answers judged side by side on one clock, in Chromium: a preference sample
whose prompt is the espresso photo and a question, and whose two candidates are speech
WAVs (one describes the photo, one another picture), comes in through the native JSONL
import. The annotator ada sees both waveforms side by side without the models' names,
plays them with the transport key and sees both panes follow the one clock, seeks and sees
both move, then makes the pairwise choice with its strength by keyboard and saves; the
judgement the API stores holds the pair, the strength and the order she saw. After the
save the workspace keeps the clock where it was, the rubric grid's cell and her undo history
(an interval drawn on an answer before the save is undone after it)."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, FloatRect, Page, expect

from browser.conftest import DemoServer, log_in, require_built_workspace, served
from rosetta.demo.build import BUILDER, DEMO_PROJECT, MEDIA_DIR, build_demo
from rosetta.services.accounts import assign
from rosetta.services.importer import import_jsonl
from rosetta.services.projects import find_project
from rosetta.store.engine import open_store

SAMPLE = "spoken-answers"
QUESTION = "Say in one sentence what the photo shows."
#: The candidates: id, model, the WAV of its spoken answer (the demo's media).
RIGHT = "spoken-answers.coffee"
WRONG = "spoken-answers.astronaut"
ANSWERS = {
    RIGHT: ("speaker-small", MEDIA_DIR / "audio" / "s3_coffee.wav"),
    WRONG: ("speaker-large", MEDIA_DIR / "audio" / "s1_astronaut.wav"),
}
#: How far apart two panes' times may be while playing (one 25 fps frame).
FRAME = 1 / 25

#: The clock's and both candidates' audio times, read in one script (one frame's values).
READ_TIMES = """() => {
  const time = (root) => Number(root?.getAttribute('data-time') ?? 'NaN');
  const pane = (letter) => document.querySelector(
    `[aria-label="Candidate ${letter}"] .player-audio`);
  return {
    clock: time(document.querySelector('.transport')),
    a: time(pane('A')),
    b: time(pane('B')),
  };
}"""


def jsonl_line() -> dict[str, Any]:
    """The native JSONL record of the sample: prompt (a question and a photo), two spoken
    answers as candidates (media left to the import's probe)."""
    answers = [
        {"id": f"{candidate}.audio", "name": f"answer {n}", "modality": "audio", "uri": str(wav)}
        for n, (candidate, (_, wav)) in enumerate(ANSWERS.items(), start=1)
    ]
    return {
        "id": SAMPLE,
        "external_id": f"test/{SAMPLE}",
        "streams": [
            {"id": f"{SAMPLE}.question", "name": "question", "modality": "text", "text": QUESTION},
            {
                "id": f"{SAMPLE}.photo",
                "name": "photo",
                "modality": "image",
                "uri": str(MEDIA_DIR / "images" / "coffee.png"),
            },
            *answers,
        ],
        "candidates": [
            {
                "id": candidate,
                "model": model,
                "model_version": "1",
                "streams": [f"{candidate}.audio"],
            }
            for candidate, (model, _) in ANSWERS.items()
        ],
    }


@pytest.fixture
def spoken_demo(tmp_path: Path) -> Iterator[DemoServer]:
    """The demo store with the spoken-answers sample imported from a JSONL file and
    assigned to ada, served for this test alone."""
    require_built_workspace()
    engine = open_store(f"sqlite:///{tmp_path / 'demo.db'}")
    build_demo(engine)
    lines = tmp_path / "spoken.jsonl"
    lines.write_text(json.dumps(jsonl_line()) + "\n", encoding="utf-8")
    with engine.connect() as connection:
        project = find_project(connection, DEMO_PROJECT)
    report = import_jsonl(engine, project.id, lines, BUILDER)
    assert report.samples_written == 1
    assign(engine, BUILDER, SAMPLE, "ada")
    with served(engine, tmp_path, (MEDIA_DIR,)) as url:
        yield DemoServer(url, engine)


def stored(page: Page, server: DemoServer) -> dict[str, Any]:
    """The sample as the page's user may see it now."""
    answer = page.request.get(f"{server.url}/api/samples/{SAMPLE}")
    assert answer.ok, answer.text()
    return answer.json()  # type: ignore[no-any-return]


def times(page: Page) -> dict[str, float]:
    values: dict[str, float] = page.evaluate(READ_TIMES)
    return values


def open_as_ada(browser: Browser, server: DemoServer) -> Page:
    """ada's page on the sample, both waveforms drawn."""
    page = browser.new_context(viewport={"width": 1360, "height": 1000}).new_page()
    page.goto(f"{server.url}/app/s/{SAMPLE}?project={DEMO_PROJECT}")
    log_in(page, "ada")
    waveforms = page.locator('[aria-label^="Candidate "] .player-audio .waveform')
    expect(waveforms).to_have_count(2)
    for n in range(2):
        expect(waveforms.nth(n)).to_have_attribute("data-state", "done")
    return page


def check_side_by_side(page: Page, letters: dict[str, str]) -> None:
    """The prompt on top; both candidates' waveforms in one row, A left of B; no models."""
    prompt = page.get_by_role("region", name="Prompt")
    expect(prompt).to_contain_text(QUESTION)
    expect(prompt.locator("img, canvas").first).to_be_visible()
    expect(page.locator(".model-name")).to_have_count(0)
    boxes = []
    for letter in ("A", "B"):
        wave = page.locator(f'[aria-label="Candidate {letter}"] .player-audio .waveform')
        box = wave.bounding_box()
        assert box is not None and box["width"] > 200, box
        boxes.append(box)
    left, right = boxes
    assert left["x"] + left["width"] <= right["x"], boxes
    assert abs(left["y"] - right["y"]) < 2, boxes
    assert sorted(letters) == sorted(ANSWERS)


def wrapper(page: Page, letter: str) -> FloatRect:
    """Where candidate `letter`'s waveform (the whole file) is on the page."""
    box = page.locator(f'[aria-label="Candidate {letter}"] .player-audio .waveform .wrapper')
    found = box.bounding_box()
    assert found is not None
    return found


def check_one_clock(page: Page, duration_b: float) -> None:
    """Space plays both answers on the clock; paused and seeked (a click on B's waveform),
    both stand where the click points."""
    transport = page.get_by_role("toolbar", name="Playback")
    page.locator("h1").click()
    page.keyboard.press(" ")
    expect(transport).to_have_attribute("data-playing", "true")
    page.wait_for_function(f"() => ({READ_TIMES})().a > 0.8 && ({READ_TIMES})().b > 0.8")
    for _ in range(5):
        now = times(page)
        assert abs(now["a"] - now["b"]) <= 2 * FRAME, now
        assert abs(now["a"] - now["clock"]) <= 2 * FRAME, now
        page.wait_for_timeout(100)
    page.keyboard.press(" ")
    expect(transport).to_have_attribute("data-playing", "false")
    paused = times(page)
    assert abs(paused["a"] - paused["b"]) <= 1e-3, paused

    box = wrapper(page, "B")
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    target = 0.75 * duration_b
    page.wait_for_function(
        f"() => {{ const t = ({READ_TIMES})(); return Math.abs(t.clock - {target}) < 0.05"
        " && Math.abs(t.a - t.clock) < 0.01 && Math.abs(t.b - t.clock) < 0.01; }"
    )
    assert abs(times(page)["clock"] - paused["clock"]) > 0.3


def draw_speech(page: Page) -> None:
    """Drag over 20–60 % of A's waveform and label the interval ``speech``; saved."""
    box = wrapper(page, "A")
    y = box["y"] + box["height"] * 0.7
    page.mouse.move(box["x"] + box["width"] * 0.2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=10)
    page.mouse.up()
    picker = page.get_by_role("dialog", name="Label the new interval")
    picker.get_by_label("Search the classes").fill("speech")
    picker.get_by_label("Search the classes").press("Enter")
    expect(picker).to_have_count(0)
    expect(page.get_by_role("status", name="Save state")).to_have_text("Saved", timeout=10_000)


def judge_by_keyboard(page: Page, better: str) -> None:
    """C, a slip (the worse letter) then the better one's letter, 2 for clearly; Tab to the
    rubric, B's completeness scored 4; Ctrl+S."""
    pair = page.get_by_role("group", name="Pairwise choice")
    page.keyboard.press("c")
    expect(pair).to_be_focused()
    worse = "B" if better == "A" else "A"
    page.keyboard.press(worse.lower())
    expect(pair.get_by_role("button", name=f"{worse} is better")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.keyboard.press(better.lower())
    page.keyboard.press("2")
    expect(pair.get_by_role("button", name=f"{better} is better")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(pair.get_by_role("button", name="2 clearly")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Tab")
    grid = page.get_by_role("grid", name="Rubric")
    expect(grid).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("4")
    expect(grid.get_by_role("gridcell", name="completeness of B")).to_have_text("4")
    state = page.get_by_role("status", name="Judgement state")
    expect(state).to_have_text("Unsaved changes")
    page.keyboard.press("Control+s")
    expect(state).to_have_text("Saved (revision 1)", timeout=10_000)


def test_two_spoken_answers_on_one_clock(browser: Browser, spoken_demo: DemoServer) -> None:
    problems: list[str] = []
    page = open_as_ada(browser, spoken_demo)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    sample = stored(page, spoken_demo)
    presented = [candidate["id"] for candidate in sample["candidates"]]
    assert all(candidate.get("model") is None for candidate in sample["candidates"])
    letters = {candidate: chr(ord("A") + i) for i, candidate in enumerate(presented)}
    streams = {stream["id"]: stream for stream in sample["streams"]}
    duration_b = streams[f"{presented[1]}.audio"]["media"]["duration"]
    check_side_by_side(page, letters)
    check_one_clock(page, duration_b)

    draw_speech(page)
    (drawn,) = [a for a in stored(page, spoken_demo)["annotations"] if a["label"] == "speech"]
    assert drawn["stream"] == f"{presented[0]}.audio"
    before_save = times(page)
    judge_by_keyboard(page, letters[RIGHT])
    (judgement,) = stored(page, spoken_demo)["judgements"]
    assert judgement["author"] == "ada"
    assert judgement["presented"] == presented
    first, second = presented
    assert judgement["pairs"] == [
        {"a": first, "b": second, "choice": "a" if first == RIGHT else "b", "strength": 2}
    ]
    assert judgement["ranking"] == []
    assert judgement["scores"] == [{"candidate": second, "criterion": "completeness", "value": 4}]

    # the save kept the workspace: the grid's cell and focus, the clock where it stood
    grid = page.get_by_role("grid", name="Rubric")
    expect(grid).to_be_focused()
    cell = grid.get_by_role("gridcell", name="completeness of B")
    expect(cell).to_have_attribute("aria-selected", "true")
    after_save = times(page)
    assert abs(after_save["clock"] - before_save["clock"]) < 1e-6, (before_save, after_save)
    assert abs(after_save["a"] - after_save["clock"]) < 0.01, after_save

    # ... and the undo history: Ctrl+Z takes the interval drawn before the save away
    page.keyboard.press("Escape")
    page.keyboard.press("Control+z")
    expect(page.locator(f"[data-annotation='{drawn['id']}']")).to_have_count(0)
    expect(page.get_by_role("status", name="Save state")).to_have_text("Saved", timeout=10_000)
    after_undo = stored(page, spoken_demo)["annotations"]
    assert drawn["id"] not in [annotation["id"] for annotation in after_undo]
    assert problems == []
