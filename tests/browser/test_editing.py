"""Editing in the workspace, in Chromium over a fresh demo store each: drawing a box,
labelling a caption span, linking the two with the keyboard, finding it all after a reload,
reviewing the link and seeing it turn stale when the box moves (``workspace-linking.png``);
polygons, entities, undo and redo; a conflict between two people saving one sample; and
review mode: accepting and rejecting annotations and rejecting the whole sample back to its
annotator, who sees why (``workspace-review.png``)."""

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Locator, Page, expect

from browser.conftest import DemoServer, select_words
from rosetta.demo.build import DEMO_PASSWORD, DEMO_PROJECT

CAPTION = "An astronaut in an orange suit smiles beside a flag."
PORTRAIT = f"/app/s/portrait?project={DEMO_PROJECT}"
#: The photo's size in pixels.
PHOTO = 512


def open_portrait(page: Page, server: DemoServer, user: str) -> None:
    """Log in as `user` on the way to the portrait sample and wait for its image."""
    page.goto(server.url + PORTRAIT)
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(photo_frame(page)).to_have_attribute("data-state", "done")
    expect(photo_frame(page).locator("canvas").first).to_be_visible()


def photo_frame(page: Page) -> Locator:
    return page.get_by_role("region", name="photo").locator(".image-frame")


def on_photo(page: Page, x: float, y: float) -> tuple[float, float]:
    """The page coordinates of photo pixel (x, y)."""
    box = photo_frame(page).locator("canvas").first.bounding_box()
    assert box is not None
    scale = box["width"] / PHOTO
    return box["x"] + x * scale, box["y"] + y * scale


def drag_on_photo(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*on_photo(page, *start))
    page.mouse.down()
    page.mouse.move(*on_photo(page, *end), steps=8)
    page.mouse.up()


def select_in_pane(page: Page, pane: str, words: str) -> None:
    """Select `words` in the text pane `pane` with the mouse."""
    heading = page.locator("h2").filter(has_text=re.compile(f"^{re.escape(pane)}$"))
    select_words(
        page, page.locator("section.pane").filter(has=heading).locator(".text-body"), words
    )


def stored(page: Page, server: DemoServer) -> dict[str, Any]:
    """The portrait sample as the server has it now (through the page's session)."""
    answer = page.request.get(f"{server.url}/api/samples/portrait")
    assert answer.ok, answer.text()
    return answer.json()  # type: ignore[no-any-return]


def near(found: list[float], wanted: list[float]) -> bool:
    """Whether pixel coordinates match within what a mouse at screen pixels can hit."""
    return len(found) == len(wanted) and all(
        abs(f - w) <= 1.5 for f, w in zip(found, wanted, strict=True)
    )


def expect_saved(page: Page) -> None:
    expect(page.get_by_role("status", name="Save state")).to_have_text("Saved", timeout=10_000)


LINK_NAME = "refers-to object span “orange suit” on caption → object box on photo"


def draw_box_and_span_and_link_them(page: Page) -> None:
    """Draw a box on the helmet and label it by search; select "orange suit" in the caption
    and label it by hotkey; Shift+click the box, L, Enter: a refers-to link."""
    page.keyboard.press("b")
    drag_on_photo(page, (372, 330), (500, 500))
    picker = page.get_by_role("dialog", name="Label the new box")
    expect(picker.get_by_role("option")).not_to_have_count(0)
    expect(picker.get_by_role("option", name=re.compile("speech"))).to_have_count(0)
    picker.get_by_label("Search the classes").fill("obj")
    picker.get_by_label("Search the classes").press("Enter")
    expect(picker).to_have_count(0)
    inspector = page.get_by_role("region", name="Selection")
    expect(inspector.get_by_role("heading", name="object box on photo")).to_be_visible()

    select_in_pane(page, "caption", "orange suit")
    picker = page.get_by_role("dialog", name="Label the new span")
    expect(picker.get_by_role("option", name=re.compile(r"^8\s*object"))).to_be_visible()
    page.keyboard.press("8")
    span_name = "object span “orange suit” on caption"
    expect(inspector.get_by_role("heading", name=span_name)).to_be_visible()

    page.keyboard.down("Shift")
    page.mouse.click(*on_photo(page, 480, 480))
    page.keyboard.up("Shift")
    expect(inspector.get_by_role("list", name="Selected").get_by_role("listitem")).to_have_count(2)
    page.keyboard.press("l")
    menu = page.get_by_role("dialog", name="Link")
    options = [re.compile("^1refers-to"), re.compile("^2same-as")]
    expect(menu.get_by_role("option")).to_have_text(options)
    page.keyboard.press("Enter")
    expect(inspector.get_by_role("heading", name="refers-to link")).to_be_visible()


