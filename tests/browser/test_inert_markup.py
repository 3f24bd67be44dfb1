"""Markup in imported data is shown as text, never run: a project whose class names,
descriptions and guideline hold HTML with script, and a sample whose text, attribute
text and metadata hold more, imported and opened in Chromium. No script of theirs runs
(each would set ``window.__pwned`` or open a dialog), none of their elements is in the
page, and the label and the text are shown literally."""

from playwright.sync_api import Page, expect

from browser.conftest import DemoServer, log_in
from rosetta.core.geometry import Box, TextSpan
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.policies import Role
from rosetta.core.schema import Annotation, MediaInfo, Sample, Stream
from rosetta.demo.build import BUILDER, MEDIA_DIR
from rosetta.services.accounts import find_user, set_role
from rosetta.services.importer import import_samples
from rosetta.services.projects import create_project

PROJECT = "hostile-markup"
LABEL = '<img src=x onerror="window.__pwned=1">'
NOTE = "<script>window.__pwned=2</script>"
WORDS = '<b onmouseover="window.__pwned=3">bold</b><svg onload="window.__pwned=4"></svg>'
TEXT = f"Caption {WORDS} ends here."
TITLE = '<iframe src="javascript:window.__pwned=5"></iframe>'


def _hostile_project(server: DemoServer) -> None:
    ontology = Ontology.model_validate(
        {
            "name": "hostile",
            "classes": [
                {
                    "name": LABEL,
                    "description": NOTE,
                    "attributes": [{"name": "note", "type": "text"}],
                    "guideline": {"text": WORDS},
                }
            ],
        }
    )
    project = create_project(server.engine, PROJECT, ontology, BUILDER)
    with server.engine.connect() as connection:
        grace = find_user(connection, "grace")
    set_role(server.engine, BUILDER, project.id, grace.id, Role.MANAGER)
    image = MEDIA_DIR / "images" / "astronaut.png"
    start = TEXT.index("<b")
    sample = Sample(
        id="hostile",
        metadata={"title": TITLE, "description": NOTE},
        streams=[
            Stream(
                id="hostile.text",
                name="caption",
                modality=Modality.TEXT,
                text=TEXT,
                media=MediaInfo(length=len(TEXT)),
            ),
            Stream(
                id="hostile.image",
                name="photo",
                modality=Modality.IMAGE,
                uri=str(image),
                media=MediaInfo(width=512, height=512, mime="image/png"),
            ),
        ],
        annotations=[
            Annotation(
                id="hostile.span",
                stream="hostile.text",
                label=LABEL,
                geometry=TextSpan(start=start, end=start + len(WORDS)),
                attributes={"note": NOTE},
                ontology_version=1,
            ),
            Annotation(
                id="hostile.box",
                stream="hostile.image",
                label=LABEL,
                geometry=Box(x=10, y=10, w=100, h=100),
                attributes={"note": TITLE},
                ontology_version=1,
            ),
        ],
    )
    import_samples(server.engine, project.id, [sample], BUILDER)


def test_markup_in_labels_and_text_is_shown_and_never_run(
    page: Page, fresh_demo: DemoServer
) -> None:
    _hostile_project(fresh_demo)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"{fresh_demo.url}/app/s/hostile?project={PROJECT}")
    log_in(page, "grace")
    expect(page.get_by_text("ends here.").first).to_be_visible()
    page.get_by_text(LABEL).first.click()  # the annotation, selected: its attributes shown
    page.mouse.move(5, 5)
    page.wait_for_timeout(500)

    expect(page.get_by_text(LABEL).first).to_be_visible()
    assert page.get_by_text(WORDS).count() > 0
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    for hostile in ("img[src='x']", "b[onmouseover]", "svg[onload]", "iframe"):
        assert page.locator(hostile).count() == 0, hostile
    assert "__pwned" not in "".join(
        page.locator("script").evaluate_all("scripts => scripts.map(s => s.textContent)")
    )
