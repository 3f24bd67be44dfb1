"""Editing with history: revisions, conflicts, stale links, validation, isolation."""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, func, select, update

from builders import CAPTION, box, empty_sample, insert_sample, span, speech, streams_of
from conftest import TESTER
from rosetta.core.errors import ConflictError, NotFoundError, RuleViolation
from rosetta.core.geometry import Box
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Entity, Link, Project, Sample
from rosetta.services.editing import (
    confirm_link,
    create_annotation,
    create_entity,
    create_link,
    delete_annotation,
    reject_link,
    set_entity_members,
    update_annotation,
)
from rosetta.services.projects import create_project
from rosetta.services.review import review_queue
from rosetta.services.work_store import revision_update
from rosetta.store.events import Actor, history
from rosetta.store.records import load_sample
from rosetta.store.tables import events, links

UI = Actor("ana", tool="rosetta-web", tool_version="0.1.0")


def _json(record: Annotation | Entity | Link) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude_none=True)


def _events(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(events)).scalar_one())


def _sample(engine: Engine, sample_id: str = "s1") -> Sample:
    with engine.connect() as connection:
        return load_sample(connection, sample_id)


@pytest.fixture
def scene(engine: Engine, project: Project) -> Project:
    """Sample s1: the caption's "astronaut" span refers to the astronaut's box (confirmed)."""
    empty_sample(engine, project.id, "s1")
    create_annotation(engine, project.id, "s1", span("mention", "s1", 3, 12), UI)
    create_annotation(engine, project.id, "s1", box("astronaut", "s1", "person"), UI)
    create_link(
        engine,
        project.id,
        "s1",
        Link(id="ref", type="refers-to", source="mention", target="astronaut", status="confirmed"),
        UI,
    )
    return project


def test_create_annotation_stores_it_at_revision_1_with_an_event(
    engine: Engine, project: Project
) -> None:
    empty_sample(engine, project.id, "s1")
    given = box("a1", "s1", "cup").model_copy(update={"revision": 7, "ontology_version": None})

    created = create_annotation(engine, project.id, "s1", given, UI)

    assert (created.revision, created.ontology_version, created.author) == (1, 1, "ana")
    assert _sample(engine).annotations == [created]
    with engine.connect() as connection:
        [event] = history(connection, "a1")
    assert (event.object_kind, event.action, event.revision) == ("annotation", "create", 1)
    assert (event.actor, event.tool, event.tool_version) == ("ana", "rosetta-web", "0.1.0")
    assert event.before is None
    assert event.after == _json(created)


def test_update_bumps_the_revision_and_history_keeps_the_full_chain(
    engine: Engine, project: Project
) -> None:
    empty_sample(engine, project.id, "s1")
    create_annotation(engine, project.id, "s1", box("a1", "s1", "thing"), UI)

    second = update_annotation(engine, project.id, "a1", 1, UI, label="cup")
    third = update_annotation(
        engine, project.id, "a1", 2, TESTER, geometry=Box(x=0, y=0, w=512, h=512)
    )
    fourth = update_annotation(engine, project.id, "a1", 3, UI, attributes={"colour": "white"})

    assert [second.revision, third.revision, fourth.revision] == [2, 3, 4]
    assert fourth.label == "cup"
    assert fourth.geometry == Box(x=0, y=0, w=512, h=512)
    assert fourth.attributes == {"colour": "white"}
    assert _sample(engine).annotations == [fourth]
    with engine.connect() as connection:
        chain = history(connection, "a1")
    assert [(e.action, e.revision, e.actor) for e in chain] == [
        ("create", 1, "ana"),
        ("update", 2, "ana"),
        ("update", 3, "tester"),
        ("update", 4, "ana"),
    ]
    for earlier, later in itertools.pairwise(chain):
        assert later.before == earlier.after
    assert chain[-1].after == _json(fourth)
    assert chain[1].before["label"] == "thing"
    assert chain[1].after["label"] == "cup"


