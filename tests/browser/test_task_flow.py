"""Working the queue through task slots in Chromium, over a demo of its own with a workflow
(annotate, then review) and the portrait queued: ada takes the next task from the sample
list, draws a box and submits it (``Ctrl+Enter``), grace takes the review task and rejects
it with a comment (``Ctrl+Shift+Enter``), and ada, taking her next task again, gets the
portrait back with the comment in the task bar (``task-returned.png``). A newcomer's
training task shows their score and feedback once submitted
(``task-training-feedback.png``). Releasing a task (``Shift+T``) gives it back to the
queue."""

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from api_clients import token_headers
from browser.conftest import DemoServer, log_in
from browser.test_editing import drag_on_photo, expect_saved, photo_frame
from rosetta.core.policies import Role
from rosetta.demo.build import DEMO_PASSWORD, DEMO_PROJECT
from rosetta.services.accounts import create_user, set_role
from rosetta.services.gold import mark_gold
from rosetta.store.events import Actor

COMMENT = "The astronaut's helmet is cut off: box the whole suit."
WORKFLOW = {"stages": [{"kind": "annotate", "lease_seconds": 600}, {"kind": "review"}]}


def queue_the_portrait(admin: httpx.Client) -> None:
    """As the site admin: set the workflow and queue the portrait."""
    project = f"/api/projects/{DEMO_PROJECT}"
    assert admin.put(f"{project}/workflow", json=WORKFLOW).status_code == 200
    queued = admin.post(f"{project}/tasks", json={"samples": ["portrait"]})
    assert queued.json() == {"created": 1}, queued.text


def tasks_of(admin: httpx.Client, stage: str) -> list[dict[str, Any]]:
    answer = admin.get(f"/api/projects/{DEMO_PROJECT}/tasks", params={"stage": stage})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def open_as(browser: Browser, server: DemoServer, name: str) -> Page:
    """A page of a browser context of its own, logged in as `name` on the sample list."""
    context = browser.new_context(viewport={"width": 1360, "height": 860})
    page = context.new_page()
    page.goto(f"{server.url}/app/p/{DEMO_PROJECT}")
    log_in(page, name)
    expect(page.get_by_role("button", name="Next task")).to_be_enabled()
    return page


def take_next(page: Page, stage: str) -> None:
    """Take the next task from the sample list: its sample opens with the task bar."""
    page.get_by_role("button", name="Next task").click()
    expect(page).to_have_url(re.compile(r"/app/s/portrait\?project=.*&task=[0-9a-f]{32}$"))
    expect(page.get_by_role("region", name="Task")).to_contain_text(stage)
    expect(photo_frame(page)).to_have_attribute("data-state", "done")


def release_and_take_again(page: Page, admin: httpx.Client) -> None:
    """Shift+T gives the task back to the queue; the list says so; take it again."""
    page.keyboard.press("Shift+T")
    expect(page).to_have_url(re.compile(rf"/app/p/{DEMO_PROJECT}$"))
    expect(page.get_by_role("status").filter(has_text="Task released")).to_be_visible()
    (released,) = tasks_of(admin, "annotate")
    assert (released["status"], released["user"]) == ("open", None)
    take_next(page, "Annotate")


def annotate_and_submit(page: Page) -> None:
    page.keyboard.press("?")
    keys = page.get_by_role("dialog", name="Keyboard")
    expect(keys).to_contain_text("Task: save and submit it")
    expect(keys).to_contain_text("Review task: reject the sample")
    page.keyboard.press("Escape")
    expect(keys).to_have_count(0)
    bar = page.get_by_role("region", name="Task")
    expect(bar.get_by_label("Lease left")).to_have_text(re.compile(r"^(10:00|9:[0-5]\d)$"))
    expect(bar.get_by_role("button", name=re.compile("Release"))).to_be_visible()
    page.keyboard.press("b")
    drag_on_photo(page, (150, 120), (260, 330))
    picker = page.get_by_role("dialog", name="Label the new box")
    picker.get_by_label("Search the classes").fill("person")
    picker.get_by_label("Search the classes").press("Enter")
    expect(picker).to_have_count(0)
    expect_saved(page)
    page.keyboard.press("Control+Enter")
    # nothing else waits for ada: back to the list, saying so
    expect(page).to_have_url(re.compile(rf"/app/p/{DEMO_PROJECT}$"))
    expect(page.get_by_role("status").filter(has_text="No task is waiting")).to_be_visible()


