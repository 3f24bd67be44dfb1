"""The Python SDK against a real server on loopback (uvicorn in a thread, the real app and
store on both backends): pages, whole samples and their revisions, work one object at a
time, whole-sample writes, review and history, and errors raised as the domain tree."""

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from builders import box
from conftest import MEDIA, TESTER
from jobtools import add_samples, stored_samples
from loopback import api_token, serve
from rosetta.core.errors import (
    ConflictError,
    NotAuthenticated,
    NotFoundError,
    PermissionDenied,
    RosettaError,
    RuleViolation,
)
from rosetta.core.geometry import Box, TextSpan
from rosetta.core.policies import Role
from rosetta.core.schema import Annotation, Entity, Link, Project
from rosetta.sdk import KEEP, Client, FlaggedAnnotation, SampleSnapshot, StaleLink
from rosetta.services.accounts import assign
from rosetta.services.catalog import sample_revision
from rosetta.services.editing import create_annotation
from rosetta.services.settings import Settings
from rosetta.store.tables import samples

Connect = Callable[..., Client]


@pytest.fixture
def url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path / "data", job_workers=0, media_roots=(MEDIA,))
    with serve(engine, settings) as base:
        yield base


@pytest.fixture
def connect(url: str, engine: Engine, project: Project) -> Iterator[Connect]:
    """Clients as users of the project: ``connect(name, role)``; closed at the end."""
    opened: list[Client] = []

    def make(name: str, role: Role | None = None, *, admin: bool = False) -> Client:
        token = api_token(engine, name, admin=admin, project_id=project.id, role=role)
        opened.append(Client(url, token))
        return opened[-1]

    yield make
    for client in opened:
        client.close()


def _revision(engine: Engine, sample_id: str) -> int:
    with engine.connect() as connection:
        return sample_revision(connection, sample_id)


def test_samples_iterate_over_every_page_lazily(
    engine: Engine, project: Project, connect: Connect
) -> None:
    ids = add_samples(engine, project.id, 120)
    reviewer = connect("rita", Role.REVIEWER)

    pages = reviewer.samples(project.name, page_size=50)
    first = list(itertools.islice(pages, 10))
    assert pages.pages_read == 1
    assert "1 page(s) read, more to come" in repr(pages)
    rest = list(pages)
    seen = [summary.id for summary in [*first, *rest]]
    assert seen == ids
    assert len(set(seen)) == 120
    assert pages.pages_read == 3
    assert "all read" in repr(pages)

    in_review = [s.id for s in reviewer.samples(project.id, status="review", page_size=7)]
    assert in_review == ids[::2]
    summary = next(reviewer.samples(project.name, label="scene", modality="video"))
    assert (summary.id, summary.external_id, summary.status) == (ids[0], "ext-000", "review")
    assert (summary.annotations, summary.links, summary.stale_links) == (4, 1, 0)
    assert sorted(summary.modalities) == ["audio", "image", "text", "video"]
    assert not summary.gold
    assert list(reviewer.samples(project.name, annotator="nobody")) == []
    with engine.begin() as connection:
        connection.execute(update(samples).where(samples.c.id == ids[0]).values(gold=True))
    assert next(reviewer.samples(project.name)).gold


def test_a_whole_sample_with_its_revision(
    engine: Engine, project: Project, connect: Connect
) -> None:
    (sample_id,) = add_samples(engine, project.id, 1)
    reviewer = connect("rita", Role.REVIEWER)

    snapshot = reviewer.sample(sample_id)
    assert isinstance(snapshot, SampleSnapshot)
    assert snapshot.sample == stored_samples(engine, [sample_id])[0]
    assert snapshot.revision == _revision(engine, sample_id)
    assert repr(snapshot) == (
        f"SampleSnapshot(id='x0', revision={snapshot.revision}, status='review', streams=4, "
        "annotations=4, entities=1, links=1)"
    )
    assert snapshot.project == project.id
    assert reviewer.streams(sample_id) == snapshot.sample.streams
    assert reviewer.stream("x0-image") == snapshot.sample.streams[1]


