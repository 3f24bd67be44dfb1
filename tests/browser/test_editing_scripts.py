"""Text spans in any script: a selection in the browser counts UTF-16 units, snaps to whole
grapheme clusters, and is stored in code points. Each case selects from inside a cluster
(or a surrogate pair) of Thai, Khmer, Vietnamese with combining marks, astral CJK and emoji
text, and checks the offsets the server stored (the clusters of tests/test_text_offsets.py)."""

import unicodedata

from playwright.sync_api import Page, expect

from browser.conftest import DemoServer
from rosetta.core.modality import Modality
from rosetta.core.schema import MediaInfo, Sample, Stream
from rosetta.demo.build import BUILDER, DEMO_PASSWORD, DEMO_PROJECT
from rosetta.services.importer import import_samples
from rosetta.services.projects import find_project

TEXTS = {
    "thai": "ดื่มน้ำเย็น",
    "khmer": "ភាសាខ្មែរ",
    "vietnamese": unicodedata.normalize("NFD", "Tiếng Việt"),
    "cjk": "日本語のテキスト𠮷野家",
    "emoji": "Astronaut 👩\u200d🚀 waves 🇺🇸!",
}

#: (stream, UTF-16 start, UTF-16 end selected) → (code-point start, end stored, text covered)
CASES = [
    (("thai", 5, 6), (4, 7, "น้ำ")),  # a tone mark alone: its whole cluster
    (("khmer", 5, 9), (4, 9, "ខ្មែរ")),  # from the coeng sign: back to its consonant
    (("vietnamese", 3, 12), (2, 13, unicodedata.normalize("NFD", "ếng Việ"))),  # marks of ế, ệ
    (("cjk", 9, 12), (8, 11, "𠮷野家")),  # from between the halves of 𠮷
    (("emoji", 12, 13), (10, 13, "👩\u200d🚀")),  # the zero-width joiner: the whole sequence
    (("emoji", 24, 26), (20, 22, "🇺🇸")),  # the second regional indicator: the flag
]

SELECT = """([pane, start, end]) => {
    const root = [...document.querySelectorAll("section.pane")]
      .find((s) => s.querySelector("h2")?.textContent === pane).querySelector(".text-body");
    // the text node and offset in it of a UTF-16 offset of the whole text
    const point = (offset) => {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (offset <= node.data.length) return [node, offset];
        offset -= node.data.length;
      }
      throw new Error(`offset past the text of ${pane}`);
    };
    const range = document.createRange();
    range.setStart(...point(start));
    range.setEnd(...point(end));
    // as a mouse would: the press in the text, the release after the selection is made
    root.dispatchEvent(new MouseEvent("mousedown", { bubbles: true }));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    root.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
}"""


def add_scripts_sample(server: DemoServer) -> None:
    """A sample of the demo project with one text stream per script."""
    streams = [
        Stream(
            id=f"scripts.{name}",
            name=name,
            modality=Modality.TEXT,
            text=text,
            media=MediaInfo(length=len(text)),
        )
        for name, text in TEXTS.items()
    ]
    with server.engine.connect() as connection:
        project = find_project(connection, DEMO_PROJECT)
    import_samples(server.engine, project.id, [Sample(id="scripts", streams=streams)], BUILDER)


def test_spans_in_any_script_are_stored_in_code_points(page: Page, fresh_demo: DemoServer) -> None:
    add_scripts_sample(fresh_demo)
    page.goto(f"{fresh_demo.url}/app/s/scripts?project={DEMO_PROJECT}")
    page.get_by_label("User name").fill("grace")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("section.pane")).to_have_count(len(TEXTS))

    for (pane, start, end), (_, _, covered) in CASES:
        page.evaluate(SELECT, [pane, start, end])
        picker = page.get_by_role("dialog", name="Label the new span")
        expect(picker.get_by_role("option", name="1 thing", exact=False).first).to_be_visible()
        page.keyboard.press("1")
        expect(picker).to_have_count(0)
        region = page.get_by_role("region", name=pane)
        expect(region.locator("mark", has_text=covered)).to_have_count(1)

    expect(page.get_by_role("status", name="Save state")).to_have_text("Saved", timeout=10_000)
    answer = page.request.get(f"{fresh_demo.url}/api/samples/scripts")
    assert answer.ok, answer.text()
    spans = sorted(
        (a["stream"], a["geometry"]["start"], a["geometry"]["end"])
        for a in answer.json()["annotations"]
    )
    expected = sorted((f"scripts.{pane}", start, end) for (pane, _, _), (start, end, _) in CASES)
    assert spans == expected
    for (pane, _, _), (start, end, covered) in CASES:
        assert TEXTS[pane][start:end] == covered
