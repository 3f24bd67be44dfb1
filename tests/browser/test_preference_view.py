"""The preference view in Chromium, over a demo store of its own with a job worker: the
annotator ada opens the caption-ranking sample (three models' captions of the espresso
photo, model names hidden from her), ranks the captions by keyboard (accurate > vague >
wrong), scores one rubric criterion, writes a rationale and saves; the judgement the API
stores holds the ranking and the order she saw. A ``dpo`` export then holds exactly the
three pairs that ranking implies. She links a phrase of her rationale to the wrong
caption's span with the link tool (``ranking_view.png``), and the reviewer grace sees the
model names and ada's judgement."""

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from api_clients import token_headers
from browser.conftest import (
    DemoServer,
    log_in,
    require_built_workspace,
    select_words,
    served,
)
from rosetta.demo.build import (
    CAPTION_CANDIDATES,
    CAPTION_PROMPT,
    DEMO_PROJECT,
    MEDIA_DIR,
    build_demo,
)
from rosetta.store.engine import open_store

SAMPLE = "caption-ranking"
#: The candidates by what their captions are like (`CAPTION_CANDIDATES`).
WRONG, ACCURATE, VAGUE = (candidate_id for candidate_id, _, _ in CAPTION_CANDIDATES)
CAPTIONS = {candidate_id: text for candidate_id, _, text in CAPTION_CANDIDATES}
MODELS = {candidate_id: model for candidate_id, model, _ in CAPTION_CANDIDATES}
#: The demo's span on the wrong caption's "blue cup".
BLUE_CUP = f"{WRONG}.caption.cup"
PHRASE = "calls the red cup blue"
RATIONALE = f"The best caption names the cup, saucer and spoon; one {PHRASE}, one is vague."


@pytest.fixture
def judging_demo(tmp_path: Path) -> Iterator[DemoServer]:
    """A fresh demo store served for this test alone, with a job worker for the export."""
    require_built_workspace()
    engine = open_store(f"sqlite:///{tmp_path / 'demo.db'}")
    build_demo(engine)
    with served(engine, tmp_path, (MEDIA_DIR,), job_workers=1) as url:
        yield DemoServer(url, engine)


def open_sample(browser: Browser, server: DemoServer, user: str) -> Page:
    """A page of its own, logged in as `user`, showing the preference sample."""
    page = browser.new_context(viewport={"width": 1360, "height": 1000}).new_page()
    page.goto(f"{server.url}/app/s/{SAMPLE}?project={DEMO_PROJECT}")
    log_in(page, user)
    candidates = page.get_by_role("list", name="Candidates")
    expect(candidates.get_by_role("listitem", name=re.compile("^Candidate [A-C]$"))).to_have_count(
        3
    )
    return page


def stored(page: Page, server: DemoServer) -> dict[str, Any]:
    """The sample as the page's user may see it now."""
    answer = page.request.get(f"{server.url}/api/samples/{SAMPLE}")
    assert answer.ok, answer.text()
    return answer.json()  # type: ignore[no-any-return]


def select_text(page: Page, root: str, words: str) -> None:
    """Select `words` with the mouse in the first text body under the CSS selector `root`."""
    body = page.locator(f"{root} .text-body").first
    expect(body).to_contain_text(words)
    body.scroll_into_view_if_needed()
    select_words(page, body, words)