def review_and_reject(page: Page) -> None:
    bar = page.get_by_role("region", name="Task")
    expect(bar.get_by_role("button", name=re.compile("^Accept"))).to_be_visible()
    expect(bar.get_by_role("button", name=re.compile("Submit task"))).to_have_count(0)
    page.keyboard.press("Control+Shift+Enter")
    dialog = page.get_by_role("dialog", name="Reject the sample")
    comment = dialog.get_by_label("Comment for the annotators")
    expect(comment).to_be_focused()
    dialog.get_by_role("button", name="Reject and return it").click()
    expect(dialog.get_by_role("alert")).to_have_text("Say what the annotators should fix.")
    comment.fill(COMMENT)
    comment.press("Control+Enter")
    expect(page).to_have_url(re.compile(rf"/app/p/{DEMO_PROJECT}$"))


def test_take_submit_reject_and_see_the_comment(
    browser: Browser, fresh_demo: DemoServer, screenshots: Path
) -> None:
    headers = token_headers(fresh_demo.engine, "admin")
    with httpx.Client(base_url=fresh_demo.url, headers=headers, timeout=30) as admin:
        queue_the_portrait(admin)
        work_the_portrait(browser, fresh_demo, admin, screenshots)


def work_the_portrait(
    browser: Browser, fresh_demo: DemoServer, admin: httpx.Client, screenshots: Path
) -> None:
    problems: list[str] = []
    ada = open_as(browser, fresh_demo, "ada")
    ada.on("pageerror", lambda error: problems.append(f"ada: {error}"))
    take_next(ada, "Annotate")
    release_and_take_again(ada, admin)
    annotate_and_submit(ada)
    (submitted,) = tasks_of(admin, "annotate")
    assert (submitted["status"], submitted["user"]) == ("submitted", "ada")
    work = admin.get("/api/samples/portrait").json()
    assert any(
        a["author"] == "ada" and a["label"] == "person" and a["geometry"]["type"] == "box"
        for a in work["annotations"]
    )

    grace = open_as(browser, fresh_demo, "grace")
    grace.on("pageerror", lambda error: problems.append(f"grace: {error}"))
    take_next(grace, "Review")
    review_and_reject(grace)
    (review,) = tasks_of(admin, "review")
    assert (review["status"], review["user"], review["comment"]) == ("done", "grace", COMMENT)

    # ada's next task is the portrait again, with the reviewer's comment
    ada.keyboard.press("n")
    expect(ada).to_have_url(re.compile(rf"task={submitted['id']}$"))
    bar = ada.get_by_role("region", name="Task")
    expect(bar).to_have_attribute("data-status", "returned")
    expect(bar.get_by_role("note", name="Reviewer's comment")).to_have_text(
        f"Returned by the reviewer: “{COMMENT}”"
    )
    expect(bar.get_by_label("Lease left")).to_have_count(0)
    expect(bar.get_by_role("button", name=re.compile("Release"))).to_have_count(0)
    expect(photo_frame(ada)).to_have_attribute("data-state", "done")
    ada.screenshot(path=screenshots / "task-returned.png")
    (returned,) = tasks_of(admin, "annotate")
    assert (returned["status"], returned["comment"]) == ("returned", COMMENT)

    # a task page of a task she does not hold (the review task) says so, and offers hers
    ada.goto(f"{fresh_demo.url}/app/s/portrait?project={DEMO_PROJECT}&task={review['id']}")
    stale = ada.get_by_role("region", name="Task")
    expect(stale).to_contain_text(f"Task {review['id']} is no longer yours.")
    stale.get_by_role("button", name="Take the next task").click()
    expect(ada).to_have_url(re.compile(rf"task={submitted['id']}$"))
    expect(ada.get_by_role("region", name="Task")).to_have_attribute("data-status", "returned")

    # she hands it in again, and grace accepts it (Ctrl+Enter): the sample is done
    expect(photo_frame(ada)).to_have_attribute("data-state", "done")
    ada.keyboard.press("Control+Enter")
    expect(ada).to_have_url(re.compile(rf"/app/p/{DEMO_PROJECT}$"))
    grace.get_by_role("button", name="Next task").click()
    expect(grace.get_by_role("region", name="Task")).to_have_attribute("data-stage", "review")
    grace.keyboard.press("Control+Enter")
    expect(grace).to_have_url(re.compile(rf"/app/p/{DEMO_PROJECT}$"))
    (accepted,) = tasks_of(admin, "review")
    assert (accepted["status"], accepted["user"]) == ("done", "grace")
    assert admin.get("/api/samples/portrait").json()["status"] == "done"
    assert problems == []