def test_refreshing_a_sample_sends_it_again_only_when_it_changed(
    engine: Engine, project: Project, connect: Connect
) -> None:
    (sample_id,) = add_samples(engine, project.id, 1)
    reviewer = connect("rita", Role.REVIEWER)
    snapshot = reviewer.sample(sample_id)
    assert reviewer.refresh(snapshot) is snapshot
    create_annotation(engine, project.id, sample_id, box("x0.more", sample_id, "cup"), TESTER)
    fresh = reviewer.refresh(snapshot)
    assert fresh.revision == _revision(engine, sample_id) > snapshot.revision
    assert "x0.more" in {a.id for a in fresh.sample.annotations}
    assert (fresh.project, reviewer.refresh(fresh)) == (project.id, fresh)
    outsider = connect("otto", None)
    with pytest.raises(NotFoundError):
        outsider.refresh(snapshot)


def test_media_downloads(
    engine: Engine, project: Project, connect: Connect, tmp_path: Path
) -> None:
    (sample_id,) = add_samples(engine, project.id, 1)
    annotator = connect("ann", Role.ANNOTATOR)
    assign(engine, TESTER, sample_id, "ann")

    folder = tmp_path / "downloads"
    folder.mkdir()
    path = annotator.download_media("x0-image", folder / "photo.png")
    assert path == folder / "photo.png"
    assert path.read_bytes() == (MEDIA / "images" / "astronaut.png").read_bytes()
    with pytest.raises(NotFoundError) as missing:
        annotator.download_media("x0-nothing", folder / "nothing")
    assert (missing.value.kind, missing.value.ident) == ("stream", "x0-nothing")
    assert [p.name for p in folder.iterdir()] == ["photo.png"]


def test_annotations_one_at_a_time(engine: Engine, project: Project, connect: Connect) -> None:
    (sample_id,) = add_samples(engine, project.id, 1)
    manager = connect("meg", Role.MANAGER)

    created = manager.create_annotation(
        sample_id,
        stream="x0-image",
        label="flag",
        geometry=Box(x=1, y=2, w=30, h=40),
        attributes={"colour": "red"},
        id="x0.flag",
    )
    assert (created.id, created.label, created.revision, created.author) == (
        "x0.flag",
        "flag",
        1,
        "meg",
    )
    assert created.geometry == Box(x=1, y=2, w=30, h=40)
    assert manager.annotation("x0.flag") == created

    changed = manager.update_annotation("x0.flag", 1, label="cup", attributes={"colour": "white"})
    assert (changed.label, changed.attributes, changed.revision) == ("cup", {"colour": "white"}, 2)
    moved = manager.update_annotation(
        "x0.flag", 2, geometry={"type": "box", "x": 5, "y": 6, "w": 7, "h": 8}
    )
    assert moved.geometry == Box(x=5, y=6, w=7, h=8)
    assert (moved.label, moved.revision) == ("cup", 3)

    with pytest.raises(ConflictError) as conflict:
        manager.update_annotation("x0.flag", 1, label="flag")
    assert (conflict.value.expected, conflict.value.actual) == (1, 3)
    assert Annotation.model_validate(conflict.value.current) == moved
    assert "expected revision 1 but the current revision is 3" in str(conflict.value)

    classification = manager.create_annotation(
        sample_id, stream=None, label="scene", geometry={"type": "classification"}
    )
    assert classification.stream is None
    assert len(classification.id) == 32  # a new id

    manager.delete_annotation("x0.flag", 3)
    with pytest.raises(NotFoundError) as missing:
        manager.annotation("x0.flag")
    assert (missing.value.kind, missing.value.ident) == ("annotation", "x0.flag")
    assert [(e.action, e.revision, e.actor) for e in manager.history("x0.flag")] == [
        ("create", 1, "meg"),
        ("update", 2, "meg"),
        ("update", 3, "meg"),
        ("delete", None, "meg"),
    ]