def test_an_update_that_changes_nothing_writes_nothing(engine: Engine, project: Project) -> None:
    empty_sample(engine, project.id, "s1")
    created = create_annotation(engine, project.id, "s1", box("a1", "s1", "cup"), UI)
    count = _events(engine)

    same = update_annotation(
        engine, project.id, "a1", 1, UI, label="cup", geometry=created.geometry
    )

    assert same == created
    assert _events(engine) == count


def test_racing_updates_with_the_same_expected_revision_one_wins_one_conflicts(
    engine: Engine, scene: Project
) -> None:
    start = threading.Barrier(2)

    def update(revision: int, x: float) -> Annotation:
        start.wait()  # both read the annotation at `revision` before either writes, if they can
        return update_annotation(
            engine, scene.id, "astronaut", revision, UI, geometry=Box(x=x, y=20, w=100, h=200)
        )

    for revision in range(1, 6):
        with ThreadPoolExecutor(max_workers=2) as pool:
            racing = [pool.submit(update, revision, x) for x in (30.0 + revision, 60.0 + revision)]
        [winner] = [future.result() for future in racing if future.exception() is None]
        [loser] = [future.exception() for future in racing if future.exception() is not None]
        assert isinstance(loser, ConflictError), repr(loser)
        assert (loser.expected, loser.actual) == (revision, revision + 1)
        assert _sample(engine).annotations[1] == winner
        assert winner.revision == revision + 1
    with engine.connect() as connection:
        assert [e.action for e in history(connection, "astronaut")] == ["create"] + ["update"] * 5


def test_a_stale_expected_revision_is_a_conflict_and_writes_nothing(
    engine: Engine, scene: Project
) -> None:
    update_annotation(engine, scene.id, "astronaut", 1, UI, attributes={"role": "astronaut"})
    before = _sample(engine)
    count = _events(engine)

    with pytest.raises(ConflictError) as caught:
        update_annotation(engine, scene.id, "astronaut", 1, UI, label="thing")
    assert (caught.value.obj, caught.value.expected, caught.value.actual) == (
        "annotation 'astronaut'",
        1,
        2,
    )
    with pytest.raises(ConflictError):
        delete_annotation(engine, scene.id, "astronaut", 1, UI)
    with pytest.raises(ConflictError) as caught:
        confirm_link(engine, scene.id, "ref", 1, UI)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    with pytest.raises(ConflictError):
        reject_link(engine, scene.id, "ref", 5, UI)

    assert _sample(engine) == before
    assert _events(engine) == count


def test_an_invalid_update_writes_nothing(engine: Engine, scene: Project) -> None:
    before = _sample(engine)
    count = _events(engine)

    with pytest.raises(RuleViolation) as caught:
        update_annotation(
            engine, scene.id, "astronaut", 1, UI, geometry=Box(x=450, y=0, w=100, h=10)
        )
    assert (caught.value.rule, caught.value.field) == ("inside-bounds", "geometry")
    with pytest.raises(RuleViolation) as caught:
        update_annotation(engine, scene.id, "astronaut", 1, UI, label="dragon")
    assert (caught.value.rule, caught.value.field) == ("label-known", "label")
    with pytest.raises(RuleViolation) as caught:
        update_annotation(engine, scene.id, "astronaut", 1, UI, label="speech")
    assert caught.value.rule == "label-geometry"
    with pytest.raises(RuleViolation) as caught:
        update_annotation(engine, scene.id, "astronaut", 1, UI, attributes={"role": "pilot"})
    assert (caught.value.rule, caught.value.field) == ("attribute-value", "attributes.role")

    after = _sample(engine)
    assert after == before
    assert after.links[0].status == "confirmed"
    assert _events(engine) == count