def finished(client: httpx.Client, job_id: str) -> dict[str, Any]:
    """The job once it has ended (at most 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in {"done", "failed", "cancelled"}:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end in 60 s")


def dpo_lines(server: DemoServer) -> list[dict[str, Any]]:
    """The lines of a ``dpo`` export of the demo project, run as a job by the admin."""
    headers = token_headers(server.engine, "admin")
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as admin:
        started = admin.post(
            f"/api/projects/{DEMO_PROJECT}/jobs",
            json={"kind": "format-export", "params": {"format": "dpo"}},
        )
        assert started.status_code == 202, started.text
        job = finished(admin, started.json()["id"])
        assert job["status"] == "done", job["error"]
        files = admin.get(f"/api/jobs/{job['id']}/files").json()["items"]
        assert "dpo.jsonl" in [file["name"] for file in files]
        text = admin.get(f"/api/jobs/{job['id']}/files/dpo.jsonl").text
    return [json.loads(line) for line in text.splitlines()]


def rank_by_keyboard(page: Page, letters: dict[str, str]) -> None:
    """C, then the letters: a slip undone with Backspace, a tie undone, the final order."""
    ranking = page.get_by_role("group", name="Ranking")
    page.keyboard.press("c")
    expect(ranking).to_be_focused()
    page.keyboard.press(letters[WRONG])
    page.keyboard.press("Backspace")
    expect(ranking).to_have_attribute("data-ranking", "")
    for candidate in (ACCURATE, VAGUE):
        page.keyboard.press(letters[candidate].lower())
    page.keyboard.press("=")
    expect(ranking).to_have_attribute("data-ranking", f"{letters[ACCURATE]} = {letters[VAGUE]}")
    page.keyboard.press("Backspace")
    page.keyboard.press(letters[WRONG])
    wanted = " > ".join(letters[c] for c in (ACCURATE, VAGUE, WRONG))
    expect(ranking).to_have_attribute("data-ranking", wanted)
    expect(ranking.locator(".ranking-line")).to_have_text(wanted)


def score_accuracy(page: Page, letters: dict[str, str]) -> None:
    """Tab to the rubric grid; the accurate caption's accuracy: 9 is refused, 5 taken."""
    page.keyboard.press("Tab")
    grid = page.get_by_role("grid", name="Rubric")
    expect(grid).to_be_focused()
    for _ in range(ord(letters[ACCURATE]) - ord("A")):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("9")
    expect(page.get_by_role("region", name="Judgement")).to_contain_text(
        "accuracy is scored 1 to 5"
    )
    page.keyboard.press("5")
    cell = grid.get_by_role("gridcell", name=f"accuracy of {letters[ACCURATE]}")
    expect(cell).to_have_text("5")
    expect(cell).to_have_attribute("aria-selected", "true")


def link_phrase_to_caption(page: Page, letters: dict[str, str]) -> None:
    """Label a phrase of the rationale, Shift+click the wrong caption's span, L, cites."""
    rationales = page.get_by_role("region", name="Rationales")
    expect(rationales.locator(".text-body")).to_have_text(RATIONALE)
    select_text(page, 'section[aria-label="Rationales"]', PHRASE)
    picker = page.get_by_role("dialog", name="Label the new span")
    picker.get_by_label("Search the classes").fill("rationale")
    picker.get_by_label("Search the classes").press("Enter")
    expect(picker).to_have_count(0)
    inspector = page.get_by_role("region", name="Selection")
    expect(
        inspector.get_by_role("heading", name=re.compile("^rationale-phrase span"))
    ).to_be_visible()
    wrong = page.get_by_role("listitem", name=f"Candidate {letters[WRONG]}")
    wrong.locator("mark", has_text="blue cup").click(modifiers=["Shift"])
    expect(inspector.get_by_role("list", name="Selected").get_by_role("listitem")).to_have_count(2)
    page.keyboard.press("l")
    menu = page.get_by_role("dialog", name="Link")
    expect(menu.get_by_role("option")).to_have_text(
        [re.compile("^1same-as"), re.compile("^2cites")]
    )
    page.keyboard.press("2")
    expect(inspector.get_by_role("heading", name="cites link")).to_be_visible()
    expect(page.get_by_role("status", name="Save state")).to_have_text("Saved", timeout=10_000)


def shown_blind(page: Page, server: DemoServer) -> dict[str, str]:
    """Check that the page shows the prompt and the captions without model names; the
    letter of each candidate, in the order the API presents them to the page's user."""
    candidates = stored(page, server)["candidates"]
    assert sorted(c["id"] for c in candidates) == sorted(CAPTIONS)
    assert all(candidate.get("model") is None for candidate in candidates)
    letters = letters_of(page, server)
    for candidate, letter in letters.items():
        column = page.get_by_role("listitem", name=f"Candidate {letter}")
        expect(column.locator(".text-body")).to_have_text(CAPTIONS[candidate])
    expect(page.locator(".model-name")).to_have_count(0)
    expect(page.get_by_role("region", name="Prompt")).to_contain_text(CAPTION_PROMPT)
    return letters