def test_a_training_task_shows_its_score_and_feedback(
    browser: Browser, fresh_demo: DemoServer, screenshots: Path
) -> None:
    """A newcomer's first task is a training sample (the portrait, gold for training): they
    see none of its reference work, draw one box where the reference has none, submit, and
    read their score and what they missed; a click on the extra remark selects their box."""
    engine = fresh_demo.engine
    headers = token_headers(engine, "admin")
    with httpx.Client(base_url=fresh_demo.url, headers=headers, timeout=30) as admin:
        project = admin.get(f"/api/projects/{DEMO_PROJECT}").json()["id"]
        training = {"stages": [{"kind": "annotate"}], "training": {"tasks": 1}}
        assert admin.put(f"/api/projects/{DEMO_PROJECT}/workflow", json=training).status_code == 200
    mark_gold(engine, Actor("admin"), project, "portrait", "training")
    nova = create_user(engine, "nova", DEMO_PASSWORD)
    set_role(engine, Actor("admin"), project, nova.id, Role.ANNOTATOR)

    page = open_as(browser, fresh_demo, "nova")
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    take_next(page, "Annotate · training")
    expect(page.locator(".page-head").first).to_contain_text("0 annotations")
    page.keyboard.press("b")
    drag_on_photo(page, (440, 20), (500, 90))
    picker = page.get_by_role("dialog", name="Label the new box")
    picker.get_by_label("Search the classes").fill("person")
    picker.get_by_label("Search the classes").press("Enter")
    expect(picker).to_have_count(0)
    page.get_by_role("button", name=re.compile("Submit task")).click()

    feedback = page.get_by_role("region", name="Training feedback")
    expect(feedback.get_by_role("heading")).to_contain_text("Score 0%")
    expect(feedback.locator("li[data-kind=missed]")).not_to_have_count(0)
    extra = feedback.locator("li[data-kind=extra]")
    expect(extra).to_have_text("Extra Extra: your “person” on photo is not in the reference")
    page.keyboard.press("Escape")  # nothing selected any more
    extra.get_by_role("button").click()
    inspector = page.get_by_role("region", name="Selection")
    expect(inspector.get_by_role("heading", level=3).first).to_contain_text("person box")
    page.screenshot(path=screenshots / "task-training-feedback.png")
    expect(page.get_by_role("region", name="Task")).to_have_attribute("data-status", "done")
    page.keyboard.press("Control+Enter")  # the next task: none waits
    expect(page).to_have_url(re.compile(rf"/app/p/{DEMO_PROJECT}$"))
    assert problems == []
