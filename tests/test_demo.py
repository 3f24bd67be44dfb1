"""The demo project: real media, every modality, links across them, a stale link to review."""

import hashlib
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import Engine

from builders import admin_access
from conftest import MEDIA
from rosetta.core.geometry import Interval, TextSpan, Track, TranscriptSegment
from rosetta.core.policies import Role
from rosetta.core.preference import prompt_streams
from rosetta.core.schema import Project, Sample
from rosetta.demo.build import (
    ASSIGNED,
    CAPTION_CANDIDATES,
    CAPTION_PROMPT,
    CONFIRMED_LINKS,
    CORRECTED_BOX,
    DEMO_PASSWORD,
    DEMO_USERS,
    MEDIA_DIR,
    ONTOLOGY_FILE,
    build_demo,
)
from rosetta.services.accounts import (
    assigned_samples,
    authenticate_password,
    find_user,
    list_members,
)
from rosetta.services.catalog import browse_samples
from rosetta.services.media_prep import load_artifact
from rosetta.services.projects import load_ontology_file
from rosetta.services.review import review_queue
from rosetta.store.events import history
from rosetta.store.records import load_sample


@pytest.fixture
def demo(engine: Engine) -> Project:
    return build_demo(engine)


def _sample(engine: Engine, sample_id: str) -> Sample:
    with engine.connect() as connection:
        return load_sample(connection, sample_id)


def test_demo_samples_cover_every_modality_it_ships(engine: Engine, demo: Project) -> None:
    with engine.connect() as connection:
        page = browse_samples(connection, admin_access(demo.id))
    assert [item.id for item in page.items] == [
        "portrait",
        "spoken-1",
        "spoken-2",
        "spoken-3",
        "slideshow",
        "caption-ranking",
    ]
    slideshow = page.items[4]
    assert slideshow.modalities == ["video", "audio", "text", "image", "image", "image"]
    assert page.items[0].stale_links == 1


def test_media_stays_at_absolute_paths_of_the_copied_files(engine: Engine, demo: Project) -> None:
    sample = _sample(engine, "slideshow")
    for stream in sample.streams:
        if stream.uri is None:
            assert stream.text is not None
            continue
        path = Path(stream.uri)
        assert path.is_absolute()
        assert path.is_file()
        assert MEDIA_DIR in path.parents


def test_media_info_is_probed(engine: Engine, demo: Project) -> None:
    streams = {s.id: s for s in _sample(engine, "slideshow").streams}
    video = streams["slideshow.video"].media
    assert (video.frame_rate, video.frame_count, video.width, video.height) == (
        "25/1",
        244,
        320,
        240,
    )
    assert video.duration == pytest.approx(9.76)
    assert streams["slideshow.narration"].media.sample_rate == 16000
    assert (
        streams["slideshow.still-2"].media.width,
        streams["slideshow.still-2"].media.height,
    ) == (
        451,
        300,
    )


def test_shots_partition_the_video_and_tracks_follow_their_shot(
    engine: Engine, demo: Project
) -> None:
    annotations = {a.id: a for a in _sample(engine, "slideshow").annotations}
    shots = [annotations[f"slideshow.shot-{n}"].geometry for n in (1, 2, 3)]
    assert all(isinstance(shot, Interval) for shot in shots)
    assert [(s.start, s.end) for s in shots if isinstance(s, Interval)] == [
        (0.0, 3.64),
        (3.64, 6.8),
        (6.8, 9.76),
    ]
    first_frames = [0, 91, 170]
    for n, first in zip((1, 2, 3), first_frames, strict=True):
        track = annotations[f"slideshow.track-{n}"].geometry
        assert isinstance(track, Track)
        assert track.keyframes[0].frame == first
        visible = [key for key in track.keyframes if not key.outside]
        assert all(key.x + key.w <= 320 and key.y + key.h <= 240 for key in visible)


def test_transcripts_carry_the_word_timings(engine: Engine, demo: Project) -> None:
    spoken = {a.id: a for a in _sample(engine, "spoken-1").annotations}["spoken-1.words"].geometry
    assert isinstance(spoken, TranscriptSegment)
    assert spoken.words is not None
    assert (spoken.words[0].text, spoken.words[0].start, spoken.words[0].end) == ("An", 0.0, 0.069)
    assert (spoken.words[-1].text, spoken.words[-1].end) == ("flag", 3.049)
    narrated = {a.id: a for a in _sample(engine, "slideshow").annotations}
    line = narrated["slideshow.line-2"].geometry
    assert isinstance(line, TranscriptSegment)
    assert line.words is not None
    assert (line.words[1].text, line.words[1].start) == ("tabby", 3.701)
    assert line.text == "A tabby cat with green eyes stares at the camera."


def test_synchronized_links_join_overlapping_times(engine: Engine, demo: Project) -> None:
    sample = _sample(engine, "slideshow")
    annotations = {a.id: a for a in sample.annotations}
    synced = [link for link in sample.links if link.type == "synchronized-with"]
    assert len(synced) == 3
    for link in synced:
        first = annotations[link.source].geometry
        second = annotations[link.target].geometry
        assert isinstance(first, TranscriptSegment)
        assert isinstance(second, Interval)
        assert first.start >= second.start
        assert first.end <= second.end


