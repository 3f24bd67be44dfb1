"""Guidelines in the workspace, in Chromium over the session's demo store: drawing a box on
the portrait opens the label picker with the highlighted class's guideline beside the list
(from the demo ontology), following the arrow keys (``workspace-guideline.png``); the
inspector shows the selected annotation's on demand. Nothing is saved: the picker is
cancelled."""

from pathlib import Path

from playwright.sync_api import Page, expect

from browser.conftest import log_in
from browser.test_editing import drag_on_photo, on_photo, photo_frame
from rosetta.demo.build import DEMO_PROJECT


def test_the_picker_shows_the_highlighted_class_guideline_and_the_inspector_on_demand(
    page: Page, screenshots: Path
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.goto(f"/app/s/portrait?project={DEMO_PROJECT}")
    log_in(page, "ada")
    expect(page.get_by_role("region", name="photo").locator(".image-frame")).to_have_attribute(
        "data-state", "done"
    )
    expect(photo_frame(page).locator("canvas").first).to_be_visible()

    page.keyboard.press("b")
    drag_on_photo(page, (372, 330), (500, 500))
    picker = page.get_by_role("dialog", name="Label the new box")
    search = picker.get_by_label("Search the classes")
    guideline = picker.get_by_role("complementary", name="Guideline")
    highlighted = picker.locator('[role="option"][aria-selected="true"]')
    subject = guideline.get_by_role("heading", level=3)

    expect(highlighted).to_contain_text("thing")
    expect(subject).to_have_text("thing")
    expect(guideline).to_contain_text("No guideline for thing.")

    search.press("ArrowDown")
    expect(highlighted).to_contain_text("person")
    expect(subject).to_have_text("person")
    expect(guideline.locator(".guideline p").first).to_have_text(
        "A human being, wherever they appear: seen (box the whole visible body with what they "
        "wear, a helmet or a suit included), heard (an interval over their whole speaking "
        "turn) or named (a span over the words that name them). Set role; set occluded when "
        "something hides part of the body; set expression when the face shows."
    )
    examples = guideline.get_by_role("list", name="Examples", exact=True)
    expect(examples.get_by_role("link").first).to_have_attribute(
        "href", "/app/s/portrait?select=portrait.astronaut"
    )
    expect(guideline.get_by_role("list", name="Counter-examples")).to_contain_text("mannequin")
    expect(guideline.locator(".clarifications dt")).to_contain_text("2025-03-04")

    search.press("ArrowDown")
    search.press("ArrowDown")
    expect(highlighted).to_contain_text("cat")
    expect(subject).to_have_text("cat")
    expect(examples).to_contain_text("The tabby cat on the second still")
    expect(examples.get_by_role("link")).to_have_count(2)
    expect(guideline).not_to_contain_text("A human being")
    page.screenshot(path=screenshots / "workspace-guideline.png")

    search.press("ArrowUp")
    expect(subject).to_have_text("animal")
    expect(guideline.get_by_role("list", name="Counter-examples")).to_contain_text(
        "A person is always person, never animal."
    )

    search.press("Escape")
    expect(picker).to_have_count(0)
    page.keyboard.press("v")
    page.mouse.click(*on_photo(page, 200, 300))
    inspector = page.get_by_role("region", name="Selection")
    expect(inspector.get_by_role("heading", level=3).first).to_contain_text("person box")
    disclosure = inspector.locator("details.guideline-disclosure")
    expect(disclosure.locator(".guideline")).to_be_hidden()
    disclosure.get_by_text("Guideline", exact=True).click()
    expect(disclosure.locator(".guideline p")).to_contain_text("A human being")
    page.screenshot(path=screenshots / "workspace-guideline-inspector.png")
    assert problems == []