def test_entities_links_review_and_history(
    engine: Engine, project: Project, connect: Connect
) -> None:
    (sample_id,) = add_samples(engine, project.id, 1)
    manager = connect("meg", Role.MANAGER)
    reviewer = connect("rita", Role.REVIEWER)

    entity = manager.create_entity(sample_id, members=["x0.span"], label="person", id="x0.e")
    assert entity == Entity(id="x0.e", label="person", members=["x0.span"], author="meg")
    assert manager.entity("x0.e") == entity
    grown = manager.update_entity("x0.e", 1, members=["x0.span", "x0.box"])
    assert (grown.label, grown.members, grown.revision) == ("person", ["x0.span", "x0.box"], 2)
    assert manager.update_entity("x0.e", 2, label=KEEP).label == "person"
    unlabelled = manager.update_entity("x0.e", 2, label=None)
    assert (unlabelled.label, unlabelled.revision) == (None, 3)

    link = manager.create_link(
        sample_id, type="refers-to", source="x0.span", target="x0.e", id="x0.l"
    )
    assert (link.status, link.revision, link.author) == ("proposed", 1, "meg")
    assert manager.link("x0.l") == link
    retyped = manager.update_link("x0.l", 1, type="same-as", attributes={"note": "both"})
    assert (retyped.type, retyped.attributes, retyped.revision) == ("same-as", {"note": "both"}, 2)

    confirmed = reviewer.confirm_link("x0.l", 2)
    assert (confirmed.status, confirmed.source_revision, confirmed.target_revision) == (
        "confirmed",
        1,
        3,
    )
    manager.update_annotation("x0.span", 1, geometry=TextSpan(start=3, end=11))
    queue = list(reviewer.review_queue(project.name))
    assert [type(item) for item in queue] == [StaleLink]
    assert isinstance(queue[0], StaleLink)
    assert (queue[0].sample, queue[0].link.id, queue[0].link.status) == (sample_id, "x0.l", "stale")

    rejected = reviewer.reject_link("x0.l", queue[0].link.revision)
    assert rejected.status == "rejected"
    assert list(reviewer.review_queue(project.name)) == []
    assert [e.action for e in reviewer.history("x0.l")] == [
        "create",
        "update",
        "confirm",
        "stale",
        "reject",
    ]
    manager.delete_link("x0.l", rejected.revision)
    manager.delete_entity("x0.e", 3)
    assert {link.id for link in manager.sample(sample_id).sample.links} == {"x0.ref"}
    assert [e.id for e in manager.sample(sample_id).sample.entities] == ["x0.who"]

    report = manager.migrate_ontology(
        project.name,
        {"description": "no people", "operations": [{"op": "deprecate_class", "name": "person"}]},
        expected_version=1,
    )
    assert (report.from_version, report.to_version, report.flagged) == (1, 2, 2)
    flagged = list(reviewer.review_queue(project.id, page_size=1))
    assert all(isinstance(item, FlaggedAnnotation) for item in flagged)
    assert sorted(
        item.annotation.id for item in flagged if isinstance(item, FlaggedAnnotation)
    ) == [
        "x0.box",
        "x0.span",
    ]


