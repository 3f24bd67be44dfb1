"""The QA checks' findings in Chromium, over a demo of its own. In the portrait's workspace
grace (reviewer) sees the demo's two open findings, the stale link's warning before the
info that the caption does not mention the shuttle; clicking the info selects the shuttle;
she waives it with a reason typed inline (``findings-panel.png``); a change someone made
meanwhile makes her "Resolve" a 409, which reloads the list and says so; and a box she
draws and saves brings a new finding without a reload. ada (annotator) sees findings but
no buttons to change them. On the project's quality page grace sees the API's counts, the
open findings linking to their samples, and the full report; admin runs the checks and the
page follows the job until it is done (``quality-page.png``)."""

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Locator, Page, expect

from browser.conftest import DemoServer
from browser.test_editing import drag_on_photo, expect_saved
from browser.test_escalation import open_as, open_portrait
from rosetta.demo.build import DEMO_PROJECT
from rosetta.services.job_worker import Worker

PORTRAIT = f"/app/s/portrait?project={DEMO_PROJECT}"
QUALITY = f"/app/p/{DEMO_PROJECT}/quality"
REASON = "The caption is about the astronaut; the model behind is background."
STATUSES = ("open", "resolved", "waived")


def findings_of(page: Page, server: DemoServer) -> list[dict[str, Any]]:
    """The portrait's findings as the page's person reads them on the server."""
    answer = page.request.get(f"{server.url}/api/samples/portrait/findings")
    assert answer.ok, answer.text()
    found: list[dict[str, Any]] = answer.json()
    return found


def finding_about(page: Page, server: DemoServer, subject: str) -> dict[str, Any]:
    """The portrait's one finding whose first subject is `subject`."""
    (found,) = [f for f in findings_of(page, server) if f["subjects"][0] == subject]
    return found


def csrf(page: Page) -> str:
    """The CSRF token of the page's session (an unsafe request sends it back)."""
    (token,) = [c["value"] for c in page.context.cookies() if c["name"] == "rosetta_csrf"]
    return token


def findings_panel(page: Page) -> Locator:
    return page.get_by_role("region", name="Findings of the checks")


def select_and_waive(grace: Page, server: DemoServer, screenshots: Path) -> None:
    """grace sees the portrait's two open findings, selects the shuttle from its finding
    and waives that finding with a reason."""
    panel = findings_panel(grace)
    count = panel.locator(".findings-count")
    expect(count).to_have_text("2")
    expect(count).to_have_attribute("aria-label", "2 open findings")
    listed = panel.get_by_role("list", name="Open findings").locator(".finding")
    expect(listed).to_have_count(2)
    assert [item.get_attribute("data-check") for item in listed.all()] == [
        "stale-links",  # a warning before an info
        "partial-alignment",
    ]
    shuttle = listed.nth(1)
    expect(shuttle.locator(".badge")).to_have_text("info")
    expect(shuttle.locator(".message")).to_have_text(
        "region 'portrait.shuttle' (spacecraft) on 'portrait.photo' is not mentioned in the"
        " linked text 'portrait.caption'"
    )
    expect(shuttle.locator(".fix")).to_have_text(re.compile(r"^Fix: link the words naming"))

    # clicking the finding selects the shuttle
    shuttle.locator(".finding-main").click()
    inspector = grace.get_by_role("region", name="Selection")
    expect(inspector.get_by_role("heading", level=3).first).to_contain_text("spacecraft box")

    # waiving asks why, inline; the finding then shows folded away with the reason
    shuttle.get_by_role("button", name="Waive…").click()
    form = shuttle.get_by_role("form", name="Waive the finding")
    expect(form.get_by_label("Reason")).to_be_focused()
    form.get_by_role("button", name="Waive", exact=True).click()
    expect(form.get_by_role("alert")).to_have_text("Say why: a waived finding is not raised again.")
    form.get_by_label("Reason").fill(REASON)
    grace.screenshot(path=screenshots / "findings-panel.png")
    form.get_by_role("button", name="Waive", exact=True).click()
    expect(count).to_have_text("1")
    closed = panel.locator("details.closed-findings")
    expect(closed.locator("summary")).to_have_text("Resolved or waived (1)")
    closed.locator("summary").click()
    waived = closed.locator('.finding[data-check="partial-alignment"]')
    expect(waived.locator(".state")).to_have_text(f"waived by grace: {REASON}")
    expect(waived.get_by_role("button", name="Reopen")).to_be_visible()
    stored = finding_about(grace, server, "portrait.shuttle")
    assert (stored["status"], stored["reason"], stored["status_by"], stored["revision"]) == (
        "waived",
        REASON,
        "grace",
        2,
    )


