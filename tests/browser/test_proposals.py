"""Models propose, people decide, in Chromium over a fresh demo store each: the Model tool
asks GrabCut (OpenCV, installed with the ``prelabel`` extra) for a mask around the mission
patch on the portrait photo; the candidate is selected with its provenance shown, and
accepting it (``Y``) makes it the reviewer's, as the decision row, the annotation's author
and revision and its history say (``proposals.png``). Clicks (Shift: off the thing) sent
with Enter, a candidate relabelled (an edit: accepted with the change when the work saves)
and one rejected (``Shift+Y``); an annotator sees no history. On the video the prompt
names the frame shown, where the mask is drawn. A prompt-free model (WebRTC VAD) runs from
the audio pane's "Propose…", and the blind pass is refused with the server's reason."""

import re
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import Locator, Page, expect
from pycocotools import mask as coco_mask
from sqlalchemy import insert, select

from browser.conftest import DemoServer, log_in
from browser.test_editing import (
    drag_on_photo,
    expect_saved,
    near,
    on_photo,
    open_portrait,
    stored,
)
from browser.test_video_keyframes import drag_on_video, open_slideshow, show_frame
from rosetta.demo.build import DEMO_PROJECT
from rosetta.services.accounts import find_user
from rosetta.services.projects import find_project
from rosetta.store.tables import candidate_decisions, tasks

#: A box around the round mission patch on the astronaut's suit, in photo pixels.
PATCH = ((122.0, 336.0), (220.0, 432.0))


def model_bar(page: Page) -> Locator:
    return page.get_by_role("group", name="Model tool")


def inspector(page: Page) -> Locator:
    return page.get_by_role("region", name="Selection")


def choose_grabcut(page: Page, label: str) -> None:
    """The Model tool with GrabCut (the first model that can run here) and class `label`."""
    page.keyboard.press("m")
    bar = model_bar(page)
    expect(bar.get_by_label("Model")).to_have_value("grabcut")
    bar.get_by_label("Class").select_option(label)


def new_annotations(page: Page, server: DemoServer, known: set[str]) -> list[dict[str, Any]]:
    return [a for a in stored(page, server)["annotations"] if a["id"] not in known]


def mask_bbox(rle: dict[str, Any]) -> list[float]:
    """The bounding box [x, y, w, h] of a COCO RLE mask."""
    height, width = rle["size"]
    encoded = {"size": [height, width], "counts": rle["counts"].encode("ascii")}
    box: np.ndarray = coco_mask.toBbox(encoded)
    return [float(v) for v in box]


def decisions(server: DemoServer) -> list[Any]:
    with server.engine.connect() as connection:
        return list(
            connection.execute(select(candidate_decisions).order_by(candidate_decisions.c.pk))
        )


def check_grabcut_candidate(
    candidate: dict[str, Any], label: str, box: tuple[tuple[float, float], tuple[float, float]]
) -> None:
    """`candidate` as GrabCut stores it for a drag over `box` (from, to): a mask candidate
    of class `label` with the model's provenance and the prompt in whole pixels, the mask
    inside the box and filling a good part of it (the thing, not a sliver)."""
    assert (candidate["label"], candidate["revision"], candidate["author"]) == (label, 1, "grabcut")
    source = candidate["source"]
    assert (source["kind"], source["name"]) == ("model", "grabcut")
    assert source["version"].startswith("opencv 4.")
    assert source["parameters"]["proposer"] == "grabcut"
    asked = source["parameters"]["prompt"]["box"]
    (left, top), (right, bottom) = box
    assert near([asked[k] for k in ("x", "y", "w", "h")], [left, top, right - left, bottom - top])
    assert all(float(asked[k]).is_integer() for k in ("x", "y", "w", "h"))
    x, y, w, h = mask_bbox(candidate["geometry"]["rle"])
    assert x >= asked["x"] and y >= asked["y"], (x, y, w, h)
    assert x + w <= asked["x"] + asked["w"] and y + h <= asked["y"] + asked["h"], (x, y, w, h)
    assert w * h > 0.4 * asked["w"] * asked["h"]


