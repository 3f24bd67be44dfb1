"""Proposals for a stored track and accepting them as key frames, on both backends: the
revision, the event and the stale link come from the editing service."""

import pytest
from sqlalchemy import Engine

from builders import empty_sample, span
from conftest import TESTER
from rosetta.core.errors import ConflictError, NotFoundError, RosettaError, RuleViolation
from rosetta.core.geometry import Box, Polygon, Track, TrackFrame
from rosetta.core.schema import Annotation, Link, Project
from rosetta.core.tracks import HALF_LIFE, densify
from rosetta.services import tracks
from rosetta.services.editing import create_annotation, create_link
from rosetta.services.tracks import accept_proposal, propose_track_frames
from rosetta.store.events import Actor, history
from rosetta.store.records import load_sample

REVIEWER = Actor("rita", tool="rosetta-web")

TRACK = Track(
    keyframes=[
        TrackFrame(frame=100, x=10, y=20, w=40, h=80),
        TrackFrame(frame=120, x=50, y=20, w=60, h=80),
        TrackFrame(frame=130, x=50, y=20, w=60, h=80, outside=True),
        TrackFrame(frame=240, x=0, y=0, w=10, h=10),
    ]
)


@pytest.fixture
def tracked(engine: Engine, project: Project) -> Project:
    """Sample s1: a person tracked on the video, which the caption's "astronaut" refers to
    (confirmed)."""
    empty_sample(engine, project.id, "s1")
    create_annotation(engine, project.id, "s1", span("mention", "s1", 3, 12), TESTER)
    track = Annotation(id="walker", stream="s1-video", label="person", geometry=TRACK)
    create_annotation(engine, project.id, "s1", track, TESTER)
    create_annotation(
        engine,
        project.id,
        "s1",
        Annotation(id="still", stream="s1-image", label="person", geometry=Box(x=0, y=0, w=5, h=5)),
        TESTER,
    )
    create_link(
        engine,
        project.id,
        "s1",
        Link(id="ref", type="refers-to", source="mention", target="walker", status="confirmed"),
        TESTER,
    )
    return project


def _stored(engine: Engine, ident: str) -> Annotation:
    with engine.connect() as connection:
        sample = load_sample(connection, "s1")
    return next(a for a in sample.annotations if a.id == ident)


def _link(engine: Engine) -> Link:
    with engine.connect() as connection:
        return load_sample(connection, "s1").links[0]


def test_proposals_between_key_frames(engine: Engine, tracked: Project) -> None:
    with engine.connect() as connection:
        proposals = propose_track_frames(connection, "walker")
        assert [p.frame for p in proposals] == [*range(101, 120), *range(121, 130)]
        middle = next(p for p in proposals if p.frame == 110)
        assert middle.shape == Box(x=30, y=20, w=50, h=80, frame=110)
        assert middle.confidence == 0.5 ** (10 / HALF_LIFE)
        # absent until the key frame at 240, then held up to the video's last frame (243)
        tail = propose_track_frames(connection, "walker", start=238, end=10_000)
        assert [p.frame for p in tail] == [241, 242, 243]
        assert tail[-1].shape == Box(x=0, y=0, w=10, h=10, frame=243)
        assert propose_track_frames(connection, "walker", start=140, end=200) == []


def test_proposal_requests_that_cannot_be_served(
    engine: Engine, tracked: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracks, "MAX_PROPOSALS", 100)
    with engine.connect() as connection:
        with pytest.raises(NotFoundError, match="no annotation with id 'nobody'"):
            propose_track_frames(connection, "nobody")
        with pytest.raises(RuleViolation, match=r"key frames belong to tracks; .* is a box"):
            propose_track_frames(connection, "still")
        with pytest.raises(
            RosettaError, match=r"frames 0\.\.200 are 201 frames; ask for at most 100"
        ):
            propose_track_frames(connection, "walker", start=0, end=200)
        assert len(propose_track_frames(connection, "walker", start=50, end=149)) == 28


def test_accepting_a_proposal_adds_a_key_frame_and_turns_the_link_stale(
    engine: Engine, tracked: Project
) -> None:
    assert _link(engine).status == "confirmed"
    updated = accept_proposal(engine, REVIEWER, "walker", 110, 1)
    assert updated.revision == 2
    assert isinstance(updated.geometry, Track)
    assert [k.frame for k in updated.geometry.keyframes] == [100, 110, 120, 130, 240]
    assert updated.geometry.keyframes[1] == TrackFrame(frame=110, x=30, y=20, w=50, h=80)
    assert _stored(engine, "walker") == updated
    link = _link(engine)
    assert (link.status, link.revision) == ("stale", 2)
    with engine.connect() as connection:
        events = history(connection, "walker")
        assert [(e.action, e.actor, e.revision) for e in events][-1] == ("update", "rita", 2)
        stale = history(connection, "ref")[-1]
        assert stale.action == "stale"
        assert stale.note == "target annotation 'walker' changed from revision 1 to 2"


def test_accepting_an_edited_shape(engine: Engine, tracked: Project) -> None:
    updated = accept_proposal(
        engine, REVIEWER, "walker", 135, 1, shape=Box(x=1, y=2, w=3, h=4, frame=135)
    )
    assert isinstance(updated.geometry, Track)
    assert updated.geometry.keyframes[3] == TrackFrame(frame=135, x=1, y=2, w=3, h=4)
    # a key frame again, with another shape: replaced
    again = accept_proposal(engine, REVIEWER, "walker", 135, 2, shape=Box(x=5, y=5, w=5, h=5))
    assert isinstance(again.geometry, Track)
    assert again.geometry.keyframes[3] == TrackFrame(frame=135, x=5, y=5, w=5, h=5)
    assert (again.revision, len(again.geometry.keyframes)) == (3, 5)


def test_accepting_on_a_dense_track_drops_the_stale_filled_frames(
    engine: Engine, project: Project
) -> None:
    empty_sample(engine, project.id, "s1")
    dense = densify(Track(keyframes=TRACK.keyframes[:2]))
    track = Annotation(id="dense", stream="s1-video", label="person", geometry=dense)
    create_annotation(engine, project.id, "s1", track, TESTER)
    updated = accept_proposal(engine, REVIEWER, "dense", 110, 1, shape=Box(x=0, y=0, w=9, h=9))
    assert isinstance(updated.geometry, Track)
    assert [k.frame for k in updated.geometry.keyframes] == [100, 110, 120]


def test_refusals_write_nothing(engine: Engine, tracked: Project) -> None:
    with pytest.raises(ConflictError, match="expected revision 3 but the current revision is 1"):
        accept_proposal(engine, REVIEWER, "walker", 110, 3)
    with pytest.raises(RuleViolation, match="the object is absent on frame 135"):
        accept_proposal(engine, REVIEWER, "walker", 135, 1)
    with pytest.raises(RuleViolation, match="a box track takes box key frames, not a polygon"):
        accept_proposal(
            engine, REVIEWER, "walker", 110, 1, shape=Polygon(points=[(0, 0), (1, 0), (0, 1)])
        )
    with pytest.raises(RuleViolation, match="inside-bounds"):
        accept_proposal(engine, REVIEWER, "walker", 110, 1, shape=Box(x=300, y=0, w=50, h=5))
    with pytest.raises(RuleViolation, match="frame 250 is past the last frame"):
        accept_proposal(engine, REVIEWER, "walker", 250, 1)
    # on a key frame, without a shape, nothing changes
    assert accept_proposal(engine, REVIEWER, "walker", 120, 1) == _stored(engine, "walker")
    assert _stored(engine, "walker").revision == 1
    assert _link(engine).status == "confirmed"