def meet_a_conflict_then_save(grace: Page, server: DemoServer) -> None:
    """Someone resolves the stale link's finding meanwhile: grace's "Resolve" is refused,
    and the list shows it as it is now; a box she then saves brings a new finding."""
    panel = findings_panel(grace)
    count = panel.locator(".findings-count")
    listed = panel.get_by_role("list", name="Open findings").locator(".finding")
    closed = panel.locator("details.closed-findings")
    stale = finding_about(grace, server, "portrait.mentions-flag")
    answer = grace.request.patch(
        f"{server.url}/api/findings/{stale['id']}",
        headers={"If-Match": f'"{stale["revision"]}"', "X-CSRF-Token": csrf(grace)},
        data={"status": "resolved"},
    )
    assert answer.ok, answer.text()
    listed.first.get_by_role("button", name="Resolve").click()
    expect(panel.get_by_role("status", name="Findings notice")).to_have_text(
        "This finding changed meanwhile (now resolved by grace): the list shows it as it is now."
    )
    expect(count).to_have_text("0")
    expect(closed.locator("summary")).to_have_text("Resolved or waived (2)")

    # a saved box the caption does not mention is found at once; the stale link, still
    # stale, is open again
    grace.keyboard.press("b")
    drag_on_photo(grace, (372, 330), (500, 500))
    picker = grace.get_by_role("dialog", name="Label the new box")
    picker.get_by_label("Search the classes").fill("object")
    picker.get_by_label("Search the classes").press("Enter")
    expect(picker).to_have_count(0)
    expect_saved(grace)
    expect(count).to_have_text("2")
    new = listed.filter(has_text="(object) on 'portrait.photo' is not mentioned")
    expect(new).to_have_count(1)
    again = finding_about(grace, server, "portrait.mentions-flag")
    assert (again["status"], again["status_by"], again["reason"]) == ("open", None, None)


def annotator_cannot_change_them(browser: Browser, server: DemoServer) -> None:
    """ada sees the portrait's findings about her work, without buttons to change them."""
    ada = open_as(browser, server, "ada", PORTRAIT)
    open_portrait(ada)
    panel = findings_panel(ada)
    expect(panel.locator(".finding").first).to_be_visible()
    assert panel.locator(".finding").count() == len(findings_of(ada, server))
    for name in ("Waive…", "Resolve", "Reopen"):
        expect(panel.get_by_role("button", name=name)).to_have_count(0)
    ada.context.close()


def counts(page: Page, table: str, key: str) -> dict[str, dict[str, str]]:
    """A counts table of the quality page: each row's cells by status, by the row's `key`
    attribute (and severity, for the table by check)."""
    found = {}
    for row in page.get_by_role("table", name=table).locator("tbody tr").all():
        name = str(row.get_attribute(f"data-{key}"))
        severity = row.get_attribute("data-severity")
        cells = {s: row.locator(f'td[data-column="{s}"]').inner_text() for s in STATUSES}
        found[name if severity is None else f"{name}/{severity}"] = cells
    return found


def expected(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, str]]:
    """The summary's counts of `key` as the page's tables show them."""
    table: dict[str, dict[str, str]] = {}
    for row in rows:
        name = row[key] if key == "annotator" else f"{row[key]}/{row['severity']}"
        table.setdefault(name, dict.fromkeys(STATUSES, "0"))[row["status"]] = str(row["count"])
    return table