def test_spans_and_entities_join_image_text_and_video(engine: Engine, demo: Project) -> None:
    sample = _sample(engine, "slideshow")
    streams = {s.id: s for s in sample.streams}
    annotations = {a.id: a for a in sample.annotations}
    script = streams["slideshow.script"].text or ""
    mention = annotations["slideshow.mention-2"].geometry
    assert isinstance(mention, TextSpan)
    assert mention.extract(script) == "tabby cat"
    entities = {e.id: e for e in sample.entities}
    cup = entities["slideshow.cup"]
    modalities = {streams[annotations[m].stream or ""].modality for m in cup.members}
    assert modalities == {"image", "text", "video"}
    assert {annotations[m].label for m in cup.members} == {"cup"}


def test_review_queue_holds_the_link_of_the_corrected_box(engine: Engine, demo: Project) -> None:
    with engine.connect() as connection:
        queue = review_queue(connection, demo.id)
        events = history(connection, CORRECTED_BOX)
    assert [link.id for link in queue.stale_links] == ["portrait.mentions-flag"]
    assert queue.sample_of["portrait.mentions-flag"] == "portrait"
    assert [(e.action, e.actor) for e in events] == [("import", "demo-builder"), ("update", "ada")]
    links = {link.id: link for link in _sample(engine, "portrait").links}
    assert links["portrait.mentions-astronaut"].status == "confirmed"
    confirmed = [lid for lid in CONFIRMED_LINKS if lid != "portrait.mentions-flag"]
    slideshow = {link.id: link for link in _sample(engine, "slideshow").links}
    for link_id in confirmed:
        status = (links.get(link_id) or slideshow[link_id]).status
        assert status == "confirmed", link_id


def test_demo_media_are_the_shared_files_with_their_notice() -> None:
    notice = (MEDIA_DIR / "NOTICE.md").read_text(encoding="utf-8")
    copied = sorted(p for p in MEDIA_DIR.rglob("*") if p.is_file() and p.name != "NOTICE.md")
    assert len(copied) == 9
    for path in copied:
        relative = path.relative_to(MEDIA_DIR)
        assert f"`{relative.as_posix()}`" in notice or relative.name in notice, relative
        original = MEDIA / relative
        assert (
            hashlib.sha256(path.read_bytes()).digest()
            == hashlib.sha256(original.read_bytes()).digest()
        )
    assert "public domain" in notice
    assert "CC0" in notice


def test_the_narration_is_aligned_to_the_video_by_sound(engine: Engine, demo: Project) -> None:
    streams = {s.id: s for s in _sample(engine, "slideshow").streams}
    clock = streams["slideshow.narration"].clock
    assert clock is not None and len(clock.sync) == 1
    point = clock.sync[0]
    assert point.source == "audio" and point.confidence is not None and point.confidence > 0.5
    assert "against stream 'slideshow.video'" in (point.note or "")
    # the narration is the video's sound track: within one 16 kHz sample of no offset
    assert abs(Fraction(point.reference) - Fraction(point.local)) <= Fraction(1, 16000)


def test_audio_and_video_streams_are_prepared_for_the_workspace(
    engine: Engine, demo: Project
) -> None:
    with engine.connect() as connection:
        peaks = load_artifact(connection, "slideshow.narration", "peaks")
        table = load_artifact(connection, "slideshow.video", "frames").json()
        sheet = load_artifact(connection, "slideshow.video", "thumbnails")
        for number in (1, 2, 3):
            load_artifact(connection, f"spoken-{number}.audio", "peaks")
    assert peaks.body and sheet.content_type == "image/jpeg"
    assert len(table["ticks"]) == 244 and table["constant_rate"] == "25"


def test_demo_accounts_and_the_annotators_assignments(engine: Engine, demo: Project) -> None:
    for name, _ in DEMO_USERS:
        assert authenticate_password(engine, name, DEMO_PASSWORD).name == name
    with engine.connect() as connection:
        members = {member.name: member.role for member in list_members(connection, demo.id)}
        ada = find_user(connection, "ada")
        assigned = [(a.sample, a.blind) for a in assigned_samples(connection, ada.id)]
    assert members == {"grace": Role.REVIEWER, "ada": Role.ANNOTATOR}
    assert assigned == list(ASSIGNED)


def test_the_preference_sample_offers_three_captions_to_rank(engine: Engine, demo: Project) -> None:
    sample = _sample(engine, "caption-ranking")
    streams = {stream.id: stream for stream in sample.streams}
    captions = {c.model: streams[c.streams[0]].text for c in sample.candidates}
    assert [c.id for c in sample.candidates] == [c for c, _, _ in CAPTION_CANDIDATES]
    assert captions == {model: text for _, model, text in CAPTION_CANDIDATES}
    assert [s.id for s in prompt_streams(sample)] == [
        "caption-ranking.photo",
        "caption-ranking.instruction",
    ]
    assert streams["caption-ranking.instruction"].text == CAPTION_PROMPT
    ontology = load_ontology_file(ONTOLOGY_FILE)
    assert [(c.name, c.low, c.high) for c in ontology.rubric] == [
        ("accuracy", 1, 5),
        ("completeness", 1, 5),
        ("tone", 1, 5),
        ("safety", 1, 5),
    ]
    cites = next(r for r in ontology.relations if r.name == "cites")
    assert cites.source.classes == ["rationale-phrase"]
    said = [
        (streams[a.stream or ""].text or "")[a.geometry.start : a.geometry.end]
        for a in sample.annotations
        if isinstance(a.geometry, TextSpan)
    ]
    assert said == ["blue cup", "red cup"]