def test_create_refuses_a_taken_id_an_unknown_stream_and_a_bad_geometry(
    engine: Engine, scene: Project
) -> None:
    count = _events(engine)
    with pytest.raises(RuleViolation) as caught:
        create_annotation(engine, scene.id, "s1", box("astronaut", "s1", "person"), UI)
    assert (caught.value.rule, caught.value.field) == ("ids-unique", "id")
    with pytest.raises(RuleViolation) as caught:
        create_annotation(engine, scene.id, "s1", box("s1-text", "s1", "person"), UI)
    assert caught.value.rule == "ids-unique"
    wrong_stream = box("b2", "s1", "person").model_copy(update={"stream": "s1-nowhere"})
    with pytest.raises(RuleViolation) as caught:
        create_annotation(engine, scene.id, "s1", wrong_stream, UI)
    assert (caught.value.rule, caught.value.field) == ("stream-exists", "stream")
    on_text = box("b3", "s1", "person").model_copy(update={"stream": "s1-text"})
    with pytest.raises(RuleViolation) as caught:
        create_annotation(engine, scene.id, "s1", on_text, UI)
    assert caught.value.rule == "geometry-modality"
    assert _events(engine) == count


def test_a_changed_image_box_stales_the_text_link_until_confirmed_again(
    engine: Engine, scene: Project
) -> None:
    with engine.connect() as connection:
        assert review_queue(connection, scene.id).stale_links == []
    [link] = _sample(engine).links
    assert (link.status, link.source_revision, link.target_revision) == ("confirmed", 1, 1)

    update_annotation(engine, scene.id, "astronaut", 1, UI, geometry=Box(x=12, y=20, w=100, h=200))

    [stale] = _sample(engine).links
    assert (stale.status, stale.revision) == ("stale", 2)
    assert (stale.source_revision, stale.target_revision) == (1, 1)
    with engine.connect() as connection:
        queue = review_queue(connection, scene.id)
        last = history(connection, "ref")[-1]
    assert queue.stale_links == [stale]
    assert queue.sample_of["ref"] == "s1"
    assert (last.action, last.actor, last.revision) == ("stale", "ana", 2)
    assert last.note == "target annotation 'astronaut' changed from revision 1 to 2"
    assert last.before["status"] == "confirmed"
    assert last.after["status"] == "stale"

    confirmed = confirm_link(engine, scene.id, "ref", 2, TESTER)

    assert (confirmed.status, confirmed.revision) == ("confirmed", 3)
    assert (confirmed.source_revision, confirmed.target_revision) == (1, 2)
    assert _sample(engine).links == [confirmed]
    with engine.connect() as connection:
        assert review_queue(connection, scene.id).stale_links == []
        assert [e.action for e in history(connection, "ref")] == ["create", "stale", "confirm"]


def test_a_link_changed_after_it_was_read_for_staling_is_a_conflict_and_writes_nothing(
    engine: Engine, scene: Project
) -> None:
    """Links turn stale in one batched update that checks each one's revision: a writer
    that bumped one between the read and the update (here, on the same connection, just
    before the update runs) makes the edit a conflict naming it."""
    before = _events(engine)
    bumped: list[str] = []

    def concurrent_writer(connection: Connection, clause: Any, *_: Any) -> None:
        if clause is revision_update(links, ("status", "revision")).statement and not bumped:
            bumped.append("ref")
            connection.execute(
                update(links).where(links.c.id == "ref").values(revision=links.c.revision + 4)
            )

    event.listen(engine, "before_execute", concurrent_writer)
    try:
        with pytest.raises(ConflictError) as raised:
            update_annotation(
                engine, scene.id, "astronaut", 1, UI, geometry=Box(x=5, y=5, w=9, h=9)
            )
    finally:
        event.remove(engine, "before_execute", concurrent_writer)

    assert bumped == ["ref"]
    assert (raised.value.obj, raised.value.expected, raised.value.actual) == ("link 'ref'", 1, 5)
    stored = _sample(engine)
    assert [(link.status, link.revision) for link in stored.links] == [("confirmed", 1)]
    assert {a.id: a.revision for a in stored.annotations} == {"mention": 1, "astronaut": 1}
    assert _events(engine) == before


