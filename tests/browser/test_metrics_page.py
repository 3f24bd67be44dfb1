"""The annotator metrics dashboard in Chromium, over a demo of its own: ada and bea each
annotate the portrait and the slideshow (overlap slots), grace accepts one and returns the
other, and ada has a scored gold slot; grace opens the dashboard from the project's page,
sorts the table, and the table and the plots show the API's numbers
(``metrics-dashboard.png``); ada sees her own metrics only."""

from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import insert, select, update

from browser.conftest import DemoServer, log_in
from conftest import TESTER
from rosetta.core.policies import Access, Role
from rosetta.core.workflow import AnnotateStage, ReviewStage, Workflow
from rosetta.demo.build import DEMO_PROJECT
from rosetta.services import accounts
from rosetta.services.projects import find_project
from rosetta.services.task_leases import next_task, review_task, submit_task
from rosetta.services.workflow import enqueue, new_task_id, set_workflow
from rosetta.store.events import Actor
from rosetta.store.tables import tasks

SAMPLES = ("portrait", "slideshow")
GOLD = (
    '{"score": 0.8, "modalities": {"image": {"reference": 1, "submitted": 1, "matched": 1,'
    ' "f1": 0.8}}, "links": {"reference": 1, "submitted": 1, "matched": 0, "f1": 0.5},'
    ' "feedback": []}'
)


def _work(server: DemoServer) -> str:
    """Work the demo's two samples through the workflow; the project's id."""
    engine = server.engine
    with engine.connect() as connection:
        project = find_project(connection, DEMO_PROJECT).id
        people = {name: accounts.find_user(connection, name) for name in ("ada", "grace")}
    people["bea"] = accounts.create_user(engine, "bea")
    accounts.set_role(engine, TESTER, project, people["bea"].id, Role.ANNOTATOR)
    roles = {"ada": Role.ANNOTATOR, "bea": Role.ANNOTATOR, "grace": Role.REVIEWER}
    access = {n: Access(people[n].principal(), project, role) for n, role in roles.items()}
    flow = Workflow(stages=(AnnotateStage(overlap=2, overlap_share=1.0), ReviewStage()))
    set_workflow(engine, TESTER, project, flow)
    enqueue(engine, TESTER, project, list(SAMPLES))
    for _ in SAMPLES:
        for name in ("ada", "bea"):
            task = next_task(engine, Actor(name), access[name], ("annotate",))
            assert task is not None
            submit_task(engine, Actor(name), access[name], task.id)
    accepted = ""
    for decision, comment in (("accepted", None), ("rejected", "box the flag too")):
        review = next_task(engine, Actor("grace"), access["grace"], ("review",))
        assert review is not None
        review_task(
            engine, Actor("grace"), access["grace"], review.id, decision=decision, comment=comment
        )
        accepted = accepted or review.sample
    with engine.begin() as connection:
        # the accepted sample was a blind pass (the returned one's slots are not handed in)
        connection.execute(
            update(tasks).where(tasks.c.sample_id == accepted).values(candidates_hidden=True)
        )
        connection.execute(
            insert(tasks).values(
                id=new_task_id(),
                project_id=project,
                sample_id=connection.execute(
                    select(tasks.c.sample_id).where(tasks.c.project_id == project).limit(1)
                ).scalar_one(),
                stage="annotate",
                slot=9,
                status="done",
                user_id=people["ada"].id,
                kind="gold",
                score=0.8,
                score_detail=GOLD,
                created_at=0.0,
                updated_at=0.0,
            )
        )
    return project


def _titles(figure: Locator) -> list[str]:
    """The tooltips of a plot's marks (their SVG titles)."""
    found: list[str] = figure.locator("svg title").evaluate_all(
        "titles => titles.map(title => title.textContent)"
    )
    return found


def _open_as(browser: Browser, server: DemoServer, name: str, path: str) -> Page:
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    page = context.new_page()
    page.goto(f"{server.url}{path}")
    log_in(page, name)
    return page


def _cells(page: Page, person: str) -> dict[str, str]:
    row = page.get_by_role("table", name="Annotators").locator("tbody tr", has_text=person)
    return {
        str(cell.get_attribute("data-column")): cell.inner_text()
        for cell in row.locator("td").all()
    }


def test_the_dashboard_shows_the_apis_numbers(
    browser: Browser, fresh_demo: DemoServer, screenshots: Path
) -> None:
    _work(fresh_demo)
    page = _open_as(browser, fresh_demo, "grace", f"/app/p/{DEMO_PROJECT}")
    page.get_by_role("link", name="Annotator metrics").click()
    expect(page.get_by_role("heading", name="Annotator metrics")).to_be_visible()
    table = page.get_by_role("table", name="Annotators")
    expect(table.locator("tbody tr")).to_have_count(3)
    answer = page.request.get(f"{fresh_demo.url}/api/projects/{DEMO_PROJECT}/metrics/annotators")
    assert answer.ok, answer.text()
    people = {p["user"]: p["metrics"] for p in answer.json()["annotators"]}
    ada = _cells(page, "ada")
    assert ada["handed_in"] == str(people["ada"]["throughput"]["handed_in"]) == "2"
    assert ada["accuracy"] == "80%"
    assert ada["first_pass"] == "50%"  # the portrait accepted, the slideshow returned
    assert _cells(page, "grace")["handed_in"] == "2"
    agreement = people["ada"]["agreement"]["mean"]["value"]
    assert ada["agreement"] == f"{round(agreement * 100)}%"
    # the demo's stale link and the unmentioned shuttle are about ada's work
    assert ada["open_findings"] == str(people["ada"]["open_findings"]) == "2"

    # sorting: by tasks, most first, then flipped; the headers say so
    tasks_header = table.locator('th[data-column="handed_in"]')
    tasks_header.get_by_role("button").click()
    expect(tasks_header).to_have_attribute("aria-sort", "descending")
    page.get_by_role("columnheader", name="Person").get_by_role("button").focus()
    page.keyboard.press("Enter")
    expect(table.locator("tbody tr th")).to_have_text(["ada", "bea", "grace"])
    page.keyboard.press("Enter")
    expect(table.locator("tbody tr th")).to_have_text(["grace", "bea", "ada"])

    accuracy = page.get_by_role("figure", name="Accuracy against gold")
    titles = _titles(accuracy)
    assert "ada · image: 80% (1)" in titles
    assert "ada · links: 50% (1)" in titles
    slices = page.get_by_role("figure", name="Blind vs shown")
    sliced = _titles(slices)
    assert "ada · accuracy shown: 80% (1)" in sliced
    blind = people["ada"]["blind"]["agreement"]
    assert f"ada · agreement blind: {round(blind['value'] * 100)}% (1)" in sliced
    throughput = page.get_by_role("figure", name="Throughput over time")
    points = _titles(throughput)
    assert sum(int(p.rsplit(": ", 1)[1]) for p in points if p.startswith("bea ·")) == 2
    page.screenshot(path=screenshots / "metrics-dashboard.png", full_page=True)

    own = _open_as(browser, fresh_demo, "ada", f"/app/p/{DEMO_PROJECT}")
    own.get_by_role("link", name="My metrics").click()
    mine = own.get_by_role("table", name="Annotators")
    expect(mine.locator("tbody tr th")).to_have_text(["ada"])
    assert _cells(own, "ada")["accuracy"] == "–"  # audit gold is not hers to see
    expect(mine.locator("tfoot")).to_have_count(0)