def test_a_grabcut_mask_is_proposed_accepted_and_its_history_shown(
    page: Page, fresh_demo: DemoServer, screenshots: Path
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    open_portrait(page, fresh_demo, "grace")
    known = {a["id"] for a in stored(page, fresh_demo)["annotations"]}
    choose_grabcut(page, "object")
    # a model that cannot run here is offered disabled, with the reason as its tooltip
    sam = model_bar(page).get_by_label("Model").locator("option", has_text="sam")
    expect(sam).to_be_disabled()
    expect(sam).to_have_attribute("title", re.compile("no model configured for sam"))

    drag_on_photo(page, *PATCH)
    details = inspector(page)
    expect(details.get_by_role("heading", name="object mask on photo")).to_be_visible()
    provenance = details.get_by_role("group", name="Model provenance")
    expect(provenance).to_contain_text("candidate")
    expect(provenance).to_contain_text(re.compile(r"grabcut opencv 4\.[\d.]+"))
    expect(provenance).to_contain_text(re.compile(r"Prompt\s*box \d+×\d+ at \d+,\d+"))
    expect(provenance).to_contain_text("iterations 5")

    (candidate,) = new_annotations(page, fresh_demo, known)
    check_grabcut_candidate(candidate, "object", PATCH)
    # asking moved the sample's revision: the work took it, so nothing conflicts
    expect_saved(page)
    page.screenshot(path=screenshots / "proposals.png")

    page.keyboard.press("y")
    expect(provenance).to_contain_text("from a model")
    expect(provenance.get_by_role("button", name=re.compile("^Accept"))).to_have_count(0)
    expect(
        page.get_by_role("status").filter(has_text="Accepted the object mask from grabcut")
    ).to_be_visible()
    (accepted,) = new_annotations(page, fresh_demo, known)
    assert (accepted["id"], accepted["revision"], accepted["author"]) == (
        candidate["id"],
        2,
        "grace",
    )
    assert accepted["geometry"] == candidate["geometry"]
    (row,) = decisions(fresh_demo)
    assert (row.annotation_id, row.decision, row.decided_by) == (
        candidate["id"],
        "accepted",
        "grace",
    )
    version = candidate["source"]["version"]
    assert (row.proposer, row.model, row.model_version) == ("grabcut", "grabcut", version)
    assert row.iou == 1.0

    details.get_by_text("History", exact=True).click()
    events = details.get_by_role("list", name="Events").get_by_role("listitem")
    expect(events).to_have_count(2)
    expect(events.nth(0)).to_contain_text(
        re.compile(r"proposed by model grabcut opencv 4\.[\d.]+, asked by grace")
    )
    expect(events.nth(0)).to_contain_text("proposer grabcut")
    expect(events.nth(0)).to_contain_text(re.compile(r"prompt: box \d+×\d+ at \d+,\d+"))
    expect(events.nth(1)).to_contain_text("accepted the model's candidate, by grace")
    expect_saved(page)
    assert problems == []


def test_clicks_relabel_and_reject_and_an_annotator_sees_no_history(
    page: Page, fresh_demo: DemoServer
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    open_portrait(page, fresh_demo, "ada")
    known = {a["id"] for a in stored(page, fresh_demo)["annotations"]}
    choose_grabcut(page, "thing")

    # a click on the patch, a Shift+click off it (on the suit), Esc drops them
    page.mouse.click(*on_photo(page, 171, 385))
    page.keyboard.down("Shift")
    page.mouse.click(*on_photo(page, 110, 440))
    page.keyboard.up("Shift")
    bar = model_bar(page)
    expect(bar).to_contain_text("1 point on, 1 off")
    page.keyboard.press("Escape")
    expect(bar).to_contain_text("Click the thing")
    # again, sent with Enter
    page.mouse.click(*on_photo(page, 171, 385))
    page.keyboard.press("Enter")
    details = inspector(page)
    expect(details.get_by_role("heading", name="thing mask on photo")).to_be_visible()
    expect(details.get_by_role("group", name="Model provenance")).to_contain_text(
        "1 point on, 0 off"
    )
    expect(details.get_by_text("History", exact=True)).to_have_count(0)
    (first,) = new_annotations(page, fresh_demo, known)
    (point,) = first["source"]["parameters"]["prompt"]["points"]
    assert near([point["x"], point["y"]], [171, 385])
    assert point["positive"] is True

    # relabelled, the candidate is accepted with the change when the work saves
    page.keyboard.press("e")
    picker = page.get_by_role("dialog", name="New label for the annotation")
    picker.get_by_label("Search the classes").fill("object")
    picker.get_by_label("Search the classes").press("Enter")
    expect(details.get_by_role("group", name="Model provenance")).to_contain_text("from a model")
    expect_saved(page)
    (edited,) = new_annotations(page, fresh_demo, known)
    assert (edited["label"], edited["revision"], edited["author"]) == ("object", 2, "ada")
    (row,) = decisions(fresh_demo)
    assert (row.decision, row.decided_by, row.label_changed) == ("edited", "ada", True)

    # a box on the helmet, rejected with Shift+Y: gone, and the rejection recorded
    drag_on_photo(page, (282, 344), (508, 510))
    expect(details.get_by_role("heading", name="thing mask on photo")).to_be_visible()
    assert len(new_annotations(page, fresh_demo, known)) == 2
    page.keyboard.press("Shift+Y")
    expect(details).to_contain_text("Nothing selected")
    expect_saved(page)
    assert [a["id"] for a in new_annotations(page, fresh_demo, known)] == [edited["id"]]
    assert [r.decision for r in decisions(fresh_demo)] == ["edited", "rejected"]
    assert problems == []


def hide_candidates_from(server: DemoServer, user: str, sample: str) -> None:
    """Give `user` an annotate slot of the blind pass on `sample` (candidates hidden)."""
    with server.engine.begin() as connection:
        project = find_project(connection, DEMO_PROJECT)
        connection.execute(
            insert(tasks).values(
                id=f"t-blind-{sample}",
                project_id=project.id,
                sample_id=sample,
                stage="annotate",
                slot=0,
                status="leased",
                user_id=find_user(connection, user).id,
                created_at=0.0,
                updated_at=0.0,
                candidates_hidden=True,
            )
        )


def open_spoken(page: Page, server: DemoServer, sample: str, user: str) -> None:
    page.goto(f"{server.url}/app/s/{sample}?project={DEMO_PROJECT}")
    log_in(page, user)
    expect(page.locator(".player-audio .waveform").first).to_have_attribute("data-state", "done")


def test_a_prompt_free_model_runs_on_the_audio_but_not_in_the_blind_pass(
    page: Page, fresh_demo: DemoServer
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    open_spoken(page, fresh_demo, "spoken-1", "grace")
    pane = page.get_by_role("region", name="speech")
    pane.get_by_role("button", name="Propose…").click()
    dialog = page.get_by_role("dialog", name="Propose on speech")
    dialog.get_by_label("Model").select_option("webrtc-vad")
    dialog.get_by_label("Class").select_option("speech")
    # a model that cannot run here says why
    expect(dialog).to_contain_text("whisper cannot run here: no model configured for whisper")
    dialog.get_by_role("button", name="Propose", exact=True).click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="from webrtc-vad")).to_be_visible()
    answer = page.request.get(f"{fresh_demo.url}/api/samples/spoken-1")
    made = [a for a in answer.json()["annotations"] if a["source"]["kind"] == "model"]
    assert made, "webrtc-vad found no speech"
    assert {(a["label"], a["geometry"]["type"], a["revision"]) for a in made} == {
        ("speech", "interval", 1)
    }
    assert {a["source"]["name"] for a in made} == {"webrtc-vad"}
    expect_saved(page)
    assert problems == []

    # the blind pass sees no candidates, so it may not ask for any: the refusal is shown
    hide_candidates_from(fresh_demo, "ada", "spoken-2")
    blind = page.context.browser.new_page()  # type: ignore[union-attr]
    open_spoken(blind, fresh_demo, "spoken-2", "ada")
    blind.get_by_role("region", name="speech").get_by_role("button", name="Propose…").click()
    dialog = blind.get_by_role("dialog", name="Propose on speech")
    dialog.get_by_label("Model").select_option("webrtc-vad")
    dialog.get_by_role("button", name="Propose", exact=True).click()
    expect(dialog.get_by_role("alert")).to_contain_text("ask a model for candidates")
    blind.close()


def test_a_model_is_prompted_on_the_video_frame_shown_and_its_mask_drawn_there(
    page: Page, fresh_demo: DemoServer
) -> None:
    problems = open_slideshow(page, fresh_demo)
    show_frame(page, 12)
    choose_grabcut(page, "object")
    # the mission patch on the astronaut's suit, on the frame shown
    drag_on_video(page, (76, 172), (136, 232))
    details = inspector(page)
    expect(details.get_by_role("heading", name="object mask on video")).to_be_visible()
    expect(details.get_by_role("group", name="Model provenance")).to_contain_text(
        re.compile(r"Prompt\s*box \d+×\d+ at \d+,\d+ · frame 12")
    )
    answer = page.request.get(f"{fresh_demo.url}/api/samples/slideshow")
    (made,) = [a for a in answer.json()["annotations"] if a["source"]["kind"] == "model"]
    assert (made["stream"], made["geometry"]["type"], made["geometry"]["frame"]) == (
        "slideshow.video",
        "mask",
        12,
    )
    assert made["source"]["parameters"]["prompt"]["frame"] == 12
    mask = page.locator(f'.video-overlay g.mask[data-annotation="{made["id"]}"]')
    expect(mask).to_have_attribute("data-lit", "true")
    expect(mask.locator("text")).to_have_text("object · model")
    # it is drawn on its own frame only
    show_frame(page, 40)
    expect(mask).to_have_count(0)
    expect_saved(page)
    assert problems == []