def test_many_links_turn_stale_at_once_each_with_its_event(engine: Engine, scene: Project) -> None:
    for index in range(30):
        create_link(
            engine,
            scene.id,
            "s1",
            Link(
                id=f"ref{index}",
                type="refers-to",
                source="mention",
                target="astronaut",
                status="confirmed",
            ),
            UI,
        )
    update_annotation(engine, scene.id, "astronaut", 1, UI, geometry=Box(x=5, y=5, w=9, h=9))

    stored = _sample(engine).links
    assert {(link.status, link.revision) for link in stored} == {("stale", 2)}
    assert len(stored) == 31
    with engine.connect() as connection:
        notes = {history(connection, link.id)[-1].note for link in stored}
    assert notes == {"target annotation 'astronaut' changed from revision 1 to 2"}


def test_only_confirmed_links_turn_stale(engine: Engine, scene: Project) -> None:
    create_annotation(engine, scene.id, "s1", span("flag-word", "s1", 47, 51, "flag"), UI)
    create_annotation(engine, scene.id, "s1", box("flag", "s1", "flag", x=300), UI)
    create_link(
        engine,
        scene.id,
        "s1",
        Link(id="proposed", type="refers-to", source="flag-word", target="flag"),
        UI,
    )
    update_annotation(engine, scene.id, "flag", 1, UI, geometry=Box(x=301, y=20, w=100, h=200))

    proposed = next(link for link in _sample(engine).links if link.id == "proposed")
    assert (proposed.status, proposed.revision) == ("proposed", 1)


def test_entity_member_changes_stale_the_entity_links(engine: Engine, scene: Project) -> None:
    create_annotation(engine, scene.id, "s1", speech("words", "s1"), UI)
    create_annotation(engine, scene.id, "s1", box("crew", "s1", "person", x=200), UI)
    entity = create_entity(
        engine, scene.id, "s1", Entity(id="eileen", label="person", members=["astronaut"]), UI
    )
    create_link(
        engine,
        scene.id,
        "s1",
        Link(id="speaks", type="speaker-of", source="eileen", target="words", status="confirmed"),
        UI,
    )
    assert (entity.revision, entity.author) == (1, "ana")

    grown = set_entity_members(engine, scene.id, "eileen", ["astronaut", "crew"], 1, UI)

    assert (grown.revision, grown.members) == (2, ["astronaut", "crew"])
    stored = _sample(engine)
    assert stored.entities == [grown]
    speaks = next(link for link in stored.links if link.id == "speaks")
    assert (speaks.status, speaks.revision) == ("stale", 2)
    with engine.connect() as connection:
        note = history(connection, "speaks")[-1].note
        updated = history(connection, "eileen")[-1]
    assert note == "source entity 'eileen' changed from revision 1 to 2 (members)"
    assert updated.before["members"] == ["astronaut"]
    assert updated.after["members"] == ["astronaut", "crew"]

    confirm_link(engine, scene.id, "speaks", 2, UI)
    update_annotation(engine, scene.id, "crew", 1, UI, attributes={"occluded": True})

    speaks = next(link for link in _sample(engine).links if link.id == "speaks")
    assert (speaks.status, speaks.revision) == ("stale", 4)
    with engine.connect() as connection:
        note = history(connection, "speaks")[-1].note
    assert note == (
        "source entity 'eileen', whose member annotation 'crew' changed from revision 1 to 2"
    )


def test_entity_members_must_exist_in_the_sample_and_agree(engine: Engine, scene: Project) -> None:
    create_annotation(engine, scene.id, "s1", box("kitty", "s1", "cat", x=300), UI)
    with pytest.raises(RuleViolation) as caught:
        create_entity(engine, scene.id, "s1", Entity(id="e", members=["astronaut", "kitty"]), UI)
    assert (caught.value.rule, caught.value.field) == ("entity-labels", "members[0]")
    with pytest.raises(RuleViolation) as caught:
        create_entity(engine, scene.id, "s1", Entity(id="e", members=["ghost"]), UI)
    assert (caught.value.rule, caught.value.field) == ("entity-member", "members[0]")
    create_entity(engine, scene.id, "s1", Entity(id="e", label="thing", members=["kitty"]), UI)
    with pytest.raises(RuleViolation) as caught:
        set_entity_members(engine, scene.id, "e", ["kitty", "kitty"], 1, UI)
    assert (caught.value.rule, caught.value.field) == ("entity-member", "members[1]")
    assert _sample(engine).entities[0].members == ["kitty"]