def explain_and_save(page: Page) -> None:
    """Tab to the rationale, write it, save with Ctrl+S."""
    page.keyboard.press("Tab")
    rationale = page.get_by_label("Rationale", exact=True)
    expect(rationale).to_be_focused()
    rationale.fill(RATIONALE)
    state = page.get_by_role("status", name="Judgement state")
    expect(state).to_have_text("Unsaved changes")
    page.keyboard.press("Control+s")
    expect(state).to_have_text("Saved (revision 1)", timeout=10_000)


def stored_judgement(page: Page, server: DemoServer, presented: list[str]) -> dict[str, Any]:
    """ada's judgement as stored, checked against what she did."""
    sample = stored(page, server)
    (judgement,) = sample["judgements"]
    assert judgement["author"] == "ada"
    assert judgement["ranking"] == [[ACCURATE], [VAGUE], [WRONG]]
    assert judgement["presented"] == presented
    assert judgement["scores"] == [{"candidate": ACCURATE, "criterion": "accuracy", "value": 5}]
    streams = {s["id"]: s for s in sample["streams"]}
    assert streams[judgement["rationale"]]["text"] == RATIONALE
    return judgement  # type: ignore[no-any-return]


def check_dpo_export(server: DemoServer) -> None:
    """The export holds exactly the three pairs of the ranking, with prompt and models."""
    lines = dpo_lines(server)
    pairs = {(line["chosen"], line["rejected"]) for line in lines}
    assert len(lines) == 3
    assert pairs == {
        (CAPTIONS[ACCURATE], CAPTIONS[VAGUE]),
        (CAPTIONS[ACCURATE], CAPTIONS[WRONG]),
        (CAPTIONS[VAGUE], CAPTIONS[WRONG]),
    }
    for line in lines:
        assert (line["prompt"], line["sample"], line["evaluators"]) == (
            CAPTION_PROMPT,
            SAMPLE,
            ["ada"],
        )
        winner = next(c for c, text in CAPTIONS.items() if text == line["chosen"])
        assert line["chosen_model"] == MODELS[winner]


def check_link(page: Page, server: DemoServer, rationale: str) -> None:
    """The phrase is a rationale-phrase span on the rationale stream, cited to the span."""
    after = stored(page, server)
    phrase = next(a for a in after["annotations"] if a["label"] == "rationale-phrase")
    start = RATIONALE.index(PHRASE)
    assert phrase["stream"] == rationale
    assert phrase["geometry"] == {"type": "span", "start": start, "end": start + len(PHRASE)}
    (cites,) = [link for link in after["links"] if link["type"] == "cites"]
    assert (cites["source"], cites["target"], cites["author"]) == (phrase["id"], BLUE_CUP, "ada")


def test_rank_score_explain_export_and_link(
    browser: Browser, judging_demo: DemoServer, screenshots: Path
) -> None:
    problems: list[str] = []
    page = open_sample(browser, judging_demo, "ada")
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    letters = shown_blind(page, judging_demo)
    rank_by_keyboard(page, letters)
    score_accuracy(page, letters)
    explain_and_save(page)
    judgement = stored_judgement(page, judging_demo, list(letters))
    check_dpo_export(judging_demo)

    link_phrase_to_caption(page, letters)
    check_link(page, judging_demo, judgement["rationale"])
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=screenshots / "ranking_view.png", full_page=True)

    grace = open_sample(browser, judging_demo, "grace")
    expect(grace.locator(".model-name")).to_have_count(3)
    ranked = " > ".join(letters_of(grace, judging_demo)[c] for c in (ACCURATE, VAGUE, WRONG))
    others = grace.get_by_role("list", name="Other judgements")
    expect(others).to_have_text(f"ada: {ranked} · 1 score")
    assert problems == []


def letters_of(page: Page, server: DemoServer) -> dict[str, str]:
    """The letter each candidate is shown with to the page's user."""
    candidates = stored(page, server)["candidates"]
    return {candidate["id"]: chr(ord("A") + i) for i, candidate in enumerate(candidates)}