def test_whole_sample_writes_expect_its_revision(
    engine: Engine, project: Project, connect: Connect
) -> None:
    (sample_id,) = add_samples(engine, project.id, 1)
    manager = connect("meg", Role.MANAGER)
    snapshot = manager.sample(sample_id)
    sample = snapshot.sample

    kept = [a for a in sample.annotations if a.id != "x0.scene"]
    relabelled = [
        a.model_copy(update={"attributes": {"role": "astronaut"}}) if a.id == "x0.box" else a
        for a in kept
    ]
    new = Annotation(id="x0.cup", stream="x0-image", label="cup", geometry=Box(x=0, y=0, w=5, h=5))
    link = Link(id="x0.same", type="same-as", source="x0.box", target="x0.cup")
    done = manager.submit_sample(
        sample_id,
        [*relabelled, new],
        sample.entities,
        [*sample.links, link],
        snapshot.revision,
    )
    assert (done.created, done.updated, done.deleted, done.unchanged, done.stale) == (2, 1, 1, 4, 0)
    assert done.snapshot.revision == _revision(engine, sample_id) > snapshot.revision
    assert done.snapshot.project == project.id
    assert "created=2, updated=1, deleted=1" in repr(done)
    after = {a.id: a for a in done.snapshot.sample.annotations}
    assert set(after) == {"x0.span", "x0.box", "x0.speech", "x0.cup"}
    assert (after["x0.box"].attributes, after["x0.box"].revision) == ({"role": "astronaut"}, 2)
    assert (after["x0.cup"].author, after["x0.cup"].revision) == ("meg", 1)
    assert manager.sample(sample_id) == done.snapshot

    with pytest.raises(ConflictError) as conflict:
        manager.submit_sample(sample_id, [], [], [], snapshot.revision)
    assert (conflict.value.expected, conflict.value.actual) == (
        snapshot.revision,
        done.snapshot.revision,
    )
    assert conflict.value.current["id"] == sample_id
    assert len(manager.sample(sample_id).sample.annotations) == 4  # nothing written

    head = manager.update_sample(
        sample_id, done.snapshot.revision, status="done", metadata={"checked": True}
    )
    assert (head.status, head.metadata) == ("done", {"checked": True})
    assert head.revision == _revision(engine, sample_id) > done.snapshot.revision
    with pytest.raises(ConflictError) as stale:
        manager.update_sample(sample_id, done.snapshot.revision, status="review")
    assert stale.value.current["status"] == "done"


def test_errors_are_the_domain_tree(
    engine: Engine, project: Project, connect: Connect, url: str
) -> None:
    ids = add_samples(engine, project.id, 2)
    annotator = connect("ann", Role.ANNOTATOR)
    assign(engine, TESTER, ids[1], "ann")

    with pytest.raises(NotFoundError) as hidden:
        annotator.sample(ids[0])
    assert (hidden.value.kind, hidden.value.ident) == ("sample", ids[0])
    assert str(hidden.value) == "no sample with id 'x0'"
    assert any("HTTP 404 (not_found)" in note for note in hidden.value.__notes__)
    assert annotator.sample(ids[1]).sample.id == ids[1]
    assert [a.sample for a in annotator.my_assignments()] == [ids[1]]

    with pytest.raises(PermissionDenied) as denied:
        annotator.update_sample(ids[1], annotator.sample(ids[1]).revision, status="done")
    assert denied.value.action == "set the status of sample 'x1' to"
    assert denied.value.obj == "'done'"

    with pytest.raises(RuleViolation) as broken:
        annotator.create_annotation(
            ids[1], stream="x1-image", label="unicorn", geometry=Box(x=0, y=0, w=1, h=1)
        )
    assert broken.value.field == "label"
    assert "unicorn" in broken.value.detail
    assert str(broken.value) == (
        f"{broken.value.obj}: label: {broken.value.detail} [rule: {broken.value.rule}]"
    )

    with pytest.raises(RosettaError) as invalid:
        annotator.create_annotation(ids[1], stream="x1-image", label="cup", geometry={"type": "?"})
    assert type(invalid.value) is RosettaError
    assert "geometry" in str(invalid.value)

    with Client(url, "rst_not-a-token") as stranger, pytest.raises(NotAuthenticated):
        stranger.me()
    with Client(url) as anonymous:
        assert anonymous.health().status == "ok"
        with pytest.raises(NotAuthenticated):
            anonymous.projects()