def test_links_are_checked_against_the_relation_type(engine: Engine, scene: Project) -> None:
    count = _events(engine)
    backwards = Link(id="l2", type="refers-to", source="astronaut", target="mention")
    with pytest.raises(RuleViolation) as caught:
        create_link(engine, scene.id, "s1", backwards, UI)
    assert (caught.value.rule, caught.value.field) == ("link-direction", "source")
    with pytest.raises(RuleViolation) as caught:
        create_link(
            engine,
            scene.id,
            "s1",
            Link(id="l3", type="likes", source="mention", target="astronaut"),
            UI,
        )
    assert caught.value.rule == "relation-known"
    with pytest.raises(RuleViolation) as caught:
        create_link(
            engine,
            scene.id,
            "s1",
            Link(id="l4", type="same-as", source="mention", target="nobody"),
            UI,
        )
    assert (caught.value.rule, caught.value.field) == ("link-endpoint", "target")
    assert _events(engine) == count


def test_reject_link_keeps_it_with_a_record(engine: Engine, scene: Project) -> None:
    rejected = reject_link(engine, scene.id, "ref", 1, UI)

    assert (rejected.status, rejected.revision) == ("rejected", 2)
    assert _sample(engine).links == [rejected]
    with engine.connect() as connection:
        last = history(connection, "ref")[-1]
    assert (last.action, last.after) == ("reject", _json(rejected))


def test_delete_removes_links_and_memberships_with_events(engine: Engine, scene: Project) -> None:
    create_annotation(engine, scene.id, "s1", box("crew", "s1", "person", x=200), UI)
    create_annotation(engine, scene.id, "s1", speech("words", "s1"), UI)
    create_entity(
        engine, scene.id, "s1", Entity(id="pair", label="person", members=["astronaut", "crew"]), UI
    )
    create_link(
        engine,
        scene.id,
        "s1",
        Link(id="speaks", type="speaker-of", source="pair", target="words", status="confirmed"),
        UI,
    )
    deleted = _sample(engine).annotations[1]
    assert deleted.id == "astronaut"

    delete_annotation(engine, scene.id, "astronaut", 1, UI)

    stored = _sample(engine)
    assert [a.id for a in stored.annotations] == ["mention", "crew", "words"]
    assert [link.id for link in stored.links] == ["speaks"]
    assert stored.links[0].status == "stale"
    assert (stored.entities[0].members, stored.entities[0].revision) == (["crew"], 2)
    with engine.connect() as connection:
        gone = history(connection, "astronaut")[-1]
        link_gone = history(connection, "ref")[-1]
        entity_event = history(connection, "pair")[-1]
        stale_note = history(connection, "speaks")[-1].note
        left = connection.execute(select(func.count()).select_from(links)).scalar_one()
    assert (gone.action, gone.before, gone.after) == ("delete", _json(deleted), None)
    assert (link_gone.action, link_gone.after) == ("delete", None)
    assert link_gone.before["target"] == "astronaut"
    assert entity_event.note == "member annotation 'astronaut' was deleted"
    assert entity_event.after["members"] == ["crew"]
    assert stale_note is not None
    assert "source entity 'pair' changed from revision 1 to 2" in stale_note
    assert left == 1
    with pytest.raises(NotFoundError):
        delete_annotation(engine, scene.id, "astronaut", 1, UI)


