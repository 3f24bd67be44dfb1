"""The project's "Import / export" dialog in Chromium, over a demo store of its own served
with a job worker and a second, empty project with the demo's ontology: the site
administrator uploads Datumaro's COCO file there without a mapping and reads the unmapped
labels in the failure, uploads it again with a YAML mapping and sees the import succeed,
then exports the project as COCO and downloads ``instances.json`` from its link
(``format-dialog.png``); ``Esc`` closes the dialog."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, expect

from browser.conftest import DemoServer, log_in, require_built_workspace, served
from conftest import DEMO_ONTOLOGY, TESTER
from foreign_formats import COCO, COCO_MAPPING
from rosetta.demo.build import MEDIA_DIR, build_demo
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.engine import open_store

#: The empty project the test imports into.
PROJECT = "imported"


@pytest.fixture
def working_demo(tmp_path: Path) -> Iterator[DemoServer]:
    """A fresh demo store and an empty project served for this test alone, with a job
    worker to run its imports."""
    require_built_workspace()
    engine = open_store(f"sqlite:///{tmp_path / 'demo.db'}")
    build_demo(engine)
    create_project(engine, PROJECT, load_ontology_file(DEMO_ONTOLOGY), TESTER)
    with served(engine, tmp_path, (MEDIA_DIR,), job_workers=1) as url:
        yield DemoServer(url, engine)


def test_a_coco_file_imported_and_the_project_exported(
    browser: Browser, working_demo: DemoServer, screenshots: Path
) -> None:
    page = browser.new_context(viewport={"width": 1360, "height": 1000}).new_page()
    page.goto(f"{working_demo.url}/app/p/{PROJECT}")
    log_in(page, "admin")
    expect(page.locator(".list-count")).to_have_text("0 samples")
    page.get_by_role("button", name="Import / export").click()
    dialog = page.get_by_role("dialog", name="Import / export")
    importing = dialog.get_by_role("form", name="Import")
    expect(importing.get_by_label("Format")).to_be_focused()
    importing.get_by_label("Format").select_option("coco")
    importing.get_by_label("File or .zip of a folder").set_input_files(COCO)
    importing.get_by_role("button", name="Start import").click()
    state = dialog.get_by_role("status")
    expect(state).to_contain_text("The import failed: 2 label(s) map to no class")
    expect(state).to_contain_text("'a': 1 annotations, first at uploads/")
    expect(state).to_contain_text("'b': 1 annotations")

    importing.get_by_label("Label mapping (YAML or JSON)").fill(yaml.safe_dump(COCO_MAPPING))
    importing.get_by_role("button", name="Start import").click()
    expect(state).to_have_text("Imported 1 sample (0 already there), 2 annotations.")
    expect(page.locator(".list-count")).to_have_text("1 sample")  # the list was reloaded

    exporting = dialog.get_by_role("form", name="Export")
    exporting.get_by_label("Format").select_option("coco")
    exporting.get_by_role("button", name="Start export").click()
    expect(state).to_have_text("Exported 1 sample, 2 annotations.")
    link = dialog.get_by_role("list", name="Exported files").get_by_role(
        "link", name="instances.json"
    )
    expect(link).to_be_visible()
    page.screenshot(path=screenshots / "format-dialog.png")
    href = link.get_attribute("href")
    assert href is not None
    answer = page.request.get(f"{working_demo.url}{href}")
    assert answer.ok, answer.text()
    instances = json.loads(answer.body())
    assert "b.jpg" in [image["file_name"] for image in instances["images"]]

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
