"""The workspace's shell in Chromium: logging in, the project list, the sample list with its
filters and keys, and one sample's panes, whose screenshot is ``workspace-shell.png``
(``make screenshots`` keeps it in docs/screenshots)."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from browser.conftest import DemoServer, log_in
from browser.test_editing import drag_on_photo
from rosetta.core.policies import Role
from rosetta.demo.build import BUILDER, DEMO_PROJECT, ONTOLOGY_FILE
from rosetta.services.accounts import find_user, set_role
from rosetta.services.projects import create_project, load_ontology_file

CAPTION_SPANS = 2
DEMO_SAMPLES = ["portrait", "spoken-1", "spoken-2", "spoken-3", "slideshow", "caption-ranking"]


def sample_ids(page: Page) -> list[str]:
    """The ids of the rows the sample list shows."""
    return page.get_by_role("list", name="Samples").locator(".sample-id strong").all_inner_texts()


def test_a_reviewer_logs_in_and_opens_the_demo_sample(page: Page, screenshots: Path) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.goto("/app")
    expect(page).to_have_url(re.compile(r"/app/login$"))
    log_in(page, "grace")

    projects = page.get_by_role("list", name="Projects")
    expect(projects.get_by_role("link")).to_have_count(1)
    projects.get_by_role("link", name=re.compile(DEMO_PROJECT)).click()
    expect(page).to_have_url(re.compile(rf"/app/p/{DEMO_PROJECT}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_PROJECT)
    expect(page.get_by_text("6 samples")).to_be_visible()
    assert sample_ids(page) == DEMO_SAMPLES

    page.get_by_label("Modality").select_option("audio")
    expect(page).to_have_url(re.compile(r"\?modality=audio$"))
    expect(page.get_by_text("4 samples")).to_be_visible()
    assert sample_ids(page) == DEMO_SAMPLES[1:5]
    page.get_by_label("Modality").select_option("")
    page.get_by_label("Stale links").select_option("true")
    expect(page.get_by_text("1 sample", exact=True)).to_be_visible()
    page.get_by_label("Stale links").select_option("")
    expect(page.get_by_text("6 samples")).to_be_visible()

    page.locator("body").press("j")
    page.locator("body").press("j")
    expect(page.locator(".sample-row[aria-current=true] .sample-id strong")).to_have_text(
        "spoken-2"
    )
    page.locator("body").press("k")
    page.locator("body").press("k")
    page.locator("body").press("Enter")
    expect(page).to_have_url(re.compile(rf"/app/s/portrait\?project={DEMO_PROJECT}$"))

    photo = page.get_by_role("region", name="photo")
    caption = page.get_by_role("region", name="caption")
    expect(page.locator("section.pane")).to_have_count(2)
    expect(photo).to_contain_text("image")
    expect(photo).to_contain_text("512×512")
    expect(photo.locator(".image-frame")).to_have_attribute("data-state", "done")
    expect(photo.locator("canvas").first).to_be_visible()
    expect(photo.get_by_role("list", name="Labels")).to_contain_text("person")
    expect(caption).to_contain_text("text")
    expect(caption.locator("mark")).to_have_count(CAPTION_SPANS)
    expect(caption.locator("mark").first).to_have_attribute("title", "person")
    expect(page.locator(".badge.status-review")).to_be_visible()
    page.screenshot(path=screenshots / "workspace-shell.png", full_page=True)

    page.locator("body").press("Escape")
    expect(page).to_have_url(re.compile(rf"/app/p/{DEMO_PROJECT}$"))
    assert problems == []


def test_an_annotator_comes_back_to_the_deep_link_and_finds_the_next_task(page: Page) -> None:
    page.goto(f"/app/p/{DEMO_PROJECT}")
    expect(page).to_have_url(re.compile(r"/app/login\?next=%2Fapp%2Fp%2Frosetta-demo$"))
    log_in(page, "ada")
    expect(page).to_have_url(re.compile(rf"/app/p/{DEMO_PROJECT}$"))
    expect(page.get_by_text("4 samples")).to_be_visible()
    assert sample_ids(page) == ["portrait", "spoken-2", "slideshow", "caption-ranking"]
    page.get_by_role("button", name="Next task").click()
    expect(page).to_have_url(re.compile(r"/app/s/spoken-2\?"))
    expect(page.get_by_role("region", name="speech")).to_contain_text("waveform")


def test_a_wrong_password_shows_an_error_and_stays_on_the_login(page: Page) -> None:
    page.goto("/app/login")
    log_in(page, "grace", "not the password")
    expect(page.get_by_role("alert")).to_have_text("wrong user name or password")
    expect(page).to_have_url(re.compile(r"/app/login$"))
    page.goto("/app")
    expect(page).to_have_url(re.compile(r"/app/login$"))


def test_logging_out_ends_the_session(page: Page) -> None:
    page.goto("/app/login")
    log_in(page, "admin")
    expect(page.get_by_role("list", name="Projects")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/app/login$"))
    page.goto("/app")
    expect(page).to_have_url(re.compile(r"/app/login$"))


def test_a_sample_opened_without_its_project_is_edited_in_the_project_it_names(
    page: Page, fresh_demo: DemoServer
) -> None:
    """ada works in two projects, and the address names neither: the sample's answer names
    its project, so the workspace is editable and the breadcrumb leads back to it."""
    engine = fresh_demo.engine
    other = create_project(engine, "elsewhere", load_ontology_file(ONTOLOGY_FILE), BUILDER)
    with engine.connect() as connection:
        ada = find_user(connection, "ada").id
    set_role(engine, BUILDER, other.id, ada, Role.ANNOTATOR)
    page.goto(f"{fresh_demo.url}/app/s/portrait")
    log_in(page, "ada")
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(crumbs.get_by_role("link", name=DEMO_PROJECT)).to_have_attribute(
        "href", f"/app/p/{DEMO_PROJECT}"
    )
    expect(page.get_by_text("Read only")).to_have_count(0)
    # the project's ontology is loaded: drawing a box asks for one of its classes
    page.keyboard.press("b")
    drag_on_photo(page, (372, 330), (500, 500))
    picker = page.get_by_role("dialog", name="Label the new box")
    expect(picker.get_by_role("option", name=re.compile("person"))).to_have_count(1)


def test_a_reviewer_follows_the_review_queue_to_the_stale_link(page: Page) -> None:
    page.goto("/")  # the site's root leads to the workspace
    expect(page).to_have_url(re.compile(r"/app/login$"))
    log_in(page, "grace")
    page.get_by_role("list", name="Projects").get_by_role("link").first.click()
    page.get_by_role("link", name="Review queue").click()
    expect(page).to_have_url(re.compile(rf"/app/p/{DEMO_PROJECT}/review$"))
    stale = page.get_by_role("region", name="Stale links")
    expect(stale.get_by_role("listitem")).to_have_count(1)
    expect(stale).to_contain_text("on portrait · link portrait.mentions-flag")
    stale.get_by_role("link").click()
    expect(page).to_have_url(
        re.compile(r"/app/s/portrait\?project=rosetta-demo&select=portrait\.mentions-flag$")
    )
    selection = page.get_by_role("region", name="Selection")
    expect(selection.get_by_role("heading", level=3)).to_have_text("refers-to link")
    expect(selection).to_contain_text("Status stale")


def test_an_annotator_gets_no_review_queue(page: Page) -> None:
    page.goto(f"/app/p/{DEMO_PROJECT}")
    log_in(page, "ada")
    expect(page.get_by_text("4 samples")).to_be_visible()
    expect(page.get_by_role("link", name="Review queue")).to_have_count(0)
    page.goto(f"/app/p/{DEMO_PROJECT}/review")
    expect(page.get_by_role("alert")).to_contain_text("Could not load the review queue")