def test_ids_of_another_project_are_not_found(
    engine: Engine, scene: Project, demo_ontology: Ontology
) -> None:
    other = create_project(engine, "other", demo_ontology, TESTER)
    insert_sample(
        engine,
        other.id,
        Sample(
            id="o1",
            streams=streams_of("o1"),
            annotations=[box("theirs", "o1", "cup")],
            links=[
                Link(
                    id="their-link",
                    type="same-as",
                    source="theirs",
                    target="theirs-too",
                    status="stale",
                )
            ],
        ),
    )
    count = _events(engine)

    with pytest.raises(NotFoundError) as caught:
        update_annotation(engine, scene.id, "theirs", 1, UI, label="thing")
    assert (caught.value.kind, caught.value.ident) == ("annotation", "theirs")
    with pytest.raises(NotFoundError):
        delete_annotation(engine, scene.id, "theirs", 1, UI)
    with pytest.raises(NotFoundError) as caught:
        create_annotation(engine, scene.id, "o1", box("mine", "o1", "cup"), UI)
    assert caught.value.kind == "sample"
    with pytest.raises(NotFoundError):
        confirm_link(engine, scene.id, "their-link", 1, UI)
    with pytest.raises(RuleViolation) as caught_rule:
        create_link(
            engine,
            scene.id,
            "s1",
            Link(id="across", type="same-as", source="astronaut", target="theirs"),
            UI,
        )
    assert (caught_rule.value.rule, caught_rule.value.field) == ("link-endpoint", "target")
    with pytest.raises(RuleViolation) as caught_rule:
        create_entity(engine, scene.id, "s1", Entity(id="mixed", members=["theirs"]), UI)
    assert caught_rule.value.rule == "entity-member"
    with pytest.raises(NotFoundError) as caught:
        create_annotation(engine, "no-such-project", "s1", box("x", "s1", "cup"), UI)
    assert caught.value.kind == "project"
    with engine.connect() as connection:
        assert review_queue(connection, scene.id).stale_links == []
        assert [link.id for link in review_queue(connection, other.id).stale_links] == [
            "their-link"
        ]
    assert _events(engine) == count


def test_review_queue_pages_through_flagged_annotations_and_stale_links(
    engine: Engine, project: Project
) -> None:
    flagged = [
        box(f"f{i}", "s1", "cup", x=i).model_copy(update={"flags": ["deprecated-class:cup"]})
        for i in range(5)
    ]
    plain = [box(f"p{i}", "s1", "cup", x=i) for i in range(3)]
    stale = [
        Link(id=f"l{i}", type="same-as", source=f"p{i}", target=f"f{i}", status="stale")
        for i in range(3)
    ]
    insert_sample(
        engine,
        project.id,
        Sample(
            id="s1",
            streams=streams_of("s1"),
            annotations=[plain[0], *flagged, *plain[1:]],
            links=[*stale, Link(id="ok", type="same-as", source="p0", target="p1")],
        ),
    )
    seen_links: list[str] = []
    seen_flagged: list[str] = []
    cursor = None
    pages = 0
    with engine.connect() as connection:
        while True:
            page = review_queue(connection, project.id, limit=2, cursor=cursor)
            pages += 1
            seen_links += [link.id for link in page.stale_links]
            seen_flagged += [a.id for a in page.flagged]
            assert all(a.flags for a in page.flagged)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert seen_links == ["l0", "l1", "l2"]
    assert seen_flagged == ["f0", "f1", "f2", "f3", "f4"]
    assert pages == 3


def test_caption_span_offsets_are_code_points(engine: Engine, project: Project) -> None:
    empty_sample(engine, project.id, "s1")
    end = len(CAPTION)
    with pytest.raises(RuleViolation) as caught:
        create_annotation(engine, project.id, "s1", span("past", "s1", 0, end + 1), UI)
    assert (caught.value.rule, caught.value.field) == ("inside-bounds", "geometry.end")
    created = create_annotation(engine, project.id, "s1", span("whole", "s1", 0, end), UI)
    assert created.geometry == span("whole", "s1", 0, end).geometry
