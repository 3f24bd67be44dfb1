"""Escalation in Chromium, over a demo of its own: ada asks a senior about the astronaut on
the portrait (``Q``), grace answers in the review queue's open questions, admin adds the
answer to the guideline of ``person``, and ada then sees the answer beside the sample and
the new clarification in the label picker's guideline for person
(``escalation-queue.png``, ``escalation-clarify.png``, ``escalation-answered.png``)."""

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from browser.conftest import DemoServer, log_in
from browser.test_editing import drag_on_photo, on_photo, photo_frame
from rosetta.demo.build import DEMO_PROJECT

QUESTION = "Is the helmet part of the person, or an object of its own?"
ANSWER = "Part of the person: box the whole suit, helmet included."


def open_as(browser: Browser, server: DemoServer, name: str, path: str) -> Page:
    """A page of a browser context of its own (its own session), logged in as `name` on the
    way to `path`."""
    context = browser.new_context(viewport={"width": 1360, "height": 860})
    page = context.new_page()
    page.goto(f"{server.url}{path}")
    log_in(page, name)
    return page


def open_portrait(page: Page) -> None:
    expect(page.get_by_role("region", name="photo").locator(".image-frame")).to_have_attribute(
        "data-state", "done"
    )
    expect(photo_frame(page).locator("canvas").first).to_be_visible()


def escalations_of(page: Page, server: DemoServer) -> list[dict[str, Any]]:
    """The portrait's questions as the page's person sees them on the server."""
    answer = page.request.get(f"{server.url}/api/samples/portrait/escalations")
    assert answer.ok, answer.text()
    found: list[dict[str, Any]] = answer.json()
    return found


def ask_about_the_astronaut(page: Page, server: DemoServer) -> str:
    """Select the astronaut, press Q and send the question about it; the escalation's id."""
    page.mouse.click(*on_photo(page, 200, 300))
    inspector = page.get_by_role("region", name="Selection")
    expect(inspector.get_by_role("heading", level=3).first).to_contain_text("person box")
    page.keyboard.press("q")
    dialog = page.get_by_role("dialog", name="Ask a senior")
    expect(dialog.get_by_label("Question")).to_be_focused()
    dialog.get_by_label("Question").fill(QUESTION)
    expect(dialog.get_by_role("checkbox")).to_be_checked()
    dialog.get_by_role("button", name="Send the question").click()
    expect(dialog).to_have_count(0)
    questions = page.get_by_role("region", name="Questions to seniors")
    expect(questions.locator(".escalation")).to_have_count(1)
    expect(questions.locator(".escalation")).to_contain_text(QUESTION)
    expect(questions.locator(".escalation .state")).to_have_text("open")
    (asked,) = escalations_of(page, server)
    assert (asked["about"], asked["asked_by"], asked["status"]) == (
        "portrait.astronaut",
        "ada",
        "open",
    )
    return str(asked["id"])


def answer_in_the_queue(page: Page, asked: str, screenshots: Path) -> None:
    """As a reviewer on the review queue, answer the open question `asked` inline."""
    waiting = page.get_by_role("region", name="Open questions")
    item = waiting.locator(f'[data-escalation="{asked}"]')
    expect(item).to_contain_text(QUESTION)
    expect(item.get_by_role("link", name="portrait")).to_have_attribute(
        "href", re.compile(r"/app/s/portrait\?.*select=portrait\.astronaut")
    )
    page.screenshot(path=screenshots / "escalation-queue.png")
    item.get_by_label("Answer").fill(ANSWER)
    item.get_by_role("button", name="Answer").click()
    expect(item).to_have_count(0)
    expect(waiting).to_contain_text("No question waits for an answer.")
    expect(waiting.get_by_label("Guideline to clarify")).to_have_count(0)  # reviewers do not


def clarify_person(page: Page, server: DemoServer, asked: str, screenshots: Path) -> int:
    """As a manager on the review queue, add the answer of `asked` to the guideline of
    person; the ontology version that made."""
    ontology = page.request.get(f"{server.url}/api/projects/{DEMO_PROJECT}/ontology")
    made = int(ontology.headers["etag"].strip('"')) + 1
    answered = page.get_by_role("region", name="Open questions").locator(
        f'[data-escalation="{asked}"]'
    )
    expect(answered.get_by_label("Answer")).to_have_text(re.compile(re.escape(ANSWER)))
    answered.get_by_label("Guideline to clarify").select_option(label="person")
    page.screenshot(path=screenshots / "escalation-clarify.png")
    answered.get_by_role("button", name="Add to the guideline").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Added to the guideline of person (v{made}): “{QUESTION}”"
    )
    expect(answered).to_have_count(0)
    return made


def test_ask_answer_and_clarify_a_guideline(
    browser: Browser, fresh_demo: DemoServer, screenshots: Path
) -> None:
    problems: list[str] = []
    portrait = f"/app/s/portrait?project={DEMO_PROJECT}"
    review = f"/app/p/{DEMO_PROJECT}/review"
    pages = {
        name: open_as(browser, fresh_demo, name, portrait if name == "ada" else review)
        for name in ("ada", "grace", "admin")
    }
    for name, page in pages.items():
        page.on("pageerror", lambda error, name=name: problems.append(f"{name}: {error}"))
    ada = pages["ada"]
    open_portrait(ada)
    asked = ask_about_the_astronaut(ada, fresh_demo)
    pages["grace"].reload()
    answer_in_the_queue(pages["grace"], asked, screenshots)
    pages["admin"].reload()
    version = clarify_person(pages["admin"], fresh_demo, asked, screenshots)

    # ada sees the answer beside the sample, and the clarification in the label picker
    ada.reload()
    open_portrait(ada)
    questions = ada.get_by_role("region", name="Questions to seniors")
    expect(questions.locator(".escalation .answer")).to_have_text(ANSWER)
    expect(questions.locator(".escalation .state")).to_have_text(
        f"answered by grace · in the guideline of person (v{version})"
    )
    ada.screenshot(path=screenshots / "escalation-answered.png")
    ada.keyboard.press("b")
    drag_on_photo(ada, (372, 330), (500, 500))
    picker = ada.get_by_role("dialog", name="Label the new box")
    picker.get_by_label("Search the classes").fill("person")
    guideline = picker.get_by_role("complementary", name="Guideline")
    expect(guideline.get_by_role("heading", level=3)).to_have_text("person")
    clarifications = guideline.locator(".clarifications")
    expect(clarifications).to_contain_text(QUESTION)
    expect(clarifications).to_contain_text(ANSWER)
    picker.get_by_label("Search the classes").press("Escape")
    expect(picker).to_have_count(0)
    (final,) = escalations_of(ada, fresh_demo)
    assert (final["clarified"]["name"], final["clarified"]["version"]) == ("person", version)
    assert problems == []