def stored_link(page: Page, server: DemoServer) -> tuple[dict[str, Any], dict[str, Any]]:
    """The link drawn and its box, as the server stores them, checked against what was drawn."""
    sample = stored(page, server)
    labelled = [a for a in sample["annotations"] if a["label"] == "object"]
    span = next(a for a in labelled if a["geometry"]["type"] == "span")
    start = CAPTION.index("orange suit")
    assert span["geometry"] == {"type": "span", "start": start, "end": start + len("orange suit")}
    box = next(a for a in labelled if a["geometry"]["type"] == "box")
    assert near([box["geometry"][k] for k in ("x", "y", "w", "h")], [372, 330, 128, 170])
    link = next(x for x in sample["links"] if x["source"] == span["id"])
    assert (link["type"], link["target"], link["author"]) == ("refers-to", box["id"], "grace")
    return link, box


def status_of(page: Page, server: DemoServer, link_id: str) -> str:
    status: str = next(x for x in stored(page, server)["links"] if x["id"] == link_id)["status"]
    return status


def test_draw_label_link_reload_review_and_see_the_link_go_stale(
    page: Page, fresh_demo: DemoServer, screenshots: Path
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    open_portrait(page, fresh_demo, "grace")
    draw_box_and_span_and_link_them(page)
    expect_saved(page)
    every_link = page.get_by_role("list", name="All links")
    every_link.get_by_role("button", name=LINK_NAME).hover()
    expect(page.locator(".text-body mark.hovered")).to_have_text("orange suit")
    page.screenshot(path=screenshots / "workspace-linking.png", full_page=True)

    page.reload()
    expect(photo_frame(page)).to_have_attribute("data-state", "done")
    row = every_link.locator(".link-row", has=page.get_by_role("button", name=LINK_NAME))
    expect(row.locator(".badge")).to_have_text("proposed")
    link, box = stored_link(page, fresh_demo)
    assert link["status"] == "proposed"

    # review: accept the link
    page.keyboard.press("r")
    row.get_by_role("button", name=re.compile("^Accept")).click()
    expect(row.locator(".badge")).to_have_text("confirmed")
    expect_saved(page)
    assert status_of(page, fresh_demo, link["id"]) == "confirmed"

    # moving the box turns the confirmed link stale, on both ends, before and after saving
    page.mouse.click(*on_photo(page, 480, 480))
    drag_on_photo(page, (480, 480), (460, 470))
    expect(row.locator(".badge")).to_have_text("stale")
    expect(page.locator(".text-body mark.flagged")).to_contain_text(["orange suit"])
    expect(
        page.get_by_role("region", name="Selection").get_by_role("list", name="Flags")
    ).to_contain_text(
        "stale link: refers-to: object span “orange suit” on caption → object box on photo"
    )
    expect_saved(page)
    after = stored(page, fresh_demo)
    moved = next(a for a in after["annotations"] if a["id"] == box["id"])["geometry"]
    shift = [moved["x"] - box["geometry"]["x"], moved["y"] - box["geometry"]["y"]]
    assert near(shift, [-20, -10])
    assert status_of(page, fresh_demo, link["id"]) == "stale"

    # and review it again
    row.get_by_role("button", name=re.compile("^Accept")).click()
    expect(row.locator(".badge")).to_have_text("confirmed")
    expect_saved(page)
    assert status_of(page, fresh_demo, link["id"]) == "confirmed"
    assert problems == []


def test_the_demo_stale_link_shows_on_the_annotations_it_concerns(
    page: Page, fresh_demo: DemoServer
) -> None:
    open_portrait(page, fresh_demo, "ada")
    page.get_by_role("region", name="caption").locator("mark", has_text="flag").click()
    inspector = page.get_by_role("region", name="Selection")
    expect(inspector.get_by_role("heading", name="flag span “flag” on caption")).to_be_visible()
    expect(inspector.get_by_role("list", name="Flags")).to_have_text(
        "⚠ stale link: refers-to: flag span “flag” on caption → flag box on photo"
    )
    expect(page.get_by_role("button", name="Review R")).to_have_count(0)


def test_a_polygon_joins_an_entity_undo_redo_and_delete(page: Page, fresh_demo: DemoServer) -> None:
    open_portrait(page, fresh_demo, "ada")
    page.keyboard.press("p")
    corners = [(200, 100), (260, 100), (230, 160)]
    for corner in corners:
        page.mouse.click(*on_photo(page, *corner))
    page.keyboard.press("Enter")
    picker = page.get_by_role("dialog", name="Label the new polygon")
    picker.get_by_label("Search the classes").fill("object")
    picker.get_by_label("Search the classes").press("Enter")
    inspector = page.get_by_role("region", name="Selection")
    expect(inspector.get_by_role("heading", name="object polygon on photo")).to_be_visible()

    # Shift+click the flag's box (the polygon tool still in hand), G: the flag entity grows
    page.keyboard.down("Shift")
    page.mouse.click(*on_photo(page, 60, 300))
    page.keyboard.up("Shift")
    page.keyboard.press("g")
    expect(inspector.get_by_role("heading", name="entity flag of 3 annotations")).to_be_visible()
    page.keyboard.press("Control+z")
    expect(inspector.get_by_role("heading", name="entity flag of 2 annotations")).to_be_visible()
    page.keyboard.press("Control+Shift+Z")
    expect(inspector.get_by_role("heading", name="entity flag of 3 annotations")).to_be_visible()
    expect_saved(page)
    sample = stored(page, fresh_demo)
    polygon = next(a for a in sample["annotations"] if a["geometry"]["type"] == "polygon")
    assert polygon["label"] == "object"
    points = polygon["geometry"]["points"]
    assert all(near(point, list(corner)) for point, corner in zip(points, corners, strict=True))
    flag = next(e for e in sample["entities"] if e["id"] == "portrait.the-flag")
    assert flag["members"] == ["portrait.flag", "portrait.says-flag", polygon["id"]]

    # select it with the select tool and delete it: it leaves the entity too
    page.keyboard.press("v")
    page.mouse.click(*on_photo(page, 230, 115))
    expect(inspector.get_by_role("heading", name="object polygon on photo")).to_be_visible()
    page.keyboard.press("Delete")
    expect(page.get_by_role("img", name="photo with 3 shapes drawn")).to_be_visible()
    expect_saved(page)
    sample = stored(page, fresh_demo)
    assert all(a["geometry"]["type"] != "polygon" for a in sample["annotations"])
    flag = next(e for e in sample["entities"] if e["id"] == "portrait.the-flag")
    assert flag["members"] == ["portrait.flag", "portrait.says-flag"]


def test_a_conflict_shows_what_each_changed_and_keeps_the_choice(
    browser: Browser, fresh_demo: DemoServer
) -> None:
    theirs = browser.new_context(viewport={"width": 1360, "height": 860}).new_page()
    mine = browser.new_context(viewport={"width": 1360, "height": 860}).new_page()
    open_portrait(theirs, fresh_demo, "grace")
    open_portrait(mine, fresh_demo, "ada")

    # they move the shuttle's box right and save; I move it down and label a new box
    theirs.mouse.click(*on_photo(theirs, 420, 200))
    for _ in range(5):
        theirs.keyboard.press("ArrowRight")
    expect_saved(theirs)
    mine.mouse.click(*on_photo(mine, 420, 200))
    mine.keyboard.press("Shift+ArrowDown")
    mine.keyboard.press("b")
    drag_on_photo(mine, (380, 320), (470, 420))
    mine.keyboard.press("1")

    panel = mine.get_by_role("dialog", name="Someone else saved this sample meanwhile")
    expect(panel).to_be_visible(timeout=10_000)
    expect(mine.get_by_role("status", name="Save state")).to_have_text(
        "Conflict: choose what to keep"
    )
    shuttle = panel.get_by_role("row", name=re.compile("^spacecraft box on photo"))
    expect(shuttle.get_by_role("cell")).to_have_text(
        [re.compile("changed geometry"), "changed geometry", re.compile("mine")]
    )
    expect(panel.get_by_role("row", name=re.compile("^thing box on photo"))).to_contain_text(
        "created"
    )
    shuttle.get_by_role("radio", name="theirs").check()
    panel.get_by_role("button", name="Keep my choices and save").click()
    expect(panel).to_have_count(0)
    expect_saved(mine)

    sample = stored(mine, fresh_demo)
    box = next(a for a in sample["annotations"] if a["id"] == "portrait.shuttle")["geometry"]
    assert (box["x"], box["y"]) == (360, 0)
    assert any(
        a["label"] == "thing" and a["geometry"]["type"] == "box" for a in sample["annotations"]
    )
    theirs.context.close()
    mine.context.close()


def test_keys_help_attributes_and_resizing_a_box(page: Page, fresh_demo: DemoServer) -> None:
    open_portrait(page, fresh_demo, "ada")
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard")
    expect(help_dialog).to_contain_text("Link the two selected objects")
    expect(help_dialog).to_contain_text("Ctrl+Shift+Z")
    page.keyboard.press("Escape")
    expect(help_dialog).to_have_count(0)

    # the shuttle's box, resized by its transformer's bottom-right handle
    page.mouse.click(*on_photo(page, 420, 200))
    inspector = page.get_by_role("region", name="Selection")
    expect(inspector.get_by_role("heading", name="spacecraft box on photo")).to_be_visible()
    drag_on_photo(page, (470, 290), (490, 320))
    expect(inspector).to_contain_text(re.compile(r"box 13\d(\.\d+)?×3[12]\d(\.\d+)? at 355,0"))

    # the astronaut's attributes as typed inputs
    page.mouse.click(*on_photo(page, 200, 300))
    expect(inspector.get_by_role("heading", name="person box on photo")).to_be_visible()
    expect(inspector.get_by_label("role")).to_have_value("astronaut")
    inspector.get_by_label("occluded").select_option("yes")
    expect_saved(page)
    sample = stored(page, fresh_demo)
    shuttle = next(a for a in sample["annotations"] if a["id"] == "portrait.shuttle")["geometry"]
    assert near([shuttle[k] for k in ("x", "y", "w", "h")], [355, 0, 135, 320])
    person = next(a for a in sample["annotations"] if a["id"] == "portrait.astronaut")
    assert person["attributes"] == {"role": "astronaut", "occluded": True}


def review_state(page: Page, name: str) -> Locator:
    """The review badge of annotation `name` in review mode's list."""
    panel = page.get_by_role("region", name="Review of the sample")
    row = panel.get_by_role("listitem").filter(
        has=page.get_by_role("button", name=name, exact=True)
    )
    return row.locator(".badge")


def test_review_annotations_and_send_the_sample_back_with_a_reason(
    browser: Browser, fresh_demo: DemoServer, screenshots: Path
) -> None:
    page = browser.new_context(viewport={"width": 1360, "height": 860}).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    open_portrait(page, fresh_demo, "grace")
    expect(page.locator(".page-head .badge")).to_have_text("review")
    page.keyboard.press("r")
    box_name, span_name = "person box on photo", "flag span “flag” on caption"
    expect(review_state(page, box_name)).to_have_text("not reviewed")

    # accept the astronaut's box with A
    page.mouse.click(*on_photo(page, 200, 300))
    inspector = page.get_by_role("region", name="Selection")
    expect(inspector.get_by_role("heading", name=box_name)).to_be_visible()
    page.keyboard.press("a")
    expect(review_state(page, box_name)).to_have_text("accepted")

    # reject the caption's "flag" with a reason
    page.get_by_role("region", name="caption").locator("mark", has_text="flag").click()
    expect(inspector.get_by_role("heading", name=span_name)).to_be_visible()
    inspector.get_by_label("Rejection reason").fill("the word names the flag, label it flag-word")
    inspector.get_by_role("group", name="Review the selection").get_by_role(
        "button", name=re.compile("^Reject")
    ).click()
    expect(review_state(page, span_name)).to_have_text("rejected")
    expect(page.locator(".text-body mark.review-rejected")).to_have_text("flag")
    expect(inspector.get_by_label("Review decision")).to_contain_text("flag-word")

    # a rejection of the sample needs a reason, then sends it back to its annotator
    verdict = page.get_by_role("group", name="Verdict")
    verdict.get_by_role("button", name="Reject sample").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why the sample is rejected")
    verdict.get_by_label("Verdict reason").fill("The caption's flag is mislabelled.")
    verdict.get_by_role("button", name="Reject sample").click()
    expect(page.locator(".page-head .badge")).to_have_text("in progress")
    page.screenshot(path=screenshots / "workspace-review.png", full_page=True)

    answer = page.request.get(f"{fresh_demo.url}/api/samples/portrait/review")
    assert answer.ok, answer.text()
    stored_review = answer.json()
    assert stored_review["status"] == "in_progress"
    assert stored_review["verdict"]["reason"] == "The caption's flag is mislabelled."
    assert [(a["annotation"], a["decision"]) for a in stored_review["annotations"]] == [
        ("portrait.astronaut", "accepted"),
        ("portrait.says-flag", "rejected"),
    ]

    # editing goes on after the review: the work saves on the revision the review made
    page.mouse.click(*on_photo(page, 200, 300))
    page.keyboard.press("ArrowRight")
    expect(review_state(page, box_name)).to_have_text("outdated")
    expect_saved(page)

    page.reload()
    expect(photo_frame(page)).to_have_attribute("data-state", "done")
    expect(page.locator(".page-head .badge")).to_have_text("in progress")
    page.keyboard.press("r")
    expect(review_state(page, box_name)).to_have_text("outdated")
    expect(review_state(page, span_name)).to_have_text("rejected")
    assert problems == []

    page.context.close()
    annotator_sees_why_it_came_back(browser, fresh_demo)


def annotator_sees_why_it_came_back(browser: Browser, server: DemoServer) -> None:
    """Ada sees the verdict's reason and the decision on her caption span."""
    ada = browser.new_context(viewport={"width": 1360, "height": 860}).new_page()
    open_portrait(ada, server, "ada")
    expect(ada.get_by_role("region", name="Verdict on the sample")).to_contain_text(
        "The caption's flag is mislabelled."
    )
    ada.get_by_role("region", name="caption").locator("mark", has_text="flag").click()
    expect(ada.get_by_label("Review decision")).to_contain_text("rejected by grace")
    ada.context.close()