def on_the_quality_page(grace: Page, server: DemoServer) -> None:
    """grace opens the quality page from the project's page: the API's counts, the
    headline agreement, the open findings linking to their samples, the full report."""
    grace.goto(f"{server.url}/app/p/{DEMO_PROJECT}")
    grace.get_by_role("link", name="Quality").click()
    expect(grace.get_by_role("heading", name="Quality", level=1)).to_be_visible()
    api = f"{server.url}/api/projects/{DEMO_PROJECT}"
    summary = grace.request.get(f"{api}/findings/summary").json()
    expect(grace.get_by_role("table", name="Findings by check").locator("tbody tr")).to_have_count(
        len({(c["check"], c["severity"]) for c in summary["checks"]})
    )
    assert counts(grace, "Findings by check", "check") == expected(summary["checks"], "check")
    assert counts(grace, "Findings by check", "check")["partial-alignment/info"] == {
        "open": "1",
        "resolved": "0",
        "waived": "1",
    }
    assert counts(grace, "Findings by annotator", "annotator") == expected(
        summary["annotators"], "annotator"
    )
    report = grace.request.get(f"{api}/qa/report").json()
    headline = grace.get_by_role("table", name="Headline agreement")
    link_f1 = report["links"]["f1"]
    expect(headline.locator('tr[data-measure="link-f1"] td').first).to_have_text(
        "–" if link_f1 is None else f"{link_f1:.2f}"
    )

    # the open findings, filtered by severity, open their samples with the subject selected
    listed = grace.get_by_role("list", name="Open findings list").locator("li")
    expect(listed).to_have_count(summary["open"])
    grace.get_by_label("Severity").select_option("warning")
    expect(listed).to_have_count(1)
    expect(listed.get_by_role("link")).to_have_attribute(
        "href", re.compile(r"^/app/s/portrait\?.*select=portrait\.mentions-flag")
    )

    full = grace.get_by_role("link", name="Full report")
    expect(full).to_have_attribute("target", "_blank")
    page = grace.request.get(f"{server.url}{full.get_attribute('href')}")
    assert page.status == 200, page.text()
    assert page.headers["content-type"].startswith("text/html")
    expect(grace.get_by_role("button", name="Run checks")).to_have_count(0)  # managers only

    listed.get_by_role("link").click()
    inspector = grace.get_by_role("region", name="Selection")
    expect(inspector.get_by_role("heading", level=3).first).to_contain_text("refers-to")


def admin_runs_the_checks(
    browser: Browser, server: DemoServer, tmp_path: Path, screenshots: Path
) -> None:
    """admin runs every check: the page shows the queued job, follows it while a worker
    runs it, and says when it is done."""
    admin = open_as(browser, server, "admin", QUALITY)
    admin.get_by_role("button", name="Run checks").click()
    progress = admin.get_by_role("status", name="Run of the checks")
    expect(progress).to_have_text(re.compile("Queued: waiting for a worker"))
    expect(admin.get_by_role("button", name="Run checks")).to_be_disabled()
    (job,) = Worker(server.engine, data_dir=tmp_path / "data", poll=0.05).run_until_idle()
    assert (job.kind, job.status) == ("qa", "done")
    assert job.result is not None
    expect(progress).to_have_text(f"Checks done: {job.result['samples']} samples checked.")
    expect(admin.get_by_role("button", name="Run checks")).to_be_enabled()
    expect(admin.get_by_role("table", name="Findings by check")).to_be_visible()
    admin.screenshot(path=screenshots / "quality-page.png", full_page=True)
    admin.context.close()


def test_findings_in_the_workspace_and_on_the_quality_page(
    browser: Browser, fresh_demo: DemoServer, screenshots: Path, tmp_path: Path
) -> None:
    problems: list[str] = []
    grace = open_as(browser, fresh_demo, "grace", PORTRAIT)
    grace.on("pageerror", lambda error: problems.append(str(error)))
    open_portrait(grace)
    select_and_waive(grace, fresh_demo, screenshots)
    meet_a_conflict_then_save(grace, fresh_demo)
    annotator_cannot_change_them(browser, fresh_demo)
    on_the_quality_page(grace, fresh_demo)
    admin_runs_the_checks(browser, fresh_demo, tmp_path, screenshots)
    assert problems == []
